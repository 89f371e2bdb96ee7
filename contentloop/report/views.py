"""The numbers behind every report view, as plain data.

The terminal report, the HTML report and `report --json` all render these, so what a
reader sees in each is the same and tests can check it against the ledgers once.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ..optimize.records import Record
from .data import OptimizeRunFiles, WriteRunFiles
from .diff import diff_cards, text_diff


def judge_view(
    calibration: dict[str, Any] | None,
    audit: dict[str, Any] | None = None,
    not_measured: str | None = None,
) -> dict[str, Any]:
    """What the run knew of its judge: the calibration card's state when it started (with
    the card's measures), why its verdicts were left out if they were, and for an optimize
    run what the audit judge saw."""
    measures = (calibration or {}).get("measures") or []
    return {
        "calibration": calibration,
        "not_measured": not_measured,
        "discrimination": [
            {"criterion": m["name"].split(".", 1)[1], "value": m["value"], "passed": m["passed"]}
            for m in measures
            if m["name"].startswith("discrimination.")
        ],
        "failed": [m["name"] for m in measures if not m["passed"]],
        "audit": audit,
    }


DRAFT_VIEWS = (
    "score_per_cycle",
    "checks_and_criteria",
    "violations",
    "asked",
    "text_diff",
    "judge",
)
OPTIMIZE_VIEWS = (
    "score_per_experiment",
    "holdout",
    "criteria_trends",
    "kept_changes",
    "sections_explored",
    "cost_time",
    "judge",
)


def draft_views(run: WriteRunFiles) -> dict[str, Any]:
    versions = run.versions
    best = run.best or (versions[-1] if versions else None)
    first = versions[0] if versions else None
    checks: list[str] = []
    criteria: list[str] = []
    for v in versions:
        checks += [x["check"] for x in v.card["binary"]["violations"] if x["check"] not in checks]
        for c in (v.card.get("judge") or {}).get("criteria", []):
            if c["name"] not in criteria:
                criteria.append(c["name"])

    def deduction(v: Any, check: str) -> float:
        hit = [x for x in v.card["binary"]["violations"] if x["check"] == check]
        return hit[0]["deduction"] if hit else 0.0

    def criterion(v: Any, name: str) -> float | None:
        found = [c for c in (v.card.get("judge") or {}).get("criteria", []) if c["name"] == name]
        return found[0]["score"] if found else None

    return {
        "kind": "draft",
        "folder": str(run.folder),
        "topic": run.meta.get("topic"),
        "topic_name": Path(str(run.meta.get("topic"))).stem,
        "skill": (run.meta.get("skill") or {}).get("name"),
        "status": run.meta.get("status"),
        "stop_reason": run.meta.get("stop_reason"),
        "best_version": best.number if best else None,
        "final_total": run.meta.get("final_total"),
        # write_confirm.py: the final's gain over v0 on fresh verdicts, and how it was chosen
        "confirmed_improvement": run.meta.get("confirmed_improvement"),
        "confirmation": run.meta.get("confirmation"),
        "max": versions[0].card.get("max") if versions else None,
        "cost_usd": run.meta.get("cost_usd"),
        "calls": run.meta.get("calls"),
        "seconds": run.meta.get("seconds"),
        "score_per_cycle": [
            {
                "version": v.number,
                "total": v.card["total"],
                "binary": v.card["binary"]["score"],
                "judge": (v.card.get("judge") or {}).get("score"),
                "kept": v.summary.get("kept"),
                "best": best is not None and v.number == best.number,
            }
            for v in versions
        ],
        "checks_and_criteria": {
            "versions": [v.number for v in versions],
            "checks": {c: [-deduction(v, c) for v in versions] for c in checks},
            "criteria": {c: [criterion(v, c) for v in versions] for c in criteria},
        },
        "violations": diff_cards(first.card, best.card)
        if first and best
        else {"appeared": [], "disappeared": []},
        "asked": [
            {"version": v.number, "kept": v.summary.get("kept"), **(v.summary.get("asked") or {})}
            for v in versions
            if v.summary.get("asked")
        ],
        "text_diff": text_diff(first.text, best.text, f"v{first.number}.md", f"v{best.number}.md")
        if first and best
        else [],
        "judge": judge_view(
            run.meta.get("calibration"),
            not_measured=(run.meta.get("judge") or {}).get("not_measured"),
        ),
    }


def optimize_views(run: OptimizeRunFiles) -> dict[str, Any]:
    exps = run.experiments
    base, noise = run.baseline_mean, run.noise or 0.0
    criteria: list[str] = []
    for r in run.records:
        for name in ((r.metrics or {}).get("per_criterion") or {}).keys():
            if name not in criteria:
                criteria.append(name)
    kept = [r for r in exps if r.status in ("keep", "explore")]
    tried = Counter(r.section for r in exps if r.section)
    kept_by = Counter(r.section for r in kept if r.section)
    summary = run.summary or {}
    confirm = run.confirmation
    progress = run.best_so_far()
    return {
        "kind": "optimize",
        "folder": str(run.folder),
        "tag": run.meta.get("tag") or run.folder.name,
        "skill": run.meta.get("skill"),
        "baseline": None if base is None else round(base, 3),
        "best": progress[-1][1] if progress else None,
        # The scale of every score (out of 40 when the judge was not measured): set once the
        # run has a summary.
        "max": summary.get("score_max"),
        "noise": noise,
        "counts": dict(Counter(r.status for r in exps)),
        "stop_reason": summary.get("stop_reason"),
        "end": run.end,
        # Schema 2: the headline is the gain confirmed on fresh drafts, not the in-loop best.
        "verdict": summary.get("verdict"),
        "confirmed_gain": summary.get("confirmed_gain") or _gain(confirm, "gain"),
        "in_loop_gain": summary.get("in_loop_gain"),
        "holdout_gain": summary.get("holdout_gain") or _gain(confirm, "holdout_gain"),
        "audit_gain": (summary.get("audit") or {}).get("gain") or _gain(confirm, "audit_gain"),
        "audit_judge": (summary.get("audit") or {}).get("judge"),
        "judge": judge_view(
            summary.get("calibration") or run.meta.get("calibration"),
            summary.get("audit"),
            not_measured=(run.meta.get("judge") or {}).get("not_measured"),
        ),
        "checks": [
            {
                "experiment": r.experiment,
                "status": r.status,
                "description": r.description,
                "gain": _gain(r, "gain"),
            }
            for r in run.checks
        ],
        "adopt": summary.get("adopt"),
        "objective": objective_view(run.meta.get("objective"), [*run.baseline[:1], *exps]),
        "lanes": lanes_view(run) if run.lanes else None,
        "score_per_experiment": {
            "points": [
                {
                    "experiment": r.experiment,
                    "score": (r.metrics or {}).get("mean"),
                    "status": r.status,
                    "section": r.section,
                    "description": r.description,
                    "delta": r.delta,
                    "stages": len(r.stages) or None,
                    "rule": r.stages[-1].rule if r.stages else None,
                }
                for r in exps
            ],
            "best_so_far": [{"experiment": n, "best": b} for n, b in progress],
            "noise_band": None if base is None else [base - noise, base + noise],
        },
        "holdout": [
            {
                "experiment": r.experiment,
                "train": (r.metrics or {}).get("mean"),
                "holdout": r.holdout,
            }
            for r in run.baseline[:1] + kept
            if r.holdout is not None
        ],
        "criteria_trends": {
            name: [
                {"experiment": r.experiment, "score": r.metrics["per_criterion"].get(name)}
                for r in [*run.baseline[:1], *exps]
                if r.metrics and r.metrics.get("per_criterion")
            ]
            for name in criteria
        },
        "kept_changes": [
            {
                "experiment": r.experiment,
                "status": r.status,
                "section": r.section,
                "hypothesis": r.description,
                "delta": r.delta,
                "score": (r.metrics or {}).get("mean"),
                "diff": text_diff(r.old_text, r.new_text or "", f"{r.section}.md before", "after")
                if r.old_text is not None
                else None,
            }
            for r in kept
        ],
        "sections_explored": [
            {"section": s, "tried": n, "kept": kept_by.get(s, 0)} for s, n in tried.most_common()
        ],
        "cost_time": {
            "per_experiment": [
                {
                    "experiment": r.experiment,
                    "status": r.status,
                    "seconds": r.wall_time_s,
                    "cost_usd": r.cost_usd,
                    "tokens": r.tokens,
                }
                for r in run.records
            ],
            "total_seconds": run.total_seconds(),
            "total_cost_usd": run.total_cost(),
            "calls": run.calls if run.calls is not None else summary.get("calls"),
        },
    }


def _gain(record: Record | None, field: str) -> dict[str, Any] | None:
    """A record's gain (gain, holdout_gain, audit_gain) in summary.json's shape."""
    gain = getattr(record, field, None)
    return gain.model_dump() if gain is not None else None


def objective_view(spec: dict[str, Any] | None, records: list[Record]) -> dict[str, Any] | None:
    """Under a two-metric --objective: every try on the two axes, and the frontier of those
    that no other try beats on both."""
    from ..optimize.objective import RECORD_KEYS, Objective, frontier

    if not spec or not spec.get("secondary"):
        return None
    obj = Objective(**spec)
    assert obj.secondary is not None
    points = []
    for r in records:
        m = r.metrics or {}
        x, y = m.get(RECORD_KEYS[obj.secondary]), m.get(RECORD_KEYS[obj.primary])
        if x is not None and y is not None:
            points.append({"experiment": r.experiment, "status": r.status, "x": x, "y": y})
    return {
        **obj.to_json(),
        "describe": obj.describe(),
        "points": points,
        "frontier": frontier(points, obj.primary, obj.secondary),
    }


def run_row(run: WriteRunFiles | OptimizeRunFiles) -> dict[str, Any]:
    """One line of `contentloop runs`."""
    if isinstance(run, WriteRunFiles):
        first = run.versions[0].card["total"] if run.versions else None
        return {
            "started": run.started.isoformat(timespec="seconds"),
            "kind": "write",
            "subject": str(run.meta.get("topic")),
            "status": run.meta.get("status"),
            "first": first,
            "best": run.meta.get("final_total"),
            "confirmed": (run.meta.get("confirmed_improvement") or {}).get("mean"),
            "cost_usd": run.meta.get("cost_usd"),
            "folder": str(run.folder),
        }
    best = run.best_so_far()
    skill = run.meta.get("skill") or ""
    return {
        "started": run.started.isoformat(timespec="seconds"),
        "kind": "optimize",
        "subject": f"{skill.rstrip('/').rsplit('/', 1)[-1] or '?'} ({run.meta.get('tag') or run.folder.name})",
        "status": _end_status(run),
        "first": run.baseline_mean,
        "best": best[-1][1] if best else None,
        "confirmed": ((run.summary or {}).get("confirmed_gain") or {}).get("mean"),
        "cost_usd": run.total_cost(),
        "folder": str(run.folder),
    }


def _end_status(run: OptimizeRunFiles) -> str:
    """What `runs` says of an optimize run's state: how it ended, or that it has not."""
    end = run.end
    if end:
        reason = end.get("reason") or ""
        if end.get("status") == "finished":
            return reason or "finished"
        return f"{end.get('status')}: {reason}" if reason else str(end.get("status"))
    stop = (run.summary or {}).get("stop_reason")
    return stop or "unfinished (running, or killed: --resume it)"


