"""Where contentloop keeps its own state (caches, converted corpora).

One environment variable, CONTENTLOOP_HOME, moves all of it; tests point it at a temp folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    env = os.environ.get("CONTENTLOOP_HOME")
    base = (
        Path(env)
        if env
        else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "contentloop"
    )
    base.mkdir(parents=True, exist_ok=True)
    return base
