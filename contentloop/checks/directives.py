"""Comments that switch checks off and on for a stretch of a document.

    <!-- vale off -->                  every Vale rule, until <!-- vale on -->
    <!-- vale write-good.Weasel = NO -->   one rule (or `<!-- vale write-good = NO -->`, a style)
    <!-- contentloop off -->           every check, Vale rules included
    <!-- contentloop em_dash = NO -->  one check by its rubric id; `= YES` turns it back on

MDX files may write the same as `{/* vale off */}`. A switch applies from where it stands to
the next switch that undoes it, or to the end of the document; one shown inside a code block
is an example, not a switch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .prose import Draft

_COMMENT = re.compile(
    r"<!--\s*(vale|contentloop)\b(.*?)-->|\{/\*\s*(vale|contentloop)\b(.*?)\*/\}", re.S | re.I
)
_TOGGLE = re.compile(r"^\s*([^\s=,]+)\s*=\s*(YES|NO)\s*$", re.I)


@dataclass(frozen=True)
class Switch:
    offset: int
    system: str  # "vale" or "contentloop"
    target: str | None  # None: everything of that system
    on: bool


def switches(draft: Draft) -> list[Switch]:
    """The draft's switch comments in document order (parsed once per draft)."""
    cached = draft.__dict__.get("_switches")
    if cached is not None:
        return cached
    found: list[Switch] = []
    if "vale" in draft.source or "contentloop" in draft.source:
        code = draft.code_blocks
        for m in _COMMENT.finditer(draft.source):
            if any(a <= m.start() < b for a, b in code):
                continue  # an example of the comment in a code block, not a switch
            system = (m.group(1) or m.group(3)).lower()
            body = (m.group(2) if m.group(1) else m.group(4)).strip()
            if body.lower() in ("off", "on"):
                found.append(Switch(m.start(), system, None, body.lower() == "on"))
                continue
            for part in body.split(","):
                toggle = _TOGGLE.match(part)
                if toggle:
                    on = toggle.group(2).upper() == "YES"
                    found.append(Switch(m.start(), system, toggle.group(1), on))
    draft.__dict__["_switches"] = found
    return found


def silenced(draft: Draft, offset: int, systems: Iterable[str], names: Iterable[str]) -> bool:
    """Is a hit at `offset` switched off for a check known by `names` to `systems`?"""
    systems, names = set(systems), set(names)
    off_all: dict[str, bool] = {}
    off_named: dict[str, bool] = {}
    for s in switches(draft):
        if s.offset > offset:
            break
        if s.system not in systems:
            continue
        if s.target is None:
            off_all[s.system] = not s.on
        elif s.target in names:
            off_named[s.target] = not s.on
    return any(off_all.values()) or any(off_named.values())
