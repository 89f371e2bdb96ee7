"""`write`'s run.json, typed: what one topic's draft-and-refine run did, version by version.
writer.py writes it as the run goes; report/ reads it back."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .interval import Interval


class Named(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    sha256: str


class ModelName(BaseModel):
    model_config = ConfigDict(extra="forbid")
    backend: str
    model: str


class JudgeUsed(ModelName):
    samples: int
    measured: bool  # False: the totals are the rule checks alone (the embedded demo judge)
    not_measured: str | None = None


class VersionSummary(BaseModel):
    """One version (v0 is the first draft; each cycle adds one)."""

    model_config = ConfigDict(extra="forbid")
    version: int
    file: str
    total: float
    binary: float
    judge: float | None
    violations: list[str]
    weakest: str | None
    asked: dict[str, Any] | None  # what the revision was asked to fix
    kept: bool  # it became the best so far
    tokens: dict[str, int]
    cost_usd: float | None
    seconds: float


class Confirmation(BaseModel):
    """v0 and the cycles' best revision judged again, fresh and interleaved (write_confirm.py)."""

    model_config = ConfigDict(extra="forbid")
    candidate: int  # the revision the cycles' single verdicts ranked first
    rounds: int  # fresh verdicts of each of the two
    v0_mean: float
    candidate_mean: float
    gain: Interval  # candidate - v0 on those verdicts
    final: int  # the candidate when its fresh mean is above v0's, else 0
    shown: bool  # the interval is above 0


class WriteRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[1] = 1
    run_id: str
    topic: str
    skill: Named
    rubric: Named
    writer: ModelName
    judge: JudgeUsed
    calibration: dict[str, Any] | None
    cycles_requested: int
    target: float
    status: Literal["running", "done", "failed", "interrupted"]
    stop_reason: str
    error: str | None
    best_version: int | None
    final_total: float | None
    versions: list[VersionSummary]
    tokens: dict[str, int]
    calls: int
    cost_usd: float | None
    seconds: float
    # What the final gained over v0, measured on verdicts that chose nothing (None while the
    # run is going, or when no revision scored above v0 and v0 is the final as written).
    confirmation: Confirmation | None = None
    confirmed_improvement: Interval | None = None
    batch: bool = False  # drafts and verdicts went through Message Batches (half price)

    def to_json(self) -> dict[str, Any]:
        """run.json's object; `not_measured` only where the judge was left out."""
        data = self.model_dump()
        if data["judge"]["not_measured"] is None:
            del data["judge"]["not_measured"]
        return data


__all__ = [
    "Confirmation",
    "Interval",
    "JudgeUsed",
    "ModelName",
    "Named",
    "VersionSummary",
    "WriteRecord",
]
