"""Anthropic Messages API through the official SDK.

Retries (429, 529, 5xx, timeouts, with backoff that honours retry-after) are the SDK's own:
`max_retries` and `timeout` configure them, so there is one retry policy, not two.

The 2.x SDK has no `temperature` parameter, so `Request.temperature` is not sent; repeat
judge samples differ by the model's own sampling. A JSON schema is sent as structured output
(`output_config.format`); a server that rejects it gets the prompt-only request instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from typing import Any

import anthropic

from .sdk import SDKBackend, connection_detail
from .types import BackendError, Request, Response, Usage

# The shortest prefix each model caches, from Anthropic's prompt-caching docs (checked
# 2026-11; models not listed: 1024). Data, not logic: correct it here if the docs change.
CACHE_MIN_TOKENS = [
    ("claude-opus-4-6", 4096),
    ("claude-opus-4-5", 4096),
    ("claude-haiku-4-5", 4096),
    ("claude-3-5-haiku", 2048),
    ("claude-3-haiku", 2048),
    ("claude-sonnet-4-6", 2048),
]


def cache_min_tokens(model: str) -> int:
    """The shortest system prompt, in tokens, that `model` writes to its prompt cache."""
    return next((n for prefix, n in CACHE_MIN_TOKENS if model.startswith(prefix)), 1024)


class AnthropicBackend(SDKBackend):
    name = "anthropic"
    key_env = "ANTHROPIC_API_KEY"

    def __init__(self, model: str, *, prompt_cache: bool = True, **kwargs: Any) -> None:
        # api_key None: the SDK reads ANTHROPIC_API_KEY; base_url None: ANTHROPIC_BASE_URL.
        key = kwargs.get("api_key") or os.environ.get("ANTHROPIC_API_KEY")
        if not (key or os.environ.get("ANTHROPIC_AUTH_TOKEN")):
            raise BackendError(
                "the anthropic backend needs an API key.",
                fix="set ANTHROPIC_API_KEY, or drop --backend anthropic to use another backend.",
            )
        super().__init__(model, **kwargs)
        self.prompt_cache = prompt_cache  # off only to measure what caching saves (bench/)
        self._warming: dict[tuple[int, str], asyncio.Event] = {}

    def make_client(self) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )

    def cacheable(self, system: str) -> bool:
        """Whether a system prompt is long enough for this model's prompt cache (estimated at
        4 characters per token; shorter prefixes are billed in full whatever they are marked)."""
        return self.prompt_cache and len(system) / 4 >= cache_min_tokens(self.model)

    async def acomplete(self, request: Request) -> Response:
        # Concurrent calls cannot read a cache entry that none of them has written yet: each
        # would pay the 1.25x cache-write price. So the first call with a new cacheable system
        # prompt goes alone, and the calls that share it wait for it (one latency, once per
        # prefix) and then read the prefix at a tenth of the price.
        if not self.cacheable(request.system):
            return await self._acomplete(request)
        loop = id(asyncio.get_running_loop())
        key = (loop, hashlib.sha256(request.system.encode()).hexdigest())
        first = self._warming.get(key)
        if first is not None:
            await first.wait()
            return await self._acomplete(request)
        self._warming[key] = asyncio.Event()
        try:
            return await self._acomplete(request)
        finally:
            self._warming[key].set()

    def params(self, request: Request) -> dict[str, Any]:
        """The Messages API parameters for a request (also a batch item's `params`)."""
        # The system prompt (skill, rubric, judge instructions) is the long stable prefix:
        # mark it for prompt caching so repeat calls read it at the cached rate.
        system: list[dict[str, Any]] = [{"type": "text", "text": request.system}]
        if self.prompt_cache:
            system[0]["cache_control"] = {"type": "ephemeral"}
        params: dict[str, Any] = {
            "model": self.model,
            "system": system,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens,
        }
        if request.json_schema is not None and self.schema_supported:
            params["output_config"] = {
                "format": {"type": "json_schema", "schema": request.json_schema}
            }
        return params

    def response(self, msg: Any, started: float, price_factor: float = 1.0) -> Response:
        text = "".join(getattr(block, "text", "") for block in msg.content)
        u = msg.usage
        usage = Usage(
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            cache_read_tokens=getattr(u, "cache_read_input_tokens", None) or 0,
            cache_write_tokens=getattr(u, "cache_creation_input_tokens", None) or 0,
        )
        return Response(
            text,
            self.name,
            msg.model or self.model,
            usage,
            seconds=time.perf_counter() - started,
            price_factor=price_factor,
        )

    async def _acomplete(self, request: Request) -> Response:
        started = time.perf_counter()
        params = self.params(request)

        try:
            msg = await self.resend_garbled(
                lambda: self.send(
                    self.client().messages.with_raw_response.create,
                    params,
                    schema_key="output_config",
                    rejected=anthropic.BadRequestError,
                ),
                "Anthropic",
            )
        except anthropic.APIError as exc:
            raise _error(exc, self) from None
        return self.response(msg, started)


def _error(exc: anthropic.APIError, backend: AnthropicBackend) -> BackendError:
    tries = backend.tries
    if isinstance(exc, anthropic.AuthenticationError):
        return BackendError(
            "Anthropic rejected the API key (401).",
            fix="set ANTHROPIC_API_KEY to a valid key, or pick another backend with --backend.",
        )
    if isinstance(exc, anthropic.APITimeoutError):
        return BackendError(
            f"Anthropic did not answer within {backend.timeout:g} s {tries}.",
            fix="retry later, or raise the timeout with --timeout.",
        )
    if isinstance(exc, anthropic.APIConnectionError):
        return BackendError(
            f"cannot reach the Anthropic API, or it hung up mid-reply, {tries} "
            f"({connection_detail(exc)}).",
            fix="check the network and ANTHROPIC_BASE_URL.",
        )
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        what = {429: "rate limited", 529: "overloaded", 400: "rejected the request"}.get(
            status, "failed"
        )
        detail = backend.clip(_detail(exc))
        fix = (
            "retry later or lower --concurrency." if status in (429, 529) or status >= 500 else None
        )
        return BackendError(f"Anthropic {what} ({status}) {tries}: {detail}", fix=fix)
    return BackendError(backend.clip(f"Anthropic call failed: {exc}", 600))


def _detail(exc: anthropic.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    err = body.get("error") if isinstance(body.get("error"), dict) else {}
    return str(err.get("message") or exc.message)
