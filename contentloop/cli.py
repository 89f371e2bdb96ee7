"""The `contentloop` command: a thin typer layer over the library."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.text import Text

from .errors import ContentloopError, from_os_error

if TYPE_CHECKING:
    from .llm import Backend
    from .rubric import Rubric
    from .skill import Skill

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    help="Measure and improve LLM-written content against a rubric.",
)
rubric_app = typer.Typer(no_args_is_help=True, help="Validate and inspect rubrics.")
app.add_typer(rubric_app, name="rubric")
skill_app = typer.Typer(no_args_is_help=True, help="Inspect skills (the editable style guides).")
app.add_typer(skill_app, name="skill")

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
    except OSError as exc:
        # Disk full, a read-only folder: the same one paragraph and exit 2, not a traceback.
        err.print(
            Text("error: ", style="bold red") + Text(str(from_os_error(exc))),
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None


def skill_setup(
    skill: str | Path, rubric: str | None, wflags: dict[str, Any], jflags: dict[str, Any]
) -> tuple[Skill, Rubric, Backend, Backend]:
    """The skill, its rubric (or the one asked for), and the writer's and judge's backends;
    the judge may follow the writer's server."""
    from .rubric import load_rubric
    from .skill import load_skill

    loaded = load_skill(skill)
    writer = make_backend_for("writer", **wflags)
    judge = make_backend_for("judge", writer_flags=wflags, **jflags)
    return loaded, load_rubric(rubric or loaded.spec.rubric), writer, judge


BACKEND_HELP = "anthropic, openai (any OpenAI-compatible server) or local (embedded demo model)."


_notice_shown = False


def make_backend_for(
    role: str, *, writer_flags: dict[str, Any] | None = None, **flags: Any
) -> Backend:
    """Resolve a role's backend (flags → env → contentloop.toml → default); say once if it is the demo model.

    `flags` are backend, model, base_url and timeout; the judge gets the writer's flags too,
    so it can follow the writer's server.
    """
    global _notice_shown
    from .llm import RoleConfig, make_backend, resolve
    from .llm.local import NOTICE

    try:
        cfg = RoleConfig(**flags)
        writer_cfg = RoleConfig(**writer_flags) if writer_flags else None
    except ValueError as exc:
        raise ContentloopError(
            f"--backend / --judge-backend must be one of: {BACKEND_HELP}"
        ) from exc
    choice = resolve(role, cfg, writer_cfg)  # type: ignore[arg-type]
    if choice.backend == "local" and not _notice_shown:
        _notice_shown = True
        err.print(Text("note: ", style="yellow") + Text(NOTICE))
    return make_backend(choice)


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
            from .judge import Judge
            from .llm import CallCache, Client

            backend = make_backend_for(
                "judge",
                backend=judge_backend,
                model=judge_model,
                base_url=judge_base_url,
                timeout=timeout,
            )
            cache = None if no_cache else CallCache()
            client = Client(backend, role="judge", cache=cache, ledger=ledger)
            judge = Judge(client, loaded, samples=judge_samples, temperature=judge_temperature)
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


