"""What every command shares: the app, the consoles, the bad-input handler, backend setup."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

from ..errors import ContentloopError, from_os_error
from ..redact import redact

if TYPE_CHECKING:
    from rich.console import Console

    from ..calibrate import CardStatus
    from ..judge import Judge
    from ..llm import Backend, CostLedger
    from ..rubric import Rubric
    from ..skill import Skill

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich help imports rich.markdown and markdown-it and drew
    # --help in 2.3x the time of importing typer and rich (bench/cli_startup.py).
    rich_markup_mode=None,
    help="Measure and improve LLM-written content against a rubric.",
)
rubric_app = typer.Typer(no_args_is_help=True, help="Validate and inspect rubrics.")
app.add_typer(rubric_app, name="rubric")
skill_app = typer.Typer(no_args_is_help=True, help="Inspect skills (the editable style guides).")
app.add_typer(skill_app, name="skill")


class _Redacting:
    """stdout or stderr (whichever is current, as pytest and CliRunner swap them) with API keys
    masked in everything written through it."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr

    @property
    def stream(self) -> TextIO:
        return sys.stderr if self._stderr else sys.stdout

    def write(self, text: str) -> int:
        return self.stream.write(redact(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class _LazyConsole:
    """A rich Console made on first use, so `contentloop --help` never imports rich.console
    (a fifth of its start-up); everything else reaches the real Console through it.

    Markup is off: what the consoles print includes model text (rationales, hypotheses), and a
    "[/x]" in it must print as written, not end the command with a MarkupError. Styling is
    done with Text and style= instead.
    """

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr

    @functools.cached_property
    def console(self) -> Console:
        import rich.console

        return rich.console.Console(file=_Redacting(self._stderr), markup=False)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)


out = _LazyConsole()
err = _LazyConsole(stderr=True)


def emit_json(data: Any) -> None:
    """One JSON document on stdout (for scripts), keys masked like everything else printed."""
    emit_line(json.dumps(data, ensure_ascii=False))


def emit_line(line: str) -> None:
    """One line of machine-read output on stdout, keys masked, no styling or wrapping."""
    sys.stdout.write(redact(line) + "\n")


def require_paths(paths: list[Path]) -> None:
    """An input error comes first and alone: a missing path, before any rubric, config or
    model is loaded. A dangling link passes, to be reported as skipped with the others."""
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise ContentloopError(
                "no such draft or folder.",
                path=path,
                fix="check the path (it is relative to the current folder).",
            )


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Bad input → one paragraph on stderr and exit 2; Ctrl-C → exit 130. Never a traceback."""
    from rich.text import Text  # here, not at the top: --help never needs it

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
    from ..rubric import load_rubric
    from ..skill import load_skill

    loaded = load_skill(skill)
    writer = make_backend_for("writer", **wflags)
    judge = make_backend_for("judge", writer_flags=wflags, **jflags)
    return loaded, load_rubric(rubric or loaded.spec.rubric), writer, judge


def backend_flags(
    backend: str | None,
    model: str | None,
    base_url: str | None,
    timeout: float | None,
    panel: str | None = None,
) -> dict[str, Any]:
    """One role's command-line choices, as make_backend_for takes them."""
    flags = {"backend": backend, "model": model, "base_url": base_url, "timeout": timeout}
    return flags | ({"panel": panel} if panel else {})


PANEL_HELP = (
    "A panel of judges whose verdicts are averaged (each member's kept): comma-separated "
    "BACKEND:MODEL[@BASE_URL], e.g. anthropic:claude-haiku-4-5,openai:qwen2.5:7b@http://localhost:11434/v1. "
    "Replaces --judge-backend/--judge-model."
)


def parse_models(spec: str, role: str, timeout: float | None, flag: str) -> list[Backend]:
    """Comma-separated BACKEND:MODEL[@BASE_URL], each resolved like --backend/--model."""
    return [
        make_backend_for(role, backend=backend, model=model, base_url=url, timeout=timeout)
        for backend, model, url in split_models(spec, flag)
    ]


def split_models(spec: str, flag: str) -> list[tuple[str, str, str | None]]:
    """(backend, model, base URL or None) for each member of a BACKEND:MODEL[@BASE_URL] list."""
    found = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        head, _, url = part.partition("@")
        backend, sep, model = head.partition(":")
        if not sep or not backend or not model:
            raise ContentloopError(
                f"{flag} member {part!r} is not BACKEND:MODEL[@BASE_URL].",
                fix="write e.g. anthropic:claude-haiku-4-5,openai:qwen2.5:7b@http://localhost:11434/v1.",
            )
        found.append((backend, model, url or None))
    return found


def panel_backend(spec: str, timeout: float | None) -> Backend:
    """--judge-panel's members, each resolved like a --judge-backend/--judge-model pair."""
    from ..llm.panel import PanelBackend

    members = parse_models(spec, "judge", timeout, "--judge-panel")
    if len(members) < 2:
        raise ContentloopError(
            "--judge-panel needs at least two members.",
            fix="name two or more BACKEND:MODEL pairs, or use --judge-backend/--judge-model for one judge.",
        )
    return PanelBackend(members)


VALE_CONFIG_HELP = (
    "The .vale.ini (default: $VALE_CONFIG_PATH, else the nearest .vale.ini or _vale.ini in "
    "this folder or a parent, as Vale looks)."
)
BACKEND_HELP = "anthropic, openai (any OpenAI-compatible server) or local (embedded demo model)."


_notice_shown = False


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"contentloop {version('contentloop')}")
        raise typer.Exit()


