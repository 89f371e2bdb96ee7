"""Does optimize-skill keep what is really better? The old gate and the new one, side by side,
in a synthetic world with planted effects, through the real CLI and a loopback server.

The world (one OpenAI-compatible server on 127.0.0.1 plays writer, judge and optimizer):
- a skill's true quality is a known function of its text: 30 points, +3 for each load-bearing
  rule still present (three are planted in the base skill), plus the planted effect of every
  added rule present;
- each draft's total is that quality, plus a topic effect, plus writer noise and judge noise
  (normal, 2.8 points each: about 4 points per draft), seeded by the request, so a cached call
  repeats and a fresh sample differs;
- the optimizer proposes 12 edits per run, in a shuffled order: 3 additions worth +3, 2 worth
  -2, 3 worth 0, 2 deletions of a load-bearing rule (-3), 2 deletions of filler (0).

Each run is `contentloop optimize-skill --topics topics/ --max-experiments 12` with the README
defaults; the old gate is the code at --old-ref (a git worktree of this repository), the new
gate is this checkout. Reported per gate: how often each kind of edit was kept, the final best's
true gain, |reported gain - true gain| (the old gate reports best - baseline from summary.json;
the new one its confirmed gain), and writer calls per experiment (baseline and confirmation
included).

    python bench/gate_power.py                 # 8 runs per gate, about 10 minutes on 2 cores
    python bench/gate_power.py --runs 2 --json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_write import GOOD  # noqa: E402

from contentloop import load_rubric  # noqa: E402
from contentloop.skill import load_skill  # noqa: E402
from contentloop.testing import OpenAIServer  # noqa: E402

OLD_REF = "fbaf96b"  # the last commit with the "noise floor + shorter" gate
BASE, LB_WORTH, SD_WRITER, SD_JUDGE = 30.0, 3.0, 2.8, 2.8
KINDS = {"good": 3.0, "harmful": -2.0, "zero": 0.0, "lb_delete": -3.0, "filler_delete": 0.0}
MIX = ["good"] * 3 + ["harmful"] * 2 + ["zero"] * 3 + ["lb_delete"] * 2 + ["filler_delete"] * 2
SECTION = "structure"  # where rules are planted, added and deleted


def gauss(*key: object, sd: float) -> float:
    seed = int(hashlib.sha256(repr(key).encode()).hexdigest()[:16], 16)
    return random.Random(seed).gauss(0.0, sd)


def quality(prompt: str) -> float:
    """The skill's true quality, from the markers in its text."""
    q = BASE + LB_WORTH * len(re.findall(r"\bLB\d\b", prompt))
    for kind, effect in KINDS.items():
        if kind in ("good", "harmful", "zero"):
            q += effect * len(re.findall(rf"\bADD-{kind}-\d+\b", prompt))
    return q


