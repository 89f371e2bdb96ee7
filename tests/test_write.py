"""`contentloop write`: the refine loop against a scripted writer and judge served over HTTP in
the OpenAI wire format (the real openai SDK on the client side)."""

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT
from helpers import BAD, GOOD, TOPIC, WORSE, Script, role_of, run_write, the_run, verdict
from typer.testing import CliRunner

from contentloop.cli import app
from contentloop.testing import OpenAIServer, Reply
from contentloop.write_confirm import ROUNDS


def test_violations_and_weakest_criterion_reach_the_revision(imagine, tmp_path):
    script = Script(imagine, [BAD, GOOD])
    with OpenAIServer(script) as server:
        r = run_write(server, tmp_path, "--cycles", "1")
    assert r.exit_code == 0, r.output
    revision = script.writer_requests[1]["messages"][-1]["content"]
    assert "<draft>" in revision and "Plants leverage Wi-Fi everywhere!" in revision
    assert (
        "banned_terms" in revision
        and 'line 3: "leverage" -> try: use / apply / build on' in revision
    )
    assert "exclamation" in revision and "lead_pivot" in revision
    assert "lead_quality (3/10)" in revision and "weak because lead_quality" in revision
    assert revision.index("banned_terms") < revision.index("lead_quality")  # rule failures first
    folder = the_run(tmp_path)
    assert (folder / "final.md").read_text() == GOOD
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "done" and run["best_version"] == 1
    assert [v["kept"] for v in run["versions"]] == [True, True]
    assert run["versions"][1]["asked"]["criteria"][0] == "lead_quality"
    assert run["versions"][1]["total"] > run["versions"][0]["total"]
    assert run["writer"] == {"backend": "openai", "model": "writer-m"}
    assert run["judge"]["model"] == "judge-m"
    for name in ("v0.md", "v0.score.json", "v1.md", "v1.score.json", "final.md", "run.json"):
        assert (folder / name).exists(), name
    assert (
        json.loads((folder / "v1.score.json").read_text())["total"] == run["versions"][1]["total"]
    )
    # 2 drafts and their 2 verdicts, then v0 and v1 judged again: 4 fresh verdicts each.
    assert run["tokens"]["output_tokens"] > 0 and run["calls"] == 4 + 2 * ROUNDS
    conf = run["confirmation"]
    assert conf["candidate"] == 1 and conf["final"] == 1 and conf["rounds"] == ROUNDS
    gain = conf["candidate_mean"] - conf["v0_mean"]
    assert run["confirmed_improvement"]["mean"] == pytest.approx(gain, abs=0.01) and gain > 0
    # `runs` and the draft report carry the confirmed figure, not only the raw scores.
    rows = CliRunner().invoke(app, ["runs", "--drafts", str(tmp_path), "--json"]).stdout
    (row,) = [json.loads(x) for x in rows.splitlines()]
    assert row["confirmed"] == run["confirmed_improvement"]["mean"]
    report = CliRunner().invoke(app, ["report", str(folder)]).stdout
    assert "confirmed improvement over v0" in report
    assert "confirmed improvement over v0" in r.stdout  # the terminal summary of write


def test_a_worse_revision_is_not_kept(imagine, tmp_path):
    script = Script(imagine, [BAD, WORSE])
    with OpenAIServer(script) as server:
        r = run_write(server, tmp_path, "--cycles", "1")
    assert r.exit_code == 0
    folder = the_run(tmp_path)
    run = json.loads((folder / "run.json").read_text())
    assert run["versions"][1]["total"] < run["versions"][0]["total"]
    assert [v["kept"] for v in run["versions"]] == [True, False]
    assert (folder / "final.md").read_text() == BAD and run["best_version"] == 0
    assert (folder / "v1.md").read_text() == WORSE  # kept on disk for review, not as final


def test_stops_early_at_the_target(imagine, tmp_path):
    script = Script(imagine, [GOOD])
    with OpenAIServer(script) as server:
        r = run_write(server, tmp_path, "--cycles", "3", "--target", "90")
    assert r.exit_code == 0
    run = json.loads((the_run(tmp_path) / "run.json").read_text())
    assert len(script.writer_requests) == 1 and len(run["versions"]) == 1
    assert run["stop_reason"].startswith("target 90 reached")


def test_stops_when_a_cycle_changes_nothing(imagine, tmp_path):
    script = Script(imagine, [BAD, BAD, BAD])
    with OpenAIServer(script) as server:
        r = run_write(server, tmp_path, "--cycles", "3")
    assert r.exit_code == 0
    run = json.loads((the_run(tmp_path) / "run.json").read_text())
    assert len(script.writer_requests) == 2
    assert run["stop_reason"] == "a cycle changed nothing" and run["versions"][1]["kept"] is False


