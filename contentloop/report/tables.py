"""The terminal side of `report`, `diff` and `runs`: rich tables and sparklines."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

BLOCKS = "▁▂▃▄▅▆▇█"
STATUS_STYLE = {
    "keep": "green",
    "discard": "dim",
    "explore": "blue",
    "crash": "red",
    "timeout": "yellow",
}


def sparkline(values: list[float | None], lo: float | None = None, hi: float | None = None) -> str:
    """One character per value, ▁ (lowest) to █ (highest); a gap for a missing value."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    lo = min(known) if lo is None else lo
    hi = max(known) if hi is None else hi
    span = (hi - lo) or 1.0
    return "".join(
        " "
        if v is None
        else BLOCKS[min(len(BLOCKS) - 1, max(0, round((v - lo) / span * (len(BLOCKS) - 1))))]
        for v in values
    )


def _n(v: float | None, fmt: str = "{:.2f}") -> str:
    return "–" if v is None else fmt.format(v)


def _delta(v: float | None) -> Text:
    if v is None:
        return Text("–", style="dim")
    return Text(f"{v:+.2f}", style="green" if v > 0 else "red" if v < 0 else "dim")


def _calibration(console: Console, judge: dict[str, Any]) -> None:
    """The judge's calibration card state when the run started (runs before calibrate: none)."""
    from ..calibrate.card import CardStatus

    if judge.get("calibration"):
        status = CardStatus.model_validate(judge["calibration"])
        console.print(
            status.line(), style="green" if status.state == "passed" else "yellow", highlight=False
        )


def render_draft_report(console: Console, v: dict[str, Any]) -> None:
    cycle = v["score_per_cycle"]
    console.print(
        Text.assemble(
            ("draft run ", "bold"),
            (str(v["topic"]), "bold cyan"),
            f"  {v['folder']}  ({v['status']}{', ' + v['stop_reason'] if v['stop_reason'] else ''})",
        )
    )
    _calibration(console, v["judge"])
    conf, gain = v.get("confirmation"), v.get("confirmed_improvement")
    if conf and conf["final"] == 0:
        console.print(
            f"final is v0: v{conf['candidate']} was not better than v0 on {conf['rounds']} fresh "
            f"verdicts each ({conf['gain']['mean']:+.2f})",
            highlight=False,
        )
    elif gain:
        console.print(
            f"confirmed improvement over v0 {gain['mean']:+.2f} (95% CI {gain['ci95_low']:+.2f} "
            f"to {gain['ci95_high']:+.2f})"
            + (f" on {conf['rounds']} fresh verdicts each" if conf else ", rule checks alone"),
            highlight=False,
        )
    t = Table(title="score per version", title_justify="left")
    total = f"total /{v['max']:g}" if v.get("max") else "total"
    for col in ("version", total, "rules", "judge", "kept"):
        t.add_column(col, justify="right" if col != "kept" else "left")
    for c in cycle:
        t.add_row(
            f"v{c['version']}" + (" ★" if c["best"] else ""),
            _n(c["total"]),
            _n(c["binary"]),
            _n(c["judge"]),
            Text("yes", style="green") if c["kept"] else Text("no", style="dim"),
        )
    console.print(t)
    console.print(f"total  {sparkline([c['total'] for c in cycle])}")
    cc = v["checks_and_criteria"]
    t = Table(title="checks (points off) and criteria (1-10) by version", title_justify="left")
    t.add_column("")
    for n in cc["versions"]:
        t.add_column(f"v{n}", justify="right")
    t.add_column("trend")
    for name, row in cc["checks"].items():
        t.add_row(name, *[_n(x, "{:g}") for x in row], sparkline(row))
    for name, row in cc["criteria"].items():
        t.add_row(name, *[_n(x, "{:g}") for x in row], sparkline(row, 1, 10))
    console.print(t)
    viol = v["violations"]
    if viol["disappeared"] or viol["appeared"]:
        t = Table(title="violations, first version → best", title_justify="left")
        for col in ("", "check", "text", "line"):
            t.add_column(col)
        for x in viol["disappeared"]:
            t.add_row(Text("fixed", style="green"), x["check"], x["text"], str(x["line"] or ""))
        for x in viol["appeared"]:
            t.add_row(Text("introduced", style="red"), x["check"], x["text"], str(x["line"] or ""))
        console.print(t)
    for a in v["asked"]:
        console.print(
            f"v{a['version']} asked: rules {', '.join(a.get('violations') or []) or '–'}; "
            f"criteria {', '.join(a.get('criteria') or []) or '–'}",
            highlight=False,
        )
    if v["text_diff"]:
        console.print(Text("first version → best", style="bold"))
        for line in v["text_diff"]:
            style = (
                "dim"
                if line.startswith(("+++", "---", "@@"))
                else "green"
                if line.startswith("+")
                else "red"
                if line.startswith("-")
                else ""
            )
            console.print(Text(line, style=style), soft_wrap=True)


