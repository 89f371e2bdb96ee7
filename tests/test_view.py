"""Issue 36, item 1: `contentloop view`, read-only pages over the run folders.

The pages are fetched through Starlette's test client (in process, no socket), and once
through the real command on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from starlette.testclient import TestClient

from contentloop.viewer import make_app


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*") if p.is_file()
    }


def _links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="(/[^"]*)"', html)]


@pytest.fixture
def site(draft_run, optimize_run):
    drafts_root = draft_run.parent.parent
    return TestClient(make_app([drafts_root, optimize_run.parent])), draft_run, optimize_run


def test_every_page_loads_every_link_works_and_nothing_is_written(site, tmp_path):
    client, draft_run, optimize_run = site
    before = _tree(tmp_path)
    home = client.get("/")
    assert home.status_code == 200
    assert "private-5g" in home.text and "optimize" in home.text and "write" in home.text
    seen, todo = set(), _links(home.text)
    while todo:  # a crawl of everything the pages link to
        link = todo.pop()
        if link in seen or len(seen) > 60:
            continue
        seen.add(link)
        page = client.get(link)
        assert page.status_code == 200, (link, page.text[:300])
        todo += [x for x in _links(page.text) if x not in seen]
    assert any(x.startswith("/run?") for x in seen) and any(x.startswith("/draft?") for x in seen)
    assert _tree(tmp_path) == before, "the viewer changed a file"
    assert client.post("/").status_code == 405


def test_a_draft_shows_its_findings_at_their_lines_and_its_judge(site):
    client, draft_run, _ = site
    card = json.loads((draft_run / "v0.score.json").read_text())
    page = client.get(f"/draft?path={quote(str(draft_run / 'v0.md'))}")
    assert page.status_code == 200
    hits = [(v["check"], e) for v in card["binary"]["violations"] for e in v["evidence"]]
    assert hits, "the first draft of the scripted run breaks rules"
    for check, e in hits:
        if e.get("line") and e.get("text"):
            assert f"<mark>{e['text']}</mark>" in page.text or e["text"] not in page.text
            assert f"{check}:" in page.text
    for c in card["judge"]["criteria"]:
        assert c["name"] in page.text and c["rationale"] in page.text


def test_two_versions_side_by_side_with_the_score_difference(site):
    client, draft_run, _ = site
    a, b = draft_run / "v0.md", draft_run / "v2.md"
    page = client.get(f"/draft?path={quote(str(b))}&vs={quote(str(a))}")
    assert page.status_code == 200
    ta = json.loads((draft_run / "v0.score.json").read_text())["total"]
    tb = json.loads((draft_run / "v2.score.json").read_text())["total"]
    row = re.search(r"<b>total</b></td>(.*?)</tr>", page.text, re.S)
    assert row is not None
    numbers = re.findall(r">([-\d.]+)<", row.group(1))
    assert [float(n) for n in numbers] == pytest.approx([ta, tb, tb - ta], abs=0.01)
    assert "v0.md" in page.text and "v2.md" in page.text


@pytest.mark.parametrize(
    "asked",
    [
        "/draft?path=../../../../etc/passwd",
        "/draft?path=/etc/passwd",
        "/run?path=/",
        "/run?path=",
        "/draft?path=%00",
        "/rescore?path=/tmp",
    ],
)
def test_nothing_outside_the_folders_is_served(site, asked):
    client, *_ = site
    page = client.get(asked)
    assert page.status_code == 404 and "root:" not in page.text


def test_a_link_out_of_the_folders_is_not_followed(site, tmp_path):
    client, draft_run, _ = site
    secret = tmp_path / "secret.md"
    secret.write_text("the secret\n")
    (draft_run / "sneaky.md").symlink_to(secret)
    page = client.get(f"/draft?path={quote(str(draft_run / 'sneaky.md'))}")
    assert page.status_code == 404 and "the secret" not in page.text


def test_a_live_run_reloads_and_the_filter_filters(site):
    client, draft_run, _ = site
    meta = json.loads((draft_run / "run.json").read_text())
    (draft_run / "run.json").write_text(json.dumps({**meta, "status": "running"}))
    run = client.get(f"/run?path={quote(str(draft_run))}")
    assert 'http-equiv="refresh"' in run.text and "live" in run.text
    home = client.get("/")
    assert 'http-equiv="refresh"' in home.text
    only = client.get("/?kind=optimize")
    assert "private-5g" not in only.text and "optimize" in only.text
    none = client.get("/?q=no-such-run")
    assert "No run matches the filter" in none.text


def test_a_rescore_is_listed_and_shown(site, imagine, tmp_path):
    from helpers import verdict
    from typer.testing import CliRunner

    from contentloop.cli import app
    from contentloop.testing import OpenAIServer

    client, draft_run, _ = site
    with OpenAIServer(lambda body: verdict(imagine, 5)) as server:
        r = CliRunner().invoke(
            app,
            ["rescore", str(draft_run), "--judge-backend", "openai", "--judge-base-url",
             server.url + "/v1", "--judge-model", "other-judge", "--json"],
        )  # fmt: skip
    assert r.exit_code == 0, r.output
    home = client.get("/?kind=rescore")
    assert "by other-judge" in home.text
    (link,) = [x for x in _links(home.text) if x.startswith("/rescore?")]
    page = client.get(link)
    assert page.status_code == 200 and "mean shift" in page.text and "v0" in page.text


@pytest.mark.slow
def test_the_command_serves_on_loopback_on_a_free_port(draft_run, tmp_path):
    """The real command: uvicorn on 127.0.0.1, a port chosen when it starts, the runs page."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "contentloop.cli", "view", "--drafts", str(draft_run.parent.parent),
         "--runs", str(tmp_path / "none")],
        stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        line = proc.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, line
        for _ in range(50):
            try:
                page = httpx.get(m.group(0), timeout=2)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert page.status_code == 200 and "private-5g" in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_calibration_card_is_listed_and_shown(tmp_path, imagine):
    from contentloop.calibrate.card import Card, card_path, save_card
    from contentloop.calibrate.measures import Measure

    cards = tmp_path / "calibration" / "cards"
    measures = [
        Measure(
            name="retest_sd.total", value=1.2, threshold=2.0, direction="max", passed=True, n=8
        ),
        Measure(name="length_bias", value=3.1, threshold=1.5, direction="max", passed=False, n=8),
    ]
    card = Card(
        passed=False, judge={"backend": "openai", "model": "qwen2.5:7b", "samples": 1},
        rubric={"name": "imagine", "sha256": imagine.sha256}, judge_prompt_sha256="x",
        calibration_set={"path": "calibration/imagine", "sha256": "y", "drafts": 8},
        measures=measures, noise={"total": 1.2}, calls={"calls": 256, "cost_usd": None},
        created="2026-12-04T11:00:00+00:00",
    )  # fmt: skip
    path = card_path(cards, imagine, "openai", "qwen2.5:7b")
    save_card(card, path)
    (cards / "notes.json").write_text("{}")  # not a card: left out
    client = TestClient(make_app([cards]))
    home = client.get("/")
    assert "openai:qwen2.5:7b on imagine" in home.text and home.text.count('href="/card?') == 1
    (link,) = [x for x in _links(home.text) if x.startswith("/card?")]
    page = client.get(link)
    assert page.status_code == 200 and "length_bias" in page.text and "FAIL" in page.text
    assert client.get(f"/card?path={quote(str(cards / 'notes.json'))}").status_code == 404
