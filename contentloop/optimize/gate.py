"""Keep or revert: a group-sequential, topic-paired test of candidate against best.

A candidate is measured in stages (one fresh draft per topic per stage, times --repeats). After
each stage the gate looks at the paired difference candidate - best (stats.paired_difference,
noise pooled over the whole run) and does one of:

- keep ("superior"): z >= the stage's critical value. Interim looks use a small fixed level
  (Haybittle-Peto: 0.0025 each, z ~ 2.8), the last look what is left of alpha. By the union
  bound the chance that a zero-effect edit crosses at any look is at most alpha (default 0.05).
- keep ("non-inferior"), only for an edit that makes the skill shorter: the same test on
  (difference + margin), i.e. the loss is shown to be smaller than --simplicity-margin. An
  equal score is never assumed from "inside the noise": it has to be shown.
- discard ("futile"): z below the stage's futility bound; the edit is very unlikely to pass by
  the last stage, so its remaining drafts are not worth writing. Futility bounds only ever
  turn keeps into discards, so they cannot raise the false-keep rate.
- discard ("cap"): the last stage passed without evidence.
- continue: write another stage.

The best skill is always measured at least as well as the candidate (plan.best_needed):
every draft of a skill accumulates, and the best's drafts are topped up as candidates grow.
Why this design and these numbers: docs/gate.md; measured in bench/gate_power.py.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .stats import Difference, t_quantile

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


@dataclass(frozen=True)
class GatePlan:
    alpha: float = 0.05  # the most often a zero-effect edit may be kept
    max_stages: int = 6
    interim_alpha: float = 0.0025  # spent at each look before the last
    futility: tuple[float, ...] = (-0.5, 0.0, 0.3, 0.6, 0.8)  # z bounds after stages 1, 2, ...
    best_min: int = 8  # drafts per topic of the best before any comparison
    best_ratio: float = 2.0  # ... and at least this many times the candidate's
    simplicity_margin: float = 0.5  # points a shorter edit may lose, shown not assumed
    verify_every: int = 2  # drift guard: re-measure the best after this many keeps (0: never)
    verify_stages: int = 2
    confirm_stages: int = 4  # fresh drafts per topic, each of baseline and best, for the headline

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 0.5:
            raise ValueError("alpha must be between 0 and 0.5")
        if self.interim_alpha * (self.max_stages - 1) >= self.alpha:
            raise ValueError("the interim looks would spend all of alpha")
        if self.max_stages < 1 or self.confirm_stages < 1:
            raise ValueError("max_stages and confirm_stages must be at least 1")

    @property
    def final_alpha(self) -> float:
        """What the last look spends: alpha less the interim looks'."""
        return self.alpha - self.interim_alpha * (self.max_stages - 1)

    def critical(self, stage: int, df: float) -> float:
        """The z (t, with the noise's degrees of freedom) a difference must reach at `stage`."""
        level = self.interim_alpha if stage < self.max_stages else self.final_alpha
        return t_quantile(1 - level, df)

    def futility_bound(self, stage: int) -> float:
        if stage >= self.max_stages or stage > len(self.futility):
            return -math.inf
        return self.futility[stage - 1]

    def best_needed(self, candidate_per_topic: int) -> int:
        """Drafts per topic the best must have when the candidate has `candidate_per_topic`."""
        return max(self.best_min, math.ceil(self.best_ratio * candidate_per_topic))

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "futility": list(self.futility)}


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
    crit = plan.critical(stage, diff.df)
    z = diff.z
    low, high = diff.interval(0.95)
    if explore:
        rule: Rule = "explore"
    elif z >= crit:
        rule = "superior"
    elif shorter and diff.shifted_z(plan.simplicity_margin) >= crit:
        rule = "non-inferior"
    elif stage >= plan.max_stages:
        rule = "cap"
    else:
        best_z = max(z, diff.shifted_z(plan.simplicity_margin)) if shorter else z
        rule = "futile" if best_z < plan.futility_bound(stage) else "continue"
    return StageVerdict(stage, diff.n_a, diff.n_b, diff.mean, low, high, z, crit, rule)
