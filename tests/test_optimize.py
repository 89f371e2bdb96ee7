"""optimize-skill: the keep/revert loop against a scripted optimizer, writer and judge served
over HTTP in the OpenAI wire format, on a real git repository."""

import asyncio
import json
import shutil
import subprocess
import threading

import pytest
from conftest import ROOT
from helpers import (
    BAD,
    GOOD,
    SMALL,
    SeededWorld,
    World,
    comparable,
    edit,
    git,
    make_run,
    role_of,
    seeded_proposals,
    verdict,
)
from typer.testing import CliRunner

from contentloop import ContentloopError
from contentloop.cli import app
from contentloop.llm.openai_api import OpenAIBackend
from contentloop.optimize import Budget, OptimizeRun
from contentloop.optimize.proposer import ProposalRefused, parse_proposal
from contentloop.optimize.records import parse_records, replay
from contentloop.skill import load_skill
from contentloop.testing import OpenAIServer
from contentloop.topic import load_topics


def test_kept_and_reverted_experiments_match_git_and_the_ledgers(repo, imagine):
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    final_check = (repo / "skills" / "imagine" / "final_check.md").read_text()
    proposals = [
        edit("voice", voice + "\n- MAGIC: lead with the pivot.\n", "pivot rule raises the score"),
        edit("examples", "A longer example that changes nothing. " * 20, "longer examples"),
        edit("final_check", final_check.splitlines()[0], "shorter final check, same score"),
        edit("../rubrics/imagine", "score: 100", "escape"),
    ]
    with OpenAIServer(World(imagine, proposals)) as server:
        run = make_run(repo, server, imagine)
        summary = asyncio.run(run.run())
    rows = run.lane.ledger.rows()
    assert [r["status"] for r in rows] == ["keep", "keep", "discard", "keep", "crash"]
    assert rows[0]["description"].startswith("baseline")
    # A scripted world has no noise; once the run has measured enough drafts it says so.
    assert summary["noise"] == 0.0
    assert [r["section"] for r in rows[1:4]] == ["voice", "examples", "final_check"]
    assert float(rows[1]["delta"]) > 0 and float(rows[1]["score"]) > float(rows[0]["score"])
    # How each was decided: better at the first look; no difference through every stage;
    # shorter and shown not worse by the margin.
    assert [(r["rule"], r["stages"]) for r in rows[1:4]] == [
        ("superior", "1"),
        ("cap", "3"),
        ("non-inferior", "1"),
    ]
    assert rows[1]["best"] == rows[1]["commit"] and rows[2]["best"] == rows[1]["commit"]
    assert "names a path" in rows[4]["description"]
    # The branch holds exactly the kept commits; the discarded one was reset away.
    log = git("log", "--format=%h %s", "autoexp/t1", cwd=repo).splitlines()
    subjects = [line.split(" ", 1)[1] for line in log]
    assert [s.split(": ")[1] for s in subjects[:2]] == ["final_check", "voice"]
    assert not any(": examples:" in s for s in subjects)
    branch_commits = {line.split()[0] for line in log}
    for row in rows[1:4]:
        assert (row["commit"][:7] in {c[:7] for c in branch_commits}) == (row["status"] == "keep")
    records = run.lane.ledger.records()
    experiments = [r for r in records if r["kind"] in ("baseline", "experiment")]
    assert len(experiments) == len(rows) and experiments[1]["metrics"]["per_topic"].keys() == {
        "alpha",
        "beta",
    }
    assert (
        experiments[1]["diff_lines"] >= 1 and experiments[1]["harness_sha256"] == run.lane.harness
    )
    assert experiments[1]["stages"][0]["rule"] == "superior"
    # Two keeps: the drift guard re-measured the best and it held.
    (check,) = [r for r in records if r["kind"] == "verify"]
    assert check["status"] == "keep" and check["experiment"] == 3
    # The final confirmation measured baseline and best again, on fresh drafts.
    (confirm,) = [r for r in records if r["kind"] == "confirm"]
    assert summary["confirmed_gain"] == confirm["gain"] and confirm["gain"]["mean"] > 0
    assert summary["verdict"].startswith("confirmed gain")
    assert summary["stop_reason"] == "--max-experiments 4 reached"
    assert summary["best"] > summary["baseline"]
    assert "MAGIC" in (repo / "runs" / "t1" / "best-skill" / "voice.md").read_text()
    # The user's branch and working tree are untouched.
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=repo) == "main"
    assert (repo / "skills" / "imagine" / "voice.md").read_text() == voice
    assert summary["adopt"] == "git checkout autoexp/t1 -- skills/imagine"


def test_three_crashes_in_a_row_abort_cleanly(repo, imagine):
    with OpenAIServer(World(imagine, ["not json"] * 3)) as server:
        run = make_run(
            repo, server, imagine, budget=Budget(max_experiments=10, abort_after_crashes=3)
        )
        summary = asyncio.run(run.run())
    assert [r["status"] for r in run.lane.ledger.rows()][1:] == ["crash"] * 3
    assert summary["stop_reason"] == "3 consecutive crashes (--abort-after-crashes)"


def test_a_crashing_evaluation_is_logged_and_the_loop_goes_on(repo, imagine):
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    world = World(
        imagine, [edit("voice", voice + "\nBREAK\n"), edit("voice", voice + "\n- MAGIC.\n")]
    )
    inner = world.__call__

    def responder(body):
        from contentloop.testing import Reply

        if "BREAK" in body["messages"][0]["content"] and role_of(body) == "writer":
            return Reply(status=500, text="writer down")
        return inner(body)

    with OpenAIServer(responder) as server:
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=2))
        asyncio.run(run.run())
    rows = run.lane.ledger.rows()
    assert [r["status"] for r in rows][1:] == ["crash", "keep"]
    assert "BREAK" not in (run.lane.ws.skill_dir / "voice.md").read_text()


