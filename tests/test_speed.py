"""Speed and cost mechanics: rate-limit pacing, one call limit per run, prompt-cache warm-up,
and a repeated evaluation answered by the call cache. Timings are bounds on waits that the
code itself creates (a reset window, a serial call), never benchmarks."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from helpers import World, make_run

from contentloop.llm import CallCache, Client, CostLedger, Message, Request
from contentloop.llm.anthropic_api import AnthropicBackend
from contentloop.llm.openai_api import OpenAIBackend
from contentloop.llm.ratelimit import windows
from contentloop.optimize import Budget
from contentloop.optimize.samples import SampleBank, draw, skill_hash
from contentloop.testing import AnthropicServer, OpenAIServer, Reply

REQ = Request("You are terse.", (Message("user", "Say hi."),), max_tokens=5)


def test_rate_limit_headers_of_both_providers_are_read():
    now = time.time()
    reset = datetime.fromtimestamp(now + 30, UTC).isoformat().replace("+00:00", "Z")
    a = windows(
        {
            "anthropic-ratelimit-requests-remaining": "7",
            "anthropic-ratelimit-requests-reset": reset,
            "anthropic-ratelimit-tokens-remaining": "1200",
            "anthropic-ratelimit-tokens-reset": reset,
        },
        now=now,
    )
    assert a["requests"].remaining == 7 and a["requests"].reset_s == pytest.approx(30, abs=1)
    o = windows({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0.5s"})
    assert o["requests"].remaining == 0 and o["requests"].reset_s == pytest.approx(360.5)
    assert windows({"x-ratelimit-remaining-tokens": "9"}) == {}, "no reset time, no window"


def _reset_in(seconds: float) -> str:
    when = datetime.now(UTC) + timedelta(seconds=seconds)
    return when.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "wire,headers",
    [
        (
            "anthropic",
            lambda: {
                "anthropic-ratelimit-requests-remaining": "0",
                "anthropic-ratelimit-requests-reset": _reset_in(1.0),
            },
        ),
        (
            "openai",
            lambda: {"x-ratelimit-remaining-tokens": "50", "x-ratelimit-reset-tokens": "1s"},
        ),
    ],
)
def test_an_exhausted_window_holds_the_next_call_back_before_any_429(wire, headers):
    server_type = AnthropicServer if wire == "anthropic" else OpenAIServer
    with server_type(lambda body: "hi") as server:
        if wire == "anthropic":
            backend = AnthropicBackend("claude-haiku-4-5", api_key="k", base_url=server.url)
        else:
            backend = OpenAIBackend("m", api_key="k", base_url=server.url + "/v1")
        server.script(Reply("hi", headers=headers()))

        async def two():
            await backend.acomplete(REQ)
            await backend.acomplete(REQ)

        asyncio.run(two())
        first, second = server.requests
    assert second.time - first.time >= 0.8, "waited for the window to reset"
    assert backend.pacer.waits == 1


def test_a_window_with_room_does_not_slow_anything():
    with AnthropicServer(lambda body: "hi") as server:
        backend = AnthropicBackend("claude-haiku-4-5", api_key="k", base_url=server.url)
        server.script(
            Reply(
                "hi",
                headers={
                    "anthropic-ratelimit-requests-remaining": "500",
                    "anthropic-ratelimit-requests-reset": _reset_in(30),
                },
            )
        )

        async def two():
            await backend.acomplete(REQ)
            await backend.acomplete(REQ)

        asyncio.run(two())
    assert backend.pacer.waits == 0


@pytest.mark.parametrize("limit", [1, 3, 12])
def test_one_call_limit_bounds_every_call_of_an_experiment(repo, imagine, limit):  # noqa: F811
    with OpenAIServer(World(imagine, []), latency=0.05) as server:
        run = make_run(repo, server, imagine, budget=Budget(max_experiments=0), concurrency=limit)
        asyncio.run(run.run())
    # The baseline: two topics x two drafts, all started at once, so at most four calls at a
    # time, and never more than the limit.
    assert server.max_in_flight == min(limit, 4)


def long_system() -> str:
    return "Write in the house voice; keep sentences short and specific. " * 400  # ~6k tokens


def test_concurrent_calls_sharing_a_cacheable_prefix_warm_the_cache_first():
    with AnthropicServer(lambda body: "hi", latency=0.2) as server:
        backend = AnthropicBackend("claude-sonnet-4-6", api_key="k", base_url=server.url)
        req = Request(long_system(), (Message("user", "go"),), max_tokens=5)

        async def many():
            return await asyncio.gather(*(backend.acomplete(req) for _ in range(4)))

        replies = asyncio.run(many())
        times = sorted(s.time for s in server.requests)
    writes = [r.usage.cache_write_tokens for r in replies]
    reads = [r.usage.cache_read_tokens for r in replies]
    assert sum(1 for w in writes if w) == 1 and sum(1 for r in reads if r) == 3
    assert times[1] - times[0] >= 0.15, "the others waited for the first to write the cache"
    assert times[3] - times[1] < 0.15, "then went together"


def test_short_prefixes_are_not_held_back():
    with AnthropicServer(lambda body: "hi", latency=0.2) as server:
        backend = AnthropicBackend("claude-sonnet-4-6", api_key="k", base_url=server.url)

        async def many():
            return await asyncio.gather(*(backend.acomplete(REQ) for _ in range(4)))

        replies = asyncio.run(many())
    assert server.max_in_flight == 4
    assert all(r.usage.cache_write_tokens == 0 for r in replies), "too short to cache"


def test_a_repeated_evaluation_of_an_unchanged_skill_makes_no_calls(imagine, tmp_path):
    from conftest import ROOT

    from contentloop.judge import Judge
    from contentloop.skill import load_skill
    from contentloop.topic import load_topics

    skill = load_skill(ROOT / "skills" / "imagine")
    topics = load_topics(ROOT / "topics")[:3]
    with OpenAIServer(World(imagine, [])) as server:
        backend = OpenAIBackend("m", base_url=server.url + "/v1")
        ledger = CostLedger()
        cache = CallCache(tmp_path / "cache")
        writer = Client(backend, role="writer", cache=cache, ledger=ledger)
        judge = Judge(Client(backend, role="judge", cache=cache, ledger=ledger), imagine)
        # Two runs (two sample banks) measuring the same skill: the second is all cache hits.
        banks = [SampleBank(tmp_path / f"run{i}" / "samples.jsonl") for i in (1, 2)]
        for bank in banks:
            bank.path.parent.mkdir()

        def measure(bank):
            asyncio.run(
                draw(
                    bank,
                    skill,
                    topics,
                    imagine,
                    writer,
                    judge,
                    need=2,
                    role="baseline",
                    experiment=0,
                )
            )
            return bank.totals(skill_hash(skill), [t.slug for t in topics])

        first = measure(banks[0])
        made = len(server.requests)
        again = measure(banks[1])
        assert made >= 6 and len(server.requests) == made, "the second evaluation made no call"
    assert again == first
    assert writer.backend_calls + judge.client.backend_calls == made
