"""Every model call goes through here: the cache first, then the backend, then the ledger."""

from __future__ import annotations

import asyncio
import contextlib

from ..faults import crash_point
from .cache import CallCache, cache_key
from .ledger import CostLedger
from .types import Backend, Request, Response


class Client:
    """A backend with its role ("writer", "judge"), the shared cache and the shared ledger."""

    def __init__(
        self,
        backend: Backend,
        *,
        role: str,
        cache: CallCache | None = None,
        ledger: CostLedger | None = None,
        limit: asyncio.Semaphore | None = None,
    ) -> None:
        self.backend = backend
        self.role = role
        self.cache = cache  # None: --no-cache
        self.ledger = ledger if ledger is not None else CostLedger()
        self.backend_calls = 0
        # Shared by every client of a run (writer, judge, optimizer): one bound on calls in
        # flight, so all calls of an experiment can be started at once. Cache hits skip it.
        self.limit = limit

    async def acall(self, request: Request) -> Response:
        key = cache_key(self.backend.cache_identity, request) if self.cache else ""
        response = self.cache.get(key) if self.cache else None
        if response is None:
            self.backend_calls += 1
            # A backend whose calls wait off the wire (queued in a batch for minutes or hours)
            # takes no slot: holding one would let only `limit` calls into each batch.
            off_wire = getattr(self.backend, "waits_off_the_wire", False)
            async with self.limit if self.limit and not off_wire else contextlib.nullcontext():
                response = await self.backend.acomplete(request)
            crash_point("call")
            if self.cache:
                self.cache.put(key, response)
        self.ledger.record(self.role, response)
        return response