def _lanes(console: Console, lanes: dict[str, Any]) -> None:
    t = Table(
        title=f"lanes (the experiments below are lane {lanes['best_lane']}'s, the best)",
        title_justify="left",
    )
    for col in ("lane", "experiments", "kept", "best", "best over time", "branch"):
        t.add_column(
            col, justify="right" if col in ("lane", "experiments", "kept", "best") else "left"
        )
    for ln in lanes["lanes"]:
        t.add_row(
            str(ln["lane"]),
            str(ln["experiments"]),
            str(ln["kept"]),
            _n(ln["best"]),
            sparkline([y for _, y in ln["best_over_time"]]),
            ln["branch"],
        )
    console.print(t)
    for m in lanes["merges"]:
        console.print(
            Text(
                f"merge {m['merge']} after {m['after_experiments']} experiments "
                f"(tested by lane {m['tested_by']}: {', '.join(m['statuses']) or 'nothing to test'}): "
                f"{m['description']}"
            ),
            style="green" if m["adopted"] else "dim",
        )


def render_optimize_report(console: Console, v: dict[str, Any]) -> None:
    console.print(
        Text.assemble(("optimize run ", "bold"), (str(v["tag"]), "bold cyan"), f"  {v['folder']}")
    )
    _calibration(console, v["judge"])
    if v.get("verdict"):
        g = v.get("confirmed_gain")
        console.print(
            Text(v["verdict"], style="bold green" if g and g["ci95_low"] > 0 else "bold yellow")
        )
        for label, key in (
            ("confirmed gain", "confirmed_gain"),
            ("in-loop estimate", "in_loop_gain"),
            ("held-out gain", "holdout_gain"),
            (f"audit judge {v.get('audit_judge') or ''} gain", "audit_gain"),
        ):
            g = v.get(key)
            if g:
                console.print(
                    f"{label}: {g['mean']:+.2f} (95% CI {g['ci95_low']:+.2f} to {g['ci95_high']:+.2f}, {g['n']} drafts)",
                    highlight=False,
                )
    end = v.get("end") or {}
    if end.get("status") in ("failed", "interrupted"):
        cost = end.get("cost_usd")
        console.print(
            Text(
                f"run {end['status']} after {end.get('seconds', 0):.0f} s, {end.get('calls', 0)} calls, "
                f"{'cost unknown' if cost is None else f'${cost:.4f}'}: {end.get('reason')}",
                style="bold red",
            )
        )
    band = "detectable effect" if v.get("verdict") is not None else "noise"
    scale = f"/{v['max']:g}" if v.get("max") else ""
    console.print(
        f"baseline {_n(v['baseline'])}{scale} -> best {_n(v['best'])}{scale} "
        f"({band} ±{_n(v['noise'])}); "
        f"{', '.join(f'{n} {k}' for k, n in v['counts'].items()) or 'no experiments'}"
        + (f"; stopped: {v['stop_reason']}" if v["stop_reason"] else ""),
        highlight=False,
    )
    obj = v.get("objective")
    if obj:
        front = ", ".join(
            f"#{p['experiment']} ({obj['primary']} {p['y']:g}, {obj['secondary']} {p['x']:g})"
            for p in obj["frontier"]
        )
        console.print(
            f"objective: {obj['describe']}; frontier: {front or 'none'}",
            soft_wrap=True,
            highlight=False,
        )
    if v.get("lanes"):
        _lanes(console, v["lanes"])
    pts = v["score_per_experiment"]["points"]
    best = v["score_per_experiment"]["best_so_far"]
    console.print(f"score     {sparkline([p['score'] for p in pts])}")
    console.print(f"best      {sparkline([b['best'] for b in best[1:]])}")
    t = Table(title="experiments", title_justify="left")
    for col in ("#", "status", "score", "delta", "stages", "section", "hypothesis / reason"):
        t.add_column(col, justify="right" if col in ("#", "score", "delta", "stages") else "left")
    for p in pts:
        t.add_row(
            str(p["experiment"]),
            Text(p["status"], style=STATUS_STYLE.get(p["status"], "")),
            _n(p["score"]),
            _delta(p["delta"]),
            f"{p['stages']} {p['rule']}" if p.get("stages") else "–",
            p["section"] or "–",
            Text(p["description"]),
        )
    console.print(t)
    for c in v.get("checks") or []:
        console.print(Text(f"after #{c['experiment']}: {c['description']}"), style="dim")
    if v["holdout"]:
        t = Table(title="training vs held-out", title_justify="left")
        for col in ("#", "training", "held out"):
            t.add_column(col, justify="right")
        for h in v["holdout"]:
            t.add_row(str(h["experiment"]), _n(h["train"]), _n(h["holdout"]))
        console.print(t)
    if v["criteria_trends"]:
        t = Table(title="judge criteria over the run", title_justify="left")
        for col in ("criterion", "first", "last", "trend"):
            t.add_column(col, justify="right" if col in ("first", "last") else "left")
        for name, series in v["criteria_trends"].items():
            scores = [p["score"] for p in series]
            t.add_row(name, _n(scores[0]), _n(scores[-1]), sparkline(scores, 1, 10))
        console.print(t)
    if v["kept_changes"]:
        t = Table(title="kept changes", title_justify="left")
        for col in ("#", "section", "delta", "hypothesis", "lines changed"):
            t.add_column(col)
        for k in v["kept_changes"]:
            changed = sum(
                1
                for line in k["diff"] or []
                if line[:1] in "+-" and not line.startswith(("+++", "---"))
            )
            t.add_row(
                str(k["experiment"]),
                k["section"] or "–",
                _delta(k["delta"]),
                k["hypothesis"],
                str(changed) if k["diff"] is not None else "?",
            )
        console.print(t)
    if v["sections_explored"]:
        console.print(
            "sections tried: "
            + ", ".join(
                f"{s['section']} {s['tried']}× ({s['kept']} kept)" for s in v["sections_explored"]
            ),
            highlight=False,
        )
    ct = v["cost_time"]
    cost = ct["total_cost_usd"]
    console.print(
        f"time {ct['total_seconds']:.0f} s, cost {'unknown' if cost is None else f'${cost:.4f}'}, "
        f"{ct['calls']} calls; seconds per experiment {sparkline([c['seconds'] for c in ct['per_experiment']])}",
        highlight=False,
    )


