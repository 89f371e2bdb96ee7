"""--objective: two metrics, five modes, each metric tested with its own noise."""

import asyncio
import json
import math
import re

import pytest
from helpers import BAD, GOOD, World, edit, make_run, role_of
from rich.console import Console

from contentloop import score_text
from contentloop.optimize import Budget
from contentloop.optimize.gate import GatePlan
from contentloop.optimize.objective import Evidence, Objective, decide, frontier
from contentloop.optimize.resume import reopen
from contentloop.optimize.stats import Difference
from contentloop.report import build_report
from contentloop.report.tables import render_optimize_report
from contentloop.report.terminal import render_optimize_summary
from contentloop.testing import OpenAIServer

PLAN = GatePlan()  # stage 1 needs z >= about 2.8


def d(mean: float, se: float) -> Difference:
    """An oriented difference (positive is better) with plenty of degrees of freedom."""
    return Difference(mean, se, 200, 2, 4, 16)


def rule(objective: Objective, stage: int = 1, **ev) -> str:
    ev.setdefault("margins", {"score": 0.5, "prompt_tokens": 0.0, "output_tokens": 20.0})
    return decide(PLAN, objective, stage, Evidence(**ev)).rule


PRIMARY = Objective("score", "prompt_tokens", "primary")
LEXICOGRAPHIC = Objective("score", "prompt_tokens", "lexicographic")
THRESHOLD = Objective("score", "prompt_tokens", "threshold", threshold=30)
PARETO = Objective("score", "output_tokens", "pareto")


def test_primary_mode_lets_the_secondary_break_a_tie_the_primary_holds():
    shorter = d(120, 0)  # 120 tokens fewer, exact
    assert rule(PRIMARY, diffs={"score": d(4.0, 1.0), "prompt_tokens": d(-50, 0)}) == "superior"
    assert rule(PRIMARY, diffs={"score": d(0.0, 0.1), "prompt_tokens": shorter}) == "secondary"
    # Shorter, but the score's loss is not shown smaller than the margin: undecided.
    assert rule(PRIMARY, diffs={"score": d(0.0, 1.0), "prompt_tokens": shorter}) == "continue"
    # Same length: no tie to break.
    assert rule(PRIMARY, diffs={"score": d(0.0, 0.1), "prompt_tokens": d(0, 0)}) == "continue"


def test_lexicographic_needs_the_primary_shown_equal_not_only_not_worse():
    diffs = {"score": d(0.3, 0.12), "prompt_tokens": d(120, 0)}  # maybe better, not shown
    assert rule(PRIMARY, diffs=diffs) == "secondary"
    assert rule(LEXICOGRAPHIC, diffs=diffs) == "continue"
    equal = {"score": d(0.0, 0.1), "prompt_tokens": d(120, 0)}
    assert rule(LEXICOGRAPHIC, diffs=equal) == "secondary"


def test_threshold_holds_the_primary_then_minimises_the_secondary():
    diffs = {"score": d(-1.0, 0.5), "prompt_tokens": d(200, 0)}  # a bit worse, much shorter
    past = d(3.0, 0.5)  # candidate's score minus 30: shown past it
    assert rule(THRESHOLD, diffs=diffs, feasible=past) == "secondary"
    assert rule(THRESHOLD, diffs=diffs, feasible=d(-2.0, 0.5)) == "futile"  # fell below 30
    longer = {"score": d(5.0, 0.5), "prompt_tokens": d(-40, 0)}
    assert rule(THRESHOLD, diffs=longer, feasible=past) == "futile"  # longer: never kept
    # While the best is short of the threshold, getting there (or any gain) is what counts.
    assert rule(THRESHOLD, diffs=longer, feasible=past, best_feasible=False) == "superior"
    assert (
        rule(THRESHOLD, diffs={**longer, "score": d(0.5, 0.5)}, feasible=past, best_feasible=False)
        == "feasible"
    )


def test_weighted_and_pareto():
    weighted = Objective("score", "prompt_tokens", "weighted", weight=0.01)
    assert rule(weighted, diffs={"weighted": d(2.0, 0.5)}) == "weighted"
    assert rule(weighted, diffs={"weighted": d(0.2, 0.5)}) == "continue"
    assert rule(PARETO, diffs={"score": d(0.0, 0.1), "output_tokens": d(90, 10)}) == "pareto"
    # Better score, but 90 more output tokens per post than the 20 allowed: not a Pareto step.
    assert rule(PARETO, diffs={"score": d(4.0, 0.5), "output_tokens": d(-90, 10)}) == "futile"
    assert rule(PARETO, diffs={"score": d(4.0, 0.5), "output_tokens": d(-5, 2)}) == "superior"


