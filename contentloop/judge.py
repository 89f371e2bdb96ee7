"""The LLM judge: rubric criteria → prompt → schema-checked JSON → K-sample means.

The judge gets its own call with no writer context: the system prompt holds the rubric
(stable, so it is the cached prefix) and the user message holds the draft as delimited data.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import statistics
from typing import Any, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from .errors import ContentloopError
from .fence import defuse
from .jsonreply import json_object
from .llm import Client, Message, Request
from .rubric import Rubric
from .schemas import reply_schema_of
from .verdict import CriterionScore, JudgeScore, MemberScore

MAX_RATIONALE = 300
_env = jinja2.Environment(
    loader=jinja2.PackageLoader("contentloop", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # prompts are plain text, not HTML
)


class JudgeReplyError(ContentloopError):
    """The judge's reply was unusable even after one repair request."""


def _reply_fix(backend: str) -> str:
    """A fix that can work: the embedded model answers a repeated request with the same seed
    the same way, so re-running (even with --no-cache) asks it the same question again."""
    if backend == "local":
        return (
            "the embedded demo model often cannot give a verdict in the required JSON, and asking "
            "again gives the same answer; judge with a real model (--judge-backend anthropic with "
            "ANTHROPIC_API_KEY set, or --judge-backend openai --judge-base-url "
            "http://localhost:11434/v1 --judge-model qwen2.5:7b for Ollama), or score the rules "
            "alone with --no-judge."
        )
    return (
        "use a stronger judge model (--judge-model / --judge-backend); a sampled model may "
        "answer differently when asked again with --no-cache."
    )


class CriterionVerdict(BaseModel):
    """One criterion's part of a judge reply: the schema the judge is asked for is generated
    from this model, and replies are validated by it."""

    model_config = ConfigDict(extra="forbid")
    rationale: str = Field(max_length=MAX_RATIONALE)
    score: Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]


