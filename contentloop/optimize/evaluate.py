"""Evaluate a skill: one draft per topic x repeat, each scored by checks + judge, concurrently."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
from dataclasses import dataclass, field, replace
from typing import Any

from ..checks import Draft
from ..judge import Judge
from ..llm import Client
from ..rubric import Rubric
from ..scoring import ScoreCard, judge_cards, score_drafts
from ..skill import Skill
from ..topic import Topic
from ..writer import clean_reply, draft_request


@dataclass
class EvalResult:
    """Totals keyed by (topic slug, repeat), plus the cards for feedback to the proposer."""

    totals: dict[tuple[str, int], float]
    cards: dict[tuple[str, int], ScoreCard] = field(repr=False)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.totals.values())

    @property
    def stdev(self) -> float:
        vals = list(self.totals.values())
        return statistics.stdev(vals) if len(vals) > 1 else 0.0

    def per_topic(self) -> dict[str, float]:
        slugs = sorted({s for s, _ in self.totals})
        return {
            s: round(statistics.fmean(v for (t, _), v in self.totals.items() if t == s), 3)
            for s in slugs
        }

    def per_criterion(self) -> dict[str, float]:
        scores: dict[str, list[float]] = {}
        for card in self.cards.values():
            for c in card.judge.criteria if card.judge else []:
                scores.setdefault(c.name, []).append(c.score)
        return {k: round(statistics.fmean(v), 3) for k, v in scores.items()}

    def worst(self, n: int = 2) -> list[dict[str, Any]]:
        """The n lowest-scoring drafts' failures and weakest criteria, for the proposer."""
        out = []
        for key in sorted(self.totals, key=self.totals.__getitem__)[:n]:
            card = self.cards[key]
            low = sorted(card.judge.criteria, key=lambda c: c.score)[:2] if card.judge else []
            out.append(
                {
                    "topic": key[0],
                    "total": card.total,
                    "violations": [f"{v.id}: {v.reason}" for v in card.binary.violations],
                    "criteria": [
                        {"name": c.name, "score": c.score, "rationale": c.rationale} for c in low
                    ],
                }
            )
        return out


async def evaluate(
    skill: Skill,
    topics: list[Topic],
    rubric: Rubric,
    writer: Client,
    judge: Judge,
    *,
    repeats: int = 1,
    sample_offset: int = 0,
    concurrency: int | None = 4,
) -> EvalResult:
    """Write and score every topic `repeats` times. `sample_offset` makes a second evaluation of
    the same skill independent of the first (distinct calls, not cache hits).

    `concurrency` bounds the drafts in progress; None starts them all at once, for clients
    that share a call limit (as an optimize run's do)."""
    gate = asyncio.Semaphore(concurrency) if concurrency else contextlib.nullcontext()

    async def one(topic: Topic, r: int) -> tuple[tuple[str, int], ScoreCard]:
        async with gate:
            sample = sample_offset + r
            request = draft_request(skill, topic, max(1024, int(topic.target_words * 2.5)))
            reply = await writer.acall(replace(request, sample=sample))
            draft = Draft(clean_reply(reply.text), path=f"{topic.slug}#{sample}")
            (card,) = score_drafts([draft], rubric)
            await judge_cards([card], [draft], judge.with_offset(sample))
            return (topic.slug, r), card

    pairs = await asyncio.gather(*(one(t, r) for t in topics for r in range(repeats)))
    return EvalResult({k: c.total for k, c in pairs}, dict(pairs))
