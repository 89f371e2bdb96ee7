"""The calibration card's measures: plain statistics over judge scores, no model calls.

Each measure has a threshold and a direction. The thresholds are set so that a judge worth
gating a loop on passes with room to spare and the judges that fail in known ways do not
(tests/test_calibrate.py runs both kinds):

- discrimination >= 0.75: the degraded copy scores lower than its source on the criterion the
  degradation targets in at least 3 of 4 pairs (ties count half; chance is 0.5). On the total,
  >= 0.6: one criterion's drop is seen through the noise of all six.
- test-retest SD <= 1.5 per criterion (1-10 scale) and <= 4 points on the judge's part of the
  total: the noise the gate pays for with drafts. Uniform random answers give 2.9 and 7.
- length bias, injection <= +2 judge points: the padded copy, or the copy that asks the judge
  for 10s, must not score higher than its source by more than the noise of a mean over 8 drafts
  (sources and probe copies judged 4 times each).
- format and order bias |difference| <= 2 judge points: line wrapping and the order the
  criteria are listed in must not move the score.

bench/calibrate_power.py measures the rates: how often a fair judge with one point of noise
per verdict fails by chance, and how often each faulty judge is caught.
- with labels: Spearman >= 0.5 per criterion (G-Eval reported 0.51), pairwise agreement >= 0.7
  (strong judges agree with experts on about 80% of pairs, MT-Bench).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from ..optimize.stats import t_quantile, z_quantile

Direction = Literal["min", "max", "abs_max"]

DISCRIMINATION_MIN = 0.75
# On the total, a degradation moves one criterion against the noise of all of them, so a fair
# judge ranks fewer pairs right (0.82 on average in bench/calibrate_power.py, 0.64 at worst
# in 20 runs); chance is still 0.5.
DISCRIMINATION_TOTAL_MIN = 0.6
RETEST_SD_MAX = 1.5
RETEST_TOTAL_SD_MAX = 4.0
BIAS_MAX = 2.0
SPEARMAN_MIN = 0.5
PAIRWISE_MIN = 0.7
USABLE_MIN = 0.95


class Measure(BaseModel):
    name: str  # "discrimination.lead_quality", "retest_sd.total", "length_bias", ...
    value: float
    threshold: float
    direction: Direction
    passed: bool
    n: int
    ci95_low: float | None = None
    ci95_high: float | None = None
    detail: str = ""

    @classmethod
    def of(
        cls,
        name: str,
        value: float,
        threshold: float,
        direction: Direction,
        n: int,
        ci: tuple[float, float] | None = None,
        detail: str = "",
    ) -> Measure:
        if math.isnan(value):
            passed = False
        elif direction == "min":
            passed = value >= threshold
        elif direction == "max":
            passed = value <= threshold
        else:
            passed = abs(value) <= threshold
        return cls(
            name=name,
            value=round(value, 3) if not math.isnan(value) else 0.0,
            threshold=threshold,
            direction=direction,
            passed=passed,
            n=n,
            ci95_low=round(ci[0], 3) if ci else None,
            ci95_high=round(ci[1], 3) if ci else None,
            detail=detail,
        )

    @property
    def rule(self) -> str:
        op = {"min": ">=", "max": "<=", "abs_max": "|x| <="}[self.direction]
        return f"{op} {self.threshold:g}"


def wilson(successes: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion (ties may count half a success)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def discrimination(
    name: str, pairs: Sequence[tuple[float, float]], threshold: float = DISCRIMINATION_MIN
) -> Measure:
    """pairs: (source mean, degraded mean). The share where the degraded copy is lower."""
    wins = sum(1.0 if d < s else 0.5 if d == s else 0.0 for s, d in pairs)
    n = len(pairs)
    value = wins / n if n else math.nan
    return Measure.of(
        name,
        value,
        threshold,
        "min",
        n,
        wilson(wins, n),
        f"degraded copy scored lower in {wins:g} of {n} pairs",
    )


def pooled_sd(groups: Sequence[Sequence[float]]) -> tuple[float, int]:
    """The within-group SD pooled over groups (each group: one draft's K scores), and its df."""
    ss = sum(sum((x - statistics.fmean(g)) ** 2 for x in g) for g in groups if len(g) > 1)
    df = sum(len(g) - 1 for g in groups if len(g) > 1)
    return (math.sqrt(ss / df) if df else math.nan), df


def retest(name: str, groups: Sequence[Sequence[float]], threshold: float) -> Measure:
    sd, df = pooled_sd(groups)
    ci = None
    if df:
        # Chi-square interval on the SD, with the Wilson-Hilferty approximation of the quantiles.
        def chi2(p: float) -> float:
            z = z_quantile(p)
            return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3

        ci = (sd * math.sqrt(df / chi2(0.975)), sd * math.sqrt(df / max(chi2(0.025), 1e-9)))
    return Measure.of(
        name, sd, threshold, "max", df, ci, f"pooled over {len(groups)} drafts, {df} df"
    )


def shift(
    name: str, pairs: Sequence[tuple[float, float]], direction: Direction, what: str
) -> Measure:
    """pairs: (source, probe) judge points. The mean of probe - source, with a t interval."""
    diffs = [p - s for s, p in pairs]
    n = len(diffs)
    mean = statistics.fmean(diffs) if n else math.nan
    ci = None
    if n > 1:
        half = t_quantile(0.975, n - 1) * statistics.stdev(diffs) / math.sqrt(n)
        ci = (mean - half, mean + half)
    return Measure.of(
        name, mean, BIAS_MAX, direction, n, ci, f"{what}: {mean:+.2f} judge points over {n} drafts"
    )


def _ranks(xs: Sequence[float]) -> list[float]:
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman's rho (Pearson on average ranks); NaN when either side is constant."""
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else math.nan


def agreement_spearman(name: str, judge: Sequence[float], human: Sequence[float]) -> Measure:
    rho = spearman(judge, human) if len(judge) >= 3 else math.nan
    return Measure.of(
        name, rho, SPEARMAN_MIN, "min", len(judge), None, f"{len(judge)} labelled drafts"
    )


def agreement_pairwise(name: str, pairs: Sequence[tuple[float, float]]) -> Measure:
    """pairs: (judge score of the draft people preferred, of the other). Ties count half."""
    wins = sum(1.0 if b > w else 0.5 if b == w else 0.0 for b, w in pairs)
    n = len(pairs)
    return Measure.of(
        name,
        wins / n if n else math.nan,
        PAIRWISE_MIN,
        "min",
        n,
        wilson(wins, n),
        f"judge agreed with people on {wins:g} of {n} pairs",
    )


def usable(done: int, failed: int) -> Measure:
    total = done + failed
    return Measure.of(
        "usable_replies",
        done / total if total else math.nan,
        USABLE_MIN,
        "min",
        total,
        None,
        f"{failed} of {total} drafts got no usable verdict even after a repair request",
    )
