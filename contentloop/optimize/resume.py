"""Rebuild an optimize run from its run.json, so a run killed at any point goes on where it
stopped with the settings it started with (the CLI's --resume, usable from Python too)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from ..errors import ContentloopError
from ..llm import Backend, CallCache, ModelChoice, make_backend
from ..llm.batch import batched
from ..llm.panel import PanelBackend
from ..rubric import load_rubric
from ..topic import load_topic
from .gate import GatePlan
from .lanes import LanesRun, lane_branch
from .loop import Budget, Event, OptimizeRun
from .objective import Objective

ROLES = ("writer", "judge", "optimizer")


def read_meta(run_dir: Path) -> dict[str, Any]:
    """run.json of `run_dir`, or an error that says whether the run never started."""
    meta_path = run_dir / "run.json"
    if not meta_path.exists():
        # A folder without run.json is a start killed before it wrote anything worth keeping.
        started = run_dir.is_dir()
        raise ContentloopError(
            "was stopped before the run had started (no run.json), so there is nothing to resume."
            if started
            else "is not an optimize run (no run.json).",
            path=run_dir,
            fix="run the original command again with the same --tag (without --resume)."
            if started
            else f"pass a folder name under {run_dir.parent}/ to --resume.",
        )
    try:
        return json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ContentloopError(
            f"is not valid JSON ({exc}).",
            path=meta_path,
            fix="restore it from the run's first commit, or start a new run.",
        ) from None


def reopen_run(
    run_dir: Path,
    *,
    cache: CallCache | None = None,
    on_event: Event | None = None,
    timeout: float | None = None,
    limit: asyncio.Semaphore | None = None,
    meta: dict[str, Any] | None = None,
    resume: bool = True,
) -> OptimizeRun:
    """The run in `run_dir`, ready for `await run.run()` to continue it.

    Backends are rebuilt from their names in run.json (keys come from the environment, never
    from the file); `timeout` is the one setting a resume may change.
    """
    meta = read_meta(run_dir) if meta is None else meta
    if meta.get("schema_version") != 2:
        raise ContentloopError(
            "was started by an earlier contentloop (before the sequential gate), so it cannot be "
            "resumed with the new keep/revert rule.",
            path=run_dir / "run.json",
            fix="`contentloop report` still reads it; start a new run with another --tag.",
        )

    def build(role: str, ident: dict[str, Any]) -> Backend:
        if ident.get("backend") == "panel":
            return PanelBackend([build(role, m) for m in ident["members"]])
        return make_backend(
            ModelChoice(
                role="judge" if role in ("judge", "audit") else "writer",
                timeout=timeout or 120.0,
                **ident,
            )
        )

    def backend(role: str) -> Backend:
        made = build(role, meta[role])
        if meta[role].get("not_measured"):
            made.judge_not_measured = meta[role]["not_measured"]  # type: ignore[attr-defined]
        # Drafts and verdicts go as batches again; the one proposal per experiment stays direct.
        return batched(made) if meta.get("batch") and role != "optimizer" else made

    return OptimizeRun(
        Path(meta["skill"]),
        [load_topic(p) for p in meta["topics"]],
        load_rubric(meta["rubric"]),
        holdout=[load_topic(p) for p in meta.get("holdout", [])],
        writer_backend=backend("writer"),
        judge_backend=backend("judge"),
        optimizer_backend=backend("optimizer"),
        audit_backend=backend("audit") if meta.get("audit") else None,
        batch=bool(meta.get("batch")),
        run_dir=run_dir,
        tag=meta["tag"],
        repeats=meta["repeats"],
        budget=Budget(**meta["budget"]),
        explore_every=meta["explore_every"],
        gate=GatePlan(**{**meta["gate"], "futility": tuple(meta["gate"]["futility"])}),
        objective=Objective(**meta.get("objective", {})),
        assumed_noise=meta["assumed_noise"],
        noise_source=meta.get("noise_source", "--noise"),
        calibration=meta.get("calibration"),
        use_git=meta["use_git"],
        cache=cache,
        concurrency=meta["concurrency"],
        on_event=on_event,
        resume=resume,
        warm_start=Path(meta["warm_start"]) if meta.get("warm_start") else None,
        branch=meta.get("branch"),
        emphasis=meta.get("emphasis", ""),
        limit=limit,
    )


def reopen_lanes(
    run_dir: Path,
    *,
    cache: CallCache | None = None,
    on_event: Event | None = None,
    timeout: float | None = None,
) -> LanesRun:
    """A `--lanes` run in `run_dir`, ready for `await run.run()` to continue it. A lane killed
    before it wrote its run.json starts afresh from lane 0's settings."""
    meta = read_meta(run_dir)
    first = read_meta(run_dir / "lane-0")
    limit = asyncio.Semaphore(first["concurrency"])
    tag = meta["tag"]

    def make_lane(i: int, resumed: bool) -> OptimizeRun:
        lane_dir = run_dir / f"lane-{i}"
        own = (
            read_meta(lane_dir)
            if resumed
            else first
            | {
                "tag": f"{tag}-lane-{i}",
                "branch": lane_branch(tag, i),
                "emphasis": meta["emphases"][i],
            }
        )
        return reopen_run(
            lane_dir,
            cache=cache,
            on_event=on_event,
            timeout=timeout,
            limit=limit,
            meta=own,
            resume=resumed,
        )

    return LanesRun(
        make_lane,
        lanes=meta["lanes"],
        run_dir=run_dir,
        tag=tag,
        budget=Budget(**meta["budget"]),
        merge_every=meta["merge_every"],
        resume=True,
        on_event=on_event,
    )
