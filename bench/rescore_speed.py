"""rescore's wall time against the critical path of its judge calls.

A server on 127.0.0.1 speaks the OpenAI wire format and answers every judge call after a fixed
latency L. `contentloop rescore` (the real command, in-process) judges N saved drafts with
--concurrency C; its critical path is ceil(N / C) rounds of L. The ratio wall / critical path
says what the command adds around its calls (reading, rule checks, writing each card), in a
warm process (spaCy's start is paid by a first, one-draft rescore). A
second run of the same command resumes: every draft is judged already, no call is made.

    python bench/rescore_speed.py [--drafts 24] [--concurrency 8] [--latency 1.0]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from corpus import make_post  # noqa: E402
from helpers import verdict  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from contentloop.cli import app  # noqa: E402
from contentloop.rubric import load_rubric  # noqa: E402
from contentloop.testing import OpenAIServer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--drafts", type=int, default=24)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--latency", type=float, default=1.0, help="seconds per judge call")
    ap.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = ap.parse_args()

    rubric = load_rubric("imagine")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "drafts"
        folder.mkdir()
        import random

        rng = random.Random(7)
        for i in range(args.drafts):
            (folder / f"post-{i:03d}.md").write_text(make_post(i, rng), encoding="utf-8")
        command = [
            "rescore", str(folder), "--judge-backend", "openai", "--judge-model", "bench-judge",
            "--concurrency", str(args.concurrency), "--no-cache", "--json",
        ]  # fmt: skip
        with OpenAIServer(lambda body: verdict(rubric, 7), latency=args.latency) as server:
            command += ["--judge-base-url", server.url + "/v1"]
            # Warm the process first (spaCy's start, the rubric's matchers): a long session
            # pays them once, and they are not what the ratio is about.
            warm = Path(tmp) / "warm"
            warm.mkdir()
            (warm / "one.md").write_text(make_post(999, rng), encoding="utf-8")
            CliRunner().invoke(app, [*command[:1], str(warm), *command[2:]])
            server.requests.clear()
            t = time.perf_counter()
            first = CliRunner().invoke(app, command, catch_exceptions=False)
            wall = time.perf_counter() - t
            calls = len(server.requests)
            t = time.perf_counter()
            again = CliRunner().invoke(app, command, catch_exceptions=False)
            resumed = time.perf_counter() - t
            calls_again = len(server.requests) - calls
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    critical = math.ceil(args.drafts / args.concurrency) * args.latency
    print(f"{args.drafts} drafts, --concurrency {args.concurrency}, {args.latency:.1f} s a call")
    print(f"rescore wall time: {wall:.2f} s; critical path of its calls: {critical:.2f} s")
    print(f"ratio wall / critical path: {wall / critical:.2f} (judge calls: {calls})")
    print(f"the same command again (resume, nothing left): {resumed:.2f} s, {calls_again} calls")
    if args.json:
        figures = {
            "drafts": args.drafts,
            "concurrency": args.concurrency,
            "latency_s": args.latency,
            "wall_s": wall,
            "critical_path_s": critical,
            "ratio": wall / critical,
            "calls": calls,
            "resume_s": resumed,
            "resume_calls": calls_again,
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
