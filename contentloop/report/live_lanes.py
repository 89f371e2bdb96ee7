"""The live view of `optimize-skill --lanes N`: one row per lane, a line per finished try."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from ..optimize.loop import FOREVER


class LanesView:
    def __init__(self, console: Console, tag: str) -> None:
        self.console, self.tag = console, tag
        self.lanes: Any = None
        self.plan: dict[str, Any] | None = None  # the estimate (shown by the one-lane view)
        self.phase: dict[int, tuple[str, float]] = {}
        self.started = time.monotonic()
        self.live = Live(
            console=console, refresh_per_second=2, transient=True, get_renderable=self._table
        )

    def __enter__(self) -> LanesView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(*exc)  # type: ignore[arg-type]

    def event(self, ev: dict[str, Any]) -> None:
        self.lanes = ev.get("lanes", self.lanes)
        lane = ev.get("lane")
        if isinstance(lane, int):
            self.phase[lane] = (ev["phase"], time.monotonic())
        print_ = self.live.console.print
        if ev["phase"] == "interrupt":
            print_(
                "stopping after every lane's current try; press Ctrl-C again to stop now"
                if ev["count"] == 1
                else "stopping now; cut-off tries run again on --resume",
                style="yellow",
            )
        elif ev["phase"] == "merged":
            print_(f"merge {ev['merge']}: {ev['description']}", markup=False, highlight=False)
        elif ev["phase"] == "passed":
            print_(
                f"lane {lane} kept an edit of its own while merge {ev['merge']} was tested: it "
                "goes on from its best, and the next merge lays that edit over the merged skill",
                markup=False,
                highlight=False,
            )
        elif ev["phase"] == "logged" and ev.get("kind") in ("experiment", "merge"):
            record = ev["record"]
            run = ev["run"]
            best = run.best_mean
            line = (
                f"lane {lane} #{record.experiment} {record.status:<8} "
                f"best {'-' if best != best else f'{best:.2f}'}  {record.description[:70]}"
            )
            if record.stages:
                line += f"  [{len(record.stages)} stage(s), {record.stages[-1].rule}]"
            print_(line, soft_wrap=True, highlight=False, markup=False)
        self.live.refresh()

    def _table(self) -> Table:
        t = Table(title=f"optimize-skill {self.tag}", title_justify="left")
        for col in ("lane", "experiments", "phase", "best", "kept", "last"):
            t.add_column(col)
        coord = self.lanes
        if coord is None:
            return t
        now = time.monotonic()
        for i, lane in enumerate(coord.lanes):
            phase, since = self.phase.get(i, ("starting", now))
            last = lane.history[-1] if lane.history else None
            t.add_row(
                str(i),
                str(lane.state.last_experiment),
                f"{phase} {now - since:.0f} s",
                f"{lane.best_mean:.2f}" if lane.best_mean == lane.best_mean else "-",
                str(lane.counts["keep"] + lane.counts["explore"]),
                f"{last['status']}: {last['description'][:40]}" if last else "",
            )
        b = coord.budget
        limit = "no limit" if b.max_experiments >= FOREVER else str(b.max_experiments)
        t.caption = (
            f"{coord.total()} of {limit} experiments, {coord.merger.merges_done} merge(s), "
            f"${coord.cost():.4f}"
            + (f" of ${b.max_cost_usd:g}" if b.max_cost_usd is not None else "")
            + f", {(now - self.started) / 60:.1f} min"
        )
        return t
