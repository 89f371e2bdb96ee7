"""The other formats documentation is written in: reStructuredText, AsciiDoc and plain text,
read into what Markdown is read into (checks/prose.py): the source with everything that is
not prose blanked in place, the headings and paragraphs with their containers, and the code
blocks.

These are block readers, not full parsers: headings, paragraphs, lists, quotes, admonitions
and code blocks, which is what prose rules read, as Vale reads those formats (code, tables,
comments, directives' options and raw blocks are not prose). Inline markup is blanked:
literals and roles' markers, link targets, emphasis markers, substitutions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from . import dialects
from .blocks import Analysis, Block, BlockKind, Container

FORMATS = {
    ".rst": "rst",
    ".rest": "rst",
    ".adoc": "asciidoc",
    ".asciidoc": "asciidoc",
    ".asc": "asciidoc",
    ".txt": "text",
    ".text": "text",
}

_URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>()\[\]`]+[^\s<>()\[\]`.,;:!?'\"]")


# Vale's names for the formats read here, as a `.vale.ini`'s `[formats]` gives them.
VALE_FORMATS = {
    "md": "markdown",
    "mdx": "markdown",
    "markdown": "markdown",
    "rst": "rst",
    "adoc": "asciidoc",
    "asciidoc": "asciidoc",
    "txt": "text",
    "text": "text",
}


def format_of(path: str | None, formats: Mapping[str, str] | None = None) -> str:
    """ "markdown", "rst", "asciidoc" or "text", by the file's ending, or by what `formats` (a
    `[formats]` section: ending -> Vale's format name) maps the ending to."""
    name = (path or "").lower()
    ending = name.rsplit(".", 1)[-1] if "." in name.rsplit("/", 1)[-1] else ""
    mapped = VALE_FORMATS.get((formats or {}).get(ending, ""))
    if mapped is not None:
        return mapped
    return next((f for ext, f in FORMATS.items() if name.endswith(ext)), "markdown")


class _Reader:
    """Lines of a source, and what a format's reader found in them."""

    def __init__(self, source: str, inline: list[re.Pattern[str]]) -> None:
        self.source = source
        self.lines = source.split("\n")
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line) + 1)
        self.chars = list(source)
        self.blocks: list[Block] = []
        self.code: list[tuple[int, int]] = []
        self.inline = inline

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Offsets of lines i..j-1, the last line's break left out."""
        return self.starts[i], min(self.starts[j] - 1, len(self.source))

    def blank(self, i: int, j: int) -> None:
        dialects.blank(self.chars, *self.span(i, j))

    def blank_at(self, start: int, end: int) -> None:
        dialects.blank(self.chars, start, end)

    def add_code(self, i: int, j: int) -> None:
        if j > i:
            self.code.append(self.span(i, j))
            self.blank(i, j)

    def add_block(self, kind: BlockKind, container: Container, i: int, j: int) -> None:
        start, end = self.span(i, j)
        text = self.source[start:end]
        for pattern in self.inline:
            for m in pattern.finditer(text):
                group = m.lastindex or 0
                # A pattern's groups are markup to blank; without groups the whole match is.
                spans = [m.span(g) for g in range(1, group + 1) if m.group(g) is not None]
                for a, b in spans or [m.span()]:
                    self.blank_at(start + a, start + b)
        self.blocks.append(Block(kind, container, start, end, i + 1, text))

    def cell(self, i: int, a: int, b: int, container: Container = "table") -> None:
        """Line i's columns a..b, read as a block of their own (a table cell, an alt text)."""
        start, end = self.starts[i] + a, self.starts[i] + b
        self.chars[start:end] = list(self.source[start:end])
        text = self.source[start:end]
        self.blocks.append(Block("paragraph", container, start, end, i + 1, text))

    def result(self) -> Analysis:
        self.blocks.sort(key=lambda b: b.start)
        dialects.decode_and_fold(self.chars)
        return "".join(self.chars), self.blocks, self.code, []

    def indent(self, i: int) -> int:
        line = self.lines[i]
        return len(line) - len(line.lstrip(" \t"))

    def indented_end(self, i: int, indent: int) -> int:
        """The first line at or after `i` that has text indented `indent` or less."""
        j = i
        while j < len(self.lines) and (not self.lines[j].strip() or self.indent(j) > indent):
            j += 1
        while j > i and not self.lines[j - 1].strip():
            j -= 1
        return j


