"""The `contentloop` command: a thin typer layer over the library."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.text import Text

from .errors import ContentloopError

if TYPE_CHECKING:
    from .judge import Judge
    from .llm import CostLedger
    from .rubric import Rubric

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


BACKEND_HELP = "anthropic, openai (any OpenAI-compatible server) or local (embedded demo model)."


def make_judge(
    rubric: Rubric,
    *,
    backend: str | None,
    model: str | None,
    base_url: str | None,
    samples: int,
    temperature: float,
    timeout: float | None,
    use_cache: bool,
    ledger: CostLedger,
) -> Judge:
    """Resolve the judge's backend (flags → env → contentloop.toml → default) and build it."""
    from .judge import Judge
    from .llm import CallCache, Client, RoleConfig, make_backend, resolve
    from .llm.local import NOTICE

    try:
        flags = RoleConfig(backend=backend, model=model, base_url=base_url, timeout=timeout)
    except ValueError as exc:
        raise ContentloopError(f"--judge-backend must be one of: {BACKEND_HELP}") from exc
    choice = resolve("judge", flags)
    if choice.backend == "local":
        err.print(Text("note: ", style="yellow") + Text(NOTICE))
    client = Client(
        make_backend(choice), role="judge", cache=CallCache() if use_cache else None, ledger=ledger
    )
    return Judge(client, rubric, samples=samples, temperature=temperature)


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

    With no key and no server configured, the judge is the embedded demo model.

    Examples:

      contentloop score drafts/example-private-5g.md

      contentloop score drafts/ --no-judge --json --fail-under 35

      contentloop score post.md --backend openai --base-url http://localhost:11434/v1 --model llama3.1:8b

      ANTHROPIC_API_KEY=... contentloop score post.md --judge-samples 3
    """
    from .llm import CostLedger
    from .report.terminal import render_card, render_usage
    from .rubric import load_rubric
    from .scoring import score_files

    ledger = CostLedger()
    with user_errors():
        loaded = load_rubric(rubric)
        judge = None
        if not no_judge:
            judge = make_judge(
                loaded,
                backend=judge_backend,
                model=judge_model,
                base_url=judge_base_url,
                samples=judge_samples,
                temperature=judge_temperature,
                timeout=timeout,
                use_cache=not no_cache,
                ledger=ledger,
            )
        cards = score_files(paths, loaded, judge, concurrency)
    for card in cards:
        if as_json:
            sys.stdout.write(json.dumps(card.to_json(), ensure_ascii=False) + "\n")
        else:
            render_card(out, card)
    if judge is not None:
        render_usage(err, ledger.totals())
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
