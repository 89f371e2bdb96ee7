"""The `contentloop` command: a thin typer layer over the library."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from .errors import ContentloopError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    help="Measure and improve LLM-written content against a rubric.",
)
rubric_app = typer.Typer(no_args_is_help=True, help="Validate and inspect rubrics.")
app.add_typer(rubric_app, name="rubric")

out = Console()
err = Console(stderr=True)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Bad input → one paragraph on stderr and exit 2; Ctrl-C → exit 130. Never a traceback."""
    try:
        yield
    except ContentloopError as exc:
        err.print(
            Text("error: ", style="bold red") + Text(str(exc)), highlight=False, soft_wrap=True
        )
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None


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
) -> None:
    """Score drafts against a rubric.

    Examples:

      contentloop score drafts/example-private-5g.md --no-judge

      contentloop score drafts/ --no-judge --json --fail-under 35
    """
    from .report.terminal import render_card
    from .rubric import load_rubric
    from .scoring import score_files

    with user_errors():
        if not no_judge:
            raise ContentloopError(
                "the LLM judge (the 60-point part) is not built yet: it arrives with the LLM "
                "backends (local model, Anthropic, OpenAI-compatible).",
                fix="add --no-judge to score the deterministic 40-point part.",
            )
        loaded = load_rubric(rubric)
        cards = score_files(paths, loaded)
    for card in cards:
        if as_json:
            sys.stdout.write(json.dumps(card.to_json(), ensure_ascii=False) + "\n")
        else:
            render_card(out, card)
    if fail_under is not None and any(c.total < fail_under for c in cards):
        if not as_json:
            err.print(f"score below --fail-under {fail_under:g}")
        raise typer.Exit(1)


@rubric_app.command("check")
def rubric_check(
    file: str = typer.Argument(..., help="Rubric YAML file, or a name in rubrics/."),
    as_json: bool = typer.Option(False, "--json", help="Print the validated rubric as JSON."),
) -> None:
    """Validate a rubric and show what it will check.

    Example: contentloop rubric check rubrics/techdocs.yaml
    """
    from .report.terminal import render_rubric
    from .rubric import load_rubric

    with user_errors():
        loaded = load_rubric(file)
    if as_json:
        data = loaded.model_dump(mode="json", by_alias=True)
        data["sha256"] = loaded.sha256
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        render_rubric(out, loaded)
        out.print("[green]ok[/]: the rubric is valid.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
