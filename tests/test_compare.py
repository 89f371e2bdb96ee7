"""`contentloop compare`: writers on different backends, each over a loopback server speaking
its wire format (the real SDKs on the client side), side by side."""

from __future__ import annotations

import json

import pytest
from helpers import BAD, GOOD, role_of, verdict
from typer.testing import CliRunner

from contentloop.cli import app
from contentloop.testing import AnthropicServer, OpenAIServer, Reply


def test_compare_ranks_writers_and_reports_speed_cost_and_failures(imagine, tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
    topics = tmp_path / "topics"
    topics.mkdir()
    for slug in ("alpha", "beta"):
        (topics / f"{slug}.yaml").write_text(
            f"title: Topic {slug}\naudience: plant managers\nangle: it matters\ntarget_words: 300\n"
        )
    calls = {"fails": 0}

    def failing(body):
        calls["fails"] += 1
        return Reply(status=400, text='{"error": {"message": "bad request"}}')

    with (
        OpenAIServer(lambda body: Reply(GOOD, output_tokens=400), latency=0.05) as good,
        AnthropicServer(lambda body: BAD) as bad,
        OpenAIServer(failing) as broken,
        OpenAIServer(lambda body: verdict(imagine, 9 if "GOODMARK" in str(body) else 5)) as judge,
    ):
        writers = ",".join(
            [
                f"openai:good-m@{good.url}/v1",
                f"anthropic:claude-haiku-4-5@{bad.url}",
                f"openai:broken-m@{broken.url}/v1",
            ]
        )
        args = [
            *("compare", "--writers", writers, "--topics", str(topics), "--repeats", "2"),
            *("--judge-backend", "openai", "--judge-base-url", judge.url + "/v1"),
            *("--judge-model", "judge-m", "--json", "--html", str(tmp_path / "cmp.html")),
        ]
        r = CliRunner().invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    rows = {row["writer"]: row for row in json.loads(r.stdout)["rows"]}
    good_row = rows["openai:good-m"]
    bad_row = rows["anthropic:claude-haiku-4-5"]
    broken_row = rows["openai:broken-m"]
    assert good_row["drafts"] == bad_row["drafts"] == 4  # 2 topics x 2 drafts
    assert good_row["mean"] > bad_row["mean"]
    assert (
        good_row["latency_p50_s"] >= 0.05 and good_row["latency_p95_s"] >= good_row["latency_p50_s"]
    )
    assert good_row["tokens_per_second"] > 0 and good_row["failure_rate"] == 0
    assert good_row["usd_per_post"] is None  # "good-m" has no price
    assert bad_row["usd_per_post"] is None or bad_row["usd_per_post"] >= 0
    assert broken_row["failure_rate"] == 1 and broken_row["drafts"] == 0
    assert "bad request" in broken_row["failures"][0] or "400" in broken_row["failures"][0]
    page = (tmp_path / "cmp.html").read_text()
    assert 'data-view="quality_vs_speed"' in page and 'data-view="quality_vs_cost"' in page
    assert page.count('data-series="openai:good-m') == 1  # one point on the speed chart


@pytest.mark.slow
def test_compare_includes_the_embedded_model(imagine, tmp_path):
    topics = tmp_path / "topics"
    topics.mkdir()
    (topics / "alpha.yaml").write_text(
        "title: Topic alpha\naudience: plant managers\nangle: it matters\ntarget_words: 120\n"
    )
    with OpenAIServer(lambda body: verdict(imagine, 7) if role_of(body) == "judge" else GOOD) as s:
        writers = f"local:smollm2-135m,openai:m@{s.url}/v1"
        args = [
            *("compare", "--writers", writers, "--topics", str(topics), "--repeats", "1"),
            *("--judge-backend", "openai", "--judge-base-url", s.url + "/v1", "--judge-model", "j"),
            "--json",
        ]
        r = CliRunner().invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    rows = {row["writer"]: row for row in json.loads(r.stdout)["rows"]}
    assert rows["local:smollm2-135m"]["drafts"] == 1
    assert rows["local:smollm2-135m"]["writer_usd_per_post"] == 0  # the embedded model is free
    assert rows["local:smollm2-135m"]["usd_per_post"] is None  # judge "j" has no price
    assert rows["local:smollm2-135m"]["tokens_per_second"] > 0
