"""Issue 35, item 1: `score` in a repository with a .vale.ini applies it, as `vale` does, on
top of the rubric's own checks (or alone with --vale-only), with no rubric to write."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contentloop.cli import app

STYLES = Path(__file__).parent / "data" / "vale-styles"
DOC = "# Times\n\nThe plant opens at 10 p.m. every day \u2014 and at 9 a.m. on Sundays.\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A docs repository whose .vale.ini is one folder above the file being scored."""
    shutil.copytree(STYLES / "Microsoft" / "Microsoft", tmp_path / "styles" / "Microsoft")
    (tmp_path / "repo" / "docs").mkdir(parents=True)
    (tmp_path / "repo" / ".vale.ini").write_text(
        "StylesPath = ../styles\n\n[*.md]\nMicrosoft.AMPM = YES\nMicrosoft.Nonesuch = YES\n"
    )
    (tmp_path / "repo" / "docs" / "a.md").write_text(DOC)
    monkeypatch.delenv("VALE_CONFIG_PATH", raising=False)
    monkeypatch.chdir(tmp_path / "repo" / "docs")
    return tmp_path


def _card(*args: str) -> tuple[dict, str]:
    r = CliRunner().invoke(app, ["score", "a.md", "--no-judge", "--json", "--no-cache", *args])
    assert r.exit_code == 0, r.output
    (card,) = [json.loads(line) for line in r.stdout.splitlines()]
    return card, r.stderr


def test_score_applies_the_nearest_vale_ini_on_top_of_the_rubric(repo):
    card, stderr = _card()
    rules = {v.get("rule") or v["check"]: v for v in card["binary"]["violations"]}
    assert "em_dash" in rules, "the rubric's own checks still run"
    ampm = rules["Microsoft.AMPM"]
    assert ampm["level"] == "error" and ampm["count"] == 2
    alone, _ = _card("--no-vale")
    assert not any(v.get("rule") for v in alone["binary"]["violations"])
    # Two error-level alerts at the default 2 points each.
    assert alone["binary"]["score"] - card["binary"]["score"] == pytest.approx(4)
    assert "Vale rule not run: Microsoft.Nonesuch (no such rule" in stderr


def test_vale_only_is_what_lint_prints(repo):
    only = CliRunner().invoke(app, ["score", "a.md", "--vale-only", "-f", "line", "--no-cache"])
    lint = CliRunner().invoke(app, ["lint", "a.md", "--output", "line", "--no-cache"])
    assert only.stdout == lint.stdout
    line = DOC.splitlines()[2]
    assert only.stdout.splitlines() == [
        f"a.md:3:{line.index(t) + 1}:Microsoft.AMPM:Use 'AM' or 'PM' (preceded by a space)."
        for t in ("10 p.m.", "9 a.m.")
    ]
    text = CliRunner().invoke(app, ["score", "a.md", "--vale-only", "--no-cache"])
    assert "1 Vale rule from" in text.stderr and "ran on 1 file." in text.stderr
    assert "em_dash" not in text.stdout, "--vale-only leaves the rubric's checks out"


def test_no_vale_ini_means_no_vale_rules_and_no_note(tmp_path, monkeypatch):
    monkeypatch.delenv("VALE_CONFIG_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.md").write_text(DOC)
    card, stderr = _card()
    assert not any(v.get("rule") for v in card["binary"]["violations"])
    assert "Vale" not in stderr
    r = CliRunner().invoke(app, ["score", "a.md", "--vale-only"])
    assert r.exit_code == 2 and "no .vale.ini" in r.stderr and "--config" in r.stderr


def test_conflicting_vale_flags_and_a_rubric_with_its_own_vale_are_refused(repo):
    r = CliRunner().invoke(app, ["score", "a.md", "--no-judge", "--no-vale", "--vale-only"])
    assert r.exit_code == 2 and "--no-vale" in r.stderr
    rubric = repo / "own.yaml"
    ini = repo / "repo" / ".vale.ini"
    rubric.write_text(f"name: own\nbinary:\n  max_points: 40\n  vale:\n    config: {ini}\n")
    rubric.write_text(
        rubric.read_text()
        + "judge:\n  max_points: 60\n  criteria:\n    - name: c\n      description: d\n"
        + '      anchors: {"1": a, "4": b, "7": c, "10": d}\n'
    )
    told = CliRunner().invoke(
        app, ["score", "a.md", "--no-judge", "-r", str(rubric), "--config", str(ini)]
    )
    assert told.exit_code == 2 and "already names a Vale configuration" in told.stderr
    own = CliRunner().invoke(app, ["score", "a.md", "--no-judge", "-r", str(rubric), "--json"])
    assert own.exit_code == 0, own.output
    (card,) = [json.loads(line) for line in own.stdout.splitlines()]
    assert [v["rule"] for v in card["binary"]["violations"]] == ["Microsoft.AMPM"]


def test_rubric_check_lists_the_vale_rules_score_would_add(repo):
    r = CliRunner().invoke(app, ["rubric", "check", "imagine"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.stdout.split())
    assert "Microsoft.AMPM" in text and "vale_microsoft_a" in text and "em_dash" in text
    assert "Vale rule not run: Microsoft.Nonesuch (no such rule" in text
    plain = CliRunner().invoke(app, ["rubric", "check", "imagine", "--no-vale"])
    assert plain.exit_code == 0 and "Microsoft.AMPM" not in plain.stdout
