"""The pages of `contentloop view`, rendered on the server from jinja2 templates: plain HTML
and CSS, no script, so no build step and nothing to download."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote as _quote

import jinja2
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..errors import ContentloopError
from ..report.html import num

REFRESH_S = 5  # how often a page of a live run reloads itself

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("contentloop", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=True,
)


_env.filters["num"] = num


def quote(path: Path) -> str:
    """A path as a link shows it: relative to where `view` runs, when it is below it."""
    try:
        shown = path.relative_to(Path.cwd())
    except ValueError:
        shown = path
    return _quote(shown.as_posix())


_env.filters["q"] = lambda p: quote(Path(p).resolve())


def _live(status: Any) -> bool:
    text = str(status or "")
    return text == "running" or text.startswith("unfinished")


_env.tests["live"] = _live


# --- the runs page -------------------------------------------------------------------------


def rows(roots: list[Path]) -> list[dict[str, Any]]:
    """Every run under the roots, newest first: write and optimize runs (report/data.py's
    readers, as `contentloop runs` lists them) and rescores."""
    from ..report import find_runs, run_row

    found = [run_row(r) for r in find_runs(*roots)]
    for row in found:  # a write run names its topic file: the topic's name reads better here
        if row["kind"] == "write" and row["subject"].endswith((".yaml", ".yml")):
            row["subject"] = Path(row["subject"]).stem
    found += [_rescore_row(f) for f in _rescore_folders(roots)]
    found += [row for c in _card_files(roots) if (row := _card_row(c))]
    return sorted(found, key=lambda r: r["started"], reverse=True)


def _rescore_folders(roots: list[Path]) -> list[Path]:
    from ..report.data import run_folders

    return [f for root in roots for f in run_folders(root, markers=("rescore.json",))]


def _rescore_row(folder: Path) -> dict[str, Any]:
    from ..rescore import read_record

    started = datetime.fromtimestamp(folder.stat().st_mtime, UTC).isoformat(timespec="seconds")
    try:
        record = read_record(folder)
    except ContentloopError as exc:
        return {"started": started, "kind": "rescore", "subject": str(exc), "status": "unreadable",
                "first": None, "best": None, "confirmed": None, "cost_usd": None,
                "folder": str(folder)}  # fmt: skip
    assert record is not None
    shift = record.comparison.mean_shift if record.comparison else None
    return {
        "started": started,
        "kind": "rescore",
        "subject": f"{Path(record.source).name} by {record.judge['model']}",
        "status": record.status,
        "first": None,
        "best": None,
        "confirmed": shift,
        "cost_usd": record.cost_usd,
        "folder": str(folder),
    }


_CARD_FOLDER = re.compile(r".+-[0-9a-f]{12}")  # calibration/cards/<rubric>-<sha256[:12]>/


def _card_files(roots: list[Path]) -> list[Path]:
    """Calibration cards (calibrate/card.py's card_path layout) under the roots."""
    return [
        p
        for root in roots
        for p in sorted(root.rglob("*.json"))
        if _CARD_FOLDER.fullmatch(p.parent.name) and "--" in p.stem
    ]


def _card_row(path: Path) -> dict[str, Any] | None:
    from ..calibrate.card import load_card

    try:
        card = load_card(path)
    except ContentloopError:
        return None  # a JSON file that is not a card
    return {
        "started": card.created,
        "kind": "calibrate",
        "subject": f"{card.judge.get('backend')}:{card.judge.get('model')} on {card.rubric['name']}",
        "status": "passed" if card.passed else "failed",
        "first": None,
        "best": None,
        "confirmed": None,
        "cost_usd": card.calls.get("cost_usd"),
        "folder": str(path),
    }


def card_page(path: Path) -> str:
    from ..calibrate.card import load_card

    try:
        card = load_card(path)
    except ContentloopError as exc:
        raise HTTPException(404, str(exc)) from None
    return _env.get_template("view_card.html.jinja").render(
        title=f"calibration card {path.stem}", card=card, path=path
    )


def runs_page(roots: list[Path], q: str, kind: str, refresh: int = REFRESH_S) -> str:
    every = rows(roots)
    shown = [
        r
        for r in every
        if (not kind or r["kind"] == kind)
        and (not q or q.lower() in f"{r['subject']} {r['folder']} {r['status']}".lower())
    ]
    return _env.get_template("view_runs.html.jinja").render(
        title="contentloop runs",
        rows=shown,
        total=len(every),
        q=q,
        kind=kind,
        kinds=sorted({r["kind"] for r in every}),
        roots=roots,
        refresh=refresh if any(_live(r["status"]) for r in shown) else None,
    )


# --- a run ---------------------------------------------------------------------------------


def run_page(folder: Path, refresh: int = REFRESH_S) -> str:
    """The run's own report (the same page as `report --html`), with the viewer's links."""
    from ..report import build_report, load_run, run_row

    try:
        views, page = build_report(folder)
        status = run_row(load_run(folder))["status"]
    except ContentloopError as exc:
        raise HTTPException(404, str(exc)) from None
    drafts = []
    if views["kind"] == "draft":
        best = views.get("best_version")
        for v in views["score_per_cycle"]:
            drafts.append({**v, "path": folder / f"v{v['version']}.md", "best_path": best})
    nav = _env.get_template("view_run_nav.html.jinja").render(
        folder=folder, drafts=drafts, best=views.get("best_version"), live=_live(status),
        status=status, refresh=refresh,
    )  # fmt: skip
    head = f'<meta http-equiv="refresh" content="{refresh}">' if _live(status) else ""
    page = page.replace("</head>", f"{head}</head>", 1)
    return page.replace("<body>", f"<body>{nav}", 1)


# --- a draft -------------------------------------------------------------------------------


def _card(path: Path) -> dict[str, Any] | None:
    card = path.with_suffix(".score.json")
    if not card.is_file():
        return None
    try:
        return json.loads(card.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _lines(text: str, card: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each source line, with the rule findings on it marked where they matched."""
    hits: dict[int, list[dict[str, Any]]] = {}
    for v in (card or {}).get("binary", {}).get("violations", []):
        for e in v.get("evidence", []):
            if e.get("line"):
                hits.setdefault(e["line"], []).append(
                    {"name": v.get("rule") or v["check"], "text": e.get("text") or "",
                     "message": e.get("message") or v.get("reason") or ""}
                )  # fmt: skip
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        html = escape(line)
        for h in hits.get(n, []):
            needle = escape(h["text"])
            if h["text"] and needle in html:
                html = html.replace(needle, Markup(f"<mark>{needle}</mark>"), 1)
        out.append({"n": n, "html": Markup(html), "hits": hits.get(n, [])})
    return out


def draft_page(path: Path, vs: Path | None) -> str:
    from ..report import diff_cards

    try:
        text = path.read_text(encoding="utf-8")
        other = vs.read_text(encoding="utf-8") if vs else None
    except (OSError, UnicodeDecodeError) as exc:
        raise HTTPException(404, f"cannot read it: {exc}") from None
    card, other_card = _card(path), (_card(vs) if vs else None)
    diff = diff_cards(other_card, card) if card and other_card else None
    return _env.get_template("view_draft.html.jinja").render(
        title=path.name,
        path=path,
        card=card,
        lines=_lines(text, card),
        vs=vs,
        vs_card=other_card,
        vs_lines=_lines(other, other_card) if other is not None else None,
        diff=diff,
    )


# --- a rescore -----------------------------------------------------------------------------


def rescore_page(folder: Path, refresh: int = REFRESH_S) -> str:
    from ..rescore import read_record

    try:
        record = read_record(folder)
    except ContentloopError as exc:
        raise HTTPException(404, str(exc)) from None
    if record is None:
        raise HTTPException(404, "not a rescore folder")
    source = Path(record.source)
    return _env.get_template("view_rescore.html.jinja").render(
        title=f"rescore of {source.name}",
        record=record,
        folder=folder,
        source=source,
        refresh=refresh if record.status == "running" else None,
    )


async def error_page(request: Request, exc: Exception) -> HTMLResponse:
    code = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "error"
    body = _env.get_template("view_error.html.jinja").render(
        title=f"{code}", code=code, detail=detail
    )
    return HTMLResponse(body, status_code=code)
