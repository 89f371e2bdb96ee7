"""Markdown as documentation repositories write it: GFM alerts, MkDocs admonitions, HTML
blocks, footnotes, MDX, Liquid and Hugo tags, entities and look-alike characters. Each case
is one a hand-labelled corpus of real documents got wrong (issue 18)."""

import json
from pathlib import Path
from textwrap import dedent

import pytest
from helpers import hits
from typer.testing import CliRunner

from contentloop.checks.prose import Draft
from contentloop.cli import app

# --- markers that are not exclamations ------------------------------------------------------


def test_github_alerts_and_mkdocs_admonitions_are_not_exclamations(imagine):
    text = dedent(
        """\
        # Setup

        > [!NOTE]
        > Read this first.

        > [!warning]
        > Back up the line config.

        !!! tip "Use the cache"
            It halves the run time.

        ???+ danger
            Not on a live line.
        """
    )
    assert hits(text, imagine, "exclamation") == []


def test_an_exclamation_inside_an_admonition_or_alert_still_counts(imagine):
    text = dedent(
        """\
        !!! note
            This is huge!

        > [!TIP]
        > So fast!
        """
    )
    assert hits(text, imagine, "exclamation") == [("!", 2), ("!", 5)]


def test_admonition_body_is_a_quoted_block_with_its_title_not_a_code_block():
    d = Draft('!!! tip "Key insight: tune once"\n    The line ran 4% faster.\n\nAfter.\n')
    blocks = [(b.kind, b.container, b.content) for b in d.blocks]
    assert blocks == [
        ("heading", "blockquote", "Key insight: tune once"),
        ("paragraph", "blockquote", "The line ran 4% faster."),
        ("paragraph", "root", "After."),
    ]
    assert "The line ran 4% faster." in d.prose  # an indented block would have been blanked


# --- first person where it hides, and where it does not exist ----------------------------------


def test_first_person_is_found_in_html_block_text_and_footnotes(imagine):
    text = dedent(
        """\
        <h3>How do I start?</h3>
        <div class="note"><p>Click <b>Run</b>.</p></div>

        We measured it[^1].

        [^1]: My own numbers, from one plant.
        """
    )
    assert hits(text, imagine, "first_person_singular") == [("I", 1), ("My", 6)]


def test_html_markup_script_and_style_are_not_prose(imagine):
    text = dedent(
        """\
        <div onclick="alert('hi!')">Fine.</div>
        <script>if (!ok) { throw new Error("I failed!") }</script>
        <style>a::before { content: "!" }</style>
        """
    )
    assert hits(text, imagine, "exclamation") == []
    assert hits(text, imagine, "first_person_singular") == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Each user id is unique.",
        "Store the id, not the name.",
        "Plants rebuilt after World War I.",
        "Part I covers the radio layer.",
        "A Type I error rejects a true null.",
        "The I-beam carries the crane.",
        "Take I-95 north.",
        "The line stopped under Richard I.",
    ],
)
def test_words_that_only_look_like_the_pronoun_i(imagine, sentence):
    assert hits(sentence + "\n", imagine, "first_person_singular") == []


@pytest.mark.parametrize(
    "sentence, found",
    [
        ("Then I left the plant.", "I"),
        ("Bob and I left.", "I"),
        ("It was Mary and I.", "I"),
        ("Id say no.", "I"),  # "I'd" without the apostrophe is still the pronoun
        ("So, i think it works.", "i"),
    ],
)
def test_the_pronoun_i_is_still_found(imagine, sentence, found):
    assert hits(sentence + "\n", imagine, "first_person_singular") == [(found, 1)]


def test_mdx_comments_heading_ids_and_expressions_are_not_prose(imagine, tmp_path):
    text = dedent(
        """\
        import Tabs from '@theme/Tabs';

        ## Do we need a framework? {/*do-i-need-a-framework*/}

        ## Setup {#i-setup}

        Run it on {props.i} lines{/* I wrote this! */}.
        """
    )
    mdx = Draft(text, path=str(tmp_path / "page.mdx"))
    assert "framework*/" not in mdx.prose and "props" not in mdx.prose and "import" not in mdx.prose
    assert "Run it on" in mdx.prose
    assert hits(text, imagine, "first_person_singular") == []
    # In a plain .md file, braces in prose stay prose: only MDX gives them a meaning.
    assert "{props.i}" in Draft(text, path="page.md").prose


