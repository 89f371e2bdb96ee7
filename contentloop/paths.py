"""Where contentloop keeps its own state (caches, converted corpora).

One environment variable, CONTENTLOOP_HOME, moves all of it; tests point it at a temp folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import ContentloopError


def home() -> Path:
    env = os.environ.get("CONTENTLOOP_HOME")
    base = (
        Path(env)
        if env
        else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "contentloop"
    )
    base.mkdir(parents=True, exist_ok=True)
    return base


# A run tag names a folder under runs/ and a git branch autoexp/<tag>: it must stay one plain
# path component and be a valid ref name (no "..", no trailing "." or ".lock").
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def plain_name(value: str, flag: str) -> str:
    """`value` if it is safe as one folder name and one git branch component, else an error."""
    if _PLAIN.fullmatch(value) and ".." not in value and not value.endswith((".", ".lock")):
        return value
    raise ContentloopError(
        f"{value!r} is not a plain name: it would leave its folder or is not a valid git branch "
        "name.",
        field=flag,
        fix="use letters, digits, '.', '_' and '-' (at most 100, starting with a letter or "
        "digit), e.g. --tag shorter-voice.",
    )


def safe_stem(stem: str, fallback: str) -> str:
    """A file's stem as one folder name: path separators, leading dots and '..' cannot make a
    folder outside the one it is written under."""
    cleaned = re.sub(r"[^\w.-]+", "-", stem).strip(".-")
    return cleaned or fallback
