"""Vale's inline scopes: a rule with `scope: link` reads the text of each link, one with
`scope: code` the content of each code span, in every block (headings too), each apart.

Read from the source of the draft's blocks, so that a code block's content is never taken
for a span; offsets are the source's, as for every other part a rule reads.
"""

from __future__ import annotations

import re

from ..checks.prose import Draft
from .view import CODE_SPANS, Segment

INLINE = ("link", "code")

# Per format, the pattern of each inline element; group "t" (or "u") is what the rule reads.
# Code spans are the ones the blocks' text leaves unread (view.CODE_SPANS).
_PATTERNS: dict[str, dict[str, re.Pattern[str]]] = {
    "markdown": {
        "link": re.compile(r"(?<!!)\[(?P<t>[^\]\n]*)\](?:\([^)\n]*\)|\[[^\]\n]*\])"),
        "code": CODE_SPANS["markdown"],
    },
    "asciidoc": {
        "link": re.compile(r"\b(?:https?|ftp|mailto|link|xref):[^\s\[]*\[(?P<t>[^\]\n]*)\]"),
        "code": CODE_SPANS["asciidoc"],
    },
    "rst": {
        "link": re.compile(r"`(?P<t>[^`<\n]+?)\s*<[^>\n]+>`__?"),
        "code": CODE_SPANS["rst"],
    },
}


def inline_segments(draft: Draft, kind: str) -> list[Segment]:
    """The draft's links' texts (`kind` "link") or code spans' contents ("code"), in order."""
    cached: dict[str, list[Segment]] = draft.__dict__.setdefault("_vale_inline", {})
    if kind not in cached:
        pattern = _PATTERNS.get(draft.format, {}).get(kind)
        found: list[Segment] = []
        for block in draft.blocks if pattern is not None else ():
            for m in pattern.finditer(draft.source, block.start, block.end):
                group = "t" if m.group("t") is not None else "u"  # only AsciiDoc has a u
                a, b = m.span(group)
                found.append(Segment("paragraph", kind, draft.source[a:b], tuple(range(a, b))))
        cached[kind] = found
    return cached[kind]
