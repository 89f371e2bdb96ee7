"""What a run optimizes: a primary metric, an optional secondary one, and how they decide.

Metrics (every experiment records all of them):

- `score`: the draft's total (higher is better);
- `prompt_tokens`: the skill's system prompt, in tokens: a property of the skill, so a
  difference is exact and needs no test;
- `output_tokens`, `usd_per_post`, `seconds_per_post`: what writing one draft took (lower is
  better); measured per draft, so each has its own noise, pooled over the run like the score's.

Modes, each a rule over tests the gate already makes (one-sided, at the stage's critical
value, every metric with its own noise; "better" and "not worse" are shown, never assumed):

- `primary`: keep when the primary is better; or when it is not worse by its margin and the
  secondary is better (the secondary breaks ties within noise). With no secondary, the tie
  breaker is the skill's length, as before objectives existed.
- `lexicographic`: keep when the primary is better; or when it is shown equal (within its
  margin both ways) and the secondary is better.
- `threshold`: hold the primary at `threshold` and minimise the secondary ("the shortest
  prompt that keeps quality"). Keep when the candidate's primary is shown at or past the
  threshold and the secondary is better. While the best is short of the threshold, a
  candidate that is better on the primary, or shown past the threshold, is kept.
- `weighted`: one metric per draft, primary + weight x secondary (each signed so higher is
  better: `score,prompt_tokens` with weight 0.01 is score - 0.01 x prompt tokens); keep when it
  is better.
- `pareto`: keep when one metric is better and the other not worse by its margin; `report`
  draws every try on the two axes with the non-dominated frontier.

Margins, what "not worse" allows: the score's is --simplicity-margin (points); prompt tokens'
is 0 (exact: no longer at all); the per-draft costs' is 5% of the best's mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from .gate import GatePlan, Rule, StageVerdict
from .stats import Difference, Noise, one_sample, paired_difference, pooled_noise

if TYPE_CHECKING:
    from .measure import Measure
    from .samples import Sample

Mode = Literal["primary", "lexicographic", "threshold", "weighted", "pareto"]
MODES: tuple[Mode, ...] = ("primary", "lexicographic", "threshold", "weighted", "pareto")


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    per_draft: Callable[[Sample], float | None] | None  # None: a property of the skill
    unit: str
    relative_margin: float = 0.0  # "not worse" allows this share of the best's mean


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("score", True, lambda s: s.total, "points"),
        Metric("prompt_tokens", False, None, "tokens"),
        Metric("output_tokens", False, lambda s: s.writer_output_tokens, "tokens", 0.05),
        Metric("usd_per_post", False, lambda s: s.writer_cost_usd, "USD", 0.05),
        Metric("seconds_per_post", False, lambda s: s.writer_seconds, "s", 0.05),
    )
}


@dataclass(frozen=True)
class Objective:
    primary: str = "score"
    secondary: str | None = None
    mode: Mode = "primary"
    threshold: float | None = (
        None  # threshold mode: the primary's floor (its ceiling if lower is better)
    )
    weight: float = 1.0  # weighted mode: primary units per unit of secondary

    def __post_init__(self) -> None:
        for name in (self.primary, self.secondary):
            if name is not None and name not in METRICS:
                raise ValueError(f"unknown metric {name!r}; one of {', '.join(METRICS)}")
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; one of {', '.join(MODES)}")
        if self.secondary == self.primary:
            raise ValueError("the secondary metric must differ from the primary")
        if self.mode != "primary" and self.secondary is None:
            raise ValueError(f"mode {self.mode} needs a secondary metric (--objective A,B)")
        if self.mode == "threshold" and self.threshold is None:
            raise ValueError("mode threshold needs --threshold")
        if self.mode == "weighted" and not self.weight > 0:
            raise ValueError("mode weighted needs a --weight above 0")

    @classmethod
    def parse(
        cls, spec: str, mode: str = "primary", threshold: float | None = None, weight: float = 1.0
    ) -> Objective:
        """From `--objective PRIMARY[,SECONDARY]` and the mode's settings."""
        names = [n.strip() for n in spec.split(",") if n.strip()]
        if not 1 <= len(names) <= 2:
            raise ValueError(f"--objective takes one or two metrics, got {spec!r}")
        return cls(names[0], names[1] if len(names) > 1 else None, mode, threshold, weight)  # type: ignore[arg-type]

    @property
    def metrics(self) -> list[str]:
        return [self.primary, *([self.secondary] if self.secondary else [])]

    @property
    def is_default(self) -> bool:
        return self.secondary is None and self.primary == "score"

    def describe(self) -> str:
        p, s = self.primary, self.secondary
        if s is None:
            return p + (" (a shorter skill that is not worse is kept)" if p == "score" else "")
        if self.mode == "threshold":
            sign = ">=" if METRICS[p].higher_is_better else "<="
            return f"{s}, holding {p} {sign} {self.threshold:g}"
        if self.mode == "weighted":
            first = p if METRICS[p].higher_is_better else f"-{p}"
            sign = "+" if METRICS[s].higher_is_better else "-"
            return f"{first} {sign} {self.weight:g} x {s}, higher is better"
        return {
            "primary": f"{p}; {s} breaks ties within noise",
            "lexicographic": f"{p}, then {s} when {p} is shown equal",
            "pareto": f"{p} and {s}: one better, the other not worse",
        }[self.mode]

    def weighted_value(self, primary: float, secondary: float) -> float:
        """The weighted mode's one metric, signed so that higher is better."""
        return _signed(self.primary, primary) + self.weight * _signed(
            self.secondary or "", secondary
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# Where each metric is in an experiments.jsonl record's `metrics`.
RECORD_KEYS = {
    "score": "mean",
    "prompt_tokens": "prompt_tokens",
    "output_tokens": "output_tokens_per_post",
    "usd_per_post": "writer_usd_per_post",
    "seconds_per_post": "writer_seconds_per_post",
}


def frontier(points: list[dict[str, Any]], primary: str, secondary: str) -> list[dict[str, Any]]:
    """The points ({"x": secondary, "y": primary, ...}) that no other point beats on both
    metrics at once, in order of x."""

    def key(p: dict[str, Any]) -> tuple[float, float]:
        return _signed(primary, p["y"]), _signed(secondary, p["x"])

    def dominated(p: dict[str, Any]) -> bool:
        a = key(p)
        return any(
            b[0] >= a[0] and b[1] >= a[1] and b != a for b in (key(q) for q in points if q is not p)
        )

    return sorted((p for p in points if not dominated(p)), key=lambda p: p["x"])


def _signed(metric: str, value: float) -> float:
    return value if METRICS[metric].higher_is_better else -value


def oriented(metric: str, diff: Difference) -> Difference:
    """The difference with its sign turned so that positive is better."""
    if METRICS[metric].higher_is_better:
        return diff
    return Difference(-diff.mean, diff.se, diff.df, diff.topics, diff.n_a, diff.n_b)


def margin(metric: str, best_mean: float, score_margin: float) -> float:
    if metric == "score":
        return score_margin
    return METRICS[metric].relative_margin * abs(best_mean)


# --- the decision -------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One stage's tests, per metric, every difference oriented so that positive is better."""

    diffs: Mapping[str, Difference]  # candidate - best; "weighted" for the weighted mode
    margins: Mapping[str, float]
    feasible: Difference | None = None  # threshold: candidate's primary minus the threshold
    best_feasible: bool = True  # threshold: the best's mean is at or past the threshold


def evidence(
    objective: Objective,
    measure: Measure,
    candidate: str,
    best: str,
    prompt_tokens: Mapping[str, int],
    score_margin: float,
) -> Evidence:
    """Candidate against best on every metric the objective names, each with its own noise:
    the score's is the run's pooled noise (with its prior); a per-draft cost's is pooled the
    same way from its own values; prompt tokens are exact."""

    def value(metric: str) -> Callable[[Sample], float | None]:
        if metric == "prompt_tokens":
            # Constant within a skill: it adds nothing to the within-cell noise.
            return lambda s: float(prompt_tokens.get(s.skill, 0))
        if objective.mode == "weighted" and metric == "weighted":
            p, q = value(objective.primary), value(objective.secondary or "")

            def combined(s: Sample) -> float | None:
                a, b = p(s), q(s)
                return None if a is None or b is None else objective.weighted_value(a, b)

            return combined
        fn = METRICS[metric].per_draft
        assert fn is not None
        return fn

    def noise(metric: str) -> Noise:
        if metric == "score":
            return measure.noise()
        return pooled_noise(measure.bank.cells(measure.slugs, value(metric)))

    def difference(metric: str) -> Difference:
        a = measure.bank.totals(candidate, measure.slugs, value=value(metric))
        b = measure.bank.totals(best, measure.slugs, value=value(metric))
        n = noise(metric)
        try:
            d = paired_difference(a, b, n)
        except ValueError:  # a metric these drafts did not record (an unpriced model's USD)
            return Difference(0.0, math.inf, 0, 0, 0, 0)
        if metric == "prompt_tokens":
            d = Difference(d.mean, 0.0, d.df, d.topics, d.n_a, d.n_b)
        elif n.df < 2:
            d = Difference(d.mean, math.inf, d.df, d.topics, d.n_a, d.n_b)
        return d if metric == "weighted" else oriented(metric, d)

    names = ["weighted"] if objective.mode == "weighted" else objective.metrics
    diffs = {name: difference(name) for name in names}
    margins = {}
    for name in objective.metrics:
        best_values = [
            v
            for vs in measure.bank.totals(best, measure.slugs, value=value(name)).values()
            for v in vs
        ]
        best_mean = sum(best_values) / len(best_values) if best_values else 0.0
        margins[name] = margin(name, best_mean, score_margin)
    feasible, best_feasible = None, True
    if objective.mode == "threshold":
        p = objective.primary
        sign = 1.0 if METRICS[p].higher_is_better else -1.0
        target = float(objective.threshold or 0.0)

        def past(skill: str) -> Difference:
            d = one_sample(
                measure.bank.totals(skill, measure.slugs, value=value(p)), target, noise(p)
            )
            se = 0.0 if p == "prompt_tokens" else d.se
            return Difference(sign * d.mean, se, d.df, d.topics, d.n_a, d.n_b)

        feasible = past(candidate)
        best_feasible = past(best).mean >= 0
    return Evidence(diffs, margins, feasible, best_feasible)


def _z(d: Difference, shift: float = 0.0, *, inclusive: bool = False) -> float:
    """z of (d + shift). An exact difference (se 0) is certain either way; a tie passes only
    an `inclusive` test (not worse, within the threshold), never "better". No noise measured
    yet (se infinite) shows nothing."""
    if d.se == 0:
        total = d.mean + shift
        if total > 0 or (inclusive and total == 0):
            return math.inf
        return -math.inf if total < 0 else 0.0
    return (d.mean + shift) / d.se if math.isfinite(d.se) else 0.0


def decide(
    plan: GatePlan, objective: Objective, stage: int, ev: Evidence, explore: bool = False
) -> StageVerdict:
    """Keep, discard or continue after `stage`, by the objective's mode. Each route to a keep
    is a set of tests that must all pass; the verdict's z is the primary's. Futility: when no
    route's weakest test is above the stage's futility bound, the try stops early. The tests
    are Haybittle-Peto's: the sprt's target is a gain in score points, and a second metric
    (tokens, dollars) has no such scale."""
    plan = plan.fixed_looks()
    p, s = objective.primary, objective.secondary
    dp = ev.diffs["weighted"] if objective.mode == "weighted" else ev.diffs[p]

    def crit(d: Difference) -> float:
        return plan.critical(stage, d.df)

    def better(metric: str) -> tuple[float, float]:
        d = ev.diffs[metric]
        return _z(d), crit(d)

    def not_worse(metric: str) -> tuple[float, float]:
        d = ev.diffs[metric]
        return _z(d, ev.margins[metric], inclusive=True), crit(d)

    def not_better(metric: str) -> tuple[float, float]:  # the upper half of "shown equal"
        d = ev.diffs[metric]
        flipped = Difference(-d.mean, d.se, d.df, d.topics, d.n_a, d.n_b)
        return _z(flipped, ev.margins[metric], inclusive=True), crit(d)

    routes: dict[Rule, list[tuple[float, float]]] = {}
    mode = objective.mode
    if mode == "weighted":
        routes["weighted"] = [(_z(dp), crit(dp))]
    elif mode == "threshold":
        assert s is not None and ev.feasible is not None
        reached = (_z(ev.feasible, inclusive=True), crit(ev.feasible))
        if ev.best_feasible:
            routes["secondary"] = [reached, better(s)]
        else:
            routes["superior"] = [better(p)]
            routes["feasible"] = [reached]
    else:
        routes["superior"] = [better(p)]
        if s is not None and mode == "primary":
            routes["secondary"] = [not_worse(p), better(s)]
        elif s is not None and mode == "lexicographic":
            routes["secondary"] = [not_worse(p), not_better(p), better(s)]
        elif s is not None and mode == "pareto":
            routes["pareto"] = [not_worse(p), better(s)]
            routes["superior"] = [better(p), not_worse(s)]
    rule: Rule
    if explore:
        rule = "explore"
    else:
        passed = [r for r, tests in routes.items() if all(z >= c for z, c in tests)]
        if passed:
            rule = passed[0]
        elif stage >= plan.max_stages:
            rule = "cap"
        else:
            strongest = max(min(z for z, _ in tests) for tests in routes.values())
            rule = "futile" if strongest < plan.futility_bound(stage) else "continue"
    low, high = dp.interval(0.95)
    return StageVerdict(
        stage,
        dp.n_a,
        dp.n_b,
        dp.mean,
        low,
        high,
        _z(dp),
        crit(dp),
        rule,
        metrics={
            name: {
                "mean": round(d.mean, 4),
                "z": _finite(_z(d)),
                "margin": round(ev.margins.get(name, 0.0), 4),
            }
            for name, d in ev.diffs.items()
        }
        | (
            {
                "threshold": {
                    "mean": round(ev.feasible.mean, 4),
                    "z": _finite(_z(ev.feasible, inclusive=True)),
                }
            }
            if ev.feasible is not None
            else {}
        ),
    )


def _finite(z: float) -> float | None:
    return None if math.isinf(z) or math.isnan(z) else round(z, 3)
