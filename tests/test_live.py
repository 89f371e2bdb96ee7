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


def test_write_view_shows_each_score_with_its_scale_and_drops_a_target_beyond_it():
    """Issue 37: with the judge not measured the score is out of 40, yet the view promised
    `target 95` and showed `27` without its maximum."""
    view = WriteView(Console(file=io.StringIO()), ["a"], cycles=3, target=95)
    card = SimpleNamespace(total=27.0, max=40.0)
    version = SimpleNamespace(card=card, kept=True, asked={})
    run = SimpleNamespace(versions=[version], best=version)
    view.event({"topic": "a", "phase": "version", "version": 0, "run": run})
    text = _render(view._table())
    assert "27/40" in text and "target 95" not in text and "scores out of 40" in text
    measured = WriteView(Console(file=io.StringIO()), ["a"], cycles=3, target=95)
    card.max = 100.0
    measured.event({"topic": "a", "phase": "version", "version": 0, "run": run})
    assert "target 95" in _render(measured._table())


def test_optimize_time_estimates_are_printed_lines_so_a_log_has_them(monkeypatch):
    """Issue 37: "time is estimated after the baseline" was only in the live panel, which a
    log file (output not a terminal) never shows."""
    now = [0.0]
    monkeypatch.setattr("contentloop.report.live.time.monotonic", lambda: now[0])
    log = io.StringIO()
    view = OptimizeView(Console(file=log, width=400), "t1")
    view.plan = {"writer_calls": 130, "writer_calls_max": 310}
    run = SimpleNamespace(
        budget=SimpleNamespace(max_experiments=10, max_cost_usd=None),
        state=SimpleNamespace(baseline=None, last_experiment=0, history=[]),
        history=[],
        counts={},
        records=[SimpleNamespace(stages=[], description="d")],
        costs=SimpleNamespace(totals=lambda: {"known_cost_usd": 0.0}),
        noise=lambda: SimpleNamespace(sd=4.0, df=5),
        band=lambda: 2.2,
        best_mean=30.0,
    )
    view.event({"phase": "baseline_done", "seconds": 60.0, "drafts": 10, "run": run})
    # 6 s a draft: the other 120 planned drafts take 12 min, the other 300 at most 30.
    assert "120 drafts, takes about 12 min (at most 30 min)" in log.getvalue()
    for n, at in ((1, 600.0), (2, 900.0)):
        now[0] = at
        run.state.last_experiment = n
        view.event({"phase": "logged", "experiment": n, "status": "discard", "run": run})
    lines = log.getvalue().splitlines()
    assert "min left" not in lines[-2] and "about 40 min left for 8 more" in lines[-1]
