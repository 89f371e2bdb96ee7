"""`contentloop eval` and `contentloop agent init`: the optimize loop driven by a coding agent."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from ..errors import ContentloopError
from .common import BACKEND_HELP, app, backend_flags, emit_json, out, skill_setup, user_errors

agent_app = typer.Typer(no_args_is_help=True, help="Let a coding agent run the optimize loop.")
app.add_typer(agent_app, name="agent")


@app.command("eval")
def eval_skill(
    skill: str = typer.Option(
        "imagine", "--skill", "-s", help="Skill folder, or a name in skills/."
    ),
    topics: Path = typer.Option(Path("topics"), "--topics", help="Folder of topic YAML files."),
    rubric: str | None = typer.Option(
        None, "--rubric", "-r", help="Rubric (default: the skill's)."
    ),
    repeats: int = typer.Option(2, "--repeats", min=1, help="Drafts per topic."),
    results: Path = typer.Option(
        Path("results.tsv"), "--results", help="The results file a row is appended to."
    ),
    description: str = typer.Option("", "--description", "-d", help="What this try changed."),
    backend: str | None = typer.Option(None, "--backend", help=f"Writer backend: {BACKEND_HELP}"),
    model: str | None = typer.Option(None, "--model", help="Writer model."),
    base_url: str | None = typer.Option(None, "--base-url", help="Writer server URL."),
    judge_backend: str | None = typer.Option(None, "--judge-backend"),
    judge_model: str | None = typer.Option(None, "--judge-model"),
    judge_base_url: str | None = typer.Option(None, "--judge-base-url"),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds per model call."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Model calls in flight."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Always call the models."),
    as_json: bool = typer.Option(
        False, "--json", help="One JSON object instead of key: value lines."
    ),
) -> None:
    """Score the current skill with a fixed harness; print key: value lines; append to results.tsv.

    For a coding agent running the optimize loop (see `contentloop agent init`): `status: keep`
    means the skill is shown better than the best kept one, `discard` that it is not.

    Examples:

    \b
      contentloop eval --description "baseline"
      contentloop eval -d "shorter voice section" > eval.log 2>&1; grep '^status:' eval.log
    """
    import asyncio

    from ..agent_eval import evaluate, report_lines
    from ..llm import CallCache
    from ..topic import load_topics

    with user_errors():
        wflags = backend_flags(backend, model, base_url, timeout)
        jflags = backend_flags(judge_backend, judge_model, judge_base_url, timeout)
        loaded_skill, loaded_rubric, writer, judge = skill_setup(skill, rubric, wflags, jflags)
        result = asyncio.run(
            evaluate(
                loaded_skill,
                load_topics(topics),
                loaded_rubric,
                writer,
                judge,
                results=results,
                repeats=repeats,
                description=description,
                cache=None if no_cache else CallCache(),
                concurrency=concurrency,
            )
        )
    if as_json:
        emit_json(result)
        return
    for line in report_lines(result):
        out.print(line, highlight=False, soft_wrap=True)


@agent_app.command("init")
def agent_init(
    skill: str = typer.Option(
        "imagine", "--skill", "-s", help="Skill folder, or a name in skills/."
    ),
    topics: Path = typer.Option(Path("topics"), "--topics", help="Folder of topic YAML files."),
    repeats: int = typer.Option(2, "--repeats", min=1, help="Drafts per topic in each eval."),
    results: Path = typer.Option(Path("results.tsv"), "--results"),
    out_file: Path = typer.Option(Path("program.md"), "--out", help="Where to write the program."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    eval_args: list[str] = typer.Argument(
        None, help="Extra options for every eval, after --, e.g. -- --backend anthropic."
    ),
) -> None:
    """Write program.md: how a coding agent runs the optimize loop with `contentloop eval`.

    Examples:

    \b
      contentloop agent init
      contentloop agent init --skill techdocs --topics topics/techdocs -- --backend anthropic
    """
    from jinja2 import Environment, PackageLoader

    from ..atomic import write_text
    from ..skill import load_skill

    with user_errors():
        if out_file.exists() and not force:
            raise ContentloopError(
                "already exists.", path=out_file, fix="pass --force to overwrite it, or --out."
            )
        loaded = load_skill(skill)
        samples = results.with_name(results.stem + ".samples.jsonl")
        command = [
            "contentloop",
            "eval",
            "--skill",
            _relative(loaded.folder),
            "--topics",
            str(topics),
            "--repeats",
            str(repeats),
            "--results",
            str(results),
            *(eval_args or []),
        ]
        env = Environment(loader=PackageLoader("contentloop", "templates"), autoescape=False)
        text = env.get_template("agent_program.md.jinja").render(
            skill_name=loaded.name,
            skill_dir=_relative(loaded.folder),
            topics=str(topics),
            results=str(results),
            samples=str(samples),
            repeats=repeats,
            eval_command=shlex.join(command),
        )
        write_text(out_file, text)
    out.print(f"wrote {out_file}: point your coding agent at it.", highlight=False)


def _relative(folder: Path) -> str:
    try:
        return str(folder.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(folder)
