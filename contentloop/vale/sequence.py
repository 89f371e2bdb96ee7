"""Vale's `sequence` rules: a run of tokens, each a word pattern, a part-of-speech tag (Penn
Treebank, as Vale's tagger gives), or both, found sentence by sentence.

Words are spaCy's tokens ("endpoint's" is "endpoint" + "'s", as in Vale); tags come from
TextBlob's pattern tagger, a Brill-style tagger whose lexicon ships inside the package (Vale
uses an averaged perceptron; the two agree on most words and can differ on a few). The match
follows Vale's: the first token with a `pattern` is the anchor; tokens before it are matched
leftwards and tokens after it rightwards, and `skip: n` lets up to n words pass before the
token it belongs to. `%s` in the message takes the matched words in order.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import regex

from ..checks.base import search
from ..checks.prose import Draft
from ..errors import ContentloopError
from .rules import Alert, Rule, compile_pattern


@dataclass
class Step:
    """One expanded token of a rule: its tests, and the place it has in a `skip` run."""

    pattern: regex.Pattern[str] | None
    tag: regex.Pattern[str] | None
    negate: bool
    optional: bool
    start: bool
    end: bool
    skip: int

    def matches(self, word: str, tag: str) -> bool:
        # Vale: a tag or pattern "fails" when its match equals `negate`; a token with neither
        # matches anything.
        bad_tag = self.tag is not None and (search(self.tag, tag) is not None) == self.negate
        bad_word = self.pattern is not None and (
            (search(self.pattern, word) is not None) == self.negate
        )
        return not (bad_tag or bad_word)


@functools.cache
def _tagger() -> Any:
    from textblob.en import tag  # the lexicon loads once, on the first sequence rule run

    return tag


def tagged(text: str) -> list[tuple[int, str, str]]:
    """(offset, word, Penn tag) for each token of a sentence."""
    from ..checks.nlp import nlp

    toks = [t for t in nlp().make_doc(text) if not t.is_space]
    if not toks:
        return []
    tags = _tagger()(" ".join(t.text for t in toks), tokenize=False)
    if len(tags) != len(toks):  # the tagger re-split a token: tag word by word instead
        tags = [(t.text, (_tagger()(t.text, tokenize=False) or [("", "")])[0][1]) for t in toks]
    return [(t.idx, t.text, tg) for t, (_, tg) in zip(toks, tags, strict=True)]


class Sequence(Rule):
    def _setup(self) -> None:
        self.steps: list[Step] = []
        for i, raw in enumerate(self.spec.sequence):
            if not isinstance(raw, dict):
                raise ContentloopError(
                    f"token {i + 1} is not a mapping.",
                    path=self.path,
                    field=f"tokens[{i}]",
                    fix="write each token as `- pattern: ...` and/or `tag: ...` (skip, negate).",
                )
            pattern = str(raw.get("pattern") or "")
            tag = str(raw.get("tag") or "")
            where = f"tokens[{i}]"
            case = "(?i)" if self.spec.ignorecase else ""
            word_rx = (
                compile_pattern(rf"{case}(?m)\b(?:{pattern})\b", self.path, where)
                if pattern
                else None
            )
            tag_rx = compile_pattern(tag, self.path, where) if tag else None
            skip, negate = int(raw.get("skip") or 0), bool(raw.get("negate", False))
            for n in range(skip, 0, -1):
                self.steps.append(Step(word_rx, tag_rx, negate, True, n == skip, False, skip))
            if pattern or tag:
                self.steps.append(Step(word_rx, tag_rx, negate, False, False, True, skip))
        self.anchor = next(
            (i for i, s in enumerate(self.steps) if s.pattern is not None and not s.negate), None
        )
        if self.anchor is None:
            raise ContentloopError(
                "no token has a pattern to anchor the sequence.",
                path=self.path,
                field="tokens",
                fix="give at least one token a `pattern` (Vale anchors on the first one).",
            )

    def run(self, draft: Draft) -> list[Alert]:
        alerts = []
        assert self.anchor is not None
        anchor = self.steps[self.anchor]
        assert anchor.pattern is not None
        for seg in self._scoped(draft):
            found = list(regex.finditer(anchor.pattern, seg.text))
            if not found:
                continue  # tag only the sentences the anchor word is in
            words = tagged(seg.text)
            used: set[int] = set()
            for _ in found:
                hit = self._match(words, used)
                if hit is None:
                    continue
                first, matched = hit
                at = words[first][0]
                shown = _joined([w for _, w, _ in matched])
                a = self.alert(draft, seg, at, shown, *(w for _, w, _ in matched))
                alerts.append(a)
        return alerts

    def _match(
        self, words: list[tuple[int, str, str]], used: set[int]
    ) -> tuple[int, list[tuple[int, str, str]]] | None:
        """The next unused anchor word and the words of the sequence around it, or None."""
        assert self.anchor is not None
        idx, anchor = self.anchor, self.steps[self.anchor]
        for j, (_, word, tag) in enumerate(words):
            if j in used or not anchor.matches(word, tag):
                continue
            used.add(j)
            left: list[tuple[int, str, str]] = []
            for i in range(1, idx + 1):
                if j - i < 0:
                    return None
                step = self.steps[idx - i]
                # Read right to left, a skip run's required token is the optional end.
                optional = (
                    (step.optional or step.end) and not step.start if step.skip else step.optional
                )
                w = words[j - i]
                left.insert(0, w)
                ok = step.matches(w[1], w[2])
                if not ok and not optional:
                    return None
                if ok and optional:
                    break
            right: list[tuple[int, str, str]] = []
            for i in range(len(self.steps) - idx):
                if j + i >= len(words):
                    return None
                step, w = self.steps[idx + i], words[j + i]
                right.append(w)
                ok = step.matches(w[1], w[2])
                if not ok and not step.optional:
                    return None
                if ok and step.optional:
                    break
            return j - len(left), left + right
        return None


def _joined(words: list[str]) -> str:
    """Vale's stepsToString: words joined by spaces, a clitic ("'s") onto the word before."""
    out = ""
    for w in words:
        out += w if w.startswith(("'", "’")) or w == "n't" else " " + w
    return out.strip()
