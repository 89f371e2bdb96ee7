"""Which blocks a Vale rule's `scope` selects, and a block's sentences, as Vale reads them."""

from __future__ import annotations

from ..checks.chunks import sentences_in
from ..checks.prose import Draft
from .view import Segment

# The names a block answers to in a scope, beyond its kind, its level and its container;
# a name not known here (Vale's `alt`, `comment`, a class) selects every block, as before.
_BLOCK_NAMES = {
    "text",
    "heading",
    "paragraph",
    "list",
    "blockquote",
    "table",
    "li",
    "cell",
    "caption",
}
_KNOWN = _BLOCK_NAMES | {f"h{i}" for i in range(1, 7)}


def selects(scope: str, seg: Segment) -> bool:
    """Whether one of a rule's scopes (`heading`, `heading.h2`, `heading & ~heading.h1`,
    `paragraph & ~blockquote`) reads block `seg`, as Vale's selectors do: every part's names
    are among the block's, and a negated part's are not all among them."""
    names = {"text", seg.kind, seg.container}
    if seg.container == "list":
        names.add("li")
    if seg.container == "table":  # Vale's text.table.cell: a cell is no paragraph
        names = {"text", "table", "cell"}
    if seg.level:
        names.add(f"h{seg.level}")
    for part in scope.split("&"):
        part = part.strip()
        wanted = set(part.lstrip("~").split("."))
        if not wanted <= _KNOWN:
            continue
        if part.startswith("~") == (wanted <= names):
            return False
    return True


def sentences_of(draft: Draft, seg: Segment) -> list[Segment]:
    """The sentences of one block, as segments, computed once per draft for every rule."""
    cache: dict[tuple[int, int], list[Segment]] = draft.__dict__.setdefault("_vale_sentences", {})
    key = (seg.offsets[0], len(seg.offsets))
    found = cache.get(key)
    if found is None:
        lo, hi = seg.offsets[0], seg.offsets[-1] + 1
        found = []
        for start, end in sentences_in(draft, lo, hi):
            if end <= lo or start >= hi:
                continue
            part = seg.slice(start, end)
            text = part.text.strip()
            if text:  # without the blanks around it, as Vale's segmenter gives a sentence
                lead = len(part.text) - len(part.text.lstrip())
                found.append(
                    Segment(
                        part.kind,
                        part.container,
                        text,
                        part.offsets[lead : lead + len(text)],
                        part.level,
                    )
                )
        cache[key] = found
    return found
