"""Every draft an optimize run writes and scores, kept as one record in samples.jsonl.

A sample is identified by (skill, topic, sample): the skill's content hash, the topic slug and
a sample index that is never used twice for the same skill and topic. That makes two promises
hold by construction:

- no two evaluations share a call: a new draft of a skill on a topic always takes the next
  unused index, and the index is part of the request (the call cache's key, the seed);
- every draft of a skill accumulates: asking for "8 drafts per topic of skill X" reuses the
  ones already scored, in this experiment or any earlier one, and writes only the missing ones.

Draws are idempotent targets ("at least n per topic"), so a run killed in the middle of a stage
and resumed writes exactly the drafts that were missing: none lost, none counted twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..atomic import append_line, write_text
from ..checks import Draft
from ..judge import Judge, JudgeReplyError
from ..llm import Client
from ..llm.ledger import cost_usd
from ..rubric import Rubric
from ..scoring import ScoreCard, judge_cards, score_drafts
from ..skill import Skill
from ..topic import Topic
from ..writer import clean_reply, draft_request
from .ledger import cut_torn_tail, read_jsonl
from .stats import far_off

# "merge": the best's fresh drafts written beside a --lanes merge's, in the same time window.
Role = Literal["baseline", "candidate", "best", "verify", "confirm", "holdout", "merge"]


def skill_hash(skill: Skill) -> str:
    """What the writer sees of a skill: its assembled system prompt."""
    return hashlib.sha256(skill.prompt.encode("utf-8")).hexdigest()[:16]


def judge_set(skill: str, topic: str, sample: int) -> int:
    """Which set of judge samples scores this draft. Two skills can produce the same text (a
    deterministic writer, a short topic); their verdicts must still be independent, or the
    judge's noise cancels between candidate and best and the pooled noise shrinks
    (DECISIONS.md: reused samples). 24 bits keep the seed inside every backend's range."""
    digest = hashlib.sha256(f"{skill}|{topic}|{sample}".encode()).hexdigest()
    return int(digest[:6], 16)


