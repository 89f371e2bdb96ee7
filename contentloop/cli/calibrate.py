"""`contentloop calibrate`: measure the judge on a calibration set and write its card."""

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
    make_judge,
    out,
    progress_bar,
    user_errors,
)

if TYPE_CHECKING:
    from ..calibrate import CalibrationSet
    from ..calibrate.run import Plan


@app.command()
def calibrate(
    rubric: str = typer.Option("imagine", "--rubric", "-r", help="Rubric file or name."),
    calibration_set: Path | None = typer.Option(
        None, "--set", help="Calibration set folder (default: calibration/<rubric name>/)."
    ),
    judge_backend: str | None = typer.Option(
        None, "--judge-backend", help=f"Judge backend: {BACKEND_HELP}"
    ),
    judge_model: str | None = typer.Option(None, "--judge-model", help="Judge model."),
    judge_base_url: str | None = typer.Option(None, "--judge-base-url"),
    judge_panel: str | None = typer.Option(None, "--judge-panel", help=PANEL_HELP),
    samples: int = typer.Option(
        2,
        "--samples",
        "-k",
        min=1,
        help="Verdicts per degraded copy.",
    ),
    retest: int = typer.Option(
        4,
        "--retest",
        min=2,
        help="Verdicts per good draft (its test-retest spread, and the reference every copy "
        "is compared with) and per probe copy (padded, injected, rewrapped, reordered).",
    ),
    drafts: int | None = typer.Option(
        None,
        "--drafts",
        min=2,
        help="Use only the first N drafts of the set (a quick, rougher card).",
    ),
    cards: Path = typer.Option(
        Path("calibration/cards"),
        "--cards",
        help="Where cards are kept (write and optimize-skill look here).",
    ),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds per model call."),
    concurrency: int = typer.Option(
        4, "--concurrency", min=1, help="Judge calls in flight at once."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Always call the judge."),
    as_json: bool = typer.Option(False, "--json", help="Print the card as one JSON object."),
    list_only: bool = typer.Option(
        False,
        "--list",
        help="List the set's drafts and degradations, with the calls they take, and stop.",
    ),
) -> None:
    """Measure how far the judge can be trusted on a rubric, and write its calibration card.

    The judge scores each good draft of the set 4 times (its test-retest spread), then copies
    degraded on purpose, one quality at a time (does the targeted criterion drop?), then copies
    that must not score higher: padded, asking the judge for 10s, rewrapped, and with the
    criteria listed in reverse. With a labels file it also measures agreement with people.

    The card goes to calibration/cards/, where write and optimize-skill find it. Exit code 0
    when every measure passes, 1 when one fails, 2 on bad input.

    Examples:

    \b
      contentloop calibrate --judge-backend anthropic --judge-model claude-haiku-4-5
      contentloop calibrate --rubric techdocs --judge-backend openai --judge-base-url http://localhost:11434/v1 --judge-model qwen2.5:7b
      contentloop calibrate --drafts 3 --json
    """
    import asyncio

    from ..calibrate import acalibrate, card_path, load_set, plan, save_card
    from ..calibrate.run import calls
    from ..report.calibration import render_card
    from ..rubric import load_rubric

    with user_errors():
        loaded = load_rubric(rubric)
        folder = calibration_set or Path("calibration") / loaded.name
        cset = load_set(folder, loaded, limit=drafts)
        planned = plan(cset)
        if list_only:
            _list(cset, planned, samples, retest)
            raise typer.Exit(0)
        flags = backend_flags(judge_backend, judge_model, judge_base_url, timeout, judge_panel)
        judge = make_judge(loaded, flags, samples=samples, no_cache=no_cache, measure=True)
        backend = judge.client.backend
        err.print(
            f"calibrating {backend.name}:{backend.model} on rubric {loaded.name}: "
            f"{len(cset.drafts)} drafts, {calls(planned, samples, retest)} judge calls",
            highlight=False,
        )
        with progress_bar("judging", len(planned.jobs)) as moved:
            card = asyncio.run(
                acalibrate(
                    cset,
                    loaded,
                    judge,
                    concurrency=concurrency,
                    progress=moved,
                    retest=retest,
                    planned=planned,
                )
            )
        path = card_path(cards, loaded, backend.name, backend.model)
        save_card(card, path)
    if as_json:
        emit_json({**card.to_json(), "path": str(path)})
    else:
        render_card(out.console, card, path)
    raise typer.Exit(0 if card.passed else 1)


def _list(cset: CalibrationSet, planned: Plan, samples: int, retest: int) -> None:
    from ..calibrate.degrade import describe
    from ..calibrate.run import calls

    for criterion, names in cset.config.degradations.items():
        for name in names:
            out.print(f"{criterion}: {name}: {describe(name)}", highlight=False, soft_wrap=True)
    for probe in cset.config.probes:
        what = "the criteria listed in reverse order" if probe == "order" else describe(probe)
        out.print(f"probe {probe}: {what}", highlight=False, soft_wrap=True)
    for note in planned.notes:
        out.print(f"note: {note}", highlight=False, soft_wrap=True)
    n = calls(planned, samples, retest)
    out.print(
        f"{len(cset.drafts)} drafts, {len(planned.jobs)} texts, {n} judge calls at "
        f"-k {samples} --retest {retest}"
    )
