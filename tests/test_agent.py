"""Agent mode: `contentloop agent init` writes program.md, and a script playing the coding
agent follows it (edit one section, commit, `contentloop eval`, keep or `git reset`) against
a scripted writer and judge on an OpenAI-compatible loopback server."""

from __future__ import annotations

import csv
import re
import shlex

import pytest
from helpers import World, git
from typer.testing import CliRunner

from contentloop.cli import app
from contentloop.testing import OpenAIServer

GIT_ID = ("-c", "user.name=agent", "-c", "user.email=agent@example.com")


def _eval_command(program: str) -> list[str]:
    """The eval command program.md tells the agent to run (its first bash block)."""
    (first, *_) = re.findall(r"```bash\n\s*(contentloop eval[^\n]*)", program)
    words = shlex.split(first)
    return words[1 : words.index("--description")]


def _status(output: str) -> str:
    (status,) = re.findall(r"^status: (\w+)$", output, re.M)
    return status


@pytest.fixture
def agent_repo(repo, monkeypatch):
    monkeypatch.chdir(repo)
    return repo


def test_a_script_playing_the_agent_keeps_the_good_edit_and_resets_the_rest(agent_repo, imagine):
    repo = agent_repo
    world = World(imagine, [])
    with OpenAIServer(world) as server:
        init = CliRunner().invoke(
            app,
            ["agent", "init", "--", "--backend", "openai", "--base-url", server.url + "/v1"]
            + ["--model", "m", "--no-cache"],
        )
        assert init.exit_code == 0, init.output
        program = (repo / "program.md").read_text()
        assert "skills/imagine/" in program and "git reset --hard HEAD~1" in program
        command = _eval_command(program)

        def evaluate(description: str) -> str:
            r = CliRunner().invoke(app, [*command, "--description", description])
            assert r.exit_code == 0, r.output
            return _status(r.stdout)

        git("checkout", "-q", "-b", "agent/t1", cwd=repo)
        assert evaluate("baseline") == "baseline"
        ideas = [
            ("voice.md", "\n- MAGIC: open with the turn.\n", "lead with the pivot"),
            ("examples.md", "\nOne more example that changes nothing.\n", "another example"),
        ]
        decisions = []
        for name, addition, idea in ideas:
            path = repo / "skills" / "imagine" / name
            path.write_text(path.read_text() + addition)
            git(*GIT_ID, "commit", "-qam", idea, cwd=repo)
            status = evaluate(idea)
            decisions.append(status)
            if status != "keep":
                git("reset", "-q", "--hard", "HEAD~1", cwd=repo)
        assert evaluate("nothing changed") == "same"

    assert decisions == ["keep", "discard"]
    skill = repo / "skills" / "imagine"
    assert "MAGIC" in (skill / "voice.md").read_text()
    assert "changes nothing" not in (skill / "examples.md").read_text()
    log = git("log", "--format=%s", cwd=repo)
    assert "lead with the pivot" in log and "another example" not in log
    with (repo / "results.tsv").open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert [r["status"] for r in rows] == ["baseline", "keep", "discard", "same"]
    assert float(rows[1]["delta"]) > 0 and float(rows[1]["score"]) > float(rows[0]["score"])
    assert rows[2]["description"] == "another example"
    assert len({r["harness"] for r in rows}) == 1


def test_eval_prints_greppable_lines_and_refuses_a_changed_harness(agent_repo, imagine):
    repo = agent_repo
    with OpenAIServer(World(imagine, [])) as server:
        args = ["eval", "--backend", "openai", "--base-url", server.url + "/v1", "--model", "m"]
        first = CliRunner().invoke(app, [*args, "--no-cache"])
        assert first.exit_code == 0, first.output
        keys = [line.split(":", 1)[0] for line in first.stdout.splitlines()]
        for key in ("score", "ci95", "noise", "status", "prompt_tokens", "cost_usd", "harness"):
            assert key in keys
        (repo / "topics" / "alpha.yaml").write_text(
            "title: Topic alpha\naudience: plant managers\nangle: it changed\ntarget_words: 300\n"
        )
        changed = CliRunner().invoke(app, args)
    assert changed.exit_code == 2
    message = " ".join(changed.stderr.split())
    assert "another harness" in message and "results.tsv" in message and "Fix:" in message


def test_agent_init_does_not_overwrite_a_program(agent_repo):
    (agent_repo / "program.md").write_text("mine")
    r = CliRunner().invoke(app, ["agent", "init"])
    assert r.exit_code == 2 and "--force" in r.stderr
    assert (agent_repo / "program.md").read_text() == "mine"
