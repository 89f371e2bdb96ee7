"""`contentloop view`: every run in a browser, served on 127.0.0.1 only."""

from __future__ import annotations

import socket
import webbrowser
from pathlib import Path

import typer

from .common import app, err, user_errors


@app.command()
def view(
    drafts: Path = typer.Option(Path("drafts"), "--drafts", help="Where write put its runs."),
    runs_root: Path = typer.Option(Path("runs"), "--runs", help="Where optimize-skill runs are."),
    cards: Path = typer.Option(
        Path("calibration") / "cards", "--cards", help="Where calibrate keeps its cards."
    ),
    extra: list[Path] = typer.Option(
        [], "--also", help="Another folder of runs to show (calibration sets' rescores...)."
    ),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="0: a free port, chosen now."),
    open_: bool = typer.Option(False, "--open", help="Open the runs page in a browser."),
) -> None:
    """Browse every write, optimize and rescore run and calibration card: scores, decisions,
    drafts side by side.

    Read-only, on 127.0.0.1 only: it never changes a run folder, and serves nothing outside
    the folders it shows. A page of a live run reloads itself. Ctrl-C stops it.

    Examples:

    \b
      contentloop view --open
      contentloop view --port 8765 --runs runs --drafts drafts
    """
    import uvicorn

    from ..viewer import make_app

    with user_errors():
        from ..errors import ContentloopError

        roots = [p for p in (drafts, runs_root, cards, *extra) if p.is_dir()]
        if not roots:
            raise ContentloopError(
                f"neither {drafts}/ nor {runs_root}/ is here, so there is no run to show.",
                fix="run it where `contentloop write` or `optimize-skill` ran, or pass --drafts/--runs.",
            )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise ContentloopError(
                f"cannot listen on 127.0.0.1:{port} ({exc.strerror}).",
                fix="pass another --port, or --port 0 for a free one.",
            ) from None
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    err.print(f"contentloop view: {url} (read-only; Ctrl-C stops it)", highlight=False)
    if open_:
        webbrowser.open(url)
    config = uvicorn.Config(make_app(roots), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
