"""report, diff, runs and rubric check --sample, built from run folders that the real write and
optimize code produced (scripted models over the OpenAI wire), checked against their ledgers."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from helpers import BAD, GOOD, WORSE
from typer.testing import CliRunner

from contentloop.cli import app
from contentloop.report import DRAFT_VIEWS, OPTIMIZE_VIEWS, build_report


class Page(HTMLParser):
    """Collects what the tests look at: charts by view, plotted points, sections, scripts."""

    def __init__(self):
        super().__init__()
        self.views: list[str] = []
        self.points: list[dict[str, str]] = []
        self.bands: list[str] = []
        self.sections: list[str] = []
        self.tags: list[str] = []
        self.external: list[str] = []
        self._view = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "svg" and "data-view" in a:
            self.views.append(a["data-view"])
            self._view = a["data-view"]
        if "data-y" in a:
            self.points.append({**a, "view": self._view})
        if "data-band" in a:
            self.bands.append(a["data-band"])
        if tag == "section":
            self.sections.append(a["id"])
        for key in ("src", "href"):
            if a.get(key, "").startswith(("http", "//")):
                self.external.append(a[key])


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def points(page: Page, view: str, series: str | None = None) -> list[tuple[float, float]]:
    return [
        (float(p.get("data-x", "nan")), float(p["data-y"]))
        for p in page.points
        if p["view"] == view and (series is None or p["data-series"] == series)
    ]


def test_draft_report_numbers_match_the_run_folder(draft_run):
    views, html = build_report(draft_run)
    run = json.loads((draft_run / "run.json").read_text())
    cards = [json.loads((draft_run / f"v{n}.score.json").read_text()) for n in range(3)]
    assert [c["total"] for c in views["score_per_cycle"]] == [c["total"] for c in cards]
    assert [c["kept"] for c in views["score_per_cycle"]] == [v["kept"] for v in run["versions"]]
    assert views["best_version"] == run["best_version"] == 2
    page = parse(html)
    assert sorted(page.views) == sorted(DRAFT_VIEWS), "one chart per promised view"
    assert page.sections == list(DRAFT_VIEWS)
    assert "script" not in page.tags and not page.external, "self-contained"
    totals = points(page, "score_per_cycle", "total")
    assert totals == [(float(n), cards[n]["total"]) for n in range(3)]
    # The banned term in v0 was fixed by the best version; v1's extra violations never kept.
    fixed = {(x["check"], x["text"]) for x in views["violations"]["disappeared"]}
    assert ("banned_terms", "leverage") in fixed
    assert views["violations"]["appeared"] == []
    assert views["asked"][0]["violations"] and views["asked"][0]["criteria"]
    assert any(
        line.startswith("+") and "But here's the shift" in line for line in views["text_diff"]
    )
    deductions = {v["check"]: -v["deduction"] for v in cards[0]["binary"]["violations"]}
    for check, row in views["checks_and_criteria"]["checks"].items():
        assert row[0] == deductions.get(check, 0.0)


def test_report_cli_terminal_json_and_html(draft_run, tmp_path):
    out = tmp_path / "r.html"
    r = CliRunner().invoke(app, ["report", str(draft_run), "--html", str(out)])
    assert r.exit_code == 0, r.output
    assert "score per version" in r.stdout and "first version → best" in r.stdout
    scale = json.loads(CliRunner().invoke(app, ["report", str(draft_run), "--json"]).stdout)["max"]
    assert f"total /{scale:g}" in r.stdout and f"<small>/{scale:g}</small>" in out.read_text()
    assert parse(out.read_text()).views
    j = CliRunner().invoke(app, ["report", str(draft_run), "--json"])
    assert json.loads(j.stdout)["kind"] == "draft"
    bad = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert bad.exit_code == 2 and "contentloop runs" in " ".join(bad.stderr.split())


def test_optimize_report_numbers_match_the_ledgers(optimize_run):
    views, html = build_report(optimize_run)
    records = [json.loads(x) for x in (optimize_run / "experiments.jsonl").read_text().splitlines()]
    exps = [r for r in records if r["kind"] == "experiment"]
    assert [r["status"] for r in exps] == ["keep", "explore", "crash", "explore"]
    page = parse(html)
    assert sorted(page.views) == sorted(OPTIMIZE_VIEWS), "one chart per promised view"
    assert "script" not in page.tags and not page.external
    plotted = {
        int(p["data-x"]): (float(p["data-y"]), p["data-kind"])
        for p in page.points
        if p["view"] == "score_per_experiment" and p["data-series"] == "experiments"
    }
    for r in exps:
        kind = plotted[r["experiment"]][1]
        assert kind == r["status"], "each status has its own mark"
        if r["metrics"]:
            assert plotted[r["experiment"]][0] == pytest.approx(r["metrics"]["mean"])
    base = [r for r in records if r["kind"] == "baseline"]
    mean = base[0]["metrics"]["mean"]
    band_width = base[0]["band"]  # the smallest gain one experiment detects
    (band,) = page.bands
    lo, hi = map(float, band.split(","))
    assert (lo, hi) == pytest.approx((mean - band_width, mean + band_width))
    best = points(page, "score_per_experiment", "best so far")
    assert best[-1][1] == pytest.approx(exps[-1]["metrics"]["mean"])
    # The headline: the gain confirmed on fresh drafts, on training and held-out topics.
    (confirm,) = [r for r in records if r["kind"] == "confirm"]
    assert views["confirmed_gain"] == confirm["gain"] and views["verdict"]
    assert views["holdout_gain"] == confirm["holdout_gain"]
    assert f"{confirm['gain']['mean']:+.2f}" in html and 'data-view="holdout_gain"' in html
    assert html.index("confirmed gain") < html.index("best (in loop)")
    assert len(views["kept_changes"]) == 3 and all(k["diff"] for k in views["kept_changes"])
    tried = {s["section"]: s["tried"] for s in views["sections_explored"]}
    assert tried == {"voice": 1, "examples": 1, "final_check": 1}
    cost = views["cost_time"]
    # Wall time is the whole run's, from its end record (what the ledger rows add up to, plus
    # the time between them): a run that fails in its baseline has no rows but took time.
    end = json.loads((optimize_run / "run.json").read_text())["end"]
    logged = sum(r["wall_time_s"] for r in records)
    assert cost["total_seconds"] == end["seconds"] >= logged - 0.1
    assert [c["seconds"] for c in cost["per_experiment"]] == [r["wall_time_s"] for r in records]
    trends = views["criteria_trends"]
    assert set(trends) == set(base[0]["metrics"]["per_criterion"])
    calls = (optimize_run / "calls.jsonl").read_text().splitlines()
    assert cost["calls"] == len(calls) > 0
    # A call-cache hit is in the ledger but is not a model call, as in the run's own summary.
    hit = {**json.loads(calls[0]), "cached": True}
    (optimize_run / "calls.jsonl").write_text("\n".join([*calls, json.dumps(hit)]) + "\n")
    assert build_report(optimize_run)[0]["cost_time"]["calls"] == len(calls)
    r = CliRunner().invoke(app, ["report", str(optimize_run)])
    assert r.exit_code == 0 and "kept changes" in r.stdout and "explore" in r.stdout


def test_diff_two_cards_and_two_drafts(draft_run, tmp_path):
    a, b = draft_run / "v0.score.json", draft_run / "v2.score.json"
    r = CliRunner().invoke(app, ["diff", str(a), str(b), "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    ca, cb = json.loads(a.read_text()), json.loads(b.read_text())
    assert d["total"]["delta"] == pytest.approx(cb["total"] - ca["total"])
    by_name = {c["name"]: c["delta"] for c in d["criteria"]}
    for c in ca["judge"]["criteria"]:
        (after,) = [x["score"] for x in cb["judge"]["criteria"] if x["name"] == c["name"]]
        assert by_name[c["name"]] == pytest.approx(after - c["score"])
    assert {"banned_terms", "leverage"} <= {
        v for x in d["disappeared"] for v in (x["check"], x["text"])
    }
    (tmp_path / "old.md").write_text(GOOD)
    (tmp_path / "new.md").write_text(WORSE)
    r = CliRunner().invoke(app, ["diff", str(tmp_path / "old.md"), str(tmp_path / "new.md")])
    assert r.exit_code == 0, r.output
    assert "introduced" in r.stdout and "synergy" in r.stdout
    bad = CliRunner().invoke(app, ["diff", str(draft_run / "run.json"), str(b)])
    assert bad.exit_code == 2 and "not a score card" in bad.stderr


def test_runs_lists_write_and_optimize_runs_with_their_scores(draft_run, optimize_run):
    drafts_root = draft_run.parent.parent
    r = CliRunner().invoke(
        app,
        ["runs", "--drafts", str(drafts_root), "--runs", str(optimize_run.parent), "--json"],
    )
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert {row["kind"] for row in rows} == {"write", "optimize"}
    (w,) = [row for row in rows if row["kind"] == "write"]
    assert w["best"] == json.loads((draft_run / "run.json").read_text())["final_total"]
    (o,) = [row for row in rows if row["kind"] == "optimize"]
    summary = json.loads((optimize_run / "summary.json").read_text())
    assert o["best"] == pytest.approx(summary["best"]) and o["first"] == pytest.approx(
        summary["baseline"]
    )
    table = CliRunner().invoke(
        app, ["runs", "--drafts", str(drafts_root), "--runs", str(optimize_run.parent)]
    )
    assert "optimize" in table.stdout and "write" in table.stdout


def test_runs_lists_real_run_folders_only_never_what_a_run_holds(optimize_run):
    """Issue 37: `runs` read a test fixture inside a run's own git worktree as a run of its
    own. Nothing inside a run folder is searched for runs."""
    import shutil

    phantom = optimize_run / "worktree" / "tests" / "data" / "schema1-run"
    phantom.mkdir(parents=True, exist_ok=True)
    for name in ("experiments.jsonl", "run.json"):
        shutil.copy(optimize_run / name, phantom / name)
    stray = optimize_run / "kept" / "old-run"  # any folder a run owns
    stray.mkdir(parents=True, exist_ok=True)
    shutil.copy(optimize_run / "run.json", stray / "run.json")
    r = CliRunner().invoke(app, ["runs", "--runs", str(optimize_run.parent), "--json"])
    assert r.exit_code == 0, r.output
    folders = [json.loads(x)["folder"] for x in r.stdout.splitlines()]
    assert folders == [str(optimize_run)]


def test_rubric_check_with_a_sample_shows_what_each_check_catches(tmp_path):
    sample = tmp_path / "s.md"
    sample.write_text(BAD)
    r = CliRunner().invoke(app, ["rubric", "check", "imagine", "--sample", str(sample), "--json"])
    assert r.exit_code == 0, r.output
    card = json.loads(r.stdout)["sample"]
    caught = {v["check"] for v in card["binary"]["violations"]}
    assert {"banned_terms", "exclamation"} <= caught
    r = CliRunner().invoke(app, ["rubric", "check", "imagine", "--sample", str(sample)])
    assert "leverage" in r.stdout and "FAIL" in r.stdout


def test_a_run_made_before_the_sequential_gate_still_reads(tmp_path):
    """tests/data/schema1-run was written by the previous release's optimize-skill (two
    baseline rows, a noise floor, no stages). report and runs read it as it is; resume says
    why it cannot continue it."""
    import shutil

    from conftest import ROOT

    runs = tmp_path / "runs"
    shutil.copytree(ROOT / "tests" / "data" / "schema1-run", runs / "old")
    views, html = build_report(runs / "old")
    assert (views["baseline"], views["best"], views["noise"]) == (59.0, 94.0, 0.0)
    assert [p["status"] for p in views["score_per_experiment"]["points"]] == ["keep", "keep"]
    assert views["verdict"] is None and views["confirmed_gain"] is None
    assert "noise floor" in html and "confirmed gain" not in html
    r = CliRunner().invoke(app, ["report", str(runs / "old")])
    assert r.exit_code == 0 and "pivot rule" in r.stdout, r.output
    (tmp_path / "drafts").mkdir()
    r = CliRunner().invoke(
        app, ["runs", "--runs", str(runs), "--drafts", str(tmp_path / "drafts"), "--json"]
    )
    (row,) = [json.loads(line) for line in r.stdout.splitlines()]
    assert (row["first"], row["best"]) == (59.0, 94.0)
    r = CliRunner().invoke(app, ["optimize-skill", "--runs", str(runs), "--resume", "old"])
    assert r.exit_code == 2 and "before the sequential gate" in r.stderr


def test_bar_chart_draws_negative_values_left_of_a_zero_line():
    import re

    from contentloop.report.svg import bar_chart

    svg = bar_chart("v", "gain per section", [("voice", 3.0), ("examples", -1.5), ("lead", None)])
    rects = {
        m["label"]: (float(m["x"]), float(m["w"]))
        for m in re.finditer(
            r'<rect x="(?P<x>[\d.]+)" y="[\d.]+" width="(?P<w>[\d.]+)"[^>]*data-series="(?P<label>\w+)"',
            svg,
        )
    }
    (zero,) = {float(x) for x in re.findall(r'<line x1="([\d.]+)" x2="\1"', svg)}
    voice, examples = rects["voice"], rects["examples"]
    assert voice[0] == zero and examples[0] + examples[1] == pytest.approx(zero, abs=0.1)
    assert voice[1] == pytest.approx(2 * examples[1], rel=0.01)  # lengths keep proportion
    assert "lead" not in rects and "n/a" in svg
    # All positive: no zero line, bars start at the left edge.
    plain = bar_chart("v", "t", [("a", 1.0), ("b", 2.0)])
    assert "<line" not in plain


def test_diff_calls_a_check_that_fails_in_both_still_failing_not_fixed_and_introduced(tmp_path):
    """Issue 21: a rewritten lead that still has no pivot was listed as both fixed and
    introduced."""
    (tmp_path / "a.md").write_text("The first lead, with no turn in it.\n\nMore text here.\n")
    (tmp_path / "b.md").write_text("Another lead, still with no turn.\n\nMore text here.\n")
    r = CliRunner().invoke(app, ["diff", str(tmp_path / "a.md"), str(tmp_path / "b.md"), "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert "lead_pivot" not in {x["check"] for x in d["disappeared"] + d["appeared"]}
    (still,) = [x for x in d["still_failing"] if x["check"] == "lead_pivot"]
    assert "first lead" in still["before"] and "another lead" in still["after"]
    text = CliRunner().invoke(app, ["diff", str(tmp_path / "a.md"), str(tmp_path / "b.md")])
    assert "still failing lead_pivot" in text.stdout and "fixed      lead_pivot" not in text.stdout


def test_schema_1_records_are_upgraded_once_and_read_as_typed_records(tmp_path):
    """Upgrade 1 (optimize/records.py) gives schema-1 lines the kind their number says and
    the best a keep made; the report then reads one kind of record, and a discarded try does
    not move the best."""
    from contentloop.errors import ContentloopError
    from contentloop.report.data import load_run

    def line(n, commit, status, mean):
        return {
            "experiment": n, "commit": commit, "timestamp": f"2026-11-23T16:15:0{n}+00:00",
            "status": status, "description": f"try {n}", "noise": 1.5, "wall_time_s": 1.0,
            "tokens": {}, "cost_usd": None, "metrics": {"mean": mean},
        }  # fmt: skip

    run = tmp_path / "old"
    run.mkdir()
    rows = [
        line(0, "c0", "keep", 50.0),
        line(0, "c0", "keep", 52.0),
        line(1, "c1", "keep", 60.0),
        line(2, "c2", "discard", 40.0),
    ]
    (run / "experiments.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    loaded = load_run(run)
    assert [r.kind for r in loaded.records] == ["baseline", "baseline", "experiment", "experiment"]
    assert [r.best_commit for r in loaded.records] == ["c0", "c0", "c1", "c1"]
    assert loaded.best_so_far() == [(0, 51.0), (1, 60.0), (2, 60.0)]
    assert loaded.noise == 1.5  # the schema-1 gate's noise floor, drawn as the band
    rows[3]["status"] = "maybe"
    (run / "experiments.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ContentloopError, match="record 4 field status"):
        load_run(run)


def test_report_shows_the_scale_beside_the_scores_when_the_judge_was_not_measured(tmp_path):
    """Issue 37: scores without their scale. A run on the rule checks alone is out of 40."""
    import shutil

    from conftest import ROOT

    run = tmp_path / "runs" / "old"
    shutil.copytree(ROOT / "tests" / "data" / "schema1-run", run)
    summary = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**summary, "score_max": 40.0}))
    meta = json.loads((run / "run.json").read_text())
    meta["judge"] = {**(meta.get("judge") or {}), "not_measured": "the demo model"}
    (run / "run.json").write_text(json.dumps(meta))
    views, html = build_report(run)
    assert views["max"] == 40.0
    assert "59<small>/40</small>" in html and "judge not measured" in html
    r = CliRunner().invoke(app, ["report", str(run)])
    assert "baseline 59.00/40 -> best 94.00/40" in " ".join(r.stdout.split())
