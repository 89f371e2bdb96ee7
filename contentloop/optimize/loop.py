"""The autoresearch loop over one lane: a baseline, then one experiment after another until the
budget ends; then a confirmation with fresh drafts and summary.json.

A Lane (lane.py) holds the search's folder, ledgers and clients; experiment.py is the body of
one try; guard.py the drift guard and the confirmation. This class adds what runs them: the
budget, Ctrl-C, the run lock and the note of how the run ended. `--lanes N` runs N lanes under
the coordinator in lanes.py, which steps each lane with `step()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..atomic import write_text
from ..llm import Backend, CallCache
from ..rubric import Rubric
from ..runlock import run_lock
from ..skill import load_skill
from ..topic import Topic
from .experiment import evaluate, experiment, open_lane
from .guard import confirm, settle_best
from .lane import Event, Lane, note_end
from .planner import plan_run
from .proposer import retrospective
from .spec import FOREVER, Backends, Budget, RunSpec
from .summary import summarize


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


def stopped_early(reason: str) -> bool:
    """Whether a run ended by Ctrl-C or by crashes: it is not confirmed, and says `stopped`."""
    return reason == "Ctrl-C" or "consecutive crashes" in reason


class OptimizeRun(Lane):
    """A run of one lane (`OptimizeRun(spec, backends, run_dir=...)`, then `await run.run()`)."""

    interrupts = 0
    _task: asyncio.Task[Any] | None = None

    @classmethod
    def new(
        cls,
        skill_dir: Path,
        topics: list[Topic],
        rubric: Rubric,
        *,
        writer: Backend,
        judge: Backend,
        optimizer: Backend,
        audit: Backend | None = None,
        run_dir: Path,
        tag: str,
        holdout: list[Topic] | None = None,
        warm_start: Path | None = None,
        cache: CallCache | None = None,
        on_event: Event | None = None,
        resume: bool = False,
        limit: asyncio.Semaphore | None = None,
        **settings: Any,
    ) -> OptimizeRun:
        """A new run from Python: `settings` are RunSpec fields (repeats, budget, gate, ...)."""
        backends = Backends(writer, judge, optimizer, audit)
        spec = RunSpec.new(
            skill_dir,
            topics,
            rubric,
            backends,
            tag=tag,
            holdout=holdout,
            warm_start=warm_start,
            **settings,
        )
        return cls(
            spec,
            backends,
            run_dir=run_dir,
            rubric=rubric,
            topics=topics,
            holdout=holdout or [],
            cache=cache,
            on_event=on_event,
            resume=resume,
            limit=limit,
        )

    async def run(self) -> dict[str, Any]:
        self._task = asyncio.current_task()
        with on_sigint(self._on_sigint), run_lock(self.run_dir):
            try:
                await self.prepare()
                while await self.step():
                    pass
                summary = await self.finish()
            except BaseException as exc:
                interrupted = isinstance(exc, KeyboardInterrupt | asyncio.CancelledError)
                self.note_end(
                    "interrupted" if interrupted else "failed", str(exc) or type(exc).__name__
                )
                raise
            stopped = stopped_early(self.stop_reason)
            self.note_end("stopped" if stopped else "finished", self.stop_reason)
            return summary

    async def prepare(self) -> None:
        """Open the run folder; write the baseline, or bring a resumed run back to its best."""
        await open_lane(self)

    async def evaluate(self, n: int, edits: dict[str, str], description: str, **kw: Any) -> bool:
        """Commit `edits` over the best, measure them in stages, keep or revert, log."""
        return await evaluate(self, n, edits, description, **kw)

    def _stop_reason(self, n: int) -> str | None:
        b = self.budget
        if n > b.max_experiments:
            return f"--max-experiments {b.max_experiments} reached"
        return b.ended_by(
            started=self.started,
            cost=self.costs.totals()["known_cost_usd"],
            run_dir=self.run_dir,
            interrupts=self.interrupts,
        )

    def _on_sigint(self) -> None:
        """First Ctrl-C: finish the current experiment's bookkeeping, then stop. Second: stop now."""
        self.interrupts += 1
        self.on_event({"phase": "interrupt", "count": self.interrupts, "run": self})
        if self.interrupts > 1 and self._task is not None:
            self._task.cancel()

    async def step(self) -> bool:
        """One more experiment; False, with `stop_reason` set, when a budget ends the run or
        too many tries in a row crashed."""
        n = self.state.last_experiment + 1
        reason = self._stop_reason(n)
        if reason:
            self.stop_reason = reason
            return False
        if n > 1 and (n - 1) % 10 == 0:
            # Under --lanes, over every lane's tries: each proposer sees what the others did.
            pool = self.retro_history() if self.retro_history else self.history
            self.retro = retrospective(self.prior_history + pool)
            self.on_event(
                {"phase": "retrospective", "experiment": n, "text": self.retro, "run": self}
            )
        await experiment(self, n)
        crashes = self.state.trailing_crashes
        if crashes >= self.budget.abort_after_crashes:
            self.stop_reason = f"{crashes} consecutive crashes (--abort-after-crashes)"
            return False
        return True

    async def finish(self) -> dict[str, Any]:
        """Settle on the best, confirm it on fresh drafts (unless the run was stopped), and
        write summary.json."""
        if not stopped_early(self.stop_reason):
            settle_best(self)
            await confirm(self)
        summary = self.summary()
        write_text(self.run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
        return summary

    def estimate(self) -> dict[str, Any]:
        """Calls, tokens and USD for the whole budget, and the smallest effect the run can
        detect, before anything is spent or written."""
        return plan_run(self, load_skill(self.skill_source))

    def summary(self) -> dict[str, Any]:
        return summarize(self, time.monotonic() - self.started)


__all__ = ["FOREVER", "Budget", "Event", "OptimizeRun", "note_end", "on_sigint", "stopped_early"]