def test_budget_stops_by_count(repo, imagine):
    with OpenAIServer(World(imagine, [])) as server:
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=0))
        assert asyncio.run(run.run())["stop_reason"] == "--max-experiments 0 reached"
        assert [r["status"] for r in run.lane.ledger.rows()] == ["keep"]


def test_stop_file_ends_the_run_after_the_current_experiment(repo, imagine):
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    world = SeededWorld(
        imagine, [edit("voice", voice + f"\n- rule {i}\n", f"rule {i}") for i in range(5)]
    )

    def responder(body):
        if role_of(body) == "optimizer" and body["seed"] == 2:
            (repo / "runs" / "t1" / "STOP").write_text(
                ""
            )  # arrives while experiment 2 is under way
        return world(body)

    with OpenAIServer(responder) as server:
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=5))
        summary = asyncio.run(run.run())
    assert summary["stop_reason"] == "STOP file found"
    # 2 finished, 3 never began; nothing was kept, so there is nothing to confirm.
    assert [r["experiment"] for r in run.lane.ledger.records()] == [0, 1, 2]


def test_cost_budget_stops_the_run(repo, imagine):
    from contentloop.llm import Response, Usage

    with OpenAIServer(World(imagine, [])) as server:
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=5, max_cost_usd=0.5))
        run.lane.costs.record(
            "writer", Response("x", "anthropic", "claude-haiku-4-5", Usage(input_tokens=600_000))
        )
        assert asyncio.run(run.run())["stop_reason"] == "--max-cost-usd 0.5 reached ($0.6000)"


def test_refuses_a_dirty_skill(repo, imagine):
    (repo / "skills" / "imagine" / "voice.md").write_text("uncommitted\n")
    with (
        OpenAIServer(World(imagine, [])) as server,
        pytest.raises(ContentloopError, match="uncommitted changes"),
    ):
        asyncio.run(make_run(repo, server, imagine).run())
    assert not (repo / "runs" / "t1" / "samples.jsonl").exists(), "refused before any call"


@pytest.fixture
def plain_skill(tmp_path):
    """The imagine skill outside any git repository, and a folder with one topic."""
    skill_dir = tmp_path / "skill"
    shutil.copytree(ROOT / "skills" / "imagine", skill_dir)
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "a.yaml").write_text(
        "title: Topic a\naudience: people\nangle: it matters\n"
    )
    return skill_dir


def test_no_git_keeps_snapshots(tmp_path, imagine, plain_skill):
    skill_dir = plain_skill
    voice = (skill_dir / "voice.md").read_text()
    with OpenAIServer(World(imagine, [edit("voice", voice + "\n- MAGIC\n")])) as server:
        backend = OpenAIBackend("m", base_url=server.url + "/v1", max_retries=0)
        run = OptimizeRun.new(
            skill_dir,
            load_topics(tmp_path / "topics"),
            imagine,
            writer=backend,
            judge=backend,
            optimizer=backend,
            run_dir=tmp_path / "run",
            tag="x",
            budget=Budget(max_experiments=1),
            use_git=False,
            gate=SMALL,
        )
        asyncio.run(run.run())
    assert [r["status"] for r in run.lane.ledger.rows()] == ["keep", "keep"]
    assert "MAGIC" in (tmp_path / "run" / "best-skill" / "voice.md").read_text()
    assert "MAGIC" not in (skill_dir / "voice.md").read_text()


@pytest.mark.parametrize(
    "reply,message",
    [
        (edit("tone", "x"), "not one of the skill's sections"),
        (edit("voice", "   "), "new_text is empty"),
        ("prose, no json", "not JSON"),
        # The bounds of the schema the optimizer is asked for are the ones enforced.
        (edit("voice", "x" * 6001), "new_text is 6001 characters .limit 6000."),
        (edit("voice", "New voice.", "why " * 80), "hypothesis is 319 characters .limit 300."),
    ],
)
def test_proposals_outside_the_skill_are_refused(reply, message):
    with pytest.raises(ProposalRefused, match=message):
        parse_proposal(reply, load_skill(ROOT / "skills" / "imagine"))


def test_cli_optimize_skill_end_to_end(repo, imagine, monkeypatch):
    from typer.testing import CliRunner

    from contentloop.cli import app

    monkeypatch.chdir(repo)
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    with OpenAIServer(
        World(imagine, [edit("voice", voice + "\n- MAGIC\n", "magic helps")])
    ) as server:
        args = [
            "optimize-skill",
            "--topics",
            "topics",
            "--skill",
            "skills/imagine",
            "--tag",
            "cli",
            "--max-experiments",
            "1",
            "--backend",
            "openai",
            "--base-url",
            server.url + "/v1",
            "--model",
            "m",
            "--json",
            "--no-cache",
        ]
        r = CliRunner().invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    # One experiment, kept; the baseline is not counted as a kept edit.
    assert summary["counts"] == {"keep": 1} and summary["best"] > summary["baseline"]
    assert summary["confirmed_gain"]["mean"] > 0
    assert "experiment 1/1: keep" in " ".join(r.stderr.split())
    # No card for this judge: said at start, and recorded in run.json and summary.json.
    assert "judge calibration: none for openai:m" in " ".join(r.stderr.split())
    meta = json.loads((repo / "runs" / "cli" / "run.json").read_text())
    assert summary["calibration"]["state"] == meta["calibration"]["state"] == "missing"
    tsv = (repo / "runs" / "cli" / "results.tsv").read_text().splitlines()
    assert tsv[0].split("\t")[:5] == ["commit", "score", "stdev", "status", "description"]
    assert len(tsv) == 3
    r2 = CliRunner().invoke(app, args, catch_exceptions=False)
    assert r2.exit_code == 2 and "already exists" in r2.stderr


