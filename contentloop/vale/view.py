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
from dataclasses import dataclass, replace

from ..checks.prose import Draft

# A code span is kept as one opaque word of underscores: Vale never reads inside it, but
# "the `the` the" is not a repeated word either, and `\b` still sees a word there.
_CODE = re.compile(r"(?<!`)(`+)(?!`)(?P<t>.+?)(?<!`)\1(?!`)", re.S)
# Emphasis delimiters: a run of * or _ on one side of a word, not inside one (snake_case).
# Inline code by format: reStructuredText's literals are double backticks (a single pair is
# interpreted text, a link or a role), AsciiDoc's are single backticks or + passthroughs.
# Group t (or u) is the content, which a rule with `scope: code` reads (vale/inline.py).
CODE_SPANS = {
    "markdown": _CODE,
    "rst": re.compile(r"``(?P<t>.+?)``"),
    "asciidoc": re.compile(
        r"(?<![\w`])`(?P<t>[^`\n]+)`(?![\w`])|(?<![\w+])\+(?P<u>[^+\n]+)\+(?![\w+])"
    ),
    "text": _CODE,
}
_EMPHASIS = re.compile(r"(?<![\w\\*_])[*_]{1,3}(?=[^\s*_])|(?<=[^\s*_])[*_]{1,3}(?![\w*_])")
_LINK = re.compile(r"!?\[(?=[^\]\n]*\](?:\(|\[))|\](?:\([^)\n]*\)|\[[^\]\n]*\])")
_HEADING_OPEN = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]+|$)")
_HEADING_CLOSE = re.compile(r"[ \t]+#+[ \t]*$|^[ \t]*(?:=+|-+)[ \t]*$", re.M)
_LINE_PREFIX = re.compile(r"^[ \t>]*", re.M)
_INDENT = re.compile(r"^[ \t]*", re.M)
_LIST_MARKER = re.compile(r"^[ \t>]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")


# A character's fate in `_segment`: read as the prose view has it, left out, or read as "_"
# (inside code). _STATE maps drop | code << 1 | ignored << 2 to it.
_READ, _SKIP, _AS_CODE = 0, 1, 2
_STATE = bytes(
    _SKIP if v & 4 else _AS_CODE if v & 2 else _SKIP if v & 1 else _READ for v in range(256)
)
_RUNS = re.compile(rb"\x00+|\x01+|\x02+")
_NEWLINE = re.compile("\n")
_BLANKS = re.compile(" +")
_SPACE = re.compile(r"\s")
_NOT_SPACE = re.compile(r"\S")


# IgnoredScopes beyond code and tt (always ignored): inline markup whose text is not read.
_INLINE_SCOPES = {
    "strong": r"\*\*[^*\n]+?\*\*|__[^_\n]+?__|<(?:strong|b)>.*?</(?:strong|b)>",
    "em": r"(?<![*\w])\*(?!\*)[^*\n]+?(?<!\*)\*(?![*\w])|(?<![_\w])_(?!_)[^_\n]+?(?<!_)_(?![_\w])"
    r"|<(?:em|i)>.*?</(?:em|i)>",
    "a": r"(?<!!)\[[^\]\n]*\]\([^)\n]*\)|<a\b[^>]*>.*?</a>",
}
# `link` too: Vale's own Spelling fixture leaves link text unread with `IgnoredScopes = link`.
INLINE_SCOPES = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "a": "a", "link": "a"}
# SkippedScopes: whole blocks not read. Code blocks, HTML blocks (script, style, figure) and
# tables are never read, so those names need nothing.
BLOCK_SCOPES = {"blockquote", "li", "ul", "ol", "table", *(f"h{i}" for i in range(1, 7))}
ALWAYS_SKIPPED = {"script", "style", "pre", "figure", "code", "tt", "svg"}


@dataclass(frozen=True)
class Ignores:
    """What a .vale.ini leaves unread in one file: BlockIgnores and TokenIgnores regexes, and
    the inline (IgnoredScopes) and block (SkippedScopes) elements beyond Vale's defaults."""

    blocks: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()
    inline: frozenset[str] = frozenset()  # "strong", "em", "a"
    skipped: frozenset[str] = frozenset()  # "blockquote", "li", "h2"...


NO_IGNORES = Ignores()


def use_ignores(draft: Draft, ignores: Ignores) -> None:
    """Read `draft` with `ignores` from now on: what its rules see is recomputed once."""
    if draft.__dict__.get("_vale_ignores", NO_IGNORES) != ignores:
        draft.__dict__["_vale_ignores"] = ignores
        for key in (
            "_vale_segments",
            "_vale_joined",
            "_vale_metrics",
            "_vale_words",
            "_vale_folded",
            "_vale_sentences",
            "_vale_summary",
        ):
            draft.__dict__.pop(key, None)


