"""The `contentloop` executable: hand `score --no-judge` to a running resident checker, else
run the CLI in this process (see resident/)."""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    # Only `score --no-judge` can be forwarded: every other command skips even the client's
    # imports (socket, hashlib), which would be a tenth of `contentloop --help`.
    if argv[:1] == ["score"] and "--no-judge" in argv:
        from .resident.client import forward

        code = forward(argv)
        if code is not None:
            sys.exit(code)
    from .cli import main as cli_main

    cli_main()


def serve() -> None:
    """The resident checker's process (`daemon start` spawns it; see resident/client.spawn)."""
    import argparse

    from .resident import DEFAULT_IDLE

    parser = argparse.ArgumentParser(prog="contentloop-resident")
    parser.add_argument("--idle", type=float, default=DEFAULT_IDLE, help="seconds; 0 = never")
    args = parser.parse_args()
    serve_forever(args.idle if args.idle > 0 else float("inf"))


def serve_forever(idle: float) -> None:
    """Warm the checks and the CLI, then serve `score --no-judge` until `idle` seconds pass
    without a command."""
    from .cli import run_command
    from .resident.server import Server, warm_checks

    def warm() -> None:
        from . import cli  # noqa: F401 - imported before the first fork, so every child has it

        warm_checks()

    Server(run_command, idle, warm).serve()


if __name__ == "__main__":
    main()