@pytest.mark.slow
def test_sigkill_mid_run_resumes_to_the_same_ledgers(repo, imagine, tmp_path):
    import os
    import random
    import signal
    import sys
    import time

    base = [sys.executable, "-m", "contentloop.cli", "optimize-skill", "--runs", str(repo / "runs")]
    rng = random.Random(5)
    with OpenAIServer(SeededWorld(imagine, seeded_proposals(repo)), latency=0.03) as server:
        common = [
            "--topics",
            "topics",
            "--skill",
            "skills/imagine",
            "--max-experiments",
            "6",
            "--backend",
            "openai",
            "--base-url",
            server.url + "/v1",
            "--model",
            "m",
        ]

        def env(name):
            return {**os.environ, "CONTENTLOOP_HOME": str(tmp_path / name)}

        ref = subprocess.run(
            [*base, *common, "--tag", "ref"],
            cwd=repo,
            env=env("ref"),
            capture_output=True,
            text=True,
        )
        assert ref.returncode == 0, ref.stderr
        kills, args = 0, [*base, *common, "--tag", "killed"]
        for _ in range(12):
            proc = subprocess.Popen(
                args, cwd=repo, env=env("killed"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            time.sleep(rng.uniform(1.5, 4.0))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
            else:
                assert proc.returncode == 0, proc.stderr.read().decode()
                break
            if (repo / "runs" / "killed" / "run.json").exists():
                args = [*base, "--resume", "killed"]  # else killed before it started: run again
        else:
            final = subprocess.run(
                args, cwd=repo, env=env("killed"), capture_output=True, text=True
            )
            assert final.returncode == 0, final.stderr
    print(f"killed {kills} times")
    assert kills >= 2, "the test must actually kill the run mid-way"
    assert comparable(repo / "runs" / "killed") == comparable(repo / "runs" / "ref")
    records = [
        json.loads(x)
        for x in (repo / "runs" / "killed" / "experiments.jsonl").read_text().splitlines()
    ]
    numbers = [r["experiment"] for r in records if r["kind"] in ("baseline", "experiment")]
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers)), "no experiment twice"

    # No draft was lost or written twice: every (skill, topic, sample) once, and the same
    # drafts per skill as the uninterrupted run.
    def drafts(tag):
        rows = [
            json.loads(x) for x in (repo / "runs" / tag / "samples.jsonl").read_text().splitlines()
        ]
        keys = [(r["skill"], r["topic"], r["sample"]) for r in rows]
        assert len(keys) == len(set(keys))
        return sorted(keys)

    assert drafts("killed") == drafts("ref")

    def kept_subjects(tag):
        log = git("log", "--format=%s", f"autoexp/{tag}", cwd=repo).splitlines()
        return [s.split(": ", 1)[1] for s in log if s.startswith("autoexp")]

    assert kept_subjects("killed") == kept_subjects("ref")
    kept_rows = [r for r in records if r["experiment"] > 0 and r["status"] == "keep"]
    branch = git("log", "--format=%h", "autoexp/killed", cwd=repo).split()
    assert all(r["commit"][:7] in {c[:7] for c in branch} for r in kept_rows)


def test_held_out_topics_flag_a_best_that_overfits(repo, imagine, tmp_path):
    holdout = tmp_path / "holdout"
    holdout.mkdir()
    (holdout / "gamma.yaml").write_text(
        "title: Topic gamma\naudience: plant managers\nangle: it matters\n"
    )
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()

    class Overfit(World):
        def __call__(self, body):
            system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
            if role_of(body) == "writer" and "gamma" in user:
                return BAD if "MAGIC" in system else GOOD  # the edit that helps training hurts here
            return super().__call__(body)

    world = Overfit(imagine, [edit("voice", voice + "\n- MAGIC\n", "magic")])
    seen = []
    with OpenAIServer(lambda body: (seen.append(body), world(body))[1]) as server:
        run = make_run(
            repo, server, imagine, budget=Budget(max_experiments=1), holdout=load_topics(holdout)
        )
        summary = asyncio.run(run.run())
    assert summary["confirmed_gain"]["ci95_low"] > 0
    assert summary["holdout_gain"]["mean"] < 0 and summary["overfit_warning"] is True
    assert summary["holdout_best"] < summary["holdout_baseline"]
    (confirm,) = [r for r in run.lane.ledger.records() if r["kind"] == "confirm"]
    assert confirm["holdout_gain"] == summary["holdout_gain"]
    # Held-out drafts are written only for the confirmation, never during the search.
    gamma = run.lane.measure.bank.samples(run.lane.state.best_skill, "gamma")
    assert gamma and {s.role for s in gamma} == {"holdout"}
    optimizer_prompts = [json.dumps(b) for b in seen if role_of(b) == "optimizer"]
    assert optimizer_prompts and not any("gamma" in p for p in optimizer_prompts)


