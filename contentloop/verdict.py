"""A judge's verdict as a score card holds it: pure data, so that reading or writing a card
(`score --no-judge`, reports) never imports the judge's prompt templates or the model clients.
"""

from __future__ import annotations

from pydantic import BaseModel


class CriterionScore(BaseModel):
    name: str
    score: float  # mean over samples
    stdev: float
    rationale: str
    scores: list[int]


class MemberScore(BaseModel):
    """One panel member's part of a panel verdict."""

    backend: str
    model: str
    score: float
    criteria: dict[str, float]  # criterion -> mean over the member's samples


class JudgeScore(BaseModel):
    score: float
    max: float
    samples: int
    backend: str
    model: str
    criteria: list[CriterionScore]
    members: list[MemberScore] | None = None  # a panel: each member's verdict
    # The judge's calibration card on this rubric when it scored: passed, failed, stale or
    # missing (contentloop calibrate); None where no command looked.
    calibration: str | None = None
