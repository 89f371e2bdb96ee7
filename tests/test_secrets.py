"""API keys never reach ledgers, caches, drafts, reports or messages: every file a full run
writes, and everything it prints, is searched for the key it was given."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import World, edit
from typer.testing import CliRunner

from contentloop.cli import app
from contentloop.llm import BackendError, Message, Request
from contentloop.llm.anthropic_api import AnthropicBackend
from contentloop.llm.openai_api import OpenAIBackend
from contentloop.testing import AnthropicServer, OpenAIServer, Reply

KEY = "sk-ant-api03-LEAKCHECK-0123456789abcdef"


def as_openai(world):
    """World speaks the OpenAI body shape; the Anthropic wire puts the system prompt apart."""

    def responder(body):
        system = "".join(b["text"] for b in body["system"])
        return world({"messages": [{"role": "system", "content": system}, *body["messages"]]})

    return responder


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def test_a_full_write_and_optimize_run_never_writes_or_prints_the_key(
    repo,  # noqa: F811
    imagine,
    tmp_path,
    monkeypatch,
):
    home = tmp_path / "home"
    monkeypatch.setenv("CONTENTLOOP_HOME", str(home))
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.chdir(repo)
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    world = World(imagine, [edit("voice", voice + "\n- MAGIC\n", "magic")])
    outputs = []
    with AnthropicServer(as_openai(world)) as server:
        common = ["--backend", "anthropic", "--base-url", server.url, "--model", "claude-haiku-4-5"]
        for args in (
            ["write", "--topic", "topics/alpha.yaml", "--cycles", "1", "--out", "drafts"],
            ["optimize-skill", "--topics", "topics", "--tag", "s", "--max-experiments", "1"],
            ["score", "drafts", "--json", "--judge-backend", "anthropic"],
        ):
            extra = common if args[0] != "score" else ["--judge-base-url", server.url]
            r = CliRunner().invoke(app, [*args, *extra], catch_exceptions=False)
            assert r.exit_code == 0, r.output
            outputs.append(r.output)
        sent = [s.headers for s in server.requests]
    assert any(KEY in h.get("authorization", "") + h.get("x-api-key", "") for h in sent), (
        "the key was really used"
    )
    written = files_under(home, repo / "drafts", repo / "runs")
    kinds = {p.name for p in written}
    assert {"run.json", "experiments.jsonl", "results.tsv", "summary.json"} <= kinds
    assert any(p.suffix == ".json" and "cache" in p.parts for p in written)
    for p in written:
        assert KEY.encode() not in p.read_bytes(), p
    for text in outputs:
        assert KEY not in text


@pytest.mark.parametrize("status", [400, 401, 500])
def test_a_server_that_echoes_the_key_in_an_error_does_not_get_it_printed(status):
    req = Request("s", (Message("user", "u"),), max_tokens=5)
    for server_type, make in (
        (AnthropicServer, lambda s: AnthropicBackend("m", api_key=KEY, base_url=s.url)),
        (OpenAIServer, lambda s: OpenAIBackend("m", api_key=KEY, base_url=s.url + "/v1")),
    ):
        with server_type(lambda body: "x") as server:
            server.script(*[Reply(status=status, text=f"bad key {KEY} sent")] * 5)
            backend = make(server)
            backend.max_retries = 0
            with pytest.raises(BackendError) as info:
                backend.complete(req)
        assert KEY not in str(info.value), str(info.value)
