"""Anthropic Message Batches through the real SDK against the wire server: one batch for calls
that arrive together, half price, a failed item resent alone, and a killed wait resumed."""

from __future__ import annotations

import asyncio

import pytest
from conftest import ROOT
from helpers import World

from contentloop.llm import CostLedger, Message, Request
from contentloop.llm.anthropic_api import AnthropicBackend
from contentloop.llm.batch import AnthropicBatchBackend
from contentloop.testing import AnthropicServer, Reply


def ask(i: int) -> Request:
    return Request("You answer briefly.", (Message("user", f"question {i}"),), max_tokens=20)


def batch_backend(server, tmp_path, **kw) -> AnthropicBatchBackend:
    kw = {"window_s": 0.1, "poll_s": 0.05, **kw}
    return AnthropicBatchBackend(
        "claude-haiku-4-5", api_key="k", base_url=server.url, state_dir=tmp_path, **kw
    )


def answer(body):
    return "answer to " + body["messages"][0]["content"]


async def gather(backend, n):
    return await asyncio.gather(*(backend.acomplete(ask(i)) for i in range(n)))


def test_calls_that_arrive_together_go_as_one_batch_at_half_price(tmp_path):
    with AnthropicServer(answer) as server:
        backend = batch_backend(server, tmp_path)
        replies = asyncio.run(gather(backend, 5))
        direct = AnthropicBackend("claude-haiku-4-5", api_key="k", base_url=server.url)
        single = direct.complete(ask(0))
    assert [r.text for r in replies] == [f"answer to question {i}" for i in range(5)]
    assert backend.batches_created == 1 and backend.resent == 0
    assert [s.path for s in server.requests][0] == "/v1/messages/batches"
    ledger = CostLedger()
    batched, full = ledger.record("judge", replies[0]), ledger.record("judge", single)
    assert batched.cost_usd == pytest.approx(full.cost_usd / 2)
    assert list(tmp_path.iterdir()) == [], "the batch's resume file is gone once collected"


def test_an_item_the_batch_failed_is_sent_again_on_its_own(tmp_path):
    def flaky(body):
        if body["messages"][0]["content"] == "question 2" and not flaky.failed:
            flaky.failed = True
            return Reply(status=500, text="overloaded inside the batch")
        return answer(body)

    flaky.failed = False
    with AnthropicServer(flaky) as server:
        backend = batch_backend(server, tmp_path)
        replies = asyncio.run(gather(backend, 4))
        paths = [s.path for s in server.requests]
    assert [r.text for r in replies] == [f"answer to question {i}" for i in range(4)]
    assert backend.resent == 1 and paths == ["/v1/messages/batches", "/v1/messages"]
    assert replies[2].price_factor == 1.0 and replies[0].price_factor == 0.5


def test_repeat_samples_of_one_request_are_separate_batch_items(tmp_path):
    """K samples are K calls (as in the call cache), not one answer shared K ways."""
    from dataclasses import replace

    with AnthropicServer(answer) as server:
        backend = batch_backend(server, tmp_path)

        async def samples():
            return await asyncio.gather(
                *(backend.acomplete(replace(ask(0), sample=k)) for k in range(3))
            )

        asyncio.run(samples())
        (batch,) = server.batches.values()
    assert len(batch["requests"]) == 3


def test_a_run_stopped_while_waiting_collects_the_same_batch_on_resume(tmp_path):
    with AnthropicServer(answer) as server:
        server.batch_seconds = 1.0
        first = batch_backend(server, tmp_path)

        async def give_up_early():
            task = asyncio.ensure_future(gather(first, 3))
            await asyncio.sleep(0.4)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(give_up_early())
        assert first.batches_created == 1 and len(list(tmp_path.iterdir())) == 1
        second = batch_backend(server, tmp_path)
        replies = asyncio.run(gather(second, 3))
        assert len(server.batches) == 1, "no second batch was paid for"
    assert second.batches_created == 0 and second.batches_resumed == 1
    assert [r.text for r in replies] == [f"answer to question {i}" for i in range(3)]


