"""The gate's price and error rates in seconds, not hours: gate_power.py's world simulated
in-process, through the gate's own code (GatePlan, judge_stage, paired_difference,
pooled_noise), with the loop's draft policy (a stage is one draft per topic; the best is topped
up to plan.best_needed; the drift guard after every plan.verify_every keeps; the confirmation
on fresh drafts of baseline and best).

It is a model of the loop, not the loop: gate_power.py runs the real CLI and is the figure of
record. This script is for comparing plans and levers quickly, and for the limits a sequential
test cannot beat (fixed-sample n and Wald's SPRT expected sample number for the same error
rates). Its figures for today's plan are checked against gate_power.py's in bench/RESULTS.md.

    python bench/gate_sim.py                      # today's plan and the levers, 2,000 runs each
    python bench/gate_sim.py --runs 500 --json
    python bench/gate_sim.py --outliers 0.02      # 1 draft in 50 off by 15-20 points
    python bench/gate_sim.py --drift 3            # the judge 3 points more lenient by the end
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import fmean

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contentloop.optimize.gate import GatePlan, judge_stage  # noqa: E402
from contentloop.optimize.stats import (  # noqa: E402
    Difference,
    Noise,
    far_off,
    paired_difference,
    pooled_noise,
    z_quantile,
)

TOPICS, SD = 5, math.hypot(2.8, 2.8)  # gate_power's world: writer and judge noise 2.8 each
EFFECT = {"good": 3.0, "harmful": -2.0, "zero": 0.0, "lb_delete": -3.0, "filler_delete": 0.0}
MIX = ["good"] * 3 + ["harmful"] * 2 + ["zero"] * 3 + ["lb_delete"] * 2 + ["filler_delete"] * 2
SHORTER = {"lb_delete", "filler_delete"}
ASSUMED = Noise(4.0, 4)  # the stated noise, worth four drafts, until the run has measured its own


@dataclass
class World:
    outliers: float = 0.0  # fraction of drafts off by 15-20 points (a truncated reply)
    judge_samples: int = 1  # verdicts averaged per draft: the judge's share of the noise / k
    drift: float = 0.0  # how much more lenient the judge is by the run's last draft
    span: int = 400  # drafts over which the drift builds up


class Bank:
    """Drafts per (skill, topic), each with the time (draft index) it was written."""

    def __init__(self, world: World, rng: random.Random, screen: bool = True) -> None:
        self.world, self.rng, self.screen = world, rng, screen
        self.cells: dict[tuple[int, int], list[float]] = {}
        self._far: set[float] | None = None
        self.roles: dict[tuple[int, int, str], list[float]] = {}
        self.written = 0
        self.topic = [rng.gauss(0, 3.0) for _ in range(TOPICS)]

    def draft(self, quality: float, topic: int) -> float:
        w, rng = self.world, self.rng
        self.written += 1
        sd = math.hypot(2.8, 2.8 / math.sqrt(w.judge_samples))
        value = quality + self.topic[topic] + rng.gauss(0, sd)
        value += w.drift * min(1.0, self.written / w.span)
        if w.outliers and rng.random() < w.outliers:
            value -= rng.uniform(15, 20)
        return value

    def draw(self, skill: int, quality: float, need: int, role: str = "") -> None:
        """At least `need` drafts per topic of `skill` (of `role` only, when given)."""
        for t in range(TOPICS):
            have = (
                self.roles.setdefault((skill, t, role), [])
                if role
                else self.cells.get((skill, t), [])
            )
            for _ in range(need - len(have)):
                v = self.draft(quality, t)
                self._far = None
                self.cells.setdefault((skill, t), []).append(v)
                if role:
                    self.roles[(skill, t, role)].append(v)

    def far(self) -> set[float]:
        """The drafts the loop sets aside (samples.SampleBank.far), by value: draws are
        continuous, so a value names one draft."""
        if not self.screen:
            return set()
        if self._far is None:
            points = [(str(s), str(t), v) for (s, t), vs in self.cells.items() for v in vs]
            self._far = {points[i][2] for i in far_off(points)}
        return self._far

    def totals(self, skill: int, role: str = "") -> dict[str, list[float]]:
        far = self.far()
        src = (
            {t: self.roles.get((skill, t, role), []) for t in range(TOPICS)}
            if role
            else {t: self.cells.get((skill, t), []) for t in range(TOPICS)}
        )
        return {str(t): [v for v in vs if v not in far] for t, vs in src.items()}

    def noise(self) -> Noise:
        far = self.far()
        cells = [[v for v in vs if v not in far] for vs in self.cells.values()]
        measured = pooled_noise(cells)
        if measured.df >= 2 * TOPICS:
            return measured
        return pooled_noise(cells, ASSUMED)


def one_run(
    plan: GatePlan,
    world: World,
    seed: int,
    screen: bool = True,
    fresh_pool: bool = False,
    oracle: bool = False,
) -> dict:
    """One run of gate_power's 12 planted edits. `fresh_pool`: a kept candidate's drafts are
    not carried over as the new best's (no selection bias; the new best is measured afresh).
    `oracle`: a floor no real gate can reach: the best's true score and the noise are known
    exactly, so the best is never drafted, no drift guard is needed, and only the candidate
    and the confirmation are paid for."""
    rng = random.Random(seed)
    order = MIX[:]
    rng.shuffle(order)
    bank = Bank(world, rng, screen)
    quality = {0: 39.0}  # 30 + three load-bearing rules
    lbs = 3
    best, verified, keeps_since = 0, 0, 0
    pool = {0: 0}  # skill -> the bank key its drafts are under
    bank.draw(0, quality[0], plan.best_needed(1))
    tries: Counter = Counter()
    kept: Counter = Counter()
    stages_of: Counter = Counter()
    drafts_of: Counter = Counter()
    for n, kind in enumerate(order, start=1):
        if kind == "lb_delete" and lbs == 0:
            kind = "zero"
        cand = pool[n] = n
        quality[cand] = quality[best] + EFFECT[kind]
        tries[kind] += 1
        before = bank.written
        verdict = None
        for stage in range(1, plan.max_stages + 1):
            bank.draw(cand, quality[cand], stage)
            if oracle:
                diff = known_best(bank, bank.totals(cand), quality[best])
            else:
                bank.draw(pool[best], quality[best], plan.best_needed(stage))
                diff = paired_difference(bank.totals(cand), bank.totals(pool[best]), bank.noise())
            verdict = judge_stage(plan, stage, diff, shorter=kind in SHORTER)
            if verdict.status:
                break
        stages_of[kind] += verdict.stage
        if verdict.status == "keep":
            kept[kind] += 1
            best = cand
            if fresh_pool:
                pool[cand] = 1000 + cand
            lbs -= kind == "lb_delete"
            keeps_since += 1
            if plan.verify_every and keeps_since >= plan.verify_every and not oracle:
                # Both sides fresh, in one window (guard.drift_check).
                for s in (best, verified):
                    bank.draw(pool[s], quality[s], plan.verify_stages, role=f"verify{n}")
                fresh = [bank.totals(pool[s], role=f"verify{n}") for s in (best, verified)]
                check = paired_difference(*fresh, bank.noise())
                if check.mean < 0:
                    best = verified
                else:
                    verified = best
                keeps_since = 0
        drafts_of[kind] += bank.written - before
    reported = 0.0
    if best != 0:
        for s in (best, 0):
            bank.draw(pool[s], quality[s], plan.confirm_stages, role="confirm")
        gain = paired_difference(
            bank.totals(pool[best], "confirm"), bank.totals(0, "confirm"), bank.noise()
        )
        reported = gain.mean
    return {
        "tries": tries,
        "kept": kept,
        "stages": stages_of,
        "drafts": drafts_of,
        "true_gain": quality[best] - quality[0],
        "reported_gain": reported,
        "writer_calls": bank.written,
        "judge_calls": bank.written * world.judge_samples,
        "experiments": len(order),
    }


def known_best(bank: Bank, cand: dict[str, list[float]], best_quality: float) -> Difference:
    """The candidate against a best whose true per-topic score is known, at the world's noise."""
    topics = [t for t in cand if cand[t]]
    mean = fmean(fmean(cand[t]) - best_quality - bank.topic[int(t)] for t in topics)
    sd = math.hypot(2.8, 2.8 / math.sqrt(bank.world.judge_samples))
    se = sd * math.sqrt(sum(1 / len(cand[t]) for t in topics)) / len(topics)
    n = sum(len(cand[t]) for t in topics)
    return Difference(mean, se, 10**6, len(topics), n, 0)


