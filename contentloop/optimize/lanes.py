"""`optimize-skill --lanes N`: several searches at once, merged only where the merge wins.

Each lane is an OptimizeRun of its own: a folder `runs/<tag>/lane-<i>/` with its ledgers, a
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
closed there after, so a run killed half-way through one finishes it on --resume. At the end
the best lane's best is confirmed against the baseline on fresh drafts, like a single run's.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..atomic import append_line, write_text
from ..errors import ContentloopError
from ..faults import crash_point
from ..llm import CallCache
from ..llm.ledger import CostLedger, spend_summary
from ..rubric import Rubric
from ..runlock import run_lock
from ..topic import Topic
from .lane import note_end
from .ledger import cut_torn_tail, read_jsonl
from .loop import Event, OptimizeRun, on_sigint, stopped_early
from .merge import MergeRow, adopt_merge, compose, try_merge
from .samples import gather_all
from .spec import Backends, RunSpec, lane_branch, load_spec


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


@dataclass
class LaneView:
    """What the terminal and summary say about one lane."""

    index: int
    emphasis: str
    experiments: int
    kept: int
    best_mean: float
    branch: str


class LanesRun:
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
        self.ledger = run_dir / "lanes.jsonl"
        self.rows: list[MergeRow] = []
        self.interrupts = 0
        self.in_flight = 0
        self.stop_reason = ""
        self._merging = False
        self._ready = 0  # the adopted merge whose drafts the tester has written (0: none)
        self._passed: set[tuple[int, int]] = set()  # (lane, merge) it went on without
        self.started = time.monotonic()
        self._task: asyncio.Task[Any] | None = None

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

    @property
    def merges_done(self) -> int:
        return max((r.merge for r in self.rows if r.phase == "done"), default=0)

    def base(self) -> dict[str, str]:
        """The skill every lane last shared: the last adopted composition, or the baseline."""
        for row in reversed(self.rows):
            if row.phase == "done" and row.adopted is not None:
                plan = self._plan(row.merge)
                assert plan is not None
                return plan.compositions[row.adopted].sections
        return self._baseline_sections()

    def _baseline_sections(self) -> dict[str, str]:
        first = self.lanes[0]  # lane 0 wrote the baseline every lane shares
        assert first.state.baseline is not None
        return first.kept_skill(first.state.baseline.commit).sections

    def _plan(self, merge: int) -> MergeRow | None:
        return next((r for r in self.rows if r.merge == merge and r.phase == "plan"), None)

    def views(self) -> list[LaneView]:
        return [
            LaneView(
                i,
                lane.emphasis,
                lane.state.last_experiment,
                lane.state.counts["keep"] + lane.state.counts["explore"],
                round(lane.best_mean, 3),
                getattr(lane.ws, "branch", str(lane.run_dir)),
            )
            for i, lane in enumerate(self.lanes)
        ]

    def _all_history(self) -> list[dict[str, Any]]:
        return [
            {**h, "description": f"(lane {i}) {h['description']}"}
            for i, lane in enumerate(self.lanes)
            for h in lane.history
        ]

    def _stop(self) -> str | None:
        b = self.budget
        if self.total() + self.in_flight >= b.max_experiments:
            return f"--max-experiments {b.max_experiments} reached"
        shared = b.ended_by(
            started=self.started, cost=self.cost(), run_dir=self.run_dir, interrupts=self.interrupts
        )
        if shared:
            return shared
        if all(lane.stop_reason for lane in self.lanes):
            return "every lane stopped: " + "; ".join(
                f"lane {i}: {lane.stop_reason}" for i, lane in enumerate(self.lanes)
            )
        return None

    # --- the run -----------------------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        self._task = asyncio.current_task()
        with on_sigint(self._on_sigint), run_lock(self.run_dir):
            try:
                summary = await self._run()
            except BaseException as exc:
                interrupted = isinstance(exc, KeyboardInterrupt | asyncio.CancelledError)
                self._record_end(
                    "interrupted" if interrupted else "failed", str(exc) or type(exc).__name__
                )
                raise
            self._record_end(
                "stopped" if stopped_early(self.stop_reason) else "finished", self.stop_reason
            )
            return summary

    def _on_sigint(self) -> None:
        """First Ctrl-C: every lane finishes its current try, then the run stops. Second: now."""
        self.interrupts += 1
        self.on_event({"phase": "interrupt", "count": self.interrupts, "lanes": self})
        if self.interrupts > 1 and self._task is not None:
            self._task.cancel()

    async def _run(self) -> dict[str, Any]:
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
            await self._draw_adopted()
        self._write_tsv()
        await self._work()
        if self.merge_every and self._merge_at_end():
            # What the lanes kept since the last merge would otherwise be lost to all but one.
            for lane in self.lanes:
                self._take(lane)
            await self._merge(self.merges_done + 1, final=True)
            for lane in self.lanes:
                self._take(lane)
        best = max(self.lanes, key=lambda lane: _rank(lane.best_mean))
        best.stop_reason = self.stop_reason
        lane_summary = await best.finish()
        summary = {
            **lane_summary,
            "stop_reason": self.stop_reason,
            "experiments": self.total(),
            "best_lane": self.lanes.index(best),
            "lanes": [v.__dict__ for v in self.views()],
            "merges": [
                {
                    "merge": r.merge,
                    "after_experiments": r.after_experiments,
                    "statuses": r.statuses,
                    "adopted": r.adopted,
                    "description": r.description,
                }
                for r in self.rows
                if r.phase == "done"
            ],
            **self.spend(),
            "counts": dict(sum((Counter(lane.counts) for lane in self.lanes), Counter())),
        }
        write_text(self.run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
        self._write_tsv()
        return summary

    def _open(self) -> None:
        if not self.resumed and (self.run_dir / "run.json").exists():
            raise ContentloopError(
                "already exists.", path=self.run_dir, fix="pick another --tag, or --resume it."
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.resumed:
            cut_torn_tail(self.ledger)
            self.rows = [MergeRow.model_validate(r) for r in read_jsonl(self.ledger)]
        else:
            write_text(self.run_dir / "run.json", self.head().dump())
        self._opened = True

    def head(self) -> RunSpec:
        """The search's spec, as its run.json holds it (with the harness the lanes measure)."""
        return self.spec.model_copy(update={"harness_sha256": self.lanes[0].harness})

    async def _work(self) -> None:
        """Every lane runs experiments until a budget ends the run. When a merge is due, the
        best lane tests it at its next step boundary while the others go on: the merge costs
        one lane's time, not every lane's (bench/lanes.py)."""

        async def work(lane: OptimizeRun) -> None:
            while not lane.stop_reason:
                self._take(lane)
                if self._stop():
                    return
                merge = self._merge_for(lane)
                if merge is not None:
                    await self._merge(merge, tester=lane)
                    continue
                self.in_flight += 1
                try:
                    await lane.step()
                finally:
                    self.in_flight -= 1

        await gather_all(*(work(lane) for lane in self.lanes if not lane.stop_reason))
        self.stop_reason = self._stop() or "no lane could run an experiment"

    def _merge_for(self, lane: OptimizeRun) -> int | None:
        """The merge `lane` should test now, if any: one cut off by a kill that it was testing,
        or a due one when it is the best lane and no merge is under way."""
        index = self.lanes.index(lane)
        open_plan = next(
            (r for r in self.rows if r.phase == "plan" and r.merge > self.merges_done), None
        )
        if open_plan is not None:
            return open_plan.merge if open_plan.lane == index and not self._merging else None
        due = self.merges_done + 1
        if self._merging or not self.merge_every or self.total() < due * self.merge_every:
            return None
        # A lane stopped by its own crashes takes no more turns, so it cannot be the tester.
        going = [x for x in self.lanes if not x.stop_reason]
        best = max(going, key=lambda x: _rank(x.best_mean), default=None)
        return due if best is lane else None

    def _merge_at_end(self) -> bool:
        """A last merge before the confirmation, unless the run was stopped (Ctrl-C, crashes)
        or its money is spent."""
        return not any(
            word in self.stop_reason for word in ("Ctrl-C", "consecutive crashes", "--max-cost")
        )

    async def _merge(self, k: int, final: bool = False, tester: OptimizeRun | None = None) -> None:
        """Merge k, tested by `tester` (default: the best lane), whose worker calls this."""
        self._merging = True
        try:
            await self._merge_now(k, final, tester)
        finally:
            self._merging = False

    async def _merge_now(self, k: int, final: bool, tester: OptimizeRun | None) -> None:
        plan = self._plan(k)
        if plan is None:
            ranked = sorted(self.lanes, key=lambda lane: -_rank(lane.best_mean))
            if tester is not None:
                ranked = [tester, *(x for x in ranked if x is not tester)]
            tester = ranked[0]
            own = _best_sections(tester)
            base = self.base()
            compositions = [
                c
                for c in compose(
                    base,
                    # Each lane's best, not its worktree: a lane mid-try holds its candidate.
                    [(self.lanes.index(x), _best_sections(x)) for x in ranked],
                    own_bases={i: self._own_base(x) for i, x in enumerate(self.lanes)},
                )
                if c.sections != own
            ]
            if final and not compositions:
                return
            plan = MergeRow(
                merge=k,
                phase="plan",
                timestamp=_now(),
                after_experiments=self.total(),
                lane=self.lanes.index(tester),
                base=base,
                compositions=compositions,
                bests={i: x.state.best_skill for i, x in enumerate(self.lanes)},
            )
            self._append(plan)
            crash_point("merge_planned")
        assert plan.lane is not None
        tester = self.lanes[plan.lane]
        self.on_event({"phase": "merge", "merge": k, "lane": plan.lane, "lanes": self})
        statuses: list[str] = []
        adopted = None
        for j, comp in enumerate(plan.compositions):
            tried = _merge_record(tester, k, j)
            status = (
                tried.status
                if tried is not None
                else await try_merge(tester, k, j, comp.sections, comp.describe())
            )
            statuses.append(status)
            if status == "keep":
                adopted = j
                break
        if not plan.compositions:
            text = "nothing to compose: no lane changed a section the best lane lacks"
        elif adopted is None:
            text = "no composition beat lane " + f"{plan.lane}'s best; each lane goes on alone"
        else:
            text = f"adopted {plan.compositions[adopted].describe()}"
        self._append(
            MergeRow(
                merge=k,
                phase="done",
                timestamp=_now(),
                after_experiments=plan.after_experiments,
                lane=plan.lane,
                statuses=statuses,
                adopted=adopted,
                description=text,
            )
        )
        crash_point("merge_done")
        await self._draw_adopted()
        self.on_event({"phase": "merged", "merge": k, "description": text, "lanes": self})

    def _adopted(self) -> tuple[MergeRow, MergeRow, Any] | None:
        """The last merge that was adopted: its plan, its outcome and the tester's keep record."""
        done = next((r for r in reversed(self.rows) if r.phase == "done"), None)
        if done is None or done.adopted is None:
            return None
        plan = self._plan(done.merge)
        assert plan is not None and plan.lane is not None
        kept = next(
            r
            for r in self.lanes[plan.lane].records
            if r.kind == "merge" and r.merge == done.merge and r.status == "keep"
        )
        return plan, done, kept

    async def _draw_adopted(self) -> None:
        """The tester writes the last adopted composition the drafts any best needs (again
        after a kill: only what is missing), so the lanes that take it read those drafts instead
        of each writing as many of their own: the same skill, the same drafts, as with the
        baseline."""
        adopted = self._adopted()
        if adopted is None:
            return
        plan, done, kept = adopted
        tester = self.lanes[plan.lane]  # type: ignore[index]
        await tester.measure.draw(
            tester.kept_skill(kept.commit),
            tester.gate.best_needed(tester.repeats),
            "best",
            tester.state.last_experiment,
        )
        self._ready = done.merge

    def _take(self, lane: OptimizeRun) -> None:
        """At a step boundary, `lane` takes the last adopted composition, unless it holds it
        already, or has kept an edit of its own since the merge was planned that the
        composition does not hold: then it goes on from its newer best, and the next merge lays
        what it changed over the merged skill (see compose's own_bases)."""
        adopted = self._adopted()
        if adopted is None:
            return
        plan, done, kept = adopted
        index = self.lanes.index(lane)
        if _took(lane, done.merge) or self._ready != done.merge:
            return
        comp = plan.compositions[done.adopted]  # type: ignore[index]
        if index in plan.bests and lane.state.best_skill != plan.bests[index]:
            own, since = lane.skill().sections, self._own_base(lane)
            if any(own[n] != since.get(n) and own[n] != comp.sections.get(n) for n in own):
                if (index, done.merge) not in self._passed:  # say it once, not every boundary
                    self._passed.add((index, done.merge))
                    self.on_event(
                        {"phase": "passed", "merge": done.merge, "lane": index, "lanes": self}
                    )
                return  # it would lose an edit the composition does not hold
        tester = self.lanes[plan.lane]  # type: ignore[index]
        bank = lane.measure.bank
        for topic in lane.measure.slugs:
            have = {s.sample for s in bank.samples(kept.skill, topic)}
            for sample in tester.measure.bank.samples(kept.skill, topic):
                if sample.sample not in have:
                    bank.record(sample)
        adopt_merge(lane, done.merge, comp.sections, comp.describe())
        self._write_tsv()

    def _own_base(self, lane: OptimizeRun) -> dict[str, str]:
        """The skill `lane` last shared with the others: the last composition it took, or the
        baseline."""
        took = next(
            (
                r
                for r in reversed(lane.records)
                if r.kind == "merge" and r.status in ("keep", "adopt") and r.sections
            ),
            None,
        )
        if took is not None:
            return dict(took.sections)  # type: ignore[arg-type]
        return self._baseline_sections()

    def _append(self, row: MergeRow) -> None:
        append_line(self.ledger, json.dumps(row.model_dump(mode="json")) + "\n")
        self.rows.append(row)
        self._write_tsv()

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
        merges = [r for r in self.rows if r.phase == "done"]
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

    def _record_end(self, status: str, reason: str) -> None:
        if not getattr(self, "_opened", False):
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


def _took(lane: OptimizeRun, merge: int) -> bool:
    """Whether `lane` holds merge `merge`'s composition: it kept it when testing it, or
    adopted it."""
    return any(
        r.kind == "merge" and r.merge == merge and r.status in ("keep", "adopt")
        for r in lane.records
    )


def _best_sections(lane: OptimizeRun) -> dict[str, str]:
    return lane.kept_skill(lane.state.best_commit).sections


def _merge_record(lane: OptimizeRun, merge: int, composition: int) -> Any:
    return next(
        (
            r
            for r in lane.records
            if r.kind == "merge" and r.merge == merge and r.composition == composition
        ),
        None,
    )


def _rank(mean: float) -> float:
    return mean if mean == mean else float("-inf")  # a lane with no drafts yet (nan) ranks last


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


__all__ = ["LanesRun", "emphases", "emphasis_text", "lane_branch"]
