"""Seconds per optimize-skill experiment on the embedded model (3 topics, K=1, no refine),
with the baseline (2 drafts per topic of the unchanged skill; at most 2 stages) measured in the
same run.

    python bench/embedded_optimize.py [--experiments 1]

Runs as a user would: a fresh process and CONTENTLOOP_HOME, --no-git on a copy of the skill.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ["private-5g", "digital-twins", "predictive-maintenance"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiments", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        shutil.copytree(ROOT / "skills" / "imagine", tmp / "skills" / "imagine")
        (tmp / "topics").mkdir()
        for t in TOPICS:
            shutil.copy(ROOT / "topics" / f"{t}.yaml", tmp / "topics")
        env = {**os.environ, "CONTENTLOOP_HOME": str(tmp / "home")}
        env.pop("ANTHROPIC_API_KEY", None)
        cmd = [
            *(sys.executable, "-m", "contentloop.cli", "optimize-skill", "--no-git", "--json"),
            *("--topics", "topics", "--skill", "skills/imagine", "--tag", "bench"),
            *("--max-experiments", str(args.experiments), "--runs", "runs"),
            # A small gate: at ~50 s a draft on 2 cores, the defaults (8 baseline drafts per
            # topic, up to 5 stages, 4 confirmation drafts) would take most of an hour.
            *("--baseline-drafts", "2", "--max-stages", "2", "--confirm-drafts", "1"),
        ]
        started = time.perf_counter()
        subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, check=True)
        total = time.perf_counter() - started
        records = [
            json.loads(x)
            for x in (tmp / "runs" / "bench" / "experiments.jsonl").read_text().splitlines()
        ]
    baseline = sum(r["wall_time_s"] for r in records if r.get("kind") == "baseline")
    exps = [r for r in records if r.get("kind") == "experiment"]
    confirm = sum(r["wall_time_s"] for r in records if r.get("kind") in ("verify", "confirm"))
    per = [r["wall_time_s"] for r in exps]
    print(f"embedded model, {len(TOPICS)} topics, K=1, {os.cpu_count()} cores")
    print(f"baseline (2 drafts per topic): {baseline:7.1f} s")
    for r in exps:
        print(
            f"experiment {r['experiment']}: {r['status']:8} {r['wall_time_s']:7.1f} s "
            f"({len(r.get('stages') or [])} stage(s))"
        )
    print(f"drift checks and confirmation: {confirm:7.1f} s")
    print(f"whole run: {total:7.1f} s")
    if args.json:
        figures = {
            "baseline_s": baseline,
            "experiment_s": per,
            "statuses": [r["status"] for r in exps],
            "stages": [len(r.get("stages") or []) for r in exps],
            "confirm_s": confirm,
            "total_s": total,
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
