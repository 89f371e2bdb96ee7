"""The self-contained HTML report: one file, inline CSS and SVG, no script, no network."""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup

from . import svg
from .svg import Series

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("contentloop", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=True,
)


def num(v: float | None, digits: int = 2) -> str:
    """A number as the pages show it: trailing zeros dropped, "–" for none."""
    if v is None:
        return "–"
    text = f"{v + 0.0:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:.0f}"
    return "0" if text in ("-0", "") else text


_env.filters["num"] = num


def draft_html(views: dict[str, Any]) -> str:
    cycle = views["score_per_cycle"]
    xs = [float(v["version"]) for v in cycle]
    charts = {
        "score_per_cycle": svg.line_chart(
            "score_per_cycle",
            "Score per version (filled: kept, ring: not kept)",
            [
                Series(
                    "total",
                    list(zip(xs, [v["total"] for v in cycle], strict=True)),
                    marks=["keep" if v["kept"] else "discard" for v in cycle],
                ),
                Series("rules", list(zip(xs, [v["binary"] for v in cycle], strict=True))),
                Series(
                    "judge", list(zip(xs, [v["judge"] for v in cycle], strict=True)), dashed=True
                ),
            ],
            x_label="version",
            x_ticks=xs,
        ),
    }
    cc = views["checks_and_criteria"]
    vx = [float(v) for v in cc["versions"]]
    charts["checks_and_criteria"] = svg.line_chart(
        "checks_and_criteria",
        "Judge criteria per version (1-10)",
        [Series(name, list(zip(vx, s, strict=True))) for name, s in cc["criteria"].items()],
        y_range=(0, 10),
        x_label="version",
        x_ticks=vx,
    )
    fixed, new = views["violations"]["disappeared"], views["violations"]["appeared"]
    charts["violations"] = svg.bar_chart(
        "violations",
        "Rule violations from the first version to the best",
        [
            ("fixed", float(sum(x["count"] for x in fixed))),
            ("introduced", float(sum(x["count"] for x in new))),
        ],
        color="#059669",
    )
    asked = views["asked"]
    charts["asked"] = svg.bar_chart(
        "asked",
        "Items each revision request carried (rule failures + criteria)",
        [
            (
                f"v{a['version']}",
                float(len(a.get("violations") or []) + len(a.get("criteria") or [])),
            )
            for a in asked
        ],
        color="#7c3aed",
    )
    lines = views["text_diff"]
    body = [x for x in lines if not x.startswith(("+++", "---", "@@"))]
    charts["text_diff"] = svg.bar_chart(
        "text_diff",
        "Lines changed from the first version to the best",
        [
            ("added", float(sum(x.startswith("+") for x in body))),
            ("removed", float(sum(x.startswith("-") for x in body))),
        ],
        color="#0891b2",
    )
    charts["judge"] = _judge_chart(views["judge"])
    return _env.get_template("report_draft.html.jinja").render(
        v=views, charts={k: Markup(c) for k, c in charts.items()}, title=_draft_title(views)
    )


def _draft_title(views: dict[str, Any]) -> str:
    return f"contentloop · write · {views['topic_name']}"


def optimize_html(views: dict[str, Any]) -> str:
    spe = views["score_per_experiment"]
    pts = spe["points"]
    charts: dict[str, str] = {}
    band = spe["noise_band"]
    # A crash has no score; it is drawn on the chart's floor so that it is still seen.
    scored = [p["score"] for p in pts if p["score"] is not None] + [
        b["best"] for b in spe["best_so_far"]
    ]
    floor = min(scored) if scored else 0.0
    charts["score_per_experiment"] = (
        svg.line_chart(
            "score_per_experiment",
            "Mean score per experiment, best so far, baseline ± noise",
            [
                Series(
                    "best so far",
                    [(float(b["experiment"]), b["best"]) for b in spe["best_so_far"]],
                    step=True,
                    color="#059669",
                    dots=False,
                ),
                Series(  # drawn last, so each try's mark sits on top of the line
                    "experiments",
                    [
                        (float(p["experiment"]), floor if p["score"] is None else p["score"])
                        for p in pts
                    ],
                    marks=[p["status"] for p in pts],
                    line=False,
                    color="#111827",
                ),
            ],
            x_label="experiment",
            band=None if band is None else (band[0], band[1], "baseline ± noise floor"),
        )
        + svg.status_legend()
    )
    hold = views["holdout"]
    charts["holdout"] = svg.line_chart(
        "holdout",
        "Training vs held-out topics (baseline and each new best)",
        [
            Series("training", [(float(h["experiment"]), h["train"]) for h in hold]),
            Series("held out", [(float(h["experiment"]), h["holdout"]) for h in hold], dashed=True),
        ],
        x_label="experiment",
    )
    trends = views["criteria_trends"]
    charts["criteria_trends"] = svg.line_chart(
        "criteria_trends",
        "Judge criteria per experiment (mean over drafts, 1-10)",
        [
            Series(name, [(float(p["experiment"]), p["score"]) for p in series])
            for name, series in trends.items()
        ],
        y_range=(0, 10),
        x_label="experiment",
    )
    kept = views["kept_changes"]
    charts["kept_changes"] = svg.bar_chart(
        "kept_changes",
        "Gain of each kept change over the best before it (points)",
        [(f"#{k['experiment']} {k['section']}", k["delta"]) for k in kept],
        color="#059669",
    )
    explored = views["sections_explored"]
    charts["sections_explored"] = svg.bar_chart(
        "sections_explored",
        "Tries per section",
        [(f"{s['section']} ({s['kept']} kept)", float(s["tried"])) for s in explored],
    )
    ct = views["cost_time"]["per_experiment"]
    labels = _experiment_labels(ct)
    charts["cost_time"] = svg.bar_chart(
        "cost_time",
        "Wall time per experiment (s)",
        [(label, c["seconds"]) for label, c in zip(labels, ct, strict=True)],
        unit=" s",
        color="#d97706",
    )
    charts["judge"] = _judge_chart(views["judge"])
    if views.get("lanes"):
        charts["lanes"] = _lanes_chart(views["lanes"])
    if views.get("objective"):
        charts["objective"] = _objective_chart(views["objective"])
    return _env.get_template("report_optimize.html.jinja").render(
        v=views,
        charts={k: Markup(c) for k, c in charts.items()},
        labels=labels,
        title=f"contentloop · optimize-skill · {views['tag']}",
    )


