"""Long word lists (a style's clichés, wordy phrases, adverbs: hundreds of alternatives in
one regex) searched only for the entries a document can hold.

Most entries name whole words: "a kettle of fish", "cool, calm, and collected", "(?:bunch|pack)
of crows" (the last needs "of" and "crows"). Under word boundaries, a word that the entry
spells out, between non-letters or the entry's edges, matches only where it stands as a whole
run of letters. A document whose runs of letters do not include every such word of an entry
cannot match the entry. Each document is searched with a regex of the entries whose words it
has, plus every entry that names no whole word; the few distinct subsets are compiled once.
The alternatives keep their order, so a match is the one the whole list would give.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

try:  # the stdlib's own regex parser; `regex` has none it exposes
    from re import _constants as sre_c
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python before 3.11 named them sre_*
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

from ..checks.prose import Draft
from .view import joined_text

T = TypeVar("T")

MIN_ENTRIES = 1  # a rule with fewer entries is searched whole
# Off, every rule searches every document in full, part by part (tests compare the two): no
# word lists, no search of the whole text first, no repetition or definition found in C.
ENABLED = True

_LETTERS = re.compile(r"[^\W\d_]+")
_ASCII_WORD = re.compile(r"[a-z]+")
# The only characters that `regex`'s case-insensitive matching takes for an ASCII letter
# (found by trying every code point; tests/test_vale_config.py checks it). Lower-casing
# alone would turn "İ" into "i" and a combining dot, which is not a letter.
_FOLD_TO_ASCII = str.maketrans({"\u0130": "i", "\u017f": "s", "\u212a": "k"})
_ZERO_WIDTH = {sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT}


@dataclass(frozen=True)
class Needs:
    """What every match of one entry holds: whole words, and a run of characters."""

    words: frozenset[str] = frozenset()  # lower-case ASCII runs of letters
    text: str = ""  # lower-case ASCII characters, in a row

    def met(self, words: set[str], folded: str) -> bool:
        return self.words <= words and self.text in folded

    def __bool__(self) -> bool:
        return bool(self.words or self.text)


def needs(entry: str, bounded: bool = True) -> Needs:
    """What every match of `entry` holds, read from its top-level sequence: each word it
    spells out between non-letter characters or (when `bounded`, as under Vale's word
    boundaries) the entry's edges, and its longest run of ASCII characters spelled out.
    Nothing when the stdlib cannot read the pattern (it is then searched in every document).
    """
    parsed = _parse(entry)
    if parsed is None:  # syntax only `regex` reads: no filtering, never wrong
        return Needs()
    edge = "" if bounded else None  # "" a non-letter, None anything
    atoms: list[str | None] = [edge, *_atoms(list(parsed)), edge]
    words, run, ok_before = set(), "", False
    for prev, atom in zip(atoms, atoms[1:], strict=False):
        if atom is not None and _is_letter(atom):
            if not run:
                ok_before = prev is not None and not _is_letter(prev)
            run += atom
            continue
        if run and ok_before and atom is not None and _ASCII_WORD.fullmatch(run.lower()):
            words.add(run.lower())
        run = ""
    runs = "".join(a if a and a.isascii() else "\n" for a in atoms).lower().split("\n")
    return Needs(frozenset(words), max(runs, key=len))


def required_words(entry: str, bounded: bool = True) -> frozenset[str]:
    """The whole words every match of `entry` holds (see `needs`)."""
    return needs(entry, bounded).words


_EDGE_CODES = {
    sre_c.AT_BEGINNING,
    sre_c.AT_BEGINNING_LINE,
    sre_c.AT_BEGINNING_STRING,
    sre_c.AT_END,
    sre_c.AT_END_LINE,
    sre_c.AT_END_STRING,
    sre_c.AT_NON_BOUNDARY,
}


def edgeless(pattern: str) -> bool | None:
    """Whether `pattern` has no anchor (but `\\b`) and no lookaround anywhere in it; None
    when the stdlib cannot read it."""
    parsed = _parse(pattern)
    return None if parsed is None else not _has_edge(parsed)


def _parse(pattern: str) -> Any:
    """The stdlib's parse of `pattern`, or None where it may not read it as `regex` does: an
    error, or a warning (`[[:alpha:]]` is a POSIX class to `regex`, a nested set to it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return sre_parse.parse(pattern)
        except Exception:  # noqa: BLE001 - re.error, FutureWarning, RecursionError...
            return None


def _has_edge(value: Any) -> bool:
    if isinstance(value, sre_parse.SubPattern):
        for op, av in value:
            if op in (sre_c.ASSERT, sre_c.ASSERT_NOT) or (op is sre_c.AT and av in _EDGE_CODES):
                return True
            if _has_edge(av):
                return True
    elif isinstance(value, (list, tuple)):
        return any(_has_edge(v) for v in value)
    return False


def _is_letter(c: str) -> bool:
    return _LETTERS.fullmatch(c) is not None  # as the document's runs are read


def _atoms(items: list[tuple[Any, Any]]) -> list[str | None]:
    """A pattern's top-level sequence as characters: a literal as itself, anything else that
    takes characters as None. Zero-width assertions are left out: without them a pattern
    matches more, never less."""
    out: list[str | None] = []
    for op, av in items:
        if op is sre_c.LITERAL:
            out.append(chr(av))
        elif op is sre_c.AT and av is sre_c.AT_BOUNDARY:
            out.append("")  # \\b beside a letter: a non-letter (or nothing) on its other side
        elif op in _ZERO_WIDTH:
            continue
        elif op is sre_c.SUBPATTERN and not any(o is sre_c.BRANCH for o, _ in av[-1]):
            out += _atoms(list(av[-1]))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT) and av[0] == av[1] == 1:
            out += _atoms(list(av[2]))
        else:
            out.append(None)
    return out


