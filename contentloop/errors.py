"""User-facing errors: one paragraph that names the file, the field or line, and the fix."""

from __future__ import annotations

import errno
from pathlib import Path

from .redact import redact


class ContentloopError(Exception):
    """Bad input or a failed external call that the user can fix.

    The CLI prints `str(error)` (never a traceback) and exits with code 2.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line is not None:
                where += f", line {self.line}"
        if self.field:
            where = f"{where}, field {self.field}" if where else f"field {self.field}"
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text += f" Fix: {self.fix}"
        return redact(text)


_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_DENIED = {errno.EROFS, errno.EACCES, errno.EPERM}


def from_os_error(exc: OSError) -> ContentloopError:
    """A failed file operation as a user-facing error: which file, what happened, the fix."""
    path = exc.filename or None
    reason = exc.strerror or type(exc).__name__
    if exc.errno in _FULL:
        return ContentloopError(
            f"cannot write: the disk is full or a file size limit was reached ({reason}).",
            path=path,
            fix="free some space (or raise the limit), then run the command again; "
            "finished files were kept, and none was left half-written.",
        )
    if exc.errno in _DENIED:
        return ContentloopError(
            f"cannot write here: the folder is read-only or not yours ({reason}).",
            path=path,
            fix="choose a writable folder (--out / --runs) or fix its permissions.",
        )
    return ContentloopError(f"file operation failed ({reason}).", path=path)
