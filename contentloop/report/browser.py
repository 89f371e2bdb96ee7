"""Screenshots of an HTML report in a real headless browser (Chromium), for checking by eye
that the charts draw and the page fits a phone. Used by tests and bench/report_screenshots.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _browser(*flags: str) -> list[str]:
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("no Chromium found (tried: " + ", ".join(CANDIDATES) + ")")
    args = [browser, "--headless=new", "--disable-gpu", "--hide-scrollbars", "--no-first-run"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return [*args, *flags]


def _target(page: Path | str) -> str:
    return page if isinstance(page, str) else page.resolve().as_uri()


def screenshot(page: Path | str, png: Path, *, width: int = 390, height: int = 2600) -> Path:
    """Render `page` (an HTML file, or a URL) at `width` CSS pixels (390: a phone) and save
    it as `png`."""
    args = _browser(f"--window-size={width},{height}", f"--screenshot={png}", _target(page))
    png.unlink(missing_ok=True)
    subprocess.run(args, capture_output=True, timeout=120, check=False)
    if not png.exists():
        raise RuntimeError(f"{args[0]} wrote no screenshot for {_target(page)}")
    return png


def dump_dom(page: Path | str, *, wait_ms: int = 0) -> str:
    """The page's DOM after the browser loaded it (and ran `wait_ms` of virtual time: a page
    that reloads itself does so within it)."""
    wait = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    done = subprocess.run(
        _browser(*wait, "--dump-dom", _target(page)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout


def browse(url: str, seconds: float) -> None:
    """Keep `url` open in a headless browser for `seconds` of real time, as a reader would
    (a page that reloads itself does so), then close it."""
    import tempfile

    # Chromium's helpers (renderer, crash handler) outlive the browser process by a moment and
    # keep writing to the profile: they are stopped as one group, and a file they leave does
    # not fail the cleanup.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            _browser("--remote-debugging-port=0", f"--user-data-dir={profile}", url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