@pytest.mark.slow
def test_retrospective_every_ten_experiments_reaches_the_proposer(repo, imagine):
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    proposals = [edit("examples", f"Example variant {i}. " * 3, f"variant {i}") for i in range(11)]
    proposals[3] = edit("voice", voice + "\n- MAGIC\n", "magic")
    seen = []
    world = SeededWorld(imagine, proposals)
    with OpenAIServer(lambda body: (seen.append(body), world(body))[1]) as server:
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=11))
        asyncio.run(run.run())
    prompts = [b["messages"][-1]["content"] for b in seen if role_of(b) == "optimizer"]
    assert len(prompts) == 11
    assert all("Retrospective" not in p for p in prompts[:10])
    assert "After 10 experiments:" in prompts[10] and "- examples: 9 tries" in prompts[10]
    assert "- voice: 1 tries (keep 1)" in prompts[10]


def test_estimate_before_anything_is_written(repo, imagine):
    with OpenAIServer(World(imagine, [])) as server:
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=4))
        est = run.estimate()
        noisier = make_run(
            repo, server, imagine, budget=Budget(max_experiments=4), assumed_noise=8.0
        ).estimate()
    # The constructor and the estimate wrote nothing and made no branch.
    assert not (repo / "runs").exists()
    assert "autoexp/t1" not in git("branch", "--list", cwd=repo)
    # 2 topics x 2 baseline drafts; each experiment 1 to 3 stages of 2 drafts, the best topped
    # up to 2x the candidate's; a drift check (2 drafts per topic) every 2 keeps; confirmation
    # 1 draft per topic of each skill.
    assert est["writer_calls"] < est["writer_calls_max"]
    assert est["writer_calls_max"] == 4 + 4 * (3 * 2 + (6 - 3) * 2) + (4 // 2) * 2 * 2 + 2 * 1 * 2
    assert 1 <= est["expected_stages"] <= 3
    assert est["input_tokens"] > est["output_tokens"] > 0
    assert est["cost_usd"] is None  # the scripted server's model has no price
    # Twice the noise, twice the smallest effect a run can see, and a warning above 3 points.
    assert noisier["detectable_effect"] == pytest.approx(2 * est["detectable_effect"], rel=0.01)
    assert noisier["warning"] and "detect gains of" in noisier["warning"]


def test_the_plan_counts_no_judge_call_for_a_judge_that_is_not_measured(repo, imagine):
    """Issue 37: the demo judge is never called, yet the plan counted a verdict per draft."""
    with OpenAIServer(World(imagine, [])) as server:
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=4))
        judged = run.estimate()
        run.lane.backends.judge.judge_not_measured = "the demo judge"
        rules_only = run.estimate()
    assert judged["judge_calls"] == judged["writer_calls"] > 0
    assert rules_only["judge_calls"] == 0
    assert rules_only["calls"] == judged["calls"] - judged["writer_calls"]
    assert rules_only["input_tokens"] < judged["input_tokens"]


def test_resume_refuses_a_changed_harness(repo, imagine):
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    with OpenAIServer(World(imagine, [edit("voice", voice + "\n- MAGIC\n")])) as server:
        asyncio.run(make_run(repo, server, imagine, budget=Budget(max_experiments=1)).run())
        (repo / "topics" / "alpha.yaml").write_text(
            "title: Topic alpha\naudience: others\nangle: changed\n"
        )
        resumed = make_run(repo, server, imagine, budget=Budget(max_experiments=2), resume=True)
        with pytest.raises(ContentloopError, match="eval harness .* changed"):
            asyncio.run(resumed.run())


def test_resume_without_git_replays_the_kept_edits(tmp_path, imagine, plain_skill):
    skill_dir = plain_skill
    voice = (skill_dir / "voice.md").read_text()
    world = SeededWorld(
        imagine, [edit("voice", voice + "\n- MAGIC\n"), edit("examples", "x " * 300)]
    )
    with OpenAIServer(world) as server:
        backend = OpenAIBackend("m", base_url=server.url + "/v1", max_retries=0)

        def run(n, resume):
            return OptimizeRun.new(
                skill_dir,
                load_topics(tmp_path / "topics"),
                imagine,
                writer=backend,
                judge=backend,
                optimizer=backend,
                run_dir=tmp_path / "run",
                tag="x",
                budget=Budget(max_experiments=n),
                use_git=False,
                resume=resume,
                gate=SMALL,
            )

        asyncio.run(run(1, False).run())
        (tmp_path / "run" / "skill" / "voice.md").write_text("damaged by a crash\n")
        summary = asyncio.run(run(2, True).run())
    rows = [
        line.split("\t")[3]
        for line in (tmp_path / "run" / "results.tsv").read_text().splitlines()[1:]
    ]
    assert rows == ["keep", "keep", "discard"]
    assert "MAGIC" in (tmp_path / "run" / "best-skill" / "voice.md").read_text()
    assert "MAGIC" in (tmp_path / "run" / "skill" / "voice.md").read_text()
    assert summary["best"] > summary["baseline"]