def test_failing_backend_mid_run_keeps_what_was_written(imagine, tmp_path):
    down = Reply(status=500, text="writer exploded", headers={"retry-after-ms": "5"})
    script = Script(imagine, [BAD] + [down] * 5)
    with OpenAIServer(script) as server:
        r = run_write(server, tmp_path, "--cycles", "2")
    assert r.exit_code == 2
    stderr = " ".join(r.stderr.split())
    assert "writer exploded" in stderr and "run.json says where it stopped" in stderr
    folder = the_run(tmp_path)
    assert (folder / "v0.md").read_text() == BAD and (folder / "final.md").read_text() == BAD
    assert json.loads((folder / "v0.score.json").read_text())["judge"] is not None
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "failed" and run["stop_reason"] == "stopped while working on v1"
    assert "writer exploded" in run["error"] and len(run["versions"]) == 1
    assert not (folder / "v1.md").exists()


def test_write_all_topics_concurrently_json(imagine, tmp_path):
    topics = tmp_path / "topics"
    topics.mkdir()
    for slug in ("alpha", "beta"):
        (topics / f"{slug}.yaml").write_text(
            f"title: Topic {slug}\naudience: plant managers\nangle: it matters\ntarget_words: 300\n"
        )
    with OpenAIServer(
        lambda body: verdict(imagine, 9) if role_of(body) == "judge" else GOOD
    ) as server:
        args = [
            "write",
            "--topics",
            str(topics),
            "--out",
            str(tmp_path / "out"),
            "--json",
            "--no-cache",
            "--backend",
            "openai",
            "--base-url",
            server.url + "/v1",
            "--model",
            "m",
            "--concurrency",
            "2",
        ]
        r = CliRunner().invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    runs = [json.loads(line) for line in r.stdout.strip().splitlines()]
    assert sorted(Path(x["topic"]).stem for x in runs) == ["alpha", "beta"]
    assert all(
        (tmp_path / "out" / Path(x["topic"]).stem / x["run_id"] / "final.md").exists() for x in runs
    )


@pytest.mark.parametrize(
    "setup,message",
    [
        (lambda d: (d / "t.yaml").write_text("audience: x y z\nangle: a b c\n"), "field title"),
        (
            lambda d: (d / "t.yaml").write_text(
                "title: A title\naudience: x y z\nangle: a b c\nwords: 3\n"
            ),
            "field words: unknown key",
        ),
    ],
)
def test_bad_topic_files_exit_2(tmp_path, setup, message):
    setup(tmp_path)
    r = CliRunner().invoke(
        app, ["write", "--topic", str(tmp_path / "t.yaml")], catch_exceptions=False
    )
    assert r.exit_code == 2 and message in " ".join(r.stderr.split())


def test_missing_skill_section_exits_2(tmp_path):
    import shutil

    skill = tmp_path / "myskill"
    shutil.copytree(ROOT / "skills" / "imagine", skill)
    (skill / "voice.md").unlink()
    r = CliRunner().invoke(
        app, ["write", "--topic", TOPIC, "--skill", str(skill)], catch_exceptions=False
    )
    assert r.exit_code == 2
    assert "voice.md: section 'voice' is listed in skill.yaml but its file is missing" in " ".join(
        r.stderr.split()
    )


def test_skill_show_prints_prompt_and_tokens():
    r = CliRunner().invoke(app, ["skill", "show", "imagine", "--json"], catch_exceptions=False)
    data = json.loads(r.stdout)
    assert data["sections"] == ["voice", "vocabulary", "structure", "examples", "final_check"]
    assert "# Vocabulary" in data["prompt"] and "leverage" in data["prompt"]
    assert 300 < data["tokens"] < len(data["prompt"])  # real tokens: fewer than characters


def test_a_rejected_revision_is_not_replayed_from_the_cache(imagine, tmp_path, monkeypatch):
    """With the cache on, the cycle after a rejected revision must make a fresh writer call."""
    monkeypatch.setenv("CONTENTLOOP_HOME", str(tmp_path / "home"))
    script = Script(imagine, [BAD, WORSE, GOOD])
    with OpenAIServer(script) as server:
        args = [
            "write",
            "--topic",
            TOPIC,
            "--out",
            str(tmp_path),
            "--cycles",
            "2",
            "--json",
            "--backend",
            "openai",
            "--base-url",
            server.url + "/v1",
            "--model",
            "w",
        ]
        r = CliRunner().invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    run = json.loads(r.stdout)
    assert len(script.writer_requests) == 3
    assert [v["kept"] for v in run["versions"]] == [True, False, True]
    assert (the_run(tmp_path) / "final.md").read_text() == GOOD


def test_dry_run_says_the_most_it_can_cost_and_calls_nothing(imagine, tmp_path):
    """Issue 21: there was no cost estimate before a real-model write."""
    topics = tmp_path / "topics"
    topics.mkdir()
    for slug in ("alpha", "beta", "gamma"):
        (topics / f"{slug}.yaml").write_text(
            f"title: Topic {slug}\naudience: plant managers\nangle: it matters\ntarget_words: 300\n"
        )
    seen: list[dict] = []
    with OpenAIServer(lambda body: (seen.append(body), GOOD)[1]) as server:
        out = tmp_path / "out"
        r = run_write(server, out, "--cycles", "2", "--dry-run", "--json", topics=topics)
        text = run_write(server, out, "--cycles", "2", "--dry-run", topics=topics)
    assert r.exit_code == 0 and text.exit_code == 0, r.output + text.output
    assert seen == [] and not (tmp_path / "out").exists()
    plan = json.loads(r.stdout)
    assert plan["versions_max"] == 9 and plan["writer_calls_max"] == 9  # 3 topics x (1 + 2)
    # 9 verdicts, and per topic v0 and the best revision judged ROUNDS more times each.
    assert plan["confirm_judge_calls_max"] == 3 * 2 * ROUNDS
    assert plan["judge_calls_max"] == 9 + 3 * 2 * ROUNDS and plan["output_tokens_max"] > 9 * 300
    assert plan["cost_usd_max"] is None  # model "m" has no price
    assert "cost unknown" in text.stdout and "Nothing was called" in text.stdout
    assert "only if its fresh mean is above v0's" in " ".join(text.stdout.split())


