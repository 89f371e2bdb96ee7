"""The blocks of a draft (headings and paragraphs, each in its container) that every format's
reader produces: Markdown's (checks/prose.py) and the others' (checks/markup.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["heading", "paragraph"]
Container = Literal["root", "blockquote", "list", "table"]

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_EMPTY_LINK = re.compile(r"\[\s*\](?:\([^)]*\)|\[[^\]]*\])")


@dataclass(frozen=True)
class Block:
    """One heading or paragraph of the draft, as Markdown parsed it."""

    kind: BlockKind
    container: Container
    start: int  # char offsets into the source (and into Draft.prose)
    end: int
    line: int  # 1-based first line
    content: str  # the inline Markdown source of the block, container markers removed

    @property
    def is_image_only(self) -> bool:
        """Only images, or images that are links (a row of badges)."""
        rest = _EMPTY_LINK.sub("", _IMAGE.sub("", self.content))
        return not re.search(r"[A-Za-z0-9]", rest)


# What a format's reader gives: the prose view, the blocks, the code blocks' spans, and the
# spans of table cells kept out of the blocks (Markdown's).
Analysis = tuple[str, list[Block], list[tuple[int, int]], list[tuple[int, int]]]
