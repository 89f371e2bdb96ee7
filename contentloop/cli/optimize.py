"""`contentloop optimize-skill`: the autoresearch loop over a skill, and its --resume."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import ContentloopError
from .common import (
    BACKEND_HELP,
    PANEL_HELP,
    REQUIRE_CALIBRATED_HELP,
    app,
    backend_flags,
    demo_notice,
    emit_json,
    err,
    judge_calibration,
    make_backend_for,
    out,
    skill_setup,
    user_errors,
)


@app.command("optimize-skill")
def optimize_skill(
    topics: Path = typer.Option(
        Path("topics"), "--topics", help="Folder of training topics (*.yaml)."
    ),
    skill: str = typer.Option(
        "imagine", "--skill", "-s", help="Skill folder, or a name in skills/."
    ),
    rubric: str | None = typer.Option(
        None, "--rubric", "-r", help="Rubric (default: the skill's)."
    ),
    tag: str | None = typer.Option(
        None, "--tag", help="Run name: runs/<tag>/ and branch autoexp/<tag>."
    ),
    runs_root: Path = typer.Option(Path("runs"), "--runs", help="Where run folders go."),
    repeats: int = typer.Option(
        1, "--repeats", "-k", min=1, help="Drafts per topic in each stage of an evaluation."
    ),
    alpha: float = typer.Option(
        0.05,
        "--alpha",
        min=0.001,
        max=0.25,
        help="The most often an edit that changes nothing may be kept (the gate's false-keep rate).",
    ),
    max_stages: int = typer.Option(
        6,
        "--max-stages",
        min=1,
        max=20,
        help="Stages (one draft per topic each) before a try is discarded.",
    ),
    simplicity_margin: float = typer.Option(
        0.5,
        "--simplicity-margin",
        min=0.0,
        help="Points a shorter skill may lose and still be kept; the loss must be shown smaller.",
    ),
    verify_every: int = typer.Option(
        2,
        "--verify-every",
        min=0,
        help="Drift guard: re-measure the best after this many keeps (0: never).",
    ),
    baseline_drafts: int = typer.Option(
        8,
        "--baseline-drafts",
        min=1,
        help="Drafts per topic of the baseline, and the fewest the best skill is ever compared on.",
    ),
    confirm_drafts: int = typer.Option(
        4,
        "--confirm-drafts",
        min=1,
        help="Fresh drafts per topic of baseline and best for the final gain.",
    ),
    noise: float | None = typer.Option(
        None,
        "--noise",
        min=0.1,
        help="Points one draft's total varies by, assumed by the plan until the run measures its "
        "own (default: from the judge's calibration card, else 4).",
    ),
    require_calibrated: bool = typer.Option(
        False, "--require-calibrated", help=REQUIRE_CALIBRATED_HELP
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the plan (power, calls, cost) and stop before any call."
    ),
    max_experiments: int = typer.Option(10, "--max-experiments", min=0),
    max_cost_usd: float | None = typer.Option(None, "--max-cost-usd"),
    max_hours: float | None = typer.Option(None, "--max-hours"),
    abort_after_crashes: int = typer.Option(3, "--abort-after-crashes", min=1),
    experiment_timeout: float | None = typer.Option(
        None, "--experiment-timeout", help="Seconds; status timeout."
    ),
    explore_every: int | None = typer.Option(
        None, "--explore-every", min=2, help="Keep every Nth try regardless."
    ),
    no_git: bool = typer.Option(
        False, "--no-git", help="Keep snapshots in the run folder instead of git commits."
    ),
    backend: str | None = typer.Option(None, "--backend", help=f"Writer backend: {BACKEND_HELP}"),
    model: str | None = typer.Option(None, "--model"),
    base_url: str | None = typer.Option(None, "--base-url"),
    judge_backend: str | None = typer.Option(None, "--judge-backend"),
    judge_model: str | None = typer.Option(None, "--judge-model"),
    judge_base_url: str | None = typer.Option(None, "--judge-base-url"),
    judge_panel: str | None = typer.Option(None, "--judge-panel", help=PANEL_HELP),
    audit_judge_backend: str | None = typer.Option(
        None,
        "--audit-judge-backend",
        help="A judge of another family that re-scores the confirmation's drafts of baseline "
        "and best; a gain it does not see is flagged as possible judge gaming.",
    ),
    audit_judge_model: str | None = typer.Option(None, "--audit-judge-model"),
    audit_judge_base_url: str | None = typer.Option(None, "--audit-judge-base-url"),
    warm_start: Path | None = typer.Option(
        None,
        "--warm-start",
        help="Start from runs/<tag>'s best skill (its baseline measured afresh) and show the "
        "proposer that run's tries. Either run may have --lanes: every lane starts there, and "
        "a lanes run gives its best lane's skill and every lane's tries.",
    ),
    optimizer_backend_name: str | None = typer.Option(
        None,
        "--optimizer-backend",
        help=f"Proposer backend (default: the writer's): {BACKEND_HELP}",
    ),
    optimizer_base_url: str | None = typer.Option(
        None, "--optimizer-base-url", help="Proposer server URL (openai backend)."
    ),
    optimizer_model: str | None = typer.Option(
        None, "--optimizer-model", help="Proposer model (default: the writer's)."
    ),
    timeout: float | None = typer.Option(None, "--timeout"),
    concurrency: int = typer.Option(
        4, "--concurrency", min=1, help="Model calls in flight at once (writer, judge, optimizer)."
    ),
    no_cache: bool = typer.Option(False, "--no-cache"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    batch: bool = typer.Option(
        False,
        "--batch",
        help="Send drafts and verdicts through Anthropic Message Batches: half price, "
        "minutes to hours per experiment.",
    ),
    resume: str | None = typer.Option(
        None,
        "--resume",
        help="Continue runs/<TAG>/ after a crash, Ctrl-C or kill -9, with its saved settings.",
    ),
    holdout: Path | None = typer.Option(
        None,
        "--holdout",
        help="Folder of held-out topics: scored for the baseline and each new best, never shown to the optimizer.",
    ),
    objective: str = typer.Option(
        "score",
        "--objective",
        help="PRIMARY[,SECONDARY] from score, prompt_tokens, output_tokens, usd_per_post, "
        "seconds_per_post (score is higher-better, the rest lower-better).",
    ),
    objective_mode: str = typer.Option(
        "primary",
        "--objective-mode",
        help="How two metrics decide: primary (the second breaks ties within noise), "
        "lexicographic, threshold (hold the first at --threshold, minimise the second), "
        "weighted (first + --weight x second), pareto (one better, the other not worse).",
    ),
    threshold: float | None = typer.Option(
        None, "--threshold", help="threshold mode: the value the primary must be shown to hold."
    ),
    weight: float = typer.Option(
        1.0,
        "--weight",
        help="weighted mode: units of the primary one unit of the secondary is worth.",
    ),
    forever: bool = typer.Option(
        False,
        "--forever",
        help="No limit on experiments: run until --max-cost-usd, --max-hours, runs/<tag>/STOP "
        "or Ctrl-C ends it.",
    ),
    lanes: int = typer.Option(
        1,
        "--lanes",
        min=1,
        max=16,
        help="Searches run at once, each in its own worktree (branch autoexp/<tag>/lane-<i>), "
        "sharing --concurrency and every budget.",
    ),
    merge_every: int | None = typer.Option(
        None,
        "--merge-every",
        min=0,
        help="With --lanes: compose the lanes' kept edits every this many experiments (over all "
        "lanes) and adopt the composition only if the gate keeps it; the best lane tests it while "
        "the others go on (default: 2 per lane; 0: never).",
    ),
) -> None:
    """Hill-climb the skill: change one section, write every topic, score, keep or revert, log.

    Each try is measured in stages against the best skill on the same topics and kept only when
    a sequential paired test shows it better (at --alpha), or shorter and not worse by
    --simplicity-margin; at the end baseline and best are measured again with fresh drafts, and
    the confirmed gain, with its 95% interval, is the headline (docs/gate.md).

    Every try is a commit on branch autoexp/<tag> in a worktree under runs/<tag>/ (your branch
    and working tree are not touched); results go to runs/<tag>/results.tsv and
    experiments.jsonl. Create runs/<tag>/STOP to stop after the current try.

    Examples:

    \b
      contentloop optimize-skill --topics topics/ --max-experiments 3
      contentloop optimize-skill --topics topics/ --dry-run --noise 5
      contentloop optimize-skill --topics topics/ --repeats 2 --max-cost-usd 5 --alpha 0.02
      contentloop optimize-skill --topics topics/ --audit-judge-backend openai --audit-judge-base-url http://localhost:11434/v1 --audit-judge-model qwen2.5:7b
      contentloop optimize-skill --topics topics/ --objective score,prompt_tokens --objective-mode threshold --threshold 30
      contentloop optimize-skill --topics topics/ --lanes 4 --concurrency 16 --max-experiments 40
      contentloop optimize-skill --resume 20261122-2130
    """
    import asyncio
    from dataclasses import replace
    from datetime import datetime

    from ..llm import CallCache
    from ..llm.batch import batched
    from ..llm.ledger import price_for
    from ..optimize import Budget, GatePlan, OptimizeRun
    from ..optimize.lanes import (
        LanesRun,
        emphases,
        emphasis_text,
        lane_branch,
    )
    from ..optimize.loop import FOREVER
    from ..optimize.objective import Objective
    from ..optimize.planner import planned_noise
    from ..optimize.resume import ROLES, read_meta, reopen_lanes, reopen_run
    from ..paths import plain_name
    from ..report.live import OptimizeView
    from ..report.live_lanes import LanesView
    from ..report.terminal import render_optimize_summary, render_plan
    from ..skill import resolve_skill
    from ..topic import load_topics

    lanes_mode = lanes > 1
    if resume:
        with user_errors():
            lanes_mode = bool(read_meta(runs_root / plain_name(resume, "--resume")).get("lanes"))
    view = (LanesView if lanes_mode else OptimizeView)(err.console, resume or tag or "")
    show = view.event

    with user_errors():
        cache = None if no_cache else CallCache()
        if resume:
            run_dir = runs_root / plain_name(resume, "--resume")
            if read_meta(run_dir).get("lanes"):
                run = reopen_lanes(run_dir, cache=cache, on_event=show, timeout=timeout)
                first = run.lanes[0]
            else:
                run = first = reopen_run(run_dir, cache=cache, on_event=show, timeout=timeout)
            for role, ident in first.meta().items():
                if role in ROLES:
                    demo_notice(ident["backend"])
            run_tag = run.tag
        else:
            if tag:
                plain_name(tag, "--tag")  # before anything is loaded or written
            todo = load_topics(topics)
            skill_dir = resolve_skill(skill)
            wflags = backend_flags(backend, model, base_url, timeout)
            jflags = backend_flags(judge_backend, judge_model, judge_base_url, timeout, judge_panel)
            loaded_skill, loaded_rubric, writer_backend, judge_backend_obj = skill_setup(
                skill_dir, rubric, wflags, jflags
            )
            calibration = judge_calibration(
                loaded_rubric, judge_backend_obj, require=require_calibrated
            )
            usable = calibration.state in ("passed", "failed")
            assumed, noise_source = planned_noise(
                noise, calibration.retest_sd_total if usable else None
            )
            audit_backend = None
            if audit_judge_backend or audit_judge_model or audit_judge_base_url:
                audit_backend = make_backend_for(
                    "judge",
                    **backend_flags(
                        audit_judge_backend, audit_judge_model, audit_judge_base_url, timeout
                    ),
                )
                same = (audit_backend.name, audit_backend.model) == (
                    judge_backend_obj.name,
                    judge_backend_obj.model,
                )
                if same:
                    raise ContentloopError(
                        f"the audit judge is the judge itself ({audit_backend.name}:"
                        f"{audit_backend.model}); it cannot check what that judge sees.",
                        fix="pass --audit-judge-backend and --audit-judge-model of another "
                        "model family.",
                    )
            from ..llm.config import role_configured

            oflags = backend_flags(
                optimizer_backend_name, optimizer_model, optimizer_base_url, timeout
            )
            optimizer_backend = (
                make_backend_for("optimizer", writer_flags=wflags, **oflags)
                if any(v is not None for k, v in oflags.items() if k != "timeout")
                or role_configured("optimizer")
                else writer_backend
            )
            if batch:
                # Drafts and verdicts go as batches; the one proposal per experiment stays direct.
                writer_backend, judge_backend_obj = (
                    batched(writer_backend),
                    batched(judge_backend_obj),
                )
            run_tag = tag or datetime.now().strftime("%Y%m%d-%H%M%S")
            run_dir = runs_root / run_tag
            # A folder without run.json is a start that was killed at once: start it again.
            if (run_dir / "run.json").exists():
                raise ContentloopError(
                    "already exists.", path=run_dir, fix="pick another --tag, or --resume it."
                )
            try:
                gate = GatePlan(
                    alpha=alpha,
                    max_stages=max_stages,
                    interim_alpha=min(0.0025, alpha / (2 * max_stages)),
                    simplicity_margin=simplicity_margin,
                    verify_every=verify_every,
                    confirm_stages=confirm_drafts,
                    best_min=baseline_drafts,
                )
                goal = Objective.parse(objective, objective_mode, threshold, weight)
            except ValueError as exc:
                raise ContentloopError(
                    f"the gate's settings do not fit together: {exc}.",
                    fix="see `contentloop optimize-skill --help` for --objective and its modes.",
                ) from None
            if "usd_per_post" in goal.metrics and (
                price_for(writer_backend.name, writer_backend.model) is None
            ):
                raise ContentloopError(
                    f"--objective names usd_per_post, but the writer {writer_backend.name}:"
                    f"{writer_backend.model} has no price, so no draft would have a cost.",
                    fix="add its rates under [prices] in contentloop.toml, or pick another metric.",
                )
            budget = Budget(
                FOREVER if forever else max_experiments,
                max_cost_usd,
                max_hours,
                abort_after_crashes,
                experiment_timeout,
            )

            def new_run(**lane: object) -> OptimizeRun:
                settings = dict(
                    writer_backend=writer_backend,
                    judge_backend=judge_backend_obj,
                    optimizer_backend=optimizer_backend,
                    warm_start=warm_start,
                    run_dir=run_dir,
                    tag=run_tag,
                    repeats=repeats,
                    budget=budget,
                    explore_every=explore_every,
                    use_git=not no_git,
                    cache=cache,
                    concurrency=concurrency,
                    on_event=show,
                    holdout=load_topics(holdout) if holdout else None,
                    batch=batch,
                    gate=gate,
                    objective=goal,
                    assumed_noise=assumed,
                    noise_source=noise_source,
                    calibration=calibration.to_json(),
                    audit_backend=batched(audit_backend)
                    if batch and audit_backend
                    else audit_backend,
                )
                return OptimizeRun(skill_dir, todo, loaded_rubric, **{**settings, **lane})  # type: ignore[arg-type]

            # The plan is one run's, with the whole budget: lanes share it. --forever has no
            # whole, so its plan is that of 10 experiments.
            planning = new_run(budget=replace(budget, max_experiments=10)) if forever else new_run()
            if lanes == 1:
                run = new_run() if forever else planning
            else:
                limit = asyncio.Semaphore(concurrency)
                dealt = emphases(list(loaded_skill.spec.sections), lanes)

                def make_lane(i: int, resumed: bool) -> OptimizeRun:
                    return new_run(
                        run_dir=run_dir / f"lane-{i}",
                        tag=f"{run_tag}-lane-{i}",
                        branch=lane_branch(run_tag, i),
                        emphasis=emphasis_text(i, lanes, dealt[i]),
                        budget=Budget(
                            FOREVER,
                            abort_after_crashes=abort_after_crashes,
                            experiment_timeout_s=experiment_timeout,
                        ),
                        limit=limit,
                        resume=resumed,
                    )

                run = LanesRun(
                    make_lane,
                    lanes=lanes,
                    run_dir=run_dir,
                    tag=run_tag,
                    budget=budget,
                    merge_every=2 * lanes if merge_every is None else merge_every,
                    on_event=show,
                )
            est = planning.estimate()
            render_plan(err.console, est, len(todo), repeats, 10 if forever else max_experiments)
            if forever:
                ends = [
                    f"--max-cost-usd {max_cost_usd:g}" if max_cost_usd is not None else "",
                    f"--max-hours {max_hours:g}" if max_hours is not None else "",
                ]
                err.print(
                    "--forever: no limit on experiments; the figures above are per 10. It ends at "
                    + ", ".join([e for e in ends if e] + [f"{runs_root}/{run_tag}/STOP or Ctrl-C"])
                    + ("" if any(ends) else " (no cost or time limit is set: only you can stop it)")
                    + ".",
                    soft_wrap=True,
                    highlight=False,
                )
            if lanes > 1:
                err.print(
                    f"{lanes} lanes share that budget and {concurrency} calls in flight "
                    f"(--concurrency); they merge every {run.merge_every or 'never'} experiments.",
                    soft_wrap=True,
                    highlight=False,
                )
            if dry_run:
                if as_json:
                    emit_json(est)
                raise typer.Exit(0)
        view.tag = run_tag
        try:
            with view:
                summary = asyncio.run(run.run())
        except (KeyboardInterrupt, asyncio.CancelledError):
            err.print(
                f"stopped. The ledgers hold every finished experiment; continue with: "
                f"contentloop optimize-skill --runs {runs_root} --resume {run_tag}",
                soft_wrap=True,
            )
            raise typer.Exit(130) from None
        crashed = "consecutive crashes" in summary["stop_reason"]
        if crashed or summary["stop_reason"] in ("Ctrl-C", "STOP file found"):
            last = (
                run.ledger.records()[-1].get("reason", "")
                if crashed and isinstance(run, OptimizeRun)
                else ""
            )
            err.print(
                f"stopped ({summary['stop_reason']}){'; the last one: ' + last if last else ''}. "
                f"Once the cause is fixed, continue with: "
                f"contentloop optimize-skill --runs {runs_root} --resume {run_tag}",
                soft_wrap=True,
                highlight=False,
            )
    # An unattended run that gave up on failures exits 1, so cron or CI notices.
    code = 130 if summary["stop_reason"] == "Ctrl-C" else 1 if crashed else 0
    if as_json:
        emit_json(summary)
        raise typer.Exit(code)
    render_optimize_summary(out.console, summary, run_dir)
    if code:
        raise typer.Exit(code)