# --- reStructuredText ----------------------------------------------------------------------

_RST_ADORN = re.compile(r"^([=\-`:'\"~^_*+#<>.])\1{2,}\s*$")
_RST_LIST = re.compile(r"^(\s*)([-*+•]|#\.|\d+[.)]|\(\d+\)|[a-zA-Z][.)])\s+")
_RST_TABLE = re.compile(r"^\s*(?:\+[-=+]+\+|=+(?:\s+=+)+)\s*$")
_RST_ADMONITIONS = {
    "note", "tip", "hint", "important", "warning", "caution", "danger", "error", "attention",
    "admonition", "seealso", "versionadded", "versionchanged", "deprecated", "topic", "sidebar",
}  # fmt: skip
_RST_CODE = {"code", "code-block", "sourcecode", "literalinclude", "highlight", "math", "raw"}
_RST_INLINE = [
    re.compile(r"``.+?``"),  # inline literal: not prose
    re.compile(r"(:[\w:+.-]+:`)[^`]*?(\s*<[^`>]*>)?(`)"),  # :role:`text <target>`
    re.compile(r"(?<![\w`])(`)[^`]+?(\s*<[^`>]*>)?(`__?)"),  # `text <url>`_ and `text`_
    re.compile(r"(?<![\w`])(`)[^`]+?(`)(?!_)"),  # `interpreted text`
    re.compile(r"\|[^|\s][^|]*\|_{0,2}"),  # |substitution|
    re.compile(r"\[(?:#[\w-]*|\*|\d+|[\w-]+)\]_"),  # [#note]_ and [1]_ footnote refs
    re.compile(r"(?<=\w)(__?)(?=[\s.,;:!?)]|$)", re.M),  # word_ reference
    re.compile(r"(?<![\w*\\])(\*\*?)(?=\S)|(?<=\S)(\*\*?)(?![\w*])"),  # emphasis markers
    _URL,
]


def analyse_rst(source: str) -> Analysis:
    r = _Reader(source, _RST_INLINE)
    _rst_lines(r, 0, len(r.lines), "root")
    return r.result()


def _rst_lines(r: _Reader, i: int, stop: int, container: Container) -> None:
    list_indent = -1
    while i < stop:
        line, text = r.lines[i], r.lines[i].strip()
        if not text:
            i += 1
            continue
        indent = r.indent(i)
        m = re.match(r"\s*\.\.(?:\s+(.*)|$)", line)
        if m:
            end = r.indented_end(i + 1, indent)
            directive = re.match(r"([\w:-]+)::", m.group(1) or "")
            name = directive.group(1).lower() if directive else ""
            if name in _RST_ADMONITIONS:
                r.blank(i, i + 1)
                body = i + 1
                while body < end and re.match(r"\s*:[\w-]+:", r.lines[body]):
                    r.blank(body, body + 1)  # the directive's options
                    body += 1
                _rst_lines(r, body, end, "blockquote")
            elif name in _RST_CODE:
                r.add_code(i, end)
            elif name in ("image", "figure"):
                r.blank(i, end)
                for j in range(i + 1, end):  # the alternative text is read, as Vale reads it
                    alt = re.match(r"(\s*:alt:\s*)(\S.*)$", r.lines[j])
                    if alt:
                        r.cell(j, alt.start(2), alt.end(2), "root")
            else:  # a comment, a target, a substitution or another directive
                r.blank(i, end)
            i = end
            continue
        over = _RST_ADORN.match(line)
        if over and i + 2 < stop and r.lines[i + 1].strip() and _RST_ADORN.match(r.lines[i + 2]):
            r.blank(i, i + 1)
            r.blank(i + 2, i + 3)
            r.add_block("heading", container, i + 1, i + 2)
            i += 3
            continue
        if over:  # a transition
            r.blank(i, i + 1)
            i += 1
            continue
        under = i + 1 < stop and _RST_ADORN.match(r.lines[i + 1])
        if under and len(r.lines[i + 1].strip()) >= len(text) and indent == 0:
            r.blank(i + 1, i + 2)
            r.add_block("heading", container, i, i + 1)
            i += 2
            continue
        if _RST_TABLE.match(line) or text.startswith(">>>"):
            end = _paragraph_end(r, i, stop)
            if text.startswith(">>>"):
                r.add_code(i, end)
            else:
                _rst_table(r, i, end)
            i = end
            continue
        item = _RST_LIST.match(line)
        end = _paragraph_end(r, i, stop)
        if item:
            r.blank_at(r.starts[i] + item.start(2), r.starts[i] + item.end(2))
            list_indent = item.end()
        elif indent < list_indent:  # text left of the items' text: the list has ended
            list_indent = -1
        kind_of = "list" if item or (0 <= list_indent <= indent) else container
        if indent > 0 and kind_of == "root":
            kind_of = "blockquote"
        r.add_block("paragraph", kind_of, i, end)
        i = _literal_after(r, i, end, stop)


