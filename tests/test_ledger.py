"""Cost ledger: tokens and USD per call from the price table; cached answers cost nothing."""

import json

import pytest

from contentloop.llm import CostLedger, Response, Usage
from contentloop.llm.ledger import price_for


def test_price_by_exact_model_id_never_by_prefix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert price_for("anthropic", "claude-haiku-4-5")["input"] == 1.0
    # claude-opus-4-6 starts like claude-opus-4 but costs a third of it.
    assert price_for("anthropic", "claude-opus-4-6")["input"] == 5.0
    assert price_for("anthropic", "claude-opus-4-0")["input"] == 15.0
    assert price_for("anthropic", "claude-sonnet-4-6-preview") is None
    assert price_for("openai", "llama3.1:8b") is None


def test_prices_from_contentloop_toml_add_and_override(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "contentloop.toml").write_text(
        '[prices.openai."llama3.1:8b"]\ninput = 0.2\noutput = 0.6\n\n'
        '[prices.anthropic."claude-haiku-4-5"]\ninput = 0.5\noutput = 2.5\n'
    )
    assert price_for("openai", "llama3.1:8b") == {"input": 0.2, "output": 0.6}
    assert price_for("anthropic", "claude-haiku-4-5")["input"] == 0.5


def test_a_bad_price_in_contentloop_toml_names_the_field(tmp_path, monkeypatch):
    from contentloop.errors import ContentloopError

    monkeypatch.chdir(tmp_path)
    (tmp_path / "contentloop.toml").write_text('[prices.openai."m"]\ninput = -1\noutput = 1\n')
    with pytest.raises(ContentloopError) as info:
        price_for("openai", "m")
    assert "prices.openai.m.input" in str(info.value)


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


def test_each_call_record_is_fsynced_before_record_returns(tmp_path, monkeypatch):
    import os

    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    ledger = CostLedger(tmp_path / "calls.jsonl")
    ledger.record("writer", Response("x", "local", "smollm2-135m", Usage(10, 5)))
    assert synced == [str(tmp_path / "calls.jsonl")]


def test_a_record_is_one_model_per_kind_and_refuses_a_status_its_kind_cannot_have():
    from pydantic import ValidationError

    from contentloop.optimize.records import (
        ExperimentRecord,
        VerifyRecord,
        make_record,
        parse_record,
    )

    common = dict(
        experiment=1, commit="c", skill="s", best_commit="c", best_skill="s",
        timestamp="t", description="d", harness_sha256="h",
    )  # fmt: skip
    assert isinstance(make_record(kind="experiment", status="discard", **common), ExperimentRecord)
    assert isinstance(
        parse_record({"kind": "verify", "status": "rollback", **common}), VerifyRecord
    )
    with pytest.raises(ValidationError) as err:
        make_record(
            kind="verify", status="discard", **common
        )  # the drift guard keeps or rolls back
    assert err.value.errors()[0]["loc"] == ("status",)
    with pytest.raises(ValidationError):
        make_record(kind="baseline", status="explore", **common)
