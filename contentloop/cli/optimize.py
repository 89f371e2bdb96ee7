"""`contentloop optimize-skill`: the autoresearch loop over a skill, and its --resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from .common import (
    BACKEND_HELP,
    PANEL_HELP,
    REQUIRE_CALIBRATED_HELP,
    app,
    demo_notice,
    emit_json,
    err,
    out,
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
    target_gain: float = typer.Option(
        3.0,
        "--target-gain",
        min=0.1,
        help="The gain in points the gate is built to find: an edit worth this much is kept "
        "about 9 times in 10, an edit worth nothing at most --alpha of the time.",
    ),
    max_stages: int = typer.Option(
        8,
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
        2,
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
    options = dict(locals())  # every flag, by its parameter name (NewRun takes them)
    import asyncio

    from ..llm import CallCache
    from ..optimize.resume import ROLES, reopen
    from ..optimize.spec import load_spec
    from ..paths import plain_name
    from ..report.live import OptimizeView
    from ..report.live_lanes import LanesView
    from ..report.terminal import render_optimize_summary
    from .optimize_new import NewRun, new_run

    spec = None
    plan: dict[str, Any] | None = None  # a new run's estimate, set beside what it spent
    if resume:
        with user_errors():  # read once: it picks the live view, then the run is made from it
            run_dir = runs_root / plain_name(resume, "--resume")
            spec = load_spec(run_dir)
    lanes_mode = (spec.lanes if spec else lanes) > 1
    view = (LanesView if lanes_mode else OptimizeView)(err.console, resume or tag or "")
    show = view.event

    with user_errors():
        cache = None if no_cache else CallCache()
        if spec is not None:
            run = reopen(run_dir, cache=cache, on_event=show, timeout=timeout, spec=spec)
            for role in ROLES:
                demo_notice(getattr(run.spec, role).backend)
            run_tag = run.tag
        else:
            fields = NewRun.__dataclass_fields__
            run, run_dir, plan = new_run(
                NewRun(**{k: v for k, v in options.items() if k in fields}),
                cache=cache,
                on_event=show,
            )
            run_tag = run.tag
            if dry_run:
                raise typer.Exit(0)
            view.plan = plan
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
        crashed = run.stop.kind == "crashes"
        if crashed or run.stop.kind in ("ctrl_c", "stop_file"):
            last = run.lane.ledger.records()[-1].get("reason", "") if crashed and run.single else ""
            err.print(
                f"stopped ({summary['stop_reason']}){'; the last one: ' + last if last else ''}. "
                f"Once the cause is fixed, continue with: "
                f"contentloop optimize-skill --runs {runs_root} --resume {run_tag}",
                soft_wrap=True,
                highlight=False,
            )
    # An unattended run that gave up on failures exits 1, so cron or CI notices.
    code = 130 if run.stop.kind == "ctrl_c" else 1 if crashed else 0
    if as_json:
        emit_json(summary)
        raise typer.Exit(code)
    render_optimize_summary(out.console, summary, run_dir)
    if plan is not None and not forever:
        out.print(
            f"planned ~{plan['writer_calls']} drafts and ~{plan['calls']} calls (at most "
            f"{plan['writer_calls_max']} and {plan['calls_max']}); spent "
            f"{summary['writer_calls']} drafts and {summary['calls']} calls",
            highlight=False,
            soft_wrap=True,
        )
    if code:
        raise typer.Exit(code)
