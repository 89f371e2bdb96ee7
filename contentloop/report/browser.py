"""Screenshots of an HTML report in a real headless browser (Chromium), for checking by eye
that the charts draw and the page fits a phone. Used by tests and bench/report_screenshots.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(html: Path, png: Path, *, width: int = 390, height: int = 2600) -> Path:
    """Render `html` at `width` CSS pixels (390: a phone) and save the page as `png`."""
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("no Chromium found (tried: " + ", ".join(CANDIDATES) + ")")
    args = [
        browser,
        "--headless=new",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        f"--window-size={width},{height}",
        f"--screenshot={png}",
        html.resolve().as_uri(),
    ]
    if os.geteuid() == 0:
        args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    png.unlink(missing_ok=True)
    subprocess.run(args, capture_output=True, timeout=120, check=False)
    if not png.exists():
        raise RuntimeError(f"{browser} wrote no screenshot for {html}")
    return png
