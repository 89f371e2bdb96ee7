"""`contentloop daemon start|stop|status`: the resident checker (see contentloop/resident)."""

from __future__ import annotations

import time

import typer

from ..resident import DEFAULT_IDLE
from .common import app, emit_json, err, out

daemon_app = typer.Typer(
    no_args_is_help=True,
    help="A resident checker that keeps spaCy warm, so `score --no-judge` starts at once.",
)
app.add_typer(daemon_app, name="daemon")

READY_WAIT = 60.0  # seconds for a new server to import spaCy and build the matchers


@daemon_app.command("start")
def start(
    idle: float = typer.Option(
        DEFAULT_IDLE, "--idle", min=0, help="Seconds without a command before it exits; 0 = never."
    ),
    foreground: bool = typer.Option(
        False, "--foreground", help="Serve in this process (for a supervisor) until Ctrl-C."
    ),
) -> None:
    """Start the resident checker for this CONTENTLOOP_HOME, if it is not running.

    From then on `contentloop score ... --no-judge` is run by the server, with the same
    output and exit code, without starting spaCy again: a changed file is checked in a
    fraction of the time (bench/score_cache.py). Any other command runs as before.
    CONTENTLOOP_NO_DAEMON=1 makes a command ignore the server; CONTENTLOOP_DAEMON=auto makes
    a `score --no-judge` that finds none start one for the commands after it (for pre-commit,
    whose hooks run in their own virtualenv: each Python has its own server).

    Examples:

    \b
      contentloop daemon start
      contentloop daemon start --idle 3600
      contentloop daemon status --json
      contentloop daemon stop
    """
    from ..resident.address import fingerprint, log_path
    from ..resident.client import control, spawn, supported

    if not supported():
        err.print("error: the resident checker runs on Linux only; `score` works without it.")
        raise typer.Exit(2)
    status = control("status")
    if status is not None and status.get("fingerprint") == fingerprint():
        out.print(f"the resident checker is already running (pid {status['pid']}).")
        return
    if status is not None:  # started from code edited since: make way
        control("stop")
    if foreground:
        from ..resident.server import Server
        from . import run_command  # this process has the CLI loaded: nothing more to warm

        try:
            Server(run_command, idle or float("inf")).serve()
        except KeyboardInterrupt:
            pass
        return
    proc = spawn(idle)
    deadline = time.monotonic() + READY_WAIT
    while (status := control("status", timeout=1.0)) is None:
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                proc.kill()
            log = log_path()
            tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
            err.print("\n".join(tail), soft_wrap=True, highlight=False)
            err.print(
                f"error: the resident checker did not start (log: {log}); "
                "`score` still works without it.",
                soft_wrap=True,
                highlight=False,
            )
            raise typer.Exit(2)
        time.sleep(0.1)
    out.print(
        f"resident checker ready (pid {status['pid']}): `score --no-judge` now runs in it. "
        f"It exits {_when(idle)}.",
        soft_wrap=True,
        highlight=False,
    )


@daemon_app.command("stop")
def stop() -> None:
    """Stop the resident checker of this CONTENTLOOP_HOME (commands under way finish)."""
    from ..resident.client import control

    reply = control("stop")
    if reply is None:
        out.print("no resident checker is running.")
    else:
        out.print(f"stopped the resident checker (pid {reply['stopped']}).")


@daemon_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="One JSON object.")) -> None:
    """Whether the resident checker runs, since when, and how many commands it ran.

    Exit codes: 0 running; 1 not running.
    """
    from ..resident.address import fingerprint
    from ..resident.client import control

    reply = control("status")
    if reply is not None:
        reply["current"] = reply.get("fingerprint") == fingerprint()
    if as_json:
        emit_json(reply or {"running": False})
    elif reply is None:
        out.print("no resident checker is running; `contentloop daemon start` starts one.")
    else:
        stale = "" if reply["current"] else " It runs older code and stops at the next command."
        out.print(
            f"resident checker pid {reply['pid']}, started {reply['started']}, "
            f"{reply['served']} commands run, socket {reply['socket']}.{stale}",
            soft_wrap=True,
            highlight=False,
        )
    if reply is None:
        raise typer.Exit(1)


def _when(idle: float) -> str:
    if not idle:
        return "on `contentloop daemon stop`"
    span = f"{idle / 60:g} min" if idle >= 60 else f"{idle:g} s"
    return f"after {span} without a command, or on `contentloop daemon stop`"
