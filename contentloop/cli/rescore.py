"""`contentloop rescore`: judge saved drafts again with another judge or rubric, write nothing."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import (
    BACKEND_HELP,
    PANEL_HELP,
    app,
    backend_flags,
    emit_json,
    err,
    make_judge,
    out,
    progress_bar,
    role_models,
    user_errors,
)


@app.command()
def rescore(
    source: Path = typer.Argument(
        ...,
        help="A write run (drafts/<topic>/<run>), an optimize run (runs/<tag>), a calibration "
        "set (calibration/<rubric>), a folder of drafts, or one draft.",
    ),
    rubric: str = typer.Option(
        "imagine", "--rubric", "-r", help="Rubric file, or a name in rubrics/."
    ),
    judge_backend: str | None = typer.Option(
        None, "--judge-backend", "--backend", help=BACKEND_HELP
    ),
    judge_model: str | None = typer.Option(None, "--judge-model", "--model"),
    judge_base_url: str | None = typer.Option(None, "--judge-base-url", "--base-url"),
    judge_panel: str | None = typer.Option(None, "--judge-panel", help=PANEL_HELP),
    judge_samples: int = typer.Option(1, "--judge-samples", "-k", min=1),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds per model call."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Drafts judged at once."),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Where the new judgments go (default: beside the source)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Say how many calls and dollars it takes, at most; call nothing."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Always call the judge."),
    as_json: bool = typer.Option(False, "--json", help="Print the record as one JSON object."),
) -> None:
    """Judge saved drafts again, with another judge or rubric, and compare the two judgments.

    Nothing is written again: the drafts are read, judged, and each new card goes to
    SOURCE.rescore-<rubric>-<model>/ beside the source, with rescore.json (the comparison:
    mean shift, agreement in order, rank correlation) and calls.jsonl (the cost). The same
    command again resumes where it stopped. `contentloop diff` compares two cards of a draft.

    Examples:

    \b
      contentloop rescore drafts/private-5g/20261122-101500 --judge-backend anthropic --judge-model claude-haiku-4-5
      contentloop rescore runs/nov22 --rubric techdocs --dry-run
      contentloop rescore calibration/imagine --judge-backend openai --judge-base-url http://localhost:11434/v1 --judge-model qwen2.5:7b
    """
    from ..errors import ContentloopError
    from ..llm import CostLedger
    from ..rescore import find_items, new_record, out_folder, plan, read_record
    from ..rescore import rescore as run_rescore
    from ..rubric import load_rubric

    with user_errors():
        loaded = load_rubric(rubric)
        kind, items, without_text = find_items(source)
        flags = backend_flags(judge_backend, judge_model, judge_base_url, timeout, judge_panel)
        if dry_run:  # prices need names only: no key, no server, no model load
            planned = plan(items, loaded, role_models("judge", flags), judge_samples)
            _say_plan(planned, kind, without_text, as_json)
            return
        ledger = CostLedger()
        judge = make_judge(loaded, flags, samples=judge_samples, no_cache=no_cache, ledger=ledger)
        if judge.not_measured:
            raise ContentloopError(
                f"the judge {judge.not_measured}; judging again with it would measure nothing.",
                fix="pass --judge-backend anthropic or openai (or --judge-backend local, to try "
                "the demo model anyway).",
            )
        target = out_dir or out_folder(source, loaded, judge.client.backend.model)
        ledger.path = target / "calls.jsonl"
        ledger.load()
        record = read_record(target) or new_record(source, kind, items, without_text, loaded, judge)
        if record.rubric["sha256"] != loaded.sha256 or record.judge["model"] != (
            judge.client.backend.model
        ):
            raise ContentloopError(
                f"{target} holds judgments by another rubric or judge.",
                fix="pass --out with a new folder.",
            )
        err.print(
            f"judging {len(items)} drafts of {source} ({kind}) again with "
            f"{judge.client.backend.name}:{judge.client.backend.model}, rubric {loaded.name}"
            + (f"; {without_text} kept no text" if without_text else ""),
            highlight=False,
        )
        with progress_bar("judging", len(items)) as moved:
            done = run_rescore(
                items, loaded, judge, target, record=record, concurrency=concurrency, progress=moved
            )
    if as_json:
        emit_json({**done.model_dump(mode="json"), "folder": str(target)})
        return
    from ..report.rescore import render_rescore

    render_rescore(out.console, done, target)


def _say_plan(planned: dict, kind: str, without_text: int, as_json: bool) -> None:
    if as_json:
        emit_json({**planned, "kind": kind, "without_text": without_text})
        return
    usd = planned["cost_usd_max"]
    out.print(
        f"{planned['drafts']} drafts ({kind}), {planned['judge_calls_max']} judge calls at most, "
        f"{planned['input_tokens_max']:,} input / {planned['output_tokens_max']:,} output tokens, "
        + (f"${usd:.2f} at most" if usd is not None else "price unknown for this model")
        + f" ({planned['judge']}).",
        highlight=False,
    )
    if without_text:
        out.print(f"{without_text} drafts the run scored kept no text and are left out.")
