"""Rule-check results by content, so re-checking an unchanged tree costs a file read each.

A result is stored under the hash of everything it depends on: the draft's text, whether it
is MDX, the rubric (its sha256, with the Vale files it reads), the file's name when Vale
rules are on (their .vale.ini sections match by name), and the source of the code that
checks (contentloop/checks, contentloop/vale and the scoring module), so editing any of them
is a miss, never a stale hit. When every
file hits, spaCy and lemminflect are never imported: that is most of a cold `score`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from .atomic import write_text
from .checks import Draft
from .paths import home

_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def code_hash() -> str:
    """The checking code's fingerprint: a change to any check is a change of every key."""
    digest = hashlib.sha256()
    sources = [*(_PACKAGE / "checks").glob("*.py"), *(_PACKAGE / "vale").glob("*.py")]
    for path in sorted([*sources, _PACKAGE / "scoring.py"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def key(draft: Draft, rubric_fingerprint: str, by_name: bool = False) -> str:
    mdx = (draft.path or "").lower().endswith(".mdx")
    name = (draft.path or "") if by_name else ""
    parts = [code_hash(), rubric_fingerprint, "mdx" if mdx else "md", name, draft.source]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _file(k: str) -> Path:
    return home() / "check-cache" / k[:2] / f"{k}.json"


def load(k: str) -> dict | None:
    """The stored result, or None when absent or unreadable (a miss, never an error)."""
    try:
        data = json.loads(_file(k).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def store(k: str, data: dict) -> None:
    try:
        write_text(_file(k), json.dumps(data, ensure_ascii=False))
    except OSError:
        pass  # a cache that cannot be written only costs speed next time
