"""Markdown awareness: checks see prose only, and offsets stay offsets in the source."""

import pytest

from contentloop.checks import Draft


def test_prose_keeps_length_and_line_breaks():
    src = "---\ntitle: x!\n---\n\nHello `code!` world.\n\n```\nprint('hi!')\n```\n"
    d = Draft(src)
    assert len(d.prose) == len(src)
    assert d.prose.count("\n") == src.count("\n")


def test_front_matter_code_urls_comments_are_blanked():
    src = (
        "---\ntitle: Leverage!\n---\n"
        "Text with `inline!` code, a link [docs](https://x.io/a!b) and https://y.io/c!d.\n"
        "<!-- hidden! -->\n\n"
        "    indented code!\n\n"
        "~~~\nfenced!\n~~~\n"
        "![diagram](img.png) <b>bold</b> <https://z.io/q!>\n"
    )
    d = Draft(src)
    assert "!" not in d.prose
    assert "Text with" in d.prose and "docs" in d.prose
    for gone in ("Leverage", "inline", "https", "hidden", "indented", "fenced", "img.png", "<b>"):
        assert gone not in d.prose, gone


def test_line_numbers_refer_to_the_original_file():
    src = "---\na: 1\n---\n# Title\n\nFirst line.\nSecond line here.\n"
    d = Draft(src)
    offset = src.index("Second")
    assert d.line_of(offset) == 7
    assert d.line_text(7) == "Second line here."


def test_lead_skips_headings_images_and_front_matter():
    src = (
        "---\nt: 1\n---\n# Title\n\n![hero](h.png)\n\nThe real lead.\nStill lead.\n\nSecond para.\n"
    )
    lead = Draft(src).lead
    assert lead is not None
    assert lead.content == "The real lead.\nStill lead."
    assert lead.line == 8


def test_quote_and_list_paragraphs_are_not_the_lead():
    d = Draft("> quoted first\n\n- a list item\n\nPlain paragraph.\n")
    assert d.lead is not None and d.lead.content == "Plain paragraph."
    kinds = [(b.kind, b.container) for b in d.blocks]
    assert kinds == [("paragraph", "blockquote"), ("paragraph", "list"), ("paragraph", "root")]


def test_unclosed_front_matter_is_prose():
    d = Draft("---\nnot front matter, just a rule above\n")
    assert "not front matter" in d.prose


def test_spacy_parses_only_the_chunks_a_check_can_find_something_in():
    from contentloop import load_rubric
    from contentloop.scoring import score_drafts

    d = Draft(
        "# Title\n\nThat is not a radio problem. It is a planning problem.\n\n"
        "The cells report every shift.\n\nThe plan was my idea.\n\n"
        "Crews log faults at the line.\n"
    )
    (card,) = score_drafts([d], load_rubric("imagine"))
    # The lead (for its pivot) and the paragraph holding a pronoun; nothing else.
    assert sorted(d._docs) == [1, 3]
    assert [
        e.text for r in card.binary.results if r.id == "first_person_singular" for e in r.evidence
    ] == ["my"]


@pytest.mark.parametrize("sentence", ["Im sure the plan works.", "Ive seen the plan twice."])
def test_a_pronoun_the_tokenizer_cuts_out_of_a_word_is_still_a_candidate(sentence):
    from contentloop import load_rubric, score_text

    card = score_text(f"# Title\n\nA plain lead.\n\n{sentence}\n", load_rubric("imagine"))
    (r,) = [r for r in card.binary.results if r.id == "first_person_singular"]
    assert [e.text for e in r.evidence] == ["I"]  # "Im" is "I" + "m" to spaCy


def test_a_rubric_without_language_checks_never_imports_spacy(tmp_path):
    import subprocess
    import sys

    from helpers import LENIENT_RUBRIC

    (tmp_path / "r.yaml").write_text(LENIENT_RUBRIC, encoding="utf-8")
    (tmp_path / "d.md").write_text("# Title\n\nI leverage it!\n", encoding="utf-8")
    code = (
        "import sys; from pathlib import Path; from contentloop import load_rubric, score_files;"
        f"c = score_files([Path({str(tmp_path / 'd.md')!r})], load_rubric({str(tmp_path / 'r.yaml')!r}))[0];"
        "print(c.binary.score, 'spacy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["36.0", "False"]  # the "!" was found; spaCy was not needed


def test_sentence_starts_are_the_sentencizers_own():
    from pathlib import Path

    from contentloop.checks.chunks import sentence_starts
    from contentloop.checks.nlp import nlp

    root = Path(__file__).resolve().parent.parent
    texts = [p.read_text(encoding="utf-8") for p in sorted(root.glob("drafts/*.md"))]
    texts += [
        "Wait... what?! It works (mostly). “Quoted.” Next one ‼ And 3.5 ms. Done",
        "No mark at all",
        "?!",
        "",
    ]
    pipe = nlp().get_pipe("sentencizer")
    compared = 0
    for text in texts:
        doc = pipe(nlp().make_doc(text))
        assert sentence_starts(nlp().make_doc(text)) == [s.start_char for s in doc.sents]
        compared += len(list(doc.sents))
    assert compared > 50  # the example drafts and the edge cases above
