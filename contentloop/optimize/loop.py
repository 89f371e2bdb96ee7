"""The run: one search over a skill, or `--lanes N` of them side by side, under one budget.

A single run is a search with one lane: its folder is the run's own, and nothing is merged.
With more lanes each has a folder of its own (lanes.py says what they share and how merges
work; merger.py keeps the merges' book). Either way this class owns what is the run's, not a
lane's: the budget, Ctrl-C and the run lock (control.py), stepping the lanes, and the end
(the best lane's best confirmed on fresh drafts, summary.json, the note in run.json).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ..atomic import write_text
from ..errors import ContentloopError
from ..llm import Backend, CallCache
from ..llm.ledger import CostLedger, spend_summary
from ..rubric import Rubric
from ..skill import load_skill
from ..topic import Topic
from .control import RUNNING, RunControl, Stop
from .lane import Event, note_end
from .lanes import write_lanes_tsv
from .merger import Merger, rank
from .planner import plan_run
from .samples import gather_all
from .search import Search
from .spec import FOREVER, Backends, Budget, RunSpec, load_spec, refuse_existing
from .summary import LaneSummary, MergeSummary, Summary


class OptimizeRun(RunControl):
    def __init__(
        self,
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
    ) -> None:
        """`spec.lanes` searches (one: the run's own folder; more: each from `spec.lane(i)`, or
        on a resume its own run.json). Nothing is written until `run()`."""
        self.spec, self.run_dir, self.tag, self.budget = spec, run_dir, spec.tag, spec.budget
        self.resumed = resume
        self.on_event = on_event or (lambda e: None)
        if resume and not (run_dir / "run.json").exists():
            raise ContentloopError("is not a run folder (no run.json).", path=run_dir)
        self.single = spec.lanes == 1
        limit = asyncio.Semaphore(spec.concurrency)  # one bound on calls in flight for all

        def make_lane(i: int) -> Search:
            lane_dir = run_dir if self.single else run_dir / f"lane-{i}"
            # A lane killed before it wrote its run.json starts afresh from the search's spec.
            resumed = resume and (lane_dir / "run.json").exists()
            own = spec if self.single else spec.lane(i, spec.emphases[i])
            return Search(
                load_spec(lane_dir) if resumed and not self.single else own,
                backends,
                run_dir=lane_dir,
                rubric=rubric,
                topics=topics,
                holdout=holdout,
                cache=cache,
                resume=resumed,
                limit=limit,
            )

        self.lanes = [make_lane(i) for i in range(spec.lanes)]
        for i, lane in enumerate(self.lanes):
            # One lane's events name it as the run (the single run's live view); several
            # lanes' name the lane and the run (the lanes' table).
            lane.on_event = self.on_event if self.single else self._forward(i)
            lane.retro_history = None if self.single else self._all_history
        self.merger = Merger(
            self.lanes,
            run_dir / "lanes.jsonl",
            merge_every=spec.merge_every,
            total=self.total,
            emit=lambda event: self.on_event({**event, "lanes": self}),
            changed=self._write_tsv,
        )
        self.in_flight = 0
        self.stop = RUNNING
        self.started = time.monotonic()
        self._opened = False

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
        )

    # --- state -------------------------------------------------------------------------------
    @property
    def lane(self) -> Search:
        """The run's search when it has one lane (a single run: its ledgers, state, best)."""
        if not self.single:
            raise AttributeError("a --lanes run has several: use .lanes")
        return self.lanes[0]

    def total(self) -> int:
        """Experiments logged over all lanes."""
        return sum(lane.state.last_experiment for lane in self.lanes)

    def cost(self) -> float:
        return sum(lane.costs.totals()["known_cost_usd"] for lane in self.lanes)

    def estimate(self) -> dict[str, Any]:
        """Calls, tokens and USD for the whole budget (lanes share it), and the smallest effect
        one experiment can detect, before anything is spent or written."""
        lane = self.lanes[0]
        skill = load_skill(lane.skill_source)
        return plan_run(self.spec, lane.backends, skill, lane.rubric, lane.topics, lane.holdout)

    def _all_history(self) -> list[dict[str, Any]]:
        return [
            {**h, "description": f"(lane {i}) {h['description']}"}
            for i, lane in enumerate(self.lanes)
            for h in lane.history
        ]

    def _stop(self) -> Stop | None:
        """Why the run ends now, if it does: every lane stopped on its own (its crashes say
        more than a budget reached by the same try), or the shared budget ran out."""
        if all(lane.stop for lane in self.lanes):
            if self.single:
                return self.lanes[0].stop
            crashed = any(lane.stop.kind == "crashes" for lane in self.lanes)
            return Stop(
                "crashes" if crashed else "no_lane",
                "every lane stopped: "
                + "; ".join(f"lane {i}: {lane.stop}" for i, lane in enumerate(self.lanes)),
            )
        return self.budget.ended_by(
            self.total() + self.in_flight,
            started=self.started,
            cost=self.cost(),
            run_dir=self.run_dir,
            interrupts=self.interrupts,
        )

    # --- the run -----------------------------------------------------------------------------
    def _subject(self) -> dict[str, Any]:
        return {"run": self.lanes[0]} if self.single else {"lanes": self}

    async def _work(self) -> dict[str, Any]:
        self._open()
        first, *others = self.lanes
        await first.prepare()
        for lane in others:
            # The same skill, the same drafts: the other lanes read lane 0's baseline.
            bank = lane.run_dir / "samples.jsonl"
            if not bank.exists():
                lane.run_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(first.run_dir / "samples.jsonl", bank)
            await lane.prepare()
        if self.resumed:
            self.started -= max(lane.state.seconds for lane in self.lanes)
            await self.merger.draw_adopted()
        self._write_tsv()
        await self._step_lanes()
        if self.spec.merge_every and self._merge_at_end():
            # What the lanes kept since the last merge would otherwise be lost to all but one.
            for lane in self.lanes:
                self.merger.take(lane)
            await self.merger.merge(self.merger.merges_done + 1, final=True)
            for lane in self.lanes:
                self.merger.take(lane)
        best = max(self.lanes, key=lambda lane: rank(lane.best_mean))
        best.stop = self.stop
        summary = await best.finish()
        if not self.single:
            summary = self._lanes_summary(summary, best)
            write_text(
                self.run_dir / "summary.json", json.dumps(summary.to_json(), indent=2) + "\n"
            )
            self._write_tsv()
        return summary.to_json()

    def _lanes_summary(self, best_lane: Summary, best: Search) -> Summary:
        """The best lane's summary, with the run's totals, every lane and every merge."""
        combined = CostLedger()
        combined.records = [r for lane in self.lanes for r in lane.costs.records]
        lanes = [
            LaneSummary(
                index=i,
                emphasis=lane.emphasis,
                experiments=lane.state.last_experiment,
                kept=lane.state.counts["keep"] + lane.state.counts["explore"],
                best_mean=round(lane.best_mean, 3),
                branch=getattr(lane.ws, "branch", str(lane.run_dir)),
            )
            for i, lane in enumerate(self.lanes)
        ]
        merges = [
            MergeSummary(**r.model_dump(include=set(MergeSummary.model_fields)))
            for r in self.merger.done()
        ]
        counts = sum((Counter(lane.counts) for lane in self.lanes), Counter())
        return best_lane.model_copy(
            update={
                "stop_reason": self.stop.text,
                "experiments": self.total(),
                "best_lane": self.lanes.index(best),
                "lanes": lanes,
                "merges": merges,
                # Each lane appends to its own calls.jsonl; the run's totals read them all.
                **spend_summary(combined),
                "counts": dict(counts),
            }
        )

    def _open(self) -> None:
        if self.single:
            return  # the lane's folder is the run's: it writes run.json itself (lane.open)
        if not self.resumed:
            refuse_existing(self.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.resumed:
            self.merger.load()
        else:
            write_text(self.run_dir / "run.json", self.head().dump())
        self._opened = True

    def head(self) -> RunSpec:
        """The search's spec, as its run.json holds it (with the harness the lanes measure)."""
        return self.spec.model_copy(update={"harness_sha256": self.lanes[0].harness})

    async def _step_lanes(self) -> None:
        """Every lane runs experiments until a budget ends the run. When a merge is due, the
        best lane tests it at its next step boundary while the others go on: the merge costs
        one lane's time, not every lane's (bench/lanes.py)."""

        async def work(lane: Search) -> None:
            while not lane.stop:
                self.merger.take(lane)
                if self._stop():
                    return
                merge = self.merger.due_for(lane)
                if merge is not None:
                    await self.merger.merge(merge, tester=lane)
                    continue
                self.in_flight += 1
                try:
                    await lane.step()
                finally:
                    self.in_flight -= 1

        await gather_all(*(work(lane) for lane in self.lanes if not lane.stop))
        self.stop = self._stop() or Stop("no_lane", "no lane could run an experiment")

    def _merge_at_end(self) -> bool:
        """A last merge before the confirmation, unless the run was stopped (Ctrl-C, crashes)
        or its money is spent."""
        return self.stop.kind not in ("ctrl_c", "crashes", "max_cost")

    def _forward(self, index: int) -> Event:
        def forward(event: dict[str, Any]) -> None:
            if event.get("phase") == "logged":
                self._write_tsv()
            self.on_event({**event, "lane": index, "lanes": self})

        return forward

    def _write_tsv(self) -> None:
        if not self.single:  # a single lane writes the run's results.tsv itself (its ledger)
            write_lanes_tsv(self.run_dir, self.lanes, self.merger.done())

    def note_end(self, status: str, reason: str) -> None:
        if self.single:
            self.lanes[0].note_end(status, reason)
            return
        if not self._opened:
            return
        note_end(
            self.run_dir,
            self.head(),
            status=status,
            reason=reason,
            started=self.started,
            experiments=self.total(),
            calls=sum(lane.costs.totals()["calls"] for lane in self.lanes),
            cost_usd=round(self.cost(), 6),
        )


__all__ = ["FOREVER", "Budget", "Event", "OptimizeRun", "note_end"]
