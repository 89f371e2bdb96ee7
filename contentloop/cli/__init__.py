"""The `contentloop` command: a thin typer layer over the library, one module per command group."""

# Importing a command module registers its commands on `app`, in the order --help lists them.
from . import score, write, optimize, calibrate, authoring, review, compare, agent, daemon  # noqa: F401, I001
from .common import app


def main() -> None:
    app()


__all__ = ["app", "main"]
