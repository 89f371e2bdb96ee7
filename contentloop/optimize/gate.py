"""Keep or revert: a sequential, topic-paired test of candidate against best.

A candidate is measured in stages (one fresh draft per topic per stage, times --repeats). After
each stage the gate looks at the paired difference candidate - best (stats.paired_difference,
noise pooled over the whole run) and does one of:

- keep ("superior"): the evidence for a gain of `target` points against none has reached the
  upper boundary. The default design is Wald's sequential probability ratio test on the
  difference (H0: no gain, H1: a gain of `target`): with d the difference and se its standard
  error, the log likelihood ratio is (target * d - target**2 / 2) / se**2; keep at
  log((1 - beta) / alpha), discard at log(beta / (1 - alpha)). The last stage keeps only on
  z >= the one-sided t critical value at alpha, so the test ends within max_stages.
- keep ("non-inferior"), only for an edit that makes the skill shorter: the same test on
  (difference + margin), i.e. the loss is shown to be smaller than --simplicity-margin.
- discard ("futile"): the evidence for no gain reached the lower boundary (SPRT), or z fell
  below the stage's futility bound (the older Haybittle-Peto design).
- discard ("cap"): the last stage passed without evidence.
- continue: write another stage.

The older design ("haybittle-peto", every run started before the SPRT) spends a small fixed
alpha at each interim look and the rest at the last, with fixed futility bounds; runs started
under it resume under it. The best skill is always measured at least as well as the candidate
(plan.best_needed): every draft of a skill accumulates, and the best's drafts are topped up as
candidates grow. Why this design and these numbers: docs/gate.md; measured in
bench/gate_sim.py and bench/gate_power.py.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from .stats import Difference, t_quantile, z_quantile

Status = Literal["keep", "discard", "crash", "timeout", "explore"]
Rule = Literal[
    "superior",
    "non-inferior",
    "secondary",
    "weighted",
    "pareto",
    "feasible",
    "futile",
    "cap",
    "continue",
    "explore",
]


Design = Literal["sprt", "haybittle-peto"]


@dataclass(frozen=True)
class GatePlan:
    alpha: float = 0.05  # the most often a zero-effect edit may be kept
    max_stages: int = 8
    interim_alpha: float = 0.0025  # haybittle-peto: spent at each look before the last
    futility: tuple[float, ...] = (-0.5, 0.0, 0.3, 0.6, 0.8)  # haybittle-peto: z bounds
    best_min: int = 2  # drafts per topic of the best before any comparison
    best_ratio: float = 1.0  # ... and at least this many times the candidate's
    simplicity_margin: float = 0.5  # points a shorter edit may lose, shown not assumed
    verify_every: int = 2  # drift guard: re-measure the best after this many keeps (0: never)
    verify_stages: int = 2
    confirm_stages: int = 4  # fresh drafts per topic, each of baseline and best, for the headline
    design: Design = "sprt"
    target: float = 3.0  # sprt: the gain (points) the test is built to find ...
    power: float = 0.9  # ... and how often it should (1 - beta)

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 0.5:
            raise ValueError("alpha must be between 0 and 0.5")
        if (
            self.design == "haybittle-peto"
            and self.interim_alpha * (self.max_stages - 1) >= self.alpha
        ):
            raise ValueError("the interim looks would spend all of alpha")
        if self.max_stages < 1 or self.confirm_stages < 1:
            raise ValueError("max_stages and confirm_stages must be at least 1")
        if self.target <= 0:
            raise ValueError("the target gain must be above 0 points")
        if not 0.5 <= self.power < 1:
            raise ValueError("power must be at least 0.5 and below 1")

    @property
    def bounds(self) -> tuple[float, float]:
        """sprt: the log likelihood ratios that keep (upper) and discard (lower)."""
        beta = 1 - self.power
        return math.log((1 - beta) / self.alpha), math.log(beta / (1 - self.alpha))

    @property
    def final_alpha(self) -> float:
        """What the last look spends: alpha (sprt), or alpha less the interim looks'."""
        if self.design == "sprt":
            return self.alpha
        return self.alpha - self.interim_alpha * (self.max_stages - 1)

    def critical(self, stage: int, df: float, se: float = 0.0) -> float:
        """The z (t, with the noise's degrees of freedom) a difference must reach at `stage`;
        under the sprt, the z where the likelihood ratio meets its upper bound at this se."""
        if stage < self.max_stages and self.design == "sprt":
            return _z_at(self.bounds[0], self.target, se, self._wide(se, df))
        level = self.interim_alpha if stage < self.max_stages else self.final_alpha
        return t_quantile(1 - level, df)

    def _wide(self, se: float, df: float) -> float:
        """The sprt's likelihood ratio is for a known noise; a noise estimated from few drafts
        is widened by the t quantile over the normal one at alpha, so an early, lucky low
        estimate of the noise does not read as evidence (tests/test_gate.py simulates it)."""
        if df <= 0 or math.isinf(df):
            return se
        return se * t_quantile(1 - self.alpha, df) / z_quantile(1 - self.alpha)

    def futility_bound(self, stage: int, se: float = 0.0, df: float = math.inf) -> float:
        """The z below which a try is discarded after `stage` (-inf: never, at the last)."""
        if stage >= self.max_stages:
            return -math.inf
        if self.design == "sprt":
            return _z_at(self.bounds[1], self.target, se, self._wide(se, df))
        if stage > len(self.futility):
            return -math.inf
        return self.futility[stage - 1]

    def best_needed(self, candidate_per_topic: int) -> int:
        """Drafts per topic the best must have when the candidate has `candidate_per_topic`."""
        return max(self.best_min, math.ceil(self.best_ratio * candidate_per_topic))

    def fixed_looks(self) -> GatePlan:
        """The same plan under the Haybittle-Peto design (what --objective decides by)."""
        return replace(self, design="haybittle-peto")

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "futility": list(self.futility)}