@app.callback()
def _each_command(
    _: bool = typer.Option(
        False,
        "--version",
        callback=_version,
        is_eager=True,
        help="Print contentloop's version and exit.",
    ),
) -> None:
    """Runs before every command: the demo-model notice is said once per command, also when
    one process runs several (tests, scripts that call the app)."""
    global _notice_shown
    _notice_shown = False


def demo_notice(backend_name: str) -> None:
    """Say once per process that the embedded demo model writes poorly, whichever role uses it."""
    global _notice_shown
    if backend_name == "local" and not _notice_shown:
        from rich.text import Text

        from ..llm.local import NOTICE

        _notice_shown = True
        err.print(Text("note: ", style="yellow") + Text(NOTICE))


def make_backend_for(
    role: str,
    *,
    writer_flags: dict[str, Any] | None = None,
    measure: bool = False,
    **flags: Any,
) -> Backend:
    """Resolve a role's backend (flags → env → contentloop.toml → default); say once if it is the demo model.

    `flags` are backend, model, base_url and timeout; the judge gets the writer's flags too,
    so it can follow the writer's server. The embedded model as judge is marked not measured
    unless named (or `measure`, for `calibrate`, whose job is to measure it).
    """
    from ..llm import RoleConfig, make_backend, resolve

    panel = flags.pop("panel", None)
    if panel:
        return panel_backend(panel, flags.get("timeout"))
    try:
        cfg = RoleConfig(**flags)
        writer_cfg = RoleConfig(**writer_flags) if writer_flags else None
    except ValueError as exc:
        raise ContentloopError(
            f"--backend / --judge-backend must be one of: {BACKEND_HELP}"
        ) from exc
    choice = resolve(role, cfg, writer_cfg)  # type: ignore[arg-type]
    demo_notice(choice.backend)
    backend = make_backend(choice)
    if role == "judge" and choice.backend == "local" and not choice.explicit and not measure:
        from ..llm.local import NOT_MEASURED

        # The demo judge's verdicts do not separate good drafts from bad; a number from it
        # would be read as a score. Judges read this and leave their part out.
        backend.judge_not_measured = NOT_MEASURED  # type: ignore[attr-defined]
    return backend


def make_judge(
    rubric: Rubric,
    flags: dict[str, Any],
    *,
    samples: int = 1,
    no_cache: bool = False,
    ledger: CostLedger | None = None,
    measure: bool = False,
    **judge_options: Any,
) -> Judge:
    """The judge a command's --judge-* flags ask for, with the call cache unless --no-cache."""
    from ..judge import Judge
    from ..llm import CallCache, Client

    backend = make_backend_for("judge", measure=measure, **flags)
    client = Client(backend, role="judge", cache=None if no_cache else CallCache(), ledger=ledger)
    return Judge(client, rubric, samples=samples, **judge_options)


REQUIRE_CALIBRATED_HELP = (
    "Refuse to start unless the judge has a passing calibration card for this rubric "
    "(contentloop calibrate)."
)


def judge_calibration(
    rubric: Rubric, judge: Backend, *, require: bool, announce: bool = True
) -> CardStatus:
    """Say how far the judge is known to be trusted on this rubric (its calibration card), and
    refuse with --require-calibrated unless the card passed."""
    from rich.text import Text

    from ..calibrate import CARDS_DIR, card_status

    status, _ = card_status(CARDS_DIR, rubric, judge.name, judge.model)
    not_measured = getattr(judge, "judge_not_measured", None)
    if announce and not_measured:
        err.print(Text(f"judge {not_measured}", style="yellow"), highlight=False, soft_wrap=True)
    elif announce:
        style = "green" if status.state == "passed" else "yellow"
        err.print(Text(status.line(), style=style), highlight=False, soft_wrap=True)
    if require and status.state != "passed":
        raise ContentloopError(
            f"--require-calibrated: the judge {status.judge} has no passing calibration card for "
            f"rubric {rubric.name} (card {status.state}: {status.path}).",
            fix=f"run `contentloop calibrate --rubric {rubric.name} --judge-backend {judge.name} "
            f"--judge-model {judge.model}` and use a judge that passes, or drop --require-calibrated.",
        )
    return status


def role_models(role: str, flags: dict, writer_flags: dict | None = None) -> list[tuple[str, str]]:
    """(backend, model) for a role, or for each member of a judge panel, resolved from flags,
    environment and contentloop.toml without building a backend."""
    from ..llm import RoleConfig, resolve

    plain = {k: v for k, v in flags.items() if k != "panel"}
    configs = (
        [
            RoleConfig(backend=b, model=m, base_url=u, timeout=plain["timeout"])
            for b, m, u in split_models(flags["panel"], "--judge-panel")
        ]
        if flags.get("panel")
        else [RoleConfig(**plain)]
    )
    writer = RoleConfig(**writer_flags) if writer_flags else None
    return [
        (choice.backend, choice.model)
        for choice in (resolve(role, c, writer) for c in configs)  # type: ignore[arg-type]
    ]


@contextlib.contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """A bar on stderr (terminals only) and the callback that moves it: (done, total)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err.console,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda done, _total: bar.update(task, completed=done)
