"""Issue 36, item 2: `contentloop rescore` judges saved drafts again into a folder beside them,
through the real OpenAI SDK and a loopback server, and compares the two judgments."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import verdict
from typer.testing import CliRunner

from contentloop.cli import app
from contentloop.rescore import _spearman, compare

DRAFT = "# Private 5G on the plant floor\n\nA plain lead with no pivot. {marks}\n"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def judge_by_marks(rubric):
    """A judge whose every criterion is 2 + the number of '*' marks in the draft: its verdict
    depends on the text, so the comparison has something to measure."""

    def reply(body: dict) -> str:
        text = body["messages"][-1]["content"]
        marks = len(re.findall(r"\bmark\b", text))
        return verdict(rubric, min(10, 2 + marks))

    return reply


def _write_run(folder: Path, old_judges: list[float]) -> Path:
    """A write run as writer.py leaves it: run.json, v<n>.md and v<n>.score.json."""
    folder.mkdir(parents=True)
    (folder / "run.json").write_text("{}")
    for n, old in enumerate(old_judges):
        (folder / f"v{n}.md").write_text(DRAFT.format(marks=" ".join(["mark"] * n)))
        card = {
            "total": 30 + old,
            "binary": {"score": 30, "max": 40, "violations": []},
            "judge": {"score": old, "criteria": [{"name": "lead_quality", "score": old / 6}]},
            "rubric": {"name": "imagine", "sha256": "before"},
        }
        (folder / f"v{n}.score.json").write_text(json.dumps(card))
    return folder


def _rescore(source: Path, url: str, *more: str):
    return invoke(
        "rescore",
        str(source),
        "--judge-backend",
        "openai",
        "--judge-base-url",
        url + "/v1",
        "--judge-model",
        "qwen2.5:7b",
        "--json",
        *more,
    )


def test_a_write_run_judged_again_beside_itself_and_compared(imagine, tmp_path):
    from contentloop.testing import OpenAIServer

    run = _write_run(tmp_path / "drafts" / "p5g" / "run1", [40.0, 30.0, 35.0])
    with OpenAIServer(judge_by_marks(imagine)) as server:
        r = _rescore(run, server.url, "--no-cache")
        assert r.exit_code == 0, r.output
        assert len(server.requests) == 3
    record = json.loads(r.stdout)
    folder = Path(record["folder"])
    assert folder == run.with_name("run1.rescore-imagine-qwen2.5-7b")
    # The new judge gives 6 x (2 + marks): v0 12, v1 18, v2 24; the old gave 40, 30, 35.
    news = [
        json.loads((folder / f"v{n}.score.json").read_text())["judge"]["score"] for n in range(3)
    ]
    assert news == [12, 18, 24]
    c = record["comparison"]
    assert c["drafts"] == 3
    assert c["mean_shift"] == pytest.approx(((12 - 40) + (18 - 30) + (24 - 35)) / 3, abs=1e-3)
    assert c["order_agreement"] == pytest.approx(1 / 3, abs=1e-3)  # v1<v2 kept; v0 pairs flip
    assert c["spearman"] == pytest.approx(-0.5)
    assert record["status"] == "done" and record["calls"] == 3 and record["kind"] == "write"
    assert not (run / "v0.score.json").read_text().count('"qwen'), "the old cards are untouched"
    # report reads the folder back; diff compares a draft's two cards.
    rep = invoke("report", str(folder), "--json")
    assert json.loads(rep.stdout)["comparison"] == c
    d = invoke("diff", str(run / "v0.score.json"), str(folder / "v0.score.json"), "--json")
    assert d.exit_code == 0, d.output


def test_the_same_command_again_resumes_and_asks_only_what_is_missing(imagine, tmp_path):
    from contentloop.testing import OpenAIServer

    run = _write_run(tmp_path / "run1", [40.0, 30.0, 35.0])
    with OpenAIServer(judge_by_marks(imagine)) as server:
        first = json.loads(_rescore(run, server.url, "--no-cache").stdout)
        folder = Path(first["folder"])
        (folder / "v1.score.json").unlink()  # as a kill would leave it
        second = _rescore(run, server.url, "--no-cache")
        assert second.exit_code == 0, second.output
        assert len(server.requests) == 3 + 1, "only v1 is asked again"
    assert json.loads(second.stdout)["comparison"] == first["comparison"]


def test_dry_run_prices_without_a_call(imagine, tmp_path):
    run = _write_run(tmp_path / "run1", [40.0, 30.0])
    r = invoke(
        "rescore", str(run), "--dry-run", "--json", "--judge-backend", "anthropic",
        "--judge-model", "claude-haiku-4-5", "-k", "3",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    planned = json.loads(r.stdout)
    assert planned["drafts"] == 2 and planned["judge_calls_max"] == 6
    assert planned["cost_usd_max"] > 0 and planned["kind"] == "write"
    assert not list(tmp_path.glob("*.rescore-*")), "a dry run writes nothing"


def test_an_optimize_runs_kept_samples_and_a_calibration_set(imagine, tmp_path):
    from contentloop.testing import OpenAIServer

    run = tmp_path / "runs" / "nov"
    (run / "samples" / "abc" / "p5g").mkdir(parents=True)
    rows = []
    for n in range(3):
        if n < 2:  # the third sample's text was not kept (an older run)
            (run / "samples" / "abc" / "p5g" / f"{n}.md").write_text(
                DRAFT.format(marks="mark " * n)
            )
        rows.append({"skill": "abc", "topic": "p5g", "sample": n, "total": 70.0 + n,
                     "judge": 40.0 + n, "criteria": {"lead_quality": 6.0}})  # fmt: skip
    (run / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cal = tmp_path / "calibration" / "imagine"
    (cal / "drafts").mkdir(parents=True)
    (cal / "calibration.yaml").write_text("rubric: imagine\n")
    (cal / "drafts" / "good.md").write_text(DRAFT.format(marks="mark"))
    with OpenAIServer(judge_by_marks(imagine)) as server:
        opt = json.loads(_rescore(run, server.url).stdout)
        calib = json.loads(_rescore(cal, server.url).stdout)
    assert opt["kind"] == "optimize" and opt["drafts"] == 2 and opt["without_text"] == 1
    assert [j["key"] for j in opt["judged"]] == ["samples/abc/p5g/0", "samples/abc/p5g/1"]
    assert opt["comparison"]["drafts"] == 2 and opt["comparison"]["order_agreement"] == 1.0
    assert calib["kind"] == "calibration" and calib["comparison"] is None
    assert calib["judged"][0]["old_judge"] is None and calib["judged"][0]["new_judge"] == 18


def test_bad_sources_and_the_unmeasured_demo_judge_exit_2(tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    missing = invoke("rescore", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "nowhere" in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = invoke("rescore", str(empty))
    assert r.exit_code == 2 and "no drafts" in r.stderr
    run = _write_run(tmp_path / "run1", [40.0])
    monkeypatch.chdir(tmp_path)
    demo = invoke("rescore", str(run))
    assert demo.exit_code == 2 and "--judge-backend" in demo.stderr
    assert not list(tmp_path.glob("*.rescore-*"))


def test_spearman_and_order_agreement_against_hand_counts():
    assert _spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert _spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert _spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.949, abs=1e-3)
    from contentloop.rescore import Judged

    judged = [
        Judged(key=k, old_total=None, new_total=0, old_judge=a, new_judge=b,
               old_criteria={}, new_criteria={})
        for k, a, b in [("a", 1, 1), ("b", 2, 3), ("c", 3, 2)]
    ]  # fmt: skip
    c = compare(judged)
    assert c is not None and c.order_agreement == pytest.approx(2 / 3, abs=1e-3)


def test_a_real_optimize_run_keeps_every_sample_text_and_a_write_run_every_version(
    optimize_run, draft_run
):
    """The run folders the engine writes are what rescore reads: no sample without its text."""
    from contentloop.optimize.ledger import read_jsonl
    from contentloop.rescore import find_items

    kind, items, without_text = find_items(optimize_run)
    samples = read_jsonl(optimize_run / "samples.jsonl")
    assert kind == "optimize" and without_text == 0 and len(items) == len(samples) > 0
    assert all(i.path.read_text().strip() and i.old is not None for i in items)
    kind, items, _ = find_items(draft_run)
    assert kind == "write" and [i.key for i in items] == ["v0", "v1", "v2"]
    assert all(i.old is not None and i.old["total"] is not None for i in items)