class WordList(Generic[T]):
    """`build(indexes)` makes the matcher for some entries; `for_draft` gives the one for the
    entries a draft can hold (None when it can hold none). `bounded`: the entries are read
    between word boundaries."""

    def __init__(
        self, entries: list[str], build: Callable[[tuple[int, ...]], T], bounded: bool = True
    ) -> None:
        self.n = len(entries)
        self.always: set[int] = set()
        # Indexed by an entry's longest word (the rarest, most likely), or else by its run of
        # characters; checked in full.
        self.by_word: dict[str, list[tuple[int, Needs]]] = defaultdict(list)
        self.by_text: list[tuple[int, Needs]] = []
        for i, entry in enumerate(entries):
            need = needs(entry, bounded)
            if need.words:
                self.by_word[max(sorted(need.words), key=len)].append((i, need))
            elif len(need.text) >= 2:
                self.by_text.append((i, need))
            else:
                self.always.add(i)
        self.build = functools.lru_cache(maxsize=128)(build)

    def for_draft(self, draft: Draft) -> T | None:
        if not ENABLED:
            return self.build(tuple(range(self.n)))
        words, folded = words_of(draft), folded_text(draft)
        chosen = set(self.always)
        for word in words & self.by_word.keys():
            chosen.update(i for i, need in self.by_word[word] if need.met(words, folded))
        chosen.update(i for i, need in self.by_text if need.text in folded)
        return self.build(tuple(sorted(chosen))) if chosen else None


def folded_text(draft: Draft) -> str:
    """The text Vale's rules read in `draft`, lower-cased as case-insensitive matching reads
    it (with the three letters `regex` takes for ASCII ones)."""
    found = draft.__dict__.get("_vale_folded")
    if found is None:
        text = joined_text(draft)
        found = draft.__dict__["_vale_folded"] = text.translate(_FOLD_TO_ASCII).lower()
    return found


def words_of(draft: Draft) -> set[str]:
    """The lower-cased runs of letters of the text Vale's rules read in `draft`."""
    found = draft.__dict__.get("_vale_words")
    if found is None:
        found = draft.__dict__["_vale_words"] = set(_LETTERS.findall(folded_text(draft)))
    return found
