"""Crash points for fault-injection tests: SIGKILL this process at a named place.

`CONTENTLOOP_CRASH_AT="name:n"` makes the n-th pass through the point called `name` kill the
process with SIGKILL: no `finally`, no atexit, no flush, like an OOM kill or a power cut.
The kill-and-resume test in tests/test_faults.py walks an optimize run through every point
and checks that `--resume` ends where an uninterrupted run does. With the variable unset
(always, outside tests) a point costs one comparison.

Points: call (a model reply arrived, not yet cached or counted), commit (the try is
committed, not yet evaluated), evaluated (scored, not yet kept or reverted), decided (kept or
reverted, not yet logged), torn (half of an experiments.jsonl line written), ledger (the jsonl
line written, results.tsv not yet), logged (both ledgers written), replace (an atomic write's
temp file is complete, not yet renamed). With --lanes, also merge_planned and merge_done
(tests/test_lanes.py).
"""

from __future__ import annotations

import os
import signal

POINTS = ("call", "commit", "evaluated", "decided", "torn", "ledger", "logged", "replace")
# --lanes: a merge planned in lanes.jsonl, nothing tested; a merge closed there, not yet
# adopted by the lanes.
MERGE_POINTS = ("merge_planned", "merge_done")


def _parse(spec: str | None) -> tuple[str, int] | None:
    if not spec:
        return None
    name, _, n = spec.partition(":")
    if name not in POINTS + MERGE_POINTS:
        raise ValueError(
            f"CONTENTLOOP_CRASH_AT: unknown point {name!r}; one of {POINTS + MERGE_POINTS}"
        )
    return name, int(n or 1)


_TARGET = _parse(os.environ.get("CONTENTLOOP_CRASH_AT"))
_passes: dict[str, int] = {}


def arm() -> None:
    """Read CONTENTLOOP_CRASH_AT again: a process forked after the environment changed (the
    resident checker's children) would otherwise keep its parent's setting."""
    global _TARGET
    _TARGET = _parse(os.environ.get("CONTENTLOOP_CRASH_AT"))
    _passes.clear()


def due(name: str) -> bool:
    """Count a pass through `name`; true on the pass that should crash."""
    if _TARGET is None or _TARGET[0] != name:
        return False
    _passes[name] = _passes.get(name, 0) + 1
    return _passes[name] == _TARGET[1]


def kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def crash_point(name: str) -> None:
    if due(name):
        kill()
