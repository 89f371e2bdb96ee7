"""optimize-skill --lanes: several searches at once in their own worktrees, one budget, and a
merge that is adopted only when the gate keeps it."""

import asyncio
import json
import os
import re
import subprocess
import sys

import pytest
from helpers import BAD, SMALL, World, edit, git, role_of, verdict
from typer.testing import CliRunner

from contentloop.cli import app
from contentloop.llm import CallCache
from contentloop.llm.openai_api import OpenAIBackend
from contentloop.optimize import Budget
from contentloop.optimize.lanes import emphases, emphasis_text, lane_branch
from contentloop.optimize.loop import OptimizeRun
from contentloop.optimize.merge import compose
from contentloop.optimize.spec import Backends, RunSpec
from contentloop.testing import OpenAIServer
from contentloop.topic import load_topics

MARKS = ("MARKA", "MARKB")


class LaneWorld:
    """Each mark the skill carries puts the mark in the draft, and each mark in a draft is worth
    3 judge points on every criterion. Lane 0's proposer adds MARKA to voice, lane 1's adds
    MARKB to structure; once a lane's skill has its mark, it proposes a longer example that
    changes nothing, which the gate discards (a longer skill at the same score), so each lane
    keeps its mark and nothing else, however the lanes' tries interleave."""

    def __init__(self, rubric, repo):
        self.rubric = rubric
        self.voice = (repo / "skills/imagine/voice.md").read_text()
        self.structure = (repo / "skills/imagine/structure.md").read_text()
        self.examples = (repo / "skills/imagine/examples.md").read_text()
        self.prompts: list[str] = []

    def __call__(self, body):
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        role = role_of(body)
        if role == "writer":
            return BAD + "\n" + " ".join(m for m in MARKS if m in system)
        if role == "judge":
            return verdict(self.rubric, 3 + 3 * sum(m in user for m in MARKS))
        self.prompts.append(user)
        lane = int(re.search(r"lane (\d+) of", user).group(1))
        if lane == 0 and "MARKA" not in user:
            return edit("voice", self.voice + "\n- MARKA: name the plant.\n", "name the plant")
        if lane == 1 and "MARKB" not in user:
            return edit("structure", self.structure + "\n- MARKB: one figure.\n", "one figure")
        n = body.get("seed", 0)
        longer = self.examples + f"\nExample {n}, changing nothing. " * 12
        return edit("examples", longer, f"longer example {n}")


def make_lanes(repo, server, rubric, *, lanes=2, merge_every=2, max_experiments=4, resume=False):
    backend = OpenAIBackend("m", base_url=server.url + "/v1", max_retries=0)
    backends = Backends(backend, backend, backend)
    sections = ["voice", "vocabulary", "structure", "examples", "final_check"]
    dealt = emphases(sections, lanes)
    spec = RunSpec.new(
        repo / "skills" / "imagine",
        load_topics(repo / "topics"),
        rubric,
        backends,
        tag="t1",
        gate=SMALL,
        budget=Budget(max_experiments=max_experiments),
        concurrency=8,
        lanes=lanes,
        merge_every=merge_every,
        emphases=[emphasis_text(i, lanes, dealt[i]) for i in range(lanes)],
    )
    return OptimizeRun(
        spec,
        backends,
        run_dir=repo / "runs" / "t1",
        cache=CallCache(repo / ".cache"),
        resume=resume,
    )