def test_liquid_and_hugo_tags_are_not_prose(imagine):
    text = dedent(
        """\
        {% include callout.html text="I love it!" %}

        {{< figure src="line.png" caption="Wow!" >}}

        {{% notice %}}Plain words.{{% /notice %}} and {{ page.title }}!
        """
    )
    assert hits(text, imagine, "exclamation") == [("!", 5)]
    assert hits(text, imagine, "first_person_singular") == []


# --- what entities and look-alikes stand for ------------------------------------------------


@pytest.mark.parametrize("dash", ["&mdash;", "&#8212;", "&#x2014;", "―", "⸺"])
def test_an_em_dash_written_as_an_entity_or_a_look_alike_counts(imagine, dash):
    assert hits(f"Fast {dash} and cheap.\n", imagine, "em_dash") == [("—", 1)]


@pytest.mark.parametrize("bang", ["！", "‼", "&excl;", "&#33;"])
def test_an_exclamation_written_as_a_look_alike_or_an_entity_counts(imagine, bang):
    assert hits(f"Fast{bang} And cheap.\n", imagine, "exclamation") == [("!", 1)]


def test_entities_keep_offsets_so_later_hits_keep_their_lines(imagine):
    text = "A &mdash; B &amp; C\n\nThen — again.\n"
    assert hits(text, imagine, "em_dash") == [("—", 1), ("—", 3)]
    assert len(Draft(text).prose) == len(text)


@pytest.mark.parametrize(
    "text, term",
    [
        ("A cutting\u2011edge line.", "cutting-edge"),  # non-breaking hyphen
        ("A cutting\u2010edge line.", "cutting-edge"),  # Unicode hyphen
        ("This will revolutionise the plant.", "revolutionise"),
        ("It revolutionised maintenance.", "revolutionised"),
        ("Ｌｅｖｅｒａｇｅ the data.", "leverage"),  # full-width letters
    ],
)
def test_banned_terms_behind_look_alikes_and_british_spelling(imagine, text, term):
    assert [t.lower() for t, _ in hits(text + "\n", imagine, "banned_terms")] == [term]


# --- the lead ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "before",
    [
        "[![build](https://ci.example/b.svg)](https://ci.example) [![pypi](https://x/p.svg)](https://x)",
        "*By Ana Ruiz · March 3, 2025 · 5 min read*",
        "Posted on 2025-03-01 by the platform team",
        "Author: Ana Ruiz",
        "{% include toc.html %}",
        "{{< youtube id=abc >}}",
        "2025-03-01",
    ],
)
def test_the_lead_is_not_a_badge_row_byline_or_template_tag(before):
    d = Draft(f"# Title\n\n{before}\n\nThe plant ran hot. But here's what changes.\n")
    assert d.lead is not None and d.lead.content.startswith("The plant ran hot")


@pytest.mark.parametrize(
    "lead", ["By now the line runs itself.", "Updated plans show the line runs.", "Date night."]
)
def test_a_lead_that_starts_like_a_byline_is_still_the_lead(lead):
    assert Draft(f"# Title\n\n{lead}\n\nMore.\n").lead.content == lead


# --- a folder of documents ----------------------------------------------------------------------


def test_one_unreadable_file_in_a_folder_costs_only_its_own_score(tmp_path: Path):
    docs = tmp_path / "docs"
    (docs / "guide").mkdir(parents=True)
    (docs / "a.md").write_text("# A\n\nWe ship it.\n")
    (docs / "guide" / "b.mdx").write_text("# B\n\nWe ship it! {props.x}\n")
    (docs / "c.markdown").write_text("# C\n\nWe ship it.\n")
    (docs / "latin1.md").write_bytes("# Café\n\nDéjà vu.\n".encode("latin-1"))
    (docs / ".hidden").mkdir()
    (docs / ".hidden" / "x.md").write_text("# X\n\nI am hidden!\n")
    (docs / "node_modules").mkdir()
    (docs / "node_modules" / "y.md").write_text("# Y\n\nI am vendored!\n")
    r = CliRunner().invoke(app, ["score", str(docs), "--no-judge", "--json"])
    assert r.exit_code == 2, r.output
    scored = {Path(json.loads(line)["path"]).name for line in r.stdout.splitlines()}
    assert scored == {"a.md", "b.mdx", "c.markdown"}
    assert "latin1.md" in r.stderr and "UTF-8" in r.stderr
    assert "1 of 4 files could not be scored" in " ".join(r.stderr.split())
