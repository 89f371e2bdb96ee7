"""Markdown → prose: what the checks are allowed to see.

Instead of extracting prose into a new string (and then mapping positions back), non-prose
characters are blanked out in place: `Draft.prose` has exactly the length and line breaks of
the source, so every match offset is also an offset in the original file and evidence line
numbers come for free.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ..yamlio import newlines
from . import dialects
from .blocks import Analysis, Block, BlockKind, Container

if TYPE_CHECKING:
    from collections.abc import Mapping

    from markdown_it import MarkdownIt
    from spacy.tokens import Doc


@functools.cache
def markdown_parser() -> MarkdownIt:
    # Built on first parse, not at import: a run whose drafts all come from the check cache
    # never imports markdown-it.
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    # The checks read each block's source (inline token content) and blank inline markup
    # with their own patterns; markdown-it's inline pass would build children nothing
    # reads, and it was over half of the parse on real READMEs.
    md.core.ruler.disable("inline")
    return md


_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n.*?\n(---|\.\.\.|\+\+\+)[ \t]*(\n|\Z)", re.S)
# Inline spans that are not prose. Order matters only for readability: they are all blanked.
_INLINE_NOT_PROSE = [
    re.compile(r"<!--.*?-->", re.S),  # HTML comments
    # Code spans: a run of N backticks up to the next run of exactly N, not across a blank line.
    re.compile(r"(?<!`)(`+)(?!`)(?:[^`\n]|`(?!\1)|\n(?![ \t]*\n))+?(?<!`)\1(?!`)"),
    re.compile(r"<(?:https?|ftp|mailto):[^>\s]*>"),  # autolinks
    re.compile(r"(?<=\]\()[^)\s]*(?:\s+\"[^\"]*\")?(?=\))"),  # link/image destinations
    re.compile(r"^[ ]{0,3}\[(?!\^)[^\]]+\]:\s*\S+.*$", re.M),  # reference definitions
    re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>()\[\]`]+[^\s<>()\[\]`.,;:!?'\"]"),  # bare URLs
    re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"),  # inline HTML tags
    re.compile(r"!(?=\[)"),  # the bang of image syntax is markup, not an exclamation
]
# A byline or a dateline is short and says who, when or how long: not the lead.
_BYLINE = re.compile(
    r"""^[*_\s]*(?:(?:written\s+|posted\s+|published\s+)?by\s+(?-i:[A-Z])
      |(?:posted|published|updated|last\s+updated)(?:\s+on)?\s*:?\s*(?:[A-Z][a-z]+\.?\s+)?\d
      |(?:date|author)\s*:)(?=.{0,160}$)
    |^[*_\s]*(?:[A-Z][a-z]+\.?\s+\d{1,2},\s+\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}\s+[A-Z][a-z]+\s+\d{4})[*_\s]*$
    |^.{0,80}\b\d+\s*min(?:ute)?s?\s+read\b.{0,40}$""",
    re.X | re.I,
)


_blank = dialects.blank


_CHUNK = re.compile(r"\S(?:.*\S)?(?:\n[^\S\n]*\S.*)*")  # lines with text, up to a blank line
_LETTERS = re.compile(r"[^\W\d_]+")


def spans(prose: str) -> list[tuple[int, int]]:
    """(start, end) of every chunk: from its first to its last non-space character."""
    out = []
    for m in _CHUNK.finditer(prose):
        text = m.group(0)
        out.append((m.start(), m.start() + len(text.rstrip())))
    return out


def letter_runs(text: str) -> set[str]:
    """The lower-cased runs of letters in `text`."""
    return set(_LETTERS.findall(text.lower()))


@dataclass
class Draft:
    """A Markdown draft with its prose view, its blocks and the spaCy docs of the chunks
    parsed so far."""

    source: str
    path: str | None = None
    # A `[formats]` section's mappings (ending -> Vale's format name), read before the ending.
    formats: Mapping[str, str] | None = field(default=None, repr=False)
    _docs: dict[int, Doc] = field(default_factory=dict, init=False, repr=False)
    # What checks derive from the draft and would otherwise derive twice: once to name the
    # chunks to parse (chunks.prepare), once when they run.
    memo: dict[object, object] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # Markdown reads a lone \r as a line end; the line numbers here count \n only.
        self.source = newlines(self.source)

    @cached_property
    def _analysed(self) -> Analysis:
        # On first use, not in __init__: a draft whose checks come from the cache is never parsed.
        if self.format != "markdown":
            from .markup import ANALYSERS

            return ANALYSERS[self.format](self.source)
        return _analyse(self.source, (self.path or "").lower().endswith(".mdx"))

    @cached_property
    def format(self) -> str:
        """ "markdown", or "rst", "asciidoc" or "text" for a file with one of their endings."""
        from .markup import format_of

        return format_of(self.path, self.formats)

    @property
    def prose(self) -> str:
        """The source with everything that is not prose blanked; same length and lines."""
        return self._analysed[0]

    @property
    def blocks(self) -> list[Block]:
        """The headings and paragraphs, in order."""
        return self._analysed[1]

    @property
    def code_blocks(self) -> list[tuple[int, int]]:
        """(start, end) offsets of fenced and indented code blocks, in order."""
        return self._analysed[2]

    @property
    def table_cells(self) -> list[tuple[int, int]]:
        """(start, end) of each Markdown table cell's text. Vale reads them; the blocks, which
        contentloop's own checks read, leave tables out. Other formats' cells are blocks."""
        return self._analysed[3]

    @cached_property
    def chunks(self) -> list[tuple[int, int]]:
        """(start, end) of the stretches of prose between blank lines, which spaCy parses one
        by one and only when a check reads them (checks/chunks.py)."""
        return spans(self.prose)

    @cached_property
    def chunk_words(self) -> list[set[str]]:
        """Each chunk's lower-cased runs of letters: where a word can be without a parse."""
        return [letter_runs(self.prose[s:e]) for s, e in self.chunks]

    def chunk_text(self, i: int) -> str:
        start, end = self.chunks[i]
        return self.prose[start:end]

    def chunks_in(self, start: int, end: int) -> range:
        """Indexes of the chunks that overlap prose[start:end]."""
        lo = bisect.bisect_right(self._chunk_ends, start)
        hi = bisect.bisect_left(self._chunk_starts, end)
        return range(lo, max(lo, hi))

    @cached_property
    def _chunk_starts(self) -> list[int]:
        return [s for s, _ in self.chunks]

    @cached_property
    def _chunk_ends(self) -> list[int]:
        return [e for _, e in self.chunks]

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0] + [m.end() for m in re.finditer("\n", self.source)]

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return bisect.bisect_right(self._line_starts, offset)

    def line_start(self, line: int) -> int:
        """Offset of the first character of a 1-based line."""
        return self._line_starts[line - 1]

    def line_text(self, line: int) -> str:
        starts = self._line_starts
        end = starts[line] - 1 if line < len(starts) else len(self.source)
        return self.source[starts[line - 1] : end]

    @property
    def lead(self) -> Block | None:
        """The first top-level paragraph a reader reads as the start of the post: headings,
        lone images, badge rows, template tags and bylines ("By Ana Ruiz · 5 min read") are
        what comes before it."""
        for block in self.blocks:
            if block.kind != "paragraph" or block.container != "root" or block.is_image_only:
                continue
            words = " ".join(self.prose[block.start : block.end].split())
            if re.search(r"[A-Za-z]", words) and not _BYLINE.search(words):
                return block
        return None

    def prose_text(self, kinds: tuple[BlockKind, ...] = ("paragraph",)) -> str:
        """Prose of the chosen blocks, one block per paragraph, Markdown markers removed.

        For whole-text statistics (readability) where positions no longer matter.
        """
        parts = []
        for block in self.blocks:
            if block.kind in kinds:
                text = re.sub(
                    r"(?m)^[ \t]*(?:>[ \t]?)+|[*_#]+|\[|\]\([^)]*\)|\]",
                    "",
                    self.prose[block.start : block.end],
                )
                text = " ".join(text.split())
                if text:
                    parts.append(text)
        return "\n\n".join(parts)

    @property
    def word_count(self) -> int:
        return len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'’-]*", self.prose))


