"""`contentloop compare`: the same skill and topics across several writer models (and/or
judges), side by side: quality with its 95% interval, speed, latency, cost per post and
failure rate.

Each (writer, judge) pair writes `repeats` drafts per topic (one draft, no refine cycles) and
scores them (rules + judge). Calls always go to the models (no call cache): a cached answer
has no latency to measure.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field, replace
from statistics import fmean, stdev
from typing import Any

from .checks import Draft
from .errors import ContentloopError
from .judge import Judge
from .llm import Backend, Client, CostLedger
from .optimize.stats import t_quantile
from .rubric import Rubric
from .scoring import judge_cards, score_drafts
from .skill import Skill
from .topic import Topic
from .writer import clean_reply, draft_request


@dataclass
class Row:
    writer: str
    judge: str
    totals: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds per writer call
    output_tokens: int = 0
    failures: list[str] = field(default_factory=list)
    attempts: int = 0
    ledger: CostLedger = field(default_factory=CostLedger)

    def to_json(self) -> dict[str, Any]:
        n = len(self.totals)
        mean = fmean(self.totals) if n else None
        half = t_quantile(0.975, n - 1) * stdev(self.totals) / math.sqrt(n) if n > 1 else None
        writer_s = sum(self.latencies)
        cost = self.ledger.totals()["cost_usd"]
        writer_cost = self.ledger.totals("writer")["cost_usd"]
        return {
            "writer": self.writer,
            "judge": self.judge,
            "drafts": n,
            "mean": None if mean is None else round(mean, 3),
            "ci95": None
            if half is None or mean is None
            else [round(mean - half, 3), round(mean + half, 3)],
            "tokens_per_second": round(self.output_tokens / writer_s, 1) if writer_s > 0 else None,
            "latency_p50_s": _percentile(self.latencies, 50),
            "latency_p95_s": _percentile(self.latencies, 95),
            # Writing and judging; the judge's share is the same for every writer it scores.
            "usd_per_post": None if cost is None or not n else round(cost / n, 6),
            "writer_usd_per_post": None
            if writer_cost is None or not n
            else round(writer_cost / n, 6),
            "failure_rate": round(len(self.failures) / self.attempts, 3) if self.attempts else None,
            "failures": self.failures[:5],
        }


def _percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: a value that was measured, never an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return round(ordered[rank - 1], 3)


async def compare(
    skill: Skill,
    topics: list[Topic],
    rubric: Rubric,
    writers: list[Backend],
    judges: list[Backend],
    *,
    repeats: int = 2,
    concurrency: int = 4,
    on_draft: Any = None,
) -> list[dict[str, Any]]:
    """One row per (writer, judge) pair, in the order given."""
    if not writers or not judges:
        raise ContentloopError("compare needs at least one writer and one judge.")
    rows = []
    for writer_backend in writers:
        for judge_backend in judges:
            row = Row(_label(writer_backend), _label(judge_backend))
            limit = asyncio.Semaphore(concurrency)
            writer = Client(writer_backend, role="writer", ledger=row.ledger, limit=limit)
            judge = Judge(
                Client(judge_backend, role="judge", ledger=row.ledger, limit=limit), rubric
            )
            jobs = [(t, i) for t in topics for i in range(repeats)]
            await asyncio.gather(
                *(_one(row, skill, t, i, rubric, writer, judge, on_draft) for t, i in jobs)
            )
            rows.append(row.to_json())
    return rows


async def _one(
    row: Row,
    skill: Skill,
    topic: Topic,
    sample: int,
    rubric: Rubric,
    writer: Client,
    judge: Judge,
    on_draft: Any,
) -> None:
    row.attempts += 1
    try:
        request = draft_request(skill, topic, max(1024, int(topic.target_words * 2.5)))
        reply = await writer.acall(replace(request, sample=sample))
        text = clean_reply(reply.text)
        if not text.strip():
            raise ContentloopError("the writer returned an empty post")
        draft = Draft(text, path=f"{topic.slug}#{sample}")
        (card,) = score_drafts([draft], rubric)
        await judge_cards([card], [draft], judge.with_offset(sample))
    except ContentloopError as exc:  # API errors after retries, unusable verdicts, empty posts
        row.failures.append(f"{topic.slug}#{sample}: {exc.message}")
        return
    row.latencies.append(reply.seconds)
    row.output_tokens += reply.usage.output_tokens
    row.totals.append(card.total)
    if on_draft is not None:
        on_draft(row.writer, row.judge)


def _label(backend: Backend) -> str:
    members = getattr(backend, "members", None)
    if members:
        return "panel(" + ", ".join(_label(m) for m in members) + ")"
    return f"{backend.name}:{backend.model}"
