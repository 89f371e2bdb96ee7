"""Vale compatibility: Vale's own feature files, .vale.ini, rubrics with `binary.vale`, and
the comments that switch checks off."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contentloop.checks.prose import Draft
from contentloop.cli import app
from contentloop.errors import ContentloopError
from contentloop.rubric import load_rubric
from contentloop.scoring import score_text
from contentloop.vale import load_ruleset
from contentloop.vale.features import by_rule, read_features, run_fixture
from contentloop.vale.ini import read_ini

STYLES = Path(__file__).parent / "data" / "vale-styles"
PACKAGES = ("write-good", "Microsoft", "proselint")

# Scenarios whose alerts contentloop does not reproduce exactly, and why. Each is a strict
# xfail: the day one matches, the test fails and this list must shrink.
KNOWN_MISMATCHES = {
    ("write-good", "Weasel"): "Vale lists only 'very'; its rule also names 'fairly', which "
    "contentloop flags on line 5 (Vale's reason for not flagging it is not understood)",
}


def _scenarios() -> list[pytest.param]:
    params = []
    for package in PACKAGES:
        for scenario in read_features(STYLES / package / "features" / "rules.feature"):
            why = KNOWN_MISMATCHES.get((package, scenario.fixture))
            marks = [pytest.mark.xfail(reason=why, strict=True)] if why else []
            params.append(
                pytest.param(package, scenario, id=f"{package}-{scenario.fixture}", marks=marks)
            )
    return params


@pytest.mark.parametrize(("package", "scenario"), _scenarios())
def test_vale_feature_scenario(package, scenario):
    produced, _ = run_fixture(STYLES / package / "fixtures" / scenario.fixture)
    assert sorted(produced) == sorted(scenario.expected)


def test_the_feature_files_hold_the_scenarios_we_report_on():
    counts = {p: len(read_features(STYLES / p / "features" / "rules.feature")) for p in PACKAGES}
    # Microsoft's Backend scenario is commented out in its own file: not a scenario.
    assert counts == {"write-good": 8, "Microsoft": 18, "proselint": 2}


def test_by_rule_counts_matches_and_extras():
    from contentloop.vale.features import Outcome, Scenario

    s = Scenario("x", "X", ("a.md:1:1:S.A:m", "a.md:2:1:S.B:m"))
    table = by_rule([Outcome(s, ["a.md:1:1:S.A:m", "a.md:3:1:S.A:other"])])
    assert table == {
        "S.A": {"expected": 1, "matched": 1, "extra": 1},
        "S.B": {"expected": 1, "matched": 0, "extra": 0},
    }


# --- .vale.ini ---------------------------------------------------------------------------


def _styles(tmp_path: Path, ini: str) -> Path:
    shutil.copytree(STYLES / "write-good" / "write-good", tmp_path / "styles" / "write-good")
    shutil.copytree(STYLES / "Microsoft" / "Microsoft", tmp_path / "styles" / "Microsoft")
    (tmp_path / ".vale.ini").write_text(ini)
    return tmp_path / ".vale.ini"


def test_sections_apply_by_glob_with_braces_overrides_and_min_level(tmp_path):
    ini = _styles(
        tmp_path,
        "StylesPath = styles\nMinAlertLevel = warning\n\n[*.{md,txt}]\nBasedOnStyles = write-good\n"
        "write-good.Weasel = error\nwrite-good.So = NO\n\n[docs/*.md]\nMicrosoft.Contractions = YES\n",
    )
    rules = load_ruleset(ini)
    on_md = {r.name: level for r, level in rules.for_path("post.md")}
    assert on_md["write-good.Weasel"] == "error"  # raised from the rule's own warning
    assert "write-good.So" not in on_md
    assert "write-good.E-Prime" not in on_md  # suggestion, below MinAlertLevel
    assert "Microsoft.Contractions" not in on_md
    assert "write-good.Weasel" in {r.name for r, _ in rules.for_path("notes.txt")}
    on_docs = {r.name for r, _ in rules.for_path("docs/guide.md")}
    assert "Microsoft.Contractions" in on_docs
    assert rules.for_path("README.rst") == []


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("StylesPath = s\nMinAlertLevel = loud\n", "MinAlertLevel"),
        ("StylesPath = s\n[*.md]\nwrite-good.So = maybe\n", "write-good.So"),
        ("StylesPath = s\n[*.md]\njust words\n", "line 3"),
    ],
)
def test_a_bad_vale_ini_names_the_file_the_line_and_the_fix(tmp_path, text, needle):
    path = tmp_path / ".vale.ini"
    path.write_text(text)
    with pytest.raises(ContentloopError) as err:
        read_ini(path)
    assert str(path) in str(err.value) and needle in str(err.value) and "Fix:" in str(err.value)


def test_unsupported_and_missing_rules_are_listed_not_run(tmp_path):
    ini = _styles(
        tmp_path,
        "StylesPath = styles\n[*.md]\nBasedOnStyles = write-good\nwrite-good.Gone = YES\n",
    )
    (tmp_path / "styles" / "write-good" / "Grade.yml").write_text(
        "extends: script\nmessage: Too hard.\nscript: x := 1\n"
    )
    rules = load_ruleset(ini)
    assert "script" in rules.skipped["write-good.Grade"]
    assert "no such rule" in rules.skipped["write-good.Gone"]
    assert "write-good.Grade" not in rules.rules


def test_a_rule_with_a_bad_regex_turns_off_only_itself_with_a_note_naming_its_file(tmp_path):
    ini = _styles(tmp_path, "StylesPath = styles\n[*.md]\nBasedOnStyles = write-good\n")
    bad = tmp_path / "styles" / "write-good" / "Bad.yml"
    bad.write_text("extends: existence\nmessage: x\ntokens:\n  - '(unclosed'\n")
    (tmp_path / "styles" / "write-good" / "Worse.yml").write_text("extends: [unclosed\n")
    rules = load_ruleset(ini)
    why = rules.skipped["write-good.Bad"]
    assert str(bad) in why and "tokens" in why and "Fix:" in why
    assert "Worse.yml" in rules.skipped["write-good.Worse"]
    assert "write-good.Weasel" in rules.rules, "the style's other rules still run"


# --- rubrics -------------------------------------------------------------------------------

JUDGE = """judge:
  max_points: 60
  criteria:
    - name: clarity
      description: Clear.
      anchors: {"1": a, "4": b, "7": c, "10": d}
