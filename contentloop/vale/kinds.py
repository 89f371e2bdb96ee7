"""The kinds of Vale rule that match patterns, and `load_rule`, which reads a rule file into
one of the kinds contentloop runs (these and vale/metrics.py's)."""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import regex
from pydantic import ValidationError

from ..checks.base import findall, finditer, search
from ..checks.prose import Draft
from ..errors import ContentloopError
from ..yamlio import parse_yaml, read_text, validation_error
from . import prefilter
from .capitalization import Capitalization
from .metrics import Metric, Readability
from .prefilter import MIN_ENTRIES, WordList, required_words, words_of
from .rules import (
    UNSUPPORTED,
    Alert,
    Rule,
    RuleSpec,
    Unsupported,
    anywhere,
    block_matches,
    compile_pattern,
    format_message,
    matches_in_blocks,
    rule_regex,
)
from .sequence import Sequence as SequenceRule
from .spelling import Spelling
from .view import joined_text


class Existence(Rule):
    def _setup(self) -> None:
        body = "|".join(self.spec.tokens)
        word = bool(self.spec.tokens) and not self.spec.nonword
        self.rx = compile_pattern(
            rule_regex(self.spec, body, "".join(self.spec.raw), word), self.path, "tokens/raw"
        )
        # With `raw` beside the tokens, every match holds a match of the tokens alone: a
        # document with none of those is not searched with the whole (often slower) pattern.
        self.tokens_alone = (
            compile_pattern(rule_regex(self.spec, body, "", word), self.path, "tokens")
            if self.spec.raw and self.spec.tokens
            else None
        )
        self.words: WordList[regex.Pattern[str]] | None = None
        if not self.spec.raw and len(self.spec.tokens) >= MIN_ENTRIES:
            tokens = self.spec.tokens
            self.words = WordList(
                tokens,
                lambda idx: compile_pattern(
                    rule_regex(self.spec, "|".join(tokens[i] for i in idx)), self.path, "tokens"
                ),
                bounded=word,
            )

    def run(self, draft: Draft) -> list[Alert]:
        alerts: list[Alert] = []
        rx = self.rx if self.words is None or self.reads_markup else self.words.for_draft(draft)
        if rx is None:
            return alerts
        if self.tokens_alone is not None and prefilter.ENABLED and not self.reads_markup:
            if search(self.tokens_alone, joined_text(draft)) is None:
                return alerts
        for seg, m, start in matches_in_blocks(self, rx, draft):
            if m.end() > m.start() and not self._is_exception(m.group(0)):
                alerts.append(self.alert(draft, seg, start, m.group(0)))
        return sorted(alerts, key=lambda a: a.offset)


