"""Backend adapters: the real anthropic and openai SDKs over HTTP to servers on 127.0.0.1."""

import asyncio

import pytest

from contentloop.llm import BackendError, Message, Request
from contentloop.llm.anthropic_api import AnthropicBackend
from contentloop.llm.openai_api import OpenAIBackend
from contentloop.testing import AnthropicServer, OpenAIServer, Reply

KEY = "sk-test-SECRET-1234567890"
REQ = Request("You are terse.", (Message("user", "Say hi."),), max_tokens=50, temperature=0.0)


@pytest.fixture
def anthropic_server():
    with AnthropicServer(lambda body: "hello") as server:
        yield server


@pytest.fixture
def openai_server():
    with OpenAIServer(lambda body: "hello") as server:
        yield server


def claude(server, **kw) -> AnthropicBackend:
    kw.setdefault("max_retries", 2)
    return AnthropicBackend("claude-haiku-4-5", api_key=KEY, base_url=server.url, **kw)


def oai(server, **kw) -> OpenAIBackend:
    kw.setdefault("max_retries", 2)
    return OpenAIBackend("llama3.1:8b", api_key=KEY, base_url=server.url + "/v1", **kw)


# --- Anthropic -------------------------------------------------------------------------------


def test_anthropic_normal_reply_usage_and_prompt_caching(anthropic_server):
    anthropic_server.script(
        Reply("hi there", input_tokens=12, output_tokens=3, cache_read_tokens=900)
    )
    resp = claude(anthropic_server).complete(REQ)
    assert resp.text == "hi there" and resp.backend == "anthropic"
    assert (resp.usage.input_tokens, resp.usage.output_tokens, resp.usage.cache_read_tokens) == (
        12,
        3,
        900,
    )
    (seen,) = anthropic_server.requests
    # SDK 2.x sends the key as a bearer token; 1.x used x-api-key.
    assert KEY in (
        seen.headers.get("x-api-key"),
        seen.headers.get("authorization", "").removeprefix("Bearer "),
    )
    assert seen.body["system"] == [
        {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}
    ]
    assert seen.body["messages"] == [{"role": "user", "content": "Say hi."}]
    assert seen.body["max_tokens"] == 50


def test_anthropic_model_without_structured_output_falls_back():
    def answer(body):
        if "output_config" in body:
            return Reply(status=400, text="output_config.format: not supported for this model")
        return '{"a": 1}'

    with AnthropicServer(answer) as server:
        backend = claude(server)
        req = Request("sys", (Message("user", "x"),), json_schema={"type": "object"})
        assert backend.complete(req).text == '{"a": 1}'
        assert backend.complete(req).text == '{"a": 1}'
        bodies = [r.body for r in server.requests]
    assert "output_config" in bodies[0] and "output_config" not in bodies[1]
    assert "output_config" not in bodies[2], "the fallback is remembered"


def test_anthropic_429_waits_for_retry_after(anthropic_server):
    anthropic_server.script(Reply(status=429, headers={"retry-after": "1"}))
    assert claude(anthropic_server).complete(REQ).text == "hello"
    first, second = anthropic_server.requests
    assert second.time - first.time >= 0.95  # the SDK honoured retry-after, not its 0.5 s backoff


@pytest.mark.parametrize("status", [529, 500])
def test_anthropic_retries_overloaded_and_server_errors(anthropic_server, status):
    anthropic_server.script(Reply(status=status))
    assert claude(anthropic_server).complete(REQ).text == "hello"
    assert len(anthropic_server.requests) == 2


def test_anthropic_gives_up_with_a_clear_error(anthropic_server):
    anthropic_server.script(*[Reply(status=529, headers={"retry-after": "0"})] * 3)
    with pytest.raises(BackendError, match=r"overloaded \(529\) after 2 retries.*Fix: retry later"):
        claude(anthropic_server).complete(REQ)
    assert len(anthropic_server.requests) == 3


def test_anthropic_timeout(anthropic_server):
    anthropic_server.script(Reply("late", delay=2.0))
    with pytest.raises(BackendError, match="did not answer within 0.3 s"):
        claude(anthropic_server, timeout=0.3, max_retries=0).complete(REQ)


def test_anthropic_bad_key_message_never_shows_the_key(anthropic_server):
    anthropic_server.script(Reply(status=401, text=f"invalid x-api-key {KEY[:6]}..."))
    with pytest.raises(BackendError) as info:
        claude(anthropic_server).complete(REQ)
    assert "ANTHROPIC_API_KEY" in str(info.value) and KEY not in str(info.value)


def test_anthropic_async_concurrent_calls(anthropic_server):
    backend = claude(anthropic_server)

    async def many():
        return await asyncio.gather(*(backend.acomplete(REQ) for _ in range(5)))

    assert [r.text for r in asyncio.run(many())] == ["hello"] * 5
    assert len(anthropic_server.requests) == 5


# --- OpenAI-compatible -----------------------------------------------------------------------


def test_openai_normal_reply_with_json_schema(openai_server):
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    req = Request("sys", (Message("user", "x"),), json_schema=schema, sample=3)
    openai_server.script(Reply('{"a": 1}', input_tokens=20, output_tokens=5, cache_read_tokens=8))
    resp = oai(openai_server).complete(req)
    assert resp.text == '{"a": 1}'
    assert (resp.usage.input_tokens, resp.usage.cache_read_tokens, resp.usage.output_tokens) == (
        20,
        8,
        5,
    )
    body = openai_server.requests[0].body
    assert body["messages"][0] == {"role": "system", "content": "sys"}
    assert body["response_format"]["json_schema"]["schema"] == schema
    assert body["seed"] == 3
    assert openai_server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_openai_server_without_structured_output_falls_back():
    with OpenAIServer(lambda body: '{"a": 1}', json_schema_supported=False) as server:
        backend = oai(server)
        req = Request("sys", (Message("user", "x"),), json_schema={"type": "object"})
        assert backend.complete(req).text == '{"a": 1}'
        assert backend.complete(req).text == '{"a": 1}'
        bodies = [r.body for r in server.requests]
    assert "response_format" in bodies[0] and "response_format" not in bodies[1]
    assert "response_format" not in bodies[2], "the fallback is remembered"


def test_openai_429_with_retry_after_then_500(openai_server):
    openai_server.script(Reply(status=429, headers={"retry-after": "1"}), Reply(status=500))
    assert oai(openai_server).complete(REQ).text == "hello"
    first, second, third = openai_server.requests
    assert second.time - first.time >= 0.95


def test_openai_timeout_and_unknown_model(openai_server):
    openai_server.script(Reply("late", delay=2.0))
    with pytest.raises(BackendError, match="did not answer within 0.3 s"):
        oai(openai_server, timeout=0.3, max_retries=0).complete(REQ)
    openai_server.script(Reply(status=404, text="model 'llama3.1:8b' not found"))
    with pytest.raises(BackendError, match=r"does not know model 'llama3.1:8b'.*ollama list"):
        oai(openai_server).complete(REQ)


def test_openai_unreachable_server():
    backend = OpenAIBackend("m", base_url="http://127.0.0.1:9/v1", max_retries=0, timeout=2)
    with pytest.raises(BackendError, match=r"cannot reach http://127.0.0.1:9/v1.*--base-url"):
        backend.complete(REQ)
