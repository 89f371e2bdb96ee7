"""`lead_pivot`: the lead (first prose paragraph) must contain a pivot sentence."""

from __future__ import annotations

from typing import Literal

import regex
from pydantic import Field, PrivateAttr, model_validator

from . import chunks
from .base import (
    IGNORECASE,
    CheckConfig,
    Evidence,
    Finding,
    compile_regex,
    register,
    search,
)
from .prose import Draft


class LeadPivotConfig(CheckConfig):
    type: Literal["lead_pivot"]
    patterns: list[str] = Field(min_length=1, description="Regexes, matched case-insensitively.")
    _compiled: list[regex.Pattern[str]] = PrivateAttr()

    @model_validator(mode="after")
    def _compile(self) -> LeadPivotConfig:
        self._compiled = [compile_regex(p, IGNORECASE) for p in self.patterns]
        return self


def _normal(text: str) -> str:
    # Curly apostrophes are common in drafts; patterns are written with the plain one.
    return " ".join(text.replace("’", "'").replace("‘", "'").split())


def _chunks(draft: Draft, cfg: LeadPivotConfig) -> range:
    lead = draft.lead
    return draft.chunks_in(lead.start, lead.end) if lead else range(0)


@register(LeadPivotConfig, needs=_chunks)
def lead_pivot(draft: Draft, cfg: LeadPivotConfig) -> Finding:
    lead = draft.lead
    if lead is None:
        return Finding(
            [Evidence(text="(no lead paragraph)", line=None)], "the draft has no lead paragraph"
        )
    # Sentences are clipped to the lead; pivots such as "That's not X. That's Y." span two
    # sentences, so adjacent pairs are tried too.
    sents = []
    for sent_start, sent_end in chunks.sentences_in(draft, lead.start, lead.end):
        start, end = max(sent_start, lead.start), min(sent_end, lead.end)
        if start < end and draft.prose[start:end].strip():
            sents.append((start, end))
    windows = sents + [(a[0], b[1]) for a, b in zip(sents, sents[1:], strict=False)]
    for start, end in windows:
        text = _normal(draft.prose[start:end])
        for rx in cfg._compiled:
            if search(rx, text):
                return Finding([], f"lead pivots: {text[:90]!r}")
    snippet = _normal(lead.content)
    return Finding(
        [Evidence(text=snippet[:100] + ("…" if len(snippet) > 100 else ""), line=lead.line)],
        f"no pivot sentence in the lead (line {lead.line})",
    )
