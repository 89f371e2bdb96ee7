"""Do lanes pay? Throughput at a fixed latency, and true gain in a synthetic world, for
`optimize-skill --lanes 4` against one lane, both through the real CLI and a loopback server.

1. Throughput: an OpenAI-compatible server on 127.0.0.1 answers every call after L seconds.
   Each configuration runs `--forever` with 4 calls in flight per lane (--concurrency); the
   figure is experiments logged per hour in a window that opens when the baseline is done
   (lane 0 writes it once for every lane). Target: 4 lanes >= 3.5x one lane.
2. Gain: the world of bench/gate_power.py (a skill's true quality is a known function of its
   text, ~4 points of writer + judge noise per draft), with the planted rules spread over all five
   sections instead of one: each holds a load-bearing rule (deleting it costs 3) and a filler
   rule (deleting it costs nothing), and the optimizer's edits are drawn from the same mix
   (+3, -2 and 0 additions, -3 and 0 deletions) in the section its lane favours. One lane
   and four lanes (merging every 8 experiments) get the same number of experiments; the
   report gives each one's true gain of the final best, the writer calls it spent, and the
   true gain per 1,000 writer calls, and says plainly which is ahead.

    python bench/lanes.py                       # about 12 minutes on 2 cores
    python bench/lanes.py --runs 2 --seconds 40 --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from gate_power import BASE, KINDS, LB_WORTH, MIX, World, plant  # noqa: E402

from contentloop import load_rubric  # noqa: E402
from contentloop.skill import load_skill  # noqa: E402
from contentloop.testing import OpenAIServer  # noqa: E402

SECTIONS = ["voice", "vocabulary", "structure", "examples", "final_check"]


def quality(prompt: str) -> float:
    q = BASE + LB_WORTH * len(re.findall(r"\bLB\d\b", prompt))
    for kind in ("good", "harmful", "zero"):
        q += KINDS[kind] * len(re.findall(rf"\bADD-{kind}-\d+-\d+\b", prompt))
    return q


class SpreadWorld(World):
    """gate_power's world, with edits in the section the proposing lane favours."""

    def __init__(self, rubric, run: int, same_kinds: bool = False) -> None:
        order = MIX[:]
        random.Random(1000 + run).shuffle(order)
        super().__init__(rubric, order, run)
        self.run = run
        # Throughput: every lane meets the same kinds of edit in the same order as one lane
        # does, so experiments per hour compare like with like.
        self.same_kinds = same_kinds
        self.writer_times: list[float] = []

    def __call__(self, body: dict) -> str:
        system = body["messages"][0]["content"]
        if not system.startswith(("You are an exacting editor", "You improve a writing style")):
            self.writer_times.append(time.time())
        return super().__call__(body)

    def quality(self, prompt: str) -> float:
        return quality(prompt)

    def propose(self, user: str, attempt: int) -> str:
        found = re.search(r"lane (\d+) of \d+.*?Prefer an edit to: ([\w, ]+)\.", user, re.S)
        lane = int(found.group(1)) if found else 0
        favoured = found.group(2).split(", ") if found else SECTIONS
        favoured = [s for s in favoured if s in SECTIONS] or SECTIONS
        section = favoured[(attempt - 1) % len(favoured)]
        if self.same_kinds:
            kind = self.order[(attempt - 1) % len(self.order)]
        else:
            kind = random.Random(f"{self.run}-{lane}-{attempt}").choice(self.order)
        current = re.search(
            rf"## Section: {section}\n(.*?)(?=\n## Section: |\n# Current score)", user, re.S
        )
        text = current.group(1).strip()
        tag = f"{lane}-{attempt}"
        kind, new = plant(text, kind, tag)
        return json.dumps(
            {"section": section, "new_text": new, "hypothesis": f"edit {tag} [{kind}]"}
        )


