"""Remove what finished optimize runs leave in git: the worktree under runs/<tag>/worktree and
the branch autoexp/<tag> (a --lanes run: each lane's, runs/<tag>/lane-<i>/worktree and
autoexp/<tag>/lane-<i>). The ledgers, the best skill (runs/<tag>/best-skill) and the kept
snapshots stay, so `report` still reads the run and the best skill can still be adopted by
copying it.

Only runs whose run.json records a finished end are pruned: a run that failed, was
interrupted or has no end (still going, or killed) may be resumed, and needs both. A run
another process holds is left alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ContentloopError
from ..runlock import run_lock
from .spec import lane_branch, lanes_in
from .workspace import git_or_fail, git_out


def _targets(run_dir: Path, meta: dict[str, Any]) -> list[tuple[Path, str]]:
    """(worktree, branch) of a run: one, or one per lane of a --lanes run."""
    tag = meta.get("tag") or run_dir.name
    if lanes_in(meta) > 1:
        return [
            (run_dir / f"lane-{i}" / "worktree", lane_branch(tag, i)) for i in range(lanes_in(meta))
        ]
    return [(run_dir / "worktree", f"autoexp/{tag}")]


def _repo_of(trees: list[Path], meta: dict[str, Any]) -> Path | None:
    """The repository the run's branches live in: a worktree's, or the skill's."""
    for place in (*trees, Path(meta.get("skill") or "")):
        if place.is_dir():
            common = git_out("rev-parse", "--path-format=absolute", "--git-common-dir", cwd=place)
            if common:
                git_dir = Path(common)
                return git_dir.parent if git_dir.name == ".git" else git_dir
    return None


def prune_runs(
    runs_root: Path, *, dry_run: bool = False, include_failed: bool = False
) -> list[dict[str, str]]:
    """One row per optimize run under `runs_root`: pruned (or would be), or left and why.
    With `include_failed`, runs that ended failed, stopped or interrupted go too (they can
    then no longer be resumed); a run with no end recorded never does."""
    rows = []
    for run_dir in sorted(p for p in runs_root.iterdir() if (p / "run.json").is_file()):
        try:
            meta = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            rows.append({"run": str(run_dir), "action": "left", "why": "run.json unreadable"})
            continue
        if "versions" in meta or not meta.get("use_git", False):
            continue  # a write run, or an optimize run without git: nothing in git to remove
        status = (meta.get("end") or {}).get("status")
        if status != "finished" and not (include_failed and status):
            why = f"ended {status}" if status else "no end recorded (running, or killed)"
            rows.append({"run": str(run_dir), "action": "left", "why": f"{why}: --resume needs it"})
            continue
        targets = _targets(run_dir, meta)
        repo = _repo_of([tree for tree, _ in targets], meta)
        names = ", ".join(branch for _, branch in targets)
        if repo is None:
            rows.append(
                {"run": str(run_dir), "action": "left", "why": "its git repository is gone"}
            )
            continue
        present = [
            (tree, branch, bool(git_out("branch", "--list", branch, cwd=repo)), tree.exists())
            for tree, branch in targets
        ]
        if not any(has_branch or has_tree for _, _, has_branch, has_tree in present):
            continue  # pruned before
        if dry_run:
            rows.append({"run": str(run_dir), "action": "would prune", "why": names})
            continue
        try:
            with run_lock(run_dir):
                for tree, branch, has_branch, has_tree in present:
                    if has_tree:
                        git_or_fail("worktree", "remove", "--force", str(tree), cwd=repo)
                    git_out("worktree", "prune", cwd=repo)  # best effort: stale entries only
                    if has_branch:
                        git_or_fail("branch", "-D", branch, cwd=repo)
        except ContentloopError as exc:
            rows.append({"run": str(run_dir), "action": "left", "why": exc.message})
            continue
        rows.append({"run": str(run_dir), "action": "pruned", "why": names})
    return rows
