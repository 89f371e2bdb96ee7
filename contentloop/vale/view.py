"""The text Vale's rules read: each heading and paragraph with its Markdown markup removed.

Vale lints the rendered text of a block (emphasis markers, link targets, heading hashes and
list markers gone) and reports positions in the source. The prose view contentloop's own
checks read keeps markup in place, so rules written for Vale (`\\bvery good\\b` across
`**very** good`) would miss. A `Segment` is that rendered text with, for every character, its
offset in the source, so an alert's line and column are the source's.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from ..checks.prose import Draft

# A code span is kept as one opaque word of underscores: Vale never reads inside it, but
# "the `the` the" is not a repeated word either, and `\b` still sees a word there.
_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
# Emphasis delimiters: a run of * or _ on one side of a word, not inside one (snake_case).
_EMPHASIS = re.compile(r"(?<![\w\\*_])[*_]{1,3}(?=[^\s*_])|(?<=[^\s*_])[*_]{1,3}(?![\w*_])")
_LINK = re.compile(r"!?\[(?=[^\]\n]*\](?:\(|\[))|\](?:\([^)\n]*\)|\[[^\]\n]*\])")
_HEADING_OPEN = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]+|$)")
_HEADING_CLOSE = re.compile(r"[ \t]+#+[ \t]*$|^[ \t]*(?:=+|-+)[ \t]*$", re.M)
_LINE_PREFIX = re.compile(r"^[ \t>]*", re.M)
_LIST_MARKER = re.compile(r"^[ \t>]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")


@dataclass(frozen=True)
class Segment:
    """One block's rendered text; `offsets[i]` is the source offset of `text[i]`."""

    kind: str  # "heading" or "paragraph"
    container: str  # "root", "blockquote" or "list"
    text: str
    offsets: tuple[int, ...]

    def source_offset(self, i: int) -> int:
        if not self.offsets:
            return 0
        return self.offsets[min(i, len(self.offsets) - 1)]

    def slice(self, start: int, end: int) -> Segment:
        """The part of this segment whose source offsets fall in [start, end)."""
        lo = bisect_left(self.offsets, start)
        hi = bisect_right(self.offsets, end - 1)
        return Segment(self.kind, self.container, self.text[lo:hi], self.offsets[lo:hi])


def segments(draft: Draft) -> list[Segment]:
    """The draft's blocks as Vale reads them, computed once per draft."""
    cached = draft.__dict__.get("_vale_segments")
    if cached is None:
        cached = [_segment(draft, b.kind, b.container, b.start, b.end) for b in draft.blocks]
        draft.__dict__["_vale_segments"] = cached
    return cached


def _segment(draft: Draft, kind: str, container: str, start: int, end: int) -> Segment:
    source, prose = draft.source[start:end], draft.prose[start:end]
    drop = bytearray(len(source))  # 1 = markup, left out of the text
    code = bytearray(len(source))  # 1 = inside a code span, read as "_"

    def mark(buf: bytearray, a: int, b: int) -> None:
        buf[a:b] = b"\x01" * (b - a)

    for m in _LINE_PREFIX.finditer(source):
        mark(drop, m.start(), m.end())
    if container in ("list", "blockquote"):
        m = _LIST_MARKER.match(source)
        if m:
            mark(drop, m.start(), m.end())
    if kind == "heading":
        m = _HEADING_OPEN.match(source)
        if m:
            mark(drop, m.start(), m.end())
        for m in _HEADING_CLOSE.finditer(source):
            mark(drop, m.start(), m.end())
    for m in _CODE.finditer(source):
        mark(code, m.start(), m.end())
    for pattern in (_EMPHASIS, _LINK):
        for m in pattern.finditer(source):
            if not code[m.start()]:
                mark(drop, m.start(), m.end())

    chars: list[str] = []
    offsets: list[int] = []
    for i, (src, seen) in enumerate(zip(source, prose, strict=True)):
        if code[i]:
            if src != "\n":
                chars.append("_")
                offsets.append(start + i)
            continue
        # The prose view blanks what is not prose (URLs, HTML tags, comments, template tags)
        # and decodes entities into their first character: a blank over a non-space is markup.
        if drop[i] or (seen == " " and not src.isspace()):
            continue
        chars.append(seen)
        offsets.append(start + i)
    joined = "".join(chars)
    text = joined.strip("\n")
    lead = len(joined) - len(joined.lstrip("\n"))
    return Segment(kind, container, text, tuple(offsets[lead : lead + len(text)]))
