"""Kill-and-resume at named points of a real optimize-skill process (SIGKILL via
contentloop/faults.py), against a scripted optimizer, writer and judge on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers import SeededWorld, World, comparable, edit, git, make_run, role_of, seeded_proposals
from typer.testing import CliRunner

from contentloop.cli import app
from contentloop.faults import POINTS
from contentloop.llm import BackendError, Message, Request
from contentloop.llm.anthropic_api import AnthropicBackend
from contentloop.llm.openai_api import OpenAIBackend
from contentloop.optimize import Budget
from contentloop.testing import AnthropicServer, OpenAIServer, Reply

# (point, pass number). Passes are counted from process start, so a resumed run could reach
# the same point again; each spec kills once and then resumes without the fault. A run here
# makes 8 baseline calls, then up to 5 per experiment (1 proposal, 2 drafts, 2 verdicts; the
# cache answers a verdict on a draft it has seen), and 4 experiments, one of them refused.
KILLS = [
    ("call", 1),
    ("call", 8),
    ("call", 9),
    ("call", 11),
    ("call", 17),
    ("call", 14),
    ("commit", 1),
    ("commit", 2),
    ("commit", 3),
    ("evaluated", 1),
    ("evaluated", 3),
    ("decided", 1),
    ("decided", 2),
    ("decided", 3),
    ("torn", 1),
    ("torn", 2),
    ("torn", 4),
    ("torn", 6),
    ("ledger", 2),
    ("ledger", 3),
    ("ledger", 5),
    ("logged", 2),
    ("logged", 4),
    ("replace", 3),
    ("replace", 12),
    ("replace", 20),
]


def test_every_crash_point_is_in_the_matrix():
    assert {p for p, _ in KILLS} == set(POINTS)


def kept_tree(repo, tag):  # noqa: F811
    return git("rev-parse", f"autoexp/{tag}:skills/imagine", cwd=repo)


def kept_subjects(repo, tag):  # noqa: F811
    log = git("log", "--format=%s", f"autoexp/{tag}", cwd=repo).splitlines()
    return [s.split(": ", 1)[1] for s in log if s.startswith("autoexp")]


@pytest.mark.slow
def test_sigkill_at_each_crash_point_then_resume_matches_an_uninterrupted_run(
    repo,  # noqa: F811
    imagine,
    tmp_path,
    capsys,
):
    # Two workers, each on its own copy of the repository (git refs and worktrees are not
    # shared between concurrent runs); the uninterrupted reference runs in the first.
    repos = [repo, tmp_path / "repo2"]
    shutil.copytree(repo, repos[1])

    def run(where, args, home, crash=None):
        env = {**os.environ, "CONTENTLOOP_HOME": str(tmp_path / "homes" / home)}
        env.pop("CONTENTLOOP_CRASH_AT", None)
        if crash:
            env["CONTENTLOOP_CRASH_AT"] = crash
        base = [sys.executable, "-m", "contentloop.cli", "optimize-skill", "--runs", "runs"]
        return subprocess.run(
            [*base, *args], cwd=where, env=env, capture_output=True, text=True, timeout=300
        )

    def kill_and_resume(where, point, n):
        tag = f"k-{point}-{n}"
        killed = run(where, [*common, "--tag", tag], tag, crash=f"{point}:{n}")
        if killed.returncode != -9:
            return f"{tag}: the point was never reached (exit {killed.returncode})"
        resumed = run(where, ["--resume", tag], tag)
        run_dir = where / "runs" / tag
        if resumed.returncode != 0:
            return f"{tag}: resume exit {resumed.returncode}: {resumed.stderr[-300:]}"
        if comparable(run_dir) != comparable(repo / "runs" / "ref"):
            return f"{tag}: results.tsv differs from the uninterrupted run"
        if kept_subjects(where, tag) != kept_subjects(repo, "ref"):
            return f"{tag}: the branch's kept commits differ"
        if kept_tree(where, tag) != kept_tree(repo, "ref"):
            return f"{tag}: the kept skill's files differ (a stray file was committed?)"
        if list(run_dir.glob(".*.tmp")):
            return f"{tag}: temp files left in the run folder"
        return None

    with OpenAIServer(SeededWorld(imagine, seeded_proposals(repo))) as server:
        common = [
            *("--topics", "topics", "--skill", "skills/imagine", "--max-experiments", "4"),
            *("--backend", "openai", "--base-url", server.url + "/v1", "--model", "m"),
        ]
        ref = run(repo, [*common, "--tag", "ref"], "ref")
        assert ref.returncode == 0, ref.stderr
        with ThreadPoolExecutor(max_workers=2) as pool:
            halves = [KILLS[0::2], KILLS[1::2]]
            outcomes = pool.map(
                lambda i: [kill_and_resume(repos[i], p, n) for p, n in halves[i]], range(2)
            )
            failures = [f for half in outcomes for f in half if f]
    clean = len(KILLS) - len(failures)
    with capsys.disabled():
        print(f"\nkill-and-resume: {clean}/{len(KILLS)} kill points resumed cleanly")
    assert not failures, "\n".join(failures)
    assert clean == len(KILLS) >= 20


@pytest.mark.parametrize("spec", ["nowhere:1", "call:x"])
def test_a_bad_crash_spec_is_refused(spec):
    env = {**os.environ, "CONTENTLOOP_CRASH_AT": spec}
    proc = subprocess.run(
        [sys.executable, "-c", "import contentloop.faults"], env=env, capture_output=True
    )
    assert proc.returncode != 0


# --- provider faults, through the real SDKs -------------------------------------------------

FAULTS = {
    "429 with retry-after": Reply(status=429, headers={"retry-after": "0"}),
    "429 without retry-after": Reply(status=429),
    "529 overloaded": Reply(status=529),
    "500": Reply(status=500),
    "connection reset": Reply(reset=True),
    "read timeout": Reply("late", delay=1.0),
    "body cut off": Reply(truncate=True),
    "JSON cut off": Reply(raw_body=b'{"id": "msg_1", "choices": [{"mess'),
}
WIRES = {
    "anthropic": (
        AnthropicServer,
        lambda s, **kw: AnthropicBackend("claude-haiku-4-5", api_key="k", base_url=s.url, **kw),
    ),
    "openai": (
        OpenAIServer,
        lambda s, **kw: OpenAIBackend("m", api_key="k", base_url=s.url + "/v1", **kw),
    ),
}
REQ = Request("You are terse.", (Message("user", "Say hi."),), max_tokens=20)


@pytest.mark.slow
@pytest.mark.parametrize("wire", list(WIRES))
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_fault_once_is_retried_and_a_fault_that_persists_is_a_clear_error(wire, fault):
    server_type, backend = WIRES[wire]
    with server_type(lambda body: "hello") as server:
        server.script(FAULTS[fault])
        assert backend(server, max_retries=2, timeout=0.4).complete(REQ).text == "hello"
        assert len(server.requests) == 2
    with server_type(lambda body: "hello") as server:
        server.script(*[FAULTS[fault]] * 3)
        with pytest.raises(BackendError) as info:
            backend(server, max_retries=2, timeout=0.4).complete(REQ)
        assert len(server.requests) == 3, "two retries, then give up"
    message = str(info.value)
    assert "after 2 retries" in message and "Fix:" in message, message


JUDGE_FAULTS = {
    **FAULTS,
    "judge reply in prose": Reply("I think this post is quite good overall, maybe an 8."),
    "judge JSON cut off": Reply('{"criteria": [{"name": "voice_adherence", "rationale": "Pla'),
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", list(JUDGE_FAULTS))
def test_a_fault_inside_optimize_is_a_logged_crash_and_the_loop_goes_on(
    fault,
    repo,  # noqa: F811
    imagine,
):
    """The first experiment's edit says FAULTY; every call about it meets the fault (writer
    calls for SDK-level faults, judge calls for bad verdicts). The next edit is fine."""
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    world = World(
        imagine, [edit("voice", voice + "\n- FAULTY\n"), edit("voice", voice + "\n- MAGIC\n")]
    )
    judge_fault = fault.startswith("judge")

    def responder(body):
        system = body["messages"][0]["content"]
        is_judge = role_of(body) == "judge"
        is_writer = role_of(body) == "writer"
        if is_writer and "FAULTY" in system:
            if not judge_fault:
                return JUDGE_FAULTS[fault]
            return world(body).replace("# ", "# FAULTY ", 1)  # the mark reaches the judge
        if is_judge and judge_fault and "FAULTY" in body["messages"][1]["content"]:
            return JUDGE_FAULTS[fault]
        return world(body)

    with OpenAIServer(responder) as server:
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=2))
        run.lane.writer.backend.timeout = 0.4  # one backend object serves all three roles here
        summary = asyncio.run(run.run())
    records = [r for r in run.lane.ledger.records() if r["kind"] == "experiment"]
    assert [r["status"] for r in records] == ["crash", "keep"], [r["reason"] for r in records]
    assert records[0]["reason"], "the ledger says why"
    assert "FAULTY" not in (run.lane.ws.skill_dir / "voice.md").read_text()
    assert summary["stop_reason"] == "--max-experiments 2 reached"


def test_consecutive_crashes_stop_the_cli_cleanly_with_the_resume_command(
    repo,  # noqa: F811
    imagine,
    monkeypatch,
):
    monkeypatch.chdir(repo)
    args = [
        *("optimize-skill", "--topics", "topics", "--skill", "skills/imagine", "--tag", "c"),
        *("--max-experiments", "9", "--abort-after-crashes", "2", "--backend", "openai"),
    ]
    with OpenAIServer(World(imagine, ["no json here"] * 5)) as server:
        r = CliRunner().invoke(
            app, [*args, "--base-url", server.url + "/v1", "--model", "m"], catch_exceptions=False
        )
    assert r.exit_code == 1, r.output
    stderr = " ".join(r.stderr.split())
    assert "2 consecutive crashes" in stderr and "--resume c" in stderr
    assert "not JSON" in stderr, "the last crash's reason is shown"
    rows = (repo / "runs" / "c" / "results.tsv").read_text().splitlines()
    assert [row.split("\t")[3] for row in rows[1:]] == ["keep", "crash", "crash"]
