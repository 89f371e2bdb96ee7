"""`banned_terms`: whole words and phrases, case-insensitive, with their inflections.

Why inflections come from lemminflect and not from spaCy lemmas: `spacy.blank("en")` gives
empty lemmas; real lemmas need spacy-lookups-data (~100 MB) or a trained pipeline that
`spacy download` cannot fetch offline, and both lemmatize the *draft* (slow, and wrong on
unusual words). Expanding each banned term into its inflected forms once per rubric and
matching those on spaCy's lowercased tokens is exact, fast, and offline: "leverage" catches
"leveraging" and "Leveraged" as tokens, never the substring in "cleverage".
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from ..atomic import write_text
from ..paths import home
from . import chunks
from .base import CheckConfig, Finding, evidence_at, plural, register
from .nlp import nlp
from .prose import Draft

if TYPE_CHECKING:
    from spacy.tokens import Doc


class BannedTermsConfig(CheckConfig):
    type: Literal["banned_terms"]
    per: Literal["occurrence", "document"] = "occurrence"
    terms: dict[str, list[str]] = Field(
        min_length=1, description="Banned term → suggested replacements (may be empty)."
    )

    @field_validator("terms", mode="before")
    @classmethod
    def _none_means_no_replacements(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ([] if v is None else v) for k, v in value.items()}
        return value

    @field_validator("terms")
    @classmethod
    def _words(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for term in value:
            if not term.strip() or not any(c.isalnum() for c in term):
                raise ValueError(f"banned term {term!r} has no letters")
        return value


def _forms(word: str, last: bool) -> set[str]:
    """A word plus its inflections, from the inflection cache when it has them."""
    known = _inflection_cache()
    key = f"{word}|{int(last)}"
    if key not in known:
        known[key] = sorted(_inflect(word, last))
        _unsaved.add(key)
    return set(known[key])


_unsaved: set[str] = set()


def _save_inflections() -> None:
    if _unsaved:
        try:
            write_text(_inflection_file(), json.dumps(_inflection_cache(), ensure_ascii=False))
            _unsaved.clear()
        except OSError:
            pass  # the cache only saves the import next time


def _inflection_file() -> Path:
    from importlib.metadata import version

    return home() / "inflections" / f"lemminflect-{version('lemminflect')}.json"


@functools.cache
def _inflection_cache() -> dict[str, list[str]]:
    # lemminflect takes about 1.4 s to import and load its tables: more than the rest of a
    # small `score`. A term's forms are the same on every run, so they are kept on disk.
    try:
        data = json.loads(_inflection_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _inflect(word: str, last: bool) -> set[str]:
    """A word plus its inflections (all of its lemmas' forms)."""
    # Imported here, not at the top: lemminflect takes about a second to import, and
    # loading a rubric or printing --help must not pay for it.
    from lemminflect import getAllInflections, getAllInflectionsOOV, getAllLemmas

    forms = {word}
    for lemma in {word, *(lemma for ls in getAllLemmas(word).values() for lemma in ls)}:
        for infl in getAllInflections(lemma).values():
            forms.update(infl)
    if last and len(forms) == 1:
        # Unknown to the dictionary (e.g. "game-changer" parts): let the head noun/verb inflect.
        for upos in ("NOUN", "VERB"):
            for infl in getAllInflectionsOOV(word, upos).values():
                forms.update(infl)
    forms = {f.lower() for f in forms}
    # British and Oxford spellings: "revolutionise", "analysed", "organisation".
    return forms | {_BRITISH.sub(r"\1s\2", f) for f in forms}


_BRITISH = re.compile(r"(?<=\w{3})([iy])z(e|es|ed|er|ers|ing|ation|ations)$")


# A term is a sequence of steps over the draft's tokens (as LOWER hashes): a set of word forms,
# an optional hyphen ("cutting-edge" also catches "cutting edge"), or one exact token.
Step = tuple[str, frozenset[int]]


@functools.lru_cache(maxsize=64)
def _steps(terms: tuple[str, ...]) -> dict[int, list[tuple[str, list[Step]]]]:
    """Each term's steps, indexed by the hashes its first step accepts."""
    strings = nlp().vocab.strings
    by_first: dict[int, list[tuple[str, list[Step]]]] = {}
    for term in terms:
        tokens = [t for t in nlp().make_doc(term.lower()) if not t.is_space]
        words = [i for i, t in enumerate(tokens) if t.is_alpha]
        steps: list[Step] = []
        for i, tok in enumerate(tokens):
            if tok.is_alpha:
                forms = _forms(tok.lower_, i == words[-1])
                steps.append(("forms", frozenset(strings.add(f) for f in forms)))
            elif tok.text == "-":
                steps.append(("hyphen", frozenset({strings.add("-")})))
            else:
                steps.append(("forms", frozenset({strings.add(tok.lower_)})))
        for first in steps[0][1]:
            by_first.setdefault(first, []).append((term, steps))
    _save_inflections()
    return by_first


def _match(steps: list[Step], lowers: list[int], spaces: list[int], i: int) -> int | None:
    """The end (exclusive) of `steps` matched from token i, or None. Whitespace tokens (line
    breaks, blanked markup) between the words of a term are skipped."""
    j, n = i, len(lowers)
    for k, (kind, accepted) in enumerate(steps):
        if k:
            while j < n and spaces[j]:
                j += 1
        if j < n and lowers[j] in accepted:
            j += 1
        elif kind != "hyphen":
            return None
    return j


def find_terms(doc: Doc, terms: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """(start, end, term) token spans of every banned term, longest first where they overlap."""
    from spacy.attrs import IS_SPACE, LOWER

    by_first = _steps(terms)
    # Token objects are slow to create; the scan reads two integer columns instead.
    columns = doc.to_array([LOWER, IS_SPACE]).tolist() if len(doc) else []
    lowers = [c[0] for c in columns]
    spaces = [c[1] for c in columns]
    found = []
    for i, low in enumerate(lowers):
        for term, steps in by_first.get(low, ()):
            end = _match(steps, lowers, spaces, i)
            if end is not None:
                found.append((i, end, term))
    taken: set[int] = set()
    kept = []
    for start, end, term in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
        if not taken.intersection(range(start, end)):
            taken.update(range(start, end))
            kept.append((start, end, term))
    return sorted(kept)


@functools.lru_cache(maxsize=64)
def _first_words(terms: tuple[str, ...]) -> frozenset[str]:
    strings = nlp().vocab.strings
    return frozenset(strings[h] for h in _steps(terms))


def _chunks(draft: Draft, cfg: BannedTermsConfig) -> list[int]:
    """The chunks where a term's first word is."""
    return chunks.candidates(draft, _first_words(tuple(cfg.terms)))


@register(BannedTermsConfig, needs=_chunks)
def banned_terms(draft: Draft, cfg: BannedTermsConfig) -> Finding:
    hits = []
    for offset, doc in chunks.docs(draft, _chunks(draft, cfg)):
        for start, end, term in find_terms(doc, tuple(cfg.terms)):
            span = doc[start:end]
            hits.append(
                evidence_at(
                    draft,
                    offset + span.start_char,
                    " ".join(span.text.split()),
                    suggestions=cfg.terms[term] or None,
                )
            )
    if not hits:
        return Finding(hits, f"none of the {len(cfg.terms)} banned terms")
    found = sorted({h.text.lower() for h in hits})
    return Finding(hits, f"{plural(len(hits), 'banned term')}: {', '.join(found)}")