@pytest.mark.slow
def test_optimize_skill_batch_flag(repo, imagine, monkeypatch, tmp_path):  # noqa: F811
    from test_secrets import as_openai
    from typer.testing import CliRunner

    from contentloop.cli import app

    monkeypatch.chdir(repo)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    args = ["optimize-skill", "--topics", "topics", "--max-experiments", "0", "--batch"]
    r = CliRunner().invoke(
        app,
        [
            *args,
            "--tag",
            "o",
            "--backend",
            "openai",
            "--model",
            "m",
            "--base-url",
            "http://127.0.0.1:9/v1",
        ],
    )
    assert r.exit_code == 2 and "--batch needs the anthropic backend" in r.stderr
    with AnthropicServer(as_openai(World(imagine, []))) as server:
        server.batch_seconds = 0.1
        r = CliRunner().invoke(
            app, [*args, "--tag", "b", "--backend", "anthropic", "--base-url", server.url]
        )
        assert r.exit_code == 0, r.output
        # Baseline: one batch of all its drafts, then one batch of their verdicts.
        assert len(server.batches) == 2
        assert [s.path for s in server.requests].count("/v1/messages") == 0
    meta = (repo / "runs" / "b" / "run.json").read_text()
    assert '"batch": true' in meta


def test_batched_calls_are_not_held_to_the_call_limit(repo, imagine, tmp_path):  # noqa: F811
    """--concurrency bounds calls on the wire. A batched draft waits in its batch, not on the
    wire: holding a slot while it waits would split one evaluation into several batches."""
    from test_secrets import as_openai

    from contentloop.optimize import Budget, GatePlan, OptimizeRun
    from contentloop.topic import load_topics

    with AnthropicServer(as_openai(World(imagine, []))) as server:
        server.batch_seconds = 0.1
        batches = batch_backend(server, tmp_path / "batches")
        run = OptimizeRun.new(
            repo / "skills" / "imagine",
            load_topics(repo / "topics"),
            imagine,
            writer=batches,
            judge=batches,
            optimizer=AnthropicBackend("claude-haiku-4-5", api_key="k", base_url=server.url),
            run_dir=repo / "runs" / "b",
            tag="b",
            repeats=2,
            budget=Budget(max_experiments=0),
            concurrency=1,
            batch=True,
            gate=GatePlan(best_min=2, best_ratio=2.0),
        )
        asyncio.run(run.run())
    # A baseline of 2 topics x 2 drafts per stage x 2: one batch of 8 drafts, then one batch
    # of their 8 verdicts, not split by --concurrency 1. The scripted writer's drafts of a
    # topic are the same text, yet each is judged afresh: verdicts are never shared between
    # drafts (samples.judge_set).
    assert [len(b["requests"]) for b in server.batches.values()] == [8, 8]


def reviser(rubric):
    """Anthropic wire: the first draft is BAD, every revision GOOD; the judge likes GOODMARK."""
    from helpers import BAD, GOOD, role_of, verdict
    from test_secrets import as_openai

    def world(body):
        user = body["messages"][-1]["content"]
        if role_of(body) == "judge":
            return verdict(rubric, 9 if "GOODMARK" in user else 5)
        # Each topic's drafts differ (identical requests would rightly share one batch item).
        topic = "beta" if "beta" in user else "alpha"
        return (GOOD if user.startswith("Revise this draft") else BAD) + f"\nOn {topic}.\n"

    return as_openai(world)


def write_args(server, out, *extra):
    return [
        "write",
        *("--topics", str(out.parent / "topics"), "--out", str(out), "--cycles", "1"),
        *("--backend", "anthropic", "--base-url", server.url, "--model", "claude-haiku-4-5"),
        *extra,
    ]


@pytest.mark.slow
def test_write_batch_sends_each_step_of_every_topic_as_one_batch(repo, imagine, monkeypatch):  # noqa: F811
    import json

    from typer.testing import CliRunner

    from contentloop.cli import app
    from contentloop.write_confirm import ROUNDS

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    out = repo / "drafts"
    with AnthropicServer(reviser(imagine)) as server:
        server.batch_seconds = 0.1
        r = CliRunner().invoke(app, write_args(server, out, "--batch", "--no-cache", "--json"))
        assert r.exit_code == 0, r.output
        sizes = [len(b["requests"]) for b in server.batches.values()]
        direct = [s.path for s in server.requests].count("/v1/messages")
    # Two topics in step: v0's drafts, their verdicts, the revisions, their verdicts, then the
    # confirmation's fresh verdicts of v0 and v1 (all rounds at once), each step one batch.
    assert sizes == [2, 2, 2, 2, 2 * 2 * ROUNDS] and direct == 0
    runs = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(runs) == 2 and all(run["batch"] for run in runs)
    assert all(run["best_version"] == 1 and run["confirmed_improvement"] for run in runs)


