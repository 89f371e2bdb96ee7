"""Cost ledger: tokens and USD per call from the price table; cached answers cost nothing."""

import json

import pytest

from contentloop.llm import CostLedger, Response, Usage
from contentloop.llm.ledger import price_for


def test_price_by_exact_name_then_longest_prefix():
    assert price_for("anthropic", "claude-haiku-4-5")["input"] == 1.0
    assert (
        price_for("anthropic", "claude-sonnet-4-6")["output"] == 15.0
    )  # via prefix claude-sonnet-4
    assert price_for("openai", "llama3.1:8b") is None


def test_cost_per_call_and_totals(tmp_path):
    ledger = CostLedger(tmp_path / "calls.jsonl")
    usage = Usage(
        input_tokens=1_000, output_tokens=500, cache_read_tokens=10_000, cache_write_tokens=2_000
    )
    rec = ledger.record("judge", Response("x", "anthropic", "claude-haiku-4-5", usage, seconds=1.2))
    # 1000 x $1 + 500 x $5 + 10000 x $0.10 + 2000 x $1.25, per million tokens
    assert rec.cost_usd == pytest.approx((1000 + 2500 + 1000 + 2500) / 1e6)
    ledger.record("judge", Response("x", "anthropic", "claude-haiku-4-5", usage, cached=True))
    totals = ledger.totals()
    assert totals["calls"] == 1 and totals["cached_calls"] == 1
    assert totals["cost_usd"] == pytest.approx(0.007)
    assert totals["input_tokens"] == 1_000  # the cached answer's tokens are not counted again
    lines = (tmp_path / "calls.jsonl").read_text().splitlines()
    assert [json.loads(x)["cached"] for x in lines] == [False, True]


def test_unknown_price_is_null_not_zero():
    ledger = CostLedger()
    ledger.record("writer", Response("x", "openai", "mystery-model", Usage(10, 10)))
    assert ledger.totals()["cost_usd"] is None
