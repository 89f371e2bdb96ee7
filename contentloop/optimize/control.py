"""What every optimize run does around its work, written once for a single run and a --lanes
run: the run lock, Ctrl-C (the first lets the current try finish, the second stops at once),
why the run stopped (a typed Stop, not a phrase to match), and the note of how it ended."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..runlock import run_lock

StopKind = Literal[
    "none",  # still running
    "max_experiments",
    "max_cost",
    "max_hours",
    "stop_file",
    "ctrl_c",
    "crashes",  # --abort-after-crashes tries in a row crashed (every lane's, under --lanes)
    "no_lane",  # --lanes: no lane could run another experiment
]


@dataclass(frozen=True)
class Stop:
    """Why a run stopped: its kind, for code, and its text, for people (summary.json's
    `stop_reason`)."""

    kind: StopKind = "none"
    text: str = ""

    def __bool__(self) -> bool:
        return self.kind != "none"

    def __str__(self) -> str:
        return self.text

    @property
    def early(self) -> bool:
        """Stopped by the user or by failures: the best is not confirmed, and the run's end
        says `stopped` (a budget that ran out is a finished run)."""
        return self.kind in ("ctrl_c", "crashes")


RUNNING = Stop()


@contextlib.contextmanager
def on_sigint(handler: Callable[[], None]) -> Iterator[None]:
    """Ctrl-C calls `handler` while the block runs, instead of raising KeyboardInterrupt."""
    loop = asyncio.get_running_loop()
    # Not the main thread (a test harness): Ctrl-C keeps its default meaning there.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, handler)
    try:
        yield
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGINT)


class RunControl(ABC):
    """A run's shell: `await run.run()` holds the lock on `run_dir`, takes Ctrl-C, runs
    `_work()` and notes the end. Subclasses give `_work`, `note_end` and `_subject`."""

    run_dir: Path
    stop: Stop
    interrupts: int = 0
    _task: asyncio.Task[Any] | None = None
    on_event: Callable[[dict[str, Any]], None]

    async def run(self) -> dict[str, Any]:
        self._task = asyncio.current_task()
        with on_sigint(self._on_sigint), run_lock(self.run_dir):
            try:
                summary = await self._work()
            except BaseException as exc:
                interrupted = isinstance(exc, KeyboardInterrupt | asyncio.CancelledError)
                self.note_end(
                    "interrupted" if interrupted else "failed", str(exc) or type(exc).__name__
                )
                raise
            self.note_end("stopped" if self.stop.early else "finished", self.stop.text)
            return summary

    def _on_sigint(self) -> None:
        """First Ctrl-C: finish the current experiment's bookkeeping, then stop. Second: stop now."""
        self.interrupts += 1
        self.on_event({"phase": "interrupt", "count": self.interrupts, **self._subject()})
        if self.interrupts > 1 and self._task is not None:
            self._task.cancel()

    @abstractmethod
    async def _work(self) -> dict[str, Any]:
        """Everything between taking the lock and noting the end; the summary."""

    @abstractmethod
    def note_end(self, status: str, reason: str) -> None:
        """Write how the run ended into its run.json."""

    @abstractmethod
    def _subject(self) -> dict[str, Any]:
        """What its events name the run by (the live views read it)."""


__all__ = ["RUNNING", "RunControl", "Stop", "StopKind", "on_sigint"]
