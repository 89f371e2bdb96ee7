"""The rubric: which checks run, what each deduction is, and what the judge scores.

A rubric is a YAML file the user edits (`rubrics/*.yaml`). Every number of the score lives
here, not in code.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from .checks import REGISTRY, CheckConfig
from .checks.vale_rule import ValeSettings
from .errors import ContentloopError
from .yamlio import load_model

if TYPE_CHECKING:
    from .vale.rubric import ValeExpansion

# Built from the registry so that a new check type only needs its module and `@register`.
AnyCheck = Annotated[
    Union[tuple(config for config, _ in REGISTRY.values())],  # noqa: UP007 - dynamic union
    Field(discriminator="type"),
]

_STRICT = ConfigDict(extra="forbid")


class BinaryPart(BaseModel):
    model_config = _STRICT
    max_points: float = Field(gt=0)
    vale: ValeSettings | None = None
    checks: list[AnyCheck] = Field(default_factory=list)  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _something_to_check(self) -> BinaryPart:
        if not self.checks and self.vale is None:
            raise ValueError("binary needs at least one check (or a vale: section)")
        return self

    @field_validator("checks")
    @classmethod
    def _unique_ids(cls, checks: list[CheckConfig]) -> list[CheckConfig]:
        seen: set[str] = set()
        for check in checks:
            if check.id in seen:
                raise ValueError(f"two checks have the id {check.id!r}; ids must be unique")
            seen.add(check.id)
        return checks


class Anchors(BaseModel):
    """What a score of 1, 4, 7 and 10 looks like, so the judge scores against descriptions."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    s1: str = Field(alias="1", min_length=1)
    s4: str = Field(alias="4", min_length=1)
    s7: str = Field(alias="7", min_length=1)
    s10: str = Field(alias="10", min_length=1)

    def items(self) -> list[tuple[int, str]]:
        return [(1, self.s1), (4, self.s4), (7, self.s7), (10, self.s10)]


class Criterion(BaseModel):
    model_config = _STRICT
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = Field(min_length=1)
    anchors: Anchors


class JudgePart(BaseModel):
    model_config = _STRICT
    max_points: float = Field(gt=0)
    criteria: list[Criterion] = Field(min_length=1)

    @field_validator("criteria")
    @classmethod
    def _unique_names(cls, criteria: list[Criterion]) -> list[Criterion]:
        names = [c.name for c in criteria]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"criterion names must be unique; repeated: {', '.join(dupes)}")
        return criteria


class Rubric(BaseModel):
    model_config = _STRICT
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    description: str = ""
    binary: BinaryPart
    judge: JudgePart
    _path: Path | None = PrivateAttr(default=None)
    _sha256: str = PrivateAttr(default="")
    _fingerprint: str = PrivateAttr(default="")
    _vale_skipped: dict[str, str] = PrivateAttr(default_factory=dict)
    _vale_notes: dict[str, str] = PrivateAttr(default_factory=dict)
    _vale_formats: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def fingerprint(self) -> str:
        """What rule-check results depend on: the rubric and any Vale files it reads."""
        return self._fingerprint or self._sha256

    @property
    def vale_skipped(self) -> dict[str, str]:
        """Vale rules the configuration names that do not run here, and why."""
        return self._vale_skipped

    @property
    def vale_notes(self) -> dict[str, str]:
        """.vale.ini settings contentloop does not honour, and why."""
        return self._vale_notes

    @property
    def vale_formats(self) -> dict[str, str]:
        """A .vale.ini's `[formats]`: a file ending -> the format its files are read as."""
        return self._vale_formats

    @property
    def max_points(self) -> float:
        return self.binary.max_points + self.judge.max_points


def _search_dirs() -> list[Path]:
    here = Path(__file__).resolve().parent
    return [Path.cwd() / "rubrics", here.parent / "rubrics", here / "_bundled" / "rubrics"]


def resolve_rubric(ref: str | Path) -> Path:
    """A path to a rubric file, or a bare name looked up in ./rubrics and the bundled copies."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists() or "/" in str(ref):
        return path
    for folder in _search_dirs():
        candidate = folder / f"{ref}.yaml"
        if candidate.exists():
            return candidate
    known = sorted({p.stem for d in _search_dirs() if d.is_dir() for p in d.glob("*.yaml")})
    raise ContentloopError(
        f"no rubric named {str(ref)!r}.",
        fix=f"pass a path to a rubric YAML file, or one of: {', '.join(known) or '(none found)'}.",
    )


def load_rubric(ref: str | Path = "imagine") -> Rubric:
    """Load and validate a rubric by path or name. Errors name the file, line and field."""
    path = resolve_rubric(ref)
    rubric = load_model(path, Rubric, "rubric")
    rubric._path = path
    rubric._sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    if any(c.type == "vale" for c in rubric.binary.checks) or rubric.binary.vale:
        from .vale.rubric import expand_vale

        attach_vale(rubric, expand_vale(rubric.binary.checks, rubric.binary.vale, path))
    return rubric


def attach_vale(rubric: Rubric, found: ValeExpansion) -> None:
    """Give `rubric` the checks a Vale configuration adds, the rules it cannot run, and a
    fingerprint that changes when any Vale file does (after `rubric.sha256` is set)."""
    rubric.binary.checks.extend(found.added)
    rubric._vale_skipped = found.skipped
    rubric._vale_notes = found.notes
    rubric._vale_formats = found.formats
    rubric._fingerprint = hashlib.sha256((rubric.sha256 + found.fingerprint).encode()).hexdigest()
