"""`optimize-skill --lanes N`: several searches at once, merged only where the merge wins.

Each lane is an OptimizeRun of its own, from `RunSpec.lane(i)`: a folder `runs/<tag>/lane-<i>/` with its ledgers, a
git worktree on branch `autoexp/<tag>/lane-<i>`, its own proposer history, an emphasis (the
sections it is asked to favour) and the same gate as a single run. The lanes share one bound
on model calls in flight, one call cache and one budget (experiments, dollars, hours, the
STOP file at `runs/<tag>/STOP`). The baseline is written once, by lane 0, and every other
lane reads the same drafts.

Every `merge_every` experiments (over all lanes) the coordinator composes the lanes' best
skills section by section over the skill they last shared: a section one lane changed is
taken from it; where several lanes changed the same section, each choice is a composition of
its own (at most MAX_COMPOSITIONS, the best lanes' choices first). The lane whose best
measures highest tests each composition against its best with its gate, as it would any try,
at its next step boundary; the other lanes go on meanwhile. When the gate keeps one, each
other lane takes it at its next step boundary, unless it has kept an edit of its own since
the merge was planned: that lane goes on from its newer best, and the next merge lays what it
changed over the merged skill. A merge is planned in `lanes.jsonl` before it is tested and
closed there after, so a run killed half-way through one finishes it on --resume (merger.py
keeps that book). At the end the best lane's best is confirmed against the baseline on fresh
drafts, like a single run's.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ..atomic import write_text
from ..errors import ContentloopError
from ..llm import CallCache
from ..llm.ledger import CostLedger, spend_summary
from ..rubric import Rubric
from ..topic import Topic
from .control import RUNNING, RunControl, Stop
from .lane import note_end
from .loop import Event, OptimizeRun
from .merger import Merger, rank
from .samples import gather_all
from .spec import Backends, RunSpec, lane_branch, load_spec, refuse_existing
from .summary import LaneSummary, MergeSummary


def emphases(sections: list[str], lanes: int) -> list[list[str]]:
    """Which sections each lane is asked to favour: dealt round-robin, so every section has a
    lane, and with more lanes than sections some share one."""
    if lanes == 1:
        return [list(sections)]
    dealt: list[list[str]] = [[] for _ in range(lanes)]
    for i, name in enumerate(sections):
        dealt[i % lanes].append(name)
    for i, got in enumerate(dealt):
        if not got:
            got.append(sections[i % len(sections)])
    return dealt


def emphasis_text(index: int, lanes: int, favoured: list[str]) -> str:
    if lanes == 1:
        return ""
    return (
        f"This search is lane {index} of {lanes} run side by side; the others cover the other "
        f"sections. Prefer an edit to: {', '.join(favoured)}."
    )


class LanesRun(RunControl):
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
        """`spec.lanes` lanes, each from `spec.lane(i)` (or, on a resume, its own run.json).
        Nothing is written until `run()`."""
        self.spec, self.run_dir, self.tag, self.budget = spec, run_dir, spec.tag, spec.budget
        self.merge_every, self.resumed = spec.merge_every, resume
        self.on_event = on_event or (lambda e: None)
        if resume and not (run_dir / "run.json").exists():
            raise ContentloopError("is not a run folder (no run.json).", path=run_dir)
        limit = asyncio.Semaphore(spec.concurrency)  # one bound on calls in flight for all

        def make_lane(i: int) -> OptimizeRun:
            lane_dir = run_dir / f"lane-{i}"
            # A lane killed before it wrote its run.json starts afresh from the search's spec.
            resumed = resume and (lane_dir / "run.json").exists()
            own = load_spec(lane_dir) if resumed else spec.lane(i, spec.emphases[i])
            return OptimizeRun(
                own,
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
            lane.on_event = self._forward(i)
            lane.retro_history = self._all_history
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

    # --- state -------------------------------------------------------------------------------
    def total(self) -> int:
        """Experiments logged over all lanes."""
        return sum(lane.state.last_experiment for lane in self.lanes)

    def cost(self) -> float:
        return sum(lane.costs.totals()["known_cost_usd"] for lane in self.lanes)

    def spend(self) -> dict[str, Any]:
        """The summary's spend over every lane, as a single run's summary gives its own. Each
        lane appends to its own calls.jsonl, so that the spend of an experiment is the calls in
        its own lane's window; the run's totals read all of them together."""
        combined = CostLedger()
        combined.records = [r for lane in self.lanes for r in lane.costs.records]
        return spend_summary(combined)

    def views(self) -> list[LaneSummary]:
        return [
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

    def _all_history(self) -> list[dict[str, Any]]:
        return [
            {**h, "description": f"(lane {i}) {h['description']}"}
            for i, lane in enumerate(self.lanes)
            for h in lane.history
        ]

    def _stop(self) -> Stop | None:
        shared = self.budget.ended_by(
            self.total() + self.in_flight,
            started=self.started,
            cost=self.cost(),
            run_dir=self.run_dir,
            interrupts=self.interrupts,
        )
        if shared:
            return shared
        if all(lane.stop for lane in self.lanes):
            crashed = any(lane.stop.kind == "crashes" for lane in self.lanes)
            return Stop(
                "crashes" if crashed else "no_lane",
                "every lane stopped: "
                + "; ".join(f"lane {i}: {lane.stop}" for i, lane in enumerate(self.lanes)),
            )
        return None

    # --- the run -----------------------------------------------------------------------------
    def _subject(self) -> dict[str, Any]:
        return {"lanes": self}

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
        if self.merge_every and self._merge_at_end():
            # What the lanes kept since the last merge would otherwise be lost to all but one.
            for lane in self.lanes:
                self.merger.take(lane)
            await self.merger.merge(self.merger.merges_done + 1, final=True)
            for lane in self.lanes:
                self.merger.take(lane)
        best = max(self.lanes, key=lambda lane: rank(lane.best_mean))
        best.stop = self.stop
        lane_summary = await best.finish()
        summary = lane_summary.model_copy(
            update={
                "stop_reason": self.stop.text,
                "experiments": self.total(),
                "best_lane": self.lanes.index(best),
                "lanes": self.views(),
                "merges": [
                    MergeSummary(**r.model_dump(include=set(MergeSummary.model_fields)))
                    for r in self.merger.done()
                ],
                **self.spend(),
                "counts": dict(sum((Counter(lane.counts) for lane in self.lanes), Counter())),
            }
        )
        write_text(self.run_dir / "summary.json", json.dumps(summary.to_json(), indent=2) + "\n")
        self._write_tsv()
        return summary.to_json()

    def _open(self) -> None:
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

        async def work(lane: OptimizeRun) -> None:
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
        """runs/<tag>/results.tsv: every lane's rows with their lane, in time order, and one row
        per merge after the experiments it followed."""
        logged = sorted(
            (
                (r.timestamp, r.kind, {**r.row, "lane": i})
                for i, lane in enumerate(self.lanes)
                for r in lane.records
                if r.row is not None
            ),
            key=lambda t: t[0],
        )
        merges = self.merger.done()
        rows: list[dict[str, Any]] = []
        experiments = 0

        def flush() -> None:
            while merges and merges[0].after_experiments <= experiments:
                m = merges.pop(0)
                rows.append(
                    {
                        "commit": "",
                        "status": "merge" if m.adopted is not None else "discard",
                        "description": f"merge {m.merge}: {m.description}",
                        "lane": "merge",
                    }
                )

        for _, kind, row in logged:
            flush()
            rows.append(row)
            experiments += kind == "experiment"
        flush()
        if not rows:
            return
        fields = list(next(r for r in rows if r["lane"] != "merge"))
        buf = io.StringIO()
        writer = csv.DictWriter(
            buf, fields, delimiter="\t", extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        write_text(self.run_dir / "results.tsv", buf.getvalue())

    def note_end(self, status: str, reason: str) -> None:
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


__all__ = ["LanesRun", "emphases", "emphasis_text", "lane_branch"]
