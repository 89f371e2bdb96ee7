"""`repetition`: a sentence or paragraph the draft already said, word for word.

Looping is a failure of LLM text with any model (small ones loop within a paragraph, large
ones repeat a sentence across sections), and a judge reading a long draft often misses it.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

from pydantic import Field

from . import chunks
from .base import CheckConfig, Evidence, Finding, plural, register
from .prose import Draft

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


class RepetitionConfig(CheckConfig):
    type: Literal["repetition"]
    min_words: int = Field(
        default=5,
        ge=1,
        description="Sentences shorter than this are ignored ('Here is how.' may recur).",
    )
    scope: list[Literal["paragraph", "sentence"]] = Field(
        default=["paragraph", "sentence"], min_length=1
    )


def _key(text: str) -> tuple[str, ...]:
    """Words only, lower-cased: repeats that differ in case, spacing, bullets or punctuation
    are still repeats."""
    return tuple(_WORD.findall(text.lower()))


def _chunks(draft: Draft, cfg: RepetitionConfig) -> list[int]:
    """The chunks where a run of `min_words` words occurs that occurs again somewhere: a
    repeated sentence can be nowhere else, so no other chunk is split into sentences."""
    if "sentence" not in cfg.scope:
        return []
    n = cfg.min_words
    memo = ("repeats", n)
    if memo not in draft.memo:
        runs: list[set[tuple[str, ...]]] = []
        count: Counter[tuple[str, ...]] = Counter()
        for i in range(len(draft.chunks)):
            words = _key(draft.chunk_text(i))
            here = [tuple(words[j : j + n]) for j in range(len(words) - n + 1)]
            runs.append(set(here))
            count.update(here)  # every occurrence: a sentence may repeat inside one chunk
        draft.memo[memo] = [i for i, here in enumerate(runs) if any(count[r] > 1 for r in here)]
    return draft.memo[memo]  # type: ignore[return-value]


@register(RepetitionConfig, needs=_chunks)
def repetition(draft: Draft, cfg: RepetitionConfig) -> Finding:
    hits: list[Evidence] = []
    first_line: dict[tuple[str, ...], int] = {}  # what was said -> where it was first said
    repeated_blocks: list[tuple[int, int]] = []

    def seen(kind: str, text: str, line: int) -> bool:
        words = _key(text)
        if len(words) < cfg.min_words:
            return False
        key = (kind, *words)  # a paragraph of one sentence is not a repeat of that sentence
        if key in first_line:
            hits.append(
                Evidence(
                    text=text if len(text) <= 100 else text[:99] + "…",
                    line=line,
                    context=f"repeats line {first_line[key]}",
                )
            )
            return True
        first_line[key] = line
        return False

    if "paragraph" in cfg.scope:
        for block in draft.blocks:
            text = " ".join(draft.prose[block.start : block.end].split())
            if seen("paragraph", text, block.line):
                repeated_blocks.append((block.start, block.end))
    if "sentence" in cfg.scope:
        sents = [s for i in _chunks(draft, cfg) for s in chunks.sentences(draft, i)]
        for sent_start, sent_end in sents:
            raw = draft.prose[sent_start:sent_end]
            begin = sent_start + len(raw) - len(raw.lstrip())
            # A sentence inside a paragraph already reported counts once, as the paragraph.
            if any(start <= begin < end for start, end in repeated_blocks):
                continue
            seen("sentence", " ".join(raw.split()), draft.line_of(begin))
    if not hits:
        return Finding(hits, "no repeated sentence or paragraph")
    hits.sort(key=lambda e: e.line or 0)
    lines = ", ".join(str(h.line) for h in hits[:5]) + ("…" if len(hits) > 5 else "")
    return Finding(hits, f"{plural(len(hits), 'repeated passage')} (lines {lines})")
