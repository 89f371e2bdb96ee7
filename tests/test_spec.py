"""RunSpec: run.json is its dump, --resume its load, and run.json files written before it still
load (through the numbered upgrades) or are refused with the reason."""

import json

import pytest

from contentloop.errors import ContentloopError
from contentloop.optimize import GatePlan
from contentloop.optimize.objective import Objective
from contentloop.optimize.spec import Budget, lanes_in, load_spec

ONE = {"backend": "openai", "model": "m", "base_url": "http://127.0.0.1:1/v1"}


# A gate as run.json held it before the sprt: Haybittle-Peto's fields, no design.
OLD_GATE = {
    k: v
    for k, v in GatePlan(design="haybittle-peto", best_min=3, max_stages=6).to_json().items()
    if k not in ("design", "target", "power")
}


def old_single(tag="t1"):
    """run.json as OptimizeRun.meta() wrote it before RunSpec (schema 2, no lanes keys)."""
    return {
        "tag": tag,
        "schema_version": 2,
        "harness_sha256": "ab" * 32,
        "skill": "/x/skills/imagine",
        "use_git": True,
        "rubric": "/x/rubrics/imagine.yaml",
        "topics": ["/x/topics/a.yaml"],
        "holdout": [],
        "repeats": 2,
        "budget": Budget(max_experiments=7).__dict__,
        "gate": OLD_GATE,
        "objective": Objective().to_json(),
        "assumed_noise": 4.0,
        "noise_source": "--noise",
        "calibration": None,
        "explore_every": None,
        "concurrency": 4,
        "batch": False,
        "writer": ONE,
        "judge": ONE | {"not_measured": "the demo judge"},
        "optimizer": ONE,
        "audit": None,
        "warm_start": None,
        "branch": None,
        "emphasis": "",
        "end": {
            "status": "finished",
            "reason": "--max-experiments 7 reached",
            "ended_at": "2026-12-01T10:00:00+00:00",
            "seconds": 12.5,
            "experiments": 7,
            "calls": 60,
            "cached_calls": 0,
            "cost_usd": None,
            "unusable_verdicts": 0,
        },
    }


def write(folder, data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps(data))


def test_a_single_runs_old_run_json_loads_into_the_spec(tmp_path):
    write(tmp_path, old_single())
    spec = load_spec(tmp_path)
    assert (spec.tag, spec.repeats, spec.lanes) == ("t1", 2, 1)
    assert spec.budget.max_experiments == 7 and spec.gate.best_min == 3
    assert isinstance(spec.gate.futility, tuple)  # as GatePlan holds it, not JSON's list
    assert spec.judge.not_measured == "the demo judge" and spec.writer.not_measured is None
    assert spec.end is not None and spec.end.status == "finished"


def test_a_run_started_before_the_sprt_resumes_under_the_design_it_started_with(tmp_path):
    write(tmp_path, old_single())
    gate = load_spec(tmp_path).gate
    assert gate.design == "haybittle-peto" and gate.max_stages == 6
    fresh = {**old_single(), "gate": GatePlan().to_json()}
    write(tmp_path, fresh)
    assert load_spec(tmp_path).gate == GatePlan()  # a new run's gate round-trips unchanged


def test_the_dump_loads_back_to_the_same_spec(tmp_path):
    write(tmp_path, old_single())
    spec = load_spec(tmp_path)
    (tmp_path / "run.json").write_text(spec.dump())
    assert load_spec(tmp_path) == spec


def test_an_old_lanes_head_takes_the_searchs_settings_from_lane_0(tmp_path):
    """Upgrade 1: a --lanes run's own run.json held only lanes, merge_every, emphases, budget,
    skill and use_git; lane 0's held the rest."""
    head = {
        "tag": "t1",
        "schema_version": 2,
        "lanes": 2,
        "merge_every": 4,
        "budget": Budget(max_experiments=8).__dict__,
        "emphases": ["favour voice", "favour examples"],
        "skill": "/x/skills/imagine",
        "use_git": True,
    }
    write(tmp_path, head)
    lane0 = old_single("t1-lane-0") | {"branch": "autoexp/t1/lane-0", "emphasis": "favour voice"}
    lane0["budget"] = Budget(max_experiments=10**9).__dict__
    write(tmp_path / "lane-0", lane0)
    spec = load_spec(tmp_path)
    assert (spec.tag, spec.lanes, spec.merge_every) == ("t1", 2, 4)
    assert spec.budget.max_experiments == 8  # the search's own budget, not lane 0's
    assert spec.branch is None and spec.emphasis == ""  # lane 0's own, not the search's
    assert spec.repeats == 2 and spec.writer.model == "m"
    assert spec.end is None  # lane 0's end is not the search's
    lane1 = spec.lane(1, spec.emphases[1])
    assert (lane1.tag, lane1.branch, lane1.emphasis) == (
        "t1-lane-1",
        "autoexp/t1/lane-1",
        "favour examples",
    )
    assert lane1.budget.max_experiments == 10**9 and lane1.lanes == 1


def test_a_run_json_from_before_the_sequential_gate_is_refused_with_the_reason(tmp_path):
    write(tmp_path, old_single() | {"schema_version": 1})
    with pytest.raises(ContentloopError, match="earlier contentloop"):
        load_spec(tmp_path)


def test_a_damaged_run_json_names_the_field(tmp_path):
    write(tmp_path, old_single() | {"repeats": "many"})
    with pytest.raises(ContentloopError) as err:
        load_spec(tmp_path)
    assert err.value.field == "repeats"


@pytest.mark.parametrize(
    ("data", "lanes"),
    [({}, 1), ({"lanes": 1}, 1), ({"lanes": 3}, 3), ({"lanes": None}, 1), ({"lanes": "x"}, 1)],
)
def test_lanes_in_reads_single_runs_as_one_lane(data, lanes):
    assert lanes_in(data) == lanes
