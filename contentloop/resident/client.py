"""Send a command to the resident checker, or say there is none to send it to.

Standard library only, and nothing is imported that the command does not need: this runs
before the CLI on every `contentloop` call.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import DEFAULT_IDLE
from .address import fingerprint, log_path, socket_path

# The caller's stdin, stdout and stderr: the child writes to them directly, so colours,
# terminal width and pipes behave as in an in-process run.
STREAMS = (0, 1, 2)
RUN, CONTROL, GO = b"R", b"C", b"G"
STARTING_S = 120.0  # a server that has not bound its socket by then failed to start

if TYPE_CHECKING:
    import subprocess


def eligible(argv: Sequence[str]) -> bool:
    """Rule checks only: the one command the server runs (the judge has no start-up to save)."""
    return (
        bool(argv)
        and argv[0] == "score"
        and "--no-judge" in argv
        and not os.environ.get("CONTENTLOOP_NO_DAEMON")
        and supported()
    )


def supported() -> bool:
    # Linux only: the server forks after importing numpy, which on macOS can crash a child
    # (check_pool.py forks on Linux only for the same reason).
    return sys.platform.startswith("linux") and hasattr(socket, "send_fds")


def forward(argv: Sequence[str]) -> int | None:
    """The exit code of `argv` run by the resident checker; None when no server took it (none
    running, or one running other code), and the caller runs it in-process."""
    if not eligible(argv):
        return None
    path = socket_path()
    sock = connect(path) if path.exists() else None
    if sock is None:
        if os.environ.get("CONTENTLOOP_DAEMON") == "auto":
            start_once()  # for the next command; this one runs in-process as usual
        return None
    try:
        cwd = os.getcwd()
    except OSError:  # the folder was deleted under the shell: let the CLI report it
        sock.close()
        return None
    with sock:
        request = {
            "op": "run",
            "argv": list(argv),
            "cwd": cwd,
            "env": dict(os.environ),
            "fingerprint": fingerprint(),
            "streams": [_stream(s) for s in (sys.stdin, sys.stdout, sys.stderr)],
            "umask": _umask(),
        }
        try:
            socket.send_fds(sock, [RUN], list(STREAMS))
            sock.sendall(json.dumps(request).encode() + b"\n")
            replies = sock.makefile("rb")
            first = _reply(replies)
            if first is None or "pid" not in first:
                return None  # refused (other code) or closed before starting: run in-process
            # The child starts only on this go-ahead: a client that gave up waiting and runs
            # the command itself can never have a second copy writing to its stdout.
            sock.sendall(GO)
        except OSError:
            return None  # nothing was run: the server went away or was too slow to answer
        sock.settimeout(None)  # a large tree takes as long as it takes
        return _wait(replies, int(first["pid"]))


# The server's process: launch.serve gives the server the CLI to run (resident/ imports no CLI).
SERVE = "from contentloop.launch import serve; serve()"


def spawn(idle: float) -> subprocess.Popen[bytes]:
    """Start a server in the background, its output appended to log_path()."""
    import subprocess

    log = log_path()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        return subprocess.Popen(
            # -P: the folder it was started in is not put on sys.path, so a stray yaml.py
            # there cannot shadow a module a child imports later.
            [sys.executable, "-P", "-c", SERVE, "--idle", str(idle)],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not stopped by the terminal's Ctrl-C or hang-up
        )


def starting_marker() -> Path:
    return socket_path().with_suffix(".starting")


def start_once(idle: float = DEFAULT_IDLE) -> None:
    """Spawn a server unless one is already starting: pre-commit runs several hook
    processes at once, and each would otherwise start its own."""
    marker = starting_marker()
    try:
        if time.time() - marker.stat().st_mtime < STARTING_S:
            return
        marker.unlink()  # a start that never finished
    except OSError:
        pass
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)  # a new home has no run/ yet
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError:
        return  # another process won the race, or the home is not writable
    spawn(idle)


def control(op: str, timeout: float = 5.0) -> dict[str, Any] | None:
    """Ask the server for its status or to stop; None when no server answers."""
    path = socket_path()
    sock = connect(path, timeout) if path.exists() else None
    if sock is None:
        return None
    with sock:
        try:
            sock.sendall(CONTROL + json.dumps({"op": op}).encode() + b"\n")
            return _reply(sock.makefile("rb"))
        except OSError:
            return None


def connect(path: os.PathLike[str], timeout: float = 5.0) -> socket.socket | None:
    """A connection to a server run by this user, or None.

    The request carries the environment (API keys included) and the caller's terminal, so a
    socket someone else listens on (a name planted in a shared /tmp) is never sent a byte.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(os.fspath(path))
    except OSError:  # a socket file left by a server that was killed
        sock.close()
        return None
    if peer_uid(sock) != os.getuid():
        sock.close()
        return None
    return sock


def peer_uid(sock: socket.socket) -> int | None:
    """The user id of the process at the other end (the kernel's word, not the peer's)."""
    import struct

    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (AttributeError, OSError):
        return None
    return struct.unpack("3i", creds)[1]


def _wait(replies: Any, pid: int) -> int:
    interrupted = False
    while True:
        try:
            last = _reply(replies)
            break
        except KeyboardInterrupt:
            # The child holds the terminal, so Ctrl-C reached only this process: pass it on
            # once (the command stops as it would in-process), and kill on the second.
            _signal(pid, signal.SIGKILL if interrupted else signal.SIGINT)
            interrupted = True
    if last is None or "exit" not in last:
        sys.stderr.write(
            "contentloop: the resident checker stopped before the command finished; "
            "run it again with CONTENTLOOP_NO_DAEMON=1 to check in this process, and "
            "`contentloop daemon stop` to end the server.\n"
        )
        return 2
    return int(last["exit"])


def _reply(replies: Any) -> dict[str, Any] | None:
    line = replies.readline()
    if not line:
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _stream(stream: Any) -> list[str | None]:
    return [getattr(stream, "encoding", None), getattr(stream, "errors", None)]


def _umask() -> int:
    mask = os.umask(0o022)  # reading the mask means setting it: put it straight back
    os.umask(mask)
    return mask


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass  # already gone
