"""Continue a run from its folder: the spec its run.json holds, and its backends made again
from their names. A new run and a resumed one are the same class (loop.OptimizeRun), so a lane
is built in one place."""

from __future__ import annotations

from pathlib import Path

from ..llm import CallCache
from .loop import Event, OptimizeRun
from .spec import ROLES, RunSpec, load_spec, open_backends


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
    return OptimizeRun(
        spec,
        open_backends(spec, timeout),
        run_dir=run_dir,
        cache=cache,
        on_event=on_event,
        resume=True,
    )


__all__ = ["ROLES", "reopen"]
