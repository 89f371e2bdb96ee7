"""Time must not look like an effect: a judge that turns more lenient during a run moves the
baseline's late drafts against its early ones (the drift check, summary.json), while the
confirmation, written and judged in one window, reports the gain the skills really have."""

import asyncio
import io

from helpers import World, edit, make_run, role_of, verdict
from rich.console import Console

from contentloop.optimize import Budget, GatePlan
from contentloop.report.terminal import render_optimize_summary
from contentloop.testing import OpenAIServer

GATE = GatePlan(best_min=2, best_ratio=2.0, max_stages=3, confirm_stages=2, verify_every=0)


class LenientLater(World):
    """The scripted world, whose judge scores every criterion one point higher once it has
    answered `after` calls (a provider changing the model behind the same name)."""

    def __init__(self, rubric, proposals, after):
        super().__init__(rubric, proposals)
        self.after, self.judged = after, 0

    def __call__(self, body):
        if role_of(body) != "judge":
            return super().__call__(body)
        self.judged += 1
        user = body["messages"][-1]["content"]
        score = 9 if "GOODMARK" in user else 5
        return verdict(self.rubric, score + (self.judged > self.after))


def run_world(repo, imagine, world, tag="t1"):
    with OpenAIServer(world) as server:
        run = make_run(repo, server, imagine, tag=tag, budget=Budget(max_experiments=1), gate=GATE)
        return asyncio.run(run.run()), run


def magic(repo):
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    return [edit("voice", voice + "\n- MAGIC: lead with the pivot.\n", "pivot rule")]


def test_a_judge_that_turns_lenient_is_caught_by_the_drift_check(repo, imagine):
    steady, _ = run_world(repo, imagine, World(imagine, magic(repo)))
    assert steady["drift"]["mean"] == 0 and steady["drift_warning"] is False

    # 2 topics: the baseline's 4 verdicts and the try's 2 come before the judge turns.
    drifting, run = run_world(repo, imagine, LenientLater(imagine, magic(repo), after=6), "t2")
    # The baseline gained a point on each of six criteria without changing a word.
    assert drifting["drift"]["mean"] == 6 and drifting["drift_warning"] is True
    # Both sides of the confirmation were judged after the turn: the gain is the steady one.
    assert drifting["confirmed_gain"]["mean"] == steady["confirmed_gain"]["mean"]
    out = io.StringIO()
    render_optimize_summary(Console(file=out, width=200), drifting, run.run_dir)
    assert "moved during the run" in out.getvalue()


def test_the_confirmation_alternates_which_skill_goes_first(repo, imagine):
    """Each round writes one draft per topic of both skills; the next round starts with the
    other skill, so neither side is always the earlier one."""
    systems = []
    world = World(imagine, magic(repo))

    def record(body):
        if role_of(body) == "writer":
            systems.append("MAGIC" in body["messages"][0]["content"])
        return world(body)

    with OpenAIServer(record) as server:
        run = make_run(
            repo, server, imagine, budget=Budget(max_experiments=1), gate=GATE, concurrency=1
        )
        asyncio.run(run.run())
    confirm = systems[-8:]  # 2 rounds x 2 topics x 2 skills, one call at a time
    assert confirm[:4] == [True, True, False, False]  # round 1: best, then baseline
    assert confirm[4:] == [False, False, True, True]  # round 2: baseline, then best


def test_a_run_without_a_measured_judge_says_so_at_the_end_with_the_scale(repo, imagine):
    """Issue 37: `baseline 24.45 -> best 24.45` did not say that this was the rule part
    alone, out of 40."""
    with OpenAIServer(World(imagine, magic(repo))) as server:
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=1), gate=GATE)
        run.lane.judge.not_measured = "the demo judge"
        summary = asyncio.run(run.run())
    assert summary["score_max"] == imagine.binary.max_points == 40
    assert summary["judge_not_measured"] == "the demo judge"
    out = io.StringIO()
    render_optimize_summary(Console(file=out, width=200), summary, run.run_dir)
    text = out.getvalue()
    assert "/40 -> best" in text
    assert text.rstrip().splitlines()[-1].startswith("warning: judge not measured")