class World:
    def __init__(
        self,
        rubric,
        order: list[str],
        run: int,
        topic_sd: float = 3.0,
        drift: float = 0.0,
        outliers: float = 0.0,
    ) -> None:
        self.names = [c.name for c in rubric.judge.criteria]
        self.order, self.run = order, run
        self.topic_sd = topic_sd
        # --drift D: the judge scores D points higher by its 400th verdict (linearly from 0);
        # --outliers P: that fraction of drafts come back cut off, 15 to 20 points lower.
        self.drift, self.outliers = drift, outliers
        self.writer_calls = self.judge_calls = 0

    def __call__(self, body: dict) -> str:
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        if system.startswith("You are an exacting editor"):
            return self.verdict(user, body.get("seed", 0))
        if system.startswith("You improve a writing style guide"):
            return self.propose(user, body["seed"])
        self.writer_calls += 1
        topic = re.search(r"[Tt]itle:?\s*(.+)", user)
        topic_key = topic.group(1).strip() if topic else user[:200]
        q = (
            self.quality(system)
            + gauss("topic", topic_key, sd=self.topic_sd)
            + gauss("w", self.run, system, user, body.get("seed"), sd=SD_WRITER)
        )
        if self.outliers:
            rng = random.Random(repr(("cut", self.run, system, user, body.get("seed"))))
            if rng.random() < self.outliers:
                q -= rng.uniform(15, 20)
        return GOOD + f"\n<!-- q={q:.3f} -->\n"

    def quality(self, prompt: str) -> float:
        return quality(prompt)

    def verdict(self, user: str, seed: int) -> str:
        q = float(re.search(r"q=(-?[\d.]+)", user).group(1))
        self.judge_calls += 1
        value = q + gauss("j", self.run, user, seed, sd=SD_JUDGE)
        value += self.drift * min(1.0, self.judge_calls / 400)
        total = round(min(60, max(6, value)))
        scores = [total // 6 + (1 if i < total % 6 else 0) for i in range(6)]
        return json.dumps(
            {n: {"rationale": "r", "score": s} for n, s in zip(self.names, scores, strict=True)}
        )

    def propose(self, user: str, attempt: int) -> str:
        current = re.search(
            rf"## Section: {SECTION}\n(.*?)(?=\n## Section: |\n# Current score)", user, re.S
        )
        text = current.group(1).strip()
        kind, new = plant(text, self.order[(attempt - 1) % len(self.order)], str(attempt))
        return json.dumps(
            {"section": SECTION, "new_text": new, "hypothesis": f"edit {attempt} [{kind}]"}
        )


def plant(text: str, kind: str, tag: str) -> tuple[str, str]:
    """A section's text after one planted edit of `kind`, and the kind it really was: a
    deletion with nothing of its kind left to delete becomes an addition with no effect."""
    if not kind.endswith("delete"):
        return kind, text + f"\n- ADD-{kind}-{tag}: a rule planted by the bench."
    mark = "LB" if kind == "lb_delete" else "FILLER"
    lines = text.splitlines()
    hits = [i for i, line in enumerate(lines) if re.search(rf"\b{mark}\d\b", line)]
    if not hits:
        return "zero", text + f"\n- ADD-zero-{tag}: keep paragraphs short."
    del lines[hits[0]]
    return kind, "\n".join(lines)


def make_repo(where: Path, code: Path) -> Path:
    repo = where / "repo"
    shutil.copytree(ROOT / "skills" / "imagine", repo / "skills" / "imagine")
    # The rubrics the code under test reads: an old ref does not know newer check types.
    shutil.copytree(code / "rubrics", repo / "rubrics")
    (repo / "topics").mkdir()
    for t in sorted((ROOT / "topics").glob("*.yaml")):
        shutil.copy(t, repo / "topics" / t.name)
    section = repo / "skills" / "imagine" / f"{SECTION}.md"
    planted = "\n".join(
        [f"- LB{i}: a rule that carries weight." for i in range(1, 4)]
        + [f"- FILLER{i}: a rule that changes nothing." for i in range(1, 4)]
    )
    section.write_text(section.read_text().rstrip() + "\n" + planted + "\n")
    git = ["git", "-c", "user.name=b", "-c", "user.email=b@b"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=repo, check=True)
    return repo


def run_cli(code: Path, repo: Path, world: World, home: Path, *extra: str) -> tuple[dict, float]:
    """`optimize-skill`, one experiment per edit the world plans, on the world's loopback
    server with the code at `code`; the summary and the wall seconds."""
    with OpenAIServer(world) as server:
        env = {**os.environ, "PYTHONPATH": str(code), "CONTENTLOOP_HOME": str(home)}
        cmd = [
            sys.executable,
            "-m",
            "contentloop.cli",
            "optimize-skill",
            "--topics",
            "topics",
            "--tag",
            "b",
            "--max-experiments",
            str(len(world.order)),
            "--backend",
            "openai",
            "--base-url",
            server.url + "/v1",
            "--model",
            "m",
            "--json",
            "--no-cache",
            *extra,
        ]
        t = time.monotonic()
        proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - t
    if proc.returncode != 0:
        raise SystemExit(f"{repo} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout), seconds


def tally(run_dir: Path) -> tuple[Counter, Counter]:
    """Tries and keeps per kind of planted edit, from a run's experiments.jsonl."""
    records = [json.loads(x) for x in (run_dir / "experiments.jsonl").read_text().splitlines() if x]
    tries, kept = Counter(), Counter()
    for r in records:
        if r["experiment"] > 0 and r.get("kind", "experiment") == "experiment" and r.get("section"):
            kind = re.search(r"\[(\w+)\]", r["description"]).group(1)
            tries[kind] += 1
            kept[kind] += r["status"] in ("keep", "explore")
    return tries, kept


def one_run(gate: str, code: Path, run: int, work: Path, rubric, **world_kw: float) -> dict:
    rng = random.Random(1000 + run)
    order = MIX[:]
    rng.shuffle(order)
    repo = make_repo(work / f"{gate}-{run}", code)
    world = World(rubric, order, run, **world_kw)
    summary, seconds = run_cli(code, repo, world, work / f"home-{gate}-{run}")
    run_dir = repo / "runs" / "b"
    base_q = quality(load_skill(repo / "skills" / "imagine").prompt)
    best_q = quality(load_skill(run_dir / "best-skill").prompt)
    tries, kept = tally(run_dir)
    if "confirmed_gain" not in summary:  # a gate from before the confirmation
        reported = summary["best"] - summary["baseline"]
    else:
        reported = (summary.get("confirmed_gain") or {"mean": 0.0})["mean"]
    return {
        "tries": tries,
        "kept": kept,
        "true_gain": best_q - base_q,
        "reported_gain": reported,
        "writer_calls": world.writer_calls,
        "experiments": 12,
        "seconds": seconds,
        "verdict": summary.get("verdict", ""),
    }


def aggregate(rows: list[dict]) -> dict:
    tries, kept = Counter(), Counter()
    for r in rows:
        tries.update(r["tries"])
        kept.update(r["kept"])
    harmful = ("harmful", "lb_delete", "zero")
    rate = {k: kept[k] / tries[k] if tries[k] else None for k in KINDS}
    return {
        "kept": {k: f"{kept[k]}/{tries[k]}" for k in KINDS},
        "kept_rate": rate,
        "harmful_kept_rate": sum(kept[k] for k in harmful) / max(1, sum(tries[k] for k in harmful)),
        "mean_true_gain": sum(r["true_gain"] for r in rows) / len(rows),
        "runs_worse_than_baseline": sum(r["true_gain"] < 0 for r in rows),
        "mean_reported_gain": sum(r["reported_gain"] for r in rows) / len(rows),
        "mean_bias": sum(r["reported_gain"] - r["true_gain"] for r in rows) / len(rows),
        "mean_abs_error": sum(abs(r["reported_gain"] - r["true_gain"]) for r in rows) / len(rows),
        "max_abs_error": max(abs(r["reported_gain"] - r["true_gain"]) for r in rows),
        "writer_calls_per_experiment": sum(r["writer_calls"] for r in rows)
        / sum(r["experiments"] for r in rows),
        "seconds_per_run": sum(r["seconds"] for r in rows) / len(rows),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--old-ref", default=OLD_REF)
    ap.add_argument("--drift", type=float, default=0.0, help="the judge D points kinder by the end")
    ap.add_argument("--outliers", type=float, default=0.0, help="fraction of drafts cut off")
    ap.add_argument("--new-only", action="store_true", help="run this checkout's gate only")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    world_kw = {"drift": args.drift, "outliers": args.outliers}
    rubric = load_rubric(ROOT / "rubrics" / "imagine.yaml")
    results = {}
    with tempfile.TemporaryDirectory(prefix="gate-power-") as tmp:
        work = Path(tmp)
        old = work / "old-code"
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(old), args.old_ref],
            cwd=ROOT,
            check=True,
        )
        try:
            for gate, code in (("old", old), ("new", ROOT)):
                if gate == "old" and args.new_only:
                    continue
                rows = [one_run(gate, code, i, work, rubric, **world_kw) for i in range(args.runs)]
                results[gate] = aggregate(rows)
                print(f"{gate}: {json.dumps(results[gate])}", file=sys.stderr)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT)
    if args.json:
        print(json.dumps({"runs": args.runs, **results}))
        return
    print(
        f"gate power: {args.runs} runs x 12 edits per gate, 5 topics, ~4 points of noise per draft"
    )
    print(f"{'':32} {'old gate':>12} {'new gate':>12}")

    def row(label: str, key, fmt: str) -> None:
        vals = [key(results[g]) if g in results else None for g in ("old", "new")]
        print(
            f"{label:32} " + " ".join(f"{'-' if v is None else format(v, fmt):>12}" for v in vals)
        )

    row("+3 additions kept", lambda r: r["kept_rate"]["good"], ".0%")
    row("-2 additions kept", lambda r: r["kept_rate"]["harmful"], ".0%")
    row("0 additions kept", lambda r: r["kept_rate"]["zero"], ".0%")
    row("-3 deletions kept", lambda r: r["kept_rate"]["lb_delete"], ".0%")
    row("harmful kept (-2, -3, 0 adds)", lambda r: r["harmful_kept_rate"], ".0%")
    row("filler deletions kept", lambda r: r["kept_rate"]["filler_delete"], ".0%")
    row("mean true gain of final best", lambda r: r["mean_true_gain"], "+.2f")
    row("runs ending below baseline", lambda r: r["runs_worse_than_baseline"], "d")
    row("mean reported gain", lambda r: r["mean_reported_gain"], "+.2f")
    row("mean reported - true", lambda r: r["mean_bias"], "+.2f")
    row("mean |reported - true|", lambda r: r["mean_abs_error"], ".2f")
    row("max |reported - true|", lambda r: r["max_abs_error"], ".2f")
    row("writer calls per experiment", lambda r: r["writer_calls_per_experiment"], ".1f")
    row("seconds per run", lambda r: r["seconds_per_run"], ".0f")


if __name__ == "__main__":
    main()
