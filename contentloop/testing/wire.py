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
import socket
import struct
import threading
import time
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
