"""`contentloop score` and `contentloop rubric check` as a user runs them."""

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from contentloop.cli import app

EXAMPLE = ROOT / "drafts" / "example-private-5g.md"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_score_table_on_a_real_post():
    r = run("score", str(EXAMPLE), "--no-judge")
    assert r.exit_code == 0
    for text in ("em_dash", "banned_terms", "lead_pivot", "binary 28/40", "L17"):
        assert text in r.output


def test_score_json_contract():
    r = run("score", str(EXAMPLE), "--no-judge", "--json")
    assert r.exit_code == 0
    (line,) = r.output.strip().splitlines()
    card = json.loads(line)
    assert set(card) >= {"total", "binary", "judge", "rubric"}
    assert card["judge"] is None
    assert card["binary"]["max"] == 40 and card["total"] == card["binary"]["score"] == 28
    v = {x["check"]: x for x in card["binary"]["violations"]}
    assert set(v) == {"exclamation", "banned_terms", "first_person_singular"}
    assert v["banned_terms"]["count"] == 1 and v["banned_terms"]["deduction"] == 3
    line17 = EXAMPLE.read_text(encoding="utf-8").splitlines()[16]
    assert v["banned_terms"]["evidence"][0] == {
        "text": "leverage",
        "line": 17,
        "column": line17.lower().index("leverage") + 1,
        "context": v["banned_terms"]["evidence"][0]["context"],
        "suggestions": ["use", "apply", "build on"],
    }
    assert card["rubric"]["name"] == "imagine" and len(card["rubric"]["sha256"]) == 64


def test_score_many_paths_one_json_per_line(tmp_path):
    clean = tmp_path / "clean.md"
    clean.write_text(
        "# T\n\nCosts rise. But here's the opening.\n\n> **Key insight:** x.\n\n"
        "> **Industrial application:** y.\n\n## Next steps\n\nDo z.\n"
    )
    r = run("score", str(EXAMPLE), str(clean), "--no-judge", "--json")
    cards = [json.loads(x) for x in r.output.strip().splitlines()]
    assert [c["path"] for c in cards] == [str(EXAMPLE), str(clean)]
    assert cards[1]["total"] == 40 and cards[1]["binary"]["violations"] == []


def test_score_folder(tmp_path):
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text("Hello there.\n")
    r = run("score", str(tmp_path), "--no-judge", "--json")
    assert len(r.output.strip().splitlines()) == 2


def test_fail_under_exit_codes():
    assert run("score", str(EXAMPLE), "--no-judge", "--fail-under", "30").exit_code == 1
    assert run("score", str(EXAMPLE), "--no-judge", "--fail-under", "28").exit_code == 0


def test_other_rubric_by_name(tmp_path):
    r = run("score", str(EXAMPLE), "--no-judge", "--json", "--rubric", "techdocs")
    card = json.loads(r.output)
    assert card["rubric"]["name"] == "techdocs"
    assert {v["check"] for v in card["binary"]["violations"]} >= {"prerequisites", "example"}


@pytest.mark.parametrize(
    "args,message",
    [
        (["score", "missing.md", "--no-judge"], "missing.md: no such draft"),
        (
            ["score", "{example}", "--no-judge", "--rubric", "{bad_rubric}"],
            "field binary.checks[0]",
        ),
        (["score", "{example}", "--no-judge", "--rubric", "{bad_yaml}"], "line 2"),
        (["score", "{empty}", "--no-judge"], "is empty"),
        (["score", "{binary}", "--no-judge"], "looks binary"),
        (["score", "{latin1}", "--no-judge"], "not valid UTF-8"),
        (["rubric", "check", "{bad_rubric}"], "unknown check type 'nonsense'"),
    ],
)
def test_bad_input_exits_2_with_a_message(tmp_path, args, message):
    files = {
        "example": str(EXAMPLE),
        "bad_rubric": tmp_path / "bad.yaml",
        "bad_yaml": tmp_path / "broken.yaml",
        "empty": tmp_path / "empty.md",
        "binary": tmp_path / "bin.md",
        "latin1": tmp_path / "latin1.md",
    }
    files["bad_rubric"].write_text(
        "name: x\nbinary:\n  max_points: 40\n  checks:\n    - id: a\n      type: nonsense\n"
        "      deduction: 1\njudge:\n  max_points: 60\n  criteria: []\n"
    )
    files["bad_yaml"].write_text("name: x\nbinary: [unclosed\n")
    files["empty"].write_text("  \n")
    files["binary"].write_bytes(b"\x00\x01\x02")
    files["latin1"].write_bytes("caf\xe9\n".encode("latin-1"))
    r = run(*[a.format(**{k: str(v) for k, v in files.items()}) for a in args])
    assert r.exit_code == 2
    assert message in " ".join(r.output.split())
    assert "Traceback" not in r.output


def test_rubric_check_lists_checks_and_criteria():
    r = run("rubric", "check", str(ROOT / "rubrics" / "imagine.yaml"))
    assert r.exit_code == 0
    assert "banned_terms" in r.output and "abundance_framing" in r.output and "valid" in r.output


def test_rubric_check_json():
    r = run("rubric", "check", "techdocs", "--json")
    data = json.loads(r.output)
    assert data["name"] == "techdocs" and len(data["judge"]["criteria"]) == 6


def test_console_script_exit_code_and_stderr(tmp_path):
    """The installed entry point, in a real process: errors go to stderr, exit 2, no traceback."""
    env = {**os.environ, "COLUMNS": "200"}
    cmd = [
        sys.executable,
        "-m",
        "contentloop.cli",
        "score",
        str(tmp_path / "nope.md"),
        "--no-judge",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 2
    assert "nope.md: no such draft" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_help_loads_no_language_tools_no_backend_sdk_and_no_rich_console():
    """--help prints within 1.5x of importing typer and rich (bench/cli_startup.py) because
    none of these load; a command that checks prose loads them when it needs them."""
    import subprocess
    import sys

    heavy = ["spacy", "lemminflect", "textstat", "llama_cpp", "anthropic", "openai"]
    heavy += ["rich.console", "rich.markdown", "pydantic", "jinja2"]
    probe = (
        "import sys\nfrom contentloop.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {heavy!r} if m in sys.modules], file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "Commands:" in proc.stdout, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"