def _rst_table(r: _Reader, i: int, end: int) -> None:
    """A grid or simple table: each cell's text on each line is read; borders are not."""
    for j in range(i, end):
        line = r.lines[j]
        r.blank(j, j + 1)
        if _RST_TABLE.match(line):
            continue
        for m in re.finditer(r"[^|+]+" if line.lstrip()[:1] in "|+" else r".+", line):
            cell = m.group(0)
            if cell.strip() and not re.fullmatch(r"[\s=\-]+", cell):
                lead = len(cell) - len(cell.lstrip())
                r.cell(j, m.start() + lead, m.start() + len(cell.rstrip()))


def _paragraph_end(r: _Reader, i: int, stop: int) -> int:
    j = i + 1
    while j < stop and r.lines[j].strip() and not _RST_LIST.match(r.lines[j]):
        j += 1
    return j


def _literal_after(r: _Reader, i: int, end: int, stop: int) -> int:
    """A paragraph ending in `::` introduces a literal block: the indented lines after it."""
    last = r.lines[end - 1].rstrip()
    if not last.endswith("::"):
        return end
    at = r.starts[end - 1] + len(last)
    # "Text::" reads "Text:"; a lone or spaced "::" is not read at all.
    r.blank_at(at - (2 if last == "::" or last.endswith(" ::") else 1), at)
    j = end
    while j < stop and not r.lines[j].strip():
        j += 1
    if j < stop and r.indent(j) > r.indent(i):
        block_end = r.indented_end(j, r.indent(i))
        r.add_code(j, min(block_end, stop))
        return block_end
    return end


# --- AsciiDoc ------------------------------------------------------------------------------

_ADOC_HEADING = re.compile(r"^(={1,6}|#{1,6})\s+\S")
_ADOC_DELIM = re.compile(r"^(-{4,}|\.{4,}|\+{4,}|/{4,}|_{4,}|={4,}|\*{4,}|\|={3,}|--)\s*$")
_ADOC_LIST = re.compile(r"^\s*(\*{1,5}|-|\.{1,5}|\d+\.|<\d+>)\s+(?:\[[ xX*]\]\s+)?")
_ADOC_TERM = re.compile(r"^(.*?)(:{2,4}|;;)(\s+|$)")
_ADOC_LABEL = re.compile(r"^(NOTE|TIP|IMPORTANT|WARNING|CAUTION):\s+")
_ADOC_SKIP_LINE = re.compile(r"^(?://(?!/).*|:[\w-]+!?:.*|\[.*\]|\.[^\s.].*|\+|[a-z]+::\S*\[.*\])$")
_ADOC_INLINE = [
    re.compile(r"(?<![\w`])`[^`\n]+`(?![\w`])"),  # literal
    re.compile(r"\+\+\+.+?\+\+\+|(?<![\w+])\+[^+\n]+\+(?![\w+])|pass:\w*\[[^\]]*\]"),  # passthrough
    re.compile(r"\{[\w-]+\}"),  # attribute references
    re.compile(r"(\bimage:[^\[\s]*\[)[^\]]*(\])"),  # an inline image: its alt text is read
    re.compile(r"\b(?:kbd|btn|menu|icon|anchor|indexterm2?):[^\[\s]*\[[^\]]*\]"),
    re.compile(r"(\b(?:link|xref|mailto):[^\[\s]*\[|(?:https?|ftp)://[^\[\s]*\[)[^\]]*(\])"),
    re.compile(r"(<<[^,>]*,\s*)[^>]*(>>)|<<[^>]*>>"),  # cross references
    re.compile(r"(footnote:\[)[^\]]*(\])"),
    re.compile(r"(?<![\w*_#])([*_#]{1,2})(?=\S)|(?<=\S)([*_#]{1,2})(?![\w*_#])"),  # markers
    _URL,
]
_ADOC_CODE = {"-", ".", "+", "/"}  # listing, literal, passthrough, comment


