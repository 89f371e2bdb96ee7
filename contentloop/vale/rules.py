"""Vale rules (`<Style>/<Rule>.yml`): the fields read, and what every kind of rule shares
(its regex as Vale builds it, its scope, its alerts). The kinds are in vale/kinds.py.

Supported `extends`: existence, substitution, occurrence, repetition, consistency,
conditional, capitalization (vale/kinds.py), metric and readability (vale/metrics.py),
spelling (vale/spelling.py), sequence (vale/sequence.py). Not supported (listed as skipped,
never silently half-run): script. The semantics follow
Vale's documentation and its published test fixtures: a rule's regex is built the way Vale
builds it (word boundaries unless `nonword`, `raw` before `tokens` unless `append`), matched
per block of rendered text, and messages fill `%s` as Vale does.
"""

from __future__ import annotations

import functools
import re as stdre
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..checks.base import finditer, search
from ..checks.prose import Draft
from ..errors import ContentloopError
from . import prefilter
from .inline import INLINE, inline_segments
from .scopes import selects, sentences_of
from .view import Segment, joined, raw_segment, segments, summary_segment

SUPPORTED = (
    "existence",
    "substitution",
    "occurrence",
    "repetition",
    "consistency",
    "conditional",
    "capitalization",
    "metric",
    "readability",
    "spelling",
    "sequence",
)
UNSUPPORTED = ("script",)
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
    capitalize: bool = False  # a substitution's suggestion takes the match's capital
    prefix: str = ""  # a capitalization rule's: what a heading may start with, not read
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
    formula: str = ""
    condition: str = ""
    metrics: list[str] = Field(default_factory=list)
    grade: float = 0.0
    custom: bool = False
    filters: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    dicpath: str = ""
    dictionaries: list[str] = Field(default_factory=list)
    aff: str = ""
    dic: str = ""
    sequence: list[Any] = Field(default_factory=list)  # a sequence rule's `tokens` (mappings)
    action: dict[str, Any] = Field(default_factory=dict)

    @property
    def replace_action(self) -> bool:
        """`action: {name: replace}` with no params: Vale then quotes the suggestions itself."""
        return self.action.get("name") == "replace" and not self.action.get("params")

    @field_validator("scope", mode="before")
    @classmethod
    def _scope_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator(
        "tokens",
        "raw",
        "exceptions",
        "indicators",
        "metrics",
        "filters",
        "ignore",
        "dictionaries",
        mode="before",
    )
    @classmethod
    def _strings(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [value]  # Vale takes `ignore: words.txt` as a list of one
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


_SPACES = regex.compile(r"(?<=\S)\s{2,}(?=\S)|\n")


def format_message(message: str, *subs: str) -> str:
    """Vale's FormatMessage: the first n substitutions for the message's n `%s`. A run of
    spaces or a line break inside a match is shown as one space, as Vale prints it."""
    subs = tuple(_SPACES.sub(" ", s) for s in subs)
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


def compile_pattern(pattern: str, path: Path, what: str) -> regex.Pattern[str]:
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


def rule_regex(spec: RuleSpec, body: str, raw: str = "", word: bool | None = None) -> str:
    word = (not spec.nonword) if word is None else word
    rx = rf"(?m)\b(?:{body})\b" if word else rf"(?m)(?:{body})"
    rx = rx + raw if spec.append else raw + rx
    return ("(?i)" + rx) if spec.ignorecase else rx


class Rule(ABC):
    """One compiled Vale rule; `run(draft)` returns its alerts in document order. Each kind
    of rule (vale/kinds.py) builds its patterns in `_setup` and matches in `run`."""

    def __init__(self, name: str, spec: RuleSpec, path: Path) -> None:
        self.name, self.spec, self.path = name, spec, path
        self.level: str = spec.level
        self.excepted: regex.Pattern[str] | None = None
        if spec.exceptions:
            ordered = sorted(spec.exceptions, key=len, reverse=True)  # greedy alternation
            self.excepted = compile_pattern(rf"(?m)\b(?:{'|'.join(ordered)})\b", path, "exceptions")
        self._setup()

    @abstractmethod
    def _setup(self) -> None:
        """Compile this kind's patterns from the spec."""

    def _is_exception(self, text: str) -> bool:
        return self.excepted is not None and search(self.excepted, text) is not None

    @abstractmethod
    def run(self, draft: Draft) -> list[Alert]: ...

    @property
    def reads_markup(self) -> bool:
        """Whether the rule reads text the blocks' rendered text lacks (the raw file, code),
        which the word filters, built from that rendered text, cannot rule out."""
        return bool({s.strip() for s in self.spec.scope} & {"raw", "code"})

    def _scoped(self, draft: Draft, only: list[Segment] | None = None) -> Iterator[Segment]:
        """The parts of the draft this rule reads, in order; of the blocks `only`, if given.
        As in Vale, `raw` is the whole file and `summary` the body text, each read once."""
        scopes = self.spec.scope
        if "raw" in scopes:
            yield raw_segment(draft)
            return
        if "summary" in scopes:
            yield summary_segment(draft)
            return
        inline = [s.strip() for s in scopes if s.strip() in INLINE]
        if inline:  # a link's text, a code span's content: read apart from their blocks
            for kind in inline:
                yield from inline_segments(draft, kind)
            return
        sentences = "sentence" in scopes
        for seg in segments(draft) if only is None else only:
            if not seg.text:
                continue
            if sentences:  # Vale splits the body text; a heading is read whole, by `heading`
                if seg.kind != "heading":
                    yield from sentences_of(draft, seg)
            elif any(selects(scope, seg) for scope in scopes):
                yield seg

    def alert(self, draft: Draft, seg: Segment, start: int, text: str, *subs: str) -> Alert:
        offset = seg.source_offset(start)
        line = draft.line_of(offset)
        return Alert(
            rule=self.name,
            level=self.level,
            message=format_message(self.spec.message, *(subs or (text,))),
            text=text,
            offset=offset,
            line=line,
            column=offset - draft.line_start(line) + 1,
        )


def matches_in_blocks(
    rule: Rule, rx: regex.Pattern[str], draft: Draft
) -> Iterator[tuple[Segment, regex.Match[str], int]]:
    """(block, match, match start in the block) for every match, block by block, in order.

    A rule read on every block (scope text) is run once over all blocks joined, not once per
    block: most rules find nothing in most documents, and a call per block per rule was most
    of the time."""
    scopes = set(rule.spec.scope)
    if scopes - {"text"}:
        only = None
        if prefilter.ENABLED and anywhere(rx) and not scopes & {"raw", "summary", *INLINE}:
            # A part (a sentence, a heading) with a match is in a block with one.
            only = _blocks_matching(rx, draft)
        for seg in rule._scoped(draft, only):
            for m in finditer(rx, seg.text):
                yield seg, m, m.start()
        return
    for _, seg, m, start in block_matches(rx, draft):
        yield seg, m, start


def block_matches(
    rx: regex.Pattern[str], draft: Draft
) -> list[tuple[int, Segment, regex.Match[str], int]]:
    """(block index, block, match, match start in the block) for every match of `rx` in the
    blocks, in block order, from one search of the blocks joined. A match that runs across
    two blocks is not one Vale makes; those two blocks are then searched one by one."""
    text, starts, segs = joined(draft)
    found, redo = [], set()
    for m in finditer(rx, text):
        i = bisect_right(starts, m.start()) - 1
        found.append((i, segs[i], m, m.start() - starts[i]))
        if m.end() > starts[i] + len(segs[i].text):
            redo |= {i, i + 1}
    if not redo:
        return found
    found = [f for f in found if f[0] not in redo]
    for i in sorted(redo):
        if i < len(segs):
            found += [(i, segs[i], m, m.start()) for m in finditer(rx, segs[i].text)]
    return sorted(found, key=lambda f: (f[0], f[3]))


def _blocks_matching(rx: regex.Pattern[str], draft: Draft) -> list[Segment]:
    """The blocks in which `rx` can match, in order: a search per block that has a match
    instead of one per sentence. A block holding a match holds the leftmost match from its
    start, or a match from an earlier block runs into it; either way it is listed."""
    text, starts, segs = joined(draft)
    live: list[Segment] = []
    i = 0
    while i < len(segs):
        m = search(rx, text, starts[i])
        if m is None:
            break
        first = bisect_right(starts, m.start()) - 1
        last = max(first, bisect_right(starts, max(m.end() - 1, m.start())) - 1)
        live += segs[first : last + 1]
        i = last + 1
    return live


# A pattern with anchors or lookarounds can match in a sentence, read alone, where it does
# not match in the text around it; any other pattern that matches in a part matches in the
# whole, so a search of the whole can rule a document out.
_EDGES = stdre.compile(r"[\^$]|\\[AZzGB]|\(\?<?[=!]")


@functools.lru_cache(maxsize=1024)
def anywhere(rx: regex.Pattern[str]) -> bool:
    """Whether a match of `rx` in a part of a text is one in the whole (no anchors, no
    lookarounds): read with the stdlib's parser, so `[^\\s]` is no anchor, or else by eye."""
    found = prefilter.edgeless(rx.pattern)
    return _EDGES.search(rx.pattern) is None if found is None else found


class Unsupported(Exception):
    """A rule of a kind contentloop does not run (metric, spelling, sequence...)."""
