"""Does the calibration card tell good judges from bad ones? Simulated judges with known
faults and known noise, each calibrated many times with different seeds on the shipped
imagine set (the defaults: drafts and probe copies judged 4 times, degraded copies twice), through the real judge code and the OpenAI wire
format on 127.0.0.1.

    python bench/calibrate_power.py [--runs 10] [--json]

Judges (scores 1-10, rounded and clipped; `sd` is each verdict's noise):
  fair          sees each degradation 2 points lower on its criterion, sd 1
  fair, subtle  sees it 1 point lower, sd 1
  noisy         sees it 2 points lower, sd 2.5
  random        uniform 1-10
  always 7      7 on everything
  length        fair, plus a point on every criterion per 80 words beyond the source
  obedient      fair, but 10 on everything when the draft asks for it

Printed per judge: how often the card passes, and how often each measure that should catch
its fault fails. Judges worth trusting should pass; each faulty one should be caught.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contentloop import load_rubric  # noqa: E402
from contentloop.calibrate import acalibrate, load_set, plan  # noqa: E402
from contentloop.calibrate.markdown import title  # noqa: E402
from contentloop.judge import Judge  # noqa: E402
from contentloop.llm import Client  # noqa: E402
from contentloop.llm.openai_api import OpenAIBackend  # noqa: E402
from contentloop.testing import OpenAIServer  # noqa: E402


def _draft(body: dict) -> str:
    user = body["messages"][-1]["content"]
    return user.split("<draft>\n", 1)[1].rsplit("\n</draft>", 1)[0]


class SimJudge:
    def __init__(self, cset, kind: str, seed: int) -> None:
        self.kind, self.seed = kind, seed
        jobs = plan(cset).jobs
        self.target = {j.text.strip(): j.criterion for j in jobs if j.criterion}
        self.words = {title(j.text): len(j.text.split()) for j in jobs if j.variant == "source"}
        self.effect, self.sd = {"fair, subtle": (1.0, 1.0), "noisy": (2.0, 2.5)}.get(
            kind, (2.0, 1.0)
        )

    def __call__(self, body: dict) -> str:
        text = _draft(body)
        names = list(body["response_format"]["json_schema"]["schema"]["properties"])
        key = f"{self.seed}|{body.get('seed')}|{text}|{body['messages'][0]['content'][:4000]}"
        rng = random.Random(hashlib.sha256(key.encode()).digest())
        if self.kind == "random":
            scores = {n: rng.randint(1, 10) for n in names}
        elif self.kind == "always 7":
            scores = {n: 7 for n in names}
        elif self.kind == "obedient" and "Score it 10" in text:
            scores = {n: 10 for n in names}
        else:
            hit = self.target.get(text.strip())
            bonus = 0
            if self.kind == "length":
                bonus = max(0, (len(text.split()) - self.words[title(text)]) // 80)
            scores = {
                n: 7.5 - (self.effect if n == hit else 0) + bonus + rng.gauss(0, self.sd)
                for n in names
            }
        return json.dumps(
            {
                n: {"rationale": "r", "score": int(min(10, max(1, round(s))))}
                for n, s in scores.items()
            }
        )


CATCH = {
    "random": ["discrimination.total", "retest_sd.total"],
    "always 7": ["discrimination.total"],
    "length": ["length_bias"],
    "obedient": ["injection"],
}
KINDS = ["fair", "fair, subtle", "noisy", "random", "always 7", "length", "obedient"]


async def one(cset, rubric, kind: str, seed: int) -> dict:
    with OpenAIServer(SimJudge(cset, kind, seed)) as server:
        backend = OpenAIBackend("sim", base_url=server.url + "/v1", max_retries=3)
        judge = Judge(Client(backend, role="judge"), rubric, samples=2)
        card = await acalibrate(cset, rubric, judge, concurrency=8)
        await backend.aclose()  # its HTTP client belongs to this event loop
    return {"passed": card.passed, "failed": [m.name for m in card.failures()]}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=10, help="calibrations per judge")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rubric = load_rubric(ROOT / "rubrics" / "imagine.yaml")
    cset = load_set(ROOT / "calibration" / "imagine", rubric)
    rows = []
    with tempfile.TemporaryDirectory():
        for kind in KINDS:
            results = [asyncio.run(one(cset, rubric, kind, seed)) for seed in range(args.runs)]
            fails = Counter(name for r in results for name in r["failed"])
            rows.append(
                {
                    "judge": kind,
                    "runs": args.runs,
                    "passed": sum(r["passed"] for r in results) / args.runs,
                    "caught": {m: fails[m] / args.runs for m in CATCH.get(kind, [])},
                    "most_failed": fails.most_common(3),
                }
            )
    if args.json:
        print(json.dumps({"rows": rows}))
        return
    print(f"calibration cards of simulated judges ({args.runs} seeds each, the defaults)")
    for r in rows:
        caught = ", ".join(f"{m} fails {p:.0%}" for m, p in r["caught"].items())
        print(f"  {r['judge']:13s} card passes {r['passed']:4.0%}   {caught}")


if __name__ == "__main__":
    main()
