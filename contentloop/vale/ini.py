"""`.vale.ini`: where the styles are, which rules run on which files, and at what level.

Read as Vale reads it: global keys (StylesPath, MinAlertLevel) first, then `[glob]` sections
in order, each with `BasedOnStyles = A, B` and `Style.Rule = YES | NO | suggestion |
warning | error`. A file takes every section whose glob matches it; later sections win.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ContentloopError

LEVELS = ("suggestion", "warning", "error")


@dataclass
class Section:
    glob: str
    styles: list[str] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)  # "Style.Rule" -> YES/NO/level

    def entries(self) -> dict[str, str | None]:
        """This section's lines: a style or "Style.Rule" -> level override (None: the rule's
        own level; "NO": off)."""
        chosen: dict[str, str | None] = dict.fromkeys(self.styles)
        for name, value in self.rules.items():
            if value.upper() == "NO":
                chosen[name] = "NO"
            else:
                chosen[name] = None if value.upper() == "YES" else value.lower()
        return chosen

    def matches(self, path: str) -> bool:
        name = path.replace("\\", "/")
        return any(
            fnmatch.fnmatchcase(name, g) or fnmatch.fnmatchcase(name.rsplit("/", 1)[-1], g)
            for g in _braces(self.glob)
        )


@dataclass
class ValeIni:
    path: Path
    styles_path: Path
    min_level: str = "suggestion"
    sections: list[Section] = field(default_factory=list)

    def enabled(self, path: str) -> dict[str, str | None]:
        """The rules that run on `path`: "Style.Rule" (or a whole "Style") -> level override
        (None keeps the rule's own level, "NO" turns it off)."""
        chosen: dict[str, str | None] = {}
        for section in self.sections:
            if section.matches(path):
                chosen.update(section.entries())
        return chosen


def _braces(glob: str) -> list[str]:
    """`*.{md,rst}` -> `*.md`, `*.rst` (fnmatch has no braces)."""
    m = re.search(r"\{([^{}]*)\}", glob)
    if not m:
        return [glob]
    return [
        expanded
        for option in m.group(1).split(",")
        for expanded in _braces(glob[: m.start()] + option.strip() + glob[m.end() :])
    ]


def read_ini(path: Path) -> ValeIni:
    """Parse a .vale.ini; errors name the file, the line and the fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentloopError(
            "no such Vale configuration file.", path=path, fix="pass the path to a .vale.ini."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentloopError(f"cannot read it: {exc}.", path=path) from None
    styles_path: str | None = None
    min_level = "suggestion"
    sections: list[Section] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append(Section(line[1:-1].strip()))
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ContentloopError(
                f"line {number} is neither `[glob]` nor `key = value`: {raw.strip()!r}.",
                path=path,
                line=number,
                fix="write settings as `Key = value` under a `[*.md]`-style section.",
            )
        key, value = key.strip(), value.strip()
        if not sections:
            if key == "StylesPath":
                styles_path = value
            elif key == "MinAlertLevel":
                if value.lower() not in LEVELS:
                    raise ContentloopError(
                        f"MinAlertLevel is {value!r}.",
                        path=path,
                        line=number,
                        fix=f"use one of {', '.join(LEVELS)}.",
                    )
                min_level = value.lower()
            continue  # Vocab, Packages, IgnoredScopes...: not used by contentloop
        section = sections[-1]
        if key == "BasedOnStyles":
            section.styles.extend(s.strip() for s in value.split(",") if s.strip())
        elif "." in key:
            if value.upper() not in ("YES", "NO") and value.lower() not in LEVELS:
                raise ContentloopError(
                    f"{key} = {value!r} on line {number}.",
                    path=path,
                    line=number,
                    fix=f"set a rule to YES, NO or one of {', '.join(LEVELS)}.",
                )
            section.rules[key] = value
    if styles_path is None:
        raise ContentloopError(
            "it has no StylesPath.",
            path=path,
            fix="add `StylesPath = styles` (the folder that holds your style folders) at the top.",
        )
    return ValeIni(path, (path.parent / styles_path).resolve(), min_level, sections)