def render_diff(console: Console, d: dict[str, Any]) -> None:
    if not d["same_rubric"]:
        console.print(
            Text("warning: ", style="yellow") + "the two cards come from different rubrics."
        )
    t = Table(title=f"{d['a']} → {d['b']}", title_justify="left")
    for col in ("", "before", "after", "change"):
        t.add_column(col, justify="left" if not col else "right")
    for part in ("total", "binary", "judge"):
        x = d[part]
        t.add_row(part if part != "binary" else "rules", _n(x["a"]), _n(x["b"]), _delta(x["delta"]))
    for c in d["checks"]:
        t.add_row(
            f"  {c['check']}",
            f"-{c['deduction_a']:g} ({c['count_a']})",
            f"-{c['deduction_b']:g} ({c['count_b']})",
            _delta(c["delta"]),
        )
    for c in d["criteria"]:
        t.add_row(f"  {c['name']}", _n(c["a"], "{:g}"), _n(c["b"], "{:g}"), _delta(c["delta"]))
    console.print(t)
    for x in d["disappeared"]:
        console.print(Text(f"- fixed      {x['check']}: {x['text']}", style="green"))
    for x in d["appeared"]:
        console.print(
            Text(f"+ introduced {x['check']}: {x['text']} (line {x['line']})", style="red")
        )
    for x in d.get("still_failing", []):
        console.print(
            Text(f"~ still failing {x['check']}: {x['before']} -> {x['after']}", style="yellow")
        )


def render_runs(console: Console, rows: list[dict[str, Any]]) -> None:
    t = Table(title="runs, newest first", title_justify="left")
    # The folder is what a user copies into `report` and `--resume`: never cut short with an
    # ellipsis; on a narrow terminal it folds onto a second line instead.
    # "best" carries the confirmed gain over the first, measured on fresh drafts or verdicts.
    for col in ("started", "kind", "topic / skill", "status", "first", "best", "cost", "folder"):
        t.add_column(
            col,
            justify="right" if col in ("first", "best", "cost") else "left",
            overflow="fold",
            no_wrap=col in ("kind", "first", "cost"),
            ratio=3 if col == "folder" else None,
        )
    for r in rows:
        cost = r["cost_usd"]
        status = r["status"] or ""
        t.add_row(
            r["started"][:16].replace("T", " "),
            r["kind"],
            r["subject"],
            status if len(status) <= 80 else status[:79] + "…",
            _n(r["first"]),
            _n(r["best"]) + ("" if r.get("confirmed") is None else f" ({r['confirmed']:+.1f})"),
            "unknown" if cost is None else f"${cost:.4f}",
            r["folder"],
        )
    console.print(t)
