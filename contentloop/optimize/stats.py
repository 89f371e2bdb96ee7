"""The statistics behind the gate: pooled per-draft noise, a topic-paired difference of two
skills with its standard error, and the smallest detectable effect (Student-t quantiles are
in contentloop/quantiles.py, below every loop that needs them).

Every comparison is paired on topics: for each topic, the mean of skill A's drafts minus the
mean of skill B's drafts on that same topic, averaged over topics. Topic difficulty cancels;
what is left is writer-plus-judge noise, whose variance is pooled over every (skill, topic)
cell the run has measured (DECISIONS.md: "pool all paired data a run produces").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean, median

from ..quantiles import t_quantile, z_quantile


@dataclass(frozen=True)
class Noise:
    """Per-draft standard deviation of the total within one (skill, topic) cell, and its
    degrees of freedom (drafts minus cells)."""

    sd: float
    df: int


def pooled_noise(cells: Iterable[Sequence[float]], prior: Noise | None = None) -> Noise:
    """The within-cell standard deviation pooled over cells; `prior` counts as df extra
    observations of its own sd (a stated noise), so an early estimate from few drafts is not
    trusted alone."""
    ss, df = 0.0, 0
    for values in cells:
        if len(values) > 1:
            m = fmean(values)
            ss += sum((v - m) ** 2 for v in values)
            df += len(values) - 1
    if prior is not None and prior.df > 0:
        ss += prior.sd**2 * prior.df
        df += prior.df
    return Noise(math.sqrt(ss / df) if df else 0.0, df)


@dataclass(frozen=True)
class Difference:
    """A - B paired on topics, in points of total score."""

    mean: float
    se: float
    df: int
    topics: int
    n_a: int  # drafts of A used
    n_b: int  # drafts of B used

    @property
    def z(self) -> float:
        if self.se > 0:
            return self.mean / self.se
        # A noiseless world (a scripted test judge): any difference is certain.
        return math.copysign(math.inf, self.mean) if self.mean else 0.0

    def shifted_z(self, margin: float) -> float:
        """z of (A - B + margin): evidence that A is not worse than B by `margin` or more."""
        if self.se > 0:
            return (self.mean + margin) / self.se
        return math.inf if self.mean + margin > 0 else 0.0

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        half = t_quantile(0.5 + confidence / 2, self.df) * self.se
        return self.mean - half, self.mean + half

    def as_gain(self) -> dict[str, float | int]:
        """The summary.json shape: {"mean", "ci95_low", "ci95_high", "n"}."""
        low, high = self.interval(0.95)
        return {
            "mean": round(self.mean, 3),
            "ci95_low": round(low, 3),
            "ci95_high": round(high, 3),
            "n": self.n_a + self.n_b,
        }


def paired_difference(
    a: Mapping[str, Sequence[float]], b: Mapping[str, Sequence[float]], noise: Noise
) -> Difference:
    """Topic-paired A - B over the topics both have drafts on."""
    topics = sorted(t for t in a.keys() & b.keys() if a[t] and b[t])
    if not topics:
        raise ValueError("the two skills share no topic with drafts on both sides")
    k = len(topics)
    mean = fmean(fmean(a[t]) - fmean(b[t]) for t in topics)
    var = sum(noise.sd**2 * (1 / len(a[t]) + 1 / len(b[t])) for t in topics) / k**2
    return Difference(
        mean=mean,
        se=math.sqrt(var),
        df=noise.df,
        topics=k,
        n_a=sum(len(a[t]) for t in topics),
        n_b=sum(len(b[t]) for t in topics),
    )


# How far below the fit, in robust standard deviations, a draft must be to be set aside. Chosen
# in bench/gate_sim.py (--outliers 0.02, drafts 15-20 points low at 4 points of noise): at 4,
# +3 edits are kept 85% of the time there (81% without screening) and 89% in a world without
# outliers (the same as without screening); 3.5 and 4.5 did no better.
FAR = 4.0


def far_off(points: Sequence[tuple[str, str, float]], k: float = FAR) -> set[int]:
    """Which of (skill, topic, total) are far below the additive fit skill + topic, by more
    than `k` robust standard deviations (1.4826 MAD of the residuals): a truncated reply or a
    refusal that still parsed. Only low ones: a draft that scored well above its skill is not
    the failure this guards against, and trimming one tail of a good edit's drafts would hide
    its gain. Medians throughout, so the fit is not pulled by what it is looking for. Fewer
    than 10 drafts: nothing is set aside."""
    if len(points) < 10:
        return set()
    topic: dict[str, float] = {}
    skill: dict[str, float] = {}
    for _ in range(2):  # median polish: skill levels, then topic effects, twice
        skill = _medians((s, v - topic.get(t, 0.0)) for s, t, v in points)
        topic = _medians((t, v - skill[s]) for s, t, v in points)
    residuals = [v - skill[s] - topic[t] for s, t, v in points]
    scale = 1.4826 * median(abs(r) for r in residuals)
    if scale <= 0:
        return set()
    return {i for i, r in enumerate(residuals) if r < -k * scale}


def _medians(pairs: Iterable[tuple[str, float]]) -> dict[str, float]:
    groups: dict[str, list[float]] = {}
    for key, v in pairs:
        groups.setdefault(key, []).append(v)
    return {key: median(vs) for key, vs in groups.items()}


def one_sample(a: Mapping[str, Sequence[float]], target: float, noise: Noise) -> Difference:
    """The topic-averaged mean of A minus a fixed `target` (a threshold), with A's own error."""
    topics = sorted(t for t in a if a[t])
    if not topics:
        raise ValueError("no topic has drafts")
    k = len(topics)
    var = sum(noise.sd**2 / len(a[t]) for t in topics) / k**2
    n = sum(len(a[t]) for t in topics)
    return Difference(
        fmean(fmean(a[t]) for t in topics) - target, math.sqrt(var), noise.df, k, n, 0
    )


def detectable_effect(
    sd: float,
    topics: int,
    n_candidate: int,
    n_best: int,
    *,
    alpha: float,
    power: float = 0.8,
    df: float = math.inf,
) -> float:
    """The smallest true gain a one-sided test at level `alpha` finds with probability `power`,
    with `n_candidate` and `n_best` drafts per topic on each side: (t_alpha + z_power) * SE."""
    se = sd * math.sqrt((1 / n_candidate + 1 / n_best) / topics)
    return (t_quantile(1 - alpha, df) + z_quantile(power)) * se