class Substitution(Rule):
    def _setup(self) -> None:
        # Each key is one named group, so a match names its replacement; longer keys first so
        # that "a fine kettle of fish" wins over "kettle". A key may hold groups of its own,
        # which its replacement names as $1, $2 (Vale's fixtures: `change to the $1 directory`).
        self.keys = sorted(self.spec.swap, key=len, reverse=True)
        self.repl = [self.spec.swap[k] for k in self.keys]
        self.matcher = self._matcher(tuple(range(len(self.keys))))
        self.words: WordList[regex.Pattern[str]] | None = None
        if len(self.keys) >= MIN_ENTRIES:
            bounded = not self.spec.nonword
            self.words = WordList(self.keys, self._matcher, bounded)

    def _matcher(self, idx: tuple[int, ...]) -> regex.Pattern[str]:
        """The regex of some keys, key i as the group `_swap<i>`."""
        body = "|".join(f"(?P<{_KEY}{i}>{self.keys[i]})" for i in idx)
        return compile_pattern(rule_regex(self.spec, body), self.path, "swap")

    def run(self, draft: Draft) -> list[Alert]:
        alerts: list[Alert] = []
        rx = (
            self.matcher if self.words is None or self.reads_markup else self.words.for_draft(draft)
        )
        if rx is None:
            return alerts
        for seg, m, at in matches_in_blocks(self, rx, draft):
            name = next((n for n, v in m.groupdict().items() if v and n.startswith(_KEY)), None)
            if name is None:
                continue
            key = int(name[len(_KEY) :])
            observed = m.group(name).strip()
            expected = self._expected(key, m.group(name))
            if _same(expected, observed, self.spec.ignorecase) or self._is_exception(observed):
                continue
            options = expected.split("|")
            template = self.repl[key]
            if observed[:1].isupper() and (
                self.spec.capitalize or (self.spec.ignorecase and template == template.lower())
            ):
                # Vale's fixtures: "Use 'Aren't' instead of 'Are not'", but 'iOS' for 'IOS'.
                options = [o[:1].upper() + o[1:] for o in options]
            message = self.spec.message
            first = message.find("%s")
            bare = first >= 0 and message[first - 1 : first] not in ("'", '"')
            # A replace action quotes a lone suggestion too (Vale's lint.feature), unless the
            # message already quotes it (proselint's fixtures).
            if len(options) > 1 or (self.spec.replace_action and bare):
                # Vale quotes each option itself: "Use 'a' or 'b' instead of 'c'".
                for quoted in ("'%s'", '"%s"'):
                    if message.count(quoted) == 2:
                        message = message.replace(quoted, "%s", 1)
                shown = _sentence_list([f"'{o}'" for o in options])
            else:
                shown = options[0]
            a = self.alert(draft, seg, at + m.start(name) - m.start(), observed)
            alerts.append(replace(a, message=format_message(message, shown, observed)))
        return sorted(alerts, key=lambda a: a.offset)

    def _expected(self, key: int, matched: str) -> str:
        """Key `key`'s replacement, its $1, ${2} filled from the key's own groups."""
        template = self.repl[key]
        if "$" not in template:
            return template
        flags = regex.IGNORECASE if self.spec.ignorecase else 0
        own = _compiled(self.keys[key], flags).fullmatch(matched.strip())
        if own is None:
            return template
        return _GROUP_REF.sub(lambda r: own.group(int(r.group(1) or r.group(2))) or "", template)


_KEY = "_swap"
_GROUP_REF = regex.compile(r"\$(?:(\d)|\{(\d+)\})")


def _valid(pattern: str) -> bool:
    try:
        regex.compile(pattern)
    except regex.error:
        return False
    return True


def _sentence_list(items: list[str]) -> str:
    if len(items) <= 2:
        return " or ".join(items)
    return ", ".join(items[:-1]) + ", or " + items[-1]


def _same(expected: str, observed: str, ignorecase: bool) -> bool:
    """The match already is the replacement (Vale's matchToken): no alert. A plain phrase
    (letters, digits, spaces, hyphens) must match exactly, case included, even under
    `ignorecase`: that is how Vale.Terms catches "Oxidex" for "OxiDex"."""
    if all(c.isalnum() or c in " -" for c in expected) or not _valid(expected):
        return expected == observed
    flags = regex.IGNORECASE if ignorecase else 0
    return _compiled(f"(?:{expected})", flags).fullmatch(observed) is not None


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str, flags: int) -> regex.Pattern[str]:
    return regex.compile(pattern, flags)


class Occurrence(Rule):
    def _setup(self) -> None:
        rx = f"(?:{self.spec.token})"
        self.rx = compile_pattern(("(?i)" + rx) if self.spec.ignorecase else rx, self.path, "token")

    def run(self, draft: Draft) -> list[Alert]:
        alerts = []
        most, least = self.spec.max, self.spec.min
        for seg in self._scoped(draft):
            # Counted in C: only a part that alerts needs its first match as an object.
            n = len(findall(self.rx, seg.text))
            if (most > 0 and n > most) or (least > 0 and n < least):
                first = search(self.rx, seg.text) if n else None
                text = first.group(0) if first else ""
                alerts.append(self.alert(draft, seg, first.start() if first else 0, text))
        return alerts


