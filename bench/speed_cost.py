"""Figures 1-3: concurrency, the call cache, prompt caching and Message Batches, on one
optimize experiment.

A server on 127.0.0.1 speaks the Anthropic Messages wire format and answers every call after
a fixed latency L with realistic token counts (a 900-word draft, a full verdict), so the
numbers do not depend on the network. The real loop runs (OptimizeRun, no git): baseline,
then one experiment over 3 topics x 2 repeats, no refine.

    python bench/speed_cost.py [--latency 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from corpus import make_post  # noqa: E402

from contentloop.llm import CallCache  # noqa: E402
from contentloop.llm.anthropic_api import AnthropicBackend  # noqa: E402
from contentloop.llm.batch import batched  # noqa: E402
from contentloop.optimize import Budget, OptimizeRun  # noqa: E402
from contentloop.rubric import load_rubric  # noqa: E402
from contentloop.testing import AnthropicServer  # noqa: E402
from contentloop.topic import load_topic  # noqa: E402

TOPICS = ["private-5g", "digital-twins", "predictive-maintenance"]


def world(rubric: Any):
    draft = make_post(1, random.Random(3))
    names = [c.name for c in rubric.judge.criteria]
    verdict = json.dumps(
        {
            n: {"rationale": "Specific and plain, with one vague claim. " * 3, "score": 7}
            for n in names
        }
    )

    def respond(body: dict[str, Any]) -> str:
        system = "".join(b["text"] for b in body["system"])
        if system.startswith("You are an exacting editor"):
            return verdict
        if system.startswith("You improve a writing style guide"):
            return json.dumps(
                {
                    "section": "final_check",
                    "new_text": "- Read the lead aloud; cut any sentence that does not earn the next.",
                    "hypothesis": "a shorter final check keeps the lead tight",
                }
            )
        return draft

    return respond


def workspace(tmp: Path, long_skill: bool) -> tuple[Path, list[Any]]:
    skill = tmp / "skill"
    shutil.copytree(ROOT / "skills" / "imagine", skill)
    if long_skill:
        # A style guide with two full example posts: a system prompt over the caching minimum.
        rng = random.Random(11)
        (skill / "examples.md").write_text(
            (skill / "examples.md").read_text()
            + "\n\n"
            + make_post(2, rng)
            + "\n\n"
            + make_post(3, rng)
        )
    return skill, [load_topic(ROOT / "topics" / f"{t}.yaml") for t in TOPICS]


def run_once(
    server: AnthropicServer,
    tmp: Path,
    tag: str,
    *,
    concurrency: int,
    cache: CallCache | None,
    prompt_cache: bool = True,
    long_skill: bool = False,
    batch: bool = False,
) -> dict[str, Any]:
    rubric = load_rubric("imagine")
    skill, topics = workspace(tmp / tag, long_skill)
    backend = AnthropicBackend(
        "claude-sonnet-4-6",
        api_key="sk-bench",
        base_url=server.url,
        max_retries=0,
        prompt_cache=prompt_cache,
    )
    run = OptimizeRun.new(
        skill,
        topics,
        rubric,
        # As --batch does: drafts and verdicts through Message Batches, the proposal direct.
        writer=batched(backend) if batch else backend,
        judge=batched(backend) if batch else backend,
        optimizer=backend,
        batch=batch,
        run_dir=tmp / tag / "run",
        tag=tag,
        repeats=2,
        budget=Budget(max_experiments=1),
        use_git=False,
        cache=cache,
        concurrency=concurrency,
    )
    calls_before = len(server.requests)
    started = time.perf_counter()
    asyncio.run(run.run())
    wall = time.perf_counter() - started
    records = run.lane.ledger.records()
    (exp,) = [r for r in records if r["experiment"] == 1 and r["kind"] == "experiment"]
    # The shorter edit is shown not worse at its first stage in this noiseless world, so the
    # experiment's critical path is one proposal, one draft, one verdict.
    assert len(exp["stages"]) == 1, exp["stages"]
    return {
        "experiment_s": exp["wall_time_s"],
        "run_s": wall,
        "calls": len(server.requests) - calls_before,
        "tokens": exp["tokens"],
        "cost_usd": exp["cost_usd"],
        "max_in_flight": server.max_in_flight,
    }


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=2.0, help="seconds per call (L)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = parser.parse_args()
    latency = args.latency
    rubric = load_rubric("imagine")
    out: dict[str, Any] = {"latency_s": latency}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        os.environ["CONTENTLOOP_HOME"] = str(tmp / "home")
        critical = 3 * latency  # one experiment: proposal, then writer, then judge

        with AnthropicServer(world(rubric), latency=latency) as server:
            wide = run_once(server, tmp, "c12", concurrency=12, cache=CallCache(tmp / "cache"))
            # The same experiment again, same server and cache: every call is a cache hit.
            again = run_once(
                server, tmp, "c12-again", concurrency=12, cache=CallCache(tmp / "cache")
            )
        with AnthropicServer(world(rubric), latency=latency) as server:
            narrow = run_once(server, tmp, "c1", concurrency=1, cache=None)
            narrow["max_in_flight"] = server.max_in_flight
        out["fig1"] = {
            "critical_path_s": critical,
            "c12_s": wide["experiment_s"],
            "c12_ratio": wide["experiment_s"] / critical,
            "c12_max_in_flight": wide["max_in_flight"],
            "c1_s": narrow["experiment_s"],
            "c1_ratio": narrow["experiment_s"] / critical,
        }

        out["fig2"] = {
            "first_run_s": wide["run_s"],
            "repeat_run_s": again["run_s"],
            "repeat_calls": again["calls"],
            "time_ratio": again["run_s"] / wide["run_s"],
        }

        fig3 = {}
        for label, long_skill in (("shipped skill", False), ("skill with two example posts", True)):
            tokens = {}
            for cached in (True, False):
                with AnthropicServer(world(rubric), latency=latency) as server:
                    r = run_once(
                        server,
                        tmp,
                        f"pc-{long_skill}-{cached}",
                        concurrency=12,
                        cache=None,
                        prompt_cache=cached,
                        long_skill=long_skill,
                    )
                tokens[cached] = r["tokens"]
            on, off = tokens[True], tokens[False]
            fig3[label] = {
                "full_rate_with": on["input_tokens"],
                "cache_read_with": on["cache_read_tokens"],
                "cache_write_with": on.get("cache_write_tokens", 0),
                "full_rate_without": off["input_tokens"],
                "ratio": on["input_tokens"] / off["input_tokens"],
                # What the bill sees: writes cost 1.25x, reads 0.1x of the input price.
                "billed_ratio": (
                    on["input_tokens"]
                    + 1.25 * on.get("cache_write_tokens", 0)
                    + 0.1 * on["cache_read_tokens"]
                )
                / off["input_tokens"],
            }
        out["fig3"] = fig3

        # Batch pricing: the same experiment sent directly and through Message Batches. The
        # test server ends a batch after 0.5 s, so only the cost is a figure here, not time.
        costs = {}
        for batch in (False, True):
            with AnthropicServer(world(rubric), latency=latency) as server:
                r = run_once(server, tmp, f"batch-{batch}", concurrency=12, cache=None, batch=batch)
            costs[batch] = r["cost_usd"]
        out["fig3_batch"] = {
            "direct_usd": costs[False],
            "batch_usd": costs[True],
            "ratio": costs[True] / costs[False],
        }
    f1, f2 = out["fig1"], out["fig2"]
    print(f"L = {latency:g} s per call; one experiment = 3 topics x 2 repeats, no refine")
    print(
        f"1. wall / critical path (3L = {critical:g} s): --concurrency 12 {f1['c12_s']:.2f} s "
        f"-> {f1['c12_ratio']:.2f} (peak {f1['c12_max_in_flight']} calls in flight); "
        f"--concurrency 1 {f1['c1_s']:.2f} s -> {f1['c1_ratio']:.2f}"
    )
    print(
        f"2. repeated run with the call cache: {f2['repeat_calls']} backend calls, "
        f"{f2['repeat_run_s']:.2f} s vs {f2['first_run_s']:.2f} s -> {f2['time_ratio']:.3f}"
    )
    for label, f in out["fig3"].items():
        print(
            f"3. full-rate input tokens, prompt caching on / off ({label}): "
            f"{f['full_rate_with']:,} / {f['full_rate_without']:,} -> {f['ratio']:.2f}; "
            f"{f['cache_read_with']:,} read and {f['cache_write_with']:,} written to the cache; "
            f"billed input ratio {f['billed_ratio']:.2f}"
        )
    fb = out["fig3_batch"]
    print(
        f"3. one experiment's cost through Message Batches / direct: ${fb['batch_usd']:.4f} / "
        f"${fb['direct_usd']:.4f} -> {fb['ratio']:.2f} (the proposal call stays direct)"
    )
    if args.json:
        print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
