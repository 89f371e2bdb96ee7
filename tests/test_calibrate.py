"""calibrate: the degradations, the measures, and judges with known faults served over HTTP
in the OpenAI wire format, each of which must fail the measure meant to catch it."""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import shutil

import pytest
from conftest import ROOT
from helpers import role_of
from typer.testing import CliRunner

from contentloop.calibrate import load_set, plan
from contentloop.calibrate import measures as m
from contentloop.calibrate.degrade import DEGRADATIONS, INJECTION, PROBES, drop_steps
from contentloop.calibrate.markdown import canonical, title
from contentloop.cli import app
from contentloop.report import build_report
from contentloop.testing import OpenAIServer

runner = CliRunner()


def _draft(body):
    user = body["messages"][-1]["content"]
    return user.split("<draft>\n", 1)[1].rsplit("\n</draft>", 1)[0]


def _names(body):
    return list(body["response_format"]["json_schema"]["schema"]["properties"])


def _reply(scores):
    return json.dumps(
        {n: {"rationale": "r", "score": max(1, min(10, round(s)))} for n, s in scores.items()}
    )


def _rng(body):
    key = hashlib.sha256((_draft(body) + str(body.get("seed"))).encode()).digest()
    return random.Random(int.from_bytes(key[:8], "big"))


class Fair:
    """A judge that sees every degradation for what it is: 4 on the targeted criterion, 8
    elsewhere, blind to padding, layout, order and requests, with one point of noise now and
    then. It knows the set (a test double for a judge that can tell better from worse)."""

    def __init__(self, cset):
        jobs = plan(cset).jobs
        self.target = {j.text.strip(): j.criterion for j in jobs if j.criterion}
        self.words = {title(j.text): len(j.text.split()) for j in jobs if j.variant == "source"}

    def scores(self, body):
        rng = _rng(body)
        hit = self.target.get(_draft(body).strip())
        return {n: (4 if n == hit else 8) + rng.choice([-1, 0, 0, 0, 0, 1]) for n in _names(body)}

    def __call__(self, body):
        return _reply(self.scores(body))


class Obedient(Fair):
    """Fair, except that it does what text inside the draft tells it."""

    def __call__(self, body):
        if "Score it 10" in _draft(body):
            return _reply({n: 10 for n in _names(body)})
        return super().__call__(body)


