"""The embedded model as judge: seconds per full `score` and the judge's spread over K samples.

    python bench/embedded_judge.py [--draft drafts/example-digital-twins.md] [--k 5]

Runs `contentloop score` as a user would (a fresh process, --no-cache) with and without the
judge on the same draft, so the ratio shows what the judge adds on this machine, then
judges the draft K times and prints each criterion's mean and stdev.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], env: dict[str, str]) -> tuple[float, dict]:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "contentloop.cli", "score", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    return time.perf_counter() - t, json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--draft", default="drafts/example-digital-twins.md")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=2, help="timing runs; the best is kept")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CONTENTLOOP_HOME": home}
        env.pop("ANTHROPIC_API_KEY", None)
        base = min(run([args.draft, "--no-judge"], env)[0] for _ in range(args.repeat))
        timed = [run([args.draft, "--no-cache"], env) for _ in range(args.repeat)]
        full = min(t for t, _ in timed)
        words = timed[0][1]
        _, card = run([args.draft, "--no-cache", "--judge-samples", str(args.k)], env)

    print(f"draft: {args.draft}")
    print(f"score --no-judge (fresh process):        {base:6.2f} s")
    print(f"score with embedded judge (fresh proc.): {full:6.2f} s   ratio {full / base:.1f}x")
    print(f"judge over K={args.k} samples ({card['judge']['model']}):")
    for c in card["judge"]["criteria"]:
        print(
            f"  {c['name']:<22} mean {c['score']:5.2f}  stdev {c['stdev']:4.2f}  scores {c['scores']}"
        )
    spreads = [c["stdev"] for c in card["judge"]["criteria"]]
    print(
        f"  mean stdev across criteria: {statistics.fmean(spreads):.2f}; judge part "
        f"{card['judge']['score']}/{card['judge']['max']}, total {card['total']}"
    )
    del words


if __name__ == "__main__":
    main()