def simulate(
    plan: GatePlan, world: World, runs: int, seed: int = 0, screen: bool = True, **kw: bool
) -> dict:
    rows = [one_run(plan, world, seed * 100_000 + i, screen, **kw) for i in range(runs)]
    tries, kept, stages, drafts = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        tries.update(r["tries"])
        kept.update(r["kept"])
        stages.update(r["stages"])
        drafts.update(r["drafts"])
    harmful = ("harmful", "lb_delete", "zero")
    return {
        "kept_rate": {k: kept[k] / tries[k] for k in EFFECT if tries[k]},
        "harmful_kept_rate": sum(kept[k] for k in harmful) / sum(tries[k] for k in harmful),
        "drafts_per_try": {k: drafts[k] / tries[k] for k in EFFECT if tries[k]},
        "stages_per_try": {k: stages[k] / tries[k] for k in EFFECT if tries[k]},
        "mean_abs_error": fmean(abs(r["reported_gain"] - r["true_gain"]) for r in rows),
        "mean_bias": fmean(r["reported_gain"] - r["true_gain"] for r in rows),
        "mean_true_gain": fmean(r["true_gain"] for r in rows),
        "writer_calls_per_experiment": sum(r["writer_calls"] for r in rows)
        / sum(r["experiments"] for r in rows),
        "judge_calls_per_experiment": sum(r["judge_calls"] for r in rows)
        / sum(r["experiments"] for r in rows),
    }