def make_repo(where: Path) -> Path:
    repo = where / "repo"
    shutil.copytree(ROOT / "skills" / "imagine", repo / "skills" / "imagine")
    shutil.copytree(ROOT / "rubrics", repo / "rubrics")
    (repo / "topics").mkdir()
    for t in sorted((ROOT / "topics").glob("*.yaml"))[:3]:
        shutil.copy(t, repo / "topics" / t.name)
    for i, name in enumerate(SECTIONS, 1):
        path = repo / "skills" / "imagine" / f"{name}.md"
        path.write_text(
            path.read_text().rstrip()
            + f"\n- LB{i}: a rule that carries weight.\n- FILLER{i}: a rule that changes nothing.\n"
        )
    git = ["git", "-c", "user.name=b", "-c", "user.email=b@b"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=repo, check=True)
    return repo


def run_cli(repo: Path, server: OpenAIServer, home: Path, *extra: str) -> dict:
    env = {**os.environ, "CONTENTLOOP_HOME": str(home)}
    cmd = [
        sys.executable,
        "-m",
        "contentloop.cli",
        "optimize-skill",
        *("--topics", "topics", "--tag", "b", "--json", "--no-cache"),
        *("--backend", "openai", "--base-url", server.url + "/v1", "--model", "m"),
        *extra,
    ]
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{repo} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def experiment_times(run_dir: Path, lanes: int) -> tuple[datetime, list[datetime]]:
    """When the baseline was logged, and when each experiment was (lane 0 writes the baseline
    for every lane)."""
    folders = [run_dir] if lanes == 1 else [run_dir / f"lane-{i}" for i in range(lanes)]
    base, out = None, []
    for folder in folders:
        for line in (folder / "experiments.jsonl").read_text().splitlines():
            r = json.loads(line)
            if r["kind"] == "experiment":
                out.append(datetime.fromisoformat(r["timestamp"]))
            elif r["kind"] == "baseline" and base is None:
                base = datetime.fromisoformat(r["timestamp"])
    assert base is not None
    return base, sorted(out)


def throughput(
    work: Path, rubric, lanes: int, seconds: float, latency: float, merge_every: int | None = None
) -> dict:
    """Experiments logged per hour in a window of `seconds` that opens when the baseline is
    done: the baseline's own length depends on --concurrency, and is paid once."""
    repo = make_repo(work / f"tp-{lanes}-{merge_every}")
    world = SpreadWorld(rubric, 0, same_kinds=True)
    merging = [] if merge_every is None else ["--merge-every", str(merge_every)]
    with OpenAIServer(world, latency=latency) as server:
        run_cli(
            repo,
            server,
            work / f"home-tp-{lanes}-{merge_every}",
            *("--lanes", str(lanes), "--concurrency", str(4 * lanes), "--forever"),
            *("--max-hours", f"{(seconds * 1.3 + 30) / 3600:.6f}"),
            *merging,
        )
    base, times = experiment_times(repo / "runs" / "b", lanes)
    done = [t for t in times if 0 < (t - base).total_seconds() <= seconds]
    drafts = [t for t in world.writer_times if 0 < t - base.timestamp() <= seconds]
    return {
        "lanes": lanes,
        "concurrency": 4 * lanes,
        "merge_every": merge_every,
        "experiments_in_window": len(done),
        "per_hour": len(done) / seconds * 3600,
        "drafts_per_hour": len(drafts) / seconds * 3600,
    }