def test_write_batch_refuses_a_backend_without_a_batch_api(tmp_path):
    from typer.testing import CliRunner

    from contentloop.cli import app

    topic = tmp_path / "t.yaml"
    topic.write_text((ROOT / "topics" / "private-5g.yaml").read_text())
    args = ["write", "--topic", str(topic), "--out", str(tmp_path / "d"), "--batch"]
    args += ["--backend", "openai", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2 and "--batch needs the anthropic backend" in r.stderr
    assert not (tmp_path / "d").exists(), "nothing written before the refusal"


def test_write_dry_run_prices_a_batch_at_half(tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from contentloop.cli import app

    monkeypatch.chdir(tmp_path)
    topic = tmp_path / "t.yaml"
    topic.write_text((ROOT / "topics" / "private-5g.yaml").read_text())
    args = ["write", "--topic", str(topic), "--dry-run", "--json"]
    args += ["--backend", "anthropic", "--model", "claude-sonnet-4-5"]
    full = json.loads(CliRunner().invoke(app, args).stdout)
    r = CliRunner().invoke(app, [*args, "--batch"])
    half = json.loads(r.stdout)
    assert half["batch"] and not full["batch"]
    assert half["cost_usd_max"] == pytest.approx(full["cost_usd_max"] / 2, abs=1e-4)
    text = CliRunner().invoke(app, [a for a in args if a != "--json"] + ["--batch"]).stdout
    assert "Message Batches: half the list price" in text
    local = CliRunner().invoke(app, ["write", "--topic", str(topic), "--dry-run", "--batch"])
    assert local.exit_code == 2 and "--batch needs the anthropic backend" in local.stderr


@pytest.mark.slow
def test_a_killed_write_batch_run_again_pays_for_no_batch_twice(repo, imagine, tmp_path):  # noqa: F811
    """Run the same command again: calls already answered come from the cache, and the batch
    that was in progress is collected, not sent again."""
    from contentloop.llm import CallCache
    from contentloop.skill import load_skill
    from contentloop.topic import load_topics
    from contentloop.writer import write_many

    topics = load_topics(repo / "topics")
    skill = load_skill(repo / "skills" / "imagine")
    cache = CallCache(tmp_path / "cache")

    def attempt(server, seconds):
        backend = batch_backend(server, tmp_path / "batches")

        async def go():
            return await asyncio.wait_for(
                write_many(
                    topics,
                    skill,
                    imagine,
                    writer_backend=backend,
                    judge_backend=backend,
                    cache=cache,
                    out_root=tmp_path / "drafts",
                    cycles=1,
                    concurrency=len(topics),
                ),
                seconds,
            )

        return backend, asyncio.run(go())

    with AnthropicServer(reviser(imagine)) as server:
        server.batch_seconds = 0.6
        with pytest.raises(TimeoutError):
            attempt(server, 1.0)  # v0's drafts collected, their verdicts' batch still running
        sent = len(server.batches)
        second, results = attempt(server, 60)
    assert sent == 2 and second.batches_resumed == 1
    assert [len(b["requests"]) for b in server.batches.values()] == [2, 2, 2, 2, 16]
    assert all(r.best.version == 1 for r in results)


def test_optimize_dry_run_prices_drafts_and_verdicts_at_the_batch_price(repo, monkeypatch):  # noqa: F811
    import json

    from typer.testing import CliRunner

    from contentloop.cli import app

    monkeypatch.chdir(repo)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    args = ["optimize-skill", "--topics", "topics", "--dry-run", "--json", "--max-experiments"]
    args += ["10", "--backend", "anthropic", "--model", "claude-sonnet-4-5"]
    full = json.loads(CliRunner().invoke(app, args).stdout)
    r = CliRunner().invoke(app, [*args, "--batch"])
    batch = json.loads(r.stdout)
    # The proposals go direct at the list price: a little over half in all.
    assert full["cost_usd"] / 2 < batch["cost_usd"] < full["cost_usd"] * 0.6
    assert batch["batch"] and "at the Message Batches price" in r.stderr
