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

import os
import shutil
import subprocess
import sys
import sysconfig
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
