"""The `contentloop` command: a thin typer layer over the library, one module per command group."""

import sys

# Importing a command module registers its commands on `app`, in the order --help lists them.
from . import (  # noqa: F401, I001
    agent,
    authoring,
    calibrate,
    compare,
    daemon,
    lint,
    optimize,
    rescore,
    review,
    score,
    view,
    write,
)
from .common import app


def main() -> None:
    app()


def run_command(argv: list[str]) -> int:
    """Run one command line as `contentloop` would and return its exit code (the resident
    checker's children run commands through this)."""
    try:
        app(args=argv, prog_name="contentloop")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        sys.stderr.write(f"{exc.code}\n")
        return 1
    return 0


__all__ = ["app", "main", "run_command"]
