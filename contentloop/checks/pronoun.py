"""`pronoun`: first-person singular pronouns as tokens, never substrings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import CheckConfig, Evidence, Finding, context_of, plural, register
from .prose import Draft

# "a mine", "the mine": the noun, not the pronoun. A blank pipeline has no part-of-speech
# tags, so the word before decides.
_NOUN_MINE_BEFORE = {
    "a",
    "an",
    "the",
    "this",
    "that",
    "each",
    "every",
    "our",
    "their",
    "its",
    "his",
    "her",
    "your",
    "coal",
    "gold",
    "copper",
    "open-pit",
    "underground",
}


class PronounConfig(CheckConfig):
    type: Literal["pronoun"]
    pronouns: list[str] = Field(default=["i", "me", "my", "mine", "myself"], min_length=1)


@register(PronounConfig)
def pronoun(draft: Draft, cfg: PronounConfig) -> Finding:
    assert draft.doc is not None, "score() parses the draft before running checks"
    wanted = {p.lower() for p in cfg.pronouns}
    doc = draft.doc
    hits = []
    for tok in doc:
        if tok.lower_ not in wanted:
            continue
        prev = doc[tok.i - 1] if tok.i > 0 else None
        nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
        # "I/O", "A/B/I": a letter in a slash compound, not a pronoun.
        if (nxt is not None and not tok.whitespace_ and nxt.text == "/") or (
            prev is not None and not prev.whitespace_ and prev.text == "/"
        ):
            continue
        if tok.lower_ == "mine" and prev is not None and prev.lower_ in _NOUN_MINE_BEFORE:
            continue
        line = draft.line_of(tok.idx)
        hits.append(Evidence(text=tok.text, line=line, context=context_of(draft, line)))
    if not hits:
        return Finding(hits, "no first-person singular pronoun")
    found = sorted({h.text for h in hits})
    return Finding(
        hits, f"{plural(len(hits), 'first-person singular pronoun')}: {', '.join(found)}"
    )
