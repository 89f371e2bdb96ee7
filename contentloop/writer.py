"""Draft and refine: write v0 from skill + topic, then N cycles of score → revise → re-score,
keeping the best version. Every version, its score and run.json are written as they happen.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from .atomic import write_text
from .checks import Draft
from .errors import ContentloopError
from .fence import defuse
from .judge import Judge
from .llm import TOKEN_KINDS, Backend, CallCache, Client, CostLedger, Message, Request
from .rubric import Rubric
from .scoring import ScoreCard, judge_cards, score_drafts
from .skill import Skill
from .topic import Topic
from .write_confirm import confirm
from .write_record import (
    Confirmation,
    Interval,
    JudgeUsed,
    ModelName,
    Named,
    VersionSummary,
    WriteRecord,
)
from .yamlio import newlines

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("contentloop", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)
_env.filters["defuse"] = defuse  # draft-derived text outside the fence (evidence, notes)
Event = Callable[[dict[str, Any]], None]


def draft_request(skill: Skill, topic: Topic, max_tokens: int) -> Request:
    user = _env.get_template("write_user.jinja").render(topic=topic)
    return Request(skill.prompt, (Message("user", user),), max_tokens=max_tokens, temperature=0.7)


def weakest_criteria(card: ScoreCard, rubric: Rubric, n: int = 2) -> list[dict[str, Any]]:
    """The n lowest-scoring judge criteria (ties keep rubric order), below 10 only."""
    if card.judge is None:
        return []
    described = {c.name: c.description.strip() for c in rubric.judge.criteria}
    low = sorted((c for c in card.judge.criteria if c.score < 10), key=lambda c: c.score)[:n]
    return [
        {
            "name": c.name,
            "score": c.score,
            "rationale": c.rationale,
            "description": described[c.name],
        }
        for c in low
    ]


def revision_request(
    skill: Skill, draft: str, card: ScoreCard, rubric: Rubric, max_tokens: int, cycle: int = 1
) -> tuple[Request, dict[str, Any]]:
    """The revision prompt: binary failures first (with evidence), then the weakest criteria."""
    violations = card.binary.violations
    weakest = weakest_criteria(card, rubric)
    user = _env.get_template("revise_user.jinja").render(
        draft=defuse(draft).strip(), violations=violations, weakest=weakest
    )
    asked = {"violations": [v.id for v in violations], "criteria": [c["name"] for c in weakest]}
    # The cycle number is the sample index: when a revision is not kept, the next cycle sends
    # the same prompt again and must get a fresh attempt, not the cached rejected one.
    request = Request(
        skill.prompt, (Message("user", user),), max_tokens=max_tokens, temperature=0.7, sample=cycle
    )
    return request, asked


def clean_reply(text: str) -> str:
    """The post itself: drop a code fence the model wrapped it in, and surrounding blank lines."""
    body = newlines(text).strip()  # saved as scored: line numbers in the report must match
    fenced = re.fullmatch(r"```(?:markdown|md)?\s*\n(.*?)\n```", body, re.S)
    return (fenced.group(1) if fenced else body).strip() + "\n"


@dataclass
class Version:
    version: int
    text: str
    card: ScoreCard
    asked: dict[str, Any] = field(default_factory=dict)
    kept: bool = True
    usage: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self, rubric: Rubric) -> VersionSummary:
        weakest = weakest_criteria(self.card, rubric, 1)
        return VersionSummary(
            version=self.version,
            file=f"v{self.version}.md",
            total=self.card.total,
            binary=self.card.binary.score,
            judge=self.card.judge.score if self.card.judge else None,
            violations=[v.id for v in self.card.binary.violations],
            weakest=weakest[0]["name"] if weakest else None,
            asked=self.asked or None,
            kept=self.kept,
            tokens={k: self.usage.get(k, 0) for k in TOKEN_KINDS},
            cost_usd=self.usage.get("cost_usd"),
            seconds=round(self.seconds, 2),
        )


def new_run_dir(root: Path, slug: str) -> Path:
    """drafts/<slug>/<run-id>/, never an existing folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        folder = root / slug / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            continue
    raise ContentloopError("could not create a new run folder.", path=root / slug)


