"""Where the resident checker listens, and which code it runs."""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from pathlib import Path

from ..paths import home

_PACKAGE = Path(__file__).resolve().parent.parent
# AF_UNIX paths are limited to 108 bytes on Linux (104 on macOS), including the final NUL.
_MAX_PATH = 100


@functools.cache
def interpreter() -> str:
    """This Python (its path and version), short: each virtualenv gets its own server, so a
    pre-commit hook's environment and a developer's shell sharing one home do not collide."""
    return hashlib.sha256(f"{sys.executable}\0{sys.version}".encode()).hexdigest()[:12]


def socket_path() -> Path:
    """The socket of this interpreter's server for this CONTENTLOOP_HOME."""
    path = home() / "run" / f"checker-{interpreter()}.sock"
    if len(os.fsencode(path)) <= _MAX_PATH:
        return path
    import tempfile

    digest = hashlib.sha256(os.fsencode(path)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"contentloop-{os.getuid()}-{digest}.sock"


def log_path() -> Path:
    return home() / "run" / f"checker-{interpreter()}.log"


def fingerprint() -> str:
    """'<interpreter>-<code>', the code part from contentloop's source files (names, sizes,
    change times).

    A server started before an edit or an upgrade would run the old code, so a client sends
    this, and a server whose fingerprint differs refuses the command and stops. Stat calls
    only: reading ~150 files' bytes would cost the client more than the rest of its start.
    """
    code = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        stat = path.stat()
        code.update(f"{path.relative_to(_PACKAGE)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return f"{interpreter()}-{code.hexdigest()[:20]}"
