"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .faults import crash_point
from .redact import redact

TEMP_GLOB = ".*.tmp"  # what write_text's temp files look like
_UMASK = os.umask(0o022)  # reading the umask means setting it; put it straight back
os.umask(_UMASK)


def set_umask(mask: int) -> None:
    """Set the process's umask and the one write_text applies (kept here because reading the
    umask means setting it, which would race other threads on every write)."""
    global _UMASK
    os.umask(mask)
    _UMASK = mask


def sweep_temp(folder: Path) -> int:
    """Delete temp files a killed write_text left in `folder`; returns how many."""
    stale = [p for p in folder.glob(TEMP_GLOB) if p.is_file()]
    for p in stale:
        p.unlink()
    return len(stale)


def write_text(path: Path, text: str, *, overwrite: bool = True) -> None:
    """Write `text` to `path` via a temp file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not overwrite and path.exists():
        raise FileExistsError(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        # The temp file's random name would mean nothing to the user; the file they asked for does.
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a user's file follows their umask
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(redact(text))
            fh.flush()
            os.fsync(fh.fileno())
        crash_point("replace")
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if another writer created it meanwhile
            os.unlink(tmp)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not exc.filename and exc.errno:
            # write() errors carry no file name; name the file the user cares about.
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


def append_line(path: Path, line: str) -> None:
    """Append one whole record and fsync it: a ledger line survives a crash or is absent."""
    # Unbuffered, so a failed write leaves nothing queued to be flushed later.
    data = redact(line).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)  # the umask decides
    try:
        size = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError as exc:
            # Disk full mid-line: cut back to the last whole record rather than leave half of one.
            os.ftruncate(fd, size)
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
    finally:
        os.close(fd)
