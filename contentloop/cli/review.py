"""Commands for looking back at results: report, diff, runs. Registered on the app."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import typer

from ..atomic import write_text
from ..errors import ContentloopError
from .common import app, emit_json, err, out, user_errors


@app.command()
def report(
    path: Path = typer.Argument(
        ...,
        help="A write run folder (drafts/<topic>/<run-id>), an optimize run (runs/<tag>) or a "
        "rescore folder (<source>.rescore-...).",
    ),
    html: Path | None = typer.Option(
        None, "--html", help="Also write a self-contained HTML report (inline SVG charts) here."
    ),
    open_: bool = typer.Option(
        False,
        "--open",
        help="Open the HTML report in a browser (written to PATH/report.html "
        "unless --html says where).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report's numbers as JSON."),
) -> None:
    """Review a finished run: scores, what changed, what it cost.

    Examples:

    \b
      contentloop report drafts/private-5g/20261122-101500
      contentloop report runs/nov22 --html nov22.html --open
    """
    from ..report import build_report
    from ..report.tables import render_draft_report, render_optimize_report
    from ..rescore import read_record

    with user_errors():
        judged_again = read_record(path)
    if judged_again is not None:  # a rescore folder: the two judgments, side by side
        from ..report.rescore import render_rescore

        if as_json:
            emit_json(judged_again.model_dump(mode="json"))
        else:
            render_rescore(out.console, judged_again, path)
        return
    with user_errors():
        views, page = build_report(path)
        target = html or (path / "report.html" if open_ else None)
        if target is not None:
            write_text(target, page)
    if as_json:
        emit_json(views)
    elif views["kind"] == "draft":
        render_draft_report(out.console, views)
    else:
        render_optimize_report(out.console, views)
    if target is not None:
        err.print(f"HTML report: {target}", highlight=False)
        if open_:
            webbrowser.open(target.resolve().as_uri())


@app.command()
def diff(
    a: Path = typer.Argument(
        ..., help="Before: a score card (.json from score --json) or a draft."
    ),
    b: Path = typer.Argument(..., help="After: the same kind."),
    rubric: str = typer.Option(
        "imagine", "--rubric", "-r", help="Rubric for scoring drafts (cards carry their own)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """Compare two score cards or two drafts, check by check and criterion by criterion.

    Shows the change in every check and criterion and which violations appeared or
    disappeared. Drafts are compared on the rules only; for judge criteria, compare two
    cards saved with `score --json`.

    Examples:

    \b
      contentloop diff drafts/private-5g/RUN/v0.score.json drafts/private-5g/RUN/v2.score.json
      contentloop diff old.md new.md
    """
    from ..report import diff_cards, load_card
    from ..report.tables import render_diff

    with user_errors():
        result = diff_cards(load_card(a, rubric), load_card(b, rubric))
    if as_json:
        emit_json(result)
    else:
        render_diff(out.console, result)


@app.command()
def runs(
    drafts: Path = typer.Option(Path("drafts"), "--drafts", help="Where write put its runs."),
    runs_root: Path = typer.Option(Path("runs"), "--runs", help="Where optimize-skill runs are."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per run, per line."),
    prune: bool = typer.Option(
        False,
        "--prune",
        help="Remove the worktree and autoexp/<tag> branch of every finished optimize run "
        "(ledgers and runs/<tag>/best-skill stay); failed or unfinished runs are kept for --resume.",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="With --prune: say what it would remove."
    ),
    include_failed: bool = typer.Option(
        False,
        "--include-failed",
        help="With --prune: also runs that failed, stopped or were interrupted (no --resume after).",
    ),
) -> None:
    """List write and optimize-skill runs, newest first, with scores and cost.

    Examples:

    \b
      contentloop runs
      contentloop runs --prune --dry-run
    """
    from ..report import find_runs, run_row

    if prune:
        _prune(runs_root, dry_run, as_json, include_failed)
        return
    with user_errors():
        rows = [run_row(r) for r in find_runs(drafts, runs_root)]
    if as_json:
        for row in rows:
            emit_json(row)
        return
    if not rows:
        err.print(f"no runs under {drafts}/ or {runs_root}/ yet.", highlight=False)
        return
    from ..report.tables import render_runs

    render_runs(out.console, rows)


def _prune(runs_root: Path, dry_run: bool, as_json: bool, include_failed: bool) -> None:
    from ..optimize.prune import prune_runs

    with user_errors():
        if not runs_root.is_dir():
            raise ContentloopError(f"no runs folder {runs_root}.", fix="pass --runs FOLDER.")
        rows = prune_runs(runs_root, dry_run=dry_run, include_failed=include_failed)
    for row in rows:
        if as_json:
            emit_json(row)
        else:
            out.print(f"{row['action']}: {row['run']} ({row['why']})", highlight=False)
    if not rows and not as_json:
        out.print("nothing to prune.")
    elif any(r["action"] == "pruned" for r in rows) and not as_json:
        out.print(
            "the best skill of a pruned run is still in runs/<tag>/best-skill: copy it to adopt it.",
            highlight=False,
        )
