"""Seconds for `contentloop write --cycles N` on the embedded model, against `--cycles 0`
(one draft and one score) measured in the same run.

    python bench/embedded_write.py [--topic topics/private-5g.yaml] [--cycles 3]

Each command runs as a user runs it: a fresh process, a fresh CONTENTLOOP_HOME (no cached
answers), output in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write(topic: str, cycles: int) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CONTENTLOOP_HOME": str(Path(tmp) / "home")}
        env.pop("ANTHROPIC_API_KEY", None)
        cmd = [
            sys.executable,
            "-m",
            "contentloop.cli",
            "write",
            "--topic",
            topic,
            "--cycles",
            str(cycles),
            "--out",
            str(Path(tmp) / "out"),
            "--json",
        ]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
        return time.perf_counter() - t, json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--topic", default="topics/private-5g.yaml")
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = ap.parse_args()
    base, run0 = write(args.topic, 0)
    full, run = write(args.topic, args.cycles)
    print(f"topic: {args.topic} (embedded model, {os.cpu_count()} cores)")
    print(f"write --cycles 0 (draft + score):  {base:7.1f} s   v0 total {run0['final_total']}")
    print(f"write --cycles {args.cycles}:                 {full:7.1f} s   ratio {full / base:.1f}x")
    for v in run["versions"]:
        print(
            f"  v{v['version']}: total {v['total']:5.1f}  kept {str(v['kept']):5}  {v['seconds']:6.1f} s  "
            f"{v['tokens']['output_tokens']} output tokens"
        )
    print(f"  stop: {run['stop_reason']}; final v{run['best_version']} {run['final_total']}")
    if args.json:
        figures = {
            "cycles": args.cycles,
            "write_s": full,
            "draft_only_s": base,
            "ratio": full / base,
            "totals": [v["total"] for v in run["versions"]],
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
