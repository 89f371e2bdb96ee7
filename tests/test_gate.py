"""The gate's statistics and rules, without any model: pooled noise, topic-paired differences,
the stage rules, and the sequential procedure's false-keep rate under simulation."""

import math
import random
from dataclasses import replace

import pytest

from contentloop.optimize.gate import GatePlan, judge_stage
from contentloop.optimize.planner import expected_stages
from contentloop.optimize.stats import (
    Difference,
    Noise,
    detectable_effect,
    paired_difference,
    pooled_noise,
    t_quantile,
)


@pytest.mark.parametrize(
    "p,df,exact",
    # Published t-table values.
    [
        (0.95, 5, 2.015),
        (0.975, 10, 2.228),
        (0.975, 30, 2.042),
        (0.9975, 30, 3.030),
        (0.95, 1e9, 1.645),
    ],
)
def test_t_quantile_matches_the_table(p, df, exact):
    assert t_quantile(p, df) == pytest.approx(exact, abs=0.002)


def test_pooled_noise_is_the_within_cell_spread_and_a_prior_counts_as_drafts():
    # Cells of very different levels (topics, skills): only the spread inside each counts.
    cells = [[10.0, 12.0], [50.0, 52.0, 54.0], [90.0]]
    noise = pooled_noise(cells)
    assert noise.df == 1 + 2  # a single draft says nothing about spread
    assert noise.sd == pytest.approx(math.sqrt((2 + 8) / 3))
    with_prior = pooled_noise(cells, Noise(4.0, 3))
    assert with_prior.df == 6
    assert with_prior.sd == pytest.approx(math.sqrt((10 + 16 * 3) / 6))
    assert pooled_noise([[1.0]]) == Noise(0.0, 0)


def test_paired_difference_cancels_topic_difficulty():
    # Topic "hard" scores 40 points below "easy"; the candidate is 3 better on both.
    best = {"easy": [80.0, 82.0, 78.0, 80.0], "hard": [40.0, 42.0, 38.0, 40.0]}
    cand = {"easy": [83.0, 83.0], "hard": [43.0, 43.0]}
    d = paired_difference(cand, best, Noise(2.0, 20))
    assert d.mean == pytest.approx(3.0)
    # se = sd * sqrt(sum over topics of (1/n_a + 1/n_b)) / topics
    assert d.se == pytest.approx(2.0 * math.sqrt(2 * (1 / 2 + 1 / 4)) / 2)
    assert (d.n_a, d.n_b, d.topics) == (4, 8, 2)
    low, high = d.interval()
    assert low < 3.0 < high and high - 3.0 == pytest.approx(t_quantile(0.975, 20) * d.se)
    with pytest.raises(ValueError, match="share no topic"):
        paired_difference({"a": [1.0]}, {"b": [1.0]}, Noise(1.0, 5))


def diff(mean, se=1.0, df=100):
    return Difference(mean, se, df, 5, 5, 40)


HP = GatePlan(design="haybittle-peto", max_stages=6, best_min=8, best_ratio=2.0)


def test_stage_rules_under_the_sprt():
    plan = GatePlan()  # target 3 points, alpha 0.05, power 0.9
    upper, lower = plan.bounds
    assert upper == pytest.approx(math.log(0.9 / 0.05)) and lower == pytest.approx(
        math.log(0.1 / 0.95)
    )
    # At se 1, the likelihood ratio of a 3-point gain against none is exp(3d - 4.5).
    assert judge_stage(plan, 1, diff(2.5)).rule == "superior"  # 3*2.5 - 4.5 = 3.0 >= 2.89
    assert judge_stage(plan, 1, diff(2.4)).rule == "continue"  # 2.7 < 2.89
    assert judge_stage(plan, 1, diff(0.8)).rule == "continue"  # -2.1 > -2.25
    assert judge_stage(plan, 1, diff(0.7)).rule == "futile"  # -2.4
    # The bounds are in evidence, not in z: the same difference with half the error is more.
    assert judge_stage(plan, 1, diff(1.9, se=0.5)).rule == "superior"
    assert judge_stage(plan, 1, diff(1.0, se=0.5)).rule == "futile"
    # The last look keeps on the one-sided t test at alpha, else the try is discarded.
    final = plan.max_stages
    assert judge_stage(plan, final, diff(1.7)).rule == "superior"
    assert judge_stage(plan, final, diff(1.6)).rule == "cap"
    # A shorter skill: the same evidence about (difference + margin).
    assert judge_stage(plan, 1, diff(2.1), shorter=True).rule == "non-inferior"
    assert judge_stage(plan, 1, diff(2.1), shorter=False).rule == "continue"
    assert judge_stage(plan, 2, diff(-0.1), explore=True).status == "explore"
    # A noiseless (scripted) world decides at once, by the sign.
    assert judge_stage(plan, 1, diff(0.5, se=0.0)).rule == "superior"
    assert judge_stage(plan, 1, diff(-0.5, se=0.0)).rule == "futile"
    v = judge_stage(plan, 1, diff(0.0, se=0.0))
    assert v.rule == "continue" and v.to_json()["z"] == 0.0


