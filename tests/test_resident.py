"""The resident checker (`contentloop daemon`): commands it runs print what an in-process run
prints, with the same exit codes, and it gets out of the way when it cannot serve."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from helpers import ROOT

from contentloop.resident import address, client

pytestmark = pytest.mark.skipif(not client.supported(), reason="the resident checker is Linux-only")

LAUNCH = [sys.executable, "-m", "contentloop.launch"]
DRAFT = ROOT / "drafts" / "example-digital-twins.md"


def run(
    args: list[str], env: dict[str, str], cwd: Path = ROOT, **kw
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*LAUNCH, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, **kw
    )


def status(env: dict[str, str]) -> dict | None:
    proc = run(["daemon", "status", "--json"], env)
    reply = json.loads(proc.stdout)
    assert (proc.returncode == 0) == bool(reply.get("pid")), proc.stdout
    return reply if proc.returncode == 0 else None


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "CONTENTLOOP_HOME": str(tmp_path / "home"), "NO_COLOR": "1"}
    env.pop("CONTENTLOOP_NO_DAEMON", None)
    yield env
    run(["daemon", "stop"], env)  # never leave a server behind, even when a test fails


def start(env: dict[str, str], *flags: str) -> dict:
    proc = run(["daemon", "start", *flags], env)
    assert proc.returncode == 0, proc.stderr
    assert "resident checker ready" in proc.stdout
    reply = status(env)
    assert reply is not None and reply["current"] and reply["served"] == 0
    return reply


@pytest.mark.slow
def test_commands_run_by_the_server_print_what_an_in_process_run_prints(env, tmp_path):
    start(env, "--idle", "120")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "note.md").write_text("# Note\n\nI think this is great!\n")
    cases = [
        (["score", str(DRAFT), "--no-judge", "--json"], ROOT),
        (["score", str(DRAFT), "--no-judge"], ROOT),  # the text card
        (["score", str(DRAFT), "--no-judge", "--fail-under", "99"], ROOT),  # exit 1
        (["score", str(DRAFT), "missing.md", "--no-judge", "--format", "github"], ROOT),  # 2
        (["score", str(DRAFT), "--no-judge", "--rubric", "no-such-rubric"], ROOT),  # 2
        (["score", "docs", "--no-judge", "--format", "rdjsonl"], tmp_path),  # relative to cwd
    ]
    codes = []
    for args, cwd in cases:
        alone = run(args, {**env, "CONTENTLOOP_NO_DAEMON": "1"}, cwd)
        served = run(args, env, cwd)
        assert (served.returncode, served.stdout, served.stderr) == (
            alone.returncode,
            alone.stdout,
            alone.stderr,
        ), args
        codes.append(served.returncode)
    assert codes == [0, 0, 1, 2, 2, 0]
    assert "note.md" in served.stdout  # the folder was found relative to the caller's cwd
    reply = status(env)
    assert reply is not None and reply["served"] == len(cases)  # every case went through it

    stopped = run(["daemon", "stop"], env)
    assert "stopped the resident checker" in stopped.stdout
    assert status(env) is None
    assert not list((tmp_path / "home" / "run").glob("*.sock"))
    # With no server the same command still runs, in-process.
    again = run(cases[0][0], env)
    assert again.returncode == 0 and json.loads(again.stdout)["path"] == str(DRAFT)


@pytest.mark.slow
def test_a_server_running_other_code_refuses_and_the_caller_checks_in_process(env, monkeypatch):
    python, code = start(env, "--idle", "120")["fingerprint"].split("-")
    monkeypatch.setenv("CONTENTLOOP_HOME", env["CONTENTLOOP_HOME"])
    # Another virtualenv sharing the home has a socket of its own: this server never sees it.
    theirs = client.socket_path()
    monkeypatch.setattr(address, "interpreter", lambda: "another0venv")
    assert client.socket_path() != theirs
    assert client.forward(["score", str(DRAFT), "--no-judge"]) is None
    assert status(env)["served"] == 0
    monkeypatch.undo()
    monkeypatch.setenv("CONTENTLOOP_HOME", env["CONTENTLOOP_HOME"])
    # The same Python, edited code: refused, and the server stops.
    monkeypatch.setattr(client, "fingerprint", lambda: f"{python}-edited0since0start")
    assert client.forward(["score", str(DRAFT), "--no-judge"]) is None
    deadline = time.monotonic() + 15
    while status(env) is not None:  # it makes way for a server started from the new code
        assert time.monotonic() < deadline, "the stale server did not stop"
        time.sleep(0.2)


def test_no_server_means_the_command_is_not_forwarded(env, monkeypatch):
    monkeypatch.setenv("CONTENTLOOP_HOME", env["CONTENTLOOP_HOME"])
    assert client.forward(["score", str(DRAFT), "--no-judge"]) is None
    # A socket file a killed server left behind: nothing listens, so nothing is forwarded.
    stale = client.socket_path()
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("")
    assert client.forward(["score", str(DRAFT), "--no-judge"]) is None
    # Only the rule checks are ever forwarded, and CONTENTLOOP_NO_DAEMON turns it off.
    assert not client.eligible(["score", str(DRAFT)])
    assert not client.eligible(["write", "--no-judge"])
    monkeypatch.setenv("CONTENTLOOP_NO_DAEMON", "1")
    assert not client.eligible(["score", str(DRAFT), "--no-judge"])


@pytest.mark.slow
def test_contentloop_daemon_auto_starts_one_server_for_the_commands_after(env, tmp_path):
    auto = {**env, "CONTENTLOOP_DAEMON": "auto"}
    procs = [  # several hook processes at once find no server: one of them starts it
        subprocess.Popen([*LAUNCH, "score", str(DRAFT), "--no-judge", "--json"], env=auto,
                         stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]  # fmt: skip
    assert all(json.loads(p.communicate(timeout=120)[0])["path"] == str(DRAFT) for p in procs)
    deadline = time.monotonic() + 60
    while (reply := status(env)) is None:
        assert time.monotonic() < deadline, "no server was started"
        time.sleep(0.2)
    assert reply["served"] == 0  # those commands ran in-process
    served = run(["score", str(DRAFT), "--no-judge", "--json"], auto)
    assert served.returncode == 0 and status(env)["served"] == 1
    time.sleep(1.5)  # a second server would have bound by now and replaced the first
    assert status(env)["pid"] == reply["pid"]
    assert not list((tmp_path / "home" / "run").glob("*.starting"))


@pytest.mark.slow
def test_commands_sent_at_once_each_get_their_own_output(env, tmp_path):
    start(env, "--idle", "120")
    drafts = []
    for i in range(4):  # as pre-commit does: one hook, several processes, different files
        drafts.append(tmp_path / f"post-{i}.md")
        drafts[-1].write_text(DRAFT.read_text() + "\nI wrote this!\n" * i)
    procs = [
        subprocess.Popen([*LAUNCH, "score", str(d), "--no-judge", "--json"], env=env,
                         stdout=subprocess.PIPE, text=True)
        for d in drafts
    ]  # fmt: skip
    cards = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert [c["path"] for c in cards] == [str(d) for d in drafts]
    alone = [
        json.loads(run(["score", str(d), "--no-judge", "--json"],
                       {**env, "CONTENTLOOP_NO_DAEMON": "1"}).stdout)
        for d in drafts
    ]  # fmt: skip
    assert cards == alone and len({c["total"] for c in cards}) > 1
    assert status(env)["served"] == 4


@pytest.mark.slow
def test_files_the_server_writes_follow_the_callers_umask(env, tmp_path):
    start(env, "--idle", "120")
    cache = tmp_path / "home" / "check-cache"
    for mask, mode in ((0o077, 0o600), (0o022, 0o644)):
        draft = tmp_path / f"post-{mask:o}.md"  # new text: a cache miss, so a cache write
        draft.write_text(DRAFT.read_text() + f"\nUmask {mask:o}.\n")
        before = set(cache.rglob("*.json")) if cache.exists() else set()
        proc = subprocess.run(
            ["sh", "-c", f'umask {mask:03o}; exec "$@"', "sh", *LAUNCH, "score", str(draft),
             "--no-judge"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        written = set(cache.rglob("*.json")) - before
        assert len(written) == 1 and {p.stat().st_mode & 0o777 for p in written} == {mode}
    assert status(env)["served"] == 2


@pytest.mark.slow
def test_a_child_that_dies_mid_command_is_an_error_not_a_silent_success(env):
    start(env, "--idle", "120")
    # The first atomic write (the check cache) kills the child with SIGKILL.
    proc = run(["score", str(DRAFT), "--no-judge"], {**env, "CONTENTLOOP_CRASH_AT": "replace:1"})
    assert proc.returncode == 2
    assert "stopped before the command finished" in proc.stderr
    assert "CONTENTLOOP_NO_DAEMON=1" in proc.stderr
    # The server itself goes on.
    ok = run(["score", str(DRAFT), "--no-judge", "--json"], env)
    assert ok.returncode == 0 and json.loads(ok.stdout)["total"] > 0
    assert status(env)["served"] == 2


@pytest.mark.slow
def test_ctrl_c_reaches_the_command_the_server_runs(env, tmp_path):
    start(env, "--idle", "120")
    tree = tmp_path / "tree"
    tree.mkdir()
    text = DRAFT.read_text()
    for i in range(400):
        (tree / f"post-{i}.md").write_text(text + f"\n\nVariant {i}.\n")
    proc = subprocess.Popen(
        [*LAUNCH, "score", str(tree), "--no-judge", "--no-cache", "--jobs", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while (reply := status(env)) is None or reply["under_way"] == 0:
        assert proc.poll() is None and time.monotonic() < deadline, "the command never started"
        time.sleep(0.1)
    time.sleep(0.5)  # the client is past the handshake, waiting for the exit code
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "interrupted" in stderr  # as in-process (user_errors)
    deadline = time.monotonic() + 10
    while status(env)["under_way"]:
        assert time.monotonic() < deadline, "the interrupted child is still running"
        time.sleep(0.1)


@pytest.mark.slow
def test_the_server_exits_when_idle_and_removes_its_socket(env, tmp_path):
    proc = run(["daemon", "start", "--idle", "1"], env)
    assert proc.returncode == 0 and "after 1 s without a command" in proc.stdout, proc.stderr
    deadline = time.monotonic() + 20
    while status(env) is not None:
        assert time.monotonic() < deadline, "the idle server did not exit"
        time.sleep(0.2)
    assert not list((tmp_path / "home" / "run").glob("*.sock"))


@pytest.mark.slow
def test_malformed_requests_and_callers_that_hang_up_leave_the_server_serving(env, monkeypatch):
    start(env, "--idle", "120")
    monkeypatch.setenv("CONTENTLOOP_HOME", env["CONTENTLOOP_HOME"])
    path = client.socket_path()
    for message in (b"C not json\n", b"C[1, 2]\n", b'R{"op": "run", "argv": []}\n', b"R", b""):
        sock = client.connect(path)
        assert sock is not None
        with sock:
            sock.sendall(message)  # and hang up at once, without reading a reply
    # A run request whose caller leaves before the go-ahead: the child never runs it.
    sock = client.connect(path)
    out = (Path(env["CONTENTLOOP_HOME"]) / "abandoned.out").open("w")
    with sock, out:
        client.socket.send_fds(sock, [client.RUN], [0, out.fileno(), out.fileno()])
        request = {"op": "run", "argv": ["score", str(DRAFT), "--no-judge"], "cwd": str(ROOT),
                   "env": dict(os.environ), "fingerprint": address.fingerprint()}  # fmt: skip
        sock.sendall(json.dumps(request).encode() + b"\n")
        assert "pid" in json.loads(sock.makefile("rb").readline())
    ok = run(["score", str(DRAFT), "--no-judge", "--json"], env)
    assert (Path(env["CONTENTLOOP_HOME"]) / "abandoned.out").read_text() == ""
    assert ok.returncode == 0 and json.loads(ok.stdout)["path"] == str(DRAFT)
    assert status(env)["served"] == 2  # the abandoned one was forked, and exited unrun


FAKE_SERVER = """
import socket, sys
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[1]); listener.listen(1); listener.settimeout(20)
print("listening", flush=True)
conn, _ = listener.accept(); conn.settimeout(5)
got = b""
try:
    while chunk := conn.recv(65536):
        got += chunk
