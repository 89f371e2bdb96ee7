from __future__ import annotations

from contentloop import Rubric, score_text
from contentloop.checks import CheckResult


def result(text: str, rubric: Rubric, check_id: str) -> CheckResult:
    """Score `text` and return one check's result."""
    card = score_text(text, rubric)
    (found,) = [r for r in card.binary.results if r.id == check_id]
    return found


def hits(text: str, rubric: Rubric, check_id: str) -> list[tuple[str, int | None]]:
    return [(e.text, e.line) for e in result(text, rubric, check_id).evidence]
