"""HTTP servers on 127.0.0.1 that speak the Anthropic Messages API and the OpenAI Chat
Completions API, so the real SDKs can be tested (and benchmarked) without a network.

    with AnthropicServer(lambda body: "a reply") as server:
        server.script(Reply(status=429, headers={"retry-after": "1"}))  # next reply first
        AnthropicBackend("claude-x", base_url=server.url, api_key="k")...
        server.requests  # every request: path, headers, JSON body, time

Replies come from the scripted queue first, then from the responder function.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], "str | Reply"]


@dataclass
class Reply:
    """One scripted answer: a text (200), or an error status, with optional delay."""

    text: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw_body: bytes | None = None  # send exactly these bytes (e.g. a reply cut off mid-JSON)
    reset: bool = False  # close the connection with a TCP RST instead of answering
    truncate: bool = False  # announce the whole body's length, send half, hang up
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    time: float


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client killed mid-request (the SIGKILL tests do this on purpose) resets the
        # connection; that is expected, not worth a traceback. Anything else is printed.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class WireServer(ABC):
    """Base: a threaded HTTP server, a reply queue, and a log of what it was sent."""

    route = "/"

    def __init__(self, responder: Responder | None = None, latency: float = 0.0) -> None:
        self.responder = responder or (lambda body: "ok")
        self.latency = latency
        self.requests: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests being answered at one time
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def __enter__(self) -> WireServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- wire format, per API ---------------------------------------------------------------
    @abstractmethod
    def success_body(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]: ...

    @abstractmethod
    def error_body(self, reply: Reply) -> dict[str, Any]: ...

    def extra_route(
        self, method: str, path: str, body: dict[str, Any]
    ) -> tuple[int, bytes, str] | None:
        """(status, body, content type) for routes beyond the main one; None: not handled."""
        return None

    @staticmethod
    def count_tokens(text: str) -> int:
        return max(1, len(text) // 4)  # the usual rule of thumb for English

    # --- plumbing ---------------------------------------------------------------------------
    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            queued = self._queue.popleft() if self._queue else None
        if queued is not None:
            return queued
        answer = self.responder(body)
        return answer if isinstance(answer, Reply) else Reply(text=answer)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:
                    return  # the client died mid-request (the SIGKILL tests do this)
                body = json.loads(raw or b"{}")
                with server._lock:
                    server.requests.append(
                        Seen(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.monotonic(),
                        )
                    )
                extra = server.extra_route("POST", self.path, body)
                if extra is not None:
                    return self._send_bytes(extra[0], extra[1], {}, content_type=extra[2])
                if not self.path.endswith(server.route):
                    return self._send(404, {"error": {"message": f"no route {self.path}"}}, {})
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer(body)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                extra = server.extra_route("GET", self.path, {})
                if extra is None:
                    return self._send(404, {"error": {"message": f"no route {self.path}"}}, {})
                return self._send_bytes(extra[0], extra[1], {}, content_type=extra[2])

            def _answer(self, body: dict[str, Any]) -> None:
                reply = server._next(body)
                delay = reply.delay + server.latency
                if delay:
                    time.sleep(delay)
                if reply.reset:
                    return self._reset()
                if reply.truncate:
                    data = json.dumps(server.success_body(body, reply)).encode()
                    self.close_connection = True
                    return self._send_bytes(200, data, reply.headers, cut=len(data) // 2)
                if reply.raw_body is not None:
                    return self._send_bytes(reply.status, reply.raw_body, reply.headers)
                if reply.status >= 400:
                    return self._send(reply.status, server.error_body(reply), reply.headers)
                return self._send(200, server.success_body(body, reply), reply.headers)

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                self._send_bytes(status, json.dumps(payload).encode(), headers)

            def _reset(self) -> None:
                # SO_LINGER 0: close() sends RST, which the client sees as "connection reset".
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()

            def _send_bytes(
                self,
                status: int,
                data: bytes,
                headers: dict[str, str],
                cut: int | None = None,
                content_type: str = "application/json",
            ) -> None:
                try:
                    self.send_response(status)
                    self.send_header("content-type", content_type)
                    self.send_header("content-length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data if cut is None else data[:cut])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to tell it

        return Handler


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
