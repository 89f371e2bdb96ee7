"""`.vale.ini`: where the styles are, which rules run on which files, and at what level.

Read as Vale reads it: global keys first, then `[glob]` sections in order, each with
`BasedOnStyles = A, B` and `Style.Rule = YES | NO | suggestion | warning | error`. A file takes
every section whose glob matches it; later sections win.

Global keys read: StylesPath, MinAlertLevel, Vocab, Packages (already in StylesPath; nothing
is downloaded), IgnoredScopes, SkippedScopes. Section keys: BasedOnStyles, rules,
BlockIgnores, TokenIgnores. A global key under a section, or a section key above the first
section, is refused as Vale refuses it. `[formats]` maps extensions (`mdx = md`,
`inc = rst`). Keys contentloop cannot honour (Transform, WordTemplate, Lang...) are listed in
`notes`, never silently dropped.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ContentloopError

LEVELS = ("suggestion", "warning", "error")


# Keys Vale reads that change nothing here, because contentloop already behaves that way or
# because they only matter to Vale's own tooling.
QUIET_KEYS = {"NLPEndpoint", "Lang"}
# Vale's core options, which it reads above the first section only, and its section options.
CORE_KEYS = {
    "StylesPath",
    "MinAlertLevel",
    "Vocab",
    "IgnoredScopes",
    "SkippedScopes",
    "IgnoredClasses",
    "WordTemplate",
    "NLPEndpoint",
}
SECTION_KEYS = {"BasedOnStyles", "BlockIgnores", "TokenIgnores", "IgnorePatterns", "Transform"}


@dataclass
class Section:
    glob: str
    styles: list[str] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)  # "Style.Rule" -> YES/NO/level
    block_ignores: list[str] = field(default_factory=list)  # regexes: blocks not read
    token_ignores: list[str] = field(default_factory=list)  # regexes: inline text not read

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
            for g in braces(self.glob)
        )


@dataclass
class ValeIni:
    path: Path
    styles_path: Path
    styles_given: bool = True  # Vale runs its own style without a StylesPath; no other
    min_level: str = "suggestion"
    sections: list[Section] = field(default_factory=list)
    vocab: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    ignored_scopes: list[str] = field(default_factory=lambda: ["code", "tt"])
    skipped_scopes: list[str] = field(default_factory=lambda: ["script", "style", "pre", "figure"])
    formats: dict[str, str] = field(default_factory=dict)  # "mdx" -> "md"
    notes: dict[str, str] = field(default_factory=dict)  # a key not honoured -> why

    def ignores(self, path: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(BlockIgnores, TokenIgnores) of the sections that match `path`, in order."""
        blocks: list[str] = []
        tokens: list[str] = []
        for section in self.sections:
            if section.matches(path):
                blocks += section.block_ignores
                tokens += section.token_ignores
        return tuple(blocks), tuple(tokens)

    def enabled(self, path: str) -> dict[str, str | None]:
        """The rules that run on `path`: "Style.Rule" (or a whole "Style") -> level override
        (None keeps the rule's own level, "NO" turns it off)."""
        chosen: dict[str, str | None] = {}
        for section in self.sections:
            if section.matches(path):
                chosen.update(section.entries())
        return chosen


def braces(glob: str) -> list[str]:
    """`*.{md,rst}` -> `*.md`, `*.rst` (fnmatch has no braces)."""
    m = re.search(r"\{([^{}]*)\}", glob)
    if not m:
        return [glob]
    return [
        expanded
        for option in m.group(1).split(",")
        for expanded in braces(glob[: m.start()] + option.strip() + glob[m.end() :])
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
    ini = ValeIni(path, path.parent)
    sections: list[Section] = ini.sections
    in_formats = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            in_formats = line[1:-1].strip() == "formats"
            if not in_formats:
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
        if not in_formats:
            _in_place(key, value, bool(sections), path, number)
        if in_formats:
            ini.formats[key.lstrip(".")] = value.lstrip(".")
        elif key == "Vocab":
            ini.vocab += [v for v in _items(value) if v not in ini.vocab]
        elif key == "Transform":
            ini.notes[key] = "an XSLT transform for XML files; contentloop does not read XML"
        elif not sections:
            if key == "StylesPath":
                styles_path = value
            elif key == "MinAlertLevel":
                ini.min_level = _level(value, path, number)
            elif key == "Packages":
                ini.packages = [_package_name(v) for v in _items(value)]
            elif key == "IgnoredScopes":
                ini.ignored_scopes = _items(value)
            elif key == "SkippedScopes":
                ini.skipped_scopes = _items(value)
            elif key not in QUIET_KEYS:
                ini.notes[key] = "not a setting contentloop reads"
        elif not _section_key(sections[-1], key, value, path, number) and key not in QUIET_KEYS:
            ini.notes[key] = "not a section setting contentloop reads"
    ini.styles_given = styles_path is not None
    ini.styles_path = (path.parent / (styles_path or ".")).resolve()
    return ini


def _in_place(key: str, value: str, in_section: bool, path: Path, number: int) -> None:
    """Refuse, as Vale does, a core option under a section and a section option above them."""
    if in_section and key in CORE_KEYS:
        raise ContentloopError(
            f"'{key}' is a core option, and it is under a [section].",
            path=path,
            line=number,
            fix=f"move `{key} = {value}` above the first `[...]` section, as Vale requires.",
        )
    if not in_section and key in SECTION_KEYS:
        raise ContentloopError(
            f"'{key}' is a section option, and it is above every section.",
            path=path,
            line=number,
            fix=f"put `{key} = {value}` under a section such as `[*]` or `[*.md]`.",
        )


def _section_key(section: Section, key: str, value: str, path: Path, number: int) -> bool:
    """Read one `key = value` of a `[glob]` section; False when the key is not one read here."""
    if key == "BasedOnStyles":
        section.styles.extend(_items(value))
    elif key == "BlockIgnores":
        section.block_ignores += _patterns(value, key, path, number)
    elif key == "TokenIgnores":
        section.token_ignores += _patterns(value, key, path, number)
    elif "." in key:
        if value.upper() not in ("YES", "NO") and value.lower() not in LEVELS:
            raise ContentloopError(
                f"{key} = {value!r} on line {number}.",
                path=path,
                line=number,
                fix=f"set a rule to YES, NO or one of {', '.join(LEVELS)}.",
            )
        section.rules[key] = value
    else:
        return False
    return True


def _items(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _level(value: str, path: Path, number: int) -> str:
    if value.lower() not in LEVELS:
        raise ContentloopError(
            f"MinAlertLevel is {value!r}.",
            path=path,
            line=number,
            fix=f"use one of {', '.join(LEVELS)}.",
        )
    return value.lower()


def _package_name(value: str) -> str:
    """`https://.../Google.zip` -> `Google`: the folder `vale sync` would have made."""
    name = value.rstrip("/").rsplit("/", 1)[-1]
    return name[:-4] if name.endswith(".zip") else name


def _patterns(value: str, key: str, path: Path, number: int) -> list[str]:
    """BlockIgnores/TokenIgnores: comma-separated regexes, each checked here so that the error
    names the line (a comma inside a pattern's braces or class stays in it)."""
    import regex

    parts, depth, current = [], 0, ""
    for ch in value:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    for p in (p for p in parts if p):
        try:
            regex.compile(p)
        except regex.error as exc:
            raise ContentloopError(
                f"{key} pattern {p!r} on line {number} is not a regular expression: {exc}.",
                path=path,
                line=number,
                fix="fix the pattern (Python/.NET regex syntax), or remove it.",
            ) from None
    return [p for p in parts if p]
