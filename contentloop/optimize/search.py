"""One search over a skill, driven a step at a time: a baseline (or a resumed search brought
back to its best), then one experiment per `step()`, then `finish()`: the best settled,
confirmed on fresh drafts, and summary.json.

A Search is a Lane (lane.py: the folder, ledgers and clients) with the verbs that run it;
experiment.py is the body of one try, guard.py the drift guard and the confirmation. The run
(loop.py) owns the budget, Ctrl-C and the end of the run, and steps one search or several.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..atomic import write_text
from .control import Stop
from .experiment import evaluate, experiment, open_lane
from .guard import confirm, drift_check, settle_best
from .lane import Lane
from .proposer import retrospective
from .summary import Summary, summarize


class Search(Lane):
    async def prepare(self) -> None:
        """Open the folder; write the baseline, or bring a resumed search back to its best."""
        await open_lane(self)

    async def evaluate(self, n: int, edits: dict[str, str], description: str, **kw: Any) -> bool:
        """Commit `edits` over the best, measure them in stages, keep or revert, log."""
        return await evaluate(self, n, edits, description, **kw)

    async def step(self) -> bool:
        """One more experiment; False, with `stop` set, when too many tries in a row crashed.
        The run checks its budget before each step (loop.py)."""
        n = self.state.last_experiment + 1
        if self._drift_check_cut_off():
            # Due after the last keep and cut off by a kill between the keep's record and the
            # check's: done now, with the drafts it had written, as the run that never stopped.
            await drift_check(self, n - 1)
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

    def _drift_check_cut_off(self) -> bool:
        last = self.records[-1] if self.records else None
        return (
            bool(self.gate.verify_every)
            and last is not None
            and last.kind in ("experiment", "merge")
            and last.status in ("keep", "explore")
            and self.state.keeps_since_verify >= self.gate.verify_every
        )

    async def finish(self) -> Summary:
        """Settle on the best, confirm it on fresh drafts (unless the run was stopped), and
        write summary.json."""
        if not self.stop.early:
            settle_best(self)
            await confirm(self)
        summary = self.summary()
        write_text(self.run_dir / "summary.json", json.dumps(summary.to_json(), indent=2) + "\n")
        return summary

    def summary(self) -> Summary:
        return summarize(self, time.monotonic() - self.started)


__all__ = ["Search"]