@dataclass(frozen=True)
class Segment:
    """One block's rendered text; `offsets[i]` is the source offset of `text[i]`."""

    kind: str  # "heading" or "paragraph"
    container: str  # "root", "blockquote" or "list"
    text: str
    offsets: tuple[int, ...]
    level: int = 0  # a heading's, 1 to 6

    def source_offset(self, i: int) -> int:
        if not self.offsets:
            return 0
        return self.offsets[min(i, len(self.offsets) - 1)]

    def slice(self, start: int, end: int) -> Segment:
        """The part of this segment whose source offsets fall in [start, end)."""
        lo = bisect_left(self.offsets, start)
        hi = bisect_right(self.offsets, end - 1)
        return Segment(self.kind, self.container, self.text[lo:hi], self.offsets[lo:hi], self.level)


def segments(draft: Draft) -> list[Segment]:
    """The draft's blocks as Vale reads them, computed once per draft (and its Ignores)."""
    cached = draft.__dict__.get("_vale_segments")
    if cached is None:
        ignores: Ignores = draft.__dict__.get("_vale_ignores", NO_IGNORES)
        blocked, masked = _ignored_spans(draft, ignores)
        levels = heading_levels(draft)
        cached = [
            replace(
                _segment(draft, b.kind, b.container, b.start, b.end, blocked, masked),
                level=levels.get(b.start, 0),
            )
            for b in draft.blocks
            if not _skipped(b.container, levels.get(b.start, 0), ignores.skipped)
        ]
        if "table" not in ignores.skipped:
            cells = [
                _segment(draft, "paragraph", "table", *c, blocked, masked)
                for c in draft.table_cells
            ]
            cached = sorted([*cached, *cells], key=lambda seg: seg.source_offset(0))
        draft.__dict__["_vale_segments"] = cached
    return cached


def _skipped(container: str, level: int, scopes: frozenset[str]) -> bool:
    if not scopes:
        return False
    if container == "blockquote" and "blockquote" in scopes:
        return True
    if container == "list" and scopes & {"li", "ul", "ol"}:
        return True
    if container == "table" and "table" in scopes:
        return True
    return level > 0 and f"h{level}" in scopes


def heading_levels(draft: Draft) -> dict[int, int]:
    """Each heading block's level, 1 to 6, by its start. Markdown: its `#`s, or its setext
    underline (`=` 1, `-` 2). AsciiDoc: its `=`s (or `#`s). reStructuredText: as docutils
    ranks them, by the order in which each adornment (its character, and whether it is
    overlined too) first appears."""
    cached = draft.__dict__.get("_vale_levels")
    if cached is not None:
        return cached
    lines = draft.source.split("\n")
    levels: dict[int, int] = {}
    styles: list[tuple[str, bool]] = []
    for block in (b for b in draft.blocks if b.kind == "heading"):
        i = block.line - 1
        if draft.format == "markdown":
            m = _HEADING_OPEN.match(draft.source[block.start : block.start + 16])
            if m:
                level = len(m.group(0).strip())
            else:  # setext: the underline is the block's last line
                last = draft.source[block.start : block.end].rstrip("\n").rsplit("\n", 1)[-1]
                level = 1 if last.strip().startswith("=") else 2
        elif draft.format == "asciidoc":
            level = len(lines[i].lstrip()) - len(lines[i].lstrip().lstrip("=#"))
        else:
            under = lines[i + 1].strip()[:1] if i + 1 < len(lines) else ""
            over = i > 0 and lines[i - 1].strip()[:1] == under and len(lines[i - 1].strip()) > 2
            if (under, over) not in styles:
                styles.append((under, over))
            level = styles.index((under, over)) + 1
        levels[block.start] = min(max(level, 1), 6)
    draft.__dict__["_vale_levels"] = levels
    return levels


def joined(draft: Draft) -> tuple[str, list[int], list[Segment]]:
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


def joined_text(draft: Draft) -> str:
    """Every block's text, as the rules read it, joined by blank lines."""
    return joined(draft)[0]


def raw_segment(draft: Draft) -> Segment:
    """Vale's `raw` scope: the whole file, markup and all, read once."""
    return Segment("paragraph", "root", draft.source, tuple(range(len(draft.source))))


