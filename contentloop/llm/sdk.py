"""What the two HTTP-SDK backends share: settings, cache identity, one client per event loop."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ..redact import clip, remember
from .ratelimit import Pacer
from .types import BackendError, SyncFromAsync

T = TypeVar("T")


def connection_detail(exc: BaseException) -> str:
    """What went wrong on the wire, for an SDK connection error (the SDKs put it in __cause__)."""
    cause = exc.__cause__
    text = str(cause or "").strip() or type(cause or exc).__name__
    return {"ConnectError": "connection refused", "ReadError": "connection reset"}.get(text, text)


class SDKBackend(SyncFromAsync):
    """Base for backends that wrap an official async SDK client (anthropic, openai)."""

    name = "sdk"
    key_env = ""  # the environment variable the SDK reads the key from

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 4,
    ) -> None:
        self.model = model
        self.api_key = api_key
        remember(api_key)
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        # Flipped off when the server rejects structured output, so it is asked only once.
        self.schema_supported = True
        self._clients: dict[int, Any] = {}
        self.pacer = Pacer()

    @property
    def cache_identity(self) -> dict[str, Any]:
        # Never the API key: it is a secret, and it does not change the answer.
        return {"backend": self.name, "model": self.model, "base_url": self.base_url}

    @property
    def tries(self) -> str:
        return f"after {self.max_retries} retries" if self.max_retries else "(retries off)"

    def make_client(self) -> Any:
        """A new async SDK client for the running event loop."""
        raise TypeError(f"{type(self).__name__} must define make_client()")

    def clip(self, text: str, limit: int = 300) -> str:
        """A server's text for a message: the key masked first, then shortened (see redact)."""
        return clip(text, limit)

    async def resend_garbled(self, send: Callable[[], Awaitable[T]], where: str) -> T:
        """Call `send`, again when the reply body is not JSON (cut off by a proxy or a dropped
        connection after the headers). The SDKs retry statuses and resets, not this."""
        for attempt in range(self.max_retries + 1):
            try:
                return await send()
            except json.JSONDecodeError as exc:
                detail = exc.msg
                if attempt < self.max_retries:
                    await asyncio.sleep(min(0.5 * 2**attempt, 8.0))
        raise BackendError(
            f"{where} sent a reply body that is not valid JSON ({detail}) {self.tries}; "
            "it was probably cut off in transit.",
            fix="retry later; if it keeps happening, check any proxy between you and the server.",
        )

    async def send(
        self,
        create: Callable[..., Awaitable[Any]],
        params: dict[str, Any],
        *,
        schema_key: str,
        rejected: type[Exception],
    ) -> Any:
        """`create(**params)` through the pacer. A server that rejects the structured-output
        parameter `schema_key` gets the request again without it (the judge parses and repairs
        prompt-only JSON), and is not sent that parameter again."""
        try:
            return await self.paced(lambda: create(**params))
        except rejected as exc:
            if schema_key not in params or schema_key not in str(exc).lower():
                raise
            self.schema_supported = False
            del params[schema_key]
            return await self.paced(lambda: create(**params))

    async def paced(self, send_raw: Callable[[], Awaitable[Any]]) -> Any:
        """Send through the pacer (which reads the reply's rate-limit headers), then parse."""
        async with self.pacer:
            raw = await send_raw()
            self.pacer.observe(raw.headers)
        parsed = raw.parse()
        return await parsed if inspect.isawaitable(parsed) else parsed

    async def aclose(self) -> None:
        """Close the client of the running event loop (before that loop ends)."""
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.close()

    def client(self) -> Any:
        # An async HTTP client belongs to the event loop it was first used in.
        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            self._clients[loop] = self.make_client()
        return self._clients[loop]
