"""One test per row of docs/bad-input.md: exit 2, a message that names where and how to fix,
and nothing written. The ids come from the table, so the doc and the tests cannot drift."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from contentloop.cli import app

GOOD_DRAFT = "# Title\n\nWe changed one thing on the line.\n"
Case = Callable[[Path], tuple[list[str], list[str]]]  # tmp → (CLI args, expected fragments)


def table_ids() -> list[str]:
    text = (ROOT / "docs" / "bad-input.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `([a-z0-9-]+)` \|", text, flags=re.M)


def rubric_with(tmp: Path, check_yaml: str) -> Path:
    """The default rubric with one extra check appended (as the last list item)."""
    base = (ROOT / "rubrics" / "imagine.yaml").read_text(encoding="utf-8")
    head, tail = base.split("\njudge:", 1)
    path = tmp / "bad.yaml"
    path.write_text(head.rstrip() + "\n\n" + check_yaml + "\njudge:" + tail, encoding="utf-8")
    return path


def score_with_rubric(tmp: Path, check_yaml: str, draft: str = GOOD_DRAFT) -> list[str]:
    rubric = rubric_with(tmp, check_yaml)
    (tmp / "d.md").write_text(draft, encoding="utf-8")
    return ["score", str(tmp / "d.md"), "--rubric", str(rubric), "--no-judge", "--json"]


def n_checks() -> int:
    return (ROOT / "rubrics" / "imagine.yaml").read_text().count("\n    - id: ")


def malformed_yaml(tmp: Path):
    path = tmp / "bad.yaml"
    path.write_text("name: x\nbinary:\n  checks: [\n    - id: a\n", encoding="utf-8")
    (tmp / "d.md").write_text(GOOD_DRAFT)
    return ["score", str(tmp / "d.md"), "--rubric", str(path), "--no-judge"], ["bad.yaml", "line"]


def unknown_check_type(tmp: Path):
    args = score_with_rubric(tmp, "    - id: extra\n      type: pronouns\n      deduction: 1\n")
    return args, ["bad.yaml", "line", f"binary.checks[{n_checks()}]", "pronouns", "Fix:"]


def wrong_field_type(tmp: Path):
    args = score_with_rubric(
        tmp, '    - id: extra\n      type: pattern\n      pattern: "x"\n      deduction: three\n'
    )
    return args, ["bad.yaml", "line", f"binary.checks[{n_checks()}].deduction", "Fix:"]


def empty_banned_list(tmp: Path):
    args = score_with_rubric(
        tmp, "    - id: extra\n      type: banned_terms\n      deduction: 1\n      terms: {}\n"
    )
    return args, ["bad.yaml", "line", f"binary.checks[{n_checks()}].terms", "Fix:"]


def regex_does_not_compile(tmp: Path):
    args = score_with_rubric(
        tmp,
        '    - id: extra\n      type: pattern\n      regex: true\n      pattern: "(unclosed"\n'
        "      deduction: 1\n",
    )
    return args, ["bad.yaml", "line", f"binary.checks[{n_checks()}].pattern", "Fix:"]


def regex_backtracks(tmp: Path):
    args = score_with_rubric(
        tmp,
        '    - id: extra\n      type: pattern\n      regex: true\n      pattern: "(a|aa)+$"\n'
        "      deduction: 1\n",
        draft="# Title\n\n" + "a" * 80 + "b\n",
    )
    return args, ["bad.yaml", f"binary.checks[{n_checks()}]", "d.md", "backtracks", "Fix:"]


def regex_slow_everywhere(tmp: Path):
    # Each paragraph alone is quick (about 25 ms); three hundred of them are not.
    paragraph = "a" * 24 + "b"
    args = score_with_rubric(
        tmp,
        "    - id: extra\n      type: required_element\n      label: slow box\n"
        '      where: [paragraph]\n      patterns: ["^(a|aa)+$"]\n      deduction: 1\n',
        draft="# Title\n\n" + "\n\n".join([paragraph] * 300) + "\n",
    )
    return args, ["bad.yaml", f"binary.checks[{n_checks()}]", "d.md", "2 s", "Fix:"]


def yaml_billion_laughs(tmp: Path):
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    path = tmp / "bad.yaml"
    path.write_text("\n".join(levels) + "\nname: laughs\n", encoding="utf-8")
    (tmp / "d.md").write_text(GOOD_DRAFT)
    args = ["score", str(tmp / "d.md"), "--rubric", str(path), "--no-judge", "--json"]
    return args, ["bad.yaml", "aliases", "Fix:"]


def yaml_too_deep(tmp: Path):
    path = tmp / "bad.yaml"
    path.write_text("name: deep\nbinary: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    (tmp / "d.md").write_text(GOOD_DRAFT)
    args = ["score", str(tmp / "d.md"), "--rubric", str(path), "--no-judge", "--json"]
    return args, ["bad.yaml", "too deeply", "Fix:"]


def yaml_too_large(tmp: Path):
    path = tmp / "bad.yaml"
    path.write_text("name: big\n" + "# padding\n" * 120_000, encoding="utf-8")
    (tmp / "d.md").write_text(GOOD_DRAFT)
    args = ["score", str(tmp / "d.md"), "--rubric", str(path), "--no-judge", "--json"]
    return args, ["bad.yaml", "MB", "Fix:"]


def check_missing_id(tmp: Path):
    args = score_with_rubric(tmp, '    - type: pattern\n      pattern: "x"\n      deduction: 1\n')
    return args, ["bad.yaml", f"binary.checks[{n_checks()}].id", "Fix:"]


def write_args(tmp: Path, topic: Path, skill: Path | None = None) -> list[str]:
    args = ["write", "--topic", str(topic), "--out", str(tmp / "out"), "--cycles", "0"]
    return args + (["--skill", str(skill)] if skill else [])


def topic_missing_title(tmp: Path):
    topic = tmp / "t.yaml"
    topic.write_text("audience: plant managers\nangle: it matters\n", encoding="utf-8")
    return write_args(tmp, topic), ["t.yaml", "title", "Fix:"]


def skill_section_missing(tmp: Path):
    skill = tmp / "skill"
    shutil.copytree(ROOT / "skills" / "imagine", skill)
    (skill / "examples.md").unlink()
    topic = tmp / "t.yaml"
    topic.write_text(
        "title: Private 5G\naudience: plant managers\nangle: it matters\n", encoding="utf-8"
    )
    return write_args(tmp, topic, skill), ["examples.md", "sections", "Fix:"]


def draft(tmp: Path, data: bytes) -> list[str]:
    path = tmp / "d.md"
    path.write_bytes(data)
    return ["score", str(path), "--no-judge", "--json"]


def draft_missing(tmp: Path):
    return ["score", str(tmp / "nothing.md"), "--no-judge", "--json"], ["nothing.md", "Fix:"]


def draft_not_utf8(tmp: Path):
    return draft(tmp, "# Café\n\nDéjà vu.\n".encode("latin-1")), ["d.md", "UTF-8", "Fix:"]


def draft_binary(tmp: Path):
    return draft(tmp, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)), ["d.md", "Fix:"]


def draft_5mb(tmp: Path):
    body = ("We measured the line twice. " * 40 + "\n\n").encode() * 4500
    assert len(body) > 5_000_000
    return draft(tmp, b"# Big\n\n" + body), ["d.md", "MB", "Fix:"]


def draft_empty(tmp: Path):
    return draft(tmp, b"  \n\n\t\n"), ["d.md", "empty", "Fix:"]


def draft_device(tmp: Path):
    (tmp / "d.md").symlink_to("/dev/zero")
    return ["score", str(tmp / "d.md"), "--no-judge", "--json"], ["d.md", "regular file", "Fix:"]


def draft_fifo(tmp: Path):
    os.mkfifo(tmp / "d.md")  # no writer ever comes: reading it would wait forever
    return ["score", str(tmp / "d.md"), "--no-judge", "--json"], ["d.md", "regular file", "Fix:"]


def draft_dangling_link(tmp: Path):
    (tmp / "d.md").symlink_to(tmp / "gone.md")
    return ["score", str(tmp / "d.md"), "--no-judge", "--json"], ["d.md", "gone.md", "Fix:"]


def tag_escapes_runs(tmp: Path):
    return optimize_args(tmp, "../elsewhere"), ["--tag", "../elsewhere", "Fix:"]


def tag_absolute(tmp: Path):
    return optimize_args(tmp, str(tmp / "abs")), ["--tag", "Fix:"]


def optimize_args(tmp: Path, tag: str) -> list[str]:
    topics = tmp / "topics"
    topics.mkdir()
    (topics / "t.yaml").write_text("title: Private 5G\naudience: plant managers\n")
    return ["optimize-skill", "--topics", str(topics), "--tag", tag, "--max-experiments", "1"]


CASES: dict[str, Case] = {
    "malformed-yaml": malformed_yaml,
    "unknown-check-type": unknown_check_type,
    "wrong-field-type": wrong_field_type,
    "empty-banned-list": empty_banned_list,
    "regex-does-not-compile": regex_does_not_compile,
    "regex-backtracks": regex_backtracks,
    "regex-slow-everywhere": regex_slow_everywhere,
    "yaml-billion-laughs": yaml_billion_laughs,
    "yaml-too-deep": yaml_too_deep,
    "yaml-too-large": yaml_too_large,
    "check-missing-id": check_missing_id,
    "topic-missing-title": topic_missing_title,
    "skill-section-missing": skill_section_missing,
    "draft-missing": draft_missing,
    "draft-not-utf8": draft_not_utf8,
    "draft-binary": draft_binary,
    "draft-5mb": draft_5mb,
    "draft-empty": draft_empty,
    "draft-device": draft_device,
    "draft-fifo": draft_fifo,
    "draft-dangling-link": draft_dangling_link,
    "tag-escapes-runs": tag_escapes_runs,
    "tag-absolute": tag_absolute,
}


def test_every_documented_row_has_a_case_and_every_case_a_row():
    assert table_ids() == list(CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_exits_2_with_a_located_message_and_writes_nothing(case, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    args, fragments = CASES[case](work)
    before = {p: p.lstat().st_mtime_ns for p in work.rglob("*")}
    r = CliRunner().invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 2, r.output
    message = " ".join(r.stderr.split())
    assert "Traceback" not in r.output
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"
    assert r.stdout == "", "no partial output on stdout"
    after = {p: p.lstat().st_mtime_ns for p in work.rglob("*")}
    assert after == before, "nothing written, nothing changed"


@pytest.mark.parametrize("loader", ["SafeLoader", "CSafeLoader"])
@pytest.mark.parametrize("depth", [1_000, 5_000])
def test_deep_yaml_reads_as_too_deep_with_either_reader(loader, depth, tmp_path, monkeypatch):
    # The pure-Python reader runs out of stack; libyaml (PyYAML 6.0.4's) stops at 1,000 levels
    # with a ScannerError of its own. A user sees one message whichever PyYAML pip installed.
    import yaml

    from contentloop import yamlio
    from contentloop.errors import ContentloopError

    if not hasattr(yaml, loader):
        pytest.skip(f"this PyYAML has no {loader}")
    monkeypatch.setattr(yamlio, "_LOADER", getattr(yaml, loader))
    path = tmp_path / "deep.yaml"
    with pytest.raises(ContentloopError) as info:
        yamlio.parse_yaml("binary: " + "[" * depth + "]" * depth + "\n", path)
    assert "too deeply" in str(info.value) and "deep.yaml" in str(info.value)


def test_a_missing_draft_is_reported_first_and_alone(monkeypatch, tmp_path):
    """Issue 37: the demo model's four-line note came before the input error."""
    monkeypatch.chdir(tmp_path)
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "CONTENTLOOP_BACKEND"):
        monkeypatch.delenv(var, raising=False)
    r = CliRunner().invoke(app, ["score", str(tmp_path / "nonexistent.md")])
    assert r.exit_code == 2
    assert r.output.strip().startswith("error:") and "no such draft or folder" in r.output
    assert "demo model" not in r.output
