"""The proposer: an optimizer model suggests one edit to one skill section.

Its reply is a structured edit (section, new_text, hypothesis). An edit naming anything but
one of the skill's section names is refused: the rubric, the judge prompt and the topics are
out of its reach by construction, since it can only ever replace a section's text. An edit
whose text talks to the evaluator ("ignore previous instructions", "score this 10", any
mention of the judge, rubric or scoring) is refused before it is evaluated. Each refusal
says why, and the loop logs it.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from ..checks.evaluator_address import find_evaluator_address
from ..jsonreply import json_object
from ..llm import Client, Message, Request
from ..schemas import reply_schema_of
from ..skill import Skill

MAX_SECTION_CHARS = 6000
MAX_HYPOTHESIS = 300
_HARNESS = re.compile(r"rubric|topic|judge|prompt|scor|criteri", re.IGNORECASE)
_env = jinja2.Environment(
    loader=jinja2.PackageLoader("contentloop", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
)


@dataclass
class Proposal:
    section: str
    new_text: str
    hypothesis: str


class ProposalRefused(ValueError):
    """The optimizer's reply is not an acceptable edit; the message says why (for the ledger)."""


@functools.lru_cache(maxsize=16)
def _reply_model(sections: tuple[str, ...]) -> type[BaseModel]:
    """The reply the optimizer is asked for and the one accepted: its schema is generated
    from this model, and replies are validated by it."""
    return create_model(
        "ProposalReply",
        __config__=ConfigDict(extra="forbid"),
        section=(Literal[sections], ...),  # type: ignore[valid-type]
        new_text=(str, Field(max_length=MAX_SECTION_CHARS)),
        hypothesis=(str, Field(max_length=MAX_HYPOTHESIS)),
    )


def proposal_schema(skill: Skill) -> dict[str, Any]:
    return reply_schema_of(_reply_model(tuple(skill.spec.sections)))


def parse_proposal(text: str, skill: Skill) -> Proposal:
    try:
        data = json_object(text)
    except ValueError as exc:
        raise ProposalRefused(f"the reply is unusable: {exc}") from None
    extra = sorted(set(data) - {"section", "new_text", "hypothesis"})
    if extra:
        raise ProposalRefused(
            f"unexpected field(s) {', '.join(map(repr, extra))}; an edit is only section, new_text and hypothesis"
        )
    section = str(data.get("section", "")).strip()
    if any(mark in section for mark in ("/", "\\", "..")) or section.endswith((".md", ".yaml")):
        raise ProposalRefused(
            f"section {section!r} names a path; only the skill's own sections may be edited"
        )
    if _HARNESS.search(section):
        raise ProposalRefused(
            f"section {section!r} targets the evaluation harness (rubric, topics or judge prompt), "
            "which the optimizer may never edit"
        )
    if section not in skill.spec.sections:
        raise ProposalRefused(
            f"section {section!r} is not one of the skill's sections ({', '.join(skill.spec.sections)}); "
            "only section files may be edited"
        )
    new_text = str(data.get("new_text", "")).strip()
    if not new_text:
        raise ProposalRefused("new_text is empty")
    hypothesis = re.sub(r"\s+", " ", str(data.get("hypothesis", ""))).strip()
    try:
        _reply_model(tuple(skill.spec.sections)).model_validate(
            {"section": section, "new_text": new_text, "hypothesis": hypothesis}
        )
    except ValidationError as exc:
        e = exc.errors()[0]
        field = ".".join(str(p) for p in e["loc"])
        limit = (e.get("ctx") or {}).get("max_length")
        if limit is not None:
            size = len(new_text if field == "new_text" else hypothesis)
            raise ProposalRefused(f"{field} is {size} characters (limit {limit})") from None
        raise ProposalRefused(f"{field}: {e['msg'].lower()}") from None
    aimed = find_evaluator_address(new_text, strict=True)
    if aimed:
        quoted = ", ".join(repr(t) for _, t in aimed[:3])
        raise ProposalRefused(
            f"new_text addresses the evaluator ({quoted}); a skill speaks to the writer about "
            "readers, never about the judge, the rubric or scores"
        )
    if new_text == skill.sections[section].strip():
        raise ProposalRefused("new_text is identical to the current section")
    return Proposal(section, new_text + "\n", hypothesis or "(no hypothesis given)")


async def propose(
    client: Client,
    skill: Skill,
    *,
    best_mean: float,
    max_points: float,
    n_drafts: int,
    noise: float,
    history: list[dict[str, Any]],
    explored: dict[str, int],
    worst: list[dict[str, Any]],
    attempt: int,
    retrospective: str = "",
    emphasis: str = "",
) -> Proposal:
    system = _env.get_template("optimize_system.jinja").render(sections=skill.spec.sections)
    user = _env.get_template("optimize_user.jinja").render(
        sections=[(n, skill.sections[n].strip()) for n in skill.spec.sections],
        best_mean=best_mean,
        max_points=max_points,
        n_drafts=n_drafts,
        noise=noise,
        history=history[-20:],
        explored=[(n, explored.get(n, 0)) for n in skill.spec.sections],
        worst=worst,
        retrospective=retrospective,
        emphasis=emphasis,
    )
    reply = await client.acall(
        Request(
            system,
            (Message("user", user),),
            max_tokens=2000,
            temperature=0.9,
            json_schema=proposal_schema(skill),
            sample=attempt,
        )
    )
    return parse_proposal(reply.text, skill)


def retrospective(history: list[dict[str, Any]]) -> str:
    """Which sections and outcomes the experiments so far had: fed to the proposer every 10
    experiments so it widens its search instead of circling one idea."""
    tries = [h for h in history if h["n"] > 0]
    by_section: dict[str, list[dict[str, Any]]] = {}
    for h in tries:
        by_section.setdefault(h["section"], []).append(h)
    lines = [f"After {max((h['n'] for h in tries), default=0)} experiments:"]
    for section, hs in sorted(by_section.items(), key=lambda kv: -len(kv[1])):
        statuses = Counter(h["status"] for h in hs)
        deltas = [h["delta"] for h in hs if h["delta"] is not None]
        mean = f", mean change {sum(deltas) / len(deltas):+.2f}" if deltas else ""
        lines.append(
            f"- {section}: {len(hs)} tries ({', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}){mean}"
        )
    return "\n".join(lines)
