"""A backend that answers from a script: for tests and demos of the loop logic.

    backend = ScriptedBackend(["first reply", "second reply"])
    backend = ScriptedBackend(lambda request: "a reply computed from the request")

Every request is recorded in `backend.requests`, so a test can read the exact prompt sent.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from .types import BackendError, Request, Response, Usage

Responder = Callable[[Request], str]


class ScriptedBackend:
    name = "scripted"

    def __init__(
        self, replies: Iterable[str | Exception] | Responder, model: str = "scripted"
    ) -> None:
        self.model = model
        self._fn: Responder | None = replies if callable(replies) else None
        self._queue: deque[str | Exception] = deque() if callable(replies) else deque(replies)
        self.requests: list[Request] = []

    @property
    def cache_identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model}

    def complete(self, request: Request) -> Response:
        self.requests.append(request)
        if self._fn is not None:
            reply: str | Exception = self._fn(request)
        elif self._queue:
            reply = self._queue.popleft()
        else:
            raise BackendError("the scripted backend has no replies left.")
        if isinstance(reply, Exception):
            raise reply
        words = sum(len(m.content.split()) for m in request.messages) + len(request.system.split())
        return Response(reply, self.name, self.model, Usage(words, len(reply.split())))

    async def acomplete(self, request: Request) -> Response:
        await asyncio.sleep(0)
        return self.complete(request)