@pytest.mark.slow
def test_ctrl_c_finishes_the_current_experiment_then_prints_the_resume_command(
    repo, imagine, tmp_path
):
    import os
    import signal
    import sys

    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    world = SeededWorld(
        imagine, [edit("voice", voice + f"\n- rule {i}\n", f"rule {i}") for i in range(4)]
    )
    proc = None

    def responder(body):
        # Ctrl-C arrives while experiment 1 is being proposed: it must still be finished and logged.
        if role_of(body) == "optimizer" and body["seed"] == 1:
            proc.send_signal(signal.SIGINT)
        return world(body)

    with OpenAIServer(responder) as server:
        args = [
            sys.executable,
            "-m",
            "contentloop.cli",
            "optimize-skill",
            "--topics",
            "topics",
            "--skill",
            "skills/imagine",
            "--tag",
            "int",
            "--max-experiments",
            "3",
            "--backend",
            "openai",
            "--base-url",
            server.url + "/v1",
            "--model",
            "m",
        ]
        env = {**os.environ, "CONTENTLOOP_HOME": str(tmp_path / "home")}
        proc = subprocess.Popen(
            args, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130
    stderr = " ".join(stderr.split())
    assert "stopping after the current experiment" in stderr and "--resume int" in stderr
    records = [
        json.loads(x)
        for x in (repo / "runs" / "int" / "experiments.jsonl").read_text().splitlines()
    ]
    assert [r["experiment"] for r in records] == [0, 1]


def test_spend_is_recorded_once_per_record(repo, imagine):
    """Each record carries the tokens spent since the one before; together they are the run's."""
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    with OpenAIServer(World(imagine, [edit("voice", voice + "\n- MAGIC\n")])) as server:
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=1))
        asyncio.run(run.run())
    records = run.lane.ledger.records()
    assert [r["kind"] for r in records] == ["baseline", "experiment", "confirm"]
    total = run.lane.costs.totals()
    assert sum(r["tokens"]["output_tokens"] for r in records) == total["output_tokens"] > 0
    assert all(r["tokens"]["output_tokens"] > 0 for r in records)


@pytest.mark.parametrize("branch_made", [False, True])
def test_resume_after_a_kill_before_the_worktree_existed(repo, imagine, branch_made):
    """run.json is written first; a kill before `git worktree add` finished left no worktree
    (and maybe the branch). Resume creates it and runs the baseline."""
    with OpenAIServer(World(imagine, [])) as server:
        make_run(repo, server, imagine, budget=Budget(max_experiments=0)).lane.open()
        git("worktree", "remove", "--force", str(repo / "runs" / "t1" / "worktree"), cwd=repo)
        if not branch_made:
            git("branch", "-D", "autoexp/t1", cwd=repo)
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=0), resume=True)
        summary = asyncio.run(run.run())
    assert summary["counts"] == {}  # a baseline and no experiment
    assert (repo / "runs" / "t1" / "worktree" / "skills" / "imagine" / "voice.md").exists()


def test_reopen_run_continues_with_the_settings_it_started_with(repo, imagine):
    """The library's resume (what --resume calls): settings come from run.json, not the caller."""
    from contentloop.optimize.resume import reopen

    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    proposals = [edit("voice", voice + "\n- MAGIC\n"), edit("examples", "x " * 300)]
    with OpenAIServer(World(imagine, proposals)) as server:
        first = make_run(repo, server, imagine, budget=Budget(max_experiments=1), repeats=2)
        asyncio.run(first.run())
        meta = json.loads((repo / "runs" / "t1" / "run.json").read_text())
        meta["budget"]["max_experiments"] = 2  # the run's own file decides how far it goes
        (repo / "runs" / "t1" / "run.json").write_text(json.dumps(meta))
        run = reopen(repo / "runs" / "t1")
        assert (run.tag, run.lane.repeats, [t.slug for t in run.lane.topics]) == (
            "t1",
            2,
            ["alpha", "beta"],
        )
        assert run.lane.writer.backend.cache_identity["base_url"] == server.url + "/v1"
        summary = asyncio.run(run.run())
    statuses = [r["status"] for r in run.lane.ledger.rows()]
    assert statuses == ["keep", "keep", "discard"]
    assert summary["best"] > summary["baseline"]


def test_reopen_run_names_the_problem_with_the_folder(tmp_path):
    from contentloop.optimize.resume import reopen

    with pytest.raises(ContentloopError, match="is not an optimize run") as missing:
        reopen(tmp_path / "nope")
    assert "--resume" in str(missing.value)
    (tmp_path / "early").mkdir()
    with pytest.raises(ContentloopError, match="stopped before the run had started") as early:
        reopen(tmp_path / "early")
    assert "--tag" in str(early.value)
    (tmp_path / "early" / "run.json").write_text('{"tag": "early", "topi')
    with pytest.raises(ContentloopError, match="not valid JSON") as torn:
        reopen(tmp_path / "early")
    assert "run.json" in str(torn.value)


def cli_args(server, *extra):
    return [
        *("optimize-skill", "--topics", "topics", "--skill", "skills/imagine"),
        *("--backend", "openai", "--base-url", server.url + "/v1", "--model", "m", "--no-cache"),
        *("--baseline-drafts", "2", "--max-stages", "3", "--confirm-drafts", "1"),
        *extra,
    ]


def test_dry_run_prints_the_plan_and_writes_nothing(repo, imagine, monkeypatch):
    from typer.testing import CliRunner

    from contentloop.cli import app

    monkeypatch.chdir(repo)
    with OpenAIServer(World(imagine, [])) as server:
        r = CliRunner().invoke(app, cli_args(server, "--tag", "d", "--dry-run", "--noise", "6"))
        as_json = CliRunner().invoke(
            app, cli_args(server, "--tag", "d", "--dry-run", "--json", "--noise", "6")
        )
    assert r.exit_code == 0, r.output
    err = " ".join(r.stderr.split())
    plan = json.loads(as_json.stdout)
    assert f"detects a gain of {plan['detectable_effect']:.2f} points with 80% power" in err
    assert "kept at most 5% of the time" in err and "warning:" in err  # 2 topics, noise 6
    assert plan["detectable_effect"] > 3 and plan["writer_calls"] <= plan["writer_calls_max"]
    assert server.requests == [] and not (repo / "runs").exists()
    assert "autoexp/d" not in git("branch", "--list", cwd=repo)
    # Model "m" has no price: the plan says so and the run would still go ahead.
    assert plan["cost_usd"] is None and "cost unknown" in err


