"""What the two HTTP-SDK backends share: settings, cache identity, one client per event loop."""

from __future__ import annotations

import asyncio
from typing import Any

from .types import SyncFromAsync


class SDKBackend(SyncFromAsync):
    """Base for backends that wrap an official async SDK client (anthropic, openai)."""

    name = "sdk"

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
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        # Flipped off when the server rejects structured output, so it is asked only once.
        self.schema_supported = True
        self._clients: dict[int, Any] = {}

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

    def client(self) -> Any:
        # An async HTTP client belongs to the event loop it was first used in.
        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            self._clients[loop] = self.make_client()
        return self._clients[loop]
