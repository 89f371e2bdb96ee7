"""`repetition`: a sentence or paragraph the draft already said, word for word, and a
paragraph that loops on near-repeats.

Looping is a failure of LLM text with any model (small ones loop within a paragraph, large
ones repeat a sentence across sections), and a judge reading a long draft often misses it.
A small model's loop rarely repeats itself exactly ("PUBLIC 20k square meters assembly hall of
the plant floor: PUBLIC 10K square metres assembly hall of the plant floor: ..."), so a
paragraph is also measured by how well it compresses: text that says the same thing again
with a word or a number changed compresses far better than prose does (Whisper discards
transcripts by the same measure). The threshold is measured in bench/repetition_loops.py.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from typing import Literal

from pydantic import Field

from . import chunks
from .base import CheckConfig, Evidence, Finding, plural, register
from .prose import Draft

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


# bench/repetition_loops.py: over 486 paragraphs of real documents (installed packages'
# READMEs, this repository's docs and example posts) the highest was 1.89; loops of a phrase with
# a word or a number changed start near 2.2. Paragraphs under MIN_CHARS are too short to tell.
LOOP_RATIO = 2.2
WINDOW, STEP, MIN_CHARS = 400, 100, 200


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
    loop_ratio: float | None = Field(
        default=LOOP_RATIO,
        gt=1.0,
        description="A paragraph any 400-character stretch of which compresses (zlib) more than "
        "this many times is looping on near-repeats; null: off.",
    )


def compression(text: str) -> float:
    """The most any `WINDOW`-character stretch of `text` compresses (raw / zlib bytes): a
    fixed window, so a long paragraph of prose does not read as a loop for being long."""
    if len(text) <= WINDOW:
        return _ratio(text)
    return max(_ratio(text[i : i + WINDOW]) for i in range(0, len(text) - WINDOW + 1, STEP))


def _ratio(text: str) -> float:
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw, 9))


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
    if cfg.loop_ratio is not None:
        for block in draft.blocks:
            if (block.start, block.end) in repeated_blocks:
                continue
            text = " ".join(draft.prose[block.start : block.end].split())
            if len(text) < MIN_CHARS:
                continue
            ratio = compression(text)
            if ratio > cfg.loop_ratio:
                hits.append(
                    Evidence(
                        text=text if len(text) <= 100 else text[:99] + "…",
                        line=block.line,
                        context=f"loops: compresses {ratio:.1f}x (prose stays under "
                        f"{cfg.loop_ratio:g}x)",
                    )
                )
    if not hits:
        return Finding(hits, "no repeated sentence or paragraph")
    hits.sort(key=lambda e: e.line or 0)
    lines = ", ".join(str(h.line) for h in hits[:5]) + ("…" if len(hits) > 5 else "")
    return Finding(hits, f"{plural(len(hits), 'repeated passage')} (lines {lines})")