def test_a_price_set_in_contentloop_toml_prices_the_plan(repo, imagine, monkeypatch):
    from typer.testing import CliRunner

    from contentloop.cli import app

    monkeypatch.chdir(repo)
    (repo / "contentloop.toml").write_text('[prices.openai."m"]\ninput = 1.0\noutput = 2.0\n')
    with OpenAIServer(World(imagine, [])) as server:
        r = CliRunner().invoke(
            app, cli_args(server, "--tag", "d", "--dry-run", "--json", "--noise", "6")
        )
    plan = json.loads(r.stdout)
    expected = (plan["input_tokens"] * 1.0 + plan["output_tokens"] * 2.0) / 1e6
    assert plan["cost_usd"] == pytest.approx(expected, abs=0.01) and plan["cost_usd"] > 0


def test_the_terminal_leads_with_the_confirmed_gain_or_says_there_is_none(
    repo, imagine, monkeypatch
):
    from typer.testing import CliRunner

    from contentloop.cli import app

    monkeypatch.chdir(repo)
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    nothing = edit("examples", "A longer example that changes nothing. " * 20, "longer")
    with OpenAIServer(World(imagine, [nothing, edit("voice", voice + "\n- MAGIC\n")])) as server:
        flat = CliRunner().invoke(app, cli_args(server, "--tag", "flat", "--max-experiments", "1"))
        good = CliRunner().invoke(app, cli_args(server, "--tag", "good", "--max-experiments", "1"))
    assert flat.exit_code == 0 and good.exit_code == 0, flat.output + good.output
    flat_out, good_out = " ".join(flat.stdout.split()), " ".join(good.stdout.split())
    assert flat_out.startswith("no edit was kept")
    # Nothing kept: no adopt command to run for nothing (issue 21).
    assert "nothing to adopt" in flat_out and "git checkout" not in flat_out
    assert good_out.startswith("confirmed gain +") and "in-loop estimate +" in good_out
    assert "confirmed on" in good_out and "fresh drafts" in good_out
    assert "bring the best skill onto your branch" in good_out


@pytest.mark.parametrize("sees_it", [True, False])
def test_the_audit_judge_rescores_the_confirmation_and_flags_a_gain_only_the_judge_sees(
    repo, imagine, sees_it
):
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    world = World(imagine, [edit("voice", voice + "\n- MAGIC: lead with the pivot.\n", "h")])

    def responder(body):
        system = body["messages"][0]["content"]
        if body["model"] == "auditor" and not sees_it:
            return verdict(imagine, 6)  # a judge the loop did not climb, blind to the change
        if role_of(body) == "writer":
            # The edit changes only what the judge likes, not what the rule checks see.
            return BAD + ("\nGOODMARK\n" if "MAGIC" in system else "\n")
        return world(body)

    with OpenAIServer(responder) as server:
        audit = OpenAIBackend("auditor", base_url=server.url + "/v1", max_retries=0)
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=1), audit=audit)
        summary = asyncio.run(run.run())
        audited = [r for r in server.requests if r.body["model"] == "auditor"]
    assert summary["confirmed_gain"]["ci95_low"] > 0
    # Only the confirmation's drafts, baseline and best, one verdict each.
    assert len(audited) == 2 * SMALL.confirm_stages * 2
    audit = summary["audit"]
    assert audit["judge"] == "openai:auditor"
    assert audit["holds"] is sees_it and audit["judge_gaming_suspected"] is (not sees_it)
    assert ("possible judge gaming" in summary["verdict"]) is (not sees_it)
    (confirm,) = [r for r in run.lane.ledger.records() if r["kind"] == "confirm"]
    assert confirm["audit_gain"] == audit["gain"]
    assert (
        json.loads((repo / "runs" / "t1" / "run.json").read_text())["audit"]["model"] == "auditor"
    )


def test_after_an_explore_step_the_run_ends_on_the_best_it_measured(repo, imagine):
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    proposals = [
        edit("voice", voice + "\n- MAGIC: lead with the pivot.\n", "raises the score"),
        edit("voice", voice + "\n- Plain again.\n", "explored: drops MAGIC"),
    ]
    with OpenAIServer(World(imagine, proposals)) as server:
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=2), explore_every=2)
        summary = asyncio.run(run.run())
    rows = run.lane.ledger.rows()
    assert [r["status"] for r in rows] == ["keep", "keep", "explore"]
    assert summary["best_commit"] == rows[1]["commit"]  # not the explored, worse skill
    assert summary["best"] > summary["baseline"]
    assert "MAGIC" in (repo / "runs" / "t1" / "best-skill" / "voice.md").read_text()
    settled = [r for r in run.lane.ledger.records() if r["kind"] == "verify"]
    assert settled[-1]["status"] == "rollback" and "after exploration" in settled[-1]["description"]
    # --resume derives the same best from the records alone.
    assert replay(parse_records(run.lane.ledger.records(), "x")).best_commit == rows[1]["commit"]


class FlakyJudgeWorld(World):
    """The judge answers with prose instead of JSON for the first draft it sees (the verdict
    and its repair request share that draft's seed), or, with `always`, for every draft."""

    def __init__(self, rubric, proposals, always: bool = False):
        super().__init__(rubric, proposals)
        self.always = always
        self.cursed: object = None
        self.lock = threading.Lock()

    def __call__(self, body):
        if role_of(body) == "judge":
            with self.lock:
                if self.cursed is None:
                    self.cursed = body.get("seed")
                if self.always or body.get("seed") == self.cursed:
                    return "I think this draft is quite good overall."
        return super().__call__(body)


