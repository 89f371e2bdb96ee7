"""A server on 127.0.0.1 that speaks the OpenAI Chat Completions API, for the real `openai`
SDK and any OpenAI-compatible client."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from .wire import Reply, WireServer


class OpenAIServer(WireServer):
    """POST /v1/chat/completions, the OpenAI Chat Completions wire format."""

    route = "/chat/completions"

    def __init__(self, *args: Any, json_schema_supported: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.json_schema_supported = json_schema_supported

    def _next(self, body: dict[str, Any]) -> Reply:
        if not self.json_schema_supported and "response_format" in body:
            return Reply(status=400, text="response_format is not supported by this server")
        return super()._next(body)

    def success_body(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        prompt = json.dumps(body.get("messages", []))
        prompt_tokens = (
            reply.input_tokens if reply.input_tokens is not None else self.count_tokens(prompt)
        )
        completion = (
            reply.output_tokens
            if reply.output_tokens is not None
            else self.count_tokens(reply.text)
        )
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens + reply.cache_read_tokens,
                "completion_tokens": completion,
                "total_tokens": prompt_tokens + reply.cache_read_tokens + completion,
                "prompt_tokens_details": {"cached_tokens": reply.cache_read_tokens},
            },
        }

    def error_body(self, reply: Reply) -> dict[str, Any]:
        kinds = {429: "rate_limit_exceeded", 400: "invalid_request_error", 404: "model_not_found"}
        return {
            "error": {
                "message": reply.text or f"error {reply.status}",
                "type": kinds.get(reply.status, "server_error"),
                "param": None,
                "code": kinds.get(reply.status),
            }
        }