@app.command()
def write(
    topic: Path | None = typer.Option(None, "--topic", "-t", help="A topic YAML file."),
    topics: Path | None = typer.Option(
        None, "--topics", help="A folder of topic YAML files (all written concurrently)."
    ),
    skill: str = typer.Option(
        "imagine", "--skill", "-s", help="Skill folder, or a name in skills/."
    ),
    rubric: str | None = typer.Option(
        None, "--rubric", "-r", help="Rubric file or name (default: the skill's)."
    ),
    cycles: int = typer.Option(
        3, "--cycles", "-n", min=0, help="Refine cycles after the first draft."
    ),
    target: float = typer.Option(95.0, "--target", help="Stop early once a version scores this."),
    out_root: Path = typer.Option(
        Path("drafts"), "--out", help="Run folders go to OUT/<topic>/<run-id>/."
    ),
    backend: str | None = typer.Option(None, "--backend", help=f"Writer backend: {BACKEND_HELP}"),
    model: str | None = typer.Option(None, "--model", help="Writer model."),
    base_url: str | None = typer.Option(
        None, "--base-url", help="Writer server URL (openai backend)."
    ),
    judge_backend: str | None = typer.Option(
        None, "--judge-backend", help="Judge backend (default: the writer's)."
    ),
    judge_model: str | None = typer.Option(
        None, "--judge-model", help="Judge model (default: its own)."
    ),
    judge_base_url: str | None = typer.Option(None, "--judge-base-url"),
    judge_samples: int = typer.Option(1, "--judge-samples", "-k", min=1),
    timeout: float | None = typer.Option(
        None, "--timeout", help="Seconds per model call before retrying."
    ),
    concurrency: int = typer.Option(2, "--concurrency", min=1, help="Topics written at once."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Always call the models."),
    as_json: bool = typer.Option(False, "--json", help="Print each run.json, one per line."),
) -> None:
    """Write a post from a skill and a topic, then refine it: score, fix what failed, re-score, keep the best.

    Each run leaves OUT/<topic>/<run-id>/ with v0.md, v1.md, ... (each with its .score.json),
    final.md (the best version) and run.json.

    Examples:

      contentloop write --topic topics/private-5g.yaml --cycles 3

      contentloop write --topics topics/ --concurrency 3 --json

      contentloop write --topic topics/techdocs/install-cli.yaml --skill techdocs
    """
    import asyncio

    from .llm import CallCache
    from .report.live import WriteView
    from .report.terminal import render_write_summary
    from .topic import load_topic, load_topics
    from .writer import write_many

    with user_errors():
        if (topic is None) == (topics is None):
            raise ContentloopError("give exactly one of --topic FILE or --topics FOLDER.")
        todo = [load_topic(topic)] if topic is not None else load_topics(topics)  # type: ignore[arg-type]
        wflags = {"backend": backend, "model": model, "base_url": base_url, "timeout": timeout}
        jflags = {
            "backend": judge_backend,
            "model": judge_model,
            "base_url": judge_base_url,
            "timeout": timeout,
        }
        loaded_skill, loaded_rubric, writer_backend, judge_backend_obj = skill_setup(
            skill, rubric, wflags, jflags
        )
        view = WriteView(err if as_json else out, [t.slug for t in todo], cycles, target)
        with view:
            results = asyncio.run(
                write_many(
                    todo,
                    loaded_skill,
                    loaded_rubric,
                    writer_backend=writer_backend,
                    judge_backend=judge_backend_obj,
                    judge_samples=judge_samples,
                    cache=None if no_cache else CallCache(),
                    out_root=out_root,
                    cycles=cycles,
                    target=target,
                    concurrency=concurrency,
                    on_event=view.event,
                )
            )
    failed = [r for r in results if isinstance(r, BaseException)]
    for r in results:
        if isinstance(r, BaseException):
            continue
        if as_json:
            sys.stdout.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
        else:
            out.print()
            render_write_summary(out, r)
    for exc in failed:
        if isinstance(exc, KeyboardInterrupt):
            raise typer.Exit(130)
        if isinstance(exc, OSError):
            exc = from_os_error(exc)
        err.print(Text("error: ", style="bold red") + Text(str(exc)), soft_wrap=True)
        if not isinstance(exc, ContentloopError):
            raise exc
    if failed:
        err.print(
            "versions already written are kept; each run folder's run.json says where it stopped.",
            soft_wrap=True,
        )
        raise typer.Exit(2)


@app.command("optimize-skill")
def optimize_skill(
    topics: Path = typer.Option(
        Path("topics"), "--topics", help="Folder of training topics (*.yaml)."
    ),
    skill: str = typer.Option(
        "imagine", "--skill", "-s", help="Skill folder, or a name in skills/."
    ),
    rubric: str | None = typer.Option(
        None, "--rubric", "-r", help="Rubric (default: the skill's)."
    ),
    tag: str | None = typer.Option(
        None, "--tag", help="Run name: runs/<tag>/ and branch autoexp/<tag>."
    ),
    runs_root: Path = typer.Option(Path("runs"), "--runs", help="Where run folders go."),
    repeats: int = typer.Option(
        1, "--repeats", "-k", min=1, help="Drafts per topic per evaluation."
    ),
    max_experiments: int = typer.Option(10, "--max-experiments", min=0),
    max_cost_usd: float | None = typer.Option(None, "--max-cost-usd"),
    max_hours: float | None = typer.Option(None, "--max-hours"),
    abort_after_crashes: int = typer.Option(3, "--abort-after-crashes", min=1),
    experiment_timeout: float | None = typer.Option(
        None, "--experiment-timeout", help="Seconds; status timeout."
    ),
    explore_every: int | None = typer.Option(
        None, "--explore-every", min=2, help="Keep every Nth try regardless."
    ),
    no_git: bool = typer.Option(
        False, "--no-git", help="Keep snapshots in the run folder instead of git commits."
    ),
    backend: str | None = typer.Option(None, "--backend", help=f"Writer backend: {BACKEND_HELP}"),
    model: str | None = typer.Option(None, "--model"),
    base_url: str | None = typer.Option(None, "--base-url"),
    judge_backend: str | None = typer.Option(None, "--judge-backend"),
    judge_model: str | None = typer.Option(None, "--judge-model"),
    judge_base_url: str | None = typer.Option(None, "--judge-base-url"),
    optimizer_model: str | None = typer.Option(
        None, "--optimizer-model", help="Proposer model (default: the writer's)."
    ),
    timeout: float | None = typer.Option(None, "--timeout"),
    concurrency: int = typer.Option(
        4, "--concurrency", min=1, help="Model calls in flight at once (writer, judge, optimizer)."
    ),
    no_cache: bool = typer.Option(False, "--no-cache"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    batch: bool = typer.Option(
        False,
        "--batch",
        help="Send drafts and verdicts through Anthropic Message Batches: half price, "
        "minutes to hours per experiment.",
    ),
    resume: str | None = typer.Option(
        None,
        "--resume",
        help="Continue runs/<TAG>/ after a crash, Ctrl-C or kill -9, with its saved settings.",
    ),
    holdout: Path | None = typer.Option(
        None,
        "--holdout",
        help="Folder of held-out topics: scored for the baseline and each new best, never shown to the optimizer.",
    ),
) -> None:
    """Hill-climb the skill: change one section, write every topic, score, keep or revert, log.

    Every try is a commit on branch autoexp/<tag> in a worktree under runs/<tag>/ (your branch
    and working tree are not touched); results go to runs/<tag>/results.tsv and
    experiments.jsonl. Create runs/<tag>/STOP to stop after the current try.

    Examples:

      contentloop optimize-skill --topics topics/ --max-experiments 3

      contentloop optimize-skill --topics topics/ --repeats 2 --max-cost-usd 5 --explore-every 5

      contentloop optimize-skill --resume 20261122-2130
    """
    import asyncio
    from datetime import datetime

    from .llm import CallCache
    from .llm.batch import batched
    from .optimize import Budget, OptimizeRun
    from .report.live import OptimizeView
    from .rubric import load_rubric
    from .skill import resolve_skill
    from .topic import load_topic, load_topics

    view = OptimizeView(err, resume or tag or "")
    show = view.event

    with user_errors():
        cache = None if no_cache else CallCache()
        if resume:
            run_dir = runs_root / resume
            meta_path = run_dir / "run.json"
            if not meta_path.exists():
                started = run_dir.is_dir()
                raise ContentloopError(
                    "was stopped before the run had started (no run.json), so there is nothing to resume."
                    if started
                    else "is not an optimize run (no run.json).",
                    path=run_dir,
                    fix="run the original command again with the same --tag (without --resume)."
                    if started
                    else f"pass a folder name under {runs_root}/ to --resume.",
                )
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            from .llm import ModelChoice, make_backend

            def stored(role: str) -> Backend:
                global _notice_shown
                ident = meta[role]
                if ident["backend"] == "local" and not _notice_shown:
                    from .llm.local import NOTICE

                    _notice_shown = True
                    err.print(Text("note: ", style="yellow") + Text(NOTICE))
                return make_backend(
                    ModelChoice(
                        role="judge" if role == "judge" else "writer",
                        timeout=timeout or 120.0,
                        **ident,
                    )
                )

            run = OptimizeRun(
                Path(meta["skill"]),
                [load_topic(p) for p in meta["topics"]],
                load_rubric(meta["rubric"]),
                holdout=[load_topic(p) for p in meta.get("holdout", [])],
                writer_backend=batched(stored("writer")) if meta.get("batch") else stored("writer"),
                judge_backend=batched(stored("judge")) if meta.get("batch") else stored("judge"),
                batch=bool(meta.get("batch")),
                optimizer_backend=stored("optimizer"),
                run_dir=run_dir,
                tag=meta["tag"],
                repeats=meta["repeats"],
                budget=Budget(**meta["budget"]),
                explore_every=meta["explore_every"],
                use_git=meta["use_git"],
                cache=cache,
                concurrency=meta["concurrency"],
                on_event=show,
                resume=True,
            )
            run_tag = meta["tag"]
        else:
            todo = load_topics(topics)
            skill_dir = resolve_skill(skill)
            wflags = {"backend": backend, "model": model, "base_url": base_url, "timeout": timeout}
            jflags = {
                "backend": judge_backend,
                "model": judge_model,
                "base_url": judge_base_url,
                "timeout": timeout,
            }
            loaded_skill, loaded_rubric, writer_backend, judge_backend_obj = skill_setup(
                skill_dir, rubric, wflags, jflags
            )
            optimizer_backend = (
                make_backend_for("writer", **{**wflags, "model": optimizer_model})
                if optimizer_model
                else writer_backend
            )
            if batch:
                # Drafts and verdicts go as batches; the one proposal per experiment stays direct.
                writer_backend, judge_backend_obj = (
                    batched(writer_backend),
                    batched(judge_backend_obj),
                )
            run_tag = tag or datetime.now().strftime("%Y%m%d-%H%M%S")
            run_dir = runs_root / run_tag
            # A folder without run.json is a start that was killed at once: start it again.
            if (run_dir / "run.json").exists():
                raise ContentloopError(
                    "already exists.", path=run_dir, fix="pick another --tag, or --resume it."
                )
            calls_per_eval = len(todo) * repeats * 2
            err.print(
                f"plan: {len(todo)} topics x {repeats} repeat(s); each evaluation is {calls_per_eval} model calls; "
                f"baseline 2 evaluations + up to {max_experiments} experiments "
                f"(<= {calls_per_eval * (2 + max_experiments) + max_experiments} calls in all).",
                soft_wrap=True,
            )
            run = OptimizeRun(
                skill_dir,
                todo,
                loaded_rubric,
                writer_backend=writer_backend,
                judge_backend=judge_backend_obj,
                optimizer_backend=optimizer_backend,
                run_dir=run_dir,
                tag=run_tag,
                repeats=repeats,
                budget=Budget(
                    max_experiments,
                    max_cost_usd,
                    max_hours,
                    abort_after_crashes,
                    experiment_timeout,
                ),
                explore_every=explore_every,
                use_git=not no_git,
                cache=cache,
                concurrency=concurrency,
                on_event=show,
                holdout=load_topics(holdout) if holdout else None,
                batch=batch,
            )
            est = run.estimate()
            cost = "price unknown" if est["cost_usd"] is None else f"~${est['cost_usd']:.2f}"
            err.print(
                f"estimate for the whole budget: {est['calls']} calls, ~{est['input_tokens']:,} input and "
                f"~{est['output_tokens']:,} output tokens, {cost}; time is estimated after the baseline.",
                soft_wrap=True,
            )
        view.tag = run_tag
        try:
            with view:
                summary = asyncio.run(run.run())
        except (KeyboardInterrupt, asyncio.CancelledError):
            err.print(
                f"stopped. The ledgers hold every finished experiment; continue with: "
                f"contentloop optimize-skill --runs {runs_root} --resume {run_tag}",
                soft_wrap=True,
            )
            raise typer.Exit(130) from None
        crashed = "consecutive crashes" in summary["stop_reason"]
        if crashed or summary["stop_reason"] in ("Ctrl-C", "STOP file found"):
            last = run.ledger.records()[-1].get("reason", "") if crashed else ""
            err.print(
                f"stopped ({summary['stop_reason']}){'; the last one: ' + last if last else ''}. "
                f"Once the cause is fixed, continue with: "
                f"contentloop optimize-skill --runs {runs_root} --resume {run_tag}",
                soft_wrap=True,
                highlight=False,
            )
    # An unattended run that gave up on failures exits 1, so cron or CI notices.
    code = 130 if summary["stop_reason"] == "Ctrl-C" else 1 if crashed else 0
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
        raise typer.Exit(code)
    counts = summary["counts"]
    out.print(
        f"baseline {summary['baseline']:.2f} -> best {summary['best']:.2f} (noise floor {summary['noise']:.2f}); "
        f"kept {counts.get('keep', 0) - 2}, discarded {counts.get('discard', 0)}, crashed {counts.get('crash', 0)}, "
        f"explored {counts.get('explore', 0)}; stopped: {summary['stop_reason']}",
        soft_wrap=True,
        highlight=False,
    )
    if summary["holdout_baseline"] is not None:
        out.print(
            f"held-out topics: baseline {summary['holdout_baseline']:.2f} -> best {summary['holdout_best']:.2f}",
            highlight=False,
        )
    if summary["overfit_warning"]:
        out.print(
            "[bold yellow]warning:[/] the best skill rose on the training topics but fell on the held-out "
            "topics; it may be overfitting them. Review it before adopting."
        )
    cost = summary["cost_usd"]
    out.print(
        f"{summary['calls']} calls, {'price unknown' if cost is None else f'${cost:.4f}'}, {summary['seconds']:.0f} s"
    )
    out.print(
        f"ledgers: {run_dir}/results.tsv, experiments.jsonl; best skill: {summary['best_skill']}"
    )
    out.print(f"bring the best skill onto your branch: {summary['adopt']}", highlight=False)
    if code:
        raise typer.Exit(code)


@skill_app.command("show")
def skill_show(
    name: str = typer.Argument("imagine", help="Skill folder, or a name in skills/."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the sections, prompt and token count as JSON."
    ),
) -> None:
    """Print a skill's assembled system prompt and its token count.

    Example: contentloop skill show imagine
    """
    from .skill import count_tokens, load_skill

    with user_errors():
        loaded = load_skill(name)
    tokens = count_tokens(loaded.prompt)
    if as_json:
        data = {
            "name": loaded.name,
            "folder": str(loaded.folder),
            "sections": loaded.spec.sections,
            "rubric": loaded.spec.rubric,
            "prompt": loaded.prompt,
            "tokens": tokens,
            "sha256": loaded.sha256,
        }
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    out.print(loaded.prompt, markup=False, highlight=False)
    out.print(
        Text(
            f"skill {loaded.name}: {len(loaded.spec.sections)} sections ({', '.join(loaded.spec.sections)}), "
            f"{tokens} tokens (SmolLM2 tokenizer), {len(loaded.prompt)} characters, rubric {loaded.spec.rubric}",
            style="dim",
        )
    )


@rubric_app.command("check")
def rubric_check(
    file: str = typer.Argument(..., help="Rubric YAML file, or a name in rubrics/."),
    sample: Path | None = typer.Option(
        None, "--sample", "-s", help="Also run the rules on this draft and show what each catches."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the validated rubric as JSON."),
) -> None:
    """Validate a rubric and show what it will check; with --sample, what it catches.

    Examples:

      contentloop rubric check rubrics/techdocs.yaml

      contentloop rubric check rubrics/mine.yaml --sample drafts/example-private-5g.md
    """
    from .report.terminal import render_card, render_rubric
    from .rubric import load_rubric
    from .scoring import read_draft, score_drafts

    with user_errors():
        loaded = load_rubric(file)
        card = score_drafts([read_draft(sample)], loaded)[0] if sample else None
    if as_json:
        data = loaded.model_dump(mode="json", by_alias=True)
        data["sha256"] = loaded.sha256
        if card is not None:
            data["sample"] = card.to_json()
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    render_rubric(out, loaded)
    out.print("[green]ok[/]: the rubric is valid.")
    if card is not None:
        out.print()
        render_card(out, card)


# The review commands live in their own module; importing it registers them on `app`.
from . import cli_review  # noqa: E402, F401


def main() -> None:
    app()


if __name__ == "__main__":
    main()