except OSError:
    pass
print(len(got), flush=True)
"""


SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to listen as another user")
@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="needs a python3 that user nobody can run")
def test_a_socket_another_user_listens_on_is_never_sent_the_environment(monkeypatch):
    shared = Path(tempfile.mkdtemp(prefix="contentloop-shared-"))  # as a shared /tmp would be
    try:
        shared.chmod(0o777)
        monkeypatch.setenv("CONTENTLOOP_HOME", str(shared))
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-" + "x" * 40)
        path = client.socket_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o777)
        fake = subprocess.Popen(
            [SYSTEM_PYTHON, "-c", FAKE_SERVER, str(path)], user=65534, group=65534,
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert fake.stdout.readline().strip() == "listening"
        assert path.stat().st_uid == 65534
        assert client.forward(["score", str(DRAFT), "--no-judge"]) is None
        assert client.control("status") is None
        out, _ = fake.communicate(timeout=30)
        assert out.strip() == "0"  # it was connected to, and hung up on before a byte was sent
    finally:
        shutil.rmtree(shared, ignore_errors=True)


NOSY_CLIENT = """
import socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); sock.settimeout(10)
sock.connect(sys.argv[1])
try:
    sock.sendall(b'C{"op": "status"}\\n')
    print(repr(sock.makefile("rb").readline()), flush=True)
except (ConnectionResetError, BrokenPipeError):  # hung up on before or after the request
    print("reset", flush=True)
"""


@pytest.mark.slow
@pytest.mark.skipif(os.getuid() != 0, reason="needs root to connect as another user")
@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="needs a python3 that user nobody can run")
def test_the_server_answers_no_other_user_even_through_a_socket_opened_to_all():
    shared = Path(tempfile.mkdtemp(prefix="contentloop-shared-"))
    env = {**os.environ, "CONTENTLOOP_HOME": str(shared)}
    try:
        shared.chmod(0o777)
        start(env, "--idle", "120")
        (sock,) = (shared / "run").glob("*.sock")
        (shared / "run").chmod(0o777)
        sock.chmod(0o777)  # a mode the server never sets: only the peer check is left
        nosy = subprocess.run(
            [SYSTEM_PYTHON, "-c", NOSY_CLIENT, str(sock)], user=65534, group=65534,
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert nosy.returncode == 0, nosy.stderr
        assert nosy.stdout.strip() in ("b''", "reset")  # hung up on, no status
        assert status(env)["pid"]  # while its own user is answered
    finally:
        run(["daemon", "stop"], env)
        shutil.rmtree(shared, ignore_errors=True)
