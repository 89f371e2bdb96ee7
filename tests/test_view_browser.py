"""`contentloop view` in a real headless Chromium: the pages load and draw, their links lead
somewhere in the browser, and a live run's page reloads itself.

Skips (with the reason) where no Chromium is installed; on Debian: apt-get install chromium.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from contentloop.report.browser import browse, dump_dom, find_chromium, screenshot
from contentloop.viewer import make_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        find_chromium() is None, reason="no Chromium on this machine (apt-get install chromium)"
    ),
]


class Counting:
    """The app, counting the requests it gets by path (the browser's reloads show here)."""

    def __init__(self, app) -> None:
        self.app, self.seen = app, Counter()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            self.seen[scope["path"]] += 1
        await self.app(scope, receive, send)


@pytest.fixture
def served(draft_run, optimize_run) -> Iterator[tuple[str, Counting, Path]]:
    import uvicorn

    app = Counting(make_app([draft_run.parent.parent, optimize_run.parent], refresh=1))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", app, draft_run
    server.should_exit = True
    thread.join(timeout=10)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("page", ["/", "run", "draft"])
def test_pages_draw_in_chromium(served, tmp_path, page):
    url, _, run = served
    target = {
        "/": "/",
        "run": f"/run?path={quote(str(run))}",
        "draft": f"/draft?path={quote(str(run / 'v2.md'))}&vs={quote(str(run / 'v0.md'))}",
    }[page]
    png = screenshot(url + target, tmp_path / "page.png", width=1024, height=1400)
    assert png_size(png) == (1024, 1400)
    # A blank or error page compresses to almost nothing; tables, text and charts do not.
    assert png.stat().st_size > 25_000, png.stat().st_size


def test_links_lead_somewhere_in_the_browser(served):
    url, app, run = served
    home = dump_dom(url + "/")
    runs = re.findall(r'href="(/run\?[^"]+)"', home)
    assert runs, home[:500]
    run_page = dump_dom(url + runs[0].replace("&amp;", "&"))
    drafts = re.findall(r'href="(/draft\?[^"]+)"', run_page)
    page = dump_dom(url + (drafts or runs)[0].replace("&amp;", "&"))
    assert "<table" in page and "404" not in page.split("<main>")[-1][:200]
    assert app.seen["/"] >= 1 and app.seen["/run"] >= 1


def test_a_live_run_reloads_itself_in_the_browser(served):
    url, app, run = served
    meta = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps({**meta, "status": "running"}))
    assert "live" in dump_dom(f"{url}/run?path={quote(str(run))}")
    app.seen.clear()
    browse(f"{url}/run?path={quote(str(run))}", seconds=4)  # reloads every second
    assert app.seen["/run"] >= 2, f"the page did not reload: {app.seen}"
    (run / "run.json").write_text(json.dumps(meta))  # finished: no more reloads
    app.seen.clear()
    browse(f"{url}/run?path={quote(str(run))}", seconds=4)
    assert app.seen["/run"] == 1, app.seen
