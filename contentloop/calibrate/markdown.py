"""Drafts as Markdown blocks, for the calibration set's rewrites: paragraphs, headings, lists,
quotes and fenced code split on blank lines (code kept whole), sentences from the same spaCy
sentencizer the checks use, and the one canonical layout every variant is made from.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from ..checks.nlp import parse

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


@dataclass
class Block:
    kind: str  # "heading", "code", "quote", "list", "paragraph", "image"
    text: str
    level: int = 0  # heading level


def blocks(markdown: str) -> list[Block]:
    """Split a draft into blocks on blank lines, keeping fenced code whole."""
    out: list[Block] = []
    lines = markdown.strip("\n").split("\n")
    i, buf = 0, []

    def flush() -> None:
        if buf:
            text = "\n".join(buf)
            first = buf[0].lstrip()
            heading = _HEADING.match(buf[0]) if len(buf) == 1 else None
            if heading:
                out.append(Block("heading", text, len(heading.group(1))))
            elif first.startswith(">"):
                out.append(Block("quote", text))
            elif re.match(r"^([-*+]|\d+[.)])\s", first):
                out.append(Block("list", text))
            elif first.startswith("![") or first.startswith("<!--") or first == "---":
                out.append(Block("image", text))
            else:
                out.append(Block("paragraph", text))
            buf.clear()

    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            flush()
            fence = [line]
            i += 1
            while i < len(lines) and not _FENCE.match(lines[i]):
                fence.append(lines[i])
                i += 1
            if i < len(lines):
                fence.append(lines[i])
            out.append(Block("code", "\n".join(fence)))
        elif not line.strip():
            flush()
        elif _HEADING.match(line) and buf:
            flush()
            buf.append(line)
            flush()
        else:
            buf.append(line)
            if _HEADING.match(line):
                flush()
        i += 1
    flush()
    return out


def join(parts: list[Block]) -> str:
    return "\n\n".join(b.text for b in parts) + "\n"


def sentences(text: str) -> list[str]:
    (doc,) = parse([text])
    return [s.text_with_ws for s in doc.sents if s.text.strip()]


def flat(text: str) -> str:
    return " ".join(text.split())


def split_sections(bs: list[Block]) -> tuple[list[Block], list[list[Block]]]:
    """Head (title, lead: everything before the first level-2 heading) and the sections."""
    head: list[Block] = []
    sections: list[list[Block]] = []
    for b in bs:
        if b.kind == "heading" and b.level == 2:
            sections.append([b])
        elif sections:
            sections[-1].append(b)
        else:
            head.append(b)
    return head, sections


def lead_index(bs: list[Block]) -> int | None:
    for i, b in enumerate(bs):
        if b.kind == "heading" and b.level >= 2:
            return None
        if b.kind == "paragraph":
            return i
    return None


def title(markdown: str) -> str:
    for b in blocks(markdown):
        if b.kind == "heading" and b.level == 1:
            return _HEADING.match(b.text).group(2).strip()  # type: ignore[union-attr]
    return "this subject"


def map_blocks(markdown: str, fn: Callable[[str, int], str], kinds: tuple[str, ...]) -> str:
    """Apply fn(text, index) to every block of the given kinds; index counts those blocks.
    A block indented under a list item is handed over dedented and keeps its indent."""
    bs = blocks(markdown)
    n = 0
    for b in bs:
        if b.kind in kinds:
            indent = re.match(r"[ \t]*", b.text).group(0)  # type: ignore[union-attr]
            body = textwrap.dedent(b.text) if indent else b.text
            b.text = textwrap.indent(fn(body, n), indent) if indent else fn(body, n)
            n += 1
    return join(bs)


def canonical(markdown: str) -> str:
    """One line per paragraph and per blockquote: the form every variant is made from, so a
    degradation changes its one quality and not the line breaks too."""

    def unwrap(text: str, _: int) -> str:
        if text.lstrip().startswith(">"):
            return "> " + flat(re.sub(r"^\s*> ?", "", text, flags=re.M))
        return flat(text)

    return map_blocks(markdown, unwrap, ("paragraph", "quote"))
