"""The check cache: an unchanged file is not parsed again; any change to what a result
depends on (the text, the rubric, the checking code) is a miss; a damaged entry is a miss."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contentloop import check_cache
from contentloop.checks import banned_terms, chunks
from contentloop.cli import app

DRAFT = "# Title\n\nWe leverage it — fast!\n"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTENTLOOP_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def parses(monkeypatch):
    """How many drafts were checked (and parsed as the checks need), across calls."""
    seen: list[str] = []
    real = chunks.prepare

    def counting(drafts, checks):
        seen.extend(d.source for d in drafts)
        return real(drafts, checks)

    monkeypatch.setattr(chunks, "prepare", counting)
    return seen


def score(path: Path, *args: str) -> dict:
    r = CliRunner().invoke(app, ["score", str(path), "--no-judge", "--json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_an_unchanged_file_is_not_parsed_again_and_scores_the_same(home, parses, tmp_path):
    post = tmp_path / "post.md"
    post.write_text(DRAFT)
    first = score(post)
    second = score(post)
    assert len(parses) == 1
    assert first == second and first["binary"]["violations"]
    post.write_text(DRAFT.replace("leverage", "use"))  # an edit is a miss
    third = score(post)
    assert len(parses) == 2
    assert "banned_terms" not in {v["check"] for v in third["binary"]["violations"]}


def test_no_cache_runs_every_check(home, parses, tmp_path):
    post = tmp_path / "post.md"
    post.write_text(DRAFT)
    score(post)
    score(post, "--no-cache")
    assert len(parses) == 2


def test_a_changed_rubric_or_checking_code_is_a_miss(home, parses, tmp_path, monkeypatch):
    post = tmp_path / "post.md"
    post.write_text(DRAFT)
    score(post)
    rubric = tmp_path / "r.yaml"
    base = (Path(__file__).parents[1] / "rubrics" / "imagine.yaml").read_text()
    rubric.write_text(
        base.replace(
            "deduction: 5\n      per: document\n      fix: Replace each em",
            "deduction: 2\n      per: document\n      fix: Replace each em",
        )
    )
    edited = score(post, "--rubric", str(rubric))
    assert len(parses) == 2
    assert {v["check"]: v["deduction"] for v in edited["binary"]["violations"]}["em_dash"] == 2
    monkeypatch.setattr(check_cache, "code_hash", lambda: "a newer contentloop")
    score(post)
    assert len(parses) == 3


def test_a_damaged_cache_entry_is_checked_again(home, parses, tmp_path):
    post = tmp_path / "post.md"
    post.write_text(DRAFT)
    first = score(post)
    (entry,) = (home / "check-cache").rglob("*.json")
    entry.write_text('{"binary": {"score": "lots"}')
    assert score(post) == first
    assert len(parses) == 2


def test_a_fresh_process_on_an_unchanged_tree_loads_no_parser_and_no_model_client(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"p{i}.md").write_text(DRAFT + f"\nPost {i}.\n")
    probe = (
        "import sys\nfrom contentloop.cli import app\n"
        f"try:\n    app(['score', {str(docs)!r}, '--no-judge', '--json'])\n"
        "except SystemExit:\n    pass\n"
        "heavy = ('spacy', 'lemminflect', 'markdown_it', 'contentloop.llm', 'jinja2')\n"
        "print([m for m in heavy if m in sys.modules], file=sys.stderr)"
    )
    env = {"CONTENTLOOP_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    runs = [
        subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
        for _ in range(2)
    ]
    first = ast.literal_eval(runs[0].stderr.strip().splitlines()[-1])
    assert {"spacy", "lemminflect", "markdown_it"} <= set(first)  # (spaCy brings jinja2)
    assert "contentloop.llm" not in first
    assert runs[1].stderr.strip().splitlines()[-1] == "[]"
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout.count("\n") == 3


def test_inflections_come_from_disk_once_computed(home, monkeypatch):
    banned_terms._inflection_cache.cache_clear()  # this test's empty home, not an earlier one
    forms = banned_terms._forms("revolutionize", True)
    assert "revolutionised" in forms
    banned_terms._save_inflections()
    # As a new process: nothing in memory, and lemminflect must not be asked again.
    banned_terms._inflection_cache.cache_clear()
    monkeypatch.setattr(banned_terms, "_inflect", lambda *a: pytest.fail("lemminflect called"))
    assert banned_terms._forms("revolutionize", True) == forms
    banned_terms._inflection_cache.cache_clear()
