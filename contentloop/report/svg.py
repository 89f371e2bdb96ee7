"""Inline SVG charts for the HTML report: no JavaScript, no network, scale to any width.

Every chart is an <svg> with `data-view` naming the view it draws, and every plotted
point carries `data-series`, `data-x` and `data-y`, so tests can check the numbers a reader
sees against the ledgers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

# Narrow enough that its text stays legible when a phone scales the chart to ~360 px.
W, H = 520, 250
PAD_L, PAD_R, PAD_T, PAD_B = 44, 14, 36, 36
PALETTE = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]
NEGATIVE = "#dc2626"  # a bar below zero (a loss), whatever the chart's colour
# How each experiment status is drawn: shape and colour, so kept, discarded, explored and
# crashed tries are told apart without relying on colour alone.
STATUS_MARK = {
    "keep": ("circle", "#059669"),
    "discard": ("ring", "#6b7280"),
    "explore": ("diamond", "#2563eb"),
    "crash": ("cross", "#dc2626"),
    "timeout": ("cross", "#d97706"),
    "point": ("circle", ""),
    "none": ("hidden", ""),  # a line without dots; the point still carries its data-* values
}


@dataclass
class Series:
    name: str
    points: list[tuple[float, float | None]]
    color: str = ""
    step: bool = False  # a best-so-far line: flat until the next improvement
    dashed: bool = False
    marks: list[str] | None = None  # a STATUS_MARK key per point
    dots: bool = True  # False: draw the line only
    line: bool = True


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t <= hi + step * 0.01:
        ticks.append(round(t, 6))
        t += step
    return ticks


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) >= 0.01 or v == 0 else f"{v:.2g}"


def _marker(kind: str, x: float, y: float, color: str, attrs: str) -> str:
    shape, fixed = STATUS_MARK.get(kind, STATUS_MARK["point"])
    c = fixed or color
    if shape == "hidden":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="0" {attrs}/>'
    if shape == "ring":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#fff" stroke="{c}" stroke-width="2" {attrs}/>'
    if shape == "diamond":
        pts = f"{x:.1f},{y - 6:.1f} {x + 6:.1f},{y:.1f} {x:.1f},{y + 6:.1f} {x - 6:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{c}" {attrs}/>'
    if shape == "cross":
        d = f"M{x - 5:.1f},{y - 5:.1f}L{x + 5:.1f},{y + 5:.1f}M{x - 5:.1f},{y + 5:.1f}L{x + 5:.1f},{y - 5:.1f}"
        return f'<path d="{d}" stroke="{c}" stroke-width="2.5" fill="none" {attrs}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{c}" {attrs}/>'


def line_chart(
    view: str,
    title: str,
    series: list[Series],
    *,
    x_label: str = "",
    y_range: tuple[float, float] | None = None,
    band: tuple[float, float, str] | None = None,  # (low, high, label): e.g. the noise band
    x_ticks: list[float] | None = None,
) -> str:
    xs = [x for s in series for x, y in s.points if y is not None]
    ys = [y for s in series for _, y in s.points if y is not None]
    if band:
        ys += [band[0], band[1]]
    if not xs:
        return _empty(view, title)
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x1 = x0 + 1
    y0, y1 = y_range or (min(ys), max(ys))
    if y1 - y0 < 1e-9:
        y0, y1 = y0 - 1, y1 + 1
    yt = _nice_ticks(y0, y1)
    y0, y1 = min(y0, yt[0]), max(y1, yt[-1])

    def px(x: float) -> float:
        return PAD_L + (x - x0) / (x1 - x0) * (W - PAD_L - PAD_R)

    def py(y: float) -> float:
        return H - PAD_B - (y - y0) / (y1 - y0) * (H - PAD_T - PAD_B)

    out = [_open(view, title)]
    for t in yt:
        out.append(
            f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#e5e7eb"/>'
            f'<text x="{PAD_L - 6}" y="{py(t) + 4:.1f}" text-anchor="end" class="tick">{_fmt(t)}</text>'
        )
    for t in x_ticks if x_ticks is not None else _x_ticks(x0, x1):
        out.append(
            f'<text x="{px(t):.1f}" y="{H - PAD_B + 16}" text-anchor="middle" class="tick">{_fmt(t)}</text>'
        )
    if x_label:
        out.append(
            f'<text x="{W - PAD_R}" y="{H - 4}" text-anchor="end" class="tick">{escape(x_label)}</text>'
        )
    if band:
        lo, hi, label = band
        out.append(
            f'<rect x="{PAD_L}" width="{W - PAD_L - PAD_R}" y="{py(hi):.1f}" height="{max(py(lo) - py(hi), 1):.1f}" '
            f'fill="#94a3b8" opacity="0.18" data-band="{lo:g},{hi:g}"><title>{escape(label)}</title></rect>'
        )
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        pts = [(x, y) for x, y in s.points if y is not None]
        if s.line and len(pts) > 1:
            d = f"M{px(pts[0][0]):.1f},{py(pts[0][1]):.1f}"
            for (_, ya), (xb, yb) in zip(pts, pts[1:], strict=False):
                if s.step:
                    d += f"L{px(xb):.1f},{py(ya):.1f}"
                d += f"L{px(xb):.1f},{py(yb):.1f}"
            dash = ' stroke-dasharray="5 4"' if s.dashed else ""
            out.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for j, (x, y) in enumerate(s.points):
            if y is None:
                continue
            kind = s.marks[j] if s.marks else "point" if s.dots else "none"
            attrs = (
                f'data-series="{escape(s.name)}" data-x="{x:g}" data-y="{y:g}" data-kind="{kind}"'
            )
            out.append(_marker(kind, px(x), py(y), color, attrs))
    out.append("</svg>")
    return "".join(out) + _legend(series)


def bar_chart(
    view: str, title: str, bars: list[tuple[str, float | None]], *, unit: str = "", color: str = ""
) -> str:
    """Horizontal bars, one per label; a None value is drawn as 'n/a'."""
    if not bars:
        return _empty(view, title)
    row, label_w = 26, min(210, 12 + 8 * max(len(b[0]) for b in bars))
    height = PAD_T + row * len(bars) + 10
    values = [v for _, v in bars if v is not None]
    # The scale spans zero and every value, so a negative bar grows left of the zero line
    # instead of collapsing to a sliver at the left edge (or drawing with a negative width).
    lo, hi = min(0.0, *values), max(0.0, *values)
    span = (hi - lo) or 1.0
    room = W - label_w - 110  # space for the value labels on both sides
    zero = label_w + 50 * (lo < 0) + (-lo) / span * room
    out = [_open(view, title, height)]
    if lo < 0:
        out.append(
            f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{PAD_T}" y2="{height - 6}" stroke="#6b7280"/>'
        )
    for i, (label, value) in enumerate(bars):
        y = PAD_T + i * row
        out.append(
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" class="tick">{escape(label)}</text>'
        )
        if value is None:
            out.append(f'<text x="{label_w}" y="{y + 17}" class="tick">n/a</text>')
            continue
        width = max(abs(value) / span * room, 1)
        left = zero if value >= 0 else zero - width
        fill = color or PALETTE[0]
        if value < 0:
            fill = NEGATIVE
        text_x, anchor = (left + width + 6, "start") if value >= 0 else (left - 6, "end")
        out.append(
            f'<rect x="{left:.1f}" y="{y + 4}" width="{width:.1f}" height="{row - 9}" rx="2" '
            f'fill="{fill}" data-series="{escape(label)}" data-y="{value:g}"/>'
            f'<text x="{text_x:.1f}" y="{y + 17}" text-anchor="{anchor}" class="tick">'
            f"{_fmt(value)}{escape(unit)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _x_ticks(x0: float, x1: float) -> list[float]:
    if x1 - x0 <= 12:
        return [float(x) for x in range(math.ceil(x0), math.floor(x1) + 1)]
    return _nice_ticks(x0, x1, 8)


def _open(view: str, title: str, height: int = H) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" data-view="{escape(view)}" class="chart">'
        f'<text x="{PAD_L}" y="18" class="title">{escape(title)}</text>'
    )


def _legend(series: list[Series]) -> str:
    # HTML, not SVG: it wraps on a narrow screen instead of overflowing the chart.
    items = "".join(
        f'<span><i style="background:{s.color or PALETTE[i % len(PALETTE)]}"></i>{escape(s.name)}</span>'
        for i, s in enumerate(series)
    )
    return f'<div class="legend">{items}</div>'


def _empty(view: str, title: str) -> str:
    return _open(view, title, 60) + '<text x="48" y="44" class="tick">no data yet</text></svg>'


def status_legend() -> str:
    """A small key for the experiment status markers."""
    items = []
    for i, kind in enumerate(("keep", "discard", "explore", "crash", "timeout")):
        x = 10 + i * 92
        items.append(
            _marker(kind, x, 12, "", "") + f'<text x="{x + 10}" y="16" class="tick">{kind}</text>'
        )
    return f'<svg viewBox="0 0 470 24" width="100%" class="key">{"".join(items)}</svg>'
