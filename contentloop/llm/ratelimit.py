"""Pacing from providers' rate-limit headers: stop sending before a 429, not only after.

Anthropic and OpenAI report what is left of the current window on every reply
(anthropic-ratelimit-{requests,tokens}-{remaining,reset}; x-ratelimit-{remaining,reset}-
{requests,tokens}). When a reply says a window is used up, or as good as used up given the
calls already in flight, new calls wait until that window resets. The SDKs still retry a
429 that happens anyway (another process sharing the key), honouring retry-after.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

# Enough tokens for one more typical call (a draft or a verdict); below this, wait.
TOKEN_HEADROOM = 4000


@dataclass
class Window:
    """What is left of one limit and when it resets (seconds from now)."""

    remaining: float
    reset_s: float


def _duration(text: str) -> float | None:
    """OpenAI's reset format: '1s', '6m0s', '20ms', '1h2m3.5s'."""
    total, found = 0.0, False
    for number, unit in re.findall(r"([\d.]+)\s*(ms|h|m|s)", text):
        found = True
        total += float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total if found else None


def _until(stamp: str, now: float) -> float | None:
    """Anthropic's reset format: an RFC 3339 time."""
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, when.timestamp() - now)


def windows(headers: Mapping[str, str], now: float | None = None) -> dict[str, Window]:
    """The request and token windows a reply's headers describe (either provider's names)."""
    now = time.time() if now is None else now
    h = {k.lower(): v for k, v in headers.items()}
    out: dict[str, Window] = {}
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        remaining = h.get(f"anthropic-ratelimit-{kind}-remaining") or h.get(
            f"x-ratelimit-remaining-{kind}"
        )
        reset = None
        if f"anthropic-ratelimit-{kind}-reset" in h:
            reset = _until(h[f"anthropic-ratelimit-{kind}-reset"], now)
        elif f"x-ratelimit-reset-{kind}" in h:
            reset = _duration(h[f"x-ratelimit-reset-{kind}"])
        if remaining is not None and reset is not None:
            try:
                out[kind] = Window(float(remaining), reset)
            except ValueError:
                continue
    return out


class Pacer:
    """Holds new calls back while a provider's window is used up. One per backend object."""

    def __init__(self) -> None:
        self.not_before = 0.0  # time.monotonic() before which no new call starts
        self.in_flight = 0
        self.waits = 0  # how many calls were held back (shown in benches and tests)

    async def __aenter__(self) -> Pacer:
        delay = self.not_before - time.monotonic()
        if delay > 0:
            self.waits += 1
            await asyncio.sleep(delay)
        self.in_flight += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.in_flight -= 1

    def observe(self, headers: Mapping[str, str]) -> None:
        """Update from a reply's headers (called while its call still counts as in flight)."""
        for kind, w in windows(headers).items():
            # Requests: the other calls in flight may not be counted yet and will spend one
            # each. Tokens: leave room for one more typical call.
            need = self.in_flight if kind == "requests" else TOKEN_HEADROOM
            if w.remaining < need:
                self.not_before = max(self.not_before, time.monotonic() + w.reset_s)
