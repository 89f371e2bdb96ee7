"""A calibration set: good drafts, which degradation should lower which criterion, and
optional human labels.

    calibration/imagine/
      calibration.yaml     rubric name, criterion → degradations, probes, labels file
      drafts/*.md          drafts a careful editor would rate well (at least 8 shipped)
      labels.yaml          optional: human scores per criterion, or pairwise preferences

labels.yaml (either part may be left out):

    scores:                       # 1-10 per criterion, for drafts in this folder
      drafts/a.md: {voice_adherence: 8, lead_quality: 6}
    pairs:                        # which of two drafts a person preferred
      - {better: drafts/a.md, worse: mine/b.md, criterion: lead_quality}  # criterion: optional (= total)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import ContentloopError
from ..rubric import Rubric
from ..scoring import read_draft
from ..yamlio import load_model
from .degrade import DEGRADATIONS, PROBES

CONFIG = "calibration.yaml"
PROBE_NAMES = (*PROBES, "order")
MIN_DRAFTS = 2  # fewer says nothing about spread; the shipped sets hold 8


class SetConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rubric: str = Field(min_length=1)
    degradations: dict[str, list[str]] = Field(min_length=1)
    probes: list[str] = Field(default_factory=lambda: list(PROBE_NAMES))
    labels: str | None = None

    @field_validator("degradations")
    @classmethod
    def _known(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for criterion, names in value.items():
            if not names:
                raise ValueError(f"{criterion} lists no degradation")
            for name in names:
                if name not in DEGRADATIONS:
                    raise ValueError(
                        f"unknown degradation {name!r} for {criterion}; "
                        f"known: {', '.join(sorted(DEGRADATIONS))}"
                    )
        return value

    @field_validator("probes")
    @classmethod
    def _probes(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in PROBE_NAMES:
                raise ValueError(f"unknown probe {name!r}; known: {', '.join(PROBE_NAMES)}")
        return value


class PairLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    better: str
    worse: str
    criterion: str | None = None  # None: the judge's total


class Labels(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scores: dict[str, dict[str, int]] = Field(default_factory=dict)
    pairs: list[PairLabel] = Field(default_factory=list)

    @field_validator("scores")
    @classmethod
    def _range(cls, value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        for draft, per in value.items():
            for criterion, score in per.items():
                if not 1 <= score <= 10:
                    raise ValueError(f"{draft}: {criterion} must be 1-10 (got {score})")
        return value


class CalibrationSet:
    """The loaded set: drafts by name (path relative to the set folder), config, labels."""

    def __init__(
        self, folder: Path, config: SetConfig, drafts: dict[str, str], labels: Labels | None
    ) -> None:
        self.folder = folder
        self.config = config
        self.drafts = drafts
        self.labels = labels

    @property
    def sha256(self) -> str:
        h = hashlib.sha256((self.folder / CONFIG).read_bytes())
        for name in sorted(self.drafts):
            h.update(name.encode() + b"\0" + self.drafts[name].encode())
        if self.labels is not None:
            h.update(self.labels.model_dump_json().encode())
        return h.hexdigest()

    def labelled(self) -> dict[str, str]:
        """Drafts that labels name but drafts/ does not hold (a user's own, scored only for
        agreement)."""
        if self.labels is None:
            return {}
        names = set(self.labels.scores) | {
            n for p in self.labels.pairs for n in (p.better, p.worse)
        }
        return {n: _read(self.folder, n) for n in sorted(names - set(self.drafts))}


def _read(folder: Path, name: str) -> str:
    return read_draft(folder / name).source


def load_set(folder: Path, rubric: Rubric, limit: int | None = None) -> CalibrationSet:
    """Load and check a set against the rubric it calibrates; `limit` keeps the first N drafts."""
    if not folder.is_dir():
        raise ContentloopError(
            "is not a calibration set folder.",
            path=folder,
            fix=f"pass --set with a folder holding {CONFIG} and drafts/ (see calibration/imagine/).",
        )
    config = load_model(folder / CONFIG, SetConfig, "calibration set")
    path = folder / CONFIG
    if config.rubric != rubric.name:
        raise ContentloopError(
            f"calibrates rubric {config.rubric!r}, not {rubric.name!r}.",
            path=path,
            field="rubric",
            fix=f"pass --set calibration/{rubric.name}/, or --rubric {config.rubric}.",
        )
    names = [c.name for c in rubric.judge.criteria]
    unknown = [c for c in config.degradations if c not in names]
    if unknown:
        raise ContentloopError(
            f"names criteria the rubric does not have: {', '.join(unknown)}.",
            path=path,
            field="degradations",
            fix=f"use the rubric's criteria: {', '.join(names)}.",
        )
    files = sorted((folder / "drafts").glob("*.md"))
    if limit is not None:
        files = files[:limit]
    if len(files) < MIN_DRAFTS:
        raise ContentloopError(
            f"holds {len(files)} draft(s); calibration needs at least {MIN_DRAFTS} (8 or more to trust it).",
            path=folder / "drafts",
            fix="add good drafts as .md files, or raise --drafts.",
        )
    drafts = {f"drafts/{f.name}": read_draft(f).source for f in files}
    labels = None
    if config.labels:
        labels = load_model(folder / config.labels, Labels, "labels file")
        for draft, per in labels.scores.items():
            bad = [c for c in per if c not in names]
            if bad:
                raise ContentloopError(
                    f"{draft} scores criteria the rubric does not have: {', '.join(bad)}.",
                    path=folder / config.labels,
                    field=f"scores.{draft}",
                    fix=f"use the rubric's criteria: {', '.join(names)}.",
                )
        for i, pair in enumerate(labels.pairs):
            if pair.criterion is not None and pair.criterion not in names:
                raise ContentloopError(
                    f"unknown criterion {pair.criterion!r}.",
                    path=folder / config.labels,
                    field=f"pairs[{i}].criterion",
                    fix=f"use one of {', '.join(names)}, or leave it out for the total.",
                )
    return CalibrationSet(folder, config, drafts, labels)
