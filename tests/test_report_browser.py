"""The HTML report in a real headless Chromium: it renders, at phone width, to an image.

Skips (with the reason) where no Chromium is installed; on Debian: apt-get install chromium.
"""

from __future__ import annotations

import struct

import pytest

from contentloop.report import build_report
from contentloop.report.browser import find_chromium, screenshot

pytestmark = pytest.mark.skipif(
    find_chromium() is None, reason="no Chromium on this machine (apt-get install chromium)"
)


def png_size(path):
    with path.open("rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "a PNG file"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("which", ["draft_run", "optimize_run"])
def test_report_renders_in_headless_chromium_at_phone_width(which, request, tmp_path):
    folder = request.getfixturevalue(which)
    _, html = build_report(folder)
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    png = screenshot(page, tmp_path / "report.png", width=390, height=2400)
    assert png_size(png) == (390, 2400)
    # A blank page compresses to almost nothing; charts and tables do not.
    assert png.stat().st_size > 40_000, png.stat().st_size