def _lanes_chart(lanes: dict[str, Any]) -> str:
    """One best-so-far line per lane over the run's minutes; each merge a mark on the top
    line at its time: filled when adopted, hollow when no composition won."""
    series = [
        Series(
            f"lane {ln['lane']}", [(x, y) for x, y in ln["best_over_time"]], step=True, dots=False
        )
        for ln in lanes["lanes"]
    ]
    tops = [y for ln in lanes["lanes"] for _, y in ln["best_over_time"]]
    if lanes["merges"] and tops:
        series.append(
            Series(
                "merges",
                [(m["minutes"], max(tops)) for m in lanes["merges"]],
                marks=["keep" if m["adopted"] else "discard" for m in lanes["merges"]],
                line=False,
                color="#111827",
            )
        )
    return svg.line_chart(
        "lanes", "Best score per lane over the run; merges marked", series, x_label="minutes"
    )


def _experiment_labels(rows: list[dict[str, Any]]) -> list[str]:
    labels, base = [], 0
    for r in rows:
        if r["experiment"] == 0:
            base += 1
            labels.append(f"baseline {base}")
        else:
            labels.append(f"#{r['experiment']} {r['status']}")
    return labels


def _objective_chart(obj: dict[str, Any]) -> str:
    pts = obj["points"]
    return (
        svg.line_chart(
            "objective",
            f"{obj['primary']} against {obj['secondary']}: every try, and the frontier no try "
            "beats on both",
            [
                Series(
                    "frontier",
                    [(float(p["x"]), p["y"]) for p in obj["frontier"]],
                    color="#059669",
                    dashed=True,
                    dots=False,
                ),
                Series(
                    "tries",
                    [(float(p["x"]), p["y"]) for p in pts],
                    marks=[p["status"] if p["experiment"] else "point" for p in pts],
                    line=False,
                    color="#111827",
                ),
            ],
            x_label=obj["secondary"],
        )
        + svg.status_legend()
    )


def _judge_chart(judge: dict[str, Any]) -> str:
    return svg.bar_chart(
        "judge",
        "Judge discrimination per criterion on its calibration card (share of degraded copies "
        "scored lower; passes at 0.75)",
        [(d["criterion"], d["value"]) for d in judge["discrimination"]],
        color="#2563eb",
    )


def compare_html(views: dict[str, Any]) -> str:
    """`contentloop compare --html`: quality against cost and against speed, and the table."""
    rows = views["rows"]

    def scatter(view: str, title: str, key: str, label: str) -> str:
        series = [
            Series(f"{r['writer']} / {r['judge']}", [(float(r[key]), r["mean"])], line=False)
            for r in rows
            if r[key] is not None and r["mean"] is not None
        ]
        return svg.line_chart(view, title, series, x_label=label)

    charts = {
        "quality_vs_cost": Markup(
            scatter(
                "quality_vs_cost",
                "Mean score against dollars per post",
                "usd_per_post",
                "$ per post",
            )
        ),
        "quality_vs_speed": Markup(
            scatter(
                "quality_vs_speed",
                "Mean score against writer tokens per second",
                "tokens_per_second",
                "tokens/s",
            )
        ),
    }
    return _env.get_template("report_compare.html.jinja").render(
        v=views, charts=charts, title="contentloop compare"
    )
