"""Issue 35, item 3: Vale's spelling rules on Hunspell dictionaries (spylls), with Vale's
default filters, `ignore` word lists, `filters`, `custom`, `dicpath`/`dictionaries`/`append`."""

from __future__ import annotations

from pathlib import Path

from contentloop.checks.prose import Draft
from contentloop.vale import load_ruleset
from contentloop.vale.spelling import words

DOC = """# Setup

Install the tool. This is a typpo, and gitlab's name is not in the dictionary.

We can't stop, don’t worry: e-mail, remark-gfm, OxiDex, NASA, APIv2 and オプション are skipped.

Run `mispeled --flag` or see [the docs](https://example.com/mispeled).

```sh
anothr mispeling
```
"""


def _repo(tmp_path: Path, rules: dict[str, str], ini: str = "") -> Path:
    folder = tmp_path / "styles" / "Docs"
    folder.mkdir(parents=True)
    for name, text in rules.items():
        (folder / f"{name}.yml").write_text(text)
    (tmp_path / ".vale.ini").write_text(
        f"StylesPath = styles\n{ini}[*.md]\nBasedOnStyles = {'Docs' if rules else 'Vale'}\n"
    )
    return tmp_path / ".vale.ini"


def _found(ini: Path, text: str = DOC) -> list[tuple[int, int, str, str]]:
    alerts = load_ruleset(ini).lint(Draft(text, path="a.md"))
    return [(a.line, a.column, a.rule, a.message) for a in alerts]


def test_vale_spelling_flags_words_the_dictionary_lacks_and_skips_what_vale_skips(tmp_path):
    found = _found(_repo(tmp_path, {}))
    line = DOC.splitlines()[2]
    assert found == [
        (3, line.index("typpo") + 1, "Vale.Spelling", "Did you really mean 'typpo'?"),
        (3, line.index("gitlab") + 1, "Vale.Spelling", "Did you really mean 'gitlab'?"),
    ], "code, URLs, contractions, compounds, CamelCase, capitals and non-ASCII are not checked"


def test_words_keep_contractions_and_compounds_whole():
    text = "We can't go; don’t re-run gitlab's e-mail."
    assert [w for _, w in words(text)] == [
        "We",
        "can't",
        "go",
        "don’t",
        "re-run",
        "gitlab",
        "e-mail",
    ]
    assert all(text[i : i + len(w)] == w for i, w in words(text))


def test_ignore_lists_filters_and_custom(tmp_path):
    (tmp_path / "styles").mkdir()
    (tmp_path / "styles" / "words.txt").write_text("typpo\n")
    rule = (
        "extends: spelling\nmessage: \"Spell '%s' right.\"\nlevel: warning\n"
        "ignore: words.txt\nfilters: ['git\\w+']\n"
    )
    assert _found(_repo(tmp_path, {"Spell": rule})) == []
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "styles").mkdir()
    (custom / "styles" / "words.txt").write_text("typpo\n")
    found = _found(_repo(custom, {"Spell": rule + "custom: true\n"}))
    flagged = {m.split("'")[1] for *_, m in found}
    # Without Vale's default filters, capitals, CamelCase and non-ASCII words are checked too.
    assert {"OxiDex", "APIv2", "オプション"} <= flagged and "typpo" not in flagged


def test_a_rule_can_name_its_own_dictionary_and_append_the_default(tmp_path):
    dicts = tmp_path / "dicts"
    dicts.mkdir()
    (dicts / "tiny.aff").write_text("SET UTF-8\n")
    (dicts / "tiny.dic").write_text("3\ntypo\ngitlab\nsetup\n")
    rule = "extends: spelling\nmessage: \"'%s'?\"\ndicpath: ../../dicts\ndictionaries: [tiny]\n"
    text = "Setup: a typo in gitlab, then a typpo.\n"
    only = _found(_repo(tmp_path, {"Spell": rule}), text)
    assert [m for *_, m in only] == ["'a'?", "'in'?", "'then'?", "'a'?", "'typpo'?"]
    both = tmp_path / "both"
    (both / "dicts").mkdir(parents=True)
    for f in ("tiny.aff", "tiny.dic"):
        (both / "dicts" / f).write_text((dicts / f).read_text())
    appended = _found(_repo(both, {"Spell": rule + "append: true\n"}), text)
    assert [m for *_, m in appended] == ["'typpo'?"]


def test_a_missing_dictionary_turns_off_only_its_rule(tmp_path):
    rule = "extends: spelling\nmessage: m\ndictionaries: [nowhere]\n"
    ok = "extends: existence\nmessage: m\ntokens: [very]\n"
    rules = load_ruleset(_repo(tmp_path, {"Spell": rule, "Weasel": ok}))
    why = rules.skipped["Docs.Spell"]
    assert "nowhere" in why and "dictionaries" in why and "Fix:" in why
    assert "Docs.Weasel" in rules.rules
