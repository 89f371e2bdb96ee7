"""`contentloop score`: rule checks plus the judge, for drafts on disk."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .common import (
    BACKEND_HELP,
    PANEL_HELP,
    app,
    backend_flags,
    emit_json,
    err,
    judge_calibration,
    make_judge,
    out,
    user_errors,
)

if TYPE_CHECKING:
    from ..errors import ContentloopError


@app.command()
def score(
    paths: list[Path] = typer.Argument(..., help="Markdown drafts, or folders of them."),
    rubric: str = typer.Option(
        "imagine", "--rubric", "-r", help="Rubric file, or a name in rubrics/."
    ),
    no_judge: bool = typer.Option(
        False, "--no-judge", help="Deterministic checks only (the binary part)."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per draft, one per line."),
    fail_under: float | None = typer.Option(
        None, "--fail-under", help="Exit 1 when any draft's total is below this."
    ),
    judge_backend: str | None = typer.Option(
        None, "--judge-backend", "--backend", help=BACKEND_HELP
    ),
    judge_model: str | None = typer.Option(
        None, "--judge-model", "--model", help="Judge model name."
    ),
    judge_base_url: str | None = typer.Option(
        None,
        "--judge-base-url",
        "--base-url",
        help="Server URL for the openai backend, e.g. http://localhost:11434/v1.",
    ),
    judge_panel: str | None = typer.Option(None, "--judge-panel", help=PANEL_HELP),
    judge_samples: int = typer.Option(
        1, "--judge-samples", "-k", min=1, help="Judge each draft K times; report mean and stdev."
    ),
    judge_temperature: float = typer.Option(0.7, "--judge-temperature", min=0.0, max=2.0),
    timeout: float | None = typer.Option(
        None, "--timeout", help="Seconds per model call before retrying."
    ),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Drafts judged at once."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Always call the model; ignore cached answers."
    ),
) -> None:
    """Score drafts against a rubric: rule checks (40) + an independent LLM judge (60).

    With no key and no server configured, there is no judge to measure with: the embedded
    demo model's verdicts are left out (the score is the rule checks) unless you pass
    --judge-backend local.

    Examples:

    \b
      contentloop score drafts/example-private-5g.md
      contentloop score drafts/ --no-judge --json --fail-under 35
      contentloop score post.md --backend openai --base-url http://localhost:11434/v1 --model llama3.1:8b
      ANTHROPIC_API_KEY=... contentloop score post.md --judge-samples 3
    """
    from ..llm import CostLedger
    from ..report.terminal import render_card, render_usage
    from ..rubric import load_rubric
    from ..scoring import score_files

    ledger = CostLedger()
    with user_errors():
        loaded = load_rubric(rubric)
        judge = None
        if not no_judge:
            flags = backend_flags(judge_backend, judge_model, judge_base_url, timeout, judge_panel)
            judge = make_judge(
                loaded,
                flags,
                samples=judge_samples,
                no_cache=no_cache,
                ledger=ledger,
                temperature=judge_temperature,
            )
            # Every card says next to its judge part whether that judge was measured.
            judge.calibration = judge_calibration(
                loaded, judge.client.backend, require=False, announce=False
            ).state
        skipped: list[Path] = []
        failed: list[tuple[Path, ContentloopError]] = []
        cards = score_files(paths, loaded, judge, concurrency, skipped, failed)
    for path in skipped:
        err.print(
            f"skipped {path}: not a regular file (a dangling link, a pipe or a device)",
            soft_wrap=True,
            highlight=False,
        )
    for card in cards:
        if as_json:
            emit_json(card.to_json())
        else:
            render_card(out.console, card)
    if judge is not None:
        render_usage(err.console, ledger.totals())
    for _, exc in failed:
        err.print("error: " + str(exc), soft_wrap=True, highlight=False)
    if failed:
        err.print(f"{len(failed)} of {len(failed) + len(cards)} files could not be scored.")
        raise typer.Exit(2)
    if fail_under is not None and any(c.total < fail_under for c in cards):
        if not as_json:
            err.print(f"score below --fail-under {fail_under:g}")
        raise typer.Exit(1)
