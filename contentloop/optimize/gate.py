"""Keep or revert: a paired comparison over (topic, repeat) against a measured noise floor.

The baseline is evaluated twice, independently. The per-draft differences between those two
runs show how much the mean moves when nothing changed (judge and writer noise). The noise
floor is the larger of |mean difference| and two standard errors of that difference. A
candidate is kept when its paired mean improvement over the best skill exceeds the floor;
within the floor, it is kept only if the skill got shorter (equal score from less text wins).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Literal

Status = Literal["keep", "discard", "crash", "timeout", "explore"]


def _paired(a: dict[tuple[str, int], float], b: dict[tuple[str, int], float]) -> list[float]:
    keys = sorted(a.keys() & b.keys())
    if not keys:
        raise ValueError("no (topic, repeat) pairs in common")
    return [a[k] - b[k] for k in keys]


def noise_floor(first: dict[tuple[str, int], float], second: dict[tuple[str, int], float]) -> float:
    """How far the mean moves between two evaluations of the same skill."""
    diffs = _paired(first, second)
    se = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else 0.0
    return round(max(abs(statistics.fmean(diffs)), 2 * se), 3)


@dataclass
class Decision:
    status: Status
    delta: float
    reason: str


def decide(
    candidate: dict[tuple[str, int], float],
    best: dict[tuple[str, int], float],
    noise: float,
    *,
    candidate_chars: int,
    best_chars: int,
    explore: bool = False,
) -> Decision:
    delta = round(statistics.fmean(_paired(candidate, best)), 3)
    if explore:
        return Decision("explore", delta, "kept regardless (exploration step)")
    if delta > noise:
        return Decision("keep", delta, f"improved by {delta:+.2f} > noise {noise:.2f}")
    if abs(delta) <= noise and candidate_chars < best_chars:
        return Decision(
            "keep",
            delta,
            f"within noise ({delta:+.2f}) and {best_chars - candidate_chars} characters shorter",
        )
    return Decision("discard", delta, f"{delta:+.2f} is not above noise {noise:.2f}")