def test_two_lanes_find_an_edit_each_and_the_merge_of_both_is_adopted(repo, imagine):
    world = LaneWorld(imagine, repo)
    with OpenAIServer(world) as server:
        run = make_lanes(repo, server, imagine)
        summary = asyncio.run(run.run())
        writer_calls = sum(1 for r in server.requests if role_of(r.body) == "writer")
    runs = repo / "runs" / "t1"
    # One budget: 4 experiments over both lanes, each lane its own branch and worktree.
    assert summary["experiments"] == 4 and summary["stop_reason"] == "--max-experiments 4 reached"
    for i in (0, 1):
        assert (runs / f"lane-{i}" / "worktree").is_dir()
        git("rev-parse", "--verify", f"autoexp/t1/lane-{i}", cwd=repo)
    # Each lane was told its own sections, and found its own edit.
    assert any("lane 0 of 2" in p and "voice" in p.split("emphasis")[-1] for p in world.prompts)
    assert any("lane 1 of 2" in p for p in world.prompts)
    rows = [json.loads(line) for line in (runs / "lanes.jsonl").read_text().splitlines()]
    plan, done = rows[0], rows[1]
    assert plan["phase"] == "plan" and done["phase"] == "done" and done["adopted"] == 0
    assert plan["compositions"][0]["sources"] == {"voice": 0, "structure": 1}
    # Both lanes went on from the composition: both marks in each lane's best skill.
    for i in (0, 1):
        best = runs / f"lane-{i}" / "best-skill"
        assert "MARKA" in (best / "voice.md").read_text()
        assert "MARKB" in (best / "structure.md").read_text()
    # The lane that tested the merge logged it with the gate's stages; the other adopted it.
    tester = run.lanes[plan["lane"]]
    (tested,) = [r for r in tester.records if r.kind == "merge"]
    assert tested.status == "keep" and tested.stages and tested.stages[0].rule == "superior"
    adopter = run.lanes[1 - plan["lane"]]
    (other,) = [r for r in adopter.records if r.kind == "merge"]
    assert other.status == "adopt" and other.best_skill == tested.skill

    # The tester wrote the composition the drafts a best needs once; the other lane read them
    # (either may write more of its own afterwards, as its best meets more tries).
    def drafts(lane):
        bank = lane.measure.bank
        return {
            (t, s.sample, s.total) for t in ("alpha", "beta") for s in bank.samples(tested.skill, t)
        }

    assert len(drafts(adopter) & drafts(tester)) >= 2 * SMALL.best_min
    # The headline is the confirmed gain of the best lane over the shared baseline.
    assert summary["confirmed_gain"]["mean"] > 0 and summary["best_lane"] in (0, 1)
    assert summary["merges"][0]["adopted"] == 0
    # The baseline was written once: lane 1 read lane 0's drafts, so its first call was its
    # first proposal.
    lane1_calls = [
        json.loads(line) for line in (runs / "lane-1" / "calls.jsonl").read_text().splitlines()
    ]
    assert lane1_calls[0]["role"] == "optimizer"
    assert writer_calls > 0
    # One account of the spend: the summary's calls are every lane's, not the best lane's.
    per_lane = [
        [json.loads(x) for x in (runs / f"lane-{i}" / "calls.jsonl").read_text().splitlines()]
        for i in (0, 1)
    ]
    live = [c for calls in per_lane for c in calls if not c["cached"]]
    best_lane_live = [c for c in per_lane[summary["best_lane"]] if not c["cached"]]
    assert summary["calls"] == len(live) > len(best_lane_live)
    assert summary["writer_calls"] == sum(c["role"] == "writer" for c in live)
    assert summary["by_role"]["optimizer"]["calls"] == sum(c["role"] == "optimizer" for c in live)
    # The run's ledger has every lane's rows and the merge.
    tsv = (runs / "results.tsv").read_text().splitlines()
    header = tsv[0].split("\t")
    assert header[:5] == ["commit", "score", "stdev", "status", "description"]
    lanes_col = [line.split("\t")[header.index("lane")] for line in tsv[1:]]
    assert {"0", "1", "merge"} <= set(lanes_col)
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=repo) == "main"


def test_a_merge_composes_each_lanes_best_not_the_try_it_has_under_way(repo, imagine):
    """The other lanes go on while a merge is planned and tested, so a lane's worktree may hold
    a candidate that its gate has not decided: the composition must take its best."""
    world = LaneWorld(imagine, repo)
    with OpenAIServer(world) as server:
        run = make_lanes(repo, server, imagine, merge_every=0, max_experiments=2)
        asyncio.run(run.run())
        assert [lane.state.last_experiment for lane in run.lanes] == [1, 1]
        # Lane 1 mid-try: an undecided edit to examples sits in its worktree.
        (run.lanes[1].ws.skill_dir / "examples.md").write_text("An undecided candidate.\n")
        run.merge_every = 2
        asyncio.run(run.merger.merge(1))
    plan = json.loads((repo / "runs" / "t1" / "lanes.jsonl").read_text().splitlines()[0])
    assert plan["compositions"][0]["sources"] == {"voice": 0, "structure": 1}
    assert all("undecided" not in c["sections"]["examples"] for c in plan["compositions"])