def screen_check(rounds: int = 400) -> dict:
    """How often stats.far_off sets aside a normal draft, and how many cut-off drafts (15-20
    points low, 1 in 50) it catches, on banks shaped like a run's (12 skills, 1-5 drafts per
    topic each)."""
    normal = normal_out = planted = caught = 0
    for seed in range(rounds):
        rng = random.Random(seed)
        points, cut = [], set()
        for s in range(12):
            n, lift = rng.choice([1, 2, 3, 5]), rng.choice([0.0, 3.0, -2.0])
            for t in range(TOPICS):
                for _ in range(n):
                    v = 39 + lift + rng.gauss(0, SD)
                    if rng.random() < 0.02:
                        v -= rng.uniform(15, 20)
                        cut.add(len(points))
                    points.append((str(s), str(t), v))
        far = far_off(points)
        normal += len(points) - len(cut)
        normal_out += len(far - cut)
        planted += len(cut)
        caught += len(far & cut)
    return {"normal_set_aside": normal_out / normal, "cut_off_caught": caught / planted}


def fixed_n(delta: float, alpha: float, power: float, sd: float = SD) -> float:
    """Candidate drafts a fixed-sample one-sided test needs against a best known exactly."""
    return ((z_quantile(1 - alpha) + z_quantile(power)) * sd / delta) ** 2


def sprt_asn(theta: float, delta: float, alpha: float, beta: float, sd: float = SD) -> float:
    """Wald's approximation of the SPRT's expected drafts (0 against `delta`, normal, sd
    known, the best known exactly) when the true effect is `theta`."""
    a, b = math.log((1 - beta) / alpha), math.log(beta / (1 - alpha))
    drift = delta / sd**2 * (theta - delta / 2)
    if abs(drift) < 1e-12:
        return -a * b / (delta / sd) ** 2
    h = 1 - 2 * theta / delta
    accept0 = (math.exp(h * a) - 1) / (math.exp(h * a) - math.exp(h * b))
    return (accept0 * b + (1 - accept0) * a) / drift