def test_a_metric_with_no_noise_measured_shows_nothing():
    unknown = Difference(50, math.inf, 0, 2, 4, 16)
    assert rule(PRIMARY, diffs={"score": d(0.0, 0.1), "prompt_tokens": unknown}) == "continue"
    last = PLAN.max_stages
    assert (
        rule(PRIMARY, stage=last, diffs={"score": d(0.0, 0.1), "prompt_tokens": unknown}) == "cap"
    )


@pytest.mark.parametrize(
    "spec, mode, threshold, message",
    [
        ("score,bogus", "primary", None, "unknown metric 'bogus'"),
        ("score", "pareto", None, "needs a secondary metric"),
        ("score,prompt_tokens", "threshold", None, "needs --threshold"),
        ("score,score", "primary", None, "must differ"),
        ("score,prompt_tokens", "sideways", None, "unknown mode"),
    ],
)
def test_an_objective_that_cannot_work_is_refused_with_the_reason(spec, mode, threshold, message):
    with pytest.raises(ValueError, match=message):
        Objective.parse(spec, mode, threshold)


def test_the_frontier_is_the_tries_no_other_try_beats_on_both():
    pts = [
        {"x": 1000, "y": 30.0},  # baseline
        {"x": 1100, "y": 40.0},  # better, longer: on the frontier
        {"x": 900, "y": 30.0},  # shorter, same: on it, and it beats the baseline
        {"x": 1200, "y": 35.0},  # longer and worse than the second: off
        {"x": 900, "y": 30.0 - 1e-9},  # a hair below the third: off
    ]
    assert [(p["x"], p["y"]) for p in frontier(pts, "score", "prompt_tokens")] == [
        (900, 30.0),
        (1100, 40.0),
    ]


# --- in a run --------------------------------------------------------------------------------


def proposals(repo):
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    final_check = (repo / "skills" / "imagine" / "final_check.md").read_text()
    return {
        "longer": edit("examples", "A longer example that changes nothing. " * 20, "longer"),
        "shorter": edit("final_check", final_check.splitlines()[0], "shorter final check"),
        "better": edit("voice", voice + "\n- MAGIC: lead with the pivot.\n", "pivot rule"),
    }


def totals(rubric):
    def total(text, judge_score):
        card = score_text(text, rubric)
        return card.binary.score + 60 * judge_score / 10

    return total(BAD, 5), total(GOOD, 9)


def test_threshold_mode_keeps_the_shortest_skill_that_holds_the_score(repo, imagine):
    bad, good = totals(imagine)
    p = proposals(repo)
    goal = Objective("score", "prompt_tokens", "threshold", threshold=(bad + good) / 2)
    world = World(imagine, [p["shorter"], p["better"], p["longer"], p["shorter"]])
    with OpenAIServer(world) as server:
        run = make_run(repo, server, imagine, objective=goal)
        summary = asyncio.run(run.run())
    rows = run.lane.ledger.rows()[1:]
    # Below the threshold a shorter skill with the same score is no progress; the better one
    # reaches it; from then on only a shorter skill that holds the score is kept.
    assert [(r["section"], r["status"], r["rule"]) for r in rows] == [
        ("final_check", "discard", "cap"),
        ("voice", "keep", "superior"),
        ("examples", "discard", "futile"),
        ("final_check", "keep", "secondary"),
    ]
    experiments = [r for r in run.lane.ledger.records() if r["kind"] == "experiment"]
    last = experiments[-1]["stages"][-1]["metrics"]
    assert last["prompt_tokens"]["mean"] > 0 and last["threshold"]["mean"] > 0
    view = summary["objective"]
    assert view["mode"] == "threshold" and "holding score >=" in view["describe"]
    assert view["best"]["score"] > goal.threshold > view["baseline"]["score"]
    meta = json.loads((run.run_dir / "run.json").read_text())
    assert meta["objective"]["threshold"] == goal.threshold
    assert reopen(run.run_dir).lane.objective == goal  # --resume decides the same way
    # report draws every try on the two axes, and the frontier.
    views, html = build_report(run.run_dir)
    plotted = sorted(
        (float(x), float(y))
        for x, y in re.findall(r'data-series="tries" data-x="([^"]+)" data-y="([^"]+)"', html)
    )
    tried = [r for r in run.lane.ledger.records() if r["kind"] in ("baseline", "experiment")]
    assert plotted == sorted(
        (float(r["metrics"]["prompt_tokens"]), pytest.approx(r["metrics"]["mean"], abs=1e-3))
        for r in tried
    )
    assert 'data-view="objective"' in html and "holding score" in html
    best = views["objective"]["frontier"]
    console = Console(record=True, width=300)
    render_optimize_report(console, views)
    text = console.export_text()
    assert "objective: prompt_tokens, holding score >=" in text and "frontier: #1 (score" in text
    # The shortest try (discarded: below the threshold) and the last keep (past the threshold,
    # shorter than the keep before it); the baseline and that earlier keep are beaten on both.
    assert [(p["experiment"], p["status"]) for p in best] == [(1, "discard"), (4, "keep")]