def test_stage_rules_under_haybittle_peto():
    """Runs started before the sprt resume under the design they started with."""
    plan = HP
    final = plan.max_stages
    assert judge_stage(plan, 1, diff(3.5)).rule == "superior"  # above the interim bound
    assert judge_stage(plan, 1, diff(2.0)).rule == "continue"  # promising, not shown yet
    assert judge_stage(plan, 1, diff(-1.0)).rule == "futile"
    assert judge_stage(plan, final, diff(1.8)).rule == "superior"  # the last look's bound
    assert judge_stage(plan, final, diff(1.5)).rule == "cap"
    # A shorter skill: kept when it is shown not worse by the margin, but not on a hunch.
    assert judge_stage(plan, final, diff(-0.1, se=0.2), shorter=True).rule == "non-inferior"
    assert judge_stage(plan, final, diff(-0.1, se=0.2), shorter=False).rule == "cap"
    assert judge_stage(plan, final, diff(0.0, se=1.0), shorter=True).rule == "cap"
    assert judge_stage(plan, 1, diff(0.5, se=0.0)).rule == "superior"


def test_the_plan_refuses_settings_that_do_not_fit():
    with pytest.raises(ValueError, match="interim"):
        GatePlan(design="haybittle-peto", alpha=0.01, max_stages=5, interim_alpha=0.0025)
    with pytest.raises(ValueError, match="alpha"):
        GatePlan(alpha=0.6)
    with pytest.raises(ValueError, match="target"):
        GatePlan(target=0.0)
    with pytest.raises(ValueError, match="power"):
        GatePlan(power=1.0)


def simulate(plan, effect, sd=4.0, topics=5, trials=3000, seed=11):
    """The whole sequential procedure on normal noise, drafts drawn one by one, the best's
    mean estimated from its own drafts: the fraction of edits kept."""
    rng = random.Random(seed)
    kept = 0
    for _ in range(trials):
        cand = {t: [] for t in range(topics)}
        best = {t: [] for t in range(topics)}
        for stage in range(1, plan.max_stages + 1):
            for t in range(topics):
                cand[t].append(rng.gauss(effect, sd))
                while len(best[t]) < plan.best_needed(stage):
                    best[t].append(rng.gauss(0.0, sd))
            noise = pooled_noise([*cand.values(), *best.values()])
            v = judge_stage(plan, stage, paired_difference(cand, best, noise), shorter=False)
            if v.status:
                kept += v.status == "keep"
                break
    return kept / trials


@pytest.mark.parametrize("plan", [GatePlan(), HP], ids=["sprt", "haybittle-peto"])
def test_an_edit_that_changes_nothing_is_kept_at_most_alpha_of_the_time(plan):
    rate = simulate(plan, effect=0.0)
    # 3000 trials: a true rate of 5% would show above 6% by chance less than 1% of the time.
    assert rate <= 0.06, rate
    strict = simulate(replace(plan, alpha=0.01, interim_alpha=0.0005), effect=0.0)
    assert strict < rate


@pytest.mark.parametrize("plan", [GatePlan(), HP], ids=["sprt", "haybittle-peto"])
def test_a_three_point_gain_is_found_most_of_the_time_at_the_default_noise(plan):
    assert simulate(plan, effect=3.0, trials=1500) >= 0.8


@pytest.mark.parametrize("plan", [GatePlan(), HP], ids=["sprt", "haybittle-peto"])
def test_the_planner_expects_edits_that_change_nothing_or_harm_to_stop_early(plan):
    null = expected_stages(plan, 4.0, 5, 1)
    harm = expected_stages(plan, 4.0, 5, 1, effect=-3.0)
    good = expected_stages(plan, 4.0, 5, 1, effect=3.0)
    assert 1.0 <= harm < null < good < plan.max_stages


def test_the_planner_predicts_early_stops_for_edits_that_change_nothing():
    plan = HP
    null = expected_stages(plan, 4.0, 5, 1)
    good = expected_stages(plan, 4.0, 5, 1, effect=3.0)
    assert 1.0 < null < plan.max_stages and null < good
    mde = detectable_effect(4.0, 5, 5, 10, alpha=plan.final_alpha)
    # A true effect of exactly the detectable size passes about 80% of the time.
    assert simulate(plan, effect=mde, trials=1500) == pytest.approx(0.8, abs=0.08)