@functools.lru_cache(maxsize=16)
def _reply_model(names: tuple[str, ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {n: (CriterionVerdict, ...) for n in names}
    return create_model("JudgeReply", __config__=ConfigDict(extra="forbid"), **fields)


def reply_schema(rubric: Rubric) -> dict[str, Any]:
    return reply_schema_of(_reply_model(tuple(c.name for c in rubric.judge.criteria)))


def reply_tokens(rubric: Rubric) -> int:
    """Room for the longest reply the schema allows: per criterion its name, a rationale of
    MAX_RATIONALE characters (about 3 per token in English; 2 leaves room for quotes and
    odd words) and the score; then 10% slack. A reply that cannot fit is a loop, not a
    verdict, and stopping it early is what keeps a small judge's call bounded."""
    per = MAX_RATIONALE // 2 + 30
    return int(1.1 * (len(rubric.judge.criteria) * per + 20))


@functools.lru_cache(maxsize=16)
def _system_prompt(rubric_json: str) -> str:
    data = json.loads(rubric_json)
    criteria = [
        {"name": c["name"], "description": c["description"].strip(), "anchors": c["anchors"]}
        for c in data["judge"]["criteria"]
    ]
    # Placeholders, not sample values: small models copy a concrete example verbatim.
    example = (
        "{"
        + ", ".join(f'"{c["name"]}": {{"rationale": "<why>", "score": <1-10>}}' for c in criteria)
        + "}"
    )
    return _env.get_template("judge_system.jinja").render(
        criteria=criteria, example=example, max_rationale=MAX_RATIONALE
    )


def system_prompt(rubric: Rubric) -> str:
    return _system_prompt(rubric.model_dump_json(by_alias=True))


def user_prompt(draft: str) -> str:
    # A draft cannot close its own delimiter and smuggle text outside it.
    return _env.get_template("judge_user.jinja").render(draft=defuse(draft).strip())


def parse_reply(text: str, rubric: Rubric) -> dict[str, tuple[str, int]]:
    """Criterion → (rationale, score). Raises ValueError saying exactly what is wrong."""
    data = json_object(text)
    names = [c.name for c in rubric.judge.criteria]
    missing = [n for n in names if n not in data]
    extra = [k for k in data if k not in names]
    problems = []
    if missing:
        problems.append(f"missing criteria: {', '.join(missing)}")
    if extra:
        problems.append(f"unknown criteria: {', '.join(extra)}")
    out: dict[str, tuple[str, int]] = {}
    for name in names:
        item = data.get(name)
        if item is None:
            continue
        if not isinstance(item, dict):
            problems.append(f"{name} is not an object with rationale and score")
            continue
        score = item.get("score")
        if isinstance(score, bool):  # True == 1 to Python, not a score
            problems.append(f"{name}.score must be an integer from 1 to 10 (got {score!r})")
            continue
        if isinstance(score, float) and score.is_integer():
            item = item | {"score": int(score)}  # 7.0 is a fine 7
        if isinstance(item.get("rationale"), str):
            item = item | {"rationale": item["rationale"].strip()}
        try:
            verdict = CriterionVerdict.model_validate(item, strict=True)
        except ValidationError as exc:
            problems.extend(_problem(name, e, item) for e in exc.errors())
            continue
        out[name] = (verdict.rationale, verdict.score)
    if problems:
        raise ValueError("; ".join(problems))
    return out


def _problem(name: str, error: Any, item: dict[str, Any]) -> str:
    field = ".".join(str(p) for p in error["loc"]) or "?"
    if field == "score":
        return f"{name}.score must be an integer from 1 to 10 (got {item.get('score')!r})"
    if error["type"] == "string_too_long":
        return f"{name}.{field} is {len(item.get(field, ''))} characters (at most {MAX_RATIONALE})"
    return f"{name}.{field}: {error['msg'].lower()}"


class Judge:
    """Scores drafts on the rubric's criteria with `samples` independent calls each."""

    def __init__(
        self,
        client: Client,
        rubric: Rubric,
        *,
        samples: int = 1,
        temperature: float = 0.7,
        max_tokens: int | None = None,
    ) -> None:
        if samples < 1:
            raise ContentloopError("--judge-samples must be at least 1.")
        self.client = client
        self.rubric = rubric
        self.samples = samples
        self.temperature = temperature
        self.max_tokens = max_tokens or reply_tokens(rubric)
        self.sample_offset = 0
        # Why this judge's verdicts are left out of scores (the embedded demo model unless
        # named); None for a judge that scores.
        self.not_measured: str | None = getattr(client.backend, "judge_not_measured", None)
        self.calibration: str | None = None  # the card's state, stamped on every verdict
        # A panel asks every member for every sample; the verdict is the mean over all of them.
        members = getattr(client.backend, "members", None)
        self.clients = (
            [
                Client(
                    m,
                    role=client.role,
                    cache=client.cache,
                    ledger=client.ledger,
                    limit=client.limit,
                )
                for m in members
            ]
            if members
            else [client]
        )

    def with_offset(self, n: int) -> Judge:
        """The same judge whose calls are the n-th independent set of K samples (distinct
        cache keys), so repeated evaluations of one draft are fresh judgements."""
        other = copy.copy(self)
        other.sample_offset = n * self.samples
        return other

    async def _sample(
        self, draft: str, index: int, label: str, client: Client | None = None
    ) -> dict[str, tuple[str, int]]:
        client = client or self.client
        system = system_prompt(self.rubric)
        messages = [Message("user", user_prompt(draft))]
        schema = reply_schema(self.rubric)
        reply = await client.acall(
            Request(system, tuple(messages), self.max_tokens, self.temperature, schema, index)
        )
        try:
            return parse_reply(reply.text, self.rubric)
        except ValueError as first:
            repair = _env.get_template("judge_repair.jinja").render(
                problem=str(first), names=", ".join(c.name for c in self.rubric.judge.criteria)
            )
            messages += [Message("assistant", reply.text or "(empty)"), Message("user", repair)]
            again = await client.acall(
                Request(system, tuple(messages), self.max_tokens, self.temperature, schema, index)
            )
            try:
                return parse_reply(again.text, self.rubric)
            except ValueError as second:
                shown = again.text.strip()[:400] or "(an empty reply)"
                raise JudgeReplyError(
                    f"the judge ({client.backend.name}:{client.backend.model}) gave an "
                    f"unusable reply for {label} even after one repair request: {second}. "
                    f"It replied: {shown!r}",
                    fix=_reply_fix(client.backend.name),
                ) from None

    async def ajudge(self, draft: str, label: str = "the draft") -> JudgeScore:
        per_member = await asyncio.gather(
            *(
                asyncio.gather(
                    *(
                        self._sample(draft, self.sample_offset + i, label, client)
                        for i in range(self.samples)
                    )
                )
                for client in self.clients
            )
        )
        verdicts = [v for member in per_member for v in member]
        criteria = []
        for c in self.rubric.judge.criteria:
            scores = [v[c.name][1] for v in verdicts]
            criteria.append(
                CriterionScore(
                    name=c.name,
                    score=round(statistics.fmean(scores), 3),
                    stdev=round(statistics.stdev(scores), 3) if len(scores) > 1 else 0.0,
                    rationale=verdicts[0][c.name][0],
                    scores=scores,
                )
            )
        members = None
        if len(self.clients) > 1:
            members = []
            for client, member in zip(self.clients, per_member, strict=True):
                means = {
                    c.name: round(statistics.fmean(v[c.name][1] for v in member), 3)
                    for c in self.rubric.judge.criteria
                }
                members.append(
                    MemberScore(
                        backend=client.backend.name,
                        model=client.backend.model,
                        score=round(self._scaled(sum(means.values())), 2),
                        criteria=means,
                    )
                )
        part = self.rubric.judge
        return JudgeScore(
            score=round(self._scaled(sum(c.score for c in criteria)), 2),
            max=part.max_points,
            samples=self.samples,
            backend=self.client.backend.name,
            model=self.client.backend.model,
            criteria=criteria,
            members=members,
            calibration=self.calibration,
        )

    def _scaled(self, raw: float) -> float:
        """Criterion scores (1..10 each) summed, scaled to the judge part's max_points. The
        default rubric's 6 criteria x 10 = 60 = max_points, so this is the plain sum there."""
        part = self.rubric.judge
        return raw * part.max_points / (10 * len(part.criteria))