"""


def _rubric(tmp_path: Path, binary: str, ini: str | None = None) -> Path:
    _styles(
        tmp_path,
        ini
        or "StylesPath = styles\n[*.md]\nBasedOnStyles = write-good\nMicrosoft.Contractions = error\n",
    )
    path = tmp_path / "rubric.yaml"
    path.write_text(f"name: v\nbinary:\n  max_points: 40\n{binary}{JUDGE}")
    return path


def test_binary_vale_makes_a_check_per_rule_scored_by_level(tmp_path):
    path = _rubric(
        tmp_path,
        "  vale:\n    config: .vale.ini\n    deductions: {suggestion: 0.5, warning: 1, error: 3}\n"
        "    cap: 10\n",
    )
    rubric = load_rubric(path)
    ids = {c.id for c in rubric.binary.checks}
    assert {"vale_write_good_weasel", "vale_microsoft_contractions"} <= ids
    card = score_text("It was written. We do not know. It is very odd.\n", rubric, path="p.md")
    by_id = {r.id: r for r in card.binary.results}
    assert by_id["vale_microsoft_contractions"].count == 2  # "do not", "It is"
    assert by_id["vale_microsoft_contractions"].deduction == 6  # 2 alerts at error level
    assert by_id["vale_write_good_weasel"].deduction == 1  # warning
    assert (
        by_id["vale_write_good_e_prime"].deduction == 0.5 * by_id["vale_write_good_e_prime"].count
    )
    ev = by_id["vale_microsoft_contractions"].evidence[0]
    assert (ev.line, ev.column, ev.text) == (1, 20, "do not")
    assert ev.message == "Use 'don't' instead of 'do not'."


def test_a_check_written_by_hand_overrides_the_generated_one(tmp_path):
    path = _rubric(
        tmp_path,
        "  vale:\n    config: .vale.ini\n  checks:\n    - id: weasel\n      type: vale\n"
        "      rule: write-good.Weasel\n      deductions: {warning: 4}\n      cap: 4\n",
    )
    rubric = load_rubric(path)
    weasels = [c for c in rubric.binary.checks if getattr(c, "rule", "") == "write-good.Weasel"]
    assert [c.id for c in weasels] == ["weasel"]
    card = score_text("It is very, very odd.\n", rubric, path="p.md")
    assert {r.id: r.deduction for r in card.binary.results}["weasel"] == 4  # 2 x 4, capped


@pytest.mark.parametrize(
    ("binary", "field"),
    [
        ("  vale:\n    config: missing.ini\n", "binary.vale.config"),
        (
            "  vale:\n    config: .vale.ini\n  checks:\n    - id: x\n      type: vale\n"
            "      rule: write-good.Nope\n",
            "binary.checks[0].rule",
        ),
        ("  checks:\n    - id: x\n      type: vale\n      rule: write-good.So\n", "binary.vale"),
    ],
)
def test_vale_rubric_errors_name_the_field(tmp_path, binary, field):
    path = _rubric(tmp_path, binary)
    with pytest.raises(ContentloopError) as err:
        load_rubric(path)
    assert field in str(err.value) and "Fix:" in str(err.value)


def test_score_cli_exits_2_on_a_broken_vale_ini(tmp_path):
    path = _rubric(tmp_path, "  vale:\n    config: .vale.ini\n")
    (tmp_path / ".vale.ini").write_text("[*.md]\nBasedOnStyles = write-good\n")
    post = tmp_path / "p.md"
    post.write_text("Hello.\n")
    r = CliRunner().invoke(app, ["score", str(post), "--no-judge", "--rubric", str(path)])
    assert r.exit_code == 2 and "StylesPath" in r.output


def test_editing_a_vale_rule_is_a_cache_miss(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTENTLOOP_HOME", str(tmp_path / "home"))
    path = _rubric(tmp_path, "  vale:\n    config: .vale.ini\n")
    post = tmp_path / "p.md"
    post.write_text("It is a tiny thing.\n")

    def weasels() -> int:
        r = CliRunner().invoke(
            app, ["score", str(post), "--no-judge", "--json", "--rubric", str(path)]
        )
        found = json.loads(r.output)["binary"]["violations"]
        return sum(v["count"] for v in found if v["check"] == "vale_write_good_weasel")

    assert weasels() == 1
    rule = tmp_path / "styles" / "write-good" / "Weasel.yml"
    rule.write_text(rule.read_text().replace("  - tiny\n", ""))
    assert weasels() == 0


# --- switches --------------------------------------------------------------------------------


def _score(tmp_path: Path, text: str, name: str = "p.md"):
    path = _rubric(
        tmp_path,
        "  vale:\n    config: .vale.ini\n  checks:\n    - id: em_dash\n      type: pattern\n"
        '      pattern: "—"\n      deduction: 5\n',
    )
    card = score_text(text, load_rubric(path), path=name)
    return {r.id: r.count for r in card.binary.results}


def test_vale_off_and_on_silence_only_vale_rules_in_between(tmp_path):
    counts = _score(
        tmp_path,
        "It is very odd — truly.\n\n<!-- vale off -->\n\nIt is very odd — truly.\n\n"
        "<!-- vale on -->\n\nIt is very odd.\n",
    )
    assert counts["vale_write_good_weasel"] == 2
    assert counts["em_dash"] == 2  # not a Vale rule: `vale off` leaves it on


def test_one_rule_or_one_style_can_be_switched_off(tmp_path):
    text = (
        "<!-- vale write-good.Weasel = NO -->\n\nIt is very odd. So it goes.\n\n"
        "<!-- vale write-good.Weasel = YES -->\n\nIt is very odd.\n\n"
        "<!-- vale write-good = NO -->\n\nIt is very odd. So it goes.\n"
    )
    counts = _score(tmp_path, text)
    assert counts["vale_write_good_weasel"] == 1
    assert counts["vale_write_good_so"] == 1


def test_contentloop_switches_reach_every_check_or_one_by_id(tmp_path):
    text = (
        "<!-- contentloop em_dash = NO -->\n\nA dash — here. It is very odd.\n\n"
        "<!-- contentloop em_dash = YES -->\n\nA dash — here.\n\n"
        "<!-- contentloop off -->\n\nA dash — here. It is very odd.\n"
    )
    counts = _score(tmp_path, text)
    assert counts["em_dash"] == 1
    assert counts["vale_write_good_weasel"] == 1


def test_mdx_comments_switch_too(tmp_path):
    counts = _score(tmp_path, "{/* vale off */}\n\nIt is very odd.\n", name="p.mdx")
    assert counts["vale_write_good_weasel"] == 0


def test_a_switch_inside_a_code_block_is_only_an_example(tmp_path):
    """A documentation page may show the directive in a fence; that must not apply."""
    counts = _score(tmp_path, "```md\n<!-- vale off -->\n```\n\nIt is very odd.\n")
    assert counts["vale_write_good_weasel"] == 1


def test_rendered_text_reads_through_markup_and_keeps_source_columns():
    from contentloop.vale.view import segments

    draft = Draft("# A **bold** head #\n\n> Some *very* [odd](http://x.y) `code` text\n")
    heading, para = segments(draft)
    assert heading.text == "A bold head"
    assert para.text == "Some very odd ______ text"
    at = para.text.index("very")
    assert draft.source[para.offsets[at] : para.offsets[at] + 4] == "very"


@pytest.mark.parametrize(("package", "scenario"), _scenarios())
def test_lint_output_line_is_vales_own_output(package, scenario, monkeypatch):
    """Issue 35: a Vale user's drop-in. `contentloop lint --output line` in the fixture's folder,
    with no rubric and no --config (its .vale.ini is found as Vale finds it), prints exactly
    the lines `vale --output=line` prints there, through the same checks `score` runs."""
    folder = STYLES / package / "fixtures" / scenario.fixture
    ruleset = load_ruleset(folder / ".vale.ini")
    files = sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and ruleset.for_path(p.name)
    )
    monkeypatch.chdir(folder)
    monkeypatch.delenv("VALE_CONFIG_PATH", raising=False)
    r = CliRunner().invoke(app, ["lint", *files, "--output", "line", "--no-cache"])
    assert r.exit_code in (0, 1), r.output
    assert sorted(r.stdout.splitlines()) == sorted(scenario.expected)
    errors = any(
        ruleset.level_of(line.split(":")[3], line.split(":")[0]) == "error"
        for line in r.stdout.splitlines()
    )
    assert r.exit_code == (1 if errors else 0), "exit 1 exactly when an alert is at level error"


def test_lint_names_vale_rules_and_levels_in_every_format(monkeypatch, tmp_path):
    folder = STYLES / "Microsoft" / "fixtures" / "AMPM"
    monkeypatch.chdir(folder)

    def run(*args):
        return CliRunner().invoke(app, ["lint", "test.md", "--no-cache", *args])

    sarif = json.loads(run("--output", "sarif").stdout)["runs"][0]
    assert {x["ruleId"] for x in sarif["results"]} == {"Microsoft.AMPM"}
    assert {x["level"] for x in sarif["results"]} == {"error"}
    assert "Microsoft.AMPM" in {rule["id"] for rule in sarif["tool"]["driver"]["rules"]}
    rd = [json.loads(line) for line in run("--output", "rdjsonl").stdout.splitlines()]
    assert {(d["code"]["value"], d["severity"]) for d in rd} == {("Microsoft.AMPM", "ERROR")}
    gh = run("--output", "github").stdout.splitlines()
    assert gh and all(x.startswith("::error ") and "title=Microsoft.AMPM" in x for x in gh)
    (card,) = [json.loads(line) for line in run("--output", "json").stdout.splitlines()]
    (v,) = card["binary"]["violations"]
    assert (v["rule"], v["level"]) == ("Microsoft.AMPM", "error")
    assert "Microsoft.AMPM" in " ".join(run().stdout.split())


def test_lint_finds_the_config_as_vale_does_and_says_when_there_is_none(monkeypatch, tmp_path):
    shutil.copytree(STYLES / "Microsoft" / "Microsoft", tmp_path / "styles" / "Microsoft")
    (tmp_path / "repo" / "docs").mkdir(parents=True)
    (tmp_path / "repo" / ".vale.ini").write_text(
        "StylesPath = ../styles\n\n[*.md]\nMicrosoft.AMPM = YES\n"
    )
    doc = tmp_path / "repo" / "docs" / "a.md"
    doc.write_text("# Times\n\nThe plant opens at 10 p.m. every day.\n")
    monkeypatch.delenv("VALE_CONFIG_PATH", raising=False)
    monkeypatch.chdir(tmp_path / "repo" / "docs")  # the config is a folder above
    r = CliRunner().invoke(app, ["lint", "a.md", "--output", "line", "--no-cache"])
    assert r.stdout.startswith("a.md:3:") and ":Microsoft.AMPM:" in r.stdout and r.exit_code == 1
    monkeypatch.chdir(tmp_path)
    none = CliRunner().invoke(app, ["lint", str(doc)])
    assert none.exit_code == 2 and "no .vale.ini" in none.stderr and "--config" in none.stderr
    given = CliRunner().invoke(
        app,
        ["lint", str(doc), "--config", str(tmp_path / "repo" / ".vale.ini"), "--output", "line"],
    )
    assert given.exit_code == 1 and ":Microsoft.AMPM:" in given.stdout
    named = tmp_path / "repo" / ".vale.ini"
    named.write_text(named.read_text() + "Microsoft.Nonesuch = YES\n")
    told = CliRunner().invoke(app, ["lint", str(doc), "--config", str(named)])
    assert "Vale rule not run: Microsoft.Nonesuch (no such rule" in told.stderr
    assert "1 Vale rule from" in told.stderr and "ran on 1 file." in told.stderr
    (tmp_path / "bad.ini").write_text("StylesPath = nowhere\n")
    bad = CliRunner().invoke(app, ["lint", str(doc), "--config", str(tmp_path / "bad.ini")])
    assert bad.exit_code == 2 and "bad.ini" in bad.stderr and "StylesPath" in bad.stderr
