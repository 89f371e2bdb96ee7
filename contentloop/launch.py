"""The `contentloop` executable: hand `score --no-judge` to a running resident checker, else
run the CLI in this process (see resident/)."""

from __future__ import annotations

import sys


def main() -> None:
    from .resident.client import forward

    code = forward(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from .cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