def test_identical_drafts_of_two_skills_get_independent_verdicts(tmp_path, imagine):
    """A deterministic writer gives the candidate the best's exact text; the judge must still
    be asked afresh, under the call cache, for each skill's draft."""
    import asyncio

    from conftest import ROOT
    from test_judge import verdict

    from contentloop.judge import Judge
    from contentloop.llm import CallCache, Client, CostLedger, ScriptedBackend
    from contentloop.optimize.samples import SampleBank, draw
    from contentloop.skill import load_skill
    from contentloop.topic import load_topics

    writer = ScriptedBackend(lambda req: "# Same post\n\nThe same words every time.\n")
    judge_backend = ScriptedBackend(lambda req: verdict(imagine, 7))
    cache = CallCache(tmp_path / "cache")
    bank = SampleBank(tmp_path / "samples.jsonl")
    topics = load_topics(ROOT / "topics")[:2]
    import shutil

    shutil.copytree(ROOT / "skills" / "imagine", tmp_path / "edited")
    voice = tmp_path / "edited" / "voice.md"
    voice.write_text(voice.read_text() + "\n- One more rule.\n")
    a, b = load_skill(ROOT / "skills" / "imagine"), load_skill(tmp_path / "edited")

    async def both():
        for skill in (a, b):
            await draw(
                bank,
                skill,
                topics,
                imagine,
                Client(writer, role="writer", cache=cache, ledger=CostLedger()),
                Judge(
                    Client(judge_backend, role="judge", cache=cache, ledger=CostLedger()), imagine
                ),
                need=2,
                role="candidate",
                experiment=1,
            )

    asyncio.run(both())
    assert len(writer.requests) == 2 * 2 * 2  # two skills x two topics x two drafts
    assert len(judge_backend.requests) == 8, "no verdict was shared between the two skills"


def test_a_resumed_draw_fills_the_holes_a_kill_left_before_writing_new_indices(imagine, tmp_path):
    """Drafts run concurrently, so a kill can record samples 0 and 2 of a topic but not 1. The
    resumed draw writes index 1 (the seed an uninterrupted run used), not index 3, and never
    reuses an index whose verdict was unusable."""
    import asyncio
    import json

    from conftest import ROOT
    from test_judge import verdict

    from contentloop.judge import Judge
    from contentloop.llm import Client, CostLedger, ScriptedBackend
    from contentloop.optimize.samples import SampleBank, draw, skill_hash
    from contentloop.skill import load_skill
    from contentloop.topic import load_topics

    writer = ScriptedBackend(lambda req: "# Same post\n\nThe same words every time.\n")
    judge_backend = ScriptedBackend(lambda req: verdict(imagine, 7))
    skill, topics = load_skill(ROOT / "skills" / "imagine"), load_topics(ROOT / "topics")[:1]
    path = tmp_path / "samples.jsonl"

    def draw_to(bank, need):
        asyncio.run(
            draw(
                bank,
                skill,
                topics,
                imagine,
                Client(writer, role="writer", ledger=CostLedger()),
                Judge(Client(judge_backend, role="judge", ledger=CostLedger()), imagine),
                need=need,
                role="best",
                experiment=0,
            )
        )

    draw_to(SampleBank(path), 3)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if json.loads(line)["sample"] != 1) + "\n")
    bank = SampleBank(path)  # what a resumed run reads: samples 0 and 2
    digest, slug = skill_hash(skill), topics[0].slug
    bank.record_failure(digest, slug, 3, reason="unusable verdict")
    seeds_before = len(writer.requests)
    draw_to(bank, 4)
    assert len(writer.requests) - seeds_before == 2
    assert sorted(s.sample for s in bank.samples(digest, slug)) == [0, 1, 2, 4]


def test_a_draft_far_below_its_skill_and_topic_is_set_aside_and_only_that_one():
    from contentloop.optimize.stats import far_off

    rng = random.Random(3)
    topics = {"easy": 70.0, "hard": 40.0, "mid": 55.0}
    points = [
        (skill, t, level + lift + rng.gauss(0, 4.0))
        for skill, lift in (("a", 0.0), ("b", 3.0), ("c", -2.0))
        for t, level in topics.items()
        for _ in range(4)
    ]
    assert far_off(points) == set()  # topic and skill differences are not outliers
    cut = len(points)
    points.append(("b", "hard", 40.0 + 3.0 - 25.0))  # a refusal that still parsed
    points.append(("a", "easy", 70.0 + 18.0))  # far above: not the failure guarded against
    assert far_off(points) == {cut}
    assert far_off(points[:9]) == set()  # too few drafts to tell


def test_the_bank_leaves_a_draft_set_aside_out_of_totals_and_noise(tmp_path):
    from contentloop.optimize.samples import Sample, SampleBank

    bank = SampleBank(tmp_path / "samples.jsonl")
    rng = random.Random(5)

    def add(skill, topic, i, total):
        bank.record(
            Sample(
                skill=skill,
                topic=topic,
                sample=i,
                role="best",
                experiment=0,
                total=total,
                binary=40.0,
                judge=total - 40.0,
                criteria={},
                violations=[],
                weakest=[],
            )
        )

    for skill in ("a", "b"):
        for topic in ("t1", "t2", "t3"):
            for i in range(4):
                add(skill, topic, i, 60.0 + rng.gauss(0, 3.0))
    add("a", "t2", 4, 41.0)
    totals = bank.totals("a", ["t1", "t2", "t3"])
    assert len(totals["t2"]) == 4 and 41.0 not in totals["t2"]
    assert all(41.0 not in cell for cell in bank.cells(["t1", "t2", "t3"]))
    assert len(bank.samples("a", "t2")) == 5  # kept in samples.jsonl, only left out
