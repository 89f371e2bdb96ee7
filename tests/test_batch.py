"""Anthropic Message Batches through the real SDK against the wire server: one batch for calls
that arrive together, half price, a failed item resent alone, and a killed wait resumed."""

from __future__ import annotations

import asyncio

import pytest
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