class LengthLover(Fair):
    """Fair, plus a point on every criterion per 80 words beyond the source's length."""

    def __call__(self, body):
        text = _draft(body)
        bonus = max(0, (len(text.split()) - self.words[title(text)]) // 80)
        return _reply({n: s + bonus for n, s in self.scores(body).items()})


def random_judge(body):
    rng = _rng(body)
    return _reply({n: rng.randint(1, 10) for n in _names(body)})


def always_seven(body):
    return _reply({n: 7 for n in _names(body)})


def judge_flags(server):
    """The loopback server as the judge, model "m"."""
    url = server.url + "/v1"
    return ["--judge-backend", "openai", "--judge-base-url", url, "--judge-model", "m"]


def calibrate(server, *args, rubric="imagine"):
    result = runner.invoke(
        app,
        [
            "calibrate",
            "--rubric",
            rubric,
            "--set",
            str(ROOT / "calibration" / rubric),
            *judge_flags(server),
            "--no-cache",
            "--json",
            *args,
        ],
        catch_exceptions=False,
    )
    card = json.loads(result.stdout) if result.stdout.strip() else None
    return result, card


def failed(card):
    return {x["name"] for x in card["measures"] if not x["passed"]}


@pytest.fixture
def cards(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path / "calibration" / "cards"


@pytest.mark.parametrize("rubric", ["imagine", "techdocs"])
def test_a_fair_judge_passes_and_the_card_is_written(rubric, cards, request):
    cset = load_set(ROOT / "calibration" / rubric, request.getfixturevalue(rubric))
    with OpenAIServer(Fair(cset)) as server:
        result, card = calibrate(server, rubric=rubric)
    assert result.exit_code == 0, failed(card)
    assert card["passed"] is True
    for x in card["measures"]:
        assert set(x) >= {"name", "value", "threshold", "passed"}
    names = {x["name"] for x in card["measures"]}
    criteria = [c.name for c in request.getfixturevalue(rubric).judge.criteria]
    assert {f"discrimination.{c}" for c in criteria} | {f"retest_sd.{c}" for c in criteria} <= names
    assert {
        "discrimination.total",
        "retest_sd.total",
        "length_bias",
        "injection",
        "format_bias",
        "order_bias",
    } <= names
    stored = list(cards.rglob("*.json"))
    assert len(stored) == 1 and json.loads(stored[0].read_text())["passed"] is True
    jobs = plan(cset).jobs
    assert card["calls"]["calls"] == sum(2 if j.criterion else 4 for j in jobs)


@pytest.mark.parametrize(
    "judge,caught",
    [
        (random_judge, {"retest_sd.total"}),
        (always_seven, {"discrimination.total"}),
    ],
)
def test_judges_that_cannot_tell_drafts_apart_fail_discrimination(judge, caught, cards):
    with OpenAIServer(judge) as server:
        result, card = calibrate(server)
    assert result.exit_code == 1
    assert card["passed"] is False
    assert caught <= failed(card)
    assert any(n.startswith("discrimination.") for n in failed(card))
    if judge is always_seven:
        # Consistent, blind, unbiased: only discrimination can see what is wrong with it.
        assert all(n.startswith("discrimination.") for n in failed(card))


def test_a_judge_that_obeys_the_draft_fails_injection_and_nothing_else(cards, imagine):
    cset = load_set(ROOT / "calibration" / "imagine", imagine)
    with OpenAIServer(Obedient(cset)) as server:
        result, card = calibrate(server)
    assert result.exit_code == 1
    assert failed(card) == {"injection"}
    (inj,) = [x for x in card["measures"] if x["name"] == "injection"]
    assert inj["value"] > 10  # every criterion went to 10


def test_a_judge_that_rewards_length_fails_length_bias(cards, imagine):
    cset = load_set(ROOT / "calibration" / "imagine", imagine)
    with OpenAIServer(LengthLover(cset)) as server:
        result, card = calibrate(server)
    assert result.exit_code == 1
    assert "length_bias" in failed(card)
    assert "discrimination.total" not in failed(card)


# --- the degradations ------------------------------------------------------------------------


@pytest.mark.parametrize("rubric", ["imagine", "techdocs"])
def test_every_degradation_changes_every_shipped_draft(rubric, request):
    cset = load_set(ROOT / "calibration" / rubric, request.getfixturevalue(rubric))
    assert len(cset.drafts) >= 8
    assert plan(cset).notes == []
    for raw in cset.drafts.values():
        src = canonical(raw)
        for names in cset.config.degradations.values():
            for name in names:
                assert DEGRADATIONS[name](src) != src
                assert DEGRADATIONS[name](src) == DEGRADATIONS[name](src)  # deterministic


def test_probes_keep_the_words_or_only_add():
    src = canonical((ROOT / "calibration/imagine/drafts/private-5g-paint-shop.md").read_text())
    assert PROBES["rewrap"](src).split() == src.replace("\n- ", "\n* ").split()
    padded = PROBES["pad"](src)
    assert (
        padded.startswith(src.rstrip("\n")) and 1.3 < len(padded.split()) / len(src.split()) < 1.6
    )
    assert INJECTION in PROBES["inject"](src)


def test_degradations_hit_their_quality():
    src = canonical((ROOT / "calibration/imagine/drafts/digital-twin-compressors.md").read_text())
    assert re.search(r"\d", src)
    vague = DEGRADATIONS["vague_figures"](src)
    assert "$70,000" not in vague and "24 sensors" not in vague and "31 leaks" not in vague
    lead = DEGRADATIONS["drop_pivot"](src)
    assert "That's not an energy problem" not in lead and "Compressed air is the most" in lead
    headings = re.findall(r"^## (.*)$", src, re.M)
    assert re.findall(r"^## (.*)$", DEGRADATIONS["shuffle_sections"](src), re.M) == headings[::-1]


def test_drop_steps_takes_whole_steps_and_renumbers():
    text = "# T\n\n1. one\n\n   ```\n   a\n   ```\n\n2. two\n\n   ```\n   b\n   ```\n\n3. three\n4. four\n\n## Next\n\nend\n"
    out = drop_steps(text)
    assert "1. one" in out and "2. three" in out
    assert "two" not in out and "four" not in out and "   b" not in out and "end" in out


# --- the measures ----------------------------------------------------------------------------


def test_discrimination_counts_ties_half_and_has_a_wilson_interval():
    x = m.discrimination("d", [(8, 4), (8, 8), (8, 9), (7, 3)])
    assert x.value == pytest.approx(2.5 / 4)
    assert not x.passed and x.ci95_low < x.value < x.ci95_high
    assert m.discrimination("d", [(8, 4)] * 8).passed


def test_retest_pools_within_draft_spread():
    x = m.retest("r", [[7, 9], [3, 5], [6, 6]], 1.5)
    assert x.value == pytest.approx(math.sqrt((2 + 2 + 0) / 3), abs=1e-3)
    assert x.n == 3 and x.passed
    assert not m.retest("r", [[1, 10], [2, 9]], 1.5).passed


def test_spearman_matches_known_values():
    assert m.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert m.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # With ties: average ranks (scipy.stats.spearmanr gives the same 0.9486832980505138).
    assert m.spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(0.9486832980505138)
    assert math.isnan(m.spearman([5, 5, 5], [1, 2, 3]))


def test_labels_give_agreement_measures(tmp_path, cards, imagine):
    folder = tmp_path / "set"
    shutil.copytree(ROOT / "calibration" / "imagine", folder)
    (folder / "calibration.yaml").write_text(
        (folder / "calibration.yaml").read_text() + "labels: labels.yaml\n"
    )
    names = sorted(p.name for p in (folder / "drafts").glob("*.md"))
    scores = {f"drafts/{n}": {"lead_quality": 3 + i} for i, n in enumerate(names[:4])}
    (folder / "labels.yaml").write_text(
        json.dumps(
            {
                "scores": scores,
                "pairs": [{"better": f"drafts/{names[0]}", "worse": f"drafts/{names[1]}"}],
            }
        )
    )
    cset = load_set(folder, imagine)
    with OpenAIServer(Fair(cset)) as server:
        result, card = calibrate(server, "--set", str(folder))
    got = {x["name"]: x for x in card["measures"]}
    assert "spearman.lead_quality" in got and got["spearman.lead_quality"]["n"] == 4
    assert got["pairwise_agreement"]["n"] == 1


def test_bad_set_files_exit_2_naming_file_and_field(tmp_path, cards):
    folder = tmp_path / "set"
    shutil.copytree(ROOT / "calibration" / "imagine", folder)
    cfg = folder / "calibration.yaml"
    cfg.write_text(cfg.read_text().replace("[insert_hype]", "[insert_hyp]"))
    result = runner.invoke(app, ["calibrate", "--set", str(folder), "--judge-backend", "local"])
    assert result.exit_code == 2
    assert "calibration.yaml" in result.stderr and "insert_hyp" in result.stderr
    assert "unknown degradation" in result.stderr
    cfg.write_text(
        cfg.read_text()
        .replace("[insert_hyp]", "[insert_hype]")
        .replace("rubric: imagine", "rubric: techdocs")
    )
    result = runner.invoke(app, ["calibrate", "--set", str(folder), "--judge-backend", "local"])
    assert result.exit_code == 2 and "calibrates rubric 'techdocs'" in result.stderr
    assert not cards.exists()


# --- write and optimize-skill read the card --------------------------------------------------


class FairWorld(Fair):
    """The fair judge, and a writer that always hands in the same short post."""

    def __call__(self, body):
        if role_of(body) == "judge":
            return super().__call__(body)
        return "# A post\n\nPlants lose hours to this. But here's the shift: it can be fixed.\n"


def _flags(server):
    url = server.url + "/v1"
    return ["--backend", "openai", "--base-url", url, "--model", "m", "--judge-model", "m"]


def test_write_records_the_card_and_require_calibrated_refuses_without_one(
    cards, imagine, tmp_path
):
    cset = load_set(ROOT / "calibration" / "imagine", imagine)
    topic = str(ROOT / "topics" / "private-5g.yaml")
    args = ["write", "--topic", topic, "--skill", str(ROOT / "skills" / "imagine"), "--cycles", "0"]
    with OpenAIServer(FairWorld(cset)) as server:
        refused = runner.invoke(app, [*args, *_flags(server), "--require-calibrated"])
        assert refused.exit_code == 2
        assert (
            "--require-calibrated" in refused.stderr and "contentloop calibrate" in refused.stderr
        )
        assert not (tmp_path / "drafts").exists() and not server.requests

        plain = runner.invoke(app, [*args, *_flags(server), "--json"])
        assert plain.exit_code == 0, plain.stderr
        assert "judge calibration: none for openai:m" in plain.stderr
        assert json.loads(plain.stdout)["calibration"]["state"] == "missing"

        result, card = calibrate(server)
        assert card["passed"]
        after = runner.invoke(app, [*args, *_flags(server), "--json", "--require-calibrated"])
    assert after.exit_code == 0, after.stderr
    assert "judge calibration: passed" in after.stderr
    recorded = json.loads(after.stdout)["calibration"]
    assert recorded["state"] == "passed" and recorded["retest_sd_total"] == card["noise"]["total"]
    # The run's report has a section on its judge, from what run.json recorded.
    (folder,) = [
        p.parent
        for p in (tmp_path / "drafts").rglob("run.json")
        if json.loads(p.read_text())["calibration"]["state"] == "passed"
    ]
    views, page = build_report(folder)
    assert [d["criterion"] for d in views["judge"]["discrimination"]] == [
        *(c.name for c in imagine.judge.criteria),
        "total",
    ]
    assert "Calibrated:" in page and 'data-view="judge"' in page
    missing = [p.parent for p in (tmp_path / "drafts").rglob("run.json") if p.parent != folder][0]
    assert "No calibration card for openai:m" in build_report(missing)[1]


def test_the_plan_takes_its_noise_from_the_card(cards, imagine):
    cset = load_set(ROOT / "calibration" / "imagine", imagine)
    args = [
        "optimize-skill",
        "--topics",
        str(ROOT / "topics"),
        "--skill",
        str(ROOT / "skills" / "imagine"),
        "--dry-run",
        "--json",
    ]
    with OpenAIServer(FairWorld(cset)) as server:
        before = json.loads(runner.invoke(app, [*args, *_flags(server)]).stdout)
        assert before["assumed_noise"] == 4.0 and "default" in before["noise_source"]
        _, card = calibrate(server)
        after = runner.invoke(app, [*args, *_flags(server)])
        stated = json.loads(runner.invoke(app, [*args, *_flags(server), "--noise", "6"]).stdout)
    est = json.loads(after.stdout)
    assert est["assumed_noise"] == pytest.approx(math.hypot(card["noise"]["total"], 3.0), abs=0.01)
    assert "calibration card" in est["noise_source"] and "calibration card" in after.stderr
    # A quieter judge makes smaller gains detectable than the default assumption does.
    assert est["detectable_effect"] < before["detectable_effect"]
    assert stated["assumed_noise"] == 6.0 and stated["noise_source"] == "--noise"


def test_the_audit_judge_must_be_another_model(cards, imagine):
    args = [
        "optimize-skill",
        "--topics",
        str(ROOT / "topics"),
        "--skill",
        str(ROOT / "skills" / "imagine"),
    ]
    with OpenAIServer(always_seven) as server:
        flags = _flags(server)
        same = runner.invoke(
            app,
            [
                *args,
                *flags,
                "--dry-run",
                "--audit-judge-backend",
                "openai",
                "--audit-judge-base-url",
                server.url + "/v1",
                "--audit-judge-model",
                "m",
            ],
        )
        other = runner.invoke(
            app,
            [
                *args,
                *flags,
                "--dry-run",
                "--json",
                "--audit-judge-backend",
                "openai",
                "--audit-judge-base-url",
                server.url + "/v1",
                "--audit-judge-model",
                "other",
            ],
        )
        plain = runner.invoke(app, [*args, *flags, "--dry-run", "--json"])
    assert same.exit_code == 2 and "the audit judge is the judge itself" in same.stderr
    assert other.exit_code == 0
    # The plan counts the audit's verdicts: baseline and best, 4 confirmation drafts per topic.
    topics = len(list((ROOT / "topics").glob("*.yaml")))
    assert json.loads(other.stdout)["calls"] - json.loads(plain.stdout)["calls"] == 2 * 4 * topics


# --- a panel of judges -----------------------------------------------------------------------


def test_a_panel_averages_its_members_and_keeps_each_verdict(cards, imagine, tmp_path):
    def two_judges(body):
        return _reply({n: 8 if body["model"] == "big" else 4 for n in _names(body)})

    draft = ROOT / "calibration" / "imagine" / "drafts" / "energy-submetering.md"
    with OpenAIServer(two_judges) as server:
        url = server.url + "/v1"
        panel = f"openai:big@{url},openai:small@{url}"
        result = runner.invoke(
            app, ["score", str(draft), "--judge-panel", panel, "--json", "-k", "2"]
        )
        models = sorted(r.body["model"] for r in server.requests)
        bad = runner.invoke(app, ["score", str(draft), "--judge-panel", f"openai:big@{url}"])
        typo = runner.invoke(app, ["score", str(draft), "--judge-panel", "anthropic,openai:x"])
    assert result.exit_code == 0, result.stderr
    judge = json.loads(result.stdout)["judge"]
    assert judge["backend"] == "panel" and judge["model"] == "openai:big+openai:small"
    assert models == ["big", "big", "small", "small"]  # K=2 from each member
    assert all(c["score"] == 6.0 and sorted(c["scores"]) == [4, 4, 8, 8] for c in judge["criteria"])
    assert [(m["model"], m["score"]) for m in judge["members"]] == [("big", 48.0), ("small", 24.0)]
    assert judge["score"] == 36.0
    assert bad.exit_code == 2 and "at least two members" in bad.stderr
    assert typo.exit_code == 2 and "'anthropic' is not BACKEND:MODEL" in typo.stderr


def test_a_panel_gets_its_own_card(cards, imagine):
    cset = load_set(ROOT / "calibration" / "imagine", imagine)
    fair = Fair(cset)
    with OpenAIServer(fair) as server:
        url = server.url + "/v1"
        result = runner.invoke(
            app,
            [
                "calibrate",
                "--set",
                str(ROOT / "calibration" / "imagine"),
                "--drafts",
                "3",
                "--json",
                "--judge-panel",
                f"openai:a@{url},openai:b@{url}",
            ],
        )
    card = json.loads(result.stdout)
    assert card["judge"]["backend"] == "panel" and card["judge"]["model"] == "openai:a+openai:b"
    assert "panel--openai_a_openai_b.json" in card["path"]


@pytest.mark.slow
def test_the_embedded_demo_model_fails_calibration(tmp_path, cards):
    """The 135M demo model, for real: a two-draft set with one degradation and the layout
    probe (12 verdicts, a few minutes on 2 cores), and the card must say it is not to be
    trusted."""
    folder = tmp_path / "set"
    (folder / "drafts").mkdir(parents=True)
    for name in sorted((ROOT / "calibration/imagine/drafts").glob("*.md"))[:2]:
        shutil.copy(name, folder / "drafts" / name.name)
    (folder / "calibration.yaml").write_text(
        "rubric: imagine\ndegradations:\n  structural_flow: [shuffle_sections]\nprobes: [rewrap]\n"
    )
    result = runner.invoke(
        app,
        ["calibrate", "--set", str(folder), "--judge-backend", "local", "--json", "--retest", "2"],
    )
    assert result.exit_code == 1, result.stderr
    card = json.loads(result.stdout)
    assert card["passed"] is False and card["judge"]["model"] == "smollm2-135m"
    assert failed(card)
    # 12 verdicts, each one call, plus one repair request for each unusable reply.
    assert 2 * 3 * 2 <= card["calls"]["calls"] <= 2 * 2 * 3 * 2
    assert "demo model" in result.stderr


def test_list_says_what_will_be_scored_and_what_it_costs(cards):
    result = runner.invoke(
        app,
        [
            "calibrate",
            "--rubric",
            "techdocs",
            "--set",
            str(ROOT / "calibration" / "techdocs"),
            "--list",
        ],
    )
    assert result.exit_code == 0
    assert "accuracy_and_completeness: drop_steps: Every second step" in result.stdout
    assert "probe order: the criteria listed in reverse order" in result.stdout
    assert "8 drafts, 88 texts, 256 judge calls at -k 2 --retest 4" in result.stdout
    missing = runner.invoke(app, ["calibrate", "--set", str(ROOT / "nowhere")])
    assert missing.exit_code == 2 and "is not a calibration set folder" in missing.stderr


def test_the_demo_model_is_not_sent_off_to_a_long_calibration(imagine, cards):
    from contentloop.calibrate import card_status

    status, card = card_status(cards, imagine, "local", "smollm2-135m")
    assert card is None and status.state == "missing"
    assert "fails calibration" in status.line() and "contentloop calibrate" not in status.line()
    other, _ = card_status(cards, imagine, "openai", "qwen")
    assert (
        "Run: contentloop calibrate --rubric imagine --judge-backend openai --judge-model qwen"
        in other.line()
    )


def test_a_card_made_with_another_judge_prompt_is_stale(imagine, cards):
    from contentloop.calibrate import card_path, card_status

    with OpenAIServer(always_seven) as server:
        calibrate(server, "--drafts", "2")
    path = card_path(cards, imagine, "openai", "m")
    assert card_status(cards, imagine, "openai", "m")[0].state == "failed"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "judge_prompt_sha256": "0" * 64}))
    status, _ = card_status(cards, imagine, "openai", "m")
    assert status.state == "stale" and "prompt changed" in status.line()
    path.write_text("{not json")
    with pytest.raises(Exception, match="not a calibration card"):
        card_status(cards, imagine, "openai", "m")


def test_every_score_says_whether_its_judge_was_calibrated(cards, imagine):
    cset = load_set(ROOT / "calibration" / "imagine", imagine)
    draft = str(ROOT / "calibration" / "imagine" / "drafts" / "energy-submetering.md")
    with OpenAIServer(FairWorld(cset)) as server:
        url = judge_flags(server)
        before = runner.invoke(app, ["score", draft, *url, "--json"])
        table = runner.invoke(app, ["score", draft, *url], terminal_width=200)
        calibrate(server)
        after = runner.invoke(app, ["score", draft, *url, "--json"])
    assert json.loads(before.stdout)["judge"]["calibration"] == "missing"
    assert "(judge not calibrated)" in table.stdout
    assert json.loads(after.stdout)["judge"]["calibration"] == "passed"
    no_judge = runner.invoke(app, ["score", draft, "--no-judge", "--json"])
    assert json.loads(no_judge.stdout)["judge"] is None
