"""The live view of `contentloop write`: one row per topic, updated as versions land."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table


class WriteView:
    def __init__(self, console: Console, slugs: list[str], cycles: int, target: float) -> None:
        self.cycles, self.target = cycles, target
        self.max: float | None = None  # the scale, once a first version is scored
        self.started = time.monotonic()
        self.rows: dict[str, dict[str, Any]] = {
            s: {
                "phase": "waiting",
                "since": None,
                "version": "",
                "best": "",
                "last": "",
                "asked": "",
                "done": 0,
            }
            for s in slugs
        }
        # A callable, not a table: the elapsed times tick on every refresh, also while one
        # long model call is running and no event arrives.
        self.live = Live(
            console=console, refresh_per_second=4, transient=False, get_renderable=self._table
        )

    def __enter__(self) -> WriteView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.refresh()
        self.live.__exit__(*exc)  # type: ignore[arg-type]

    def event(self, ev: dict[str, Any]) -> None:
        row = self.rows[ev["topic"]]
        if ev["phase"] != row["phase"] or "version" in ev:
            row["since"] = time.monotonic()
        row["phase"] = ev["phase"]
        if "version" in ev:
            row["version"] = f"v{ev['version']}/{self.cycles}"
        run = ev.get("run")
        if run is not None and run.versions:
            row["done"] = len(run.versions)
            last = run.versions[-1]
            self.max = last.card.max
            row["last"] = f"{last.card.total:g}/{last.card.max:g}" + (
                "" if last.kept else " (not kept)"
            )
            row["best"] = f"{run.best.card.total:g}/{run.best.card.max:g}" if run.best else ""
            asked = last.asked or {}
            row["asked"] = (
                ", ".join([*asked.get("violations", []), *asked.get("criteria", [])]) or "-"
            )
        self.live.refresh()

    def _eta(self, now: float) -> str:
        """Time left at the pace so far, if every topic used every cycle (a run that reaches
        the target stops sooner, so it is an upper estimate)."""
        done = sum(r["done"] for r in self.rows.values())
        total = len(self.rows) * (self.cycles + 1)
        if not done or done >= total:
            return ""
        return f", at most ~{(now - self.started) / done * (total - done):.0f} s left"

    def _table(self) -> Table:
        now = time.monotonic()
        # A target above the scale (rule checks alone are out of 40) is not a target: say so.
        aim = (
            f"target {self.target:g}"
            if self.max is None or self.target <= self.max
            else f"scores out of {self.max:g} (rule checks alone: --target does not apply)"
        )
        t = Table(
            title=f"contentloop write: {self.cycles} cycle(s), {aim}, "
            f"{now - self.started:.0f} s{self._eta(now)}",
            title_justify="left",
        )
        for col in ("topic", "version", "phase", "last", "best", "last cycle targeted"):
            t.add_column(col)
        for slug, r in self.rows.items():
            phase = r["phase"]
            if r["since"] is not None and phase in ("writing", "scoring"):
                phase += f" {now - r['since']:.0f} s"
            t.add_row(slug, r["version"], phase, r["last"], r["best"], r["asked"])
        return t


class OptimizeView:
    """The optimize-skill dashboard: a live panel, with one scrollback line per experiment."""

    def __init__(self, console: Console, tag: str) -> None:
        self.console, self.tag = console, tag
        self.phase, self.n = "starting", 0
        self.stage = ""
        self.run: Any = None
        self.started = self.phase_since = time.monotonic()
        self.first_done: tuple[int, float] | None = None  # (experiment, time) of the first logged
        self.plan: dict[str, Any] | None = None  # a new run's estimate (planner.plan_run)
        # A callable: the elapsed times tick while one long stage runs and no event arrives.
        self.live = Live(
            console=console, refresh_per_second=2, transient=True, get_renderable=self._table
        )

    def __enter__(self) -> OptimizeView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(*exc)  # type: ignore[arg-type]

    def event(self, ev: dict[str, Any]) -> None:
        r = self.run = ev["run"]
        if ev["phase"] != self.phase:
            self.phase_since = time.monotonic()
        self.phase, self.n = ev["phase"], ev.get("experiment", self.n)
        if ev["phase"] == "logged" and ev.get("experiment") and self.first_done is None:
            self.first_done = (ev["experiment"], time.monotonic())
        if ev["phase"] == "baseline_done":
            noise = r.noise()
            self.live.console.print(
                f"baseline done in {ev['seconds']:.0f} s: {noise.sd:.2f} points of noise per draft "
                f"({noise.df} degrees of freedom); one experiment detects a gain of "
                f"{r.band():.2f} points with 80% power.{self._time_estimate(ev)}",
                soft_wrap=True,
                highlight=False,
            )
        elif ev["phase"] == "stage":
            self.stage = ev["verdict"].reason(r.gate.simplicity_margin)
        elif ev["phase"] == "interrupt":
            self.live.console.print(
                "stopping after the current experiment's bookkeeping; press Ctrl-C again to stop now"
                if ev["count"] == 1
                else "stopping now; the interrupted experiment will run again on --resume",
                style="yellow",
            )
        elif ev["phase"] == "retrospective":
            self.live.console.print(ev["text"], style="dim", markup=False)
        elif ev["phase"] == "logged":
            self.stage = ""
            last = r.state.history[-1]["description"] if r.state.history else ""
            if ev.get("kind") in ("verify", "confirm"):
                line = r.records[-1].description
                if ev.get("kind") == "confirm" and r.records[-1].gain:
                    g = r.records[-1].gain
                    line += f": gain {g.mean:+.2f} (95% CI {g.ci95_low:+.2f} to {g.ci95_high:+.2f})"
            else:
                line = (
                    (
                        f"experiment {ev['experiment']}/{_limit(r)}:"
                        if ev["experiment"]
                        else "baseline:"
                    )
                    + f" {ev['status']:<8} best {r.best_mean:.2f}  spent {self._spent(r)}  {last[:70]}"
                )
                if ev["experiment"] and r.records[-1].stages:
                    st = r.records[-1].stages[-1]
                    line += f"  [{len(r.records[-1].stages)} stage(s), {st.rule}]"
                # The panel's time left, also in a log where the panel is not drawn.
                line += self._eta(time.monotonic()).replace(",", ";", 1)
            self.live.console.print(line, soft_wrap=True, highlight=False, markup=False)
        self.live.refresh()

    def _eta(self, now: float) -> str:
        """At the pace of the experiments logged so far, how long the rest of the
        --max-experiments budget takes (confirmation drafts not included)."""
        r = self.run
        if r is None or self.first_done is None:
            return ""
        first, at = self.first_done
        done = r.state.last_experiment - first
        left = r.budget.max_experiments - r.state.last_experiment
        if done <= 0 or left <= 0 or _unlimited(r):
            return ""
        return f", about {(now - at) / done * left / 60:.0f} min left for {left} more"

    def _time_estimate(self, ev: dict[str, Any]) -> str:
        """The plan's drafts at the baseline's pace: printed as a line, so a log has it too."""
        drafts, planned = ev.get("drafts") or 0, (self.plan or {}).get("writer_calls") or 0
        if not drafts or planned <= drafts or _unlimited(ev["run"]):
            return ""
        pace = ev["seconds"] / drafts
        most = (self.plan or {}).get("writer_calls_max") or planned

        def minutes(n: int) -> str:
            return f"{max(1, round(pace * (n - drafts) / 60))} min"

        return (
            f" At that pace ({pace:.1f} s a draft, its verdict included) the rest of the plan, "
            f"~{planned - drafts} drafts, takes about {minutes(planned)} (at most {minutes(most)})."
        )

    @staticmethod
    def _spent(r: Any) -> str:
        spent = r.costs.totals()["known_cost_usd"]
        cap = r.budget.max_cost_usd
        return f"${spent:.4f}" + (f" of ${cap:g}" if cap is not None else "")

    def _table(self) -> Table:
        t = Table(title=f"optimize-skill {self.tag}", title_justify="left", show_header=False)
        t.add_column("what", style="dim")
        t.add_column("value")
        r = self.run
        if r is None:
            t.add_row("phase", f"{self.phase} {time.monotonic() - self.phase_since:.0f} s")
            return t
        now = time.monotonic()
        t.add_row(
            "experiment",
            f"{self.n} of {_limit(r)}  ({self.phase} {now - self.phase_since:.0f} s)",
        )
        t.add_row("elapsed", f"{(now - self.started) / 60:.1f} min{self._eta(now)}")
        if r.state.baseline is not None:
            t.add_row(
                "score",
                f"baseline {r.baseline_mean:.2f} -> best {r.best_mean:.2f}  "
                f"(noise {r.noise().sd:.2f} per draft)",
            )
        if self.stage:
            t.add_row("gate", self.stage)
        if r.history:
            last = r.history[-1]
            t.add_row("last", f"{last['status']}: {last['description'][:60]}")
        counts = r.counts
        t.add_row("counts", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "-")
        t.add_row("spent", self._spent(r))
        return t


def _unlimited(run: Any) -> bool:
    from ..optimize.loop import FOREVER  # loaded by then: only an optimize run has a budget

    return bool(run.budget.max_experiments >= FOREVER)


def _limit(run: Any) -> str:
    return "no limit (--forever)" if _unlimited(run) else str(run.budget.max_experiments)
