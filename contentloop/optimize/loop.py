"""The autoresearch loop over one lane: a baseline, then one experiment after another until the
budget ends; then a confirmation with fresh drafts and summary.json.

A Lane (lane.py) holds the search's folder, ledgers and clients; experiment.py is the body of
one try; guard.py the drift guard and the confirmation. This class adds what runs them: the
budget, Ctrl-C, the run lock and the note of how the run ended. `--lanes N` runs N lanes under
the coordinator in lanes.py, which steps each lane with `step()`.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from ..atomic import write_text
from ..llm import Backend, CallCache
from ..rubric import Rubric
from ..skill import load_skill
from ..topic import Topic
from .control import RunControl, Stop
from .experiment import evaluate, experiment, open_lane
from .guard import confirm, settle_best
from .lane import Event, Lane, note_end
from .planner import plan_run
from .proposer import retrospective
from .spec import FOREVER, Backends, Budget, RunSpec
from .summary import Summary, summarize


class OptimizeRun(Lane, RunControl):
    """A run of one lane (`OptimizeRun(spec, backends, run_dir=...)`, then `await run.run()`)."""

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

    async def _work(self) -> dict[str, Any]:
        await self.prepare()
        while await self.step():
            pass
        return (await self.finish()).to_json()

    def _subject(self) -> dict[str, Any]:
        return {"run": self}

    async def prepare(self) -> None:
        """Open the run folder; write the baseline, or bring a resumed run back to its best."""
        await open_lane(self)

    async def evaluate(self, n: int, edits: dict[str, str], description: str, **kw: Any) -> bool:
        """Commit `edits` over the best, measure them in stages, keep or revert, log."""
        return await evaluate(self, n, edits, description, **kw)

    async def step(self) -> bool:
        """One more experiment; False, with `stop` set, when a budget ends the run or
        too many tries in a row crashed."""
        n = self.state.last_experiment + 1
        stop = self.budget.ended_by(
            n - 1,
            started=self.started,
            cost=self.costs.totals()["known_cost_usd"],
            run_dir=self.run_dir,
            interrupts=self.interrupts,
        )
        if stop:
            self.stop = stop
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
            self.stop = Stop("crashes", f"{crashes} consecutive crashes (--abort-after-crashes)")
            return False
        return True

    async def finish(self) -> Summary:
        """Settle on the best, confirm it on fresh drafts (unless the run was stopped), and
        write summary.json."""
        if not self.stop.early:
            settle_best(self)
            await confirm(self)
        summary = self.summary()
        write_text(self.run_dir / "summary.json", json.dumps(summary.to_json(), indent=2) + "\n")
        return summary

    def estimate(self) -> dict[str, Any]:
        """Calls, tokens and USD for the whole budget, and the smallest effect the run can
        detect, before anything is spent or written."""
        return plan_run(
            self.spec,
            self.backends,
            load_skill(self.skill_source),
            self.rubric,
            self.topics,
            self.holdout,
        )

    def summary(self) -> Summary:
        return summarize(self, time.monotonic() - self.started)


__all__ = ["FOREVER", "Budget", "Event", "OptimizeRun", "note_end"]
