"""Issue 35, item 4: the rest of a real repository's .vale.ini (Vocab and the built-in Vale
style, BlockIgnores, TokenIgnores, IgnoredScopes, SkippedScopes, [formats], Packages,
Transform), through `contentloop lint` as a Vale user runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contentloop.cli import app
from contentloop.errors import ContentloopError
from contentloop.vale.ini import read_ini

WEASEL = "extends: existence\nmessage: \"Avoid '%s'.\"\nlevel: warning\ntokens: [very, simply]\n"


def _repo(tmp_path: Path, ini: str, **files: str) -> Path:
    """A repository with the style `Docs` (one rule, Weasel), the .vale.ini and files."""
    style = tmp_path / "styles" / "Docs"
    style.mkdir(parents=True)
    (style / "Weasel.yml").write_text(WEASEL)
    (tmp_path / ".vale.ini").write_text("StylesPath = styles\n" + ini)
    for name, text in files.items():
        path = tmp_path / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def _lint(repo: Path, monkeypatch, *args: str) -> tuple[list[str], str]:
    monkeypatch.chdir(repo)
    monkeypatch.delenv("VALE_CONFIG_PATH", raising=False)
    r = CliRunner().invoke(app, ["lint", *args, "--output", "line", "--no-cache"])
    assert r.exit_code in (0, 1), r.output
    return r.stdout.splitlines(), r.stderr


def _vocab(repo: Path, name: str, accept: str = "", reject: str = "") -> None:
    folder = repo / "styles" / "config" / "vocabularies" / name
    folder.mkdir(parents=True)
    (folder / "accept.txt").write_text(accept)
    (folder / "reject.txt").write_text(reject)


def test_vocab_teaches_terms_avoid_and_every_rules_exceptions(tmp_path, monkeypatch):
    repo = _repo(
        tmp_path,
        "Vocab = Product\n[*.md]\nBasedOnStyles = Vale, Docs\n",
        **{"a.md": "Try OxiDex. Oxidex is simply fast. Never say kubernets.\n\nIt is very odd.\n"},
    )
    _vocab(repo, "Product", accept="# our names\nOxiDex\nsimply\n", reject="kubernets\n")
    lines, stderr = _lint(repo, monkeypatch, "a.md")
    assert lines == [
        "a.md:1:13:Vale.Terms:Use 'OxiDex' instead of 'Oxidex'.",
        "a.md:1:46:Vale.Avoid:Avoid using 'kubernets'.",
        "a.md:1:46:Vale.Spelling:Did you really mean 'kubernets'?",
        "a.md:3:7:Docs.Weasel:Avoid 'very'.",
    ], "accepted 'simply' is an exception of Docs.Weasel (and 'Oxidex' of spelling)"
    assert "Vale rule not run" not in stderr
    # A rule can opt out of the vocabulary, as in Vale.
    (repo / "styles" / "Docs" / "Weasel.yml").write_text(WEASEL + "vocab: false\n")
    lines, _ = _lint(repo, monkeypatch, "a.md")
    assert "a.md:1:23:Docs.Weasel:Avoid 'simply'." in lines


def test_the_builtin_vale_style_runs_repetition(tmp_path, monkeypatch):
    repo = _repo(tmp_path, "[*.md]\nBasedOnStyles = Vale\n", **{"a.md": "This is is it.\n"})
    lines, _ = _lint(repo, monkeypatch, "a.md")
    assert lines == ["a.md:1:6:Vale.Repetition:'is' is repeated!"]


def test_a_missing_vocabulary_and_package_and_transform_are_said(tmp_path, monkeypatch):
    repo = _repo(
        tmp_path,
        "Vocab = Nowhere\nPackages = Google, https://example.org/Docs.zip\nWordTemplate = x\n"
        "[*.xml]\nTransform = docbook.xsl\n[*.md]\nBasedOnStyles = Docs\n",
        **{"a.md": "It is very odd.\n"},
    )
    lines, stderr = _lint(repo, monkeypatch, "a.md")
    assert lines == ["a.md:1:7:Docs.Weasel:Avoid 'very'."]
    said = " ".join(stderr.split())
    assert "Vale setting not read: Vocab: Nowhere (no folder" in said
    assert "Vale setting not read: Packages: Google (not in" in said and "vale sync" in said
    assert "Packages: Docs" not in said, "the Docs package is in StylesPath"
    assert "Vale setting not read: Transform" in said
    assert "Vale setting not read: WordTemplate" in said


def test_token_and_block_ignores_leave_text_unread_in_their_sections(tmp_path, monkeypatch):
    doc = (
        "A very {{< ref very-page >}} link.\n\n"
        "{{< note >}}\nvery hidden\n\nvery hidden too\n{{< /note >}}\n\n"
        "It is very odd.\n"
    )
    repo = _repo(
        tmp_path,
        "[*.md]\nBasedOnStyles = Docs\nTokenIgnores = ({{<[^>]*>}})\n"
        "BlockIgnores = (?s)({{< note >}}.*?{{< /note >}})\n",
        **{"a.md": doc, "b.txt": doc},
    )
    lines, _ = _lint(repo, monkeypatch, "a.md")
    assert lines == ["a.md:1:3:Docs.Weasel:Avoid 'very'.", "a.md:9:7:Docs.Weasel:Avoid 'very'."]


@pytest.mark.parametrize(
    ("ignored", "found"),
    [
        ("strong", ["a.md:1:5:Docs.Weasel:Avoid 'very'.", "a.md:5:23:Docs.Weasel:Avoid 'very'."]),
        # `link` as Vale's own Spelling fixture names it: link text is not read.
        ("link", ["a.md:1:5:Docs.Weasel:Avoid 'very'.", "a.md:5:6:Docs.Weasel:Avoid 'very'."]),
    ],
)
def test_ignored_and_skipped_scopes(tmp_path, monkeypatch, ignored, found):
    doc = (
        "# A very title\n\n## Very sub\n\nSo **very** bold and [very](x) linked.\n\n> very quoted\n"
    )
    repo = _repo(
        tmp_path,
        f"IgnoredScopes = code, tt, {ignored}\nSkippedScopes = script, blockquote, h2, marquee\n"
        "[*.md]\nBasedOnStyles = Docs\n",
        **{"a.md": doc},
    )
    (repo / "styles" / "Docs" / "Weasel.yml").write_text(WEASEL + "ignorecase: true\n")
    lines, stderr = _lint(repo, monkeypatch, "a.md")
    assert lines == found
    assert "SkippedScopes: marquee" in stderr


def test_formats_maps_other_endings_to_the_formats_read_here(tmp_path, monkeypatch):
    comment_then_text = ".. a very old comment\n\nIt is very odd.\n"
    repo = _repo(
        tmp_path,
        "[formats]\nmdoc = md\ninc = rst\nhtm = html\n\n[*.{md,mdoc,inc,htm}]\nBasedOnStyles = Docs\n",
        **{
            "docs__a.mdoc": "It is very odd.\n",
            "docs__b.md": "Very.\n",
            "docs__c.rst": "very\n",
            "docs__d.inc": comment_then_text,  # read as reStructuredText: line 1 is a comment
            "docs__e.md": comment_then_text,  # read as Markdown: line 1 is a paragraph
            "docs__f.htm": "<p>very</p>\n",
        },
    )
    lines, stderr = _lint(repo, monkeypatch, "docs")
    assert sorted(lines) == [
        "docs/a.mdoc:1:7:Docs.Weasel:Avoid 'very'.",
        "docs/d.inc:3:7:Docs.Weasel:Avoid 'very'.",
        "docs/e.md:1:6:Docs.Weasel:Avoid 'very'.",
        "docs/e.md:3:7:Docs.Weasel:Avoid 'very'.",
    ], "b.md's 'Very' is another case; no section names .rst files; HTML is not read"
    assert "[formats] htm = html (contentloop reads Markdown" in " ".join(stderr.split())


@pytest.mark.parametrize(
    ("ini", "said", "fix"),
    [
        (
            "StylesPath = styles\n[*.md]\nVocab = Docs\nBasedOnStyles = Docs\n",
            "line 3: 'Vocab' is a core option",
            "above the first",
        ),
        ("StylesPath = styles\n[*]\nMinAlertLevel = error\n", "line 3: 'MinAlertLevel'", "above"),
        (
            "StylesPath = styles\nBasedOnStyles = Docs\n[*.md]\n",
            "line 2: 'BasedOnStyles' is a section option",
            "under a section",
        ),
    ],
)
def test_a_key_in_the_wrong_part_of_the_file_is_refused_as_vale_refuses_it(
    tmp_path, monkeypatch, ini, said, fix
):
    (tmp_path / "styles" / "Docs").mkdir(parents=True)
    (tmp_path / ".vale.ini").write_text(ini)
    (tmp_path / "a.md").write_text("Very.\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VALE_CONFIG_PATH", raising=False)
    r = CliRunner().invoke(app, ["lint", "a.md", "--no-cache"])
    assert r.exit_code == 2
    error = " ".join(r.stderr.split())
    assert ".vale.ini, " + said in error and fix in error


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("StylesPath = s\n[*.md]\nTokenIgnores = (unclosed\n", "TokenIgnores"),
        ("StylesPath = s\n[*.md]\nBlockIgnores = [x\n", "line 3"),
    ],
)
def test_a_bad_ignore_pattern_names_the_line_and_the_key(tmp_path, text, needle):
    path = tmp_path / ".vale.ini"
    path.write_text(text)
    with pytest.raises(ContentloopError) as err:
        read_ini(path)
    assert str(path) in str(err.value) and needle in str(err.value) and "Fix:" in str(err.value)


def test_the_word_prefilter_never_changes_an_alert(tmp_path, monkeypatch):
    """Searching only the entries a document can hold (vale/prefilter.py) is a speed-up, not a
    change: every fixture of the three packages, under all 82 rules, gives the same alerts
    with the prefilter on and off."""
    from contentloop.checks.prose import Draft
    from contentloop.vale import load_ruleset, prefilter

    styles = Path(__file__).parent / "data" / "vale-styles"
    for package in ("write-good", "Microsoft", "proselint"):
        shutil.copytree(styles / package / package, tmp_path / "styles" / package)
    (tmp_path / ".vale.ini").write_text(
        "StylesPath = styles\n[*.md]\nBasedOnStyles = write-good, Microsoft, proselint\n"
    )
    texts = sorted(styles.glob("*/fixtures/*/*.md"))
    assert len(texts) > 20

    def alerts() -> list[tuple]:
        rules = load_ruleset(tmp_path / ".vale.ini")
        found = []
        for path in texts:
            draft = Draft(path.read_text(encoding="utf-8"), path="x.md")
            found += [(path.name, a.rule, a.line, a.column, a.message) for a in rules.lint(draft)]
        return found

    on = alerts()
    monkeypatch.setattr(prefilter, "ENABLED", False)
    assert alerts() == on and len(on) > 150


def test_vale_own_style_runs_without_a_styles_path_and_any_other_needs_one(tmp_path, monkeypatch):
    # Vale's names for its configuration include `_vale`; its own style needs no StylesPath.
    (tmp_path / "_vale").write_text("[*]\nVale.Repetition = YES\n")
    (tmp_path / "a.md").write_text("Draw a plan plan. Then a plan plan\n")
    lines, _ = _lint(tmp_path, monkeypatch, "a.md")
    # Vale reads `[^\\s]+` tokens whole: "plan." is not "plan"; the second pair repeats.
    assert lines == ["a.md:1:26:Vale.Repetition:'plan' is repeated!"]
    (tmp_path / "_vale").write_text("[*]\nBasedOnStyles = Docs\n")
    r = CliRunner().invoke(app, ["lint", "a.md", "--no-cache"])
    assert r.exit_code == 2 and "no StylesPath" in r.stderr and "Fix:" in r.stderr
