"""Does `--objective score,prompt_tokens --objective-mode threshold` find the shortest skill
that keeps quality? Against the default objective, in the same run, in gate_power's world.

The world (bench/gate_power.py, without topic effects so that a threshold on the score means
the same on every topic set): a skill's true quality is 30 points plus 3 per load-bearing
rule, each draft's total that plus about 4 points of writer and judge noise. The optimizer
proposes 10 edits per run in a shuffled order:

- 3 deletions of filler (shorter, no effect): the edits a threshold run is for;
- 2 deletions of a load-bearing rule (shorter, -3: a point below the threshold);
- 3 additions with no effect (longer);
- 2 additions worth +3 (longer and better).

The threshold is the baseline's true expected score minus 2 points. Per mode: how often
each kind was kept, the best's true score against the threshold, and its prompt tokens
against the baseline's.

    python bench/objective_power.py              # 8 runs per mode, about 3 minutes on 2 cores
    python bench/objective_power.py --runs 2 --json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gate_power import ROOT, World, make_repo, quality, run_cli, tally  # noqa: E402
from test_write import GOOD  # noqa: E402

from contentloop import load_rubric, score_text  # noqa: E402
from contentloop.skill import count_tokens, load_skill  # noqa: E402

MIX = ["filler_delete"] * 3 + ["lb_delete"] * 2 + ["zero"] * 3 + ["good"] * 2
KINDS = ["filler_delete", "lb_delete", "zero", "good"]
SLACK = 2.0  # points below the baseline's true score that the threshold allows


def one_run(mode: str, run: int, work: Path, rubric, binary: float) -> dict:
    rng = random.Random(2000 + run)
    order = MIX[:]
    rng.shuffle(order)
    repo = make_repo(work / f"{mode}-{run}", ROOT)
    base = load_skill(repo / "skills" / "imagine")
    threshold = binary + quality(base.prompt) - SLACK
    extra = (
        ["--objective", "score,prompt_tokens", "--objective-mode", "threshold"]
        + ["--threshold", f"{threshold:.2f}"]
        if mode == "threshold"
        else []
    )
    world = World(rubric, order, run, topic_sd=0.0)
    summary, seconds = run_cli(ROOT, repo, world, work / f"home-{mode}-{run}", *extra)
    best = load_skill(repo / "runs" / "b" / "best-skill")
    tries, kept = tally(repo / "runs" / "b")
    return {
        "tries": tries,
        "kept": kept,
        "best_true_score_minus_threshold": binary + quality(best.prompt) - threshold,
        "prompt_tokens_saved": count_tokens(base.prompt) - count_tokens(best.prompt),
        "true_gain": quality(best.prompt) - quality(base.prompt),
        "seconds": seconds,
    }


def aggregate(rows: list[dict]) -> dict:
    tries, kept = Counter(), Counter()
    for r in rows:
        tries.update(r["tries"])
        kept.update(r["kept"])
    n = len(rows)
    return {
        "kept": {k: f"{kept[k]}/{tries[k]}" for k in KINDS},
        "best_below_threshold": sum(r["best_true_score_minus_threshold"] < 0 for r in rows),
        "mean_true_gain": sum(r["true_gain"] for r in rows) / n,
        "mean_prompt_tokens_saved": sum(r["prompt_tokens_saved"] for r in rows) / n,
        "seconds_per_run": sum(r["seconds"] for r in rows) / n,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rubric = load_rubric(ROOT / "rubrics" / "imagine.yaml")
    # The rule checks' part of every draft's total: the world's drafts differ only in a comment.
    binary = score_text(GOOD + "\n<!-- q=0 -->\n", rubric).binary.score
    results = {}
    with tempfile.TemporaryDirectory(prefix="objective-power-") as tmp:
        for mode in ("default", "threshold"):
            rows = [one_run(mode, i, Path(tmp), rubric, binary) for i in range(args.runs)]
            results[mode] = aggregate(rows)
            print(f"{mode}: {json.dumps(results[mode])}", file=sys.stderr)
    if args.json:
        print(json.dumps({"runs": args.runs, **results}))
        return
    print(f"objective power: {args.runs} runs x 10 edits per mode, threshold = baseline - {SLACK}")
    print(f"{'':40} {'score only':>12} {'threshold':>12}")
    d, t = results["default"], results["threshold"]
    for kind, label in (
        ("filler_delete", "filler deleted (shorter, 0) kept"),
        ("lb_delete", "load-bearing deleted (shorter, -3) kept"),
        ("zero", "no-effect addition (longer) kept"),
        ("good", "+3 addition (longer) kept"),
    ):
        print(f"{label:40} {d['kept'][kind]:>12} {t['kept'][kind]:>12}")
    for key, label, fmt in (
        ("mean_prompt_tokens_saved", "prompt tokens saved, best vs baseline", "{:.0f}"),
        ("best_below_threshold", "runs whose best is below the threshold", "{}"),
        ("mean_true_gain", "true score gain of the best", "{:+.2f}"),
    ):
        print(f"{label:40} {fmt.format(d[key]):>12} {fmt.format(t[key]):>12}")


if __name__ == "__main__":
    main()
