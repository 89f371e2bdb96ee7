"""Make a run from its spec: a new one (the CLI's flags, or a caller in Python) and a resumed
one (its run.json) go through the same `open_run`, so a lane is built in one place."""

from __future__ import annotations

from pathlib import Path

from ..llm import CallCache
from ..rubric import Rubric
from ..topic import Topic
from .loop import Event, OptimizeRun
from .spec import ROLES, Backends, RunSpec, load_spec, open_backends


def open_run(
    spec: RunSpec,
    backends: Backends,
    *,
    run_dir: Path,
    cache: CallCache | None = None,
    on_event: Event | None = None,
    resume: bool = False,
    rubric: Rubric | None = None,
    topics: list[Topic] | None = None,
    holdout: list[Topic] | None = None,
) -> OptimizeRun:
    """The run `spec` describes in `run_dir`, ready for `await run.run()`: one lane, or
    `spec.lanes` of them."""
    return OptimizeRun(
        spec,
        backends,
        run_dir=run_dir,
        cache=cache,
        on_event=on_event,
        resume=resume,
        rubric=rubric,
        topics=topics,
        holdout=holdout,
    )


def reopen(
    run_dir: Path,
    *,
    cache: CallCache | None = None,
    on_event: Event | None = None,
    timeout: float | None = None,
    spec: RunSpec | None = None,
) -> OptimizeRun:
    """The run in `run_dir`, ready for `await run.run()` to continue it with the settings it
    started with (`spec`: its run.json, when the caller has read it already). Backends are
    made again from their names in run.json (keys come from the environment, never from the
    file); `timeout` is the one setting a resume may change."""
    spec = spec or load_spec(run_dir)
    return open_run(
        spec,
        open_backends(spec, timeout),
        run_dir=run_dir,
        cache=cache,
        on_event=on_event,
        resume=True,
    )


__all__ = ["ROLES", "open_run", "reopen"]
