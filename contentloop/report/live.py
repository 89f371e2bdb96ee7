"""The live view of `contentloop write`: one row per topic, updated as versions land."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table


class WriteView:
    def __init__(self, console: Console, slugs: list[str], cycles: int, target: float) -> None:
        self.cycles, self.target = cycles, target
        self.rows: dict[str, dict[str, Any]] = {
            s: {"phase": "waiting", "version": "", "best": "", "last": "", "asked": ""}
            for s in slugs
        }
        self.live = Live(self._table(), console=console, refresh_per_second=4, transient=False)

    def __enter__(self) -> WriteView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.update(self._table())
        self.live.__exit__(*exc)  # type: ignore[arg-type]

    def event(self, ev: dict[str, Any]) -> None:
        row = self.rows[ev["topic"]]
        row["phase"] = ev["phase"]
        if "version" in ev:
            row["version"] = f"v{ev['version']}/{self.cycles}"
        run = ev.get("run")
        if run is not None and run.versions:
            last = run.versions[-1]
            row["last"] = f"{last.card.total:g}" + ("" if last.kept else " (not kept)")
            row["best"] = f"{run.best.card.total:g}" if run.best else ""
            asked = last.asked or {}
            row["asked"] = (
                ", ".join([*asked.get("violations", []), *asked.get("criteria", [])]) or "-"
            )
        self.live.update(self._table())

    def _table(self) -> Table:
        t = Table(
            title=f"contentloop write: {self.cycles} cycle(s), target {self.target:g}",
            title_justify="left",
        )
        for col in ("topic", "version", "phase", "last", "best", "last cycle targeted"):
            t.add_column(col)
        for slug, r in self.rows.items():
            t.add_row(slug, r["version"], r["phase"], r["last"], r["best"], r["asked"])
        return t
