"""The live views of write and optimize-skill: elapsed time and time left (issue 21: long
steps showed neither)."""

from __future__ import annotations

import io
from types import SimpleNamespace

from rich.console import Console

from contentloop.report.live import OptimizeView, WriteView


def _render(renderable) -> str:
    console = Console(file=io.StringIO(), width=160)
    console.print(renderable)
    return " ".join(console.file.getvalue().split())  # a title may wrap


def test_write_view_shows_elapsed_and_at_most_how_long_is_left(monkeypatch):
    now = [0.0]
    monkeypatch.setattr("contentloop.report.live.time.monotonic", lambda: now[0])
    view = WriteView(Console(file=io.StringIO()), ["a", "b"], cycles=2, target=95)
    view.rows["a"]["done"] = 2  # 2 of 6 versions written in 30 s: 4 more at that pace
    now[0] = 30.0
    text = _render(view._table())
    assert "30 s" in text and "at most ~60 s left" in text


def test_optimize_view_shows_elapsed_and_time_left_at_the_pace_so_far(monkeypatch):
    now = [0.0]
    monkeypatch.setattr("contentloop.report.live.time.monotonic", lambda: now[0])
    view = OptimizeView(Console(file=io.StringIO()), "t1")
    run = SimpleNamespace(
        budget=SimpleNamespace(max_experiments=10, max_cost_usd=None),
        state=SimpleNamespace(baseline=None, last_experiment=1),
        history=[],
        counts={},
        costs=SimpleNamespace(totals=lambda: {"known_cost_usd": 0.0}),
    )
    view.run, view.n, view.phase = run, 1, "logged"
    now[0] = 600.0
    view.first_done = (1, 600.0)  # experiment 1 logged at 10 min
    now[0] = 1200.0
    run.state.last_experiment = 3  # two more in the next 10 min: 7 left take 35 min
    text = _render(view._table())
    assert "elapsed" in text and "20.0 min" in text and "about 35 min left for 7 more" in text