class Weak(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    score: float
    rationale: str


class Sample(BaseModel):
    """One scored draft."""

    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[1] = 1
    skill: str
    topic: str
    sample: int
    role: Role
    experiment: int
    total: float
    binary: float
    judge: float | None
    criteria: dict[str, float]
    violations: list[str]
    weakest: list[Weak]
    # The same draft's total with the audit judge's verdict in place of the judge's
    # (--audit-judge-*; confirmation drafts only).
    audit_total: float | None = None
    # What writing the draft took: the per-draft metrics an --objective can name
    # (optimize/objective.py) and a run's cost and speed per post.
    writer_output_tokens: int | None = None
    writer_cost_usd: float | None = None
    writer_seconds: float | None = None

    @classmethod
    def from_card(
        cls, card: ScoreCard, *, skill: str, topic: str, sample: int, role: Role, experiment: int
    ) -> Sample:
        crit = card.judge.criteria if card.judge else []
        return cls(
            skill=skill,
            topic=topic,
            sample=sample,
            role=role,
            experiment=experiment,
            total=card.total,
            binary=card.binary.score,
            judge=card.judge.score if card.judge else None,
            criteria={c.name: c.score for c in crit},
            violations=[f"{v.id}: {v.reason}" for v in card.binary.violations],
            weakest=[
                Weak(name=c.name, score=c.score, rationale=c.rationale)
                for c in sorted(crit, key=lambda c: c.score)[:2]
            ],
        )


class SampleBank:
    """samples.jsonl, read into memory and appended to as drafts are scored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._by_key: dict[tuple[str, str], dict[int, Sample]] = defaultdict(dict)
        self._far: set[tuple[str, str, int]] | None = None  # drafts set aside (far_off)
        cut_torn_tail(path)
        for raw in read_jsonl(path):
            self._add(Sample.model_validate(raw))
        # Draws whose verdict was unusable: their index is never used again (the same index
        # would ask the same question with the same seed, and get the same reply).
        self.failures_path = path.with_name("failures.jsonl")
        self._failed: dict[tuple[str, str], set[int]] = defaultdict(set)
        cut_torn_tail(self.failures_path)
        for raw in read_jsonl(self.failures_path):
            self._failed[(raw["skill"], raw["topic"])].add(int(raw["sample"]))

    def _add(self, s: Sample) -> None:
        # A record written twice (a kill between append and the caller's bookkeeping, then
        # a replay) is the same draft: the key decides, the first copy stays.
        self._by_key[(s.skill, s.topic)].setdefault(s.sample, s)
        self._far = None

    def far(self) -> set[tuple[str, str, int]]:
        """(skill, topic, sample) of the drafts whose totals are far off what their skill and
        topic predict (stats.far_off): a reply cut off or refused that still parsed. They stay
        in samples.jsonl and are left out of every total, mean and noise estimate, so one bad
        draft cannot flip a decision (bench/gate_sim.py --outliers measures it)."""
        if self._far is None:
            every = [s for by_index in self._by_key.values() for s in by_index.values()]
            off = far_off([(s.skill, s.topic, s.total) for s in every])
            self._far = {(every[i].skill, every[i].topic, every[i].sample) for i in off}
        return self._far

    def samples(
        self, skill: str, topic: str, *, role: Role | None = None, experiment: int | None = None
    ) -> list[Sample]:
        found = sorted(self._by_key.get((skill, topic), {}).values(), key=lambda s: s.sample)
        return [
            s
            for s in found
            if (role is None or s.role == role)
            and (experiment is None or s.experiment == experiment)
        ]

    def totals(
        self,
        skill: str,
        topics: Iterable[str],
        *,
        role: Role | None = None,
        experiment: int | None = None,
        audit: bool = False,
        value: Callable[[Sample], float | None] | None = None,
    ) -> dict[str, list[float]]:
        """Each topic's totals; with `audit`, the audit judge's totals of the drafts it saw;
        with `value`, that number of each draft instead (drafts without one are left out)."""
        found = {t: self.samples(skill, t, role=role, experiment=experiment) for t in topics}
        if value is not None:
            return {t: [v for s in ss if (v := value(s)) is not None] for t, ss in found.items()}
        if audit:
            return {
                t: [s.audit_total for s in ss if s.audit_total is not None]
                for t, ss in found.items()
            }
        far = self.far()
        return {
            t: [s.total for s in ss if (s.skill, s.topic, s.sample) not in far]
            for t, ss in found.items()
        }

    def cells(
        self, topics: Iterable[str], value: Callable[[Sample], float | None] | None = None
    ) -> list[list[float]]:
        """Every (skill, topic) cell's totals (or `value`s) on these topics, for the pooled
        noise."""
        wanted = set(topics)
        pick = value or (lambda s: s.total)
        far = self.far() if value is None else set()
        return [
            [
                v
                for s in by_index.values()
                if (v := pick(s)) is not None and (s.skill, s.topic, s.sample) not in far
            ]
            for (_, topic), by_index in self._by_key.items()
            if topic in wanted
        ]

    def free_indices(self, skill: str, topic: str, k: int) -> list[int]:
        """The `k` lowest sample indices of (skill, topic) that hold no draft and no unusable
        verdict. A kill loses the drafts in flight, and leaves holes below the highest index
        recorded: a resumed run writes those first, so it draws the same seeds as a run that was
        never killed."""
        used = set(self._by_key.get((skill, topic), {})) | self._failed.get((skill, topic), set())
        free, i = [], 0
        while len(free) < k:
            if i not in used:
                free.append(i)
            i += 1
        return free

    def record(self, sample: Sample) -> None:
        append_line(self.path, sample.model_dump_json() + "\n")
        self._add(sample)

    def keep_text(self, skill: str, topic: str, sample: int, text: str) -> None:
        """The draft itself, beside its record: `rescore` and `view` read it back."""
        write_text(self.path.parent / "samples" / skill / topic / f"{sample}.md", text)

    def record_failure(self, skill: str, topic: str, sample: int, **about: Any) -> None:
        line = json.dumps({"skill": skill, "topic": topic, "sample": sample, **about})
        append_line(self.failures_path, line + "\n")
        self._failed[(skill, topic)].add(sample)

    def failures(self) -> int:
        return sum(len(v) for v in self._failed.values())


async def draw(
    bank: SampleBank,
    skill: Skill,
    topics: list[Topic],
    rubric: Rubric,
    writer: Client,
    judge: Judge,
    *,
    need: int,
    role: Role,
    experiment: int,
    count_role: bool = False,
    audit: Judge | None = None,
) -> None:
    """Write and score drafts until `skill` has at least `need` per topic (of `role` only, with
    `count_role`: for the fresh drafts a verification or confirmation must draw itself).

    All missing drafts start at once; the clients' shared call limit bounds what is in flight.
    Each is recorded the moment it is scored, so a kill loses at most the ones in flight.

    A draft whose verdict is unusable (JudgeReplyError, after the judge's own repair request)
    is logged in failures.jsonl and replaced by a fresh draft under a new index; only when a
    topic's replacements fail too (MAX_REDRAWS rounds) does the draw fail.
    """
    digest = skill_hash(skill)
    for attempt in range(MAX_REDRAWS + 1):
        jobs: list[tuple[Topic, int]] = []
        for topic in topics:
            have = bank.samples(
                digest,
                topic.slug,
                role=role if count_role else None,
                experiment=experiment if count_role else None,
            )
            free = bank.free_indices(digest, topic.slug, max(0, need - len(have)))
            jobs += [(topic, i) for i in free]
        if not jobs:
            return
        unusable = await _draw_jobs(
            bank, digest, skill, jobs, rubric, writer, judge, role, experiment, audit
        )
        if unusable and attempt == MAX_REDRAWS:
            raise JudgeReplyError(
                f"{len(unusable)} of the last {len(jobs)} drafts got no usable verdict, after "
                f"{MAX_REDRAWS} rounds of fresh drafts; the last: {unusable[-1]}",
                fix="use a judge that follows the JSON schema (--judge-backend anthropic or an "
                "OpenAI-compatible server with a stronger model); the embedded demo model often "
                "cannot. failures.jsonl in the run folder lists every unusable verdict.",
            )


# Rounds of replacement drafts for unusable verdicts, before a draw gives up.
MAX_REDRAWS = 2


async def _draw_jobs(
    bank: SampleBank,
    digest: str,
    skill: Skill,
    jobs: list[tuple[Topic, int]],
    rubric: Rubric,
    writer: Client,
    judge: Judge,
    role: Role,
    experiment: int,
    audit: Judge | None,
) -> list[str]:
    """Write and score these (topic, index) drafts; the reasons of those left unscored."""
    unusable: list[str] = []

    async def one(topic: Topic, sample: int) -> None:
        request = draft_request(skill, topic, max(1024, int(topic.target_words * 2.5)))
        reply = await writer.acall(replace(request, sample=sample))
        draft = Draft(clean_reply(reply.text), path=f"{topic.slug}#{sample}")
        (card,) = score_drafts([draft], rubric)
        judges = judge_set(digest, topic.slug, sample)
        try:
            await judge_cards([card], [draft], judge.with_offset(judges))
        except JudgeReplyError as exc:
            bank.record_failure(
                digest, topic.slug, sample, role=role, experiment=experiment, reason=str(exc)
            )
            unusable.append(str(exc))
            return
        record = Sample.from_card(
            card, skill=digest, topic=topic.slug, sample=sample, role=role, experiment=experiment
        )
        record.writer_output_tokens = reply.usage.output_tokens
        record.writer_cost_usd = cost_usd(reply)
        record.writer_seconds = round(reply.seconds, 3)
        bank.keep_text(digest, topic.slug, sample, draft.source)
        if audit is not None:
            verdict = await audit.with_offset(judges).ajudge(draft.source, label=draft.path or "")
            record.audit_total = round(card.binary.score + verdict.score, 2)
        bank.record(record)

    await gather_all(*(one(t, i) for t, i in jobs))
    return unusable


async def gather_all(*aws: Any) -> list[Any]:
    """Like asyncio.gather, but every awaitable finishes (and records what it scored) before
    the first error is raised: a failure costs the drafts that failed, not the ones in flight."""
    results = await asyncio.gather(*aws, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


def worst(bank: SampleBank, skill: str, topics: Iterable[str], n: int = 2) -> list[dict]:
    """The n lowest-scoring drafts of a skill: their failures and weakest criteria, for the
    proposer."""
    every = [s for t in topics for s in bank.samples(skill, t)]
    return [
        {
            "topic": s.topic,
            "total": s.total,
            "violations": s.violations,
            "criteria": [w.model_dump() for w in s.weakest],
        }
        for s in sorted(every, key=lambda s: s.total)[:n]
    ]


def per_criterion(samples: Iterable[Sample]) -> dict[str, float]:
    scores: dict[str, list[float]] = defaultdict(list)
    for s in samples:
        for name, v in s.criteria.items():
            scores[name].append(v)
    return {k: round(sum(v) / len(v), 3) for k, v in scores.items()}