class WriteRun:
    """One topic's draft-and-refine run, written to its own folder as it goes."""

    def __init__(
        self,
        topic: Topic,
        skill: Skill,
        rubric: Rubric,
        writer: Client,
        judge: Judge,
        folder: Path,
        *,
        cycles: int = 3,
        target: float = 95.0,
        max_tokens: int | None = None,
        on_event: Event | None = None,
        calibration: dict[str, Any] | None = None,
    ) -> None:
        self.topic, self.skill, self.rubric = topic, skill, rubric
        self.calibration = calibration  # the judge's card status when the run started
        self.writer, self.judge = writer, judge
        self.folder = folder
        self.cycles, self.target = cycles, target
        self.max_tokens = max_tokens or max(1024, int(topic.target_words * 2.5))
        self.on_event = on_event or (lambda event: None)
        self.versions: list[Version] = []
        self.best: Version | None = None
        self.confirmation: Confirmation | None = None
        self.confirmed: Interval | None = None  # the final's improvement over v0, measured
        self.status, self.stop_reason, self.error = "running", "", ""
        self.started = time.perf_counter()
        self.run_id = folder.name

    # --- bookkeeping ---------------------------------------------------------------------
    def record(self) -> WriteRecord:
        """run.json, as it stands now."""
        totals = self.writer.ledger.totals()
        judge = self.judge.client.backend
        return WriteRecord(
            run_id=self.run_id,
            topic=str(self.topic.path) if self.topic.path else self.topic.title,
            skill=Named(name=self.skill.name, sha256=self.skill.sha256),
            rubric=Named(name=self.rubric.name, sha256=self.rubric.sha256),
            writer=ModelName(backend=self.writer.backend.name, model=self.writer.backend.model),
            judge=JudgeUsed(
                backend=judge.name,
                model=judge.model,
                samples=self.judge.samples,
                measured=not self.judge.not_measured,
                not_measured=self.judge.not_measured,
            ),
            calibration=self.calibration,
            cycles_requested=self.cycles,
            target=self.target,
            status=self.status,  # type: ignore[arg-type]
            stop_reason=self.stop_reason,
            error=self.error or None,
            best_version=self.best.version if self.best else None,
            final_total=self.best.card.total if self.best else None,
            versions=[v.summary(self.rubric) for v in self.versions],
            tokens={k: totals[k] for k in TOKEN_KINDS},
            calls=totals["calls"],
            cost_usd=totals["cost_usd"],
            seconds=round(time.perf_counter() - self.started, 2),
            confirmation=self.confirmation,
            confirmed_improvement=self.confirmed,
            batch=getattr(self.writer.backend, "waits_off_the_wire", False),
        )

    def to_json(self) -> dict[str, Any]:
        return self.record().to_json()

    def _save_run(self) -> None:
        write_text(
            self.folder / "run.json",
            json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n",
        )

    def _save_version(self, v: Version) -> None:
        write_text(self.folder / f"v{v.version}.md", v.text)
        card = v.card.to_json()
        write_text(
            self.folder / f"v{v.version}.score.json",
            json.dumps(card, indent=2, ensure_ascii=False) + "\n",
        )

    async def _score(self, text: str, version: int) -> ScoreCard:
        draft = Draft(text, path=str(self.folder / f"v{version}.md"))
        (card,) = score_drafts([draft], self.rubric)
        await judge_cards([card], [draft], self.judge)
        return card

    async def _version(self, n: int, request: Request, asked: dict[str, Any]) -> Version:
        before = self.writer.ledger.totals()
        t = time.perf_counter()
        self.on_event({"topic": self.topic.slug, "phase": "writing", "version": n})
        reply = await self.writer.acall(request)
        text = clean_reply(reply.text)
        if not text.strip():
            raise ContentloopError(
                f"the writer ({self.writer.backend.name}:{self.writer.backend.model}) returned an empty post.",
                fix=(
                    "use a real writer model (--backend anthropic, or --backend openai with "
                    "--base-url); the embedded demo model gives the same reply when asked again."
                    if self.writer.backend.name == "local"
                    else "use a stronger writer model; a sampled model may answer differently "
                    "when asked again with --no-cache."
                ),
            )
        self.on_event({"topic": self.topic.slug, "phase": "scoring", "version": n})
        card = await self._score(text, n)
        # Writer and judge share this run's ledger, so the window holds both calls' usage.
        return Version(
            n,
            text,
            card,
            asked,
            usage=self.writer.ledger.since(before),
            seconds=time.perf_counter() - t,
        )

    # --- the loop ------------------------------------------------------------------------
    async def run(self) -> WriteRun:
        try:
            v0 = await self._version(0, draft_request(self.skill, self.topic, self.max_tokens), {})
            self._keep(v0)
            for n in range(1, self.cycles + 1):
                best = self.best
                assert best is not None
                if nothing_to_fix(best.card):
                    self.stop_reason = "nothing left to fix: no check failed" + (
                        " and every criterion is at its top"
                        if best.card.judge
                        else "; the judge was not measured"
                    )
                    break
                if best.card.total >= min(self.target, best.card.max):
                    self.stop_reason = f"target {self.target:g} reached"
                    break
                request, asked = revision_request(
                    self.skill, best.text, best.card, self.rubric, self.max_tokens, cycle=n
                )
                v = await self._version(n, request, asked)
                if v.text.strip() == best.text.strip():
                    v.kept = False
                    self._record(v)
                    self.stop_reason = "a cycle changed nothing"
                    break
                if v.card.total > best.card.total:
                    self._keep(v)
                else:
                    v.kept = False  # a cycle never makes the final draft worse
                    self._record(v)
            else:
                self.stop_reason = f"{self.cycles} cycle(s) done"
            await self._confirm(v0)
            self.status = "done"
        except BaseException as exc:
            interrupted = isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt))
            self.status = "interrupted" if interrupted else "failed"
            self.error = str(exc) or type(exc).__name__
            self.stop_reason = f"stopped while working on v{len(self.versions)}"
            raise
        finally:
            if self.best is not None:
                write_text(self.folder / "final.md", self.best.text)
            self._save_run()
            self.on_event({"topic": self.topic.slug, "phase": self.status, "run": self})
        return self

    async def _confirm(self, v0: Version) -> None:
        """Choose the final on fresh verdicts and measure what it gained (write_confirm.py)."""
        best = self.best
        assert best is not None
        if best is v0:
            return  # no revision scored above v0: the final is v0, nothing was gained
        if self.judge.not_measured:
            # Rule checks alone: the same text always scores the same, so the difference is exact.
            diff = round(best.card.total - v0.card.total, 3)
            self.confirmed = Interval(mean=diff, ci95_low=diff, ci95_high=diff, n=0)
            return
        self.on_event({"topic": self.topic.slug, "phase": "confirming", "version": best.version})
        conf = await confirm(self.judge, (v0.text, best.text), (v0.card, best.card), best.version)
        self.confirmation = conf
        if conf.final == 0:
            best.kept = False
            self.best = v0
        else:
            self.confirmed = conf.gain
        self._save_run()

    def _record(self, v: Version) -> None:
        self.versions.append(v)
        self._save_version(v)
        self._save_run()
        self.on_event(
            {"topic": self.topic.slug, "phase": "version", "version": v.version, "run": self}
        )

    def _keep(self, v: Version) -> None:
        self.best = v
        self._record(v)


