"""The merges of a --lanes run: planned in lanes.jsonl before any of a merge is tested, tested
by one lane, and taken by the others at their step boundaries (lanes.py explains the rules).
The Merger owns lanes.jsonl and what follows from it; the coordinator asks it at each boundary
which merge a lane should test (`due_for`), and hands each lane the last adopted one (`take`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..atomic import append_line
from ..faults import crash_point
from .lane import Lane
from .ledger import cut_torn_tail, read_jsonl
from .merge import MergeRow, adopt_merge, compose, try_merge


class Merger:
    def __init__(
        self,
        lanes: list[Lane],
        ledger: Path,
        *,
        merge_every: int,
        total: Callable[[], int],
        emit: Callable[[dict[str, Any]], None],
        changed: Callable[[], None],
    ) -> None:
        """`total()`: experiments so far over all lanes; `emit`: the run's events; `changed`:
        called when a row is appended or a lane takes a merge (results.tsv is rewritten)."""
        self.lanes, self.ledger, self.merge_every = lanes, ledger, merge_every
        self.total, self.emit, self.changed = total, emit, changed
        self.rows: list[MergeRow] = []
        self._merging = False
        self._ready = 0  # the adopted merge whose drafts the tester has written (0: none)
        self._passed: set[tuple[int, int]] = set()  # (lane, merge) it went on without

    def load(self) -> None:
        """The rows a killed run wrote (a torn last line is cut)."""
        cut_torn_tail(self.ledger)
        self.rows = [MergeRow.model_validate(r) for r in read_jsonl(self.ledger)]

    def done(self) -> list[MergeRow]:
        return [r for r in self.rows if r.phase == "done"]

    @property
    def merges_done(self) -> int:
        return max((r.merge for r in self.rows if r.phase == "done"), default=0)

    def base(self) -> dict[str, str]:
        """The skill every lane last shared: the last adopted composition, or the baseline."""
        for row in reversed(self.rows):
            if row.phase == "done" and row.adopted is not None:
                plan = self.plan(row.merge)
                assert plan is not None
                return plan.compositions[row.adopted].sections
        return self._baseline_sections()

    def _baseline_sections(self) -> dict[str, str]:
        first = self.lanes[0]  # lane 0 wrote the baseline every lane shares
        assert first.state.baseline is not None
        return first.kept_skill(first.state.baseline.commit).sections

    def plan(self, merge: int) -> MergeRow | None:
        return next((r for r in self.rows if r.merge == merge and r.phase == "plan"), None)

    def due_for(self, lane: Lane) -> int | None:
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
        going = [x for x in self.lanes if not x.stop]
        best = max(going, key=lambda x: rank(x.best_mean), default=None)
        return due if best is lane else None

    async def merge(self, k: int, final: bool = False, tester: Lane | None = None) -> None:
        """Merge k, tested by `tester` (default: the best lane), whose worker calls this."""
        self._merging = True
        try:
            await self._merge_now(k, final, tester)
        finally:
            self._merging = False

    async def _merge_now(self, k: int, final: bool, tester: Lane | None) -> None:
        plan = self.plan(k)
        if plan is None:
            ranked = sorted(self.lanes, key=lambda lane: -rank(lane.best_mean))
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
            self.append(plan)
            crash_point("merge_planned")
        assert plan.lane is not None
        tester = self.lanes[plan.lane]
        self.emit({"phase": "merge", "merge": k, "lane": plan.lane})
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
        self.append(
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
        await self.draw_adopted()
        self.emit({"phase": "merged", "merge": k, "description": text})

    def _adopted(self) -> tuple[MergeRow, MergeRow, Any] | None:
        """The last merge that was adopted: its plan, its outcome and the tester's keep record."""
        done = next((r for r in reversed(self.rows) if r.phase == "done"), None)
        if done is None or done.adopted is None:
            return None
        plan = self.plan(done.merge)
        assert plan is not None and plan.lane is not None
        kept = next(
            r
            for r in self.lanes[plan.lane].records
            if r.kind == "merge" and r.merge == done.merge and r.status == "keep"
        )
        return plan, done, kept

    async def draw_adopted(self) -> None:
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

    def take(self, lane: Lane) -> None:
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
                    self.emit({"phase": "passed", "merge": done.merge, "lane": index})
                return  # it would lose an edit the composition does not hold
        tester = self.lanes[plan.lane]  # type: ignore[index]
        bank = lane.measure.bank
        for topic in lane.measure.slugs:
            have = {s.sample for s in bank.samples(kept.skill, topic)}
            for sample in tester.measure.bank.samples(kept.skill, topic):
                if sample.sample not in have:
                    bank.record(sample)
        adopt_merge(lane, done.merge, comp.sections, comp.describe())
        self.changed()

    def _own_base(self, lane: Lane) -> dict[str, str]:
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

    def append(self, row: MergeRow) -> None:
        append_line(self.ledger, json.dumps(row.model_dump(mode="json")) + "\n")
        self.rows.append(row)
        self.changed()


def _took(lane: Lane, merge: int) -> bool:
    """Whether `lane` holds merge `merge`'s composition: it kept it when testing it, or
    adopted it."""
    return any(
        r.kind == "merge" and r.merge == merge and r.status in ("keep", "adopt")
        for r in lane.records
    )


def _best_sections(lane: Lane) -> dict[str, str]:
    return lane.kept_skill(lane.state.best_commit).sections


def _merge_record(lane: Lane, merge: int, composition: int) -> Any:
    return next(
        (
            r
            for r in lane.records
            if r.kind == "merge" and r.merge == merge and r.composition == composition
        ),
        None,
    )


def rank(mean: float) -> float:
    return mean if mean == mean else float("-inf")  # a lane with no drafts yet (nan) ranks last


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
