"""Issue 35, item 3: Vale's `metric` and `readability` rules, counted by textstat."""

from __future__ import annotations

import pytest
from helpers import vale_ruleset

from contentloop.checks.nlp import textstat_ready
from contentloop.checks.prose import Draft
from contentloop.vale.metrics import summary, variables

FK = (
    "extends: metric\nmessage: Try to keep the Flesch-Kincaid grade level (%s) below 8.\n"
    "link: https://example.org/fk\nlevel: warning\n"
    "formula: |\n  (0.39 * (words / sentences)) + (11.8 * (syllables / words)) - 15.59\n"
    "condition: '> 8'\n"
)
H2 = "extends: metric\nmessage: This topic has %s H2s in it.\nformula: heading.h2\ncondition: '> 1'\n"
READ = (
    "extends: readability\nmessage: Grade %s is too high.\nlevel: error\n"
    "metrics:\n  - Flesch-Kincaid\n  - Gunning Fog\ngrade: 8\n"
)
HARD = (
    "# Guide\n\n## Setup\n\nOperational instrumentation necessitates comprehensive "
    "organizational documentation, particularly regarding sophisticated configuration "
    "management methodologies and interdepartmental communication.\n\n## Use\n\n"
    "```sh\nrun --everything\n```\n\n- Considerable administrative responsibilities accompany "
    "implementation.\n"
)
EASY = "# Guide\n\n## Setup\n\nThe cat sat on the mat. It was warm. We had tea.\n"


def test_a_metric_formula_agrees_with_textstats_own_grade(tmp_path):
    import textstat

    textstat_ready()
    rules = vale_ruleset(tmp_path, FK=FK)
    draft = Draft(HARD, path="a.md")
    (alert,) = rules.lint(draft)
    want = textstat.flesch_kincaid_grade(summary(draft))
    assert want > 8
    assert alert.message == f"Try to keep the Flesch-Kincaid grade level ({want:.2f}) below 8."
    assert (alert.rule, alert.level, alert.line, alert.column) == ("Docs.FK", "warning", 1, 1)
    assert rules.lint(Draft(EASY, path="a.md")) == []


def test_element_counts_read_the_markdown_and_leave_front_matter_out():
    doc = "---\ntitle: x\n---\n\n# A\n\n## B\n\n## C\n\n> quote\n\n- a\n- b\n\n```\ncode\n```\n"
    found = variables(Draft(doc + "\nSome words here.\n", path="a.md"))
    assert (found["heading_h1"], found["heading_h2"], found["heading_h3"]) == (1, 2, 0)
    assert (found["blockquote"], found["list"], found["pre"]) == (1, 1, 1)
    assert found["words"] == 6  # quote, a, b, and the last paragraph; no heading, no code


RST = (
    "=====\nTitle\n=====\n\nIntro.\n\nPart\n----\n\n- one\n- two\n\n  still item two.\n\n"
    "Text.\n\n  A quote, not an item.\n\nSub\n~~~\n\nOther\n-----\n\n* a\n\n.. code-block:: sh\n\n   run\n"
)
ADOC = "= Doc\n\n== Part\n\nText.\n\n=== Sub\n\n* a\n* b\n\nMore.\n\n. one\n\n____\nQuoted.\n____\n"


@pytest.mark.parametrize(
    ("text", "path", "counts"),
    [
        # rST ranks a heading by the order its adornment first appears; a paragraph left of a
        # list's text ends the list, so the indented one after it is a quote.
        (
            RST,
            "x.rst",
            {
                "heading_h1": 1,
                "heading_h2": 2,
                "heading_h3": 1,
                "list": 2,
                "blockquote": 1,
                "pre": 1,
            },
        ),
        (
            ADOC,
            "x.adoc",
            {
                "heading_h1": 1,
                "heading_h2": 1,
                "heading_h3": 1,
                "list": 2,
                "blockquote": 1,
                "pre": 0,
            },
        ),
    ],
)
def test_element_counts_in_restructuredtext_and_asciidoc(text, path, counts):
    found = variables(Draft(text, path=path))
    assert {k: found[k] for k in counts} == counts


def test_plain_text_has_no_headings_to_count():
    found = variables(Draft("# not a heading\n\nSome words here.\n", path="a.txt"))
    assert found["heading_h1"] == 0 and found["words"] == 6  # both lines are prose here


def test_heading_variable_and_condition(tmp_path):
    rules = vale_ruleset(tmp_path, H2=H2)
    (alert,) = rules.lint(Draft(HARD, path="a.md"))
    assert alert.message == "This topic has 2.00 H2s in it."
    assert rules.lint(Draft(EASY, path="a.md")) == []


def test_readability_averages_its_metrics_against_the_grade(tmp_path):
    import textstat

    textstat_ready()
    rules = vale_ruleset(tmp_path, Read=READ)
    draft = Draft(HARD, path="a.md")
    (alert,) = rules.lint(draft)
    text = summary(draft)
    grade = (textstat.flesch_kincaid_grade(text) + textstat.gunning_fog(text)) / 2
    assert alert.message == f"Grade {grade:.2f} is too high." and alert.level == "error"
    assert rules.lint(Draft(EASY, path="a.md")) == []
    assert rules.lint(Draft("# Only a heading\n", path="a.md")) == []


@pytest.mark.parametrize(
    ("rule", "needle"),
    [
        ("extends: metric\nmessage: m\nformula: words +\ncondition: '> 1'\n", "formula"),
        ("extends: metric\nmessage: m\nformula: wordz\ncondition: '> 1'\n", "'wordz'"),
        ("extends: metric\nmessage: m\nformula: __import__('os')\ncondition: '> 1'\n", "formula"),
        ("extends: metric\nmessage: m\nformula: words\ncondition: 'is big'\n", "condition"),
        ("extends: metric\nmessage: m\nformula: math.system(1)\ncondition: '> 1'\n", "formula"),
        ("extends: readability\nmessage: m\nmetrics: [Fog]\ngrade: 8\n", "metrics"),
    ],
)
def test_a_broken_metric_rule_turns_off_only_itself_and_says_why(tmp_path, rule, needle):
    rules = vale_ruleset(tmp_path, Bad=rule, H2=H2)
    why = rules.skipped["Docs.Bad"]
    assert needle in why and "Bad.yml" in why and "Fix:" in why
    assert "Docs.H2" in rules.rules


def test_tengo_math_functions_and_logic(tmp_path):
    smog = "1.0430 * math.sqrt((polysyllabic_words * 30.0) / sentences) + 3.1291"
    rules = vale_ruleset(
        tmp_path,
        Smog=f"extends: metric\nmessage: SMOG %s\nformula: {smog}\ncondition: '> 10 && 1 < 2'\n",
    )
    draft = Draft(HARD, path="a.md")
    v = variables(draft)
    want = 1.0430 * (v["polysyllabic_words"] * 30.0 / v["sentences"]) ** 0.5 + 3.1291
    assert [a.message for a in rules.lint(draft)] == [f"SMOG {want:.2f}"]


def test_a_formula_that_divides_by_zero_gives_no_alert(tmp_path):
    rules = vale_ruleset(
        tmp_path, Z="extends: metric\nmessage: m %s\nformula: words / pre\ncondition: '> 1'\n"
    )
    assert rules.lint(Draft(EASY, path="a.md")) == []