def _analyse(source: str, mdx: bool = False) -> Analysis:
    chars = list(source)
    fm = _FRONT_MATTER.match(source)
    if fm:
        _blank(chars, 0, fm.end())
    # Parse with front matter blanked so '---' is not read as a rule or a setext heading.
    text = "".join(chars)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)] + [len(text) + 1]

    def span(lines: list[int]) -> tuple[int, int]:
        start = line_starts[lines[0]]
        end = (
            min(line_starts[lines[1]], len(text) + 1) - 1
            if lines[1] < len(line_starts)
            else len(text)
        )
        return start, max(start, end)

    blocks: list[Block] = []
    code: list[tuple[int, int]] = []
    containers: list[Container] = []
    pending: BlockKind | None = None
    cells: list[tuple[int, int]] = []
    in_cell = False
    for tok in markdown_parser().parse(dialects.parser_view(text)):
        if tok.type in ("fence", "code_block") and tok.map:
            code.append(span(tok.map))
            _blank(chars, *code[-1])
        elif tok.type == "html_block" and tok.map:
            dialects.blank_html_markup(text, chars, *span(tok.map))
        elif tok.type == "blockquote_open":
            containers.append("blockquote")
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            containers.append("list")
        elif tok.type in ("blockquote_close", "bullet_list_close", "ordered_list_close"):
            containers.pop()
        elif tok.type in ("heading_open", "paragraph_open"):
            pending = "heading" if tok.type == "heading_open" else "paragraph"
        elif tok.type in ("th_open", "td_open"):
            in_cell = True
        elif tok.type == "inline" and in_cell and tok.map:
            in_cell = False
            _cell(text, line_starts, tok.map[0], tok.content, cells)
        elif tok.type == "inline" and pending and tok.map:
            start, end = span(tok.map)
            # Any enclosing quote makes it a quote: labelled boxes often hold lists.
            container: Container = (
                "blockquote"
                if "blockquote" in containers
                else (containers[-1] if containers else "root")
            )
            blocks.append(Block(pending, container, start, end, tok.map[0] + 1, tok.content))
            pending = None

    dialects.blank_markers(text, chars)
    text = "".join(chars)
    for pattern in (
        _INLINE_NOT_PROSE + dialects.TEMPLATE_NOT_PROSE + (dialects.MDX_NOT_PROSE if mdx else [])
    ):
        for m in pattern.finditer(text):
            _blank(chars, m.start(), m.end())
    dialects.decode_and_fold(chars)
    return "".join(chars), blocks, code, cells


def _cell(
    text: str, line_starts: list[int], line: int, content: str, cells: list[tuple[int, int]]
) -> None:
    """Find one cell's content in its row, after the cells found there already."""
    if not content.strip():
        return
    row_start, row_end = line_starts[line], line_starts[line + 1]
    cursor = max([row_start] + [e for s, e in cells if s >= row_start])
    for needle in (content, content.replace("|", "\\|")):  # markdown-it unescapes \|
        at = text.find(needle, cursor, row_end)
        if at >= 0:
            cells.append((at, at + len(needle)))
            return
