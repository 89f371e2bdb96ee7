"""A server on 127.0.0.1 that speaks the Anthropic Messages API (errors, prompt caching
and Message Batches included), for the real `anthropic` SDK."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from .wire import Reply, WireServer

_ANTHROPIC_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class AnthropicServer(WireServer):
    """POST /v1/messages, as https://docs.anthropic.com/en/api/messages describes it."""

    route = "/v1/messages"

    def __init__(self, *args: Any, cache_min_tokens: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Prompt caching as the API describes it: a system block marked cache_control of at
        # least `cache_min_tokens` is written to the cache by a request and can be read by
        # requests that arrive after that one has been answered (not by concurrent ones).
        # None: each model's documented minimum.
        self.cache_min_tokens = cache_min_tokens
        self.batches: dict[str, dict[str, Any]] = {}
        self._prompt_cache: dict[str, float] = {}  # prefix -> when it becomes readable

    # --- Message Batches: POST /v1/messages/batches, GET .../{id}, GET .../{id}/results --------
    batch_seconds = 0.5  # how long a batch stays in_progress

    def extra_route(
        self, method: str, path: str, body: dict[str, Any]
    ) -> tuple[int, bytes, str] | None:
        path = path.split("?", 1)[0]
        if method == "POST" and path.endswith("/v1/messages/batches"):
            batch_id = f"msgbatch_{uuid.uuid4().hex[:20]}"
            with self._lock:
                self.batches[batch_id] = {"requests": body["requests"], "at": time.monotonic()}
            return 200, json.dumps(self._batch(batch_id)).encode(), "application/json"
        m = re.search(r"/v1/messages/batches/([\w-]+)(/results)?$", path)
        if method != "GET" or not m or m.group(1) not in self.batches:
            return None
        if not m.group(2):
            return 200, json.dumps(self._batch(m.group(1))).encode(), "application/json"
        lines = []
        for item in self.batches[m.group(1)]["requests"]:
            reply = self._next(item["params"])
            if reply.status >= 400:
                result = {"type": "errored", "error": {"type": "error", **self.error_body(reply)}}
            else:
                result = {"type": "succeeded", "message": self.success_body(item["params"], reply)}
            lines.append(json.dumps({"custom_id": item["custom_id"], "result": result}))
        return 200, ("\n".join(lines) + "\n").encode(), "application/binary"

    def _batch(self, batch_id: str) -> dict[str, Any]:
        entry = self.batches[batch_id]
        ended = time.monotonic() - entry["at"] >= self.batch_seconds
        n = len(entry["requests"])
        stamp = "2026-11-22T00:00:00Z"
        return {
            "id": batch_id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": {
                "processing": 0 if ended else n,
                "succeeded": n if ended else 0,
                "errored": 0,
                "canceled": 0,
                "expired": 0,
            },
            "created_at": stamp,
            "expires_at": stamp,
            "ended_at": stamp if ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"{self.url}/v1/messages/batches/{batch_id}/results" if ended else None,
        }

    def _cache_usage(self, body: dict[str, Any], reply: Reply) -> tuple[int, int, int]:
        """(uncached input, cache read, cache write) tokens for a request."""
        system = body.get("system", "")
        blocks = system if isinstance(system, list) else [{"text": system}]
        # The text only: a cache_control marker is not billed as prompt tokens.
        texts = [b.get("text", "") for b in blocks]
        total = self.count_tokens(json.dumps(texts) + json.dumps(body.get("messages", [])))
        marked = "".join(b.get("text", "") for b in blocks if b.get("cache_control"))
        prefix = self.count_tokens(marked) if marked else 0
        minimum = self.cache_min_tokens
        if minimum is None:
            from ..llm.anthropic_api import cache_min_tokens

            minimum = cache_min_tokens(str(body.get("model", "")))
        if not marked or prefix < minimum:
            return total, 0, 0
        # Called as the answer goes out; the request arrived one latency earlier.
        now = time.monotonic()
        arrived = now - self.latency - reply.delay
        with self._lock:
            ready = self._prompt_cache.get(marked)
            hit = ready is not None and ready <= arrived
            if ready is None:
                self._prompt_cache[marked] = now
        return total - prefix, (prefix if hit else 0), (0 if hit else prefix)

    def success_body(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        uncached, read, written = self._cache_usage(body, reply)
        explicit = reply.cache_read_tokens or reply.cache_write_tokens
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude"),
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": reply.input_tokens if reply.input_tokens is not None else uncached,
                "output_tokens": reply.output_tokens
                if reply.output_tokens is not None
                else self.count_tokens(reply.text),
                "cache_read_input_tokens": reply.cache_read_tokens if explicit else read,
                "cache_creation_input_tokens": reply.cache_write_tokens if explicit else written,
            },
        }

    def error_body(self, reply: Reply) -> dict[str, Any]:
        kind = _ANTHROPIC_ERRORS.get(reply.status, "api_error")
        return {
            "type": "error",
            "error": {"type": kind, "message": reply.text or kind.replace("_", " ")},
        }
