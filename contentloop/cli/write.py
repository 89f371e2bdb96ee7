"""`contentloop write`: draft from a skill, then refine against the rubric."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import ContentloopError, from_os_error
from .common import (
    BACKEND_HELP,
    PANEL_HELP,
    REQUIRE_CALIBRATED_HELP,
    app,
    backend_flags,
    emit_json,
    err,
    judge_calibration,
    out,
    role_models,
    skill_setup,
    user_errors,
)


@app.command()
def write(
    topic: Path | None = typer.Option(None, "--topic", "-t", help="A topic YAML file."),
    topics: Path | None = typer.Option(
        None, "--topics", help="A folder of topic YAML files (all written concurrently)."
    ),
    skill: str = typer.Option(
        "imagine", "--skill", "-s", help="Skill folder, or a name in skills/."
    ),
    rubric: str | None = typer.Option(
        None, "--rubric", "-r", help="Rubric file or name (default: the skill's)."
    ),
    cycles: int = typer.Option(
        3, "--cycles", "-n", min=0, help="Refine cycles after the first draft."
    ),
    target: float = typer.Option(95.0, "--target", help="Stop early once a version scores this."),
    out_root: Path = typer.Option(
        Path("drafts"), "--out", help="Run folders go to OUT/<topic>/<run-id>/."
    ),
    backend: str | None = typer.Option(None, "--backend", help=f"Writer backend: {BACKEND_HELP}"),
    model: str | None = typer.Option(None, "--model", help="Writer model."),
    base_url: str | None = typer.Option(
        None, "--base-url", help="Writer server URL (openai backend)."
    ),
    judge_backend: str | None = typer.Option(
        None, "--judge-backend", help="Judge backend (default: the writer's)."
    ),
    judge_model: str | None = typer.Option(
        None, "--judge-model", help="Judge model (default: its own)."
    ),
    judge_base_url: str | None = typer.Option(None, "--judge-base-url"),
    judge_panel: str | None = typer.Option(None, "--judge-panel", help=PANEL_HELP),
    judge_samples: int = typer.Option(1, "--judge-samples", "-k", min=1),
    timeout: float | None = typer.Option(
        None, "--timeout", help="Seconds per model call before retrying."
    ),
    concurrency: int = typer.Option(
        2, "--concurrency", min=1, help="Topics written at once (all of them with --batch)."
    ),
    batch: bool = typer.Option(
        False,
        "--batch",
        help="Send drafts and verdicts through Anthropic Message Batches: half price, minutes "
        "to hours per step. Killed? Run the same command again: answered calls come from the "
        "cache and a batch still in progress is collected, not paid for twice.",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Always call the models."),
    as_json: bool = typer.Option(False, "--json", help="Print each run.json, one per line."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the most it can cost (calls, tokens, dollars) and stop."
    ),
    require_calibrated: bool = typer.Option(
        False, "--require-calibrated", help=REQUIRE_CALIBRATED_HELP
    ),
) -> None:
    """Write a post from a skill and a topic, then refine it: score, fix what failed, re-score, keep the best.

    Each run leaves OUT/<topic>/<run-id>/ with v0.md, v1.md, ... (each with its .score.json),
    final.md (the best version) and run.json.

    Examples:

    \b
      contentloop write --topic topics/private-5g.yaml --cycles 3
      contentloop write --topics topics/ --concurrency 3 --json
      contentloop write --topic topics/techdocs/install-cli.yaml --skill techdocs
      contentloop write --topics topics/ --backend anthropic --dry-run
      contentloop write --topics topics/ --backend anthropic --batch
    """
    import asyncio

    from ..llm import CallCache
    from ..report.live import WriteView
    from ..report.terminal import render_write_summary
    from ..topic import load_topic, load_topics
    from ..writer import write_many

    with user_errors():
        if (topic is None) == (topics is None):
            raise ContentloopError("give exactly one of --topic FILE or --topics FOLDER.")
        todo = [load_topic(topic)] if topic is not None else load_topics(topics)  # type: ignore[arg-type]
        wflags = backend_flags(backend, model, base_url, timeout)
        jflags = backend_flags(judge_backend, judge_model, judge_base_url, timeout, judge_panel)
        if dry_run:
            # Prices need only each role's backend and model names: nothing is built, so no
            # key, server or model load is needed to read what a run would cost.
            from ..rubric import load_rubric
            from ..skill import load_skill
            from ..write_plan import plan_write

            plain_skill = load_skill(skill)
            writer_model, judge_models = (
                role_models("writer", wflags)[0],
                role_models("judge", jflags, wflags),
            )
            if batch and {b for b, _ in [writer_model, *judge_models]} != {"anthropic"}:
                raise ContentloopError(
                    "--batch needs the anthropic backend for the writer and the judge.",
                    fix="drop --batch, or use --backend anthropic (and --judge-backend anthropic).",
                )
            plan = plan_write(
                todo,
                plain_skill,
                load_rubric(rubric or plain_skill.spec.rubric),
                writer_model,
                judge_models,
                cycles=cycles,
                judge_samples=judge_samples,
                batch=batch,
            )
            if as_json:
                emit_json(plan)
            else:
                _print_plan(plan)
            return
        loaded_skill, loaded_rubric, writer_backend, judge_backend_obj = skill_setup(
            skill, rubric, wflags, jflags
        )
        if batch:
            from ..llm.batch import batched

            # Every topic at once, so each step's calls across topics go as one batch.
            writer_backend, judge_backend_obj = batched(writer_backend), batched(judge_backend_obj)
            concurrency = len(todo)
        calibration = judge_calibration(
            loaded_rubric, judge_backend_obj, require=require_calibrated
        )
        view = WriteView((err if as_json else out).console, [t.slug for t in todo], cycles, target)
        with view:
            results = asyncio.run(
                write_many(
                    todo,
                    loaded_skill,
                    loaded_rubric,
                    writer_backend=writer_backend,
                    judge_backend=judge_backend_obj,
                    judge_samples=judge_samples,
                    cache=None if no_cache else CallCache(),
                    out_root=out_root,
                    cycles=cycles,
                    target=target,
                    concurrency=concurrency,
                    on_event=view.event,
                    calibration=calibration.to_json(),
                )
            )
    failed = [r for r in results if isinstance(r, BaseException)]
    for r in results:
        if isinstance(r, BaseException):
            continue
        if as_json:
            emit_json(r.to_json())
        else:
            out.print()
            render_write_summary(out.console, r)
    from rich.text import Text

    for exc in failed:
        if isinstance(exc, KeyboardInterrupt):
            raise typer.Exit(130)
        if isinstance(exc, OSError):
            exc = from_os_error(exc)
        err.print(Text("error: ", style="bold red") + Text(str(exc)), soft_wrap=True)
        if not isinstance(exc, ContentloopError):
            raise exc
    if failed:
        err.print(
            "versions already written are kept; each run folder's run.json says where it stopped.",
            soft_wrap=True,
        )
        raise typer.Exit(2)


def _print_plan(plan: dict) -> None:
    cost = plan["cost_usd_max"]
    out.print(
        f"{plan['topics']} topic(s), up to {plan['versions_max']} versions: at most "
        f"{plan['writer_calls_max']} writer calls ({plan['writer']}) and "
        f"{plan['judge_calls_max']} judge calls ({plan['judge']}), about "
        f"{plan['input_tokens_max']:,} input + {plan['output_tokens_max']:,} output tokens, "
        + (
            "cost unknown (a model without a price: add it under [prices] in contentloop.toml)"
            if cost is None
            else f"at most ${cost:.4f}"
        )
        + (" (Message Batches: half the list price)" if plan["batch"] else "")
        + f". The final: {plan['final_rule']} ({plan['confirm_judge_calls_max']} of the judge "
        "calls). Nothing was called.",
        soft_wrap=True,
        highlight=False,
    )
