"""What lets a style package run fast must never change an alert: the words an entry needs
(vale/prefilter.py), read the way `regex` matches them."""

from __future__ import annotations

import sys

import pytest
import regex
from helpers import vale_alerts, vale_ruleset

from contentloop.checks.prose import Draft
from contentloop.vale import prefilter
from contentloop.vale.prefilter import _FOLD_TO_ASCII, edgeless, needs, required_words, words_of


@pytest.mark.parametrize(
    ("entry", "bounded", "words"),
    [
        ("a kettle of fish", True, {"a", "kettle", "of", "fish"}),
        ("a kettle of fish", False, {"kettle", "of"}),  # no \b: the edges may run on
        ("cool, calm, and collected", True, {"cool", "calm", "and", "collected"}),
        ("(?:bunch|group|pack|herd) of apes", True, {"of", "apes"}),
        ("whet (?:the|your) appetite", True, {"whet", "appetite"}),
        ("app(?:lication)? file", True, {"file"}),  # "app" may run on into "application"
        ("apps?", True, set()),
        ("that's(?=\\.)", True, {"that", "s"}),  # a lookahead takes no character
        ("(?:mobile|smart) ?phone", True, set()),
        ("Wolverhamptonite|Wolverhamptonian", True, set()),  # either one: neither is needed
        ("café au lait", True, {"au", "lait"}),  # only ASCII words are looked up
        ("m²x", True, set()),  # "²" is read as part of a run of letters, as in the text
        ("\\p{L}x y", True, set()),  # syntax only `regex` reads: searched everywhere
    ],
)
def test_required_words(entry, bounded, words):
    assert required_words(entry, bounded) == words


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        ("garbage(?:m[ae]n|wom[ae]n)", "garbage"),
        ("\\.\\.\\.", "..."),
        ("(?:leopard|panther)-like", "-like"),
        ("Caf\u00e9 au lait", " au lait"),  # a non-ASCII letter may fold unlike lower()
        ("[0-9]+ ?x ?[0-9]+", "x"),
        ("[[:alpha:]]xy", ""),  # a POSIX class to `regex`; to `re`, a set and then "]xy"
    ],
)
def test_the_run_of_characters_every_match_holds(entry, text):
    assert needs(entry, bounded=False).text == text


@pytest.mark.parametrize(
    ("pattern", "found"),
    [
        ("(?m)\\b(?:[^\\s]+)\\b", True),  # a ^ in a class is no anchor
        ("(?i)\\bwhet (?:the|your)\\b", True),
        ("(?m)^But", False),
        ("(?:a|b$)+", False),
        ("foo(?=\\.)", False),
        ("(?<!x)foo", False),
        ("\\Bx", False),
        ("\\p{L}+", None),  # `regex` syntax: the caller decides by eye
    ],
)
def test_edgeless_patterns_match_in_a_part_only_where_they_match_in_the_whole(pattern, found):
    assert edgeless(pattern) is found


def test_every_character_regex_takes_for_an_ascii_letter_is_folded_to_it():
    letters = regex.compile(r"(?i)[a-z]")
    found = {
        cp
        for cp in range(128, sys.maxunicode + 1)
        if not 0xD800 <= cp <= 0xDFFF and letters.fullmatch(chr(cp))
    }
    assert found == set(_FOLD_TO_ASCII)
    for cp in found:  # each is folded to the letter regex takes it for
        folded = chr(cp).translate(_FOLD_TO_ASCII)
        assert regex.fullmatch(f"(?i){folded}", chr(cp))


def test_a_word_written_with_a_letter_regex_folds_is_still_found(tmp_path, monkeypatch):
    rules = vale_ruleset(
        tmp_path,
        "T",
        Is="extends: existence\nmessage: '%s'\nignorecase: true\ntokens: ['is it']\n",
    )
    text = "Why İS İt so?\n"  # U+0130: lower() would make it "i" and a combining dot
    assert "is" in words_of(Draft(text, path="x.md"))
    on = vale_alerts(rules, text)
    monkeypatch.setattr(prefilter, "ENABLED", False)
    assert on == vale_alerts(rules, text) == [("T.Is", 1, 5, "İS İt")]


ACRONYMS = (
    "extends: conditional\nmessage: \"'%s' has no definition.\"\nignorecase: false\n"
    "first: '\\b([A-Z]{3,5})\\b'\nsecond: '(?:\\b[A-Z][a-z]+ )+\\(([A-Z]{3,5})\\)'\n"
)
REPEATED = "extends: repetition\nmessage: \"'%s' is repeated!\"\nalpha: true\ntokens: ['[^\\s]+']\n"


@pytest.mark.parametrize("enabled", [True, False])
def test_a_definition_counts_from_its_block_on_and_repeats_stay_in_their_block(
    tmp_path, monkeypatch, enabled
):
    monkeypatch.setattr(prefilter, "ENABLED", enabled)
    rules = vale_ruleset(tmp_path, "T", Acronyms=ACRONYMS, Repeated=REPEATED)
    text = (
        "The ABC starts here.\n\n"
        "Alpha Beta Charlie (ABC) is defined now.\n\n"
        "So ABC is fine, and this is is repeated\n\n"
        "at the end of a block, and at its start\n\n"
        "start again, with no repeat across the blocks.\n"
    )
    assert vale_alerts(rules, text) == [
        ("T.Acronyms", 1, 5, "ABC"),
        ("T.Repeated", 5, 26, "is"),
    ]
