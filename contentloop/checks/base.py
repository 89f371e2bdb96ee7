"""The shape every check shares: config (from the rubric) + draft → result with evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar, get_args

import regex
from pydantic import BaseModel, ConfigDict, Field

from .prose import Draft


class Evidence(BaseModel):
    """Where a check looked and what it found: the matched text and its line in the file."""

    text: str
    line: int | None = None
    context: str | None = None
    suggestions: list[str] | None = None


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


@dataclass
class Finding:
    """What a check function returns: the offending spots (empty = pass) and why."""

    hits: list[Evidence]
    reason: str


class CheckResult(BaseModel):
    id: str
    type: str
    passed: bool
    count: int
    deduction: float
    reason: str
    evidence: list[Evidence]
    fix: str | None = None


C = TypeVar("C", bound=CheckConfig)
CheckFn = Callable[[Draft, C], Finding]
REGISTRY: dict[str, tuple[type[CheckConfig], CheckFn]] = {}


def register(config: type[C]) -> Callable[[CheckFn[C]], CheckFn[C]]:
    """Register a check function under the `type` literal of its config model."""
    (name,) = get_args(config.model_fields["type"].annotation)

    def wrap(fn: CheckFn[C]) -> CheckFn[C]:
        REGISTRY[name] = (config, fn)
        return fn

    return wrap


def run_check(cfg: CheckConfig, draft: Draft) -> CheckResult:
    _, fn = REGISTRY[cfg.type]
    finding = fn(draft, cfg)
    count = len(finding.hits)
    deduction = 0.0
    if count:
        deduction = cfg.deduction * (count if cfg.per == "occurrence" else 1)
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
    )


# A rubric regex is user input run against every draft: `(a+)+$` on a long line would backtrack
# for hours with `re`. The `regex` module takes a timeout per call; a check over it fails the
# score with an error naming the rubric field (see scoring._binary).
REGEX_TIMEOUT_S = 1.0
IGNORECASE = regex.IGNORECASE


def compile_regex(value: str, flags: int = 0) -> regex.Pattern[str]:
    """Compile a rubric regex, raising ValueError (which pydantic turns into a located error).

    Callers match with `timeout=REGEX_TIMEOUT_S`.
    """
    try:
        return regex.compile(value, flags)
    except regex.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc


def context_of(draft: Draft, line: int, width: int = 100) -> str:
    text = draft.line_text(line).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"