def test_a_lane_that_keeps_an_edit_while_a_merge_is_tested_goes_on_and_is_merged_next(
    repo, imagine
):
    """While lane 0 tests merge 1, lane 1 keeps an edit of its own that the composition does
    not hold: lane 1 does not take the composition (that would drop its edit unmeasured), and
    merge 2 lays what lane 1 changed over the merged skill, not its old copies of the sections
    merge 1 changed."""
    import time

    world = LaneWorld(imagine, repo)
    with OpenAIServer(world) as server:
        run = make_lanes(repo, server, imagine, merge_every=0, max_experiments=2)
        asyncio.run(run.run())
        run.merge_every = 2
        tester, other = run.lanes
        asyncio.run(run.merger.merge(1))
        assert run.merger.rows[-1].adopted == 0 and run.merger._ready == 1
        voice = other.skill().sections["voice"] + "\n- MARKA: the plant's own name.\n"
        n = other.state.last_experiment + 1
        kept = asyncio.run(
            other.evaluate(
                n,
                {"voice": voice},
                "its own MARKA",
                message=f"autoexp t1-lane-1 #{n}: voice: its own MARKA",
                before=other.costs.totals(),
                t=time.monotonic(),
            )
        )
        assert kept and other.records[-1].status == "keep"
        events = []
        run.on_event = events.append
        run.merger.take(other)
        run.merger.take(other)  # at its next boundary too: said once
        assert not [r for r in other.records if r.kind == "merge"]  # it did not take merge 1
        assert [(e["phase"], e["lane"], e["merge"]) for e in events] == [("passed", 1, 1)]
        assert "MARKB" in other.skill().sections["structure"]
        asyncio.run(run.merger.merge(2))
    plan = run.merger.plan(2)
    assert [c.sources for c in plan.compositions] == [{"voice": 1}]
    merged = plan.compositions[0].sections
    assert "the plant's own name" in merged["voice"] and "MARKB" in merged["structure"]
    # Lane 1's copy of structure is the one merge 1 took from it; the rest is merge 1's skill.
    assert merged["structure"] == run.merger.plan(1).compositions[0].sections["structure"]


def test_compose_measures_a_lane_that_missed_a_merge_from_its_own_base():
    base = {"a": "a1", "b": "b1", "c": "c"}  # what merge 1 made of a, b, c
    old = {"a": "a", "b": "b", "c": "c"}  # lane 1 last shared this
    lane1 = {"a": "a", "b": "b1", "c": "c2"}  # it kept c2 since; a and b are old or merged copies
    (only,) = compose(base, [(0, base), (1, lane1)], own_bases={1: old})
    assert only.sources == {"c": 1} and only.sections == {"a": "a1", "b": "b1", "c": "c2"}
    # Without its own base, its old copy of a would count as an edit of its own.
    assert any(c.sources.get("a") == 1 for c in compose(base, [(0, base), (1, lane1)]))


def lanes_cli(repo, server, tag, *extra):
    return [
        *("optimize-skill", "--runs", "runs", "--topics", "topics", "--skill", "skills/imagine"),
        *("--backend", "openai", "--base-url", server.url + "/v1", "--model", "m"),
        *("--baseline-drafts", "2", "--max-stages", "3", "--confirm-drafts", "1"),
        *("--lanes", "2", "--merge-every", "2", "--max-experiments", "4", "--tag", tag),
        *extra,
    ]


def lanes_outcome(repo, tag):
    """What a lanes run decided: its merges, each lane's kept commits and best skill."""
    runs = repo / "runs" / tag
    merges = [
        (r["merge"], r["phase"], r.get("adopted"))
        for r in map(json.loads, (runs / "lanes.jsonl").read_text().splitlines())
    ]
    lanes = []
    for i in (0, 1):
        log = git("log", "--format=%s", lane_branch(tag, i), cwd=repo).splitlines()
        subjects = [s.split(": ", 1)[1] for s in log if s.startswith("autoexp")]
        tree = git("rev-parse", f"{lane_branch(tag, i)}:skills/imagine", cwd=repo)
        lanes.append((subjects, tree))
    summary = json.loads((runs / "summary.json").read_text())
    return merges, lanes, summary["experiments"], summary["confirmed_gain"]


