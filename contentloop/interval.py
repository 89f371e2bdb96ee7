"""A difference with its 95% interval, the one shape every measured gain is reported in:
optimize's confirmed, held-out, audit and in-loop gains and its drift check (summary.json,
experiments.jsonl), and write's confirmed improvement (run.json)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Interval(BaseModel):
    """{mean, ci95_low, ci95_high, n}: n is the drafts (or verdicts) behind it."""

    model_config = ConfigDict(extra="forbid")
    mean: float
    ci95_low: float
    ci95_high: float
    n: int


__all__ = ["Interval"]
