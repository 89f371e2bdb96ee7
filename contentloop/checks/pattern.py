"""`pattern`: a literal string or a regular expression in the prose."""

from __future__ import annotations

from typing import Literal

import regex
from pydantic import PrivateAttr, model_validator

from .base import (
    IGNORECASE,
    CheckConfig,
    Finding,
    compile_regex,
    evidence_at,
    finditer,
    plural,
    register,
)
from .prose import Draft


class PatternConfig(CheckConfig):
    type: Literal["pattern"]
    pattern: str
    regex: bool = False
    ignore_case: bool = False
    label: str | None = None  # how to name a hit in messages, e.g. "em dash (U+2014)"
    _compiled: regex.Pattern[str] = PrivateAttr()

    @model_validator(mode="after")
    def _compile(self) -> PatternConfig:
        if not self.pattern:
            raise ValueError("pattern must not be empty")
        source = self.pattern if self.regex else regex.escape(self.pattern)
        self._compiled = compile_regex(source, IGNORECASE if self.ignore_case else 0)
        return self


@register(PatternConfig)
def pattern(draft: Draft, cfg: PatternConfig) -> Finding:
    hits = []
    for m in finditer(cfg._compiled, draft.prose):
        if m.end() == m.start():
            continue  # an empty match marks nothing
        hits.append(evidence_at(draft, m.start(), m.group(0)))
    name = cfg.label or repr(cfg.pattern)
    reason = (
        f"{plural(len(hits), 'occurrence')} of {name} in prose" if hits else f"no {name} in prose"
    )
    return Finding(hits, reason)
