"""API keys out of every text contentloop prints or stores.

Servers echo keys in error messages, sometimes whole, sometimes cut. Redaction therefore
happens on whole texts before anything shortens them, at the three places text leaves the
process: error messages (errors.ContentloopError), files (atomic.write_text/append_line) and
the terminal (the CLI's consoles and JSON output). A key is known from the environment
variables the SDKs read, and from any key passed to a backend directly (`remember`).
"""

from __future__ import annotations

import os

KEY_ENVS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")
MASK = "[API key]"
# A run of this many characters of a key is taken as the key: a server that quotes a key cut
# short still gives away most of it. Shorter runs would match the public prefixes keys share
# ("sk-ant-api03-" is 13 characters).
FRAGMENT = 16
_MIN_KEY = 8  # shorter "keys" are placeholders like "none"; masking them would garble text

_remembered: set[str] = set()


def remember(key: str | None) -> None:
    """Treat `key` as a secret from now on (a key given on the command line or in code)."""
    if key and len(key) >= _MIN_KEY:
        _remembered.add(key)


def known_keys() -> list[str]:
    keys = set(_remembered)
    for name in KEY_ENVS:
        value = os.environ.get(name, "").strip()
        if len(value) >= _MIN_KEY:
            keys.add(value)
    return sorted(keys, key=len, reverse=True)


def redact(text: str) -> str:
    """`text` with every known key, and every run of FRAGMENT or more of its characters, masked."""
    keys = known_keys()
    if not keys or not text:
        return text
    spans: list[tuple[int, int]] = []
    for key in keys:
        if len(key) < FRAGMENT:
            start = text.find(key)
            while start >= 0:
                spans.append((start, start + len(key)))
                start = text.find(key, start + 1)
            continue
        for i in range(len(key) - FRAGMENT + 1):
            piece = key[i : i + FRAGMENT]
            start = text.find(piece)
            while start >= 0:
                spans.append((start, start + FRAGMENT))
                start = text.find(piece, start + 1)
    if not spans:
        return text
    spans.sort()
    out, pos = [], 0
    for start, end in spans:
        if end <= pos:
            continue
        if start >= pos:
            out.append(text[pos:start])
            out.append(MASK)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """Redact, then shorten to `limit` characters: never the other way round, or a key cut in
    two by the limit would no longer match and its first half would survive."""
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
