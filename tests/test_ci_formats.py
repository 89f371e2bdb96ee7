"""`score --format sarif|rdjsonl|github`: findings where CI systems show them, at the line
and column of the file, with unreadable files reported as errors and exit codes that CI
can act on."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contentloop.cli import app
from contentloop.report.ci_formats import _escape

DRAFT = "# Title\n\nWe leverage it — fast!\n"  # banned term at col 4, em dash 16, bang 22

# The properties SARIF 2.1.0's schema allows on each object we write (it sets
# additionalProperties: false on all of them), and the ones it requires.
ALLOWED = {
    "log": {"version", "$schema", "runs", "inlineExternalProperties", "properties"},
    "driver": {"name", "version", "informationUri", "rules", "semanticVersion", "fullName"},
    "rule": {"id", "name", "shortDescription", "fullDescription", "help", "helpUri"}
    | {"defaultConfiguration", "properties", "messageStrings", "guid"},
    "result": {"ruleId", "ruleIndex", "level", "message", "locations", "kind", "properties"},
    "region": {"startLine", "startColumn", "endLine", "endColumn", "snippet"},
    "invocation": {"executionSuccessful", "toolExecutionNotifications", "exitCode"},
    "notification": {"level", "message", "locations", "descriptor"},
}


def run(tmp_path: Path, *args: str, files: dict[str, bytes] | None = None):
    for name, data in (files or {"post.md": DRAFT.encode()}).items():
        (tmp_path / name).write_bytes(data)
    return CliRunner().invoke(
        app, ["score", str(tmp_path), "--no-judge", *args], catch_exceptions=False
    )


def test_sarif_is_a_valid_log_with_one_result_per_finding_at_its_line_and_column(tmp_path):
    r = run(tmp_path, "--format", "sarif")
    assert r.exit_code == 0, r.output
    log = json.loads(r.stdout)
    assert set(log) <= ALLOWED["log"] and log["version"] == "2.1.0"
    (the_run,) = log["runs"]
    driver = the_run["tool"]["driver"]
    assert set(driver) <= ALLOWED["driver"] and driver["name"] == "contentloop"
    rules = driver["rules"]
    assert all(set(rule) <= ALLOWED["rule"] for rule in rules)
    located = {}
    for res in the_run["results"]:
        assert set(res) <= ALLOWED["result"] and res["message"]["text"]
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        (loc,) = res["locations"]
        assert loc["physicalLocation"]["artifactLocation"]["uri"].startswith("file:///")
        region = loc["physicalLocation"].get("region")
        if region:
            assert set(region) <= ALLOWED["region"]
            located[res["ruleId"]] = (region["startLine"], region.get("startColumn"))
    assert located["banned_terms"] == (3, 4)
    assert located["em_dash"] == (3, 16)
    assert located["exclamation"] == (3, 22)
    # A missing section has no line: it is reported on the file, without a region.
    unlocated = [r for r in the_run["results"] if r["ruleId"] == "call_to_action"]
    assert unlocated and "region" not in unlocated[0]["locations"][0]["physicalLocation"]
    (invocation,) = the_run["invocations"]
    assert set(invocation) <= ALLOWED["invocation"] and invocation["executionSuccessful"]


def test_an_unreadable_file_is_a_sarif_error_notification_and_exit_2(tmp_path):
    files = {"post.md": DRAFT.encode(), "latin.md": "Café.\n".encode("latin-1")}
    r = run(tmp_path, "--format", "sarif", files=files)
    assert r.exit_code == 2
    (the_run,) = json.loads(r.stdout)["runs"]
    (invocation,) = the_run["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert set(note) <= ALLOWED["notification"] and note["level"] == "error"
    assert "UTF-8" in note["message"]["text"]
    uri = note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("/latin.md")
    assert {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in the_run["results"]
    } == {(tmp_path / "post.md").as_uri()}


def test_rdjsonl_lines_are_reviewdog_diagnostics(tmp_path):
    r = run(tmp_path, "--format", "rdjsonl")
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    by_code = {d["code"]["value"]: d for d in lines}
    dash = by_code["em_dash"]
    assert dash["location"]["path"] == str(tmp_path / "post.md")
    assert dash["location"]["range"]["start"] == {"line": 3, "column": 16}
    assert dash["severity"] == "WARNING" and dash["source"]["name"] == "contentloop"
    assert "Fix:" in dash["message"]
    assert "try: use, apply, build on" in by_code["banned_terms"]["message"]


def test_github_annotations_escape_what_would_end_a_property_or_the_message(tmp_path):
    odd = tmp_path / "odd"
    odd.mkdir()
    r = run(odd, "--format", "github", files={"a,b:c.md": DRAFT.encode()})
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert all(line.startswith("::warning ") for line in lines)
    dash = next(line for line in lines if "em_dash" in line.split("::")[1])
    props, message = dash[len("::warning ") :].split("::", 1)
    fields = dict(kv.split("=", 1) for kv in props.split(","))
    assert fields["file"].endswith("a%2Cb%3Ac.md")
    assert (fields["line"], fields["col"]) == ("3", "16")
    assert "\n" not in message and "em dash" in message


def test_github_annotation_message_escapes_percent_and_line_breaks(tmp_path):
    rubric = tmp_path / "r.yaml"
    base = (Path(__file__).parents[1] / "rubrics" / "imagine.yaml").read_text()
    rubric.write_text(
        base.replace("fix: End the sentence", "fix: 100% of the time, end the sentence")
    )
    (tmp_path / "d").mkdir()
    r = run(tmp_path / "d", "--format", "github", "--rubric", str(rubric))
    bang = next(line for line in r.stdout.splitlines() if "exclamation" in line)
    assert "100%25 of the time" in bang
    assert _escape("a\r\nb%", prop=False) == "a%0D%0Ab%25"


@pytest.mark.parametrize(
    "args, code",
    [([], 0), (["--fail-under", "40"], 1), (["--fail-under", "0"], 0)],
)
def test_exit_codes_for_ci(tmp_path, args, code):
    assert run(tmp_path, "--format", "github", *args).exit_code == code


def test_json_flag_and_json_format_print_the_same(tmp_path):
    a = run(tmp_path, "--json").stdout
    b = run(tmp_path, "--format", "json").stdout
    assert a == b and json.loads(a.splitlines()[0])["binary"]["violations"]