BEFORE = GatePlan(design="haybittle-peto", max_stages=6, best_min=8, best_ratio=2.0)
NOW = GatePlan()
# name -> (plan, one_run's options, the world's judge samples per draft)
PLANS: dict[str, tuple[GatePlan, dict[str, bool], int]] = {
    # The plan before the sprt, and what each of its levers was worth.
    "haybittle-peto (before)": (BEFORE, {}, 1),
    "  without futility stops": (replace(BEFORE, futility=()), {}, 1),
    "  best topped up less (2, x1)": (replace(BEFORE, best_min=2, best_ratio=1.0), {}, 1),
    # The sprt (today's default) and its neighbours.
    "sprt (now)": (NOW, {}, 1),
    "  power 0.8": (replace(NOW, power=0.8), {}, 1),
    "  6 stages": (replace(NOW, max_stages=6), {}, 1),
    "  best x1.5": (replace(NOW, best_ratio=1.5), {}, 1),
    "  3 confirmation drafts": (replace(NOW, confirm_stages=3), {}, 1),
    "  no drift guard": (replace(NOW, verify_every=0), {}, 1),
    "  fresh pool for a new best": (NOW, {"fresh_pool": True}, 1),
    "  2 judge samples per draft": (NOW, {}, 2),
    "  4 judge samples per draft": (NOW, {}, 4),
    # The floor: what the loop would spend if the best's true score were known for free.
    "oracle best (a floor)": (NOW, {"oracle": True}, 1),
    "  with 4 judge samples": (NOW, {"oracle": True}, 4),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--outliers", type=float, default=0.0)
    ap.add_argument("--drift", type=float, default=0.0)
    ap.add_argument("--plan", action="append", help="only these plans (names in PLANS)")
    ap.add_argument(
        "--no-screen", action="store_true", help="keep drafts far off the fit (as before)"
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    world = World(outliers=args.outliers, drift=args.drift)
    out = {}
    for name, (plan, options, k) in PLANS.items():
        if args.plan and name.strip() not in args.plan:
            continue
        w = replace(world, judge_samples=k)
        out[name] = simulate(plan, w, args.runs, screen=not args.no_screen, **options)
        if not args.json:
            r = out[name]
            rate = r["kept_rate"]
            print(
                f"{name:28} +3 kept {rate['good']:.0%}  harmful kept {r['harmful_kept_rate']:.1%}  "
                f"|rep-true| {r['mean_abs_error']:.2f} (bias {r['mean_bias']:+.2f})  "
                f"writer calls/exp {r['writer_calls_per_experiment']:.1f} "
                f"(judge {r['judge_calls_per_experiment']:.1f})  "
                + " ".join(f"{k}:{v:.1f}" for k, v in r["drafts_per_try"].items())
            )
    limits = {
        k: {
            "fixed_n": round(fixed_n(3.0, 0.05, 0.85), 1),
            "sprt_asn": round(sprt_asn(EFFECT[k], 3.0, 0.05, 0.15), 1),
        }
        for k in ("good", "zero", "harmful", "lb_delete")
    }
    screen = screen_check()
    if args.json:
        print(json.dumps({"runs": args.runs, "plans": out, "limits": limits, "screen": screen}))
    else:
        print("limits (candidate drafts, best known exactly, alpha 0.05, power 0.85 at +3):")
        for k, v in limits.items():
            print(f"  {k:10} fixed-sample n {v['fixed_n']}, SPRT expected n {v['sprt_asn']}")
        print(
            f"screen: a normal draft set aside {screen['normal_set_aside']:.3%} of the time; "
            f"{screen['cut_off_caught']:.0%} of cut-off drafts (15-20 points low) caught"
        )


if __name__ == "__main__":
    main()
