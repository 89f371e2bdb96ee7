"""Rule checks for many drafts on several cores: forked workers, each checking whole drafts.

A folder of documents is what a linter in CI is given, and the checks are Python that holds
the GIL, so threads would not help. The parent checks the first draft itself, which imports
spaCy and builds every matcher, then forks: a spawned worker would spend over a second
importing spaCy again. Off Linux, or when the drafts are too few or too small to pay for the
workers, they are checked one by one in this process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .binary import BinaryScore, binary_part
from .checks import Draft, chunks

if TYPE_CHECKING:
    from .rubric import Rubric

# Below this many characters left to check, starting workers costs more than it saves
# (bench/score_speed.py --jobs: a pool starts in tens of milliseconds; checks run at roughly
# 300-500 KB/s per core).
MIN_CHARS = 100_000

Checked = tuple[BinaryScore, int]  # a draft's binary part and its word count
_work: tuple[Sequence[Draft], Rubric] | None = None  # what forked workers read


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_drafts(drafts: Sequence[Draft], rubric: Rubric, jobs: int = 1) -> list[Checked]:
    """Each draft's binary part and word count, in order, on up to `jobs` processes."""
    if not drafts:
        return []
    first = _check(drafts[0], rubric)
    rest = drafts[1:]
    jobs = min(jobs, len(rest))
    if jobs < 2 or not _can_fork() or sum(len(d.source) for d in rest) < MIN_CHARS:
        return [first, *(_check(d, rubric) for d in rest)]
    global _work
    _work = (rest, rubric)
    gc.freeze()  # the workers' collectors leave the parent's objects alone: fewer page copies
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            done = pool.map(_check_nth, range(len(rest)), chunksize=max(1, len(rest) // (jobs * 8)))
    finally:
        gc.unfreeze()
        _work = None
    return [first, *done]


def _can_fork() -> bool:
    # Linux only: on macOS a forked child of a process that loaded system frameworks (numpy's
    # Accelerate) can crash, which is why Python spawns there by default.
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _check(draft: Draft, rubric: Rubric) -> Checked:
    # Parsing makes many short-lived objects and no cycles; the collector's passes over
    # spaCy's and pydantic's long-lived objects were about a tenth of the time. It runs
    # between drafts instead.
    enabled = gc.isenabled()
    gc.disable()
    try:
        chunks.prepare([draft], rubric.binary.checks)
        return binary_part(draft, rubric), draft.word_count
    finally:
        if enabled:
            gc.enable()


def _check_nth(i: int) -> Checked:
    assert _work is not None, "set before the pool forks"
    drafts, rubric = _work
    return _check(drafts[i], rubric)