def test_one_unusable_verdict_is_replaced_by_a_fresh_draft_not_the_end_of_the_run(repo, imagine):
    """Issue 21: one unusable judge reply in the baseline ended the run with empty ledgers."""
    with OpenAIServer(FlakyJudgeWorld(imagine, [])) as server:
        summary = asyncio.run(make_run(repo, server, imagine, budget=Budget(0)).run())
    run_dir = repo / "runs" / "t1"
    (failure,) = [json.loads(x) for x in (run_dir / "failures.jsonl").read_text().splitlines()]
    assert failure["role"] == "baseline" and "usable" in failure["reason"]
    samples = [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]
    # The failed index is not reused: the replacement is a new draft with a new seed.
    assert failure["sample"] not in {s["sample"] for s in samples if s["topic"] == failure["topic"]}
    assert summary["baseline"] > 0
    end = json.loads((run_dir / "run.json").read_text())["end"]
    assert end["status"] == "finished" and end["unusable_verdicts"] == 1 and end["calls"] > 0


def test_a_failed_run_records_its_end_and_runs_and_report_say_so(repo, imagine):
    with OpenAIServer(FlakyJudgeWorld(imagine, [], always=True)) as server:
        run = make_run(repo, server, imagine, budget=Budget(0))
        with pytest.raises(ContentloopError, match="no usable verdict"):
            asyncio.run(run.run())
    run_dir = repo / "runs" / "t1"
    end = json.loads((run_dir / "run.json").read_text())["end"]
    assert end["status"] == "failed" and "no usable verdict" in end["reason"]
    assert end["calls"] > 0 and end["seconds"] >= 0 and end["unusable_verdicts"] >= 3
    runs = CliRunner().invoke(app, ["runs", "--runs", str(run_dir.parent), "--json"])
    (row,) = [json.loads(x) for x in runs.stdout.splitlines() if '"optimize"' in x]
    assert row["status"].startswith("failed: ")
    report = CliRunner().invoke(app, ["report", str(run_dir)])
    assert "run failed after" in report.stdout and "calls" in report.stdout


def test_runs_prune_removes_finished_runs_worktree_and_branch_and_keeps_the_rest(repo, imagine):
    """Issue 21: no way to clean up finished autoexp/* branches and worktrees."""
    with OpenAIServer(World(imagine, [])) as server:
        asyncio.run(make_run(repo, server, imagine, budget=Budget(0)).run())
        unfinished = make_run(repo, server, imagine, tag="t2", budget=Budget(0))
        unfinished.lane.open()  # opened, never ended: resumable, so kept
    runs = repo / "runs"
    dry = CliRunner().invoke(app, ["runs", "--prune", "--dry-run", "--runs", str(runs), "--json"])
    rows = {json.loads(x)["run"].rsplit("/", 1)[-1]: json.loads(x) for x in dry.stdout.splitlines()}
    assert rows["t1"]["action"] == "would prune" and rows["t2"]["action"] == "left"
    assert "--resume" in rows["t2"]["why"]
    assert (runs / "t1" / "worktree").exists()  # a dry run touches nothing

    r = CliRunner().invoke(app, ["runs", "--prune", "--runs", str(runs)])
    assert r.exit_code == 0, r.output
    assert "pruned" in r.stdout and "best-skill" in r.stdout
    assert not (runs / "t1" / "worktree").exists()
    branches = git("branch", "--list", "autoexp/*", cwd=repo)
    assert "autoexp/t1" not in branches and "autoexp/t2" in branches
    assert (runs / "t1" / "experiments.jsonl").exists() and (runs / "t1" / "best-skill").is_dir()
    assert CliRunner().invoke(app, ["report", str(runs / "t1")]).exit_code == 0
    again = CliRunner().invoke(app, ["runs", "--prune", "--runs", str(runs)])
    assert "pruned:" not in again.stdout  # nothing left to remove for t1


def test_runs_prune_include_failed_removes_a_failed_runs_branch_too(repo, imagine):
    with OpenAIServer(FlakyJudgeWorld(imagine, [], always=True)) as server:
        with pytest.raises(ContentloopError):
            asyncio.run(make_run(repo, server, imagine, budget=Budget(0)).run())
    runs = repo / "runs"
    kept = CliRunner().invoke(app, ["runs", "--prune", "--runs", str(runs), "--json"])
    assert json.loads(kept.stdout)["action"] == "left"  # failed: kept for --resume by default
    r = CliRunner().invoke(app, ["runs", "--prune", "--include-failed", "--runs", str(runs)])
    assert r.exit_code == 0 and "pruned" in r.stdout
    assert "autoexp/t1" not in git("branch", "--list", "autoexp/*", cwd=repo)


