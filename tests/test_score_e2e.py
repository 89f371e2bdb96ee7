"""`contentloop score` end to end with a judge: Anthropic and OpenAI wire servers, and the
real embedded model."""

import json
from pathlib import Path

import pytest
from conftest import ROOT
from helpers import verdict
from typer.testing import CliRunner

from contentloop.cli import app
from contentloop.testing import AnthropicServer, OpenAIServer, Reply

EXAMPLE = str(ROOT / "drafts" / "example-private-5g.md")
KEY = "sk-ant-test-DO-NOT-LEAK-42"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def contract(card: dict) -> None:
    assert set(card) >= {"total", "binary", "judge", "rubric"}
    judge = card["judge"]
    assert set(judge) >= {"score", "max", "samples", "criteria"}
    for c in judge["criteria"]:
        assert set(c) >= {"name", "score", "stdev", "rationale"}
        assert 1 <= c["score"] <= 10
    assert judge["score"] == pytest.approx(sum(c["score"] for c in judge["criteria"]), abs=0.01)
    assert card["total"] == pytest.approx(card["binary"]["score"] + judge["score"], abs=0.01)
    assert 6 <= card["total"] <= 100


def test_score_with_anthropic_from_the_environment(imagine, monkeypatch, tmp_path):
    with AnthropicServer(lambda body: verdict(imagine, 7)) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        r = invoke("score", EXAMPLE, "--json", "--judge-samples", "2", "--no-cache")
        assert r.exit_code == 0, r.output
        card = json.loads(r.stdout)
        contract(card)
        assert (
            card["judge"]["backend"] == "anthropic" and card["judge"]["model"] == "claude-haiku-4-5"
        )
        assert card["judge"]["score"] == 42 and card["judge"]["samples"] == 2
        assert len(server.requests) == 2
        assert "demo model" not in r.stderr
    assert KEY not in r.output


def test_score_with_an_openai_compatible_server(imagine):
    with OpenAIServer(lambda body: verdict(imagine, [9, 8, 7, 6, 5, 4])) as server:
        r = invoke(
            "score",
            EXAMPLE,
            "--json",
            "--backend",
            "openai",
            "--base-url",
            server.url + "/v1",
            "--model",
            "qwen2.5:7b",
        )
        assert r.exit_code == 0, r.output
        card = json.loads(r.stdout)
        contract(card)
        assert card["judge"]["backend"] == "openai" and card["judge"]["score"] == 39
        assert server.requests[0].body["model"] == "qwen2.5:7b"


def test_judge_prose_reply_twice_exits_2_showing_the_reply(imagine):
    with OpenAIServer(lambda body: "What a lovely post about 5G!") as server:
        r = invoke(
            "score",
            EXAMPLE,
            "--no-cache",
            "--backend",
            "openai",
            "--base-url",
            server.url + "/v1",
            "--model",
            "m",
        )
    assert r.exit_code == 2
    assert "What a lovely post about 5G!" in r.stderr and "Traceback" not in r.output


def test_anthropic_without_a_key_exits_2():
    r = invoke("score", EXAMPLE, "--backend", "anthropic")
    assert r.exit_code == 2 and "ANTHROPIC_API_KEY" in r.stderr


def test_backend_error_exits_2(imagine, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    always_500 = Reply(status=500, text="boom", headers={"retry-after-ms": "10"})
    with AnthropicServer(lambda body: always_500) as server:
        r = invoke(
            "score", EXAMPLE, "--no-cache", "--backend", "anthropic", "--base-url", server.url
        )
    assert r.exit_code == 2 and "Anthropic failed (500) after 4 retries: boom" in r.stderr
    assert len(server.requests) == 5


def test_api_key_never_reaches_cache_ledger_or_output(imagine, monkeypatch, tmp_path):
    home = tmp_path / "home"
    monkeypatch.setenv("CONTENTLOOP_HOME", str(home))
    with AnthropicServer(lambda body: verdict(imagine, 6)) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        r = invoke("score", EXAMPLE, "--json", "--base-url", server.url, "--backend", "anthropic")
        assert r.exit_code == 0
    written = [p for p in Path(home).rglob("*") if p.is_file()]
    assert any("cache" in str(p) for p in written)
    for p in written:
        assert KEY.encode() not in p.read_bytes(), p
    assert KEY not in r.output


def test_the_embedded_judge_is_not_measured_unless_named(monkeypatch, tmp_path):
    """On a fresh machine (no key, no server) the score is the rule checks alone and says
    why; the demo judge's number is not passed off as a measurement."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("CONTENTLOOP_HOME", str(tmp_path))
    r = invoke("score", EXAMPLE, "--json")
    assert r.exit_code == 0, r.output
    card = json.loads(r.stdout)
    assert card["judge"] is None and card["judge_note"].startswith("not measured")
    assert card["total"] == card["binary"]["score"] and card["max"] == card["binary"]["max"]
    assert "model calls: 0" in " ".join(r.stderr.split())
    text = invoke("score", EXAMPLE)
    assert "judge: not measured" in " ".join(text.stdout.split())


@pytest.mark.slow
def test_embedded_model_end_to_end():
    """The real SmolLM2-135M through llama-cpp-python, as a judge when named: no key, no
    network, full 0-100 score."""
    r = invoke("score", EXAMPLE, "--json", "--judge-backend", "local")
    assert r.exit_code == 0, r.output
    card = json.loads(r.stdout)
    contract(card)
    assert card["judge"]["backend"] == "local" and card["judge"]["model"] == "smollm2-135m"
    assert r.stderr.count("demo model") == 1
    # Same draft again: answered from the cache, no model call.
    again = invoke("score", EXAMPLE, "--json", "--judge-backend", "local")
    assert json.loads(again.stdout) == card
    assert "model calls: 0 (1 answered from cache)" in " ".join(again.stderr.split())


@pytest.mark.slow
def test_embedded_model_concurrent_first_calls_keep_stdout(tmp_path):
    """K samples start concurrently; the model must load once and stdout must survive it."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "CONTENTLOOP_HOME": str(tmp_path)}
    cmd = [
        sys.executable,
        "-m",
        "contentloop.cli",
        "score",
        EXAMPLE,
        "--json",
        "--judge-samples",
        "3",
        "--judge-backend",
        "local",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    card = json.loads(proc.stdout)
    assert card["judge"]["samples"] == 3
    assert all(len(c["scores"]) == 3 for c in card["judge"]["criteria"])


def test_long_string_bounds_are_dropped_from_the_local_grammar():
    """A 6000-character maxLength crashed llama.cpp's grammar builder (segfault); the local
    backend must hand it a schema whose grammar builds."""
    from llama_cpp import LlamaGrammar

    from contentloop.llm.local import grammar_safe
    from contentloop.optimize.proposer import proposal_schema
    from contentloop.skill import load_skill

    schema = proposal_schema(load_skill(ROOT / "skills" / "imagine"))
    safe = grammar_safe(schema)
    assert "maxLength" not in safe["properties"]["new_text"]
    assert safe["properties"]["hypothesis"]["maxLength"] == 300  # short bounds stay
    assert schema["properties"]["new_text"]["maxLength"] == 6000  # the caller's schema is untouched
    LlamaGrammar.from_json_schema(json.dumps(safe), verbose=False)
