"""--warm-start runs/<tag>: a new optimize run that begins at an earlier run's best skill and
shows its proposer the earlier run's tries. The earlier run may be a --lanes run: its tries
are every lane's, its best skill the best lane's. The new run may have lanes too: each lane
starts at that skill (lane 0 measures it, the others read its drafts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ContentloopError
from .spec import lanes_in


def _lanes(run_dir: Path) -> int:
    """How many lanes the run in `run_dir` had (1: a single run)."""
    try:
        return lanes_in(json.loads((run_dir / "run.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError):
        return 1


def _best_dir(run_dir: Path) -> Path:
    """Where the earlier run's best skill is: the run itself, or its best lane."""
    if _lanes(run_dir) == 1:
        return run_dir
    try:
        best = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))["best_lane"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ContentloopError(
            "is a --lanes run that has not finished, so it has no best lane yet.",
            path=run_dir,
            fix="resume it first, or warm-start from one lane: --warm-start runs/<tag>/lane-<i>.",
        ) from None
    return run_dir / f"lane-{int(best)}"


def warm_history(run_dir: Path) -> list[dict[str, Any]]:
    """The experiments of an earlier run (every lane's, for a --lanes run), as the proposer's
    history shows them, each marked with the run it came from."""
    from .ledger import RunLedger

    lanes = _lanes(run_dir)
    folders = (
        [(run_dir, "")]
        if lanes == 1
        else [(run_dir / f"lane-{i}", f", lane {i}") for i in range(lanes)]
    )
    if not all((folder / "experiments.jsonl").exists() for folder, _ in folders):
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
            "description": f"(earlier run {run_dir.name}{lane}) {r['description']}",
        }
        for folder, lane in folders
        for r in RunLedger.read_records(folder / "experiments.jsonl")
        if r.get("kind", "experiment") == "experiment" and r["experiment"] > 0
    ]


def warm_skill(ws: Any, run_dir: Path) -> None:
    """Put the earlier run's best skill in the workspace and commit it, so the baseline of
    this run is that skill, measured afresh."""
    best = _best_dir(run_dir) / "best-skill"
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
