"""The cost ledger: tokens and USD for every call, from a price table kept as data."""

from __future__ import annotations

import functools
import threading
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from ..atomic import append_line
from .types import Response

_MILLION = 1_000_000
BATCH_PRICE = 0.5  # Message Batches bill half the list price, input and output alike

# The token counts every ledger, run.json and report carries, in this order.
TOKEN_KINDS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")


@functools.cache
def price_table() -> dict[str, dict[str, dict[str, float]]]:
    text = resources.files(__package__).joinpath("prices.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def price_for(backend: str, model: str) -> dict[str, float] | None:
    """The rates for this exact model id: contentloop.toml's [prices] first, then the
    packaged table. No prefix matching: a new model shares a name's start with an older one
    at a different rate (claude-opus-4-6 vs claude-opus-4), so an unlisted id is unknown."""
    from .config import project_prices

    for table in (project_prices(), price_table()):
        rates = (table.get(backend) or {}).get(model)
        if rates is not None:
            return rates
    return None


def estimate_usd(parts: list[tuple[str, str, float, float]]) -> float | None:
    """Dollars for (backend, model, input tokens, output tokens) parts at list prices, before
    any call; None when a model's price is unknown (the embedded model's is 0)."""
    usd = 0.0
    for backend, model, tokens_in, tokens_out in parts:
        price = price_for(backend, model)
        if price is None:
            return None
        usd += (tokens_in * price["input"] + tokens_out * price["output"]) / 1e6
    return round(usd, 4)


def cost_usd(response: Response) -> float | None:
    """USD for one call; cached answers cost nothing; None when the price is unknown."""
    if response.cached:
        return 0.0
    price = price_for(response.backend, response.model)
    if price is None:
        return None
    u = response.usage
    return (
        response.price_factor
        * (
            u.input_tokens * price["input"]
            + u.output_tokens * price["output"]
            + u.cache_write_tokens * price.get("cache_write", price["input"])
            + u.cache_read_tokens * price.get("cache_read", price["input"])
        )
        / _MILLION
    )


class CallRecord(BaseModel):
    """One line of calls.jsonl: a model call, what it used and what it cost."""

    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[1] = 1
    role: str
    backend: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float | None
    cached: bool
    seconds: float


class CostLedger:
    """Every call of a run; optionally appended to a JSON Lines file as it happens."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.records: list[CallRecord] = []
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read the calls already in the file (a resumed run keeps counting its spend)."""
        if self.path is None or not self.path.exists():
            return
        for line in self.path.read_text(encoding="utf-8").split("\n")[:-1]:
            try:
                self.records.append(CallRecord.model_validate_json(line))
            except ValidationError:  # a torn last line (a kill mid-write), or not ours
                break

    def record(self, role: str, response: Response) -> CallRecord:
        u = response.usage
        rec = CallRecord(
            role=role,
            backend=response.backend,
            model=response.model,
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            cache_read_tokens=u.cache_read_tokens,
            cache_write_tokens=u.cache_write_tokens,
            cost_usd=cost_usd(response),
            cached=response.cached,
            seconds=round(response.seconds, 3),
        )
        with self._lock:
            self.records.append(rec)
            if self.path is not None:
                # fsynced like the run's other ledgers: after a crash the spend on record
                # (which --resume counts against the budget) is what was spent.
                self.path.parent.mkdir(parents=True, exist_ok=True)
                append_line(self.path, rec.model_dump_json() + "\n")
        return rec

    def since(self, before: dict[str, Any]) -> dict[str, Any]:
        """Tokens and USD spent since `before`, an earlier `totals()`; USD is None if unknown."""
        now = self.totals()
        out: dict[str, Any] = {k: now[k] - before[k] for k in TOKEN_KINDS}
        unknown = now["cost_usd"] is None or before["cost_usd"] is None
        out["cost_usd"] = None if unknown else round(now["cost_usd"] - before["cost_usd"], 6)
        return out

    def totals(self, role: str | None = None) -> dict[str, Any]:
        recs = [r for r in self.records if role is None or r.role == role]
        costs = [r.cost_usd for r in recs]
        live = [r for r in recs if not r.cached]  # an answer from the call cache used no tokens
        return {
            "calls": len(live),
            "cached_calls": len(recs) - len(live),
            "input_tokens": sum(r.input_tokens for r in live),
            "output_tokens": sum(r.output_tokens for r in live),
            "cache_read_tokens": sum(r.cache_read_tokens for r in live),
            "cache_write_tokens": sum(r.cache_write_tokens for r in live),
            "cost_usd": None if any(c is None for c in costs) else round(sum(costs), 6),  # type: ignore[arg-type]
            # What the priced calls cost: a lower bound that budgets can still act on.
            "known_cost_usd": round(sum(c for c in costs if c is not None), 6),
        }


def spend_summary(ledger: CostLedger) -> dict[str, Any]:
    """What a run's summary.json says of its spend: dollars, calls, live writer calls, and the
    totals per role (a large API proposer beside a small local writer costs differently from
    each, and this is where that shows)."""
    totals = ledger.totals()
    return {
        "cost_usd": totals["cost_usd"],
        "calls": totals["calls"],
        "writer_calls": sum(1 for r in ledger.records if r.role == "writer" and not r.cached),
        "by_role": {
            role: ledger.totals(role)
            for role in ("writer", "judge", "optimizer", "audit")
            if any(r.role == role for r in ledger.records)
        },
    }