def nothing_to_fix(card: ScoreCard) -> bool:
    """No check failed, and every criterion the judge scored is at its top (10): a revision
    has nothing to aim at. With the judge not measured, no failed check is enough."""
    if card.binary.violations:
        return False
    return card.judge is None or all(c.score >= 10 for c in card.judge.criteria)


async def write_many(
    topics: list[Topic],
    skill: Skill,
    rubric: Rubric,
    *,
    writer_backend: Backend,
    judge_backend: Backend,
    judge_samples: int = 1,
    cache: CallCache | None = None,
    out_root: Path = Path("drafts"),
    cycles: int = 3,
    target: float = 95.0,
    concurrency: int = 2,
    on_event: Event | None = None,
    calibration: dict[str, Any] | None = None,
) -> list[WriteRun | BaseException]:
    """Write every topic, at most `concurrency` at once. Each run has its own ledger so its
    per-version token and cost windows are exact; a failed topic does not stop the others."""
    gate = asyncio.Semaphore(concurrency)

    async def one(topic: Topic) -> WriteRun:
        async with gate:
            ledger = CostLedger()
            writer = Client(writer_backend, role="writer", cache=cache, ledger=ledger)
            judge = Judge(
                Client(judge_backend, role="judge", cache=cache, ledger=ledger),
                rubric,
                samples=judge_samples,
            )
            judge.calibration = (calibration or {}).get("state")
            run = WriteRun(
                topic,
                skill,
                rubric,
                writer,
                judge,
                new_run_dir(out_root, topic.slug),
                cycles=cycles,
                target=target,
                on_event=on_event,
                calibration=calibration,
            )
            return await run.run()

    return list(await asyncio.gather(*(one(t) for t in topics), return_exceptions=True))