# A long, plain closing: prose, not a loop (the repetition check catches a repeated line).
PADDING = (
    "Thanks for reading. The press line team logged every stop for a quarter; the paint shop "
    "kept its own notes; the night shift wrote down what the alarms missed. Together those "
    "records showed which cells failed first, which sensors drifted, and where a spare part sat "
    "for weeks.\n\nNext month we compare the two halls, publish the numbers, and ask the "
    "operators what to measure next. Some of them want vibration data from the older presses; "
    "others would rather know why the forklifts queue at gate four every Tuesday morning.\n\n"
    "If your plant runs a similar study, send us your figures. We will add them to the table "
    "with your name, or without it, and we will say plainly where our method fell short, "
    "because a study that hides its gaps teaches nobody anything useful."
)


class Padded(World):
    """The writer pads every draft with a long closing, unless the skill says TERSE; the
    judge and the rule checks do not care either way."""

    def __call__(self, body):
        out = super().__call__(body)
        if role_of(body) == "writer" and "TERSE" not in body["messages"][0]["content"]:
            return out + "\n\n" + PADDING + "\n"
        return out


def test_pareto_keeps_a_skill_whose_drafts_are_shorter_at_the_same_score(repo, imagine):
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    terse = edit("voice", voice + "\n- TERSE: stop when the point is made.\n", "terse")
    goal = Objective("score", "output_tokens", "pareto")
    with OpenAIServer(Padded(imagine, [proposals(repo)["longer"], terse])) as server:
        run = make_run(repo, server, imagine, objective=goal, budget=Budget(max_experiments=2))
        summary = asyncio.run(run.run())
    rows = run.lane.ledger.rows()[1:]
    assert [(r["section"], r["status"], r["rule"]) for r in rows] == [
        ("examples", "discard", "cap"),
        ("voice", "keep", "pareto"),
    ]
    (experiment,) = [
        r for r in run.lane.ledger.records() if r["kind"] == "experiment" and r["status"] == "keep"
    ]
    metrics = experiment["stages"][-1]["metrics"]
    assert metrics["score"]["mean"] == 0 and metrics["output_tokens"]["mean"] > 100
    view = summary["objective"]
    assert view["best"]["output_tokens"] < view["baseline"]["output_tokens"] - 100
    assert view["best"]["score"] == view["baseline"]["score"]
    console = Console(record=True, width=200)
    render_optimize_summary(console, summary, run.run_dir)
    line = next(x for x in console.export_text().splitlines() if x.startswith("objective:"))
    assert "one better, the other not worse" in line
    assert f"output_tokens {view['baseline']['output_tokens']:g} -> " in line


def test_each_mode_says_what_it_optimizes():
    assert Objective().describe().startswith("score (a shorter skill")
    assert THRESHOLD.describe() == "prompt_tokens, holding score >= 30"
    weighted = Objective("score", "prompt_tokens", "weighted", weight=0.01)
    assert weighted.describe() == "score - 0.01 x prompt_tokens, higher is better"
    assert weighted.weighted_value(80.0, 1000.0) == pytest.approx(70.0)


def test_the_cli_plans_with_an_objective_and_refuses_one_that_cannot_work(
    repo, imagine, monkeypatch
):
    from test_optimize import cli_args
    from typer.testing import CliRunner

    from contentloop.cli import app

    monkeypatch.chdir(repo)
    goal = ("--objective", "score,prompt_tokens", "--objective-mode", "threshold")
    with OpenAIServer(World(imagine, [])) as server:
        plan = CliRunner().invoke(
            app, cli_args(server, "--tag", "d", "--dry-run", *goal, "--threshold", "70")
        )
        no_threshold = CliRunner().invoke(app, cli_args(server, "--tag", "d", "--dry-run", *goal))
        unpriced = CliRunner().invoke(
            app, cli_args(server, "--tag", "d", "--dry-run", "--objective", "score,usd_per_post")
        )
    assert plan.exit_code == 0, plan.output
    assert "objective: prompt_tokens, holding score >= 70" in " ".join(plan.stderr.split())
    assert no_threshold.exit_code == 2 and "needs --threshold" in no_threshold.stderr
    assert "Fix:" in no_threshold.stderr
    assert unpriced.exit_code == 2 and "has no price" in unpriced.stderr
    assert "[prices]" in unpriced.stderr and server.requests == []
