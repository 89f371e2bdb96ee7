"""The binary part of a score: every rule check of a rubric on one draft, its deductions
summed and the rest of `max_points` kept (floored at 0). scoring.py adds the judge part."""

from __future__ import annotations

from pydantic import BaseModel

from .checks import CheckResult, Draft, run_check
from .checks.base import CHECK_BUDGET_S
from .errors import ContentloopError
from .rubric import Rubric


class BinaryScore(BaseModel):
    score: float
    max: float
    results: list[CheckResult]

    @property
    def violations(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]


def binary_part(draft: Draft, rubric: Rubric) -> BinaryScore:
    """Every rule check of the rubric on one draft (parsed as its checks need)."""
    results = []
    for i, cfg in enumerate(rubric.binary.checks):
        try:
            results.append(run_check(cfg, draft))
        except TimeoutError:
            raise ContentloopError(
                f"check {cfg.id!r} ran over its {CHECK_BUDGET_S:g} s on {draft.path or 'the draft'}: "
                "its regular expression backtracks catastrophically.",
                path=rubric.path,
                field=f"binary.checks[{i}]",
                fix="remove nested or overlapping quantifiers such as (a+)+ or (a|a)* from the pattern.",
            ) from None
    deducted = sum(r.deduction for r in results)
    score = max(0.0, rubric.binary.max_points - deducted)
    return BinaryScore(score=round(score, 2), max=rubric.binary.max_points, results=results)