def test_the_optimizer_is_its_own_role_on_its_own_server(repo, imagine, monkeypatch):
    """Issue 16: a large API model proposes while a small local server writes and judges.
    Writer and judge on an OpenAI-compatible loopback server, the optimizer on an Anthropic
    one: each call lands on its own server, and the ledger prices them by role."""
    from contentloop.testing import AnthropicServer

    monkeypatch.chdir(repo)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    world = World(imagine, [edit("voice", voice + "\n- MAGIC\n", "magic helps")])
    on_openai: list[str] = []
    on_anthropic: list[str] = []

    def local(body):
        on_openai.append(role_of(body))
        return world(body)

    def api(body):
        on_anthropic.append(role_of(body))
        return world(body)

    with OpenAIServer(local) as small, AnthropicServer(api) as big:
        args = [
            *("optimize-skill", "--topics", "topics", "--skill", "skills/imagine"),
            *("--tag", "roles", "--max-experiments", "1", "--json", "--no-cache"),
            *("--backend", "openai", "--base-url", small.url + "/v1", "--model", "small-m"),
            *("--optimizer-backend", "anthropic", "--optimizer-base-url", big.url),
            *("--optimizer-model", "claude-sonnet-4-6"),
        ]
        r = CliRunner().invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert on_anthropic == ["optimizer"]
    assert "optimizer" not in on_openai and {"writer", "judge"} <= set(on_openai)
    summary = json.loads(r.stdout)
    assert summary["by_role"]["optimizer"]["calls"] == 1
    assert summary["by_role"]["optimizer"]["cost_usd"] > 0  # a priced model
    assert summary["by_role"]["writer"]["cost_usd"] is None  # "small-m" has no price
    meta = json.loads((repo / "runs" / "roles" / "run.json").read_text())
    assert meta["optimizer"]["backend"] == "anthropic" and meta["writer"]["backend"] == "openai"


def test_optimizer_settings_come_from_the_environment_and_contentloop_toml(tmp_path, monkeypatch):
    from contentloop.llm import RoleConfig, resolve

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    writer = RoleConfig(backend="openai", base_url="http://127.0.0.1:9/v1", model="w")
    same = resolve("optimizer", RoleConfig(), writer)
    assert (same.backend, same.model, same.base_url) == ("openai", "w", "http://127.0.0.1:9/v1")
    (tmp_path / "contentloop.toml").write_text(
        '[optimizer]\nbackend = "openai"\nbase_url = "http://127.0.0.1:8/v1"\nmodel = "big"\n'
    )
    from contentloop.llm.config import role_configured

    assert role_configured("optimizer")
    filed = resolve("optimizer", RoleConfig(), writer)
    assert (filed.model, filed.base_url) == ("big", "http://127.0.0.1:8/v1")
    monkeypatch.setenv("CONTENTLOOP_OPTIMIZER_MODEL", "env-model")
    assert resolve("optimizer", RoleConfig(), writer).model == "env-model"


def test_warm_start_begins_at_the_earlier_best_and_shows_its_history(repo, imagine, monkeypatch):
    """Issue 16, item 4: --warm-start runs/<tag> starts from that run's best skill, measured
    afresh, and the proposer sees that run's tries."""
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    with OpenAIServer(World(imagine, [edit("voice", voice + "\n- MAGIC\n", "magic helps")])) as s:
        first = asyncio.run(make_run(repo, s, imagine, budget=Budget(1)).run())
    assert first["counts"] == {"keep": 1}

    monkeypatch.chdir(repo)
    prompts: list[str] = []
    world = World(imagine, [edit("examples", "Short.", "shorter examples")])

    def server(body):
        if role_of(body) == "optimizer":
            prompts.append(body["messages"][-1]["content"])
        return world(body)

    with OpenAIServer(server) as s:
        args = [
            *("optimize-skill", "--topics", "topics", "--skill", "skills/imagine"),
            *("--tag", "t2", "--warm-start", "runs/t1", "--max-experiments", "1"),
            *("--backend", "openai", "--base-url", s.url + "/v1", "--model", "m", "--json"),
        ]
        r = CliRunner().invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    second = json.loads(r.stdout)
    # The warm skill (with MAGIC, so GOOD drafts) is the new baseline, measured afresh.
    assert second["baseline"] == pytest.approx(first["best"])
    baseline_rows = [
        json.loads(x)
        for x in (repo / "runs" / "t2" / "samples.jsonl").read_text().splitlines()
        if json.loads(x)["role"] == "baseline"
    ]
    assert baseline_rows
    log = git("log", "--format=%s", "autoexp/t2", cwd=repo)
    assert "warm start: the best skill of t1" in log
    assert "(earlier run t1) magic helps" in prompts[0]
    meta = json.loads((repo / "runs" / "t2" / "run.json").read_text())
    assert meta["warm_start"].endswith("runs/t1")


def test_each_record_measures_prompt_size_and_what_a_post_costs_to_write(repo, imagine):
    """Issue 16, item 2 (the recording part): every experiment records the skill's prompt
    tokens and the writer's tokens, dollars and seconds per post."""
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    longer = edit("voice", voice + "\n- MAGIC: " + "say it plainly. " * 30 + "\n", "longer voice")
    with OpenAIServer(World(imagine, [longer])) as server:
        asyncio.run(make_run(repo, server, imagine, budget=Budget(1)).run())
    records = [
        json.loads(x) for x in (repo / "runs" / "t1" / "experiments.jsonl").read_text().splitlines()
    ]
    base = next(r for r in records if r["kind"] == "baseline")["metrics"]
    exp = next(r for r in records if r["kind"] == "experiment")["metrics"]
    assert exp["prompt_tokens"] > base["prompt_tokens"] > 0
    for m in (base, exp):
        assert m["output_tokens_per_post"] > 0 and m["writer_seconds_per_post"] >= 0
        assert m["writer_usd_per_post"] is None  # model "m" has no price
    samples = (repo / "runs" / "t1" / "samples.jsonl").read_text().splitlines()
    assert all(json.loads(x)["writer_output_tokens"] > 0 for x in samples)
