"""Any OpenAI-compatible Chat Completions server (Ollama, vLLM, llama.cpp server, LM Studio)."""

from __future__ import annotations

import os
import time
from typing import Any

import openai

from .sdk import SDKBackend, connection_detail
from .types import BackendError, Request, Response, Usage


class OpenAIBackend(SDKBackend):
    name = "openai"
    key_env = "OPENAI_API_KEY"

    def make_client(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            # Local servers ignore the key but the SDK insists on one.
            api_key=self.api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )

    async def acomplete(self, request: Request) -> Response:
        started = time.perf_counter()
        messages = [{"role": "system", "content": request.system}] + [
            {"role": m.role, "content": m.content} for m in request.messages
        ]
        params: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "seed": request.sample,
        }
        if request.json_schema is not None and self.schema_supported:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": request.json_schema},
            }

        try:
            # Servers without structured output (many local ones) reject response_format.
            reply = await self.resend_garbled(
                lambda: self.send(
                    self.client().chat.completions.with_raw_response.create,
                    params,
                    schema_key="response_format",
                    rejected=openai.BadRequestError,
                ),
                self.base_url or "the OpenAI API",
            )
        except openai.APIError as exc:
            raise _error(exc, self) from None
        choice = reply.choices[0] if reply.choices else None
        text = (choice.message.content or "") if choice else ""
        u = reply.usage
        cached = 0
        if u is not None and u.prompt_tokens_details is not None:
            cached = u.prompt_tokens_details.cached_tokens or 0
        usage = Usage(
            input_tokens=(u.prompt_tokens - cached) if u else 0,
            output_tokens=u.completion_tokens if u else 0,
            cache_read_tokens=cached,
        )
        return Response(
            text, self.name, reply.model or self.model, usage, seconds=time.perf_counter() - started
        )


def _error(exc: openai.APIError, backend: OpenAIBackend) -> BackendError:
    where = backend.base_url or "the OpenAI API"
    tries = backend.tries
    if isinstance(exc, openai.AuthenticationError):
        return BackendError(f"{where} rejected the API key (401).", fix="set OPENAI_API_KEY.")
    if isinstance(exc, openai.APITimeoutError):
        return BackendError(
            f"{where} did not answer within {backend.timeout:g} s {tries}.",
            fix="check the server is running, or raise --timeout.",
        )
    if isinstance(exc, openai.APIConnectionError):
        return BackendError(
            f"cannot reach {where}, or it hung up mid-reply, {tries} ({connection_detail(exc)}).",
            fix="start the server (e.g. `ollama serve`) and check --base-url (it usually ends in /v1).",
        )
    if isinstance(exc, openai.NotFoundError):
        return BackendError(
            f"{where} does not know model {backend.model!r} (404).",
            fix="pass a model the server has (e.g. `ollama list`) with --model.",
        )
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        detail = backend.clip(str(body.get("message") or exc.message))
        status = exc.status_code
        fix = (
            "retry later or lower --concurrency."
            if status in (429, 529) or status >= 500
            else "check --model and --base-url; the server's message above says what it rejected."
        )
        return BackendError(f"{where} answered {status} {tries}: {detail}", fix=fix)
    return BackendError(backend.clip(f"call to {where} failed: {exc}", 600))
