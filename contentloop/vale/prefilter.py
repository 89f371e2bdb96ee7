"""Long word lists (a style's clichés, wordy phrases, adverbs: hundreds of alternatives in
one regex) searched only for the entries a document can hold.

Most entries are plain phrases ("a kettle of fish", "very") or start with a plain word. Under
word boundaries, every word of a plain phrase, and the first word of the others, can match
only where it stands as a whole run of letters, so a document whose words do not include
the phrase's longest word (or the entry's first) cannot match the entry. Each document is searched with a regex
of the entries whose first word it has, plus every entry that does not start with a plain
word; the few distinct subsets are compiled once. The alternatives keep their order, so a
match is the one the whole list would give.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Generic, TypeVar

from ..checks.prose import Draft, letter_runs
from .view import segments

T = TypeVar("T")

MIN_ENTRIES = 1  # a rule with fewer entries is searched whole
# Off, every rule searches every document in full (tests compare the two).
ENABLED = True
_LEAD = re.compile(r"([A-Za-z]+)(?: (?![*?{+])|$)")


_LITERAL = re.compile(r"[A-Za-z' -]+")
_RUN = re.compile(r"[A-Za-z]+")


def lead(entry: str) -> str | None:
    """A word every match of the entry holds as a whole run of letters: in a plain phrase its
    longest word (the rarest, most likely); otherwise its first word, when that is plain."""
    if _LITERAL.fullmatch(entry):
        return max(_RUN.findall(entry), key=len, default="").lower() or None
    if "|" in entry:
        return None  # a top-level alternative need not begin with it
    m = _LEAD.match(entry)
    return m.group(1).lower() if m else None


class WordList(Generic[T]):
    """`build(indexes)` makes the matcher for some entries; `for_draft` gives the one for the
    entries a draft can hold (None when it can hold none)."""

    def __init__(self, entries: list[str], build: Callable[[tuple[int, ...]], T]) -> None:
        leads = [lead(e) for e in entries]
        self.always = {i for i, word in enumerate(leads) if word is None}
        self.by_word: dict[str, list[int]] = defaultdict(list)
        for i, word in enumerate(leads):
            if word is not None:
                self.by_word[word].append(i)
        self.build = functools.lru_cache(maxsize=128)(build)

    def for_draft(self, draft: Draft) -> T | None:
        if not ENABLED:
            return self.build(tuple(range(len(self.always) + sum(map(len, self.by_word.values())))))
        words = words_of(draft)
        chosen = set(self.always)
        for word in words & self.by_word.keys():
            chosen.update(self.by_word[word])
        return self.build(tuple(sorted(chosen))) if chosen else None


def words_of(draft: Draft) -> set[str]:
    """The lower-cased runs of letters of the text Vale's rules read in `draft`."""
    found = draft.__dict__.get("_vale_words")
    if found is None:
        text = "\n\n".join(seg.text for seg in segments(draft))
        found = draft.__dict__["_vale_words"] = letter_runs(text)
    return found
