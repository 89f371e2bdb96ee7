"""Vale's `capitalization` rule: headings (or any scope) in sentence case, title case, all
lower or upper case, or matching a pattern, with the exceptions a style lists."""

from __future__ import annotations

import regex

from ..checks.base import finditer, search
from ..checks.prose import Draft
from .rules import Alert, Rule, compile_pattern

_WORD = regex.compile(r"\p{L}[\p{L}\p{N}*]*[^\s]*")
_JOINER = regex.compile(r"[-'’]")


class Capitalization(Rule):
    def _setup(self) -> None:
        self.threshold = self.spec.threshold or 0.8
        if self.spec.match not in ("$sentence", "$title", "$lower", "$upper"):
            self.pattern = compile_pattern(self.spec.match, self.path, "match")
        # `prefix`: what a heading may start with that is not one of its words ("a. ").
        self.prefix = (
            compile_pattern(f"^(?:{self.spec.prefix})", self.path, "prefix")
            if self.spec.prefix
            else None
        )

    def _ok(self, text: str) -> bool:
        match = self.spec.match
        if match == "$lower":
            return text == text.lower() or self._is_exception(text)
        if match == "$upper":
            return text == text.upper() or self._is_exception(text)
        if match == "$sentence":
            return self._sentence(text)
        if match == "$title":
            return self._title(text)
        return search(self.pattern, text) is not None or self._is_exception(text)

    def _words(self, text: str) -> tuple[list[str], set[int]]:
        """The words of `text` after any prefix, and which of them need no check: those an
        exception covers (one word alone, or a phrase such as "Axon Server" taking in
        several), and a first word that something else (a number, code) comes before."""
        if self.prefix is not None:
            text = self.prefix.sub("", text, count=1)
        body = text.rstrip("?!.:")
        found = list(_WORD.finditer(body))
        spans = [m.span() for m in finditer(self.excepted, body)] if self.excepted else []
        covered = {
            i
            for i, w in enumerate(found)
            if any(a <= w.start() and w.end() <= b for a, b in spans)
            or self._is_exception(w.group(0))
        }
        if found and body[: found[0].start()].strip():  # "1. An ...", "`this` is ..."
            covered.add(0)
        return [w.group(0) for w in found], covered

    def _sentence(self, text: str) -> bool:
        # Sentence case as Vale's own fixtures grade it: the first word and any word after
        # an indicator (a colon) start upper case; the rest are lower case unless excepted.
        words, excepted = self._words(text)
        if not words:
            return True
        good = 0
        for i, token in enumerate(words):
            w = _JOINER.split(token)[0] or token
            after_indicator = i > 0 and any(words[i - 1].endswith(s) for s in self.spec.indicators)
            if i in excepted or self._is_exception(w):
                good += 1
            elif i == 0:
                if w != w[:1].upper() + w[1:].lower():
                    return False
                good += 1
            elif after_indicator:
                good += w[:1].isupper()
            elif w == w.lower():
                good += 1
        return good / len(words) > self.threshold

    _SMALL = frozenset(
        "a an and as at but by for if in nor of on or so the to up via vs yet".split()
    )

    def _title(self, text: str) -> bool:
        words, excepted = self._words(text)
        if not words:
            return True
        good = 0
        for i, w in enumerate(words):
            small = w.lower() in self._SMALL and 0 < i < len(words) - 1
            if i in excepted or w == w.upper():
                good += 1
            elif small:
                good += w == w.lower()
            else:
                good += w[:1].isupper()
        return good / len(words) >= self.threshold

    def run(self, draft: Draft) -> list[Alert]:
        return [
            self.alert(draft, seg, 0, seg.text)
            for seg in self._scoped(draft)
            if not self._ok(seg.text)
        ]
