"""The pre-commit hook (.pre-commit-hooks.yaml), run by the real pre-commit in a temporary
git repository.

pre-commit installs a `language: python` hook into its own virtualenv with `pip install .`
of this repository. Tests never touch the network, so pip runs with no index and without
build isolation, and finds the dependencies (and hatchling, the build backend) already
installed in this interpreter's site-packages through PYTHONPATH. Everything else is what a
user gets: pre-commit reads our manifest, builds and installs contentloop from a clone, and
runs the hook's entry on the files that match.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
from helpers import LENIENT_RUBRIC as LENIENT

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is a test dependency"),
]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "docs-repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    # `--rubric` defaults to imagine, looked up in ./rubrics first: the repository's own.
    (repo / "rubrics").mkdir()
    (repo / "rubrics" / "imagine.yaml").write_text(LENIENT)
    return repo


def _try_repo(repo: Path, home: Path, *files: str) -> subprocess.CompletedProcess[str]:
    for name in files:
        _git(repo, "add", name)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip reads "0" as: do not isolate the build
        "CONTENTLOOP_HOME": str(home / "contentloop"),
    }
    return subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(ROOT), "contentloop", "--files", *files],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_hook_fails_a_commit_with_a_violation_and_passes_a_clean_one(repo, tmp_path):
    (repo / "bad.md").write_text("We ship it today!\n")
    (repo / "good.md").write_text("We ship it today.\n")
    (repo / "notes.txt").write_text("Not Markdown, so not checked!\n")
    home = tmp_path / "pre-commit-home"

    bad = _try_repo(repo, home, "bad.md", "notes.txt")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "contentloop prose checks" in bad.stdout and "Failed" in bad.stdout
    assert "exclamation" in bad.stdout and "bad.md" in bad.stdout
    assert "notes.txt" not in bad.stdout  # the hook's `files` pattern leaves it out

    good = _try_repo(repo, home, "good.md")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout


def test_the_manifest_names_a_command_that_exists():
    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "contentloop" and hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["contentloop", "score"]
    assert "--no-judge" in hook["entry"]


def test_with_contentloop_daemon_auto_the_hooks_environment_gets_its_own_server(repo, tmp_path):
    # `pre-commit run` with a config, as a user has it: unlike try-repo, it keeps the hook's
    # virtualenv between runs. The hook repository is this working tree, committed.
    hooks = tmp_path / "hooks"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
        text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in files:
        if (ROOT / name).is_file():
            (hooks / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, hooks / name)
    _git(hooks, "init", "-q")
    _git(hooks, "add", "-A")
    _git(hooks, "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "hooks")
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hooks, capture_output=True, text=True, check=True
    ).stdout.strip()
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: contentloop\n"
    )
    (repo / "bad.md").write_text("We ship it today!\n")
    _git(repo, "add", "-A")
    home = tmp_path / "pre-commit-home"
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "CONTENTLOOP_HOME": str(home / "contentloop"),
        "CONTENTLOOP_DAEMON": "auto",
    }

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PRE_COMMIT), "run", "--files", "bad.md"], cwd=repo, env=env,
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    first = hook()
    try:
        assert first.returncode == 1 and "exclamation" in first.stdout, first.stdout
        (hook_cli,) = home.glob("repo*/py_env-*/bin/contentloop")  # the hook's virtualenv
        status = [str(hook_cli), "daemon", "status", "--json"]
        deadline = time.monotonic() + 60
        while subprocess.run(status, env=env, capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "the first hook run started no server"
            time.sleep(0.2)
        again = hook()
        installing = [line for line in first.stdout.splitlines(True) if line.startswith("[INFO]")]
        assert installing  # the first run built the hook's virtualenv; the second reuses it
        report = "".join(line for line in first.stdout.splitlines(True) if line not in installing)
        assert (again.returncode, again.stdout) == (first.returncode, report)
        reply = json.loads(subprocess.run(status, env=env, capture_output=True).stdout)
        assert reply["served"] == 1 and reply["python"].startswith(str(home))
    finally:
        for cli in home.glob("repo*/py_env-*/bin/contentloop"):
            subprocess.run([str(cli), "daemon", "stop"], env=env, capture_output=True)
