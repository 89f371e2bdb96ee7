"""Rubric loading: both shipped rubrics are valid; bad ones name the file, line and field."""

from pathlib import Path

import pytest
from conftest import ROOT

from contentloop import ContentloopError, load_rubric

IMAGINE = (ROOT / "rubrics" / "imagine.yaml").read_text()


def test_default_rubric_matches_design(imagine):
    checks = {c.id: c for c in imagine.binary.checks}
    assert imagine.binary.max_points == 40 and imagine.judge.max_points == 60
    assert checks["em_dash"].deduction == 5 and checks["em_dash"].per == "document"
    assert checks["exclamation"].deduction == 4
    assert checks["banned_terms"].deduction == 3 and checks["banned_terms"].per == "occurrence"
    assert len(checks["banned_terms"].terms) == 15
    assert all(checks["banned_terms"].terms.values()), "every hype term has replacements"
    assert checks["first_person_singular"].deduction == 5
    assert checks["lead_pivot"].deduction == 4
    required = [c for c in imagine.binary.checks if c.type == "required_element"]
    assert len(required) == 3 and all(c.deduction == 3 for c in required)
    assert [c.name for c in imagine.judge.criteria] == [
        "voice_adherence",
        "lead_quality",
        "abundance_framing",
        "anti_hype_compliance",
        "concrete_specificity",
        "structural_flow",
    ]


def test_second_rubric_uses_other_checks(techdocs, imagine):
    assert techdocs.name != imagine.name
    assert {c.type for c in techdocs.binary.checks} >= {
        "readability",
        "pattern",
        "required_element",
    }
    shared = {c.id for c in techdocs.binary.checks} & {c.id for c in imagine.binary.checks}
    assert shared == {"evaluator_address", "repetition"}, (
        "only the anti-gaming and anti-loop checks are common to both"
    )


def test_rubric_by_name_and_hash(imagine):
    again = load_rubric("imagine")
    assert again.sha256 == imagine.sha256 and len(again.sha256) == 64


def _load(tmp_path: Path, text: str) -> ContentloopError:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ContentloopError) as info:
        load_rubric(p)
    return info.value


def test_malformed_yaml_names_file_and_line(tmp_path):
    e = _load(tmp_path, IMAGINE.replace("  max_points: 40\n", "  max_points: 40\n   bad: [\n", 1))
    assert e.path.endswith("bad.yaml") and e.line is not None
    assert "not valid YAML" in str(e)


def test_unknown_check_type(tmp_path):
    text = IMAGINE.replace("type: pronoun", "type: pronouns")
    e = _load(tmp_path, text)
    line = text.splitlines().index("    - id: first_person_singular") + 1
    assert e.line == line
    assert e.field == "binary.checks[3]"
    assert "unknown check type 'pronouns'" in str(e) and "banned_terms" in str(e)


def test_wrong_field_type(tmp_path):
    text = IMAGINE.replace("deduction: 4\n", "deduction: four\n", 1)
    e = _load(tmp_path, text)
    assert e.field == "binary.checks[1].deduction"
    assert e.line == text.splitlines().index("      deduction: four") + 1


def test_unknown_key_is_an_error(tmp_path):
    e = _load(
        tmp_path,
        IMAGINE.replace("      per: document\n", "      per: document\n      deductoin: 3\n", 1),
    )
    assert e.field == "binary.checks[0].deductoin" and "unknown key" in str(e)


def test_missing_field_is_named(tmp_path):
    e = _load(tmp_path, IMAGINE.replace("      label: key insight box\n", "", 1))
    assert e.field is not None and e.field.endswith(".label") and "required" in str(e).lower()


def test_invalid_regex(tmp_path):
    e = _load(tmp_path, IMAGINE.replace('"^what if\\\\b"', '"^what (if"'))
    assert "invalid regular expression" in str(e) and e.field.startswith("binary.checks[4]")


def test_empty_banned_list(tmp_path):
    start = IMAGINE.index("      terms:\n")
    end = IMAGINE.index("    - id: first_person_singular")
    e = _load(tmp_path, IMAGINE[:start] + "      terms: {}\n\n" + IMAGINE[end:])
    assert e.field == "binary.checks[2].terms"


def test_duplicate_check_ids(tmp_path):
    e = _load(tmp_path, IMAGINE.replace("id: exclamation", "id: em_dash"))
    assert "unique" in str(e)


def test_missing_rubric_file_and_unknown_name(tmp_path):
    with pytest.raises(ContentloopError, match="no such rubric"):
        load_rubric(tmp_path / "nope.yaml")
    with pytest.raises(ContentloopError, match="no rubric named 'nope'.*imagine"):
        load_rubric("nope")


def test_top_level_must_be_a_mapping(tmp_path):
    e = _load(tmp_path, "- just\n- a list\n")
    assert "mapping" in str(e)
