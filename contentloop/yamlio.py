"""Load YAML into pydantic models with errors that point at the file, line and field.

Rubrics, topics and skills are all hand-edited YAML; a typo must come back as
"rubrics/x.yaml, line 14, field checks[2].deduction: ..." rather than a traceback.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ContentloopError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


# What a hand-written YAML file (rubric, topic, skill.yaml) may weigh. The largest shipped one is
# 6 KB; a file 150 times that is a mistake or an attack, and would only slow every command.
MAX_YAML_BYTES = 1_000_000
# A YAML alias repeats a whole subtree: nine levels of nine aliases ("billion laughs") make a
# file of 1 KB stand for 10^9 values. Hand-written configuration has a few hundred.
MAX_YAML_VALUES = 100_000


# libyaml when PyYAML has it (the wheels do): reading a rubric is 5x faster than in Python.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path, what: str = "file", limit: int = MAX_YAML_BYTES) -> str:
    """Read a UTF-8 text file of at most `limit` bytes, turning OS, size and decoding problems
    into ContentloopError. Only regular files are read: a device (/dev/zero) or a FIFO, even
    behind a symlink, would never end."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opens without a writer
    except FileNotFoundError:
        dangling = path.is_symlink()
        raise ContentloopError(
            f"is a symbolic link to {os.readlink(path)}, which does not exist."
            if dangling
            else f"no such {what}.",
            path=path,
            fix="fix or remove the link."
            if dangling
            else "check the path (it is relative to the current folder).",
        ) from None
    except IsADirectoryError:
        raise ContentloopError(
            f"is a folder, expected a {what}.", path=path, fix="name a file."
        ) from None
    except OSError as exc:
        raise ContentloopError(f"cannot be read ({exc.strerror}).", path=path) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ContentloopError(
                f"is a folder, expected a {what}.", path=path, fix="name a file."
            )
        if not stat.S_ISREG(info.st_mode):
            raise ContentloopError(
                f"is not a regular file (a device, a pipe or a socket), expected a {what}.",
                path=path,
                fix="name a text file on disk.",
            )
        if info.st_size > limit:
            raise ContentloopError(
                f"is {info.st_size / 1e6:.1f} MB; a {what} over {limit / 1e6:g} MB is refused.",
                path=path,
                fix="split it into smaller files."
                if what == "draft"
                else "check that this is the file you meant.",
            )
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)  # a file that grew since fstat is still cut at the limit
    except OSError as exc:
        raise ContentloopError(f"cannot be read ({exc.strerror}).", path=path) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ContentloopError(f"grew past {limit / 1e6:g} MB while it was read.", path=path)
    if b"\x00" in data[:8192]:
        raise ContentloopError(
            f"looks binary, expected a UTF-8 text {what}.", path=path, fix="pass a text file."
        )
    try:
        return newlines(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentloopError(
            f"is not valid UTF-8 (byte {exc.start}).",
            path=path,
            line=line,
            fix="re-save the file as UTF-8.",
        ) from exc


def newlines(text: str) -> str:
    """Windows (CRLF) and old Mac (CR) line ends as LF: every line count assumes LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _line_map(node: yaml.Node, loc: Loc = (), out: dict[Loc, int] | None = None) -> dict[Loc, int]:
    """Map every key path in a composed YAML tree to its 1-based line."""
    out = {} if out is None else out
    out.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[loc + (key,)] = key_node.start_mark.line + 1
            _line_map(value_node, loc + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[loc + (i,)] = item.start_mark.line + 1
            _line_map(item, loc + (i,), out)
    return out


def format_loc(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _line_for(loc: Loc, lines: dict[Loc, int]) -> int | None:
    # pydantic adds union/tag names to locations; walk back to the deepest path the YAML has.
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def parse_yaml(text: str, path: Path) -> tuple[Any, dict[Loc, int]]:
    try:
        node = yaml.compose(text, Loader=_LOADER)
        if node is not None and _expanded_size(node, {}) > MAX_YAML_VALUES:
            raise ContentloopError(
                f"stands for more than {MAX_YAML_VALUES:,} values once its aliases (*name) are "
                "expanded.",
                path=path,
                fix="write the values out, or use fewer nested aliases; this looks like a "
                "'billion laughs' file.",
            )
        data = yaml.load(text, Loader=_LOADER)  # a safe loader: no tags that run code
    except RecursionError:
        raise _too_deep(path) from None
    except yaml.YAMLError as exc:
        # libyaml 0.2.5 as bundled from PyYAML 6.0.4 stops at 1,000 levels itself, where the
        # pure-Python reader runs out of stack: the same file, the same message either way.
        if "maximum nesting depth" in str(getattr(exc, "problem", "")):
            raise _too_deep(path) from None
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and cmark is not None and cmark is not mark:
            problem += f" ({context} that starts on line {cmark.line + 1})"
        raise ContentloopError(
            f"is not valid YAML: {problem}.",
            path=path,
            line=mark.line + 1 if mark else None,
            fix="check the indentation and quoting on that line (quote strings that contain ': ' or start with '*', '&' or '!').",
        ) from exc
    return data, (_line_map(node) if node is not None else {})


def _too_deep(path: Path) -> ContentloopError:
    return ContentloopError(
        "nests lists or mappings too deeply to read.",
        path=path,
        fix="flatten the structure; hand-written YAML needs a few levels, not hundreds.",
    )


def _expanded_size(node: yaml.Node, seen: dict[int, int]) -> int:
    """How many values `node` stands for with every alias expanded, counted without expanding
    (an alias is the same node object, so each node is sized once)."""
    key = id(node)
    if key not in seen:
        seen[key] = 1  # a node that contains itself (a recursive alias) counts once
        if isinstance(node, yaml.MappingNode):
            seen[key] += sum(
                _expanded_size(k, seen) + _expanded_size(v, seen) for k, v in node.value
            )
        elif isinstance(node, yaml.SequenceNode):
            seen[key] += sum(_expanded_size(v, seen) for v in node.value)
    return seen[key]


def validation_error(
    exc: ValidationError, path: Path, lines: dict[Loc, int], data: Any = None
) -> ContentloopError:
    """Turn the first pydantic error into a ContentloopError with file, line and field."""
    err = exc.errors()[0]
    loc = _without_tags(tuple(err["loc"]), data)
    yaml_loc = _yaml_loc(loc, lines)
    line = _line_for(yaml_loc, lines)
    if loc and yaml_loc[-1:] != loc[-1:] and err["type"] == "missing":
        yaml_loc += loc[-1:]  # a missing key has no line of its own; name it anyway
    more = len(exc.errors()) - 1
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
        fix = "remove it or correct its spelling; unknown keys are errors so typos never pass silently."
    elif err["type"] == "missing":
        fix = "add this required field."
    elif err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        ctx = err.get("ctx", {})
        msg = f"unknown check type {ctx.get('tag', '(none)')!r}"
        fix = f"set type to one of: {ctx.get('expected_tags', '')}."
    else:
        fix = _fix_for(err["type"], err.get("ctx") or {})
    # A whole mapping (from a model-level validator) is too long to be worth echoing.
    if (
        "input" in err
        and not isinstance(err["input"], dict)
        and err["type"]
        not in (
            "missing",
            "extra_forbidden",
            "union_tag_invalid",
            "union_tag_not_found",
        )
    ):
        shown = repr(err["input"])
        msg += f" (got {shown[:80]})"
    if more:
        msg += f" ({more} more problem{'s' if more > 1 else ''} after this one)"
    return ContentloopError(msg + ".", path=path, line=line, field=format_loc(yaml_loc), fix=fix)


_KIND_FIX = {
    "int": "use a whole number, e.g. 3.",
    "float": "use a number, e.g. 3 or 2.5.",
    "bool": "use true or false.",
    "string": "use text; quote it if YAML reads it as a number, date or boolean.",
    "list": "use a list: one '- item' line per entry, or [a, b].",
    "dict": "use a mapping: one 'key: value' line per entry.",
}


def _fix_for(kind: str, ctx: dict[str, Any]) -> str:
    """A fix for pydantic's generic error kinds, so every field error says what to do."""
    base = kind.split("_", 1)[0]
    if kind.endswith(("_type", "_parsing")) and base in _KIND_FIX:
        return _KIND_FIX[base]
    if kind == "literal_error":
        return f"use one of: {ctx.get('expected', 'the values listed')}."
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return "use a value in the allowed range named above."
    if kind in ("string_too_short", "string_too_long"):
        return "write a longer or shorter text, within the length the message names."
    if kind in ("too_short", "too_long"):
        return "change the number of entries as the message says (an empty list or mapping is not allowed here)."
    if kind == "string_pattern_mismatch":
        return f"use a value matching {ctx.get('pattern', 'the pattern')} (lowercase letters, digits, underscores)."
    return "correct this value as the message says, then run the command again."


def _without_tags(loc: Loc, data: Any) -> Loc:
    """`loc` without the union tags pydantic puts in it: a part that names the `type` of the
    mapping it stands in (binary.checks[0].pattern.id is the id of a pattern check)."""
    out: Loc = ()
    for i, part in enumerate(loc):
        if isinstance(data, dict) and data.get("type") == part and i + 1 < len(loc):
            continue
        out += (part,)
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            data = None
    return out


def _yaml_loc(loc: Loc, lines: dict[Loc, int]) -> Loc:
    # pydantic puts union-member tags (e.g. 'pattern') into locations; keep only real YAML keys.
    # A tag can also be a key name ("pattern" is a field of the pattern check), so a part is a
    # tag when the part after it exists at this level but not under it.
    out: Loc = ()
    for i, part in enumerate(loc):
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        if nxt is not None and out + (nxt,) in lines and out + (part, nxt) not in lines:
            continue
        if out + (part,) in lines or not lines:
            out += (part,)
    return out if lines else loc


def load_model(path: Path, model: type[M], what: str, context: dict[str, Any] | None = None) -> M:
    """Read `path` as YAML and validate it against `model`."""
    text = read_text(path, what)
    data, lines = parse_yaml(text, path)
    if not isinstance(data, dict):
        raise ContentloopError(
            f"must be a YAML mapping (key: value lines) at the top level, got {type(data).__name__}.",
            path=path,
            line=1,
        )
    try:
        return model.model_validate(data, context={"path": path, "lines": lines, **(context or {})})
    except ValidationError as exc:
        raise validation_error(exc, path, lines, data) from exc
