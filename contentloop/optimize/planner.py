"""The pre-run estimate: what the budget buys in calls and dollars, and in power.

Power first: with the per-draft noise (stated, or measured by an earlier run), the number of
topics and the stage caps, the smallest true gain one experiment detects with 80% probability.
A run whose detectable effect is above 3 points will mostly discard real improvements, and the
user should hear that before paying for it.

Calls: the gate stops most experiments early, so the expected number of stages comes from
simulating the gate itself (gate.judge_stage) on edits that change nothing, the common case.
The cap (every experiment to its last stage, every keep topped up) is printed beside it.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any

from .gate import GatePlan, judge_stage
from .stats import Difference, detectable_effect

if TYPE_CHECKING:
    from ..rubric import Rubric
    from ..skill import Skill
    from ..topic import Topic
    from .spec import Backends, RunSpec

WARN_ABOVE = 3.0  # points: above this, a run mostly cannot see the gains edits make
DEFAULT_NOISE = 4.0
# The part of a draft's spread a calibration card cannot see: two drafts the writer makes from
# one skill and topic differ in quality too. 3 points is what the scripted and embedded runs
# show; a run replaces the whole assumption with its own measurement after two drafts a topic.
WRITER_SPREAD = 3.0


def planned_noise(stated: float | None, judge_sd: float | None) -> tuple[float, str]:
    """The per-draft noise the plan assumes, and where it comes from: --noise when given, else
    the judge's test-retest SD from its calibration card combined with the writer's spread."""
    if stated is not None:
        return stated, "--noise"
    if judge_sd is not None and judge_sd > 0:
        return round(math.hypot(judge_sd, WRITER_SPREAD), 2), (
            f"the judge's test-retest SD {judge_sd:g} from its calibration card, with "
            f"{WRITER_SPREAD:g} assumed for the writer"
        )
    return DEFAULT_NOISE, "the default; --noise or a calibration card sets it"


def expected_stages(
    plan: GatePlan, sd: float, topics: int, repeats: int, effect: float = 0.0, trials: int = 2000
) -> float:
    """Mean stages per experiment for edits with true `effect`, by simulating the gate on
    normal noise (seeded, so the estimate is the same every time)."""
    rng = random.Random(7)
    total = 0
    for _ in range(trials):
        cand_sum = 0.0
        for stage in range(1, plan.max_stages + 1):
            n = stage * repeats
            m = plan.best_needed(n)
            cand_sum += sum(rng.gauss(effect, sd) for _ in range(repeats * topics))
            # The best's mean is known to within sd/sqrt(m*topics); draw it once per stage
            # (a simplification that slightly overstates early stops).
            best_err = rng.gauss(0.0, sd / math.sqrt(m * topics))
            mean = cand_sum / (n * topics) - best_err
            se = sd * math.sqrt((1 / n + 1 / m) / topics)
            diff = Difference(mean, se, 10**6, topics, n * topics, m * topics)
            if judge_stage(plan, stage, diff, shorter=False).status:
                break
        total += stage
    return total / trials


def plan_run(
    spec: RunSpec,
    backends: Backends,
    skill: Skill,
    rubric: Rubric,
    topics: list[Topic],
    holdout: list[Topic],
) -> dict[str, Any]:
    """The plan of the run `spec` describes, before anything is spent or written."""
    from ..judge import system_prompt
    from ..llm.ledger import BATCH_PRICE, estimate_usd

    g, r, n_topics = spec.gate, spec.repeats, len(topics)
    sd = spec.assumed_noise
    x = spec.budget.max_experiments
    cap_n = g.max_stages * r
    mde = detectable_effect(sd, n_topics, cap_n, g.best_needed(cap_n), alpha=g.final_alpha)
    stages = expected_stages(g, sd, n_topics, r)
    baseline = g.best_needed(r) * n_topics
    confirm = 2 * g.confirm_stages * r * (n_topics + len(holdout))
    verify_cap = g.verify_stages * r * n_topics * (x // g.verify_every if g.verify_every else 0)
    expected = baseline + round(x * stages * r * n_topics) + (confirm if x else 0)
    # At most: every try to its last stage, kept, its best topped up, every drift check.
    top_up = (g.best_needed(cap_n) - cap_n) * n_topics
    most = baseline + x * (cap_n * n_topics + top_up) + verify_cap + (confirm if x else 0)

    out_words = sum(t.target_words for t in topics) / max(1, n_topics)
    writer_in, writer_out = len(skill.prompt) / 4 + 150, out_words * 1.4
    judge_in, judge_out = len(system_prompt(rubric)) / 4 + writer_out, 600
    opt_in, opt_out = skill.chars / 4 + 1500, 800

    # A judge that is not measured (the demo model) is never called: the totals are the rule
    # checks alone, so the plan counts no judge call, token or dollar for it.
    judged = 0 if getattr(backends.judge, "judge_not_measured", None) else 1

    def cost(drafts: float) -> tuple[float | None, int, int]:
        parts = [
            (backends.writer, drafts * writer_in, drafts * writer_out),
            (backends.judge, judged * drafts * judge_in, judged * drafts * judge_out),
            (backends.optimizer, x * opt_in, x * opt_out),
        ]
        # --batch: drafts and verdicts at the batch price; the proposals go direct.
        calls = estimate_usd([(b.name, b.model, tin, tout) for b, tin, tout in parts[:2]])
        proposals = estimate_usd([(b.name, b.model, tin, tout) for b, tin, tout in parts[2:]])
        usd = None
        if calls is not None and proposals is not None:
            usd = calls * (BATCH_PRICE if spec.batch else 1.0) + proposals
        return (
            None if usd is None else round(usd, 2),
            int(sum(p[1] for p in parts)),
            int(sum(p[2] for p in parts)),
        )

    # The audit judge scores the confirmation's training-topic drafts once more.
    audit = 2 * g.confirm_stages * r * n_topics if backends.audit is not None and x else 0
    usd, tin, tout = cost(expected)
    usd_most, _, _ = cost(most)
    warning = None
    if mde > WARN_ABOVE:
        warning = (
            f"this run can only detect gains of {mde:.1f} points or more (80% power) at a noise of "
            f"{sd:g} per draft; smaller real improvements will mostly be discarded. More topics "
            f"or --repeats lower it."
        )
    return {
        "objective": None if spec.objective.is_default else spec.objective.describe(),
        "assumed_noise": sd,
        "noise_source": spec.noise_source,
        "detectable_effect": round(mde, 2),
        "alpha": g.alpha,
        "expected_stages": round(stages, 2),
        "writer_calls": expected,
        "writer_calls_max": most,
        "calls": (1 + judged) * expected + x + audit,
        "calls_max": (1 + judged) * most + x + audit,
        "judge_calls": judged * expected,
        "input_tokens": tin,
        "output_tokens": tout,
        "cost_usd": usd,
        "cost_usd_max": usd_most,
        "batch": spec.batch,
        "warning": warning,
    }