def gain_run(work: Path, rubric, run: int, lanes: int, experiments: int) -> dict:
    repo = make_repo(work / f"g-{lanes}-{run}")
    world = SpreadWorld(rubric, run)
    extra = ["--max-experiments", str(experiments)]
    if lanes > 1:
        extra += ["--lanes", str(lanes), "--concurrency", str(4 * lanes), "--merge-every", "8"]
    with OpenAIServer(world) as server:
        summary = run_cli(repo, server, work / f"home-g-{lanes}-{run}", *extra)
    run_dir = repo / "runs" / "b"
    best_dir = run_dir / f"lane-{summary['best_lane']}" if lanes > 1 else run_dir
    base_q = quality(load_skill(repo / "skills" / "imagine").prompt)
    best_q = quality(load_skill(best_dir / "best-skill").prompt)
    merges = summary.get("merges") or []
    return {
        "true_gain": best_q - base_q,
        "reported": (summary.get("confirmed_gain") or {"mean": 0.0})["mean"],
        "writer_calls": world.writer_calls,
        "merges": len(merges),
        "merges_adopted": sum(m["adopted"] is not None for m in merges),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=4, help="gain: runs per configuration")
    ap.add_argument("--experiments", type=int, default=24, help="gain: experiments per run")
    ap.add_argument("--seconds", type=float, default=60.0, help="throughput: window per run")
    ap.add_argument("--latency", type=float, default=0.5, help="throughput: seconds per call")
    ap.add_argument("--part", choices=("all", "throughput", "gain"), default="all")
    ap.add_argument(
        "--merge-every",
        type=int,
        default=None,
        help="throughput: the 4-lane run's --merge-every (default: optimize-skill's, 2 per lane)",
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rubric = load_rubric(ROOT / "rubrics" / "imagine.yaml")
    with tempfile.TemporaryDirectory(prefix="lanes-bench-") as tmp:
        work = Path(tmp)
        tp = (
            {
                n: throughput(work, rubric, n, args.seconds, args.latency, args.merge_every)
                for n in (1, 4)
            }
            if args.part != "gain"
            else {}
        )
        print(f"throughput: {json.dumps(tp)}", file=sys.stderr)
        gains = (
            {
                n: [gain_run(work, rubric, r, n, args.experiments) for r in range(args.runs)]
                for n in (1, 4)
            }
            if args.part != "throughput"
            else {}
        )
    ratio = tp[4]["per_hour"] / tp[1]["per_hour"] if tp and tp[1]["per_hour"] else None

    def agg(rows: list[dict]) -> dict:
        calls = sum(r["writer_calls"] for r in rows)
        return {
            "mean_true_gain": sum(r["true_gain"] for r in rows) / len(rows),
            "mean_reported_gain": sum(r["reported"] for r in rows) / len(rows),
            "writer_calls_per_run": calls / len(rows),
            "true_gain_per_1000_writer_calls": 1000 * sum(r["true_gain"] for r in rows) / calls,
            "merges_adopted": f"{sum(r['merges_adopted'] for r in rows)}/{sum(r['merges'] for r in rows)}",
        }

    result = {
        "throughput": tp,
        "throughput_ratio": ratio,
        "drafts_ratio": tp[4]["drafts_per_hour"] / tp[1]["drafts_per_hour"] if tp else None,
        "gain": {n: agg(rows) for n, rows in gains.items()},
        "runs": args.runs,
        "experiments": args.experiments,
    }
    if args.json:
        print(json.dumps(result))
        return
    if tp:
        print(
            f"throughput at {args.latency:g} s per call, {args.seconds:g} s windows: 1 lane "
            f"{tp[1]['per_hour']:.0f} experiments/hour, 4 lanes {tp[4]['per_hour']:.0f}: "
            f"{ratio:.2f}x (target >= 3.5x); drafts per hour {result['drafts_ratio']:.2f}x"
        )
    if not gains:
        return
    g1, g4 = result["gain"][1], result["gain"][4]
    print(f"gain, {args.runs} runs x {args.experiments} experiments each:")
    print(f"{'':36} {'1 lane':>10} {'4 lanes':>10}")
    for label, key, fmt in (
        ("mean true gain of the final best", "mean_true_gain", "+.2f"),
        ("mean reported (confirmed) gain", "mean_reported_gain", "+.2f"),
        ("writer calls per run", "writer_calls_per_run", ".0f"),
        ("true gain per 1,000 writer calls", "true_gain_per_1000_writer_calls", "+.2f"),
    ):
        print(f"{label:36} {format(g1[key], fmt):>10} {format(g4[key], fmt):>10}")
    print(f"{'merges adopted':36} {'-':>10} {g4['merges_adopted']:>10}")
    ahead = g4["true_gain_per_1000_writer_calls"] > g1["true_gain_per_1000_writer_calls"]
    print(
        "4 lanes with merging reach a higher true gain per writer call than one lane."
        if ahead
        else "4 lanes with merging do NOT reach a higher true gain per writer call than one lane."
    )


if __name__ == "__main__":
    main()
