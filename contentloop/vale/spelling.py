"""Vale's `spelling` rules (and the built-in `Vale.Spelling`), on Hunspell dictionaries read by
spylls, a pure-Python port of Hunspell's algorithms.

The default dictionary is the en_US one spylls ships (Vale's own is en_US-web, a close
relative: a word one has and the other lacks gives a different alert). A rule's `dicpath` and
`dictionaries` (or `aff` and `dic`) load others, `append: true` keeps the default too,
`ignore` files list words to accept, `filters` are regexes of words to skip, and `custom:
true` turns off Vale's default filters (CamelCase, all-capitals endings, anything with a
character other than a letter, an underscore or an apostrophe). Words are spaCy's tokens,
with contractions and hyphenated compounds kept whole, as Vale's tokenizer keeps them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import regex

from ..checks.prose import Draft
from ..errors import ContentloopError
from .rules import Alert, Rule, compile_pattern

if TYPE_CHECKING:
    from spylls.hunspell import Dictionary

# Vale's defaultFilters: words they match are not spell-checked.
DEFAULT_FILTERS = (r"[A-Z]{1}[a-z]+[A-Z]+\w+", r"[A-Z]+$", r"[^a-zA-Z_']")
_CLITIC = regex.compile(r"^(?:['’]\p{L}*|n['’]t)$", regex.I)


@functools.cache
def _dictionary(stem: str) -> Dictionary:
    from spylls.hunspell import Dictionary

    return Dictionary.from_files(stem)


def default_stem() -> str:
    import spylls

    return str(Path(spylls.__file__).parent / "hunspell" / "data" / "en" / "en_US")


class Spelling(Rule):
    def _setup(self) -> None:
        styles_path = self.path.parent.parent
        self.dictionaries = [_dictionary(stem) for stem in self._stems(styles_path)]
        self.words: set[str] = set()
        for name in self.spec.ignore:
            self.words |= self._word_list(styles_path, name)
        filters = [*self.spec.filters, *(() if self.spec.custom else DEFAULT_FILTERS)]
        self.filters = [compile_pattern(f, self.path, "filters") for f in filters]
        # Vale matches a spelling rule's exceptions (a vocabulary's accepted terms among them)
        # anywhere in the word, ignoring case.
        self.excepted = (
            compile_pattern(
                "(?i)(?:" + "|".join(self.spec.exceptions) + ")", self.path, "exceptions"
            )
            if self.spec.exceptions
            else None
        )
        self._known: dict[str, bool] = {}

    def _stems(self, styles_path: Path) -> list[str]:
        spec = self.spec
        if spec.aff and spec.dic:
            aff, dic = (self._asset(styles_path, p) for p in (spec.aff, spec.dic))
            if aff.with_suffix("") != dic.with_suffix(""):
                raise ContentloopError(
                    f"aff {aff.name} and dic {dic.name} are not one dictionary.",
                    path=self.path,
                    field="dic",
                    fix="name the .aff and .dic of the same dictionary (en_US.aff, en_US.dic).",
                )
            return [str(dic.with_suffix(""))]
        if not spec.dictionaries:
            return [default_stem()]
        folder = Path(spec.dicpath or os.environ.get("DICPATH", "") or styles_path)
        if not folder.is_absolute():
            folder = (self.path.parent / folder).resolve()
        stems = []
        for name in spec.dictionaries:
            stem = folder / name
            if not (stem.with_suffix(".aff").is_file() and stem.with_suffix(".dic").is_file()):
                raise ContentloopError(
                    f"no Hunspell dictionary {name} ({name}.aff and {name}.dic) in {folder}.",
                    path=self.path,
                    field="dictionaries",
                    fix="set dicpath to the folder that holds the .aff and .dic files.",
                )
            stems.append(str(stem))
        return [*stems, default_stem()] if spec.append else stems

    def _asset(self, styles_path: Path, given: str) -> Path:
        for candidate in (Path(given), styles_path / given, self.path.parent / given):
            if candidate.is_file():
                return candidate.resolve()
        raise ContentloopError(
            f"no file {given} (looked as given, in {styles_path} and beside the rule).",
            path=self.path,
            field="aff/dic",
            fix="give the path of the .aff and .dic files.",
        )

    def _word_list(self, styles_path: Path, name: str) -> set[str]:
        for candidate in (styles_path / name, self.path.parent / name, Path(name)):
            if candidate.is_file():
                text = candidate.read_text(encoding="utf-8", errors="replace")
                return {w.strip() for w in text.splitlines() if w.strip()}
        raise ContentloopError(
            f"no word list {name} (looked in {styles_path} and beside the rule).",
            path=self.path,
            field="ignore",
            fix="name a file of one word per line, relative to StylesPath.",
        )

    def known(self, word: str) -> bool:
        found = self._known.get(word)
        if found is None:
            found = (
                word in self.words
                or word[:1].lower() + word[1:] in self.words
                or any(d.lookup(word) for d in self.dictionaries)
            )
            self._known[word] = found
        return found

    def run(self, draft: Draft) -> list[Alert]:
        alerts = []
        for seg in self._scoped(draft):
            for start, word in words(seg.text):
                if any(f.search(word) for f in self.filters):
                    continue
                if self.excepted is not None and self.excepted.search(word):
                    continue
                if not self.known(word):
                    alerts.append(self.alert(draft, seg, start, word))
        return alerts


def words(text: str) -> Iterator[tuple[int, str]]:
    """(offset, word) for each word of `text`: spaCy's tokens, with a contraction ("can't",
    which spaCy splits as "ca" + "n't") and a hyphenated compound kept as one word, and a
    possessive "'s" left off."""
    from ..checks.nlp import nlp

    doc = nlp().make_doc(text)
    group: list = []
    for tok in doc:
        joined = bool(group) and not group[-1].whitespace_
        if joined and (_CLITIC.match(tok.text) or tok.text == "-" or group[-1].text == "-"):
            group.append(tok)
            continue
        yield from _word(text, group)
        group = [tok]
    yield from _word(text, group)


def _word(text: str, group: list) -> Iterator[tuple[int, str]]:
    while group and group[-1].text == "-":
        group = group[:-1]
    if not group or group[0].is_punct or group[0].is_space:
        return
    start, end = group[0].idx, group[-1].idx + len(group[-1].text)
    word = text[start:end]
    if len(group) > 1 and regex.search(r"['’]s$", word, regex.I):
        word = word[:-2]
    yield start, word
