"""`contentloop compare`: writer models (and/or judges) side by side on one skill and topics."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import ContentloopError
from .common import (
    app,
    backend_flags,
    emit_json,
    make_backend_for,
    out,
    parse_models,
    user_errors,
)


@app.command()
def compare(
    writers: str = typer.Option(
        ...,
        "--writers",
        help="Comma-separated BACKEND:MODEL[@BASE_URL] writers, e.g. "
        "local:smollm2-135m,openai:llama3.1:8b@http://localhost:11434/v1,anthropic:claude-sonnet-4-6.",
    ),
    judges: str | None = typer.Option(
        None, "--judges", help="Several judges to compare, in the same form (default: one judge)."
    ),
    judge_backend: str | None = typer.Option(None, "--judge-backend"),
    judge_model: str | None = typer.Option(None, "--judge-model"),
    judge_base_url: str | None = typer.Option(None, "--judge-base-url"),
    skill: str = typer.Option(
        "imagine", "--skill", "-s", help="Skill folder, or a name in skills/."
    ),
    topics: Path = typer.Option(Path("topics"), "--topics", help="Folder of topic YAML files."),
    rubric: str | None = typer.Option(
        None, "--rubric", "-r", help="Rubric (default: the skill's)."
    ),
    repeats: int = typer.Option(2, "--repeats", min=1, help="Drafts per topic per writer."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Calls in flight per pair."),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds per model call."),
    html: Path | None = typer.Option(None, "--html", help="Also write a page with scatter plots."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object with every row."),
) -> None:
    """Write and score the same topics with several writer models (or judges), side by side.

    Per (writer, judge) pair: mean score with a 95% interval, writer tokens per second, p50/p95
    latency, dollars per post and failure rate. Calls always reach the models (a cached answer
    has no latency).

    Examples:

    \b
      contentloop compare --writers local:smollm2-135m,openai:llama3.1:8b@http://localhost:11434/v1
      contentloop compare --writers anthropic:claude-sonnet-4-6,anthropic:claude-haiku-4-5 --html cmp.html
    """
    import asyncio

    from ..atomic import write_text
    from ..compare import compare as run_compare
    from ..rubric import load_rubric
    from ..skill import load_skill
    from ..topic import load_topics

    with user_errors():
        writer_list = parse_models(writers, "writer", timeout, "--writers")
        if judges:
            judge_list = parse_models(judges, "judge", timeout, "--judges")
        else:
            jflags = backend_flags(judge_backend, judge_model, judge_base_url, timeout)
            judge_list = [make_backend_for("judge", **jflags)]
        if not writer_list:
            raise ContentloopError("--writers names no model.", fix="give BACKEND:MODEL pairs.")
        loaded_skill = load_skill(skill)
        loaded_rubric = load_rubric(rubric or loaded_skill.spec.rubric)
        todo = load_topics(topics)
        rows = asyncio.run(
            run_compare(
                loaded_skill,
                todo,
                loaded_rubric,
                writer_list,
                judge_list,
                repeats=repeats,
                concurrency=concurrency,
            )
        )
        views = {
            "skill": loaded_skill.name,
            "rubric": loaded_rubric.name,
            "topics": len(todo),
            "repeats": repeats,
            "rows": rows,
        }
        if html is not None:
            from ..report.html import compare_html

            write_text(html, compare_html(views))
    if as_json:
        emit_json(views)
        return
    _table(rows)
    if html is not None:
        out.print(f"wrote {html}", highlight=False)


def _table(rows: list[dict]) -> None:
    from rich.table import Table

    t = Table(title="compare: same skill, same topics", title_justify="left")
    for col in ("writer", "judge", "mean (95% CI)", "tok/s", "p50 / p95 s", "$/post", "failed"):
        t.add_column(
            col, justify="left" if col in ("writer", "judge") else "right", overflow="fold"
        )

    def n(v: float | None, fmt: str = "{:.2f}") -> str:
        return "-" if v is None else fmt.format(v)

    for r in rows:
        ci = f" ({r['ci95'][0]:.1f}-{r['ci95'][1]:.1f})" if r["ci95"] else ""
        t.add_row(
            r["writer"],
            r["judge"],
            n(r["mean"]) + ci,
            n(r["tokens_per_second"], "{:.1f}"),
            f"{n(r['latency_p50_s'])} / {n(r['latency_p95_s'])}",
            "unknown" if r["usd_per_post"] is None else f"${r['usd_per_post']:.4f}",
            n(None if r["failure_rate"] is None else 100 * r["failure_rate"], "{:.0f}%"),
        )
    out.print(t)
