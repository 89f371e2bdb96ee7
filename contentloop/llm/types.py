"""What every backend takes and returns."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from ..errors import ContentloopError


@dataclass(frozen=True)
class Message:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Request:
    """One model call. `sample` makes K repeat samples K distinct calls (and cache entries)."""

    system: str
    messages: tuple[Message, ...]
    max_tokens: int = 1024
    temperature: float = 0.7
    json_schema: dict[str, Any] | None = None
    sample: int = 0

    def key_material(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass
class Response:
    text: str
    backend: str
    model: str
    usage: Usage = field(default_factory=Usage)
    cached: bool = False
    seconds: float = 0.0
    price_factor: float = 1.0  # 0.5 for Message Batches: the same tokens at half price


class BackendError(ContentloopError):
    """A model call failed after the retries it deserved."""


@runtime_checkable
class Backend(Protocol):
    """A model provider. Implement `acomplete`; `complete` is the blocking twin.

    Optional: `waits_off_the_wire = True` for a backend whose calls queue on the provider's
    side (Message Batches); Client then leaves them out of its call limit."""

    name: str
    model: str

    @property
    def cache_identity(self) -> dict[str, Any]:
        """What distinguishes this backend's answers (never a secret)."""
        ...

    async def acomplete(self, request: Request) -> Response: ...

    def complete(self, request: Request) -> Response: ...


class SyncFromAsync:
    """Mixin: a blocking `complete` for backends whose real work is async."""

    def complete(self, request: Request) -> Response:
        async def once() -> Response:
            try:
                return await self.acomplete(request)  # type: ignore[attr-defined]
            finally:
                # Its HTTP client dies with this event loop; closing it here keeps the garbage
                # collector from scheduling the close on whatever loop runs next.
                close = getattr(self, "aclose", None)
                if close is not None:
                    await close()

        return asyncio.run(once())
