"""`optimize-skill` without --resume: its flags turned into a RunSpec and backends, the plan
printed, and the run (one lane or several) made from the spec."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import ContentloopError
from ..llm import Backend, CallCache
from .common import (
    backend_flags,
    emit_json,
    err,
    judge_calibration,
    make_backend_for,
    skill_setup,
)


@dataclass
class NewRun:
    """The flags of `optimize-skill` that shape a new run (the command's own names)."""

    topics: Path
    skill: str
    rubric: str | None
    tag: str | None
    runs_root: Path
    repeats: int
    alpha: float
    target_gain: float
    max_stages: int
    simplicity_margin: float
    verify_every: int
    baseline_drafts: int
    confirm_drafts: int
    noise: float | None
    require_calibrated: bool
    dry_run: bool
    max_experiments: int
    max_cost_usd: float | None
    max_hours: float | None
    abort_after_crashes: int
    experiment_timeout: float | None
    explore_every: int | None
    no_git: bool
    backend: str | None
    model: str | None
    base_url: str | None
    judge_backend: str | None
    judge_model: str | None
    judge_base_url: str | None
    judge_panel: str | None
    audit_judge_backend: str | None
    audit_judge_model: str | None
    audit_judge_base_url: str | None
    warm_start: Path | None
    optimizer_backend_name: str | None
    optimizer_base_url: str | None
    optimizer_model: str | None
    timeout: float | None
    concurrency: int
    as_json: bool
    batch: bool
    holdout: Path | None
    objective: str
    objective_mode: str
    threshold: float | None
    weight: float
    forever: bool
    lanes: int
    merge_every: int | None


def new_run(
    f: NewRun, *, cache: CallCache | None, on_event: Any
) -> tuple[Any, Path, dict[str, Any]]:
    """The run the flags describe, its folder and its plan, after printing the plan (and, with
    --dry-run --json, the plan and the spec as JSON)."""
    from ..llm.batch import batched
    from ..optimize.lanes import emphases, emphasis_text
    from ..optimize.loop import OptimizeRun
    from ..optimize.planner import plan_run, planned_noise
    from ..optimize.spec import FOREVER, Backends, Budget, RunSpec, refuse_existing
    from ..paths import plain_name
    from ..report.terminal import render_plan
    from ..skill import resolve_skill
    from ..topic import load_topics

    if f.tag:
        plain_name(f.tag, "--tag")  # before anything is loaded or written
    todo = load_topics(f.topics)
    skill_dir = resolve_skill(f.skill)
    wflags = backend_flags(f.backend, f.model, f.base_url, f.timeout)
    jflags = backend_flags(
        f.judge_backend, f.judge_model, f.judge_base_url, f.timeout, f.judge_panel
    )
    loaded_skill, rubric, writer, judge = skill_setup(skill_dir, f.rubric, wflags, jflags)
    calibration = judge_calibration(rubric, judge, require=f.require_calibrated)
    usable = calibration.state in ("passed", "failed")
    assumed, noise_source = planned_noise(f.noise, calibration.retest_sd_total if usable else None)
    audit = _audit_backend(f, judge)
    optimizer = _optimizer_backend(f, wflags, writer)
    if f.batch:
        # Drafts and verdicts go as batches; the one proposal per experiment stays direct.
        writer, judge = batched(writer), batched(judge)
        audit = batched(audit) if audit else None
    run_tag = f.tag or datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = f.runs_root / run_tag
    # A folder without run.json is a start that was killed at once: start it again.
    refuse_existing(run_dir)
    gate, goal = _gate_and_objective(f, writer)
    budget = Budget(
        FOREVER if f.forever else f.max_experiments,
        f.max_cost_usd,
        f.max_hours,
        f.abort_after_crashes,
        f.experiment_timeout,
    )
    dealt = emphases(list(loaded_skill.spec.sections), f.lanes)
    holdout = load_topics(f.holdout) if f.holdout else []
    backends = Backends(writer, judge, optimizer, audit)
    spec = RunSpec.new(
        skill_dir,
        todo,
        rubric,
        backends,
        tag=run_tag,
        holdout=holdout,
        warm_start=f.warm_start,
        use_git=not f.no_git,
        repeats=f.repeats,
        budget=budget,
        gate=gate,
        objective=goal,
        assumed_noise=assumed,
        noise_source=noise_source,
        calibration=calibration.to_json(),
        explore_every=f.explore_every,
        concurrency=f.concurrency,
        batch=f.batch,
        lanes=f.lanes,
        merge_every=(2 * f.lanes if f.merge_every is None else f.merge_every) if f.lanes > 1 else 0,
        emphases=[emphasis_text(i, f.lanes, d) for i, d in enumerate(dealt)] if f.lanes > 1 else [],
    )
    run = OptimizeRun(
        spec,
        backends,
        run_dir=run_dir,
        cache=cache,
        on_event=on_event,
        rubric=rubric,
        topics=todo,
        holdout=holdout,
    )
    # The plan is one lane's, with the whole budget: lanes share it. --forever has no whole,
    # so its plan is that of 10 experiments.
    planning = spec.model_copy(
        update={"budget": replace(budget, max_experiments=10) if f.forever else budget}
    )
    est = plan_run(planning, backends, loaded_skill, rubric, todo, holdout)
    render_plan(err.console, est, len(todo), f.repeats, 10 if f.forever else f.max_experiments)
    _say_limits(f, run_tag, spec.merge_every)
    if f.dry_run and f.as_json:
        emit_json({**est, "spec": spec.model_dump(mode="json", exclude={"end"})})
    return run, run_dir, est


def _audit_backend(f: NewRun, judge: Backend) -> Backend | None:
    if not (f.audit_judge_backend or f.audit_judge_model or f.audit_judge_base_url):
        return None
    audit = make_backend_for(
        "judge",
        **backend_flags(
            f.audit_judge_backend, f.audit_judge_model, f.audit_judge_base_url, f.timeout
        ),
    )
    if (audit.name, audit.model) == (judge.name, judge.model):
        raise ContentloopError(
            f"the audit judge is the judge itself ({audit.name}:{audit.model}); it cannot "
            "check what that judge sees.",
            fix="pass --audit-judge-backend and --audit-judge-model of another model family.",
        )
    return audit


def _optimizer_backend(f: NewRun, wflags: dict[str, Any], writer: Backend) -> Backend:
    from ..llm.config import role_configured

    oflags = backend_flags(
        f.optimizer_backend_name, f.optimizer_model, f.optimizer_base_url, f.timeout
    )
    if any(v is not None for k, v in oflags.items() if k != "timeout") or role_configured(
        "optimizer"
    ):
        return make_backend_for("optimizer", writer_flags=wflags, **oflags)
    return writer


def _gate_and_objective(f: NewRun, writer: Backend) -> tuple[Any, Any]:
    from ..llm.ledger import price_for
    from ..optimize.gate import GatePlan
    from ..optimize.objective import Objective

    try:
        gate = GatePlan(
            alpha=f.alpha,
            target=f.target_gain,
            max_stages=f.max_stages,
            interim_alpha=min(0.0025, f.alpha / (2 * f.max_stages)),
            simplicity_margin=f.simplicity_margin,
            verify_every=f.verify_every,
            confirm_stages=f.confirm_drafts,
            best_min=f.baseline_drafts,
        )
        goal = Objective.parse(f.objective, f.objective_mode, f.threshold, f.weight)
    except ValueError as exc:
        raise ContentloopError(
            f"the gate's settings do not fit together: {exc}.",
            fix="see `contentloop optimize-skill --help` for --objective and its modes.",
        ) from None
    if "usd_per_post" in goal.metrics and price_for(writer.name, writer.model) is None:
        raise ContentloopError(
            f"--objective names usd_per_post, but the writer {writer.name}:{writer.model} has "
            "no price, so no draft would have a cost.",
            fix="add its rates under [prices] in contentloop.toml, or pick another metric.",
        )
    return gate, goal


def _say_limits(f: NewRun, run_tag: str, merge_every: int) -> None:
    if f.forever:
        ends = [
            f"--max-cost-usd {f.max_cost_usd:g}" if f.max_cost_usd is not None else "",
            f"--max-hours {f.max_hours:g}" if f.max_hours is not None else "",
        ]
        err.print(
            "--forever: no limit on experiments; the figures above are per 10. It ends at "
            + ", ".join([e for e in ends if e] + [f"{f.runs_root}/{run_tag}/STOP or Ctrl-C"])
            + ("" if any(ends) else " (no cost or time limit is set: only you can stop it)")
            + ".",
            soft_wrap=True,
            highlight=False,
        )
    if f.lanes > 1:
        err.print(
            f"{f.lanes} lanes share that budget and {f.concurrency} calls in flight "
            f"(--concurrency); they merge every {merge_every or 'never'} experiments.",
            soft_wrap=True,
            highlight=False,
        )
