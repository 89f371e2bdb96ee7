"""The resident checker's server: warm once, then fork a child per command.

The server runs the command it is given (`run(argv) -> exit code`), so it does not import
the CLI it serves: launch.serve() is the process `daemon start` spawns and hands it the CLI.

A fork shares the parent's imported modules, spaCy pipeline and built matchers, so a child
starts checking in milliseconds. Each child is a fresh copy: one command's state (caches it
fills, a crash) never reaches the next.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from . import DEFAULT_IDLE
from .address import fingerprint, socket_path
from .client import CONTROL, GO, RUN, STREAMS, peer_uid, starting_marker

_SAMPLE = (
    "# Warming up\n\nThe checks parse this once so that every matcher is built before the "
    "first fork.\n\n## Why\n\nA child then starts with them ready.\n"
)


Command = Callable[[list[str]], int]  # argv -> exit code, raising SystemExit as typer does


class Server:
    def __init__(
        self, run: Command, idle: float = DEFAULT_IDLE, warm: Callable[[], None] | None = None
    ) -> None:
        """`run` executes one command in a forked child; `warm` imports what it will use, once,
        before the first fork (default: the checks)."""
        self.run, self.warm = run, warm or warm_checks
        self.idle = idle
        self.path = socket_path()
        self.code = fingerprint()
        self.started = datetime.now(UTC)
        self.served = 0
        self.last = time.monotonic()
        self.children: set[int] = set()
        self.running = True

    def serve(self) -> None:
        self.warm()
        listener, inode = self._bind()
        signal.signal(signal.SIGTERM, self._terminate)
        self.last = time.monotonic()  # idle from now: warming is not idling
        gc.freeze()  # children leave the warm objects alone: fewer copied pages per fork
        try:
            while self.running and self._still_ours(inode) and not self._idle():
                self._reap()
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                with conn:
                    try:
                        self._handle(conn, listener)
                    except Exception:  # one bad request or a caller gone: never the server
                        traceback.print_exc()
        finally:
            listener.close()
            if self._still_ours(inode):
                self.path.unlink(missing_ok=True)

    def _terminate(self, signum: int, frame: object) -> None:
        self.running = False  # the accept loop wakes within a second and removes the socket

    def _bind(self) -> tuple[socket.socket, int]:
        # Bound under a temporary name and renamed into place: a client never connects to a
        # socket that is not listening yet, and never to a half-warm server.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        temporary.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o077)  # the socket runs commands as this user: nobody else connects
        try:
            listener.bind(os.fspath(temporary))
        finally:
            os.umask(old)
        listener.listen(64)
        listener.settimeout(1.0)
        os.replace(temporary, self.path)
        starting_marker().unlink(missing_ok=True)
        return listener, self.path.stat().st_ino

    def _still_ours(self, inode: int) -> bool:
        # A second `daemon start` renamed its socket over this one: this server is unreachable.
        try:
            return self.path.stat().st_ino == inode
        except OSError:
            return False

    def _idle(self) -> bool:
        return not self.children and time.monotonic() - self.last > self.idle

    def _reap(self) -> None:
        for pid in list(self.children):
            with contextlib.suppress(ChildProcessError):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if not done:
                    continue
            self.children.discard(pid)
            self.last = time.monotonic()

    def _handle(self, conn: socket.socket, listener: socket.socket) -> None:
        if peer_uid(conn) != os.getuid():
            return  # the socket's mode already keeps other users out; this does not rely on it
        conn.settimeout(5.0)
        fds: list[int] = []
        try:
            kind, fds, _, _ = socket.recv_fds(conn, 1, len(STREAMS))
            replies = conn.makefile("rb")
            request = json.loads(replies.readline() or b"{}")
        except (OSError, ValueError):
            _close(fds)
            return
        if not isinstance(request, dict):
            _close(fds)
            return
        if kind == CONTROL:
            self._control(conn, request)
        elif kind == RUN and len(fds) == len(STREAMS) and request.get("argv", [])[:1] == ["score"]:
            if request.get("fingerprint") != self.code:
                # The caller runs newer code (an edit, an upgrade): it checks in-process, and
                # this server makes way for one started from that code.
                _send(conn, {"refused": "the server runs other code; it stops now"})
                self.running = False
            else:
                self._fork(conn, listener, fds, request, replies)
        _close(fds)

    def _control(self, conn: socket.socket, request: dict[str, Any]) -> None:
        self._reap()
        if request.get("op") == "stop":
            self.running = False
            _send(conn, {"stopped": os.getpid()})
            return
        _send(
            conn,
            {
                "pid": os.getpid(),
                "socket": str(self.path),
                "started": self.started.isoformat(timespec="seconds"),
                "served": self.served,
                "under_way": len(self.children),
                "idle_limit_s": self.idle,
                "python": sys.executable,
                "fingerprint": self.code,
            },
        )

    def _fork(
        self,
        conn: socket.socket,
        listener: socket.socket,
        fds: list[int],
        request: dict[str, Any],
        replies: Any,
    ) -> None:
        pid = os.fork()
        if pid == 0:
            code = 70  # EX_SOFTWARE, should _child itself fail
            try:
                listener.close()
                code = _child(conn, fds, request, replies, self.run)
            finally:
                os._exit(code)  # never back into the accept loop: that would be a 2nd server
        self.children.add(pid)
        self.served += 1
        self.last = time.monotonic()


def warm_checks() -> None:
    """Import what `score --no-judge` uses below the CLI and run the checks once, so forks
    inherit it all."""
    import rich.console  # noqa: F401

    from .. import check_cache, check_pool  # noqa: F401
    from ..checks import nlp
    from ..report import ci_formats, terminal  # noqa: F401
    from ..scoring import score_text

    nlp.nlp()
    nlp.textstat_ready()
    from ..errors import ContentloopError
    from ..rubric import load_rubric

    with contextlib.suppress(ContentloopError, OSError):
        score_text(_SAMPLE, load_rubric())


def _child(
    conn: socket.socket, fds: list[int], request: dict[str, Any], replies: Any, run: Command
) -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for target, fd in zip(STREAMS, fds, strict=True):
        os.dup2(fd, target)
    _close([fd for fd in fds if fd not in STREAMS])
    os.environ.clear()
    os.environ.update(request.get("env", {}))
    _reopen_streams(request.get("streams") or [])
    from .. import atomic, faults

    atomic.set_umask(int(request.get("umask", 0o022)))  # files get the caller's permissions
    faults.arm()
    try:
        _send(conn, {"pid": os.getpid()})
        if conn.recv(1) != GO:
            return 0  # the client gave up and runs the command itself
    except OSError:
        return 0
    conn.settimeout(None)
    code = _run(request, run)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    with contextlib.suppress(OSError):
        _send(conn, {"exit": code})
    return code


def _run(request: dict[str, Any], run: Command) -> int:
    argv = [str(a) for a in request["argv"]]
    sys.argv = ["contentloop", *argv]
    try:
        os.chdir(request["cwd"])
    except OSError as exc:
        sys.stderr.write(f"contentloop: cannot enter {request['cwd']}: {exc.strerror}\n")
        return 2
    try:
        return run(argv)
    except KeyboardInterrupt:
        return 130
    except BaseException:  # what the interpreter would print for an uncaught exception
        traceback.print_exc()
        return 1


def _reopen_streams(encodings: list[Any]) -> None:
    # The server's own streams were /dev/null when Python started: rebuild them over the
    # caller's descriptors with the caller's encodings, buffered as Python would buffer them.
    made = []
    for fd, mode in zip(STREAMS, ("r", "w", "w"), strict=True):
        encoding, errors = (encodings[fd] if fd < len(encodings) else None) or (None, None)
        binary = io.FileIO(fd, mode, closefd=False)
        buffered = io.BufferedReader(binary) if mode == "r" else io.BufferedWriter(binary)
        made.append(
            io.TextIOWrapper(
                buffered,  # type: ignore[arg-type]
                encoding=encoding or "utf-8",
                errors=errors or ("backslashreplace" if fd == 2 else "strict"),
                line_buffering=fd == 2 or (mode == "w" and os.isatty(fd)),
            )
        )
    sys.stdin, sys.stdout, sys.stderr = made


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    conn.sendall(json.dumps(message).encode() + b"\n")


def _close(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)
