"""The GitHub Action: action.yml's wiring, and its step script run in a temporary git
repository with a base branch and a change on top, as a pull request would have."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import LENIENT_RUBRIC as LENIENT

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "action" / "score-changed.sh"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "docs"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    (repo / "rubrics").mkdir()
    (repo / "rubrics" / "imagine.yaml").write_text(LENIENT)
    (repo / "old!.md").write_text("Shouting, but untouched by the change!\n")
    (repo / "gone.md").write_text("Deleted by the change.\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "change")
    return repo


def run(repo: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CONTENTLOOP_HOME": str(repo.parent / "home"),
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    }
    return subprocess.run(
        ["bash", str(SCRIPT)], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def test_only_the_changed_markdown_is_scored_and_a_violation_fails(repo):
    (repo / "new post.md").write_text("A new post!\n")  # a space in the name
    (repo / "notes.txt").write_text("Not Markdown!\n")
    (repo / "gone.md").unlink()
    commit(repo, "change")
    r = run(repo, base="main")
    assert r.returncode == 1, r.stdout + r.stderr
    annotated = re.findall(r"^::warning file=([^,]+),", r.stdout, re.M)
    assert annotated == ["new post.md"]


def test_a_clean_change_passes_and_no_markdown_change_is_a_pass(repo):
    (repo / "calm.md").write_text("A calm post.\n")
    commit(repo, "calm")
    r = run(repo, base="main")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "::warning" not in r.stdout

    git(repo, "checkout", "-qb", "text-only", "main")
    (repo / "notes.txt").write_text("Not Markdown!\n")
    commit(repo, "text")
    r = run(repo, base="main")
    assert r.returncode == 0 and "no changed Markdown files" in r.stdout


def test_inputs_paths_rubric_fail_under_and_format_reach_the_command(repo, tmp_path):
    strict = tmp_path / "strict.yaml"
    strict.write_text(LENIENT.replace("deduction: 4", "deduction: 40"))
    r = run(repo, paths="old!.md", rubric=str(strict), fail_under="1", format="json")
    assert r.returncode == 1
    (card,) = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert card["path"] == "old!.md" and card["total"] == 0


def test_without_a_base_or_paths_it_says_what_to_set(repo):
    r = run(repo)
    assert r.returncode == 2 and "paths" in r.stderr


def test_action_yml_passes_every_input_to_the_script_through_the_environment():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    step = next(s for s in action["runs"]["steps"] if "score-changed.sh" in s.get("run", ""))
    # Inputs reach the script as variables, never pasted into the shell text.
    assert "${{" not in step["run"]
    for name in action["inputs"]:
        if name == "python-version":
            continue
        var = "INPUT_" + name.upper().replace("-", "_")
        assert var in step["env"], var
        assert var in SCRIPT.read_text(), var
