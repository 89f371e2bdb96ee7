"""summary.json: what a finished (or stopped) run found, the confirmed gain first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from ..llm.ledger import spend_summary
from .records import Gain

if TYPE_CHECKING:
    from .lane import Lane


class AuditView(BaseModel):
    model_config = ConfigDict(extra="forbid")
    judge: str
    gain: Gain | None
    holds: bool | None
    judge_gaming_suspected: bool


class LaneSummary(BaseModel):
    """One lane of a --lanes run, as the terminal and summary.json show it."""

    model_config = ConfigDict(extra="forbid")
    index: int
    emphasis: str
    experiments: int
    kept: int
    best_mean: float
    branch: str


class MergeSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    merge: int
    after_experiments: int
    statuses: list[str]
    adopted: int | None
    description: str


class Summary(BaseModel):
    """summary.json: what a finished (or stopped) run found, the confirmed gain first. A --lanes
    run's adds the lanes, their merges and which lane's best was confirmed."""

    model_config = ConfigDict(extra="forbid")
    tag: str
    schema_version: Literal[2] = 2
    verdict: str
    confirmed_gain: Gain | None
    holdout_gain: Gain | None
    audit: AuditView | None
    in_loop_gain: Gain | None
    objective: dict[str, Any]
    baseline: float
    best: float
    best_commit: str
    holdout_baseline: float | None
    holdout_best: float | None
    overfit_warning: bool
    noise: float
    calibration: dict[str, Any] | None
    detectable_effect: float
    counts: dict[str, int]
    experiments: int
    stop_reason: str
    cost_usd: float | None
    calls: int
    writer_calls: int
    by_role: dict[str, dict[str, Any]]
    seconds: float
    adopt: str | None  # the command that adopts the best; None when it is the baseline
    adopt_recommended: bool
    best_skill: str
    best_lane: int | None = None
    lanes: list[LaneSummary] | None = None
    merges: list[MergeSummary] | None = None
    # The baseline early (its first drafts) and late (the confirmation's): a skill that did not
    # change, so a difference outside the noise is the judge or provider moving under the run.
    drift: Gain | None = None
    drift_warning: bool = False
    # The scale of every score above: the rubric's maximum, or its rule part's alone when the
    # judge was not measured (the demo model), with why.
    score_max: float | None = None
    judge_not_measured: str | None = None

    def to_json(self) -> dict[str, Any]:
        """summary.json's object (a single run's has no lanes keys)."""
        lanes = {"best_lane", "lanes", "merges"} if self.lanes is None else set()
        return self.model_dump(exclude=lanes)


def audit_view(
    run: Lane, shown_better: bool, audit: dict[str, Any] | None
) -> dict[str, Any] | None:
    """What the audit judge saw of the confirmed gain, and whether the gain holds under it."""
    if run.audit is None:
        return None
    backend = run.audit.client.backend
    holds = None if audit is None else audit["ci95_low"] > 0
    return {
        "judge": f"{backend.name}:{backend.model}",
        "gain": audit,
        "holds": holds,
        # The loop climbed one judge; a gain that judge confirms and another does not see may
        # be a skill that learned to please it rather than to write better.
        "judge_gaming_suspected": bool(shown_better and audit is not None and not holds),
    }


def verdict(confirmed: dict[str, Any] | None, *, kept_any: bool, stop: str) -> str:
    """One sentence a person reads first."""
    if not kept_any:
        return "no edit was kept: the best skill is the baseline"
    if confirmed is None:
        return f"not confirmed ({stop}); --resume finishes the run and confirms it"
    lo, hi, m = confirmed["ci95_low"], confirmed["ci95_high"], confirmed["mean"]
    span = f"{m:+.2f} points (95% CI {lo:+.2f} to {hi:+.2f})"
    if lo > 0:
        return f"confirmed gain {span} on fresh drafts"
    if hi < 0:
        return f"the best is worse than the baseline on fresh drafts: {span}; do not adopt it"
    return f"no measurable gain: {span} on fresh drafts includes 0"


def objective_view(run: Lane) -> dict[str, Any]:
    """The run's --objective, and each of its metrics for the baseline and the best."""
    from .objective import METRICS

    obj, st = run.objective, run.state

    def mean_of(metric: str, digest: str) -> float | None:
        if metric == "prompt_tokens":
            found = [
                r.metrics["prompt_tokens"]
                for r in run.records
                if r.skill == digest and r.metrics and "prompt_tokens" in r.metrics
            ]
            return found[-1] if found else None
        fn = METRICS[metric].per_draft
        values = [
            v
            for vs in run.measure.bank.totals(digest, run.measure.slugs, value=fn).values()
            for v in vs
        ]
        return round(sum(values) / len(values), 6) if values else None

    sides = {"baseline": st.baseline.skill if st.baseline else None, "best": st.best_skill}
    return {
        **obj.to_json(),
        "describe": obj.describe(),
        **{
            side: {m: mean_of(m, digest) for m in obj.metrics} if digest else None
            for side, digest in sides.items()
        },
    }


