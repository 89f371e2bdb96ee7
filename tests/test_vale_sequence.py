"""Issue 35, item 3: Vale's `sequence` rules (part-of-speech tags from TextBlob's tagger)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentloop.checks.prose import Draft
from contentloop.vale import load_ruleset
from contentloop.vale.sequence import tagged

# Rules of the shapes Vale's own LanguageTool test style uses: a tag with a skip before an
# anchored phrase; a tagged anchor with a skip after it; a clitic joined onto its word.
IDIOM = (
    "extends: sequence\nmessage: \"Write 'of all time', not '%s %s %s %s'.\"\n"
    "tokens:\n  - tag: JJS\n    skip: 3\n  - pattern: of\n  - pattern: all\n  - pattern: times\n"
)
PLURAL = (
    "extends: sequence\nmessage: Data is plural.\nlevel: error\nignorecase: true\n"
    "tokens:\n  - tag: NN\n    pattern: '(?:data|metadata)'\n  - tag: VBZ\n    skip: 4\n"
)
APOS = (
    'extends: sequence\nmessage: \'Write "%s" without "%s" before "%s".\'\n'
    "tokens:\n  - tag: NN\n  - tag: POS\n  - pattern: are\n"
)
NOT_TO = (
    "extends: sequence\nmessage: 'Say \"%s to\".'\n"
    "tokens:\n  - pattern: want\n  - pattern: to\n    negate: true\n"
)
DOC = """# Sequences

She is the finest singer of all times.

The fastest car of all times.

Metadata for this one purpose is valid.

Metadata for this one two purpose is valid.

The endpoint's are ready. The team's plan is ready.

We want go home. We want to stay.
"""


@pytest.fixture
def ruleset(tmp_path: Path):
    folder = tmp_path / "styles" / "LT"
    folder.mkdir(parents=True)
    for name, text in {"Idiom": IDIOM, "Plural": PLURAL, "Apos": APOS, "NotTo": NOT_TO}.items():
        (folder / f"{name}.yml").write_text(text)
    (tmp_path / ".vale.ini").write_text("StylesPath = styles\n[*.md]\nBasedOnStyles = LT\n")
    return load_ruleset(tmp_path / ".vale.ini")


def test_sequences_match_as_vale_matches_them(ruleset):
    got = [(a.line, a.column, a.rule, a.message) for a in ruleset.lint(Draft(DOC, path="a.md"))]
    assert got == [
        (3, 12, "LT.Idiom", "Write 'of all time', not 'finest singer of all'."),
        (5, 5, "LT.Idiom", "Write 'of all time', not 'fastest car of all'."),
        (7, 1, "LT.Plural", "Data is plural."),
        (11, 5, "LT.Apos", 'Write "endpoint" without "\'s" before "are".'),
        (13, 4, "LT.NotTo", 'Say "want to".'),
    ], "skip 4 allows 'for this one purpose' but not five words; 'want to' is fine"


def test_words_are_tagged_with_penn_tags_at_their_offsets():
    text = "The endpoint's are ready."
    found = tagged(text)
    assert [(w, t) for _, w, t in found][:4] == [
        ("The", "DT"),
        ("endpoint", "NN"),
        ("'s", "POS"),
        ("are", "VBP"),
    ]
    assert all(text[i : i + len(w)] == w for i, w, _ in found)


def test_a_sequence_without_an_anchor_or_with_a_bad_token_is_turned_off(tmp_path):
    folder = tmp_path / "styles" / "LT"
    folder.mkdir(parents=True)
    (folder / "NoAnchor.yml").write_text("extends: sequence\nmessage: m\ntokens:\n  - tag: NN\n")
    (folder / "Bad.yml").write_text("extends: sequence\nmessage: m\ntokens:\n  - just words\n")
    (folder / "Ok.yml").write_text(NOT_TO)
    (tmp_path / ".vale.ini").write_text("StylesPath = styles\n[*.md]\nBasedOnStyles = LT\n")
    rules = load_ruleset(tmp_path / ".vale.ini")
    assert "pattern" in rules.skipped["LT.NoAnchor"] and "Fix:" in rules.skipped["LT.NoAnchor"]
    assert "tokens[0]" in rules.skipped["LT.Bad"]
    assert "LT.Ok" in rules.rules
