"""Rendering: terminal tables, live views, and the reports of finished runs.

`build_report(folder)` reads a run folder and returns its views (plain data) and the
self-contained HTML page; `report.tables` draws the same views in the terminal.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..lazy import exports

if TYPE_CHECKING:
    from .data import OptimizeRunFiles, WriteRunFiles, find_runs, load_run
    from .diff import diff_cards, load_card, text_diff
    from .views import DRAFT_VIEWS, OPTIMIZE_VIEWS, run_row

# Where each public name lives. They load on first use (PEP 562): `score --format sarif`
# imports report.ci_formats, which would otherwise pull in the run readers, the model
# clients they use and the HTML templates.
_PUBLIC = {
    "WriteRunFiles": "data",
    "OptimizeRunFiles": "data",
    "find_runs": "data",
    "load_run": "data",
    "diff_cards": "diff",
    "load_card": "diff",
    "text_diff": "diff",
    "DRAFT_VIEWS": "views",
    "OPTIMIZE_VIEWS": "views",
    "run_row": "views",
}


__getattr__ = exports(__name__, _PUBLIC)


def build_report(folder: Path) -> tuple[dict[str, Any], str]:
    """(views, html) for a draft run folder or an optimize run folder."""
    from .data import WriteRunFiles, load_run
    from .html import draft_html, optimize_html
    from .views import draft_views, optimize_views

    run = load_run(folder)
    if isinstance(run, WriteRunFiles):
        views = draft_views(run)
        return views, draft_html(views)
    views = optimize_views(run)
    return views, optimize_html(views)


__all__ = [
    "DRAFT_VIEWS",
    "OPTIMIZE_VIEWS",
    "WriteRunFiles",
    "OptimizeRunFiles",
    "build_report",
    "diff_cards",
    "find_runs",
    "load_card",
    "load_run",
    "run_row",
    "text_diff",
]
