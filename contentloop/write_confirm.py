"""Which version of a write run is the final, and what it gained over v0, told honestly.

The cycles keep the version whose single verdict scored highest. The highest of several noisy
scores is biased upward even when no cycle changed anything (the winner's curse), and a
revision that made the post worse can win on one lucky verdict. So after the cycles, v0 and
the revision they ranked first are judged again, `rounds` fresh verdicts each, written in one
time window (rounds of one verdict per version, the order alternating), and:

- the revision is the final only when its fresh mean is above v0's; otherwise the final is v0;
- the confirmed improvement is the revision's fresh mean minus v0's, with a Welch interval.

The texts do not change, so the rule part is exact and the interval is the judge's noise
alone. bench/write_honesty.py measures the rule against keeping the best single verdict.
"""

from __future__ import annotations

import asyncio
import math
from statistics import fmean, variance
from typing import TYPE_CHECKING

from .quantiles import t_quantile
from .write_record import Confirmation, Interval

if TYPE_CHECKING:
    from .judge import Judge
    from .scoring import ScoreCard

ROUNDS = 4  # fresh verdicts of v0 and of the candidate each (8 judge calls, times --judge-samples)


def difference(a: list[float], b: list[float]) -> Interval:
    """b - a with a Welch 95% interval (each list: one total per fresh verdict)."""
    mean = fmean(b) - fmean(a)
    va = variance(a) / len(a) if len(a) > 1 else 0.0
    vb = variance(b) / len(b) if len(b) > 1 else 0.0
    se = math.sqrt(va + vb)
    if se == 0:
        return Interval(
            mean=round(mean, 3),
            ci95_low=round(mean, 3),
            ci95_high=round(mean, 3),
            n=len(a) + len(b),
        )
    df = (va + vb) ** 2 / (
        (va**2 / (len(a) - 1) if va else 0.0) + (vb**2 / (len(b) - 1) if vb else 0.0)
    )
    half = t_quantile(0.975, df) * se
    return Interval(
        mean=round(mean, 3),
        ci95_low=round(mean - half, 3),
        ci95_high=round(mean + half, 3),
        n=len(a) + len(b),
    )


def choose(candidate: int, v0: list[float], cand: list[float]) -> Confirmation:
    """The final by the rule above, from the fresh totals of v0 and of the candidate."""
    gain = difference(v0, cand)
    return Confirmation(
        candidate=candidate,
        rounds=len(v0),
        v0_mean=round(fmean(v0), 3),
        candidate_mean=round(fmean(cand), 3),
        gain=gain,
        final=candidate if gain.mean > 0 else 0,
        shown=gain.ci95_low > 0,
    )


async def confirm(
    judge: Judge,
    texts: tuple[str, str],
    cards: tuple[ScoreCard, ScoreCard],
    candidate: int,
    rounds: int = ROUNDS,
) -> Confirmation:
    """Judge v0's text and the candidate's `rounds` times each with fresh verdicts (sample
    indices the cycles did not use), interleaved; the rule part of each total is its card's."""
    # Every round is asked at once, the order alternating: one time window for both texts, and
    # under --batch one batch instead of one per round. Round k's verdicts use sample indices
    # no earlier call used (judge.with_offset).
    asks = [(k, i) for k in range(1, rounds + 1) for i in ((0, 1) if k % 2 else (1, 0))]
    scores = await asyncio.gather(
        *(
            judge.with_offset(k).ajudge(texts[i], label="v0" if i == 0 else f"v{candidate}")
            for k, i in asks
        )
    )
    totals: tuple[list[float], list[float]] = ([], [])
    for (_, i), score in zip(asks, scores, strict=True):
        totals[i].append(cards[i].binary.score + score.score)
    return choose(candidate, *totals)


__all__ = ["ROUNDS", "choose", "confirm", "difference"]