def summary_segment(draft: Draft) -> Segment:
    """Vale's `summary` scope: the body text (paragraphs and list items, no headings), read
    once, the blocks joined by a blank line; a blank line's offsets are the end of the block
    before it."""
    cached = draft.__dict__.get("_vale_summary")
    if cached is None:
        parts = [s for s in segments(draft) if s.kind == "paragraph" and s.text]
        offsets: list[int] = []
        for k, seg in enumerate(parts):
            if k:
                offsets += [offsets[-1]] * 2
            offsets += seg.offsets
        text = "\n\n".join(s.text for s in parts)
        cached = draft.__dict__["_vale_summary"] = Segment(
            "paragraph", "root", text, tuple(offsets)
        )
    return cached


def _ignored_spans(
    draft: Draft, ignores: Ignores
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Source spans not read at all (BlockIgnores) and read as an opaque word (TokenIgnores,
    ignored inline scopes), as Vale masks them."""
    import regex

    from ..checks.base import finditer

    blocked = [
        (m.start(), m.end())
        for p in ignores.blocks
        for m in finditer(regex.compile(p), draft.source)
    ]
    patterns = [*ignores.tokens, *(_INLINE_SCOPES[s] for s in sorted(ignores.inline))]
    masked = [
        (m.start(), m.end())
        for p in patterns
        for m in finditer(regex.compile(p, regex.S), draft.source)
        if m.end() > m.start()
    ]
    return blocked, masked


def _segment(
    draft: Draft,
    kind: str,
    container: str,
    start: int,
    end: int,
    blocked: list[tuple[int, int]] = (),  # type: ignore[assignment]
    masked: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> Segment:
    source, prose = draft.source[start:end], draft.prose[start:end]
    drop = bytearray(len(source))  # 1 = markup, left out of the text
    code = bytearray(len(source))  # 1 = inside a code span, read as "_"

    def mark(buf: bytearray, a: int, b: int) -> None:
        buf[a:b] = b"\x01" * (b - a)

    gone = bytearray(len(source))  # 1 = in a BlockIgnores match: not read at all
    for a, b in blocked:
        if a < end and b > start:
            mark(gone, max(a, start) - start, min(b, end) - start)
    for a, b in masked:
        if a < end and b > start:
            mark(code, max(a, start) - start, min(b, end) - start)

    markdown = draft.format == "markdown"
    # Other formats' readers blank their markup in the prose view (checks/markup.py), which
    # the loop below drops; Markdown's is found here.
    for m in (_LINE_PREFIX if markdown else _INDENT).finditer(source):
        mark(drop, m.start(), m.end())
    if markdown and container in ("list", "blockquote"):
        m = _LIST_MARKER.match(source)
        if m:
            mark(drop, m.start(), m.end())
    if kind == "heading" and markdown:
        m = _HEADING_OPEN.match(source)
        if m:
            mark(drop, m.start(), m.end())
        for m in _HEADING_CLOSE.finditer(source):
            mark(drop, m.start(), m.end())
    for m in CODE_SPANS[draft.format].finditer(source) if draft.format != "text" else ():
        mark(code, m.start(), m.end())
    for pattern in (_EMPHASIS, _LINK) if markdown else ():
        for m in pattern.finditer(source):
            if not code[m.start()]:
                mark(drop, m.start(), m.end())

    # Each character's fate, decided for whole runs in C (a loop per character was a tenth
    # of a style package's time): BlockIgnores over code over markup.
    # The prose view blanks what is not prose (URLs, HTML tags, comments, template tags)
    # and decodes entities into their first character: a blank over a non-space is markup.
    n = len(source)
    blanked = bytearray(n)
    if prose != source:
        for m in _BLANKS.finditer(prose):
            a, b = m.span()
            if not source[a:b].isspace():  # \s is str.isspace
                blanked[a:b] = _SPACE.sub("\0", _NOT_SPACE.sub("\1", source[a:b])).encode("latin-1")
    bits = (
        int.from_bytes(drop)
        | int.from_bytes(blanked)
        | int.from_bytes(code) << 1
        | int.from_bytes(gone) << 2
    )
    state = bytearray(bits.to_bytes(n).translate(_STATE))
    for m in _NEWLINE.finditer(source):  # a code span's line break is not read at all
        if state[m.start()] == _AS_CODE:
            state[m.start()] = _SKIP
    chars: list[str] = []
    offsets: list[int] = []
    for m in _RUNS.finditer(state):
        a, b = m.span()
        if state[a] == _SKIP:
            continue
        chars.append(prose[a:b] if state[a] == _READ else "_" * (b - a))
        offsets.extend(range(start + a, start + b))
    joined = "".join(chars)
    # Markdown's markers take the spaces after them; other formats leave spaces at the edges.
    edges = "\n" if markdown else None
    text = joined.strip(edges)
    lead = len(joined) - len(joined.lstrip(edges))
    return Segment(kind, container, text, tuple(offsets[lead : lead + len(text)]))
