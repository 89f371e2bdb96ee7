"""Issue 35, item 5: reStructuredText, AsciiDoc and plain text, read block by block as Vale
reads them (headings, paragraphs, lists, quotes, admonitions, table cells; code, comments,
directives and attributes left out), with every alert at the source's own line and column."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from contentloop.checks.prose import Draft
from contentloop.cli import app
from contentloop.vale.view import segments

RST = """Getting started
===============

This is *very* simple: run ``very --now``, read `the very docs <https://x.y/very>`_
or :ref:`very-setup`.

.. note::
   :class: tip

   A note that is very short.

.. code-block:: python

   very = 1

.. _very-target: https://example.com/very

- First item is very good
- Second item

Example::

    literal very block

+-------+------+
| very  | cell |
+-------+------+

.. image:: logo.png
   :alt: A very good logo

Section two
-----------

Last |very| para with a very_ reference.
"""

ADOC = """= Document Title
:toc: very

== Setup *very* fast

This is `very` code and a https://example.com/very[very good link] and {very}.

NOTE: A very important note.

[source,python]
----
very = 1
----

* Item *one* is very
. ordered very item

____
Quoted very text.
____

// a very comment

|===
| very | cell
|===
"""

TEXT = "Plain *very* text.\nSecond line.\n\n# very not a heading\n"


def _seen(text: str, path: str) -> list[tuple[str, str, str, int]]:
    draft = Draft(text, path=path)
    return [(s.kind, s.container, s.text, draft.line_of(s.offsets[0])) for s in segments(draft)]


def test_rst_reads_prose_and_leaves_markup_and_code_out():
    assert _seen(RST, "a.rst") == [
        ("heading", "root", "Getting started", 1),
        (
            "paragraph",
            "root",
            "This is very simple: run ______________, read the very docs \nor very-setup.",
            4,
        ),
        ("paragraph", "blockquote", "A note that is very short.", 10),
        ("paragraph", "list", "First item is very good", 18),
        ("paragraph", "list", "Second item", 19),
        ("paragraph", "root", "Example:", 21),
        ("paragraph", "table", "very", 26),
        ("paragraph", "table", "cell", 26),
        ("paragraph", "root", "A very good logo", 30),
        ("heading", "root", "Section two", 32),
        ("paragraph", "root", "Last  para with a very reference.", 35),
    ]


def test_asciidoc_reads_prose_and_leaves_markup_and_code_out():
    assert _seen(ADOC, "a.adoc") == [
        ("heading", "root", "Document Title", 1),
        ("heading", "root", "Setup very fast", 4),
        ("paragraph", "root", "This is ______ code and a very good link and .", 6),
        ("paragraph", "root", "A very important note.", 8),
        ("paragraph", "list", "Item one is very", 15),
        ("paragraph", "list", "ordered very item", 16),
        ("paragraph", "blockquote", "Quoted very text.", 19),
        ("paragraph", "table", "very", 25),
        ("paragraph", "table", "cell", 25),
    ]
    assert Draft(ADOC, path="a.adoc").code_blocks, "the listing block is code"


def test_plain_text_is_paragraphs_with_nothing_removed():
    assert _seen(TEXT, "a.txt") == [
        ("paragraph", "root", "Plain *very* text.\nSecond line.", 1),
        ("paragraph", "root", "# very not a heading", 4),
    ]


def test_lint_walks_a_folder_of_every_format_its_sections_name(tmp_path: Path, monkeypatch):
    style = tmp_path / "styles" / "Docs"
    style.mkdir(parents=True)
    (style / "Very.yml").write_text("extends: existence\nmessage: \"'%s'\"\ntokens: [very]\n")
    (tmp_path / ".vale.ini").write_text(
        "StylesPath = styles\n[*.{md,rst,adoc,txt}]\nBasedOnStyles = Docs\n"
    )
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.rst").write_text(RST)
    (docs / "b.adoc").write_text(ADOC)
    (docs / "c.txt").write_text(TEXT)
    (docs / "d.md").write_text("It is very odd.\n")
    (docs / "e.py").write_text("very = 1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VALE_CONFIG_PATH", raising=False)
    r = CliRunner().invoke(app, ["lint", "docs", "--output", "line", "--no-cache"])
    found = [line.rsplit(":", 2)[0] for line in r.stdout.splitlines()]
    # Not the literal (4:30), the link target (4:77), the code block (14), the target (16),
    # the literal block (23) or the substitution (35:7); the role's and reference's text, yes.
    want = "4:10 4:54 5:10 10:19 18:17 26:3 30:12 35:25"
    assert [f for f in found if f.startswith("docs/a.rst")] == [
        f"docs/a.rst:{at}" for at in want.split()
    ]
    # Heading, link text, note, two list items, quote, table cell: not the attribute, the
    # literal, the listing block or the comment.
    assert [f.split(":")[1] for f in found if f.startswith("docs/b.adoc")] == [
        "4", "6", "8", "15", "16", "19", "25"
    ]  # fmt: skip
    assert [f for f in found if f.startswith(("docs/c", "docs/d", "docs/e"))] == [
        "docs/c.txt:1:8",
        "docs/c.txt:4:3",
        "docs/d.md:1:7",
    ], "plain text keeps its asterisks; a .py file is not a format read here"


def test_the_rubrics_own_checks_read_rst_prose_not_its_code(tmp_path: Path):
    doc = tmp_path / "a.rst"
    doc.write_text(
        "Title\n=====\n\nA plain lead \u2014 with a dash.\n\n.. code-block:: text\n\n   a \u2014 b\n"
    )
    r = CliRunner().invoke(app, ["score", str(doc), "--no-judge", "--no-vale", "--json"])
    assert r.exit_code == 0, r.output
    import json

    (card,) = [json.loads(line) for line in r.stdout.splitlines()]
    (dash,) = [v for v in card["binary"]["violations"] if v["check"] == "em_dash"]
    assert dash["count"] == 1 and dash["evidence"][0]["line"] == 4
