"""One process per run folder.

Two `optimize-skill` processes on one tag interleave their ledger lines and reset each other's
branch. The lock is an advisory `flock` on runs/<tag>/.lock: the kernel drops it when its
holder exits, however it exits, so a run killed with -9 is resumable at once and there is no
stale lock to clean up. The file also says who holds it, for the message the second process
prints. (flock is local to one machine: a run folder on a network share shared by two machines
is not protected.)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from .errors import ContentloopError

LOCK_NAME = ".lock"


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode("utf-8"))
        return (
            f"pid {info['pid']} on {info['host']}, started {info['started']}: `{info['command']}`"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that did not say who it is"


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold runs/<tag>/ for this process, or raise naming the process that holds it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666)  # the umask decides
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ContentloopError(
                f"is in use by another contentloop process ({_holder(fd)}).",
                path=run_dir,
                fix="wait for it to finish or stop it (create STOP in the run folder, or press "
                "Ctrl-C in its terminal); to run beside it, pick another --tag.",
            ) from None
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "command": " ".join(["contentloop", *sys.argv[1:]])[:300],
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