def test_lanes_through_the_cli_with_json_and_a_plan(repo, imagine, monkeypatch):
    monkeypatch.chdir(repo)
    with OpenAIServer(LaneWorld(imagine, repo)) as server:
        r = CliRunner().invoke(app, [*lanes_cli(repo, server, "c"), "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["experiments"] == 4 and len(summary["lanes"]) == 2
    assert summary["merges"][0]["adopted"] == 0 and summary["confirmed_gain"]["mean"] > 0
    assert summary["adopt"].startswith("git checkout autoexp/c/lane-")
    assert "2 lanes share that budget" in r.stderr
    meta = json.loads((repo / "runs" / "c" / "run.json").read_text())
    assert meta["lanes"] == 2 and meta["end"]["status"] == "finished"

    # `runs` lists the run once, not once per lane.
    listed = [
        json.loads(line) for line in CliRunner().invoke(app, ["runs", "--json"]).stdout.splitlines()
    ]
    assert [r["folder"] for r in listed] == ["runs/c"] and listed[0]["best"] > listed[0]["first"]
    # `report` follows the best lane and shows every lane and the merge.
    r = CliRunner().invoke(app, ["report", "runs/c", "--json"])
    view = json.loads(r.stdout)["lanes"]
    # As many experiments per lane as the run's own summary says (which lane ran more depends
    # on how long the merge kept its tester busy), 4 in all.
    per_lane = [ln["experiments"] for ln in view["lanes"]]
    assert per_lane == [ln["experiments"] for ln in summary["lanes"]] and sum(per_lane) == 4
    assert view["merges"][0]["adopted"] and view["merges"][0]["tested_by"] == plan_lane(repo, "c")
    assert all(ln["best"] == max(x["best"] for x in view["lanes"]) for ln in view["lanes"])
    r = CliRunner().invoke(app, ["report", "runs/c", "--html", "r.html"])
    assert r.exit_code == 0, r.output
    page = (repo / "r.html").read_text()
    assert 'id="lanes"' in page and page.count('data-series="lane ') >= 4
    assert 'data-series="merges"' in page and 'data-kind="keep"' in page
    # `runs --prune` removes every lane's worktree and branch, and keeps the ledgers.
    r = CliRunner().invoke(app, ["runs", "--prune"])
    assert r.exit_code == 0, r.output
    assert git("branch", "--list", "autoexp/c/*", cwd=repo) == ""
    assert not (repo / "runs" / "c" / "lane-0" / "worktree").exists()
    assert (repo / "runs" / "c" / "lane-1" / "best-skill" / "voice.md").exists()


def plan_lane(repo, tag):
    first = (repo / "runs" / tag / "lanes.jsonl").read_text().splitlines()[0]
    return json.loads(first)["lane"]


def test_forever_runs_until_the_stop_file_and_the_retrospective_spans_every_lane(
    repo, imagine, monkeypatch
):
    monkeypatch.chdir(repo)
    world = LaneWorld(imagine, repo)

    def responder(body):
        reply = world(body)
        if (
            role_of(body) == "optimizer"
            and body.get("seed") == 11
            and "lane 0 of" in prompt_of(body)
        ):
            (repo / "runs" / "f" / "STOP").write_text("")
        return reply

    with OpenAIServer(responder) as server:
        args = [a for a in lanes_cli(repo, server, "f") if a not in ("--max-experiments", "4")]
        r = CliRunner().invoke(app, [*args, "--forever", "--merge-every", "0", "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["stop_reason"] == "STOP file found" and summary["experiments"] >= 11
    assert "--forever: no limit on experiments" in r.stderr and "only you can stop it" in r.stderr
    # Lane 0's eleventh proposal came with a retrospective of both lanes' tries: structure is
    # a section only lane 1 edited.
    (prompt,) = [p for p in world.prompts if "lane 0 of" in p and "# Retrospective" in p][:1]
    retro = prompt.split("# Retrospective")[1].split("# How often")[0]
    assert "- structure:" in retro and "- voice:" in retro


def test_forever_in_a_single_run_goes_past_the_default_ten(repo, imagine, monkeypatch):
    monkeypatch.chdir(repo)
    world = World(imagine, [])

    def responder(body):
        if role_of(body) != "optimizer":
            return world(body)
        n = body["seed"]
        if n == 12:
            (repo / "runs" / "one" / "STOP").write_text("")
        return edit("examples", f"Example {n}, changing nothing. " * 12, f"longer example {n}")

    with OpenAIServer(responder) as server:
        args = lanes_cli(repo, server, "one")
        args = args[: args.index("--lanes")] + ["--tag", "one", "--forever", "--json"]
        r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["stop_reason"] == "STOP file found" and summary["experiments"] == 12


def prompt_of(body):
    return body["messages"][-1]["content"]


def test_warm_start_into_lanes_and_from_a_lanes_run(repo, imagine, monkeypatch):
    monkeypatch.chdir(repo)
    runner = CliRunner()
    with OpenAIServer(LaneWorld(imagine, repo)) as server:
        r = runner.invoke(app, lanes_cli(repo, server, "c"))
    assert r.exit_code == 0, r.output
    runs = repo / "runs"

    # Lanes warm-started from a lanes run: every lane starts at the best lane's skill (both
    # marks), measured once by lane 0, and every proposer sees every earlier lane's tries.
    world = LaneWorld(imagine, repo)
    with OpenAIServer(world) as server:
        r = runner.invoke(app, [*lanes_cli(repo, server, "w"), "--warm-start", "runs/c"])
    assert r.exit_code == 0, r.output
    baselines = []
    for i in (0, 1):
        first = json.loads((runs / "w" / f"lane-{i}" / "experiments.jsonl").open().readline())
        assert first["kind"] == "baseline"
        baselines.append(first["skill"])
        tree = git("show", f"{first['commit']}:skills/imagine/voice.md", cwd=repo)
        assert "MARKA" in tree
    assert baselines[0] == baselines[1]
    lane1 = (runs / "w" / "lane-1" / "calls.jsonl").read_text().splitlines()
    assert json.loads(lane1[0])["role"] == "optimizer"  # lane 0's baseline drafts were read
    for i in (0, 1):
        seen = [p for p in world.prompts if f"lane {i} of 2" in p]
        assert seen and all(f"(earlier run c, lane {j})" in seen[0] for j in (0, 1))

    # A single run warm-started from a lanes run starts at its best lane's skill.
    world = LaneWorld(imagine, repo)
    with OpenAIServer(world) as server:
        single = [
            *(
                "optimize-skill",
                "--runs",
                "runs",
                "--topics",
                "topics",
                "--skill",
                "skills/imagine",
            ),
            *("--backend", "openai", "--base-url", server.url + "/v1", "--model", "m"),
            *("--baseline-drafts", "2", "--max-stages", "3", "--confirm-drafts", "1"),
            *("--max-experiments", "1", "--tag", "s", "--warm-start", "runs/w", "--json"),
        ]
        r = runner.invoke(app, single)
    assert r.exit_code == 0, r.output
    first = json.loads((runs / "s" / "experiments.jsonl").open().readline())
    assert "MARKB" in git("show", f"{first['commit']}:skills/imagine/structure.md", cwd=repo)
    assert any("(earlier run w, lane 1)" in p for p in world.prompts)

    # A lanes run that has not finished has no best lane to start from: a clear refusal.
    (runs / "c" / "summary.json").unlink()
    r = runner.invoke(app, [*single[:-5], "--tag", "u", "--warm-start", "runs/c"])
    assert r.exit_code == 2 and "has not finished" in r.stderr and "lane-<i>" in r.stderr


@pytest.mark.slow
def test_ctrl_c_lets_every_lane_finish_its_try_then_resume_completes(repo, imagine, tmp_path):
    import signal

    world = LaneWorld(imagine, repo)
    proc = None
    sent = []

    def responder(body):
        # Ctrl-C while lane 0 proposes its first edit: both lanes' tries must still be logged.
        if role_of(body) == "optimizer" and "lane 0 of" in prompt_of(body) and not sent:
            sent.append(True)
            proc.send_signal(signal.SIGINT)
        return world(body)

    env = {**os.environ, "CONTENTLOOP_HOME": str(tmp_path / "home")}
    env.pop("CONTENTLOOP_CRASH_AT", None)
    with OpenAIServer(responder) as server:
        cmd = [sys.executable, "-m", "contentloop.cli", *lanes_cli(repo, server, "int")]
        proc = subprocess.Popen(
            cmd, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 130, stderr[-800:]
        stderr = " ".join(stderr.split())
        assert "stopping after every lane's current try" in stderr and "--resume int" in stderr
        runs = repo / "runs" / "int"
        meta = json.loads((runs / "run.json").read_text())
        assert meta["end"]["status"] == "stopped" and meta["end"]["reason"] == "Ctrl-C"
        logged = [
            json.loads(line)["kind"]
            for i in (0, 1)
            for line in (runs / f"lane-{i}" / "experiments.jsonl").read_text().splitlines()
        ]
        assert logged.count("experiment") >= 1  # the try under way was finished and logged
        resumed = subprocess.run(
            [
                sys.executable,
                "-m",
                "contentloop.cli",
                "optimize-skill",
                "--runs",
                "runs",
                "--resume",
                "int",
                "--json",
            ],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert resumed.returncode == 0, resumed.stderr[-800:]
    assert json.loads(resumed.stdout)["experiments"] == 4


@pytest.mark.slow
@pytest.mark.parametrize("crash", ["merge_planned:1", "merge_done:1", "decided:3", "commit:4"])
def test_sigkill_during_a_lanes_run_then_resume_matches_an_uninterrupted_run(
    repo, imagine, tmp_path, crash
):
    def run(args, crash=None):
        env = {**os.environ, "CONTENTLOOP_HOME": str(tmp_path / "home")}
        env.pop("CONTENTLOOP_CRASH_AT", None)
        if crash:
            env["CONTENTLOOP_CRASH_AT"] = crash
        return subprocess.run(
            [sys.executable, "-m", "contentloop.cli", *args],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    with OpenAIServer(LaneWorld(imagine, repo)) as server:
        ref = run(lanes_cli(repo, server, "ref"))
        assert ref.returncode == 0, ref.stderr
        killed = run(lanes_cli(repo, server, "k"), crash=crash)
        assert killed.returncode == -9, killed.stderr[-500:]
        resumed = run(["optimize-skill", "--runs", "runs", "--resume", "k"])
        assert resumed.returncode == 0, resumed.stderr[-500:]
    assert lanes_outcome(repo, "k") == lanes_outcome(repo, "ref")


@pytest.mark.parametrize(
    "ranked, expect",
    [
        # one lane changed voice, another structure: one composition with both
        ([(0, {"a": "A0", "b": "b"}), (1, {"a": "a", "b": "B1"})], [{"a": 0, "b": 1}]),
        # both changed the same section: one composition per choice, the better lane's first
        (
            [(1, {"a": "A1", "b": "B1"}), (0, {"a": "A0", "b": "b"})],
            [{"a": 1, "b": 1}, {"a": 0, "b": 1}],
        ),
        # the same new text from two lanes is one choice
        ([(0, {"a": "A", "b": "b"}), (1, {"a": "A", "b": "b"})], [{"a": 0}]),
        # nobody changed anything
        ([(0, {"a": "a", "b": "b"}), (1, {"a": "a", "b": "b"})], []),
    ],
)
def test_compose_takes_each_changed_section_and_tries_each_choice(ranked, expect):
    got = compose({"a": "a", "b": "b"}, ranked)
    assert [c.sources for c in got] == expect
    for c in got:
        texts = dict(ranked)
        assert all(c.sections[name] == texts[lane][name] for name, lane in c.sources.items())


def test_compose_caps_the_choices():
    ranked = [(i, {s: f"{s}{i}" for s in "abcd"}) for i in range(3)]
    assert len(compose({s: s for s in "abcd"}, ranked, limit=4)) == 4


def test_every_section_has_a_lane():
    sections = ["voice", "vocabulary", "structure", "examples", "final_check"]
    dealt = emphases(sections, 2)
    assert sorted(sum(dealt, [])) == sorted(sections) and all(dealt)
    assert all(len(d) == 1 for d in emphases(sections, 7))
    assert emphases(sections, 1) == [sections] and emphasis_text(0, 1, sections) == ""
