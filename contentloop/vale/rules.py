"""Vale rules (`<Style>/<Rule>.yml`) read and run on a draft.

Supported `extends`: existence, substitution, occurrence, repetition, consistency,
conditional, capitalization. Not supported (a rule of these kinds is listed as skipped, never
silently half-run): metric, readability, spelling, sequence, script. The semantics follow
Vale's documentation and its published test fixtures: a rule's regex is built the way Vale
builds it (word boundaries unless `nonword`, `raw` before `tokens` unless `append`), matched
per block of rendered text, and messages fill `%s` as Vale does.
"""

from __future__ import annotations

import re as stdre
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..checks.base import finditer, search
from ..checks.prose import Draft
from ..errors import ContentloopError
from ..yamlio import parse_yaml, read_text, validation_error
from .view import Segment, segments

SUPPORTED = (
    "existence",
    "substitution",
    "occurrence",
    "repetition",
    "consistency",
    "conditional",
    "capitalization",
)
UNSUPPORTED = ("metric", "readability", "spelling", "sequence", "script")
Level = Literal["suggestion", "warning", "error"]


class RuleSpec(BaseModel):
    """The fields of a Vale rule file that contentloop reads; others (link, action...) are kept
    out of the way, as Vale keeps fields it does not use."""

    model_config = ConfigDict(extra="ignore")
    extends: Literal[SUPPORTED + UNSUPPORTED]  # type: ignore[valid-type]
    message: str
    level: Level = "suggestion"
    link: str = ""
    scope: list[str] = Field(default_factory=lambda: ["text"])
    ignorecase: bool = False
    nonword: bool = False
    append: bool = False
    tokens: list[str] = Field(default_factory=list)
    raw: list[str] = Field(default_factory=list)
    exceptions: list[str] = Field(default_factory=list)
    swap: dict[str, str] = Field(default_factory=dict)
    either: dict[str, str] = Field(default_factory=dict)
    first: str = ""
    second: str = ""
    token: str = ""
    max: int = 0
    min: int = 0
    alpha: bool = False
    match: str = ""
    indicators: list[str] = Field(default_factory=list)
    threshold: float = 0.0

    @field_validator("scope", mode="before")
    @classmethod
    def _scope_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("tokens", "raw", "exceptions", "indicators", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list) else value

    @field_validator("swap", "either", mode="before")
    @classmethod
    def _string_map(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value


@dataclass(frozen=True)
class Alert:
    rule: str  # "Style.Rule"
    level: str
    message: str
    text: str
    offset: int  # in the draft's source
    line: int
    column: int  # 1-based, in characters


def _format(message: str, *subs: str) -> str:
    """Vale's FormatMessage: the first n substitutions for the message's n `%s`. A run of
    spaces or a line break inside a match is shown as one space, as Vale prints it."""
    subs = tuple(regex.sub(r"(?<=\S)\s{2,}(?=\S)|\n", " ", s) for s in subs)
    out, i = [], 0
    for piece in stdre.split(r"(%s|%%)", message):
        if piece == "%s":
            out.append(subs[i] if i < len(subs) else "")
            i += 1
        elif piece == "%%":
            out.append("%")
        else:
            out.append(piece)
    return "".join(out)


def _compile(pattern: str, path: Path, what: str) -> regex.Pattern[str]:
    try:
        # The `regex` module reads what Vale's engine reads (lookbehind, \p{L}, (?i) inline)
        # and its matching runs under the checks' time budget (checks.base.finditer).
        return regex.compile(pattern)
    except regex.error as exc:
        raise ContentloopError(
            f"{what} is not a regular expression this engine reads: {exc}.",
            path=path,
            fix="use Python/.NET regex syntax (lookarounds work; possessive quantifiers do not).",
        ) from None


def _template(spec: RuleSpec, body: str, raw: str = "", word: bool | None = None) -> str:
    word = (not spec.nonword) if word is None else word
    rx = rf"(?m)\b(?:{body})\b" if word else rf"(?m)(?:{body})"
    rx = rx + raw if spec.append else raw + rx
    return ("(?i)" + rx) if spec.ignorecase else rx


class Rule:
    """One compiled Vale rule; `run(draft)` returns its alerts in document order."""

    def __init__(self, name: str, spec: RuleSpec, path: Path) -> None:
        self.name, self.spec, self.path = name, spec, path
        self.level: str = spec.level
        self.excepted: regex.Pattern[str] | None = None
        if spec.exceptions:
            ordered = sorted(spec.exceptions, key=len, reverse=True)  # greedy alternation
            self.excepted = _compile(rf"(?m)\b(?:{'|'.join(ordered)})\b", path, "exceptions")
        self._setup()

    def _setup(self) -> None:  # per kind
        pass

    def _is_exception(self, text: str) -> bool:
        return self.excepted is not None and search(self.excepted, text) is not None

    def run(self, draft: Draft) -> list[Alert]:
        raise NotImplementedError

    def _scoped(self, draft: Draft) -> Iterator[Segment]:
        scopes = set(self.spec.scope)
        for seg in segments(draft):
            if not seg.text:
                continue
            if "sentence" in scopes:
                yield from _sentences(draft, seg)
            elif "heading" in scopes or any(s.startswith("heading.") for s in scopes):
                if seg.kind == "heading":
                    yield seg
            elif "paragraph" in scopes:
                if seg.kind == "paragraph":
                    yield seg
            elif "list" in scopes:
                if seg.container == "list":
                    yield seg
            else:  # text, summary, raw and the rest read every block
                yield seg

    def alert(self, draft: Draft, seg: Segment, start: int, text: str, *subs: str) -> Alert:
        offset = seg.source_offset(start)
        line = draft.line_of(offset)
        return Alert(
            rule=self.name,
            level=self.level,
            message=_format(self.spec.message, *(subs or (text,))),
            text=text,
            offset=offset,
            line=line,
            column=offset - draft.line_start(line) + 1,
        )


def _joined(draft: Draft) -> tuple[str, list[int], list[Segment]]:
    """All blocks' text joined by blank lines, with each block's start in it."""
    cached = draft.__dict__.get("_vale_joined")
    if cached is None:
        segs = [s for s in segments(draft) if s.text]
        starts, at = [], 0
        for seg in segs:
            starts.append(at)
            at += len(seg.text) + 2
        cached = ("\n\n".join(s.text for s in segs), starts, segs)
        draft.__dict__["_vale_joined"] = cached
    return cached


def _matches(
    rule: Rule, rx: regex.Pattern[str], draft: Draft
) -> Iterator[tuple[Segment, regex.Match[str], int]]:
    """(block, match, match start in the block) for every match, block by block, in order.

    A rule read on every block (scope text) is run once over all blocks joined, not once per
    block: most rules find nothing in most documents, and a call per block per rule was most
    of the time. A match that runs across two blocks is not one Vale makes; those two blocks
    are then searched one by one."""
    if set(rule.spec.scope) - {"text", "summary", "raw"}:
        for seg in rule._scoped(draft):
            for m in finditer(rx, seg.text):
                yield seg, m, m.start()
        return
    text, starts, segs = _joined(draft)
    found, redo = [], set()
    for m in finditer(rx, text):
        i = bisect_right(starts, m.start()) - 1
        found.append((i, m))
        if m.end() > starts[i] + len(segs[i].text):
            redo |= {i, i + 1}
    for i, m in found:
        if i not in redo:
            yield segs[i], m, m.start() - starts[i]
    for i in sorted(redo):
        if i < len(segs):
            for m in finditer(rx, segs[i].text):
                yield segs[i], m, m.start()


def _sentences(draft: Draft, seg: Segment) -> Iterator[Segment]:
    if draft.doc is None:
        yield seg  # no parse (a caller that skipped spaCy): the block is one sentence
        return
    lo, hi = seg.offsets[0], seg.offsets[-1] + 1
    for start, end in draft.sentences:
        if end <= lo or start >= hi:
            continue
        part = seg.slice(start, end)
        if part.text.strip():
            yield part


class Existence(Rule):
    def _setup(self) -> None:
        body = "|".join(self.spec.tokens)
        word = bool(self.spec.tokens) and not self.spec.nonword
        self.rx = _compile(
            _template(self.spec, body, "".join(self.spec.raw), word), self.path, "tokens/raw"
        )

    def run(self, draft: Draft) -> list[Alert]:
        alerts: list[Alert] = []
        for seg, m, start in _matches(self, self.rx, draft):
            if m.end() > m.start() and not self._is_exception(m.group(0)):
                alerts.append(self.alert(draft, seg, start, m.group(0)))
        return sorted(alerts, key=lambda a: a.offset)


class Substitution(Rule):
    def _setup(self) -> None:
        # Each key is one capture group, so a match names its replacement; longer keys first
        # so that "a fine kettle of fish" wins over "kettle".
        keys = sorted(self.spec.swap, key=len, reverse=True)
        for k in keys:
            if _has_group(k):
                raise ContentloopError(
                    f"swap key {k!r} has a capture group.",
                    path=self.path,
                    fix="use (?:...) instead of (...) in swap keys.",
                )
        self.repl = [self.spec.swap[k] for k in keys]
        body = "|".join(f"({k})" for k in keys)
        self.rx = _compile(_template(self.spec, body), self.path, "swap")

    def run(self, draft: Draft) -> list[Alert]:
        alerts = []
        for seg, m, at in _matches(self, self.rx, draft):
            group = next((i for i in range(1, len(self.repl) + 1) if m.group(i)), None)
            if group is None:
                continue
            observed = m.group(group).strip()
            expected = self.repl[group - 1]
            if _same(expected, observed, self.spec.ignorecase) or self._is_exception(observed):
                continue
            options = expected.split("|")
            if observed[:1].isupper() and self.spec.ignorecase:
                # Vale's fixtures show "Use 'Aren't' instead of 'Are not'".
                options = [o[:1].upper() + o[1:] for o in options]
            message = self.spec.message
            if len(options) > 1:
                # Vale quotes each option itself: "Use 'a' or 'b' instead of 'c'".
                for quoted in ("'%s'", '"%s"'):
                    if message.count(quoted) == 2:
                        message = message.replace(quoted, "%s", 1)
                shown = _sentence_list([f"'{o}'" for o in options])
            else:
                shown = options[0]
            a = self.alert(draft, seg, at + m.start(group) - m.start(), observed)
            alerts.append(replace(a, message=_format(message, shown, observed)))
        return sorted(alerts, key=lambda a: a.offset)


def _has_group(pattern: str) -> bool:
    return regex.compile(pattern).groups > 0 if _valid(pattern) else False


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
    """The match already is the replacement (Vale's matchToken): no alert."""
    if any(c.isspace() for c in expected) or not _valid(expected):
        return expected == observed
    flags = regex.IGNORECASE if ignorecase else 0
    return regex.fullmatch(f"(?:{expected})", observed, flags) is not None


class Occurrence(Rule):
    def _setup(self) -> None:
        rx = f"(?:{self.spec.token})"
        self.rx = _compile(("(?i)" + rx) if self.spec.ignorecase else rx, self.path, "token")

    def run(self, draft: Draft) -> list[Alert]:
        alerts = []
        for seg in self._scoped(draft):
            found = list(finditer(self.rx, seg.text))
            n, most, least = len(found), self.spec.max, self.spec.min
            if (most > 0 and n > most) or (least > 0 and n < least):
                start = found[0].start() if found else 0
                a = self.alert(draft, seg, start, found[0].group(0) if found else "")
                alerts.append(a)
        return alerts


class Repetition(Rule):
    def _setup(self) -> None:
        body = "|".join(self.spec.tokens)
        self.rx = _compile(_template(self.spec, body), self.path, "tokens")

    def run(self, draft: Draft) -> list[Alert]:
        alerts = []
        for seg in self._scoped(draft):
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
                    if "\n" not in seg.text[prev.start() : m.end()]:
                        alerts.append(self.alert(draft, seg, prev.start(), curr))
                        count = 0
                prev = m
        return alerts


class Consistency(Rule):
    def _setup(self) -> None:
        self.steps = [
            _compile(_template(self.spec, f"(?P<a>{a})|(?P<b>{b})"), self.path, "either")
            for a, b in self.spec.either.items()
        ]

    def run(self, draft: Draft) -> list[Alert]:
        alerts = []
        seen: list[set[str]] = [set() for _ in self.steps]
        for seg in self._scoped(draft):
            for i, rx in enumerate(self.steps):
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
        self.antecedent = _compile(case + self.spec.first, self.path, "first")
        self.consequent = _compile(case + self.spec.second, self.path, "second")

    def run(self, draft: Draft) -> list[Alert]:
        alerts = []
        defined: set[str] = set()
        for seg in self._scoped(draft):
            for m in finditer(self.consequent, seg.text):
                defined.update(g for g in m.groups() if g)
            for m in finditer(self.antecedent, seg.text):
                if m.group(0) not in defined and not self._is_exception(m.group(0)):
                    alerts.append(self.alert(draft, seg, m.start(), m.group(0)))
        return alerts


class Capitalization(Rule):
    def _setup(self) -> None:
        self.threshold = self.spec.threshold or 0.8
        if self.spec.match not in ("$sentence", "$title", "$lower", "$upper"):
            self.pattern = _compile(self.spec.match, self.path, "match")

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

    def _words(self, text: str) -> list[str]:
        return regex.findall(r"\p{L}[\p{L}\p{N}*]*[^\s]*", text.rstrip("?!.:"))

    def _sentence(self, text: str) -> bool:
        # Sentence case as Vale's own fixtures grade it: the first word and any word after
        # an indicator (a colon) start upper case; the rest are lower case unless excepted.
        words = self._words(text)
        if not words:
            return True
        good = 0
        for i, token in enumerate(words):
            w = regex.split(r"[-'’]", token)[0] or token
            after_indicator = i > 0 and any(words[i - 1].endswith(s) for s in self.spec.indicators)
            if self._is_exception(token) or self._is_exception(w):
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
        words = self._words(text)
        if not words:
            return True
        good = 0
        for i, w in enumerate(words):
            small = w.lower() in self._SMALL and 0 < i < len(words) - 1
            if self._is_exception(w) or w == w.upper():
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


KINDS: dict[str, type[Rule]] = {
    "existence": Existence,
    "substitution": Substitution,
    "occurrence": Occurrence,
    "repetition": Repetition,
    "consistency": Consistency,
    "conditional": Conditional,
    "capitalization": Capitalization,
}


class Unsupported(Exception):
    """A rule of a kind contentloop does not run (metric, spelling, sequence...)."""


def load_rule(path: Path, style: str | None = None) -> Rule:
    """Read and compile `<Style>/<Rule>.yml`; ContentloopError names the file and field,
    Unsupported says which kind was skipped."""
    name = f"{style or path.parent.name}.{path.stem}"
    text = read_text(path, "Vale rule")
    data, lines = parse_yaml(text, path)
    if not isinstance(data, dict):
        raise ContentloopError("a Vale rule must be a YAML mapping.", path=path, line=1)
    kind = data.get("extends")
    if kind in UNSUPPORTED:
        raise Unsupported(f"{name}: `extends: {kind}` is not supported")
    try:
        spec = RuleSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, path, lines, data) from exc
    return KINDS[spec.extends](name, spec, path)
