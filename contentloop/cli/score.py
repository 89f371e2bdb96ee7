"""`contentloop score`: rule checks plus the judge, for drafts on disk."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .common import (
    BACKEND_HELP,
    PANEL_HELP,
    VALE_CONFIG_HELP,
    app,
    backend_flags,
    emit_json,
    emit_line,
    err,
    judge_calibration,
    make_judge,
    out,
    require_paths,
    user_errors,
)

if TYPE_CHECKING:
    from ..errors import ContentloopError
    from ..rubric import Rubric
    from ..scoring import ScoreCard


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    rdjsonl = "rdjsonl"
    github = "github"
    line = "line"


@app.command()
def score(
    paths: list[Path] = typer.Argument(..., help="Markdown drafts, or folders of them."),
    rubric: str = typer.Option(
        "imagine", "--rubric", "-r", help="Rubric file, or a name in rubrics/."
    ),
    no_judge: bool = typer.Option(
        False, "--no-judge", help="Deterministic checks only (the binary part)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="One JSON object per draft, one per line (--format json)."
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.text,
        "--format",
        "-f",
        help="text; json (one object per draft); sarif (SARIF 2.1.0, for code scanning); "
        "rdjsonl (reviewdog); github (workflow annotations); line (path:line:col:rule:message).",
    ),
    fail_under: float | None = typer.Option(
        None,
        "--fail-under",
        help="Exit 1 when any draft's total is below this. With --no-judge, "
        "--fail-under 40 fails on any rule violation.",
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
    jobs: int = typer.Option(
        0,
        "--jobs",
        "-j",
        min=0,
        help="Processes for the rule checks of many files (Linux); 0 uses every core. "
        "Results are the same for any value.",
    ),
    no_cache: bool = typer.Option(
        False,
        "--no-cache",
        help="Always call the model and run every check; ignore cached answers and results.",
    ),
    config: Path | None = typer.Option(None, "--config", help=VALE_CONFIG_HELP),
    no_vale: bool = typer.Option(
        False, "--no-vale", help="Leave out the rules of a .vale.ini found here or above."
    ),
    vale_only: bool = typer.Option(
        False,
        "--vale-only",
        help="Only the .vale.ini's rules: no rubric checks, no judge (what `lint` runs).",
    ),
) -> None:
    """Score drafts against a rubric: rule checks (40) + an independent LLM judge (60).

    Exit codes: 0 scored; 1 a draft scored below --fail-under; 2 bad input (a rubric that
    does not load, a file that cannot be read; other files are still scored).

    With no key and no server configured, there is no judge to measure with: the embedded
    demo model's verdicts are left out (the score is the rule checks) unless you pass
    --judge-backend local.

    In a repository with a .vale.ini (here or in a folder above), its rules apply on top of
    the rubric's checks, each alert taking off 0, 1 or 2 points by level (--no-vale leaves
    them out; a rubric's own `vale:` section takes their place).

    Examples:

    \b
      contentloop score drafts/example-private-5g.md
      contentloop score drafts/ --no-judge --json --fail-under 35
      contentloop score docs/ --no-judge --format sarif > contentloop.sarif
      contentloop score docs/ --no-judge --format github --fail-under 40
      contentloop score docs/ --vale-only --format line
      contentloop score drafts/example-private-5g.md --backend openai --base-url http://localhost:11434/v1 --model llama3.1:8b
      ANTHROPIC_API_KEY=... contentloop score drafts/ --judge-samples 3
    """
    from ..check_pool import default_jobs
    from ..scoring import score_files
    from ..vale.lint import suffixes

    with user_errors():
        require_paths(paths)  # before the rubric, the judge and its notes
        loaded, ini = rubric_with_vale(rubric, config, no_vale, vale_only)
        judge = None
        if not (no_judge or vale_only):
            from ..llm import CostLedger  # --no-judge never imports the model clients

            ledger = CostLedger()
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
        cards = score_files(
            paths,
            loaded,
            judge,
            concurrency,
            skipped,
            failed,
            cache=not no_cache,
            jobs=jobs or default_jobs(),
            suffixes=suffixes(ini),
        )
    for path in skipped:
        err.print(
            f"skipped {path}: not a regular file (a dangling link, a pipe or a device)",
            soft_wrap=True,
            highlight=False,
        )
    if as_json:
        fmt = OutputFormat.json
    emit(fmt, cards, loaded, [(str(p), str(exc)) for p, exc in failed])
    if judge is not None:
        from ..report.terminal import render_usage

        render_usage(err.console, ledger.totals())
    if ini is not None:
        say_vale(loaded, ini, len(cards), fmt is OutputFormat.text)
    for _, exc in failed:
        err.print("error: " + str(exc), soft_wrap=True, highlight=False)
    if failed:
        err.print(f"{len(failed)} of {len(failed) + len(cards)} files could not be scored.")
        raise typer.Exit(2)
    if fail_under is not None and any(c.total < fail_under for c in cards):
        if fmt is OutputFormat.text:
            err.print(f"score below --fail-under {fail_under:g}")
        raise typer.Exit(1)


def rubric_with_vale(
    ref: str, config: Path | None, no_vale: bool, vale_only: bool
) -> tuple[Rubric, Path | None]:
    """The rubric `score` runs, and the .vale.ini applied with it (None: no Vale rules)."""
    from ..errors import ContentloopError
    from ..rubric import load_rubric
    from ..vale.lint import add_vale, find_config, nearest_config, vale_rubric

    if no_vale and (vale_only or config is not None):
        raise ContentloopError(
            "--no-vale leaves out the very rules --config or --vale-only asks for.",
            fix="pass one or the other.",
        )
    if vale_only:
        ini = find_config(given=config)
        return vale_rubric(ini), ini
    loaded = load_rubric(ref)
    if no_vale or (loaded.binary.vale is not None and config is None):
        return loaded, None  # a rubric's own vale section is the Vale it asked for
    ini = nearest_config(given=config)
    if ini is not None:
        add_vale(loaded, ini)
    return loaded, ini


def say_vale(rubric: Rubric, ini: Path, files: int, counts: bool) -> None:
    """On stderr: the rules the .vale.ini names that did not run, and why (a quiet file must
    not look clean for a rule nobody checked), then how many ran, for the text output."""
    from ..checks.base import plural

    for name, why in rubric.vale_notes.items():
        err.print(f"Vale setting not read: {name} ({why})", style="yellow", highlight=False)
    for name, why in rubric.vale_skipped.items():
        err.print(f"Vale rule not run: {name} ({why})", style="yellow", highlight=False)
    if counts:
        ran = sum(1 for c in rubric.binary.checks if c.type == "vale")
        err.print(
            f"{plural(ran, 'Vale rule')} from {ini} ran on {plural(files, 'file')}.",
            highlight=False,
        )


def emit(
    fmt: OutputFormat, cards: list[ScoreCard], rubric: Rubric, failures: list[tuple[str, str]]
) -> None:
    """Print the cards in the chosen format on stdout."""
    from .. import __version__
    from ..report import ci_formats
    from ..report.terminal import render_card

    if fmt is OutputFormat.text:
        for card in cards:
            render_card(out.console, card)
    elif fmt is OutputFormat.json:
        for card in cards:
            emit_json(card.to_json())
    elif fmt is OutputFormat.sarif:
        emit_json(ci_formats.sarif(cards, rubric, __version__, failures))
    elif fmt is OutputFormat.line:
        for text in ci_formats.line(cards):
            emit_line(text)
    else:
        lines = (ci_formats.rdjsonl if fmt is OutputFormat.rdjsonl else ci_formats.github)(
            cards, failures
        )
        for text in lines:
            emit_line(text)
