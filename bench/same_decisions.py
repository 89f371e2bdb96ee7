"""Does a refactor of the loop decide the same? The same seeds through the code at REF and
through this checkout, in the worlds of bench/gate_power.py (planted edits, the default gate),
bench/objective_power.py (`--objective score,prompt_tokens --objective-mode threshold`) and
bench/lanes.py (`--lanes 2` with merges), each through the real CLI and a loopback server.

Per run it compares every experiment's kind and status in experiments.jsonl, the summary's
confirmed gain and verdict, and the writer calls; a run is "same" when all of them match.

    python bench/same_decisions.py --ref 89fd85e             # 4 + 2 + 2 runs per side
    python bench/same_decisions.py --ref 89fd85e --gate-runs 8 --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import gate_power  # noqa: E402
import lanes as lanes_bench  # noqa: E402
import objective_power  # noqa: E402

from contentloop import load_rubric, score_text  # noqa: E402
from contentloop.skill import load_skill  # noqa: E402
from contentloop.testing import OpenAIServer  # noqa: E402


def decisions(run_dir: Path) -> list[tuple]:
    """(lane, experiment, kind, status) of every record, in the order each lane wrote them."""
    folders = sorted(run_dir.glob("lane-*")) or [run_dir]
    out = []
    for folder in folders:
        for line in (folder / "experiments.jsonl").read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                out.append((folder.name, r["experiment"], r.get("kind"), r["status"]))
    return out


def outcome(summary: dict, run_dir: Path, writer_calls: int) -> dict:
    gain = summary.get("confirmed_gain") or {}
    return {
        "decisions": decisions(run_dir),
        "confirmed_gain": gain.get("mean"),
        "verdict": summary.get("verdict"),
        "writer_calls": writer_calls,
    }


def gate_world(code: Path, run: int, work: Path, rubric) -> dict:
    rng = random.Random(1000 + run)
    order = gate_power.MIX[:]
    rng.shuffle(order)
    repo = gate_power.make_repo(work / f"gate-{run}", code)
    world = gate_power.World(rubric, order, run)
    summary, _ = gate_power.run_cli(code, repo, world, work / f"home-gate-{run}")
    return outcome(summary, repo / "runs" / "b", world.writer_calls)


def objective_world(code: Path, run: int, work: Path, rubric, binary: float) -> dict:
    rng = random.Random(2000 + run)
    order = objective_power.MIX[:]
    rng.shuffle(order)
    repo = gate_power.make_repo(work / f"objective-{run}", code)
    threshold = binary + gate_power.quality(load_skill(repo / "skills" / "imagine").prompt) - 2.0
    extra = ["--objective", "score,prompt_tokens", "--objective-mode", "threshold"]
    extra += ["--threshold", f"{threshold:.2f}"]
    world = gate_power.World(rubric, order, run, topic_sd=0.0)
    summary, _ = gate_power.run_cli(code, repo, world, work / f"home-objective-{run}", *extra)
    return outcome(summary, repo / "runs" / "b", world.writer_calls)


def lanes_world(code: Path, run: int, work: Path, rubric) -> dict:
    repo = lanes_bench.make_repo(work / f"lanes-{run}")
    world = lanes_bench.SpreadWorld(rubric, run)
    env = {"PYTHONPATH": str(code), "CONTENTLOOP_HOME": str(work / f"home-lanes-{run}")}
    extra = ["--max-experiments", "8", "--lanes", "2", "--concurrency", "1", "--merge-every", "4"]
    with OpenAIServer(world) as server:
        cmd = [sys.executable, "-m", "contentloop.cli", "optimize-skill"]
        cmd += ["--topics", "topics", "--tag", "b", "--json", "--no-cache"]
        cmd += ["--backend", "openai", "--base-url", server.url + "/v1", "--model", "m", *extra]
        proc = subprocess.run(
            cmd, cwd=repo, env={**os.environ, **env}, capture_output=True, text=True
        )
    if proc.returncode != 0:
        raise SystemExit(f"{repo} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return outcome(json.loads(proc.stdout), repo / "runs" / "b", world.writer_calls)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ref", default="89fd85e", help="the code to compare with (a git ref)")
    ap.add_argument("--gate-runs", type=int, default=4)
    ap.add_argument("--objective-runs", type=int, default=2)
    ap.add_argument("--lanes-runs", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rubric = load_rubric(ROOT / "rubrics" / "imagine.yaml")
    # As objective_power: the rule checks' part of every draft (they differ only in a comment).
    binary = score_text(objective_power.GOOD + "\n<!-- q=0 -->\n", rubric).binary.score
    worlds = {
        "gate_power": (args.gate_runs, lambda code, i, w: gate_world(code, i, w, rubric)),
        "objective_power": (
            args.objective_runs,
            lambda code, i, w: objective_world(code, i, w, rubric, binary),
        ),
        "lanes": (args.lanes_runs, lambda code, i, w: lanes_world(code, i, w, rubric)),
    }
    report: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="same-decisions-") as tmp:
        work = Path(tmp)
        old = work / "old-code"
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(old), args.ref], cwd=ROOT, check=True
        )
        try:
            for name, (runs, fn) in worlds.items():
                rows = []
                for i in range(runs):
                    before = fn(old, i, work / "old" / name)
                    after = fn(ROOT, i, work / "new" / name)
                    same = before == after
                    rows.append({"run": i, "same": same, "before": before, "after": after})
                    print(f"{name} run {i}: {'same' if same else 'DIFFERENT'}", file=sys.stderr)
                report[name] = {
                    "runs": runs,
                    "same": sum(r["same"] for r in rows),
                    "decisions_per_run": [len(r["after"]["decisions"]) for r in rows],
                    "rows": rows,
                }
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT)
    if args.json:
        print(json.dumps({"ref": args.ref, **report}, indent=2, default=str))
        return
    print(f"same decisions, {args.ref} against this checkout (same seeds, same worlds)")
    for name, r in report.items():
        print(
            f"  {name:16} {r['same']}/{r['runs']} runs identical "
            f"({sum(r['decisions_per_run'])} records compared)"
        )
        for row in r["rows"]:
            if not row["same"]:
                b, a = row["before"], row["after"]
                diff = [k for k in b if b[k] != a[k]]
                print(f"    run {row['run']}: differs in {', '.join(diff)}")


if __name__ == "__main__":
    main()