def _z_at(llr: float, target: float, se: float, wide: float) -> float:
    """The z = d / se at which the sprt's log likelihood ratio, (target*d - target**2/2) /
    wide**2 with `wide` the (widened) standard error, equals `llr`. With no noise (a scripted
    world) any difference is certain: the bound is 0."""
    if se <= 0:
        return 0.0
    return (llr * wide**2 / target + target / 2) / se


@dataclass(frozen=True)
class StageVerdict:
    """What the gate saw and decided after one stage (a row of the experiment's `stages`)."""

    stage: int
    drafts: int  # candidate drafts so far (all topics)
    best_drafts: int
    mean: float
    ci95_low: float
    ci95_high: float
    z: float
    critical: float
    rule: Rule
    # Under an --objective with a second metric: each metric's oriented difference (positive
    # is better), its z and margin; the fields above are the primary's (or the weighted one's).
    metrics: dict[str, dict[str, Any]] | None = field(default=None, compare=False)

    @property
    def status(self) -> Status | None:
        if self.rule in ("superior", "non-inferior", "secondary", "weighted", "pareto", "feasible"):
            return "keep"
        if self.rule in ("futile", "cap"):
            return "discard"
        if self.rule == "explore":
            return "explore"
        return None

    def reason(self, margin: float) -> str:
        d = f"{self.mean:+.2f} (95% CI {self.ci95_low:+.2f} to {self.ci95_high:+.2f})"
        return {
            "superior": f"better by {d}: z {self.z:.2f} >= {self.critical:.2f} at stage {self.stage}",
            "non-inferior": f"shorter and not worse by {margin:g} or more: {d}, stage {self.stage}",
            "secondary": f"the second metric better and the first held: {d}, stage {self.stage}",
            "weighted": f"the weighted metric better by {d}: z {self.z:.2f} >= {self.critical:.2f}",
            "pareto": f"the second metric better and the first not worse: {d}, stage {self.stage}",
            "feasible": f"reached the threshold the best is short of: {d}, stage {self.stage}",
            "futile": f"{d} after stage {self.stage}: too unlikely to pass, stopped early",
            "cap": f"{d} after {self.stage} stages: no gain shown (z {self.z:.2f} < {self.critical:.2f})",
            "continue": f"{d}: undecided after stage {self.stage}",
            "explore": f"{d}: kept regardless (exploration step)",
        }[self.rule]

    def to_json(self) -> dict[str, object]:
        out = asdict(self)
        if out["metrics"] is None:
            del out["metrics"]
        for k in ("mean", "ci95_low", "ci95_high", "z", "critical"):
            v = out[k]
            out[k] = None if math.isinf(v) or math.isnan(v) else round(v, 3)
        return out


def judge_stage(
    plan: GatePlan, stage: int, diff: Difference, *, shorter: bool = False, explore: bool = False
) -> StageVerdict:
    crit = plan.critical(stage, diff.df, diff.se)
    z = diff.z
    low, high = diff.interval(0.95)
    shifted = diff.shifted_z(plan.simplicity_margin) if shorter else -math.inf
    if explore:
        rule: Rule = "explore"
    elif z >= crit and z > 0:
        rule = "superior"
    elif shifted >= crit and shifted > 0:
        rule = "non-inferior"
    elif stage >= plan.max_stages:
        rule = "cap"
    else:
        futile = max(z, shifted) < plan.futility_bound(stage, diff.se, diff.df)
        rule = "futile" if futile else "continue"
    return StageVerdict(stage, diff.n_a, diff.n_b, diff.mean, low, high, z, crit, rule)