def summarize(run: Lane, seconds: float) -> Summary:
    m, st = run.measure, run.state
    base, done = st.baseline, st.confirmed
    confirmed = done.gain.model_dump() if done and done.gain else None
    holdout = done.holdout_gain.model_dump() if done and done.holdout_gain else None
    shown_better = bool(confirmed) and confirmed["ci95_low"] > 0
    audit = audit_view(
        run, shown_better, done.audit_gain.model_dump() if done and done.audit_gain else None
    )
    in_loop = None
    if base is not None and st.best_skill and st.best_skill != base.skill:
        in_loop = m.compare(m.totals(st.best_skill), m.totals(base.skill)).as_gain()
    holdout_means: dict[str, float | None] = {"baseline": None, "best": None}
    if done is not None and holdout is not None and base is not None:
        for key, digest in (("baseline", base.skill), ("best", st.best_skill)):
            mean = m.mean_of(digest, holdout=True, role="holdout", experiment=done.experiment)
            holdout_means[key] = round(mean, 3)
    baseline_commit = st.baseline.commit if st.baseline else None
    drift = done.drift if done else None
    drifted = drift is not None and (drift.ci95_low > 0 or drift.ci95_high < 0)
    return Summary(
        **{
            "tag": run.tag,
            "verdict": verdict(confirmed, kept_any=in_loop is not None, stop=run.stop.text)
            + (
                f"; the audit judge ({audit['judge']}) does not confirm it: possible judge gaming"
                if audit and audit["judge_gaming_suspected"]
                else ""
            ),
            "confirmed_gain": confirmed,
            "holdout_gain": holdout,
            "audit": audit,
            "in_loop_gain": in_loop,
            "objective": objective_view(run),
            "baseline": round(run.baseline_mean, 3),
            "best": round(run.best_mean, 3),
            "best_commit": st.best_commit,
            "holdout_baseline": holdout_means["baseline"],
            "holdout_best": holdout_means["best"],
            "overfit_warning": bool(shown_better and holdout and holdout["mean"] < 0),
            "noise": round(m.noise().sd, 3),
            "calibration": run.calibration,
            "detectable_effect": round(m.band(), 3),
            "counts": dict(st.counts),
            "experiments": st.last_experiment,
            "stop_reason": run.stop.text,
            **spend_summary(run.costs),
            "seconds": round(seconds, 1),
            # Printed either way when an edit was kept (the terminal says when the best is not
            # shown better); None when the best is the baseline, so there is nothing to adopt.
            "adopt": run.ws.adopt_command() if st.best_commit != baseline_commit else None,
            "adopt_recommended": shown_better,
            "best_skill": str(run.run_dir / "best-skill"),
            "drift": drift,
            "drift_warning": drifted,
            "score_max": run.rubric.binary.max_points
            if run.judge.not_measured
            else run.rubric.max_points,
            "judge_not_measured": run.judge.not_measured,
        }
    )
