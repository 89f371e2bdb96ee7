"""`contentloop lint`: a repository's own .vale.ini, applied like `vale`, no rubric needed."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import VALE_CONFIG_HELP, app, err, require_paths, user_errors
from .score import OutputFormat, emit, say_vale


@app.command()
def lint(
    paths: list[Path] = typer.Argument(..., help="Markdown files, or folders of them."),
    config: Path | None = typer.Option(None, "--config", help=VALE_CONFIG_HELP),
    output: OutputFormat = typer.Option(
        OutputFormat.text,
        "--output",
        help="text; line (path:line:col:Style.Rule:message, as vale --output=line); json; "
        "sarif; rdjsonl; github. Alerts carry Vale's rule names and levels.",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Run every rule again."),
) -> None:
    """Check files with the Vale style packages your .vale.ini names, as `vale` would.

    Exit codes (Vale's): 0 no error-level alert; 1 an alert at level error; 2 bad input (a
    malformed .vale.ini or rule file, a file that cannot be read).

    Examples:

    \b
      contentloop lint docs/
      contentloop lint README.md --output line
      contentloop lint docs/ --config ci/.vale.ini --output sarif > vale.sarif
    """
    from ..scoring import score_files
    from ..vale.lint import find_config, suffixes, vale_rubric

    with user_errors():
        from ..errors import ContentloopError

        require_paths(paths)
        ini = find_config(given=config)
        rubric = vale_rubric(ini)
        failed: list[tuple[Path, ContentloopError]] = []
        cards = score_files(
            paths, rubric, None, failed=failed, cache=not no_cache, suffixes=suffixes(ini)
        )
    failures = [(str(p), str(exc)) for p, exc in failed]
    emit(output, cards, rubric, failures)
    say_vale(rubric, ini, len(cards), output is OutputFormat.text)
    for _, message in failures:
        err.print("error: " + message, soft_wrap=True, highlight=False)
    if failed:
        raise typer.Exit(2)
    if any(v.level == "error" for c in cards for v in c.binary.violations):
        raise typer.Exit(1)
