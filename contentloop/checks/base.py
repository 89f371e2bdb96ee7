"""The shape every check shares: config (from the rubric) + draft → result with evidence."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, get_args

import regex
from pydantic import BaseModel, ConfigDict, Field

from . import chunks
from .directives import silenced, switches
from .prose import Draft


class Evidence(BaseModel):
    """Where a check looked and what it found: the matched text and its line in the file."""

    text: str
    line: int | None = None
    column: int | None = None  # 1-based, in characters; for editors and CI annotations
    context: str | None = None
    suggestions: list[str] | None = None
    message: str | None = None  # this hit's own message, where the rule words one (Vale rules)


class CheckConfig(BaseModel):
    """Fields every check type accepts. Every number here is rubric data, never code."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Stable name used in JSON output.")
    type: str
    description: str = ""
    deduction: float = Field(ge=0, description="Points taken off the binary part.")
    per: Literal["occurrence", "document"] = "document"
    cap: float | None = Field(default=None, ge=0, description="Most this check can take off.")
    fix: str | None = Field(default=None, description="Advice shown to the writer on failure.")

    def points_for(self, draft: Draft) -> float:
        """Points per hit (or per document) on this draft."""
        return self.deduction

    def switch_names(self) -> tuple[set[str], set[str]]:
        """Which switch comments reach this check: (systems, names); see directives."""
        return {"contentloop"}, {self.id}


@dataclass
class Finding:
    """What a check function returns: the offending spots (empty = pass) and why."""

    hits: list[Evidence]
    reason: str
    # A Vale rule's own name ("Google.AMPM") and its level for this file, so every output
    # can say what Vale would; None for contentloop's own checks.
    rule: str | None = None
    level: str | None = None


class CheckResult(BaseModel):
    id: str
    type: str
    passed: bool
    count: int
    deduction: float
    reason: str
    evidence: list[Evidence]
    fix: str | None = None
    rule: str | None = None  # a Vale rule's name, "Style.Rule"
    level: str | None = None  # its Vale level: suggestion, warning or error


C = TypeVar("C", bound=CheckConfig)
CheckFn = Callable[[Draft, C], Finding]
REGISTRY: dict[str, tuple[type[CheckConfig], CheckFn]] = {}


def register(
    config: type[C], needs: Callable[[Draft, C], Iterable[int]] | None = None
) -> Callable[[CheckFn[C]], CheckFn[C]]:
    """Register a check function under the `type` literal of its config model. `needs` names
    the chunks of a draft the check will parse with spaCy (see chunks.prepare)."""
    (name,) = get_args(config.model_fields["type"].annotation)

    def wrap(fn: CheckFn[C]) -> CheckFn[C]:
        REGISTRY[name] = (config, fn)
        if needs is not None:
            chunks.NEEDS[name] = needs
        return fn

    return wrap


def run_check(cfg: CheckConfig, draft: Draft) -> CheckResult:
    """Run one check; TimeoutError when its matching takes over CHECK_BUDGET_S in all."""
    _, fn = REGISTRY[cfg.type]
    token = _deadline.set(time.monotonic() + CHECK_BUDGET_S)
    try:
        finding = fn(draft, cfg)
    finally:
        _deadline.reset(token)
    finding = _unsilenced(cfg, draft, finding)
    count = len(finding.hits)
    deduction = 0.0
    if count:
        deduction = cfg.points_for(draft) * (count if cfg.per == "occurrence" else 1)
        if cfg.cap is not None:
            deduction = min(deduction, cfg.cap)
    return CheckResult(
        id=cfg.id,
        type=cfg.type,
        passed=count == 0,
        count=count,
        deduction=deduction,
        reason=finding.reason,
        evidence=finding.hits,
        fix=cfg.fix if count else None,
        rule=finding.rule,
        level=finding.level,
    )


def _unsilenced(cfg: CheckConfig, draft: Draft, finding: Finding) -> Finding:
    """The finding without the hits a `<!-- contentloop ... -->` comment switches off."""
    if not switches(draft) or not finding.hits:
        return finding
    systems, names = cfg.switch_names()
    kept = [
        e
        for e in finding.hits
        if e.line is None
        or not silenced(draft, draft.line_start(e.line) + (e.column or 1) - 1, systems, names)
    ]
    gone = len(finding.hits) - len(kept)
    if not gone:
        return finding
    note = f"{plural(gone, 'hit')} switched off by comments"
    if not kept:
        return Finding(kept, note, finding.rule, finding.level)
    reason = finding.reason
    if reason.startswith(f"{len(finding.hits)} "):  # "3 occurrences of ..." counted them all
        reason = f"{len(kept)} {reason.split(' ', 1)[1]}"
    return Finding(kept, f"{reason} ({note})", finding.rule, finding.level)


# A rubric regex is user input run against every draft: `(a+)+$` on a long line would backtrack
# for hours with `re`. The `regex` module takes a timeout per call, and per match in finditer,
# so 200 paragraphs could each spend it; instead one check on one draft has this much for all
# its matching together (`search`, `finditer` below). A check over it fails the score with an
# error naming the rubric field (see scoring.binary_part).
CHECK_BUDGET_S = 2.0
IGNORECASE = regex.IGNORECASE
_deadline: ContextVar[float] = ContextVar("check_deadline", default=float("inf"))


def _time_left() -> float:
    left = _deadline.get() - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return min(left, CHECK_BUDGET_S)


def search(rx: regex.Pattern[str], text: str, pos: int = 0) -> regex.Match[str] | None:
    """`rx.search(text, pos)` within what is left of the running check's time budget."""
    return rx.search(text, pos, timeout=_time_left())


def findall(rx: regex.Pattern[str], text: str) -> list[Any]:
    """`rx.findall(text)` within what is left of the running check's time budget."""
    return rx.findall(text, timeout=_time_left())


def finditer(rx: regex.Pattern[str], text: str) -> Iterator[regex.Match[str]]:
    """`rx.finditer(text)` within what is left of the running check's time budget."""
    for m in rx.finditer(text, timeout=_time_left()):
        yield m
        _time_left()


def compile_regex(value: str, flags: int = 0) -> regex.Pattern[str]:
    """Compile a rubric regex, raising ValueError (which pydantic turns into a located error).

    Callers match through `search` and `finditer`, which bound the time.
    """
    try:
        return regex.compile(value, flags)
    except regex.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc


def evidence_at(draft: Draft, offset: int, text: str, **extra: Any) -> Evidence:
    """Evidence for a hit at a character offset of the draft: its line, column and context."""
    line = draft.line_of(offset)
    column = offset - draft.line_start(line) + 1
    return Evidence(text=text, line=line, column=column, context=context_of(draft, line), **extra)


def context_of(draft: Draft, line: int, width: int = 100) -> str:
    text = draft.line_text(line).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"
