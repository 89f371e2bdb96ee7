"""Which parts of a document a Vale rule reads (its `scope`, as Vale's selectors read it), and
what a substitution suggests: cases found by running Vale's own checks.feature by hand."""

from __future__ import annotations

import pytest
from helpers import vale_alerts, vale_ruleset

MIN_WORDS = (
    "extends: occurrence\nmessage: Too short.\nscope: {scope}\nmin: 8\ntoken: '\\b(\\w+)\\b'\n"
)
LONG_TITLE = (
    "extends: occurrence\nmessage: Long title.\nscope: {scope}\nmax: 3\ntoken: '\\b\\w+\\b'\n"
)


@pytest.mark.parametrize(
    ("scope", "found"),
    [
        # As in Vale, `raw` is the whole file read once, markup and code too (8 words here:
        # enough); `summary` is the body text read once (3 words); the default reads each
        # block, and `heading` each heading.
        ("raw", []),
        ("summary", [(3, 1, "One")]),
        ("text", [(1, 3, "Introduction"), (3, 1, "One"), (5, 4, "Second")]),
        ("heading", [(1, 3, "Introduction"), (5, 4, "Second")]),
    ],
)
def test_raw_and_summary_are_each_read_once(tmp_path, scope, found):
    rules = vale_ruleset(tmp_path, "T", Min=MIN_WORDS.format(scope=scope))
    text = "# Introduction here\n\nOne short paragraph.\n\n## Second\n\n```\ncode words\n```\n"
    assert [(line, col, what) for _, line, col, what in vale_alerts(rules, text)] == found


@pytest.mark.parametrize(
    ("scope", "lines"),
    [
        ("heading", [1, 3, 5]),
        ("heading.h2", [3]),
        ("heading & ~heading.h1", [3, 5]),
        ("paragraph & ~list", [7]),
        ("list", [9]),
        ("table.cell", [11, 13]),
    ],
)
def test_scope_selectors_pick_blocks_by_kind_level_and_container(tmp_path, scope, lines):
    rules = vale_ruleset(tmp_path, "T", Long=LONG_TITLE.format(scope=f"'{scope}'"))
    text = (
        "# A title of five words\n\n## A title of five words\n\n### A title of five words\n\n"
        "A paragraph of five words.\n\n- An item of five words\n\n"
        "| A cell of five words |\n| --- |\n| A cell of five words |\n"
    )
    assert [line for _, line, _, _ in vale_alerts(rules, text)] == lines


def test_a_swap_key_with_groups_fills_its_replacement_and_raw_keeps_the_markup(tmp_path):
    rule = (
        "extends: substitution\nmessage: \"Use '%s' instead of '%s'.\"\nscope: raw\n"
        "ignorecase: true\ncapitalize: true\naction:\n  name: replace\n"
        "swap:\n  'log in(?: )?to the (.*) page': sign in to the $1 page\n"
    )
    rules = vale_ruleset(tmp_path, "T", SignIn=rule)
    text = "# Admin\n\nLog into the `admin` page.\n\nThen log in to the help page.\n"
    assert [(a.line, a.column, a.message) for a in rules.lint(_draft(text))] == [
        (3, 1, "Use 'Sign in to the `admin` page' instead of 'Log into the `admin` page'."),
        (5, 6, "Use 'sign in to the help page' instead of 'log in to the help page'."),
    ]


def test_a_suggestion_takes_the_capital_only_when_it_is_all_lower_case(tmp_path):
    rule = (
        "extends: substitution\nmessage: \"Use '%s' instead of '%s'.\"\nignorecase: true\n"
        "swap:\n  ios: iOS\n  are not: aren't\n"
    )
    rules = vale_ruleset(tmp_path, "T", Terms=rule)
    text = "IOS runs apps.\n\nAre not apps fun?\n"
    assert [a.message for a in rules.lint(_draft(text))] == [
        "Use 'iOS' instead of 'IOS'.",
        "Use 'Aren't' instead of 'Are not'.",
    ]


def _draft(text: str):
    from contentloop.checks.prose import Draft

    return Draft(text, path="x.md")


SENTENCE_CASE = (
    "extends: capitalization\nmessage: \"'%s' should be sentence-cased\"\nscope: heading\n"
    "match: $sentence\n"
)


@pytest.mark.parametrize(
    ("extra", "text", "lines"),
    [
        # A phrase exception covers its words; a prefix is left out before the check.
        (
            "exceptions:\n  - Data Lake\nprefix: '^[a-z]\\.\\s'\n",
            "## b. Load the files\n\n## C. Load the files\n\n## Data Lake setup\n\n## Lake Setup\n",
            [3, 7],
        ),
        # A number or code before the first word leaves that word free.
        (
            "",
            "## 2 steps to take\n\n## `make` builds it\n\n## 3. Build it\n\n## steps to take\n",
            [7],
        ),
    ],
)
def test_sentence_case_as_vale_grades_headings(tmp_path, extra, text, lines):
    rules = vale_ruleset(tmp_path, "T", Case=SENTENCE_CASE + extra)
    assert [a.line for a in rules.lint(_draft(text))] == lines


LEFT = "extends: existence\nmessage: \"'%s' left\"\nscope: {scope}\ntokens:\n  - here\n  - TBD\n"


@pytest.mark.parametrize(
    ("scope", "path", "text", "found"),
    [
        # `link`: a link's text only; `code`: a code span's content only, headings too.
        ("link", "x.md", "See [here](https://a.b). here is fine `here`.\n", [(1, 6)]),
        ("link", "x.adoc", "See https://a.b[here]. here is fine.\n", [(1, 17)]),
        (
            "code",
            "x.md",
            "# Plan `TBD`\n\nTBD is fine; `TBD` is not.\n\n```\nTBD in a block\n```\n",
            [(1, 9), (3, 15)],
        ),
        # `sentence`: the body's sentences, each without the line break before it (`^` finds
        # "here two"); a heading is not split into sentences.
        ("sentence", "x.md", "# here\n\nOne here.\nhere two.\n", [(4, 1)]),
    ],
)
def test_inline_and_sentence_scopes(tmp_path, scope, path, text, found):
    rule = LEFT.format(scope=scope) + ("raw:\n  - '^'\n" if scope == "sentence" else "")
    rules = vale_ruleset(tmp_path, "T", "*", Left=rule)
    assert [(line, col) for _, line, col, _ in vale_alerts(rules, text, path)] == found
