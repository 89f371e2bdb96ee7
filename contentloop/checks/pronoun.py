"""`pronoun`: first-person singular pronouns as tokens, never substrings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from . import chunks
from .base import CheckConfig, Finding, evidence_at, plural, register
from .prose import Draft

if TYPE_CHECKING:
    from spacy.tokens import Token

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

_JOINERS = {"/", "-"}
# "World War I", "Part I", "Type I error": a Roman numeral after the thing it numbers.
_NUMBERED = {
    "war",
    "part",
    "chapter",
    "phase",
    "type",
    "class",
    "stage",
    "level",
    "grade",
    "act",
    "volume",
    "vol",
    "book",
    "section",
    "article",
    "appendix",
    "tier",
    "category",
    "schedule",
    "title",
    "figure",
    "table",
    "step",
    "round",
    "season",
    "series",
    "mark",
    "model",
    "division",
    "henry",
    "elizabeth",
    "louis",
    "charles",
    "george",
    "james",
    "william",
    "richard",
    "edward",
}


def _not_the_pronoun_i(tok: Token, prev: Token | None, nxt: Token | None) -> bool:
    # spaCy splits the word "id" into "i" + "d" (its rule for "I'd" without the apostrophe):
    # "user id" and "ID" are identifiers. "Id say" stays a pronoun.
    if nxt is not None and not tok.whitespace_ and nxt.lower_ == "d":
        return tok.text + nxt.text != "Id"
    if prev is None or tok.text not in ("I", "I."):
        return False
    if prev.lower_ in _NUMBERED:
        return True
    # A capitalized word that does not start its sentence, right before "I" at the end of a
    # clause, names something numbered ("Richard I.", "Apollo I,"); "Then I" starts a sentence.
    return (
        prev.is_title and not prev.is_sent_start and (nxt is None or nxt.is_punct or nxt.is_space)
    )


class PronounConfig(CheckConfig):
    type: Literal["pronoun"]
    pronouns: list[str] = Field(default=["i", "me", "my", "mine", "myself"], min_length=1)


def _forms(cfg: PronounConfig) -> frozenset[str]:
    wanted = {p.lower() for p in cfg.pronouns}
    # spaCy keeps "I." whole at the end of a sentence ("Mary and I.").
    return frozenset(wanted | ({"i."} if "i" in wanted else set()))


def _chunks(draft: Draft, cfg: PronounConfig) -> list[int]:
    return chunks.candidates(draft, _forms(cfg))


@register(PronounConfig, needs=_chunks)
def pronoun(draft: Draft, cfg: PronounConfig) -> Finding:
    from spacy.attrs import LOWER

    hits = []
    for offset, doc in chunks.docs(draft, _chunks(draft, cfg)):
        hashes = {doc.vocab.strings.add(w) for w in _forms(cfg)}
        # Only candidates become Token objects: creating one per token cost more than the check.
        lowers = doc.to_array([LOWER]).tolist() if len(doc) else []
        for i in (i for i, low in enumerate(lowers) if low in hashes):
            tok = doc[i]
            word = tok.lower_[:-1] if tok.lower_ == "i." else tok.lower_
            prev = doc[tok.i - 1] if tok.i > 0 else None
            nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
            # "I/O", "A/B/I", "I-beam", "I-5": a letter in a compound, not a pronoun.
            if (nxt is not None and not tok.whitespace_ and nxt.text in _JOINERS) or (
                prev is not None and not prev.whitespace_ and prev.text in _JOINERS
            ):
                continue
            if word == "i" and _not_the_pronoun_i(tok, prev, nxt):
                continue
            if tok.lower_ == "mine" and prev is not None and prev.lower_ in _NOUN_MINE_BEFORE:
                continue
            hits.append(evidence_at(draft, offset + tok.idx, tok.text.rstrip(".")))
    if not hits:
        return Finding(hits, "no first-person singular pronoun")
    found = sorted({h.text for h in hits})
    return Finding(
        hits, f"{plural(len(hits), 'first-person singular pronoun')}: {', '.join(found)}"
    )
