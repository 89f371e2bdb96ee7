"""Does `write` tell the truth about its improvement? The final chosen by the best single
verdict (before) against the final chosen on fresh, interleaved verdicts (now:
contentloop.write_confirm.choose), in a world with planted per-version effects.

The world: v0 has a true quality; each cycle revises the best version so far, and the revision
helps (+3), does nothing (0) or hurts (-3) with probabilities 0.4 / 0.3 / 0.3; each verdict is
the true quality plus judge noise (normal, 2.8 points: "2-3 points between identical calls" in
published practice). The texts are fixed once written, so judge noise is the only noise.

Reported per rule: mean |reported - true improvement| (before: the final's one verdict minus
v0's; now: the confirmed improvement, 0 when the final is v0), how often the final is truly
worse than v0, the true improvement, and the extra judge calls per post.

    python bench/write_honesty.py                # 20,000 posts, --cycles 3
    python bench/write_honesty.py --cycles 1 --json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from statistics import fmean

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contentloop.write_confirm import ROUNDS, choose  # noqa: E402

EFFECTS = ((3.0, 0.4), (0.0, 0.3), (-3.0, 0.3))
JUDGE_SD = 2.8


def effect(rng: random.Random) -> float:
    r, acc = rng.random(), 0.0
    for value, p in EFFECTS:
        acc += p
        if r < acc:
            return value
    return EFFECTS[-1][0]


def one_post(rng: random.Random, cycles: int, rounds: int) -> dict[str, dict[str, float]]:
    true = [50.0]
    one = [true[0] + rng.gauss(0, JUDGE_SD)]
    best = 0
    for _ in range(cycles):
        true.append(true[best] + effect(rng))
        one.append(true[-1] + rng.gauss(0, JUDGE_SD))
        if one[-1] > one[best]:  # the cycles' rule, unchanged: a revision builds on the best
            best = len(true) - 1
    before = {"reported": one[best] - one[0], "true": true[best] - true[0], "calls": 0.0}
    if best == 0:
        return {"before": before, "now": {"reported": 0.0, "true": 0.0, "calls": 0.0}}
    fresh = [[t + rng.gauss(0, JUDGE_SD) for _ in range(rounds)] for t in (true[0], true[best])]
    conf = choose(best, *fresh)
    final = conf.final
    now = {
        "reported": conf.gain.mean if final else 0.0,
        "true": true[final] - true[0],
        "calls": 2.0 * rounds,
    }
    return {"before": before, "now": now}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, default=20_000)
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = random.Random(2026)
    posts = [one_post(rng, args.cycles, args.rounds) for _ in range(args.posts)]
    out = {}
    for rule in ("before", "now"):
        rows = [p[rule] for p in posts]
        out[rule] = {
            "mean_abs_error": fmean(abs(r["reported"] - r["true"]) for r in rows),
            "mean_reported": fmean(r["reported"] for r in rows),
            "mean_true": fmean(r["true"] for r in rows),
            "final_worse_than_v0": fmean(r["true"] < 0 for r in rows),
            "extra_judge_calls_per_post": fmean(r["calls"] for r in rows),
        }
    if args.json:
        print(json.dumps({"posts": args.posts, "cycles": args.cycles, **out}))
        return
    print(
        f"write --cycles {args.cycles}: {args.posts:,} posts, judge noise {JUDGE_SD} per verdict, "
        f"revisions +3 / 0 / -3 with p {' / '.join(str(p) for _, p in EFFECTS)}"
    )
    print(f"{'':34} {'best verdict':>13} {'confirmed':>10}")
    for label, key, fmt in (
        ("mean |reported - true improvement|", "mean_abs_error", ".2f"),
        ("mean reported improvement", "mean_reported", "+.2f"),
        ("mean true improvement", "mean_true", "+.2f"),
        ("final truly worse than v0", "final_worse_than_v0", ".1%"),
        ("extra judge calls per post", "extra_judge_calls_per_post", ".1f"),
    ):
        print(
            f"{label:34} {format(out['before'][key], fmt):>13} {format(out['now'][key], fmt):>10}"
        )


if __name__ == "__main__":
    main()
