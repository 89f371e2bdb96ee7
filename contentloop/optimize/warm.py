"""--warm-start runs/<tag>: a new optimize run that begins at an earlier run's best skill and
shows its proposer the earlier run's tries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ContentloopError


def warm_history(run_dir: Path) -> list[dict[str, Any]]:
    """The experiments of an earlier run, as the proposer's history shows them, each marked
    with the run it came from."""
    from .ledger import RunLedger

    if not (run_dir / "experiments.jsonl").exists():
        raise ContentloopError(
            "is not an optimize run (no experiments.jsonl).",
            path=run_dir,
            fix="pass --warm-start runs/<tag> of a finished optimize-skill run.",
        )
    return [
        {
            "n": r["experiment"],
            "section": r.get("section") or "-",
            "status": r["status"],
            "delta": r.get("delta"),
            "description": f"(earlier run {run_dir.name}) {r['description']}",
        }
        for r in RunLedger.read_records(run_dir / "experiments.jsonl")
        if r.get("kind", "experiment") == "experiment" and r["experiment"] > 0
    ]


def warm_skill(ws: Any, run_dir: Path) -> None:
    """Put the earlier run's best skill in the workspace and commit it, so the baseline of
    this run is that skill, measured afresh."""
    best = run_dir / "best-skill"
    if not best.is_dir():
        raise ContentloopError(
            "has no best-skill folder.",
            path=run_dir,
            fix="warm-start from a run that measured at least its baseline.",
        )
    for f in sorted(best.rglob("*")):
        if f.is_file():
            target = ws.skill_dir / f.relative_to(best)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.read_bytes())
    if ws.has_changes():
        ws.commit(f"warm start: the best skill of {run_dir.name}")