def test_write_says_what_it_used_calls_tokens_cost_time(imagine, tmp_path):
    """Issue 21: write printed no calls, tokens, cost or time."""
    topics = tmp_path / "topics"
    topics.mkdir()
    (topics / "alpha.yaml").write_text(
        "title: Topic alpha\naudience: plant managers\nangle: it matters\ntarget_words: 300\n"
    )
    with OpenAIServer(
        lambda body: verdict(imagine, 9) if role_of(body) == "judge" else GOOD
    ) as server:
        r = run_write(server, tmp_path / "out", "--cycles", "2", topics=topics)
    assert r.exit_code == 0, r.output
    flat = " ".join(r.stdout.split())
    assert re.search(
        r"\d+ model calls, [\d,]+ input \+ [\d,]+ output tokens, cost unknown, \d+ s", flat
    )


def test_dry_run_prices_an_api_model_without_a_key(monkeypatch):
    """A cost is worth reading before a key is set: the dry run builds no backend."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    r = CliRunner().invoke(
        app, ["write", "--topic", TOPIC, "--backend", "anthropic", "--dry-run", "--json"]
    )
    assert r.exit_code == 0, r.output
    plan = json.loads(r.stdout)
    assert plan["writer"] == "anthropic:claude-sonnet-4-6" and plan["cost_usd_max"] > 0


def test_dry_run_prices_every_member_of_a_judge_panel_without_keys(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    panel = "anthropic:claude-haiku-4-5,openai:q@http://127.0.0.1:9/v1"
    r = CliRunner().invoke(
        app, ["write", "--topic", TOPIC, "--judge-panel", panel, "--dry-run", "--json"]
    )
    assert r.exit_code == 0, r.output
    plan = json.loads(r.stdout)
    assert plan["judge"] == "anthropic:claude-haiku-4-5, openai:q"
    assert plan["judge_calls_max"] == 2 * (plan["versions_max"] + 2 * ROUNDS)


class LuckyOnce(Script):
    """The judge likes a revision marked LUCKY on its first verdict only: fresh verdicts
    (other sample indices) score it below v0."""

    def __call__(self, body):
        user = body["messages"][-1]["content"]
        if role_of(body) == "judge" and "LUCKY" in user:
            return verdict(self.rubric, 9 if body.get("seed", 0) == 0 else 4)
        return super().__call__(body)


def test_a_revision_that_won_on_one_lucky_verdict_is_not_the_final(imagine, tmp_path):
    lucky = BAD + "\nLUCKY: one more paragraph.\n"
    with OpenAIServer(LuckyOnce(imagine, [BAD, lucky])) as server:
        r = run_write(server, tmp_path, "--cycles", "1")
    assert r.exit_code == 0, r.output
    folder = the_run(tmp_path)
    run = json.loads((folder / "run.json").read_text())
    # The cycle's single verdict ranked v1 first ...
    assert run["versions"][1]["total"] > run["versions"][0]["total"]
    # ... fresh verdicts, interleaved with v0's, did not: the final is v0, as written.
    conf = run["confirmation"]
    assert conf["candidate"] == 1 and conf["final"] == 0 and conf["gain"]["mean"] < 0
    assert run["best_version"] == 0 and run["confirmed_improvement"] is None
    assert (folder / "final.md").read_text() == BAD
    assert "final is v0" in r.stdout and "not better than v0" in r.stdout


class Perfect(Script):
    """The judge gives every criterion its top score (10) to a draft with GOODMARK."""

    def __call__(self, body):
        if role_of(body) == "judge" and "GOODMARK" in body["messages"][-1]["content"]:
            return verdict(self.rubric, 10)
        return super().__call__(body)


def test_a_draft_with_nothing_left_to_fix_stops_the_cycles(imagine, tmp_path):
    script = Perfect(imagine, [GOOD, BAD])  # GOOD fails no check (40/40)
    with OpenAIServer(script) as server:
        r = run_write(server, tmp_path, "--cycles", "3", "--target", "100")
    assert r.exit_code == 0, r.output
    run = json.loads((the_run(tmp_path) / "run.json").read_text())
    assert len(run["versions"]) == 1 and len(script.writer_requests) == 1
    assert (
        run["stop_reason"]
        == "nothing left to fix: no check failed and every criterion is at its top"
    )
    assert run["confirmation"] is None  # no revision: nothing to confirm, no extra verdicts