_SENTENCE_END = regex.compile(r"[.!?]\s|\n")


class Repetition(Rule):
    def _setup(self) -> None:
        # Vale reads a repetition's tokens as they are, without word boundaries: `[^\s]+`
        # takes "plan." whole, so "a plan plan." repeats nothing (Vale's checks.feature).
        body = "|".join(self.spec.tokens)
        case = "(?i)" if self.spec.ignorecase else ""
        self.rx = compile_pattern(f"{case}(?:{body})", self.path, "tokens")

    def run(self, draft: Draft) -> list[Alert]:
        alerts: list[Alert] = []
        repeated = self._repeated(draft) if prefilter.ENABLED else None
        if repeated is not None and not repeated:
            return alerts
        for seg in self._scoped(draft):
            if repeated is not None:
                text = seg.text.lower() if self.spec.ignorecase else seg.text
                if not any(text.count(w) >= 2 for w in repeated):
                    continue
            prev: regex.Match[str] | None = None
            count = 0
            for m in finditer(self.rx, seg.text):
                curr = m.group(0).strip()
                before = prev.group(0).strip() if prev else ""
                hit = bool(curr) and (
                    curr.lower() == before.lower() if self.spec.ignorecase else curr == before
                )
                hit = hit and (not self.spec.alpha or curr.isalpha())
                if hit:
                    count += 1
                if hit and prev is not None and count > self.spec.max:
                    # Vale alerts only where the two are in one sentence. Not across a line
                    # break either: a row of badges reads as "image\nimage" here, where
                    # Vale reads each image's alt text apart.
                    if not _SENTENCE_END.search(seg.text, prev.end(), m.start()):
                        alerts.append(self.alert(draft, seg, prev.start(), curr))
                        count = 0
                prev = m
        return alerts

    def _repeated(self, draft: Draft) -> set[str] | None:
        """What follows itself somewhere in the blocks joined, as compared: a block that
        does not hold one of these twice cannot alert. One search in C instead of one per
        block (for a `[^\\s]+` token, every word). None when the blocks must be read one by
        one: a match in the joined text is then not surely one its block would give."""
        if set(self.spec.scope) - {"text"} or self.rx.groups:
            return None
        text = joined_text(draft)
        if not anywhere(self.rx) or "\0" in text:
            return None
        found = "\0".join(findall(self.rx, text))
        if "\n" in found:  # a match may run into the blank line after its block
            return None
        raw = found.split("\0")
        keys = (found.lower() if self.spec.ignorecase else found).split("\0")
        keys = list(map(str.strip, keys))
        at = itertools.compress(range(1, len(keys)), map(operator.eq, keys, keys[1:]))
        alpha = self.spec.alpha
        return {keys[i] for i in at if keys[i] and (not alpha or raw[i].strip().isalpha())}


class Consistency(Rule):
    def _setup(self) -> None:
        self.steps = [
            compile_pattern(rule_regex(self.spec, f"(?P<a>{a})|(?P<b>{b})"), self.path, "either")
            for a, b in self.spec.either.items()
        ]
        # A pair alerts only where both spellings occur: a document must hold both's words.
        word = not self.spec.nonword
        self.needs = [
            required_words(a, word) | required_words(b, word) for a, b in self.spec.either.items()
        ]

    def run(self, draft: Draft) -> list[Alert]:
        alerts: list[Alert] = []
        words = words_of(draft)
        live = [
            i
            for i, need in enumerate(self.needs)
            if not prefilter.ENABLED or self.reads_markup or need <= words
        ]
        if not live:
            return alerts
        seen: list[set[str]] = [set() for _ in self.steps]
        for seg in self._scoped(draft):
            for i in live:
                rx = self.steps[i]
                found = list(finditer(rx, seg.text))
                for m in found:
                    seen[i].add("a" if m.group("a") is not None else "b")
                if found and len(seen[i]) == 2:
                    # Vale reports once per block, at the first place the last match's text
                    # appears in the block.
                    last = found[-1].group(0)
                    at = seg.text.find(last)
                    alerts.append(self.alert(draft, seg, at, last))
        return alerts


