"""Render run reports in headless Chromium and save screenshots, to look at by eye.

    python bench/report_screenshots.py RUN_FOLDER [RUN_FOLDER ...] [--out bench/screenshots]

Each run gets report.html plus a phone-width (390 px) and a desktop-width (1000 px) PNG.
Needs Chromium (Debian: apt-get install chromium).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from contentloop.report import build_report
from contentloop.report.browser import screenshot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("bench/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for folder in args.runs:
        _, html = build_report(folder)
        name = folder.resolve().name
        page = args.out / f"{name}.html"
        page.write_text(html, encoding="utf-8")
        for label, width in (("phone", 390), ("desktop", 1000)):
            png = screenshot(page, args.out / f"{name}-{label}.png", width=width, height=2600)
            print(f"{png}  ({png.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
