"""Which parts of a document a Vale rule reads: its `scope`, as Vale's selectors read it."""

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
    ],
)
def test_scope_selectors_pick_blocks_by_kind_level_and_container(tmp_path, scope, lines):
    rules = vale_ruleset(tmp_path, "T", Long=LONG_TITLE.format(scope=f"'{scope}'"))
    text = (
        "# A title of five words\n\n## A title of five words\n\n### A title of five words\n\n"
        "A paragraph of five words.\n\n- An item of five words\n"
    )
    assert [line for _, line, _, _ in vale_alerts(rules, text)] == lines