def analyse_asciidoc(source: str) -> Analysis:
    r = _Reader(source, _ADOC_INLINE)
    _adoc_lines(r, 0, len(r.lines), "root")
    return r.result()


def _adoc_lines(r: _Reader, i: int, stop: int, container: Container) -> None:
    while i < stop:
        line, text = r.lines[i], r.lines[i].strip()
        if not text:
            i += 1
            continue
        delim = _ADOC_DELIM.match(line)
        if delim:
            fence = delim.group(1)
            end = next((j for j in range(i + 1, stop) if r.lines[j].rstrip() == fence), stop)
            r.blank(i, i + 1)
            r.blank(end, min(end + 1, stop))
            if fence[0] == "|":
                _adoc_table(r, i + 1, end)
            elif fence[0] in _ADOC_CODE and fence != "--":
                (r.add_code if fence[0] in "-." else r.blank)(i + 1, end)
            else:  # quote, example, sidebar, open block: prose inside
                _adoc_lines(r, i + 1, end, "blockquote" if fence[0] == "_" else container)
            i = end + 1
            continue
        if _ADOC_SKIP_LINE.match(text):
            r.blank(i, i + 1)
            i += 1
            continue
        heading = _ADOC_HEADING.match(line)
        if heading:
            r.blank_at(r.starts[i], r.starts[i] + len(heading.group(1)))
            r.add_block("heading", container, i, i + 1)
            i += 1
            continue
        if line[:1] in " \t":  # a literal paragraph
            end = _adoc_paragraph_end(r, i, stop)
            r.add_code(i, end)
            i = end
            continue
        end = _adoc_paragraph_end(r, i, stop)
        kind: Container = container
        for pattern in (_ADOC_LIST, _ADOC_LABEL):
            m = pattern.match(line)
            if m:
                r.blank_at(r.starts[i] + m.start(), r.starts[i] + m.end())
                kind = "list" if pattern is _ADOC_LIST else kind
        term = _ADOC_TERM.match(line)
        if term and kind == container and not _URL.search(line[: term.end(2)]):
            r.blank_at(r.starts[i] + term.start(2), r.starts[i] + term.end(2))
            kind = "list"
        r.add_block("paragraph", kind, i, end)
        i = end


def _adoc_table(r: _Reader, i: int, stop: int) -> None:
    """Each cell's text is read, as Vale reads a table: a line's cells, one block each."""
    for j in range(i, stop):
        line = r.lines[j]
        r.blank(j, j + 1)
        for m in re.finditer(r"[^|]+", line):
            if m.group(0).strip():
                lead = len(m.group(0)) - len(m.group(0).lstrip())
                r.cell(j, m.start() + lead, m.start() + len(m.group(0).rstrip()))


def _adoc_paragraph_end(r: _Reader, i: int, stop: int) -> int:
    j = i + 1
    while j < stop:
        line = r.lines[j]
        if not line.strip() or _ADOC_LIST.match(line) or _ADOC_DELIM.match(line):
            break
        if line.strip() == "+" or _ADOC_HEADING.match(line):
            break
        j += 1
    return j


# --- plain text ----------------------------------------------------------------------------


def analyse_text(source: str) -> Analysis:
    """Every stretch of lines between blank lines is a paragraph; nothing is markup."""
    r = _Reader(source, [])
    i = 0
    while i < len(r.lines):
        if not r.lines[i].strip():
            i += 1
            continue
        j = i
        while j < len(r.lines) and r.lines[j].strip():
            j += 1
        r.add_block("paragraph", "root", i, j)
        i = j
    return r.result()


ANALYSERS: dict[str, Callable[[str], Analysis]] = {
    "rst": analyse_rst,
    "asciidoc": analyse_asciidoc,
    "text": analyse_text,
}