class Conditional(Rule):
    def _setup(self) -> None:
        case = "(?i)" if self.spec.ignorecase else ""
        self.antecedent = compile_pattern(case + self.spec.first, self.path, "first")
        self.consequent = compile_pattern(case + self.spec.second, self.path, "second")

    def run(self, draft: Draft) -> list[Alert]:
        if (
            not prefilter.ENABLED
            or set(self.spec.scope) - {"text"}
            or _ANCHORED.search(self.spec.first + self.spec.second)
        ):
            return self._run_by_block(draft)
        # One search of the joined blocks for each pattern; a term defined in a block counts
        # from that block on, as when the blocks are read one by one.
        defined_in: dict[int, set[str]] = {}
        for i, _, m, _ in block_matches(self.consequent, draft):
            defined_in.setdefault(i, set()).update(g for g in m.groups() if g)
        alerts, defined, upto = [], set(), -1
        for i, seg, m, start in block_matches(self.antecedent, draft):
            while upto < i:
                upto += 1
                defined |= defined_in.get(upto, set())
            if m.group(0) not in defined and not self._is_exception(m.group(0)):
                alerts.append(self.alert(draft, seg, start, m.group(0)))
        return alerts

    def _run_by_block(self, draft: Draft) -> list[Alert]:
        alerts = []
        defined: set[str] = set()
        for seg in self._scoped(draft):
            for m in finditer(self.consequent, seg.text):
                defined.update(g for g in m.groups() if g)
            for m in finditer(self.antecedent, seg.text):
                if m.group(0) not in defined and not self._is_exception(m.group(0)):
                    alerts.append(self.alert(draft, seg, m.start(), m.group(0)))
        return alerts


# Patterns read differently in the blocks joined than in each block alone: `^` and `$`
# without (?m), and the text's own edges.
_ANCHORED = regex.compile(r"[\^$]|\\[AZzG]")


KINDS: dict[str, type[Rule]] = {
    "existence": Existence,
    "substitution": Substitution,
    "occurrence": Occurrence,
    "repetition": Repetition,
    "consistency": Consistency,
    "conditional": Conditional,
    "capitalization": Capitalization,
    "metric": Metric,
    "readability": Readability,
    "spelling": Spelling,
    "sequence": SequenceRule,
}


WHY_NOT = {
    "script": "it is a program in Tengo, Vale's embedded scripting language, and no Tengo "
    "interpreter exists for Python; an existence, occurrence or metric rule can often say the same",
}


# The kinds whose exceptions take a vocabulary's accepted terms, as Vale's do.
TAKES_VOCAB = ("existence", "substitution", "capitalization", "conditional", "spelling")


def load_rule(path: Path, style: str | None = None, accepted: Sequence[str] = ()) -> Rule:
    """Read and compile `<Style>/<Rule>.yml`; ContentloopError names the file and field,
    Unsupported says which kind was skipped. `accepted` (a vocabulary's terms) become
    exceptions, unless the rule says `vocab: false`."""
    name = f"{style or path.parent.name}.{path.stem}"
    text = read_text(path, "Vale rule")
    data, lines = parse_yaml(text, path)
    if not isinstance(data, dict):
        raise ContentloopError("a Vale rule must be a YAML mapping.", path=path, line=1)
    kind = data.get("extends")
    if kind in UNSUPPORTED:
        raise Unsupported(f"`extends: {kind}` is not run here: {WHY_NOT[kind]}")
    if kind == "sequence":  # its tokens are mappings (pattern, tag, skip), not strings
        data = {**data, "sequence": data.get("tokens") or [], "tokens": []}
    if accepted and kind in TAKES_VOCAB and data.get("vocab", True) is not False:
        data = {**data, "exceptions": [*(data.get("exceptions") or []), *accepted]}
    try:
        spec = RuleSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, path, lines, data) from exc
    return KINDS[spec.extends](name, spec, path)