def lanes_view(run: OptimizeRunFiles) -> dict[str, Any]:
    """--lanes: each lane's best over the run's minutes, and the merges on the same axis. A
    lane's best is the in-loop mean of the skill it holds, measured by whichever lane wrote
    that skill's drafts (an adopted composition was measured by the lane that tested it)."""
    from datetime import datetime

    lanes = run.lanes or []
    stamps = [datetime.fromisoformat(r.timestamp) for lane in lanes for r in lane.records]
    t0 = min(stamps) if stamps else None

    def minutes(ts: str) -> float:
        assert t0 is not None
        return round((datetime.fromisoformat(ts) - t0).total_seconds() / 60, 3)

    means = {
        r.skill: r.metrics["mean"]
        for lane in lanes
        for r in lane.records
        if (r.metrics or {}).get("mean") is not None
    }
    out = []
    for i, lane in enumerate(lanes):
        line: list[tuple[float, float]] = []
        for r in lane.records:
            best = means.get(r.best_skill)
            if r.kind in ("baseline", "experiment", "merge", "verify") and best is not None:
                line.append((minutes(r.timestamp), best))
        exps = lane.experiments
        out.append(
            {
                "lane": i,
                "emphasis": lane.meta.get("emphasis") or "",
                "branch": lane.meta.get("branch") or "",
                "experiments": len(exps),
                "kept": sum(r.status in ("keep", "explore") for r in exps),
                "best": line[-1][1] if line else None,
                "best_over_time": line,
            }
        )
    return {
        "lanes": out,
        "best_lane": (run.summary or {}).get("best_lane"),
        "merges": [
            {
                "merge": m["merge"],
                "minutes": minutes(m["timestamp"]) if t0 else 0.0,
                "after_experiments": m["after_experiments"],
                "tested_by": m.get("lane"),
                "statuses": m.get("statuses", []),
                "adopted": m.get("adopted") is not None,
                "description": m.get("description", ""),
            }
            for m in run.merges or []
        ],
    }
