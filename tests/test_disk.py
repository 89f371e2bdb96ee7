"""Disk full and read-only folders: a clear error, exit 2, nothing half-written.

"Disk full" is a file size limit (RLIMIT_FSIZE): writes past it fail with EFBIG, as they would
with ENOSPC, without needing a small filesystem. "Read-only" is a read-only tmpfs when running
as root (root ignores file modes), else a folder with mode 0555."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import stat
import subprocess
import sys

import pytest
from helpers import BAD, TOPIC, Script

from contentloop.atomic import write_text
from contentloop.checks.nlp import textstat_ready
from contentloop.optimize.ledger import RunLedger
from contentloop.testing import OpenAIServer


@contextlib.contextmanager
def file_size_limit(nbytes: int):
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def test_a_ledger_append_that_hits_a_full_disk_leaves_the_last_whole_record(tmp_path):
    ledger = RunLedger(tmp_path)
    ledger.log({"status": "keep", "description": "first"}, {"experiment": 0, "status": "keep"})
    jsonl, tsv = ledger.jsonl.read_bytes(), ledger.tsv.read_bytes()
    big = {"experiment": 1, "status": "keep", "new_text": "x" * 5000}
    with file_size_limit(len(jsonl) + 100), pytest.raises(OSError):
        ledger.log({"status": "keep", "description": "second"}, big)
    assert ledger.jsonl.read_bytes() == jsonl, "no half record"
    assert ledger.tsv.read_bytes() == tsv
    assert [r["experiment"] for r in ledger.records()] == [0]


def test_an_atomic_write_that_hits_a_full_disk_keeps_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "final.md"
    target.write_text("the old, complete text\n")
    with file_size_limit(1000), pytest.raises(OSError):
        write_text(target, "new " * 1000)
    assert target.read_text() == "the old, complete text\n"
    assert [p.name for p in tmp_path.iterdir()] == ["final.md"]


def write_cli(server, out, limit: int | None = None) -> subprocess.CompletedProcess:
    args = [
        *(sys.executable, "-m", "contentloop.cli", "write", "--topic", TOPIC, "--out", str(out)),
        *("--cycles", "1", "--no-cache", "--backend", "openai", "--model", "m"),
        *("--base-url", server.url + "/v1"),
    ]

    def limit_size():
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return subprocess.run(args, capture_output=True, text=True, preexec_fn=limit_size, timeout=120)


@pytest.mark.slow
def test_write_on_a_full_disk_exits_2_and_leaves_only_whole_files(imagine, tmp_path):
    textstat_ready()  # its one-time cmudict conversion is a big write; do it before the limit
    big = BAD + "\n" + "We measured the line again and wrote it down. " * 60 + "\n"
    with OpenAIServer(Script(imagine, [BAD, big])) as server:
        r = write_cli(server, tmp_path / "out", limit=2500)
    assert r.returncode == 2, r.stderr
    message = " ".join(r.stderr.split())
    assert "disk is full" in message and "Fix:" in message and "Traceback" not in r.stderr
    assert "score.json" in message or ".md" in message, "names the file it could not write"
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.endswith(".tmp")], "no temp files left"
    names = {p.name for p in files}
    assert "v0.md" in names and "v1.md" not in names, names
    (v0,) = [p for p in files if p.name == "v0.md"]
    assert v0.read_text() == BAD, "what was written is whole"
    for p in files:
        if p.suffix == ".json":
            json.loads(p.read_text())  # every JSON file that exists parses


@pytest.fixture
def read_only_dir(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(
            "running as root, which ignores file modes, and mount is not permitted here: "
            + mounted.stderr.decode().strip()
        )
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.mark.slow
def test_write_into_a_read_only_folder_exits_2_and_writes_nothing(imagine, read_only_dir):
    with OpenAIServer(Script(imagine, [BAD, BAD])) as server:
        r = write_cli(server, read_only_dir / "out")
    assert r.returncode == 2, r.stderr
    message = " ".join(r.stderr.split())
    assert "read-only" in message and str(read_only_dir) in message and "Fix:" in message
    assert list(read_only_dir.iterdir()) == []


@pytest.mark.parametrize("umask", [0o002, 0o022, 0o077])
def test_files_follow_the_users_umask(tmp_path, umask):
    """Issue 21: draft and run files were created 0600 whatever the umask. The umask is read
    when contentloop.atomic is imported, so each case runs in its own interpreter."""
    code = (
        "import os, sys\n"
        f"os.umask({umask})\n"
        "from pathlib import Path\n"
        "from contentloop.atomic import write_text, append_line\n"
        "from contentloop.runlock import run_lock\n"
        "d = Path(sys.argv[1])\n"
        "write_text(d / 'draft.md', 'x')\n"
        "append_line(d / 'ledger.jsonl', '{}\\n')\n"
        "with run_lock(d / 'run'):\n"
        "    pass\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    want = 0o666 & ~umask
    for name in ("draft.md", "ledger.jsonl", "run/.lock"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == want, name
