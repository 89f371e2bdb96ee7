"""Anthropic Message Batches: the calls an evaluation makes together go as one batch, at half
the price, answered within minutes to hours instead of seconds.

An experiment starts all its drafts at once, so their writer calls arrive within a moment of
each other, and later their judge calls do too. Calls that arrive within `window_s` of the
first one are sent as one batch; the backend polls it (after 1 s, backing off to every
`poll_s` seconds) and hands each caller its own result.

- Partial failure: a request the batch reports as errored, expired or canceled (or that is
  missing from the results) is sent again on its own through the ordinary Messages API.
- Resume: a submitted batch's id is kept in $CONTENTLOOP_HOME/batches/, named by the exact
  set of requests. A run killed while waiting and resumed makes the same requests, finds
  that file and collects the same batch instead of paying for a second one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import anthropic

from ..atomic import write_text
from ..paths import home
from .anthropic_api import AnthropicBackend, _error
from .ledger import BATCH_PRICE
from .types import Request, Response


def custom_id(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:40]


def _settle(futures: list[asyncio.Future[Response]], outcome: Response | BaseException) -> None:
    """Hand every caller still waiting the same reply, or the same error."""
    for future in futures:
        if future.done():  # its caller gave up (cancelled)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class AnthropicBatchBackend(AnthropicBackend):
    # A call waits in a batch, not on a connection; a run's --concurrency limit skips it.
    waits_off_the_wire = True

    def __init__(
        self,
        model: str,
        *,
        window_s: float = 2.0,
        poll_s: float = 30.0,
        state_dir: Path | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **kwargs)
        self.window_s = window_s
        self.poll_s = poll_s
        self.state_dir = state_dir or home() / "batches"
        self._pending: list[tuple[Request, asyncio.Future[Response]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.batches_created = 0
        self.batches_resumed = 0
        self.resent = 0  # requests the batch failed that went again on their own

    async def acomplete(self, request: Request) -> Response:
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_after_window())
        return await future

    async def _flush_after_window(self) -> None:
        await asyncio.sleep(self.window_s)
        group, self._pending = self._pending, []
        try:
            await self._run_batch(group)
        except Exception as exc:  # noqa: BLE001 - every waiting caller gets the error
            error = _error(exc, self) if isinstance(exc, anthropic.APIError) else exc
            _settle([future for _, future in group], error)

    async def _run_batch(self, group: list[tuple[Request, asyncio.Future[Response]]]) -> None:
        started = time.perf_counter()
        items: dict[str, tuple[Request, dict[str, Any], list[asyncio.Future[Response]]]] = {}
        for request, future in group:
            params = self.params(request)
            # The sample index is not a Messages API parameter, but K samples are K calls.
            cid = custom_id({"params": params, "sample": request.sample})
            items.setdefault(cid, (request, params, []))[2].append(future)
        state = self.state_dir / f"{custom_id({'ids': sorted(items)})}.json"
        client = self.client()
        if state.exists():
            batch_id = json.loads(state.read_text(encoding="utf-8"))["id"]
            self.batches_resumed += 1
        else:
            created = await client.messages.batches.create(
                requests=[{"custom_id": cid, "params": p} for cid, (_, p, _) in items.items()]
            )
            batch_id = created.id
            self.batches_created += 1
            write_text(state, json.dumps({"id": batch_id, "custom_ids": sorted(items)}))
        wait = min(1.0, self.poll_s)  # small batches end fast; back off to poll_s for big ones
        while (await client.messages.batches.retrieve(batch_id)).processing_status != "ended":
            await asyncio.sleep(wait)
            wait = min(wait * 2, self.poll_s)
        done: set[str] = set()
        async for line in await client.messages.batches.results(batch_id):
            if line.custom_id not in items or line.result.type != "succeeded":
                continue
            response = self.response(line.result.message, started, price_factor=BATCH_PRICE)
            _settle(items[line.custom_id][2], response)
            done.add(line.custom_id)
        for cid, (request, _, futures) in items.items():
            if cid in done:
                continue
            self.resent += 1
            try:
                _settle(futures, await self._acomplete(request))
            except Exception as exc:  # noqa: BLE001 - handed to the caller that asked
                _settle(futures, exc)
        state.unlink(missing_ok=True)


def batched(backend: Any) -> Any:
    """The same Anthropic model and settings, sending through Message Batches (a judge
    panel: each member)."""
    from ..errors import ContentloopError
    from .panel import PanelBackend

    if isinstance(backend, PanelBackend):
        return PanelBackend([batched(m) for m in backend.members])

    if isinstance(backend, AnthropicBatchBackend):
        return backend
    if not isinstance(backend, AnthropicBackend):
        raise ContentloopError(
            f"--batch needs the anthropic backend; the {backend.name} backend has no batch API.",
            fix="drop --batch, or use --backend anthropic (and --judge-backend anthropic).",
        )
    return AnthropicBatchBackend(
        backend.model,
        api_key=backend.api_key,
        base_url=backend.base_url,
        timeout=backend.timeout,
        max_retries=backend.max_retries,
    )
