"""What `contentloop calibrate` costs at its defaults: calls, tokens and dollars per rubric.

    python bench/calibrate_cost.py [--json]

Runs the real CLI (`calibrate --no-cache --json`, 8 drafts and their probe copies judged 4 times, degraded copies twice) against a 127.0.0.1
server in the Anthropic wire format, once per shipped rubric and judge model. The server
counts tokens the usual way (4 characters a token) and answers like a real judge: a
rationale of about 200 characters per criterion, so output tokens are close to what a real
model writes. Dollars come from contentloop's own price table (llm/prices.yaml). The
figures are counts, not timings: the same on every machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contentloop.testing import AnthropicServer  # noqa: E402

MODELS = ["claude-haiku-4-5", "claude-sonnet-4-6"]
RATIONALE = (
    "The draft names a concrete problem and quotes figures for it; one section stays general "
    "and a claim in the third paragraph outruns the source it cites, so this is not a ten."
)


def judge(body: dict) -> str:
    """A verdict on every criterion the judge's system prompt lists ("## name" lines)."""
    system = body["system"]
    text = system if isinstance(system, str) else "".join(block["text"] for block in system)
    names = [line[3:].strip() for line in text.splitlines() if line.startswith("## ")]
    return json.dumps({n: {"rationale": RATIONALE, "score": 7} for n in names})


def cli(args: list[str], env: dict[str, str], cwd: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "contentloop.cli", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
    )
    if not proc.stdout.strip():
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    rows = []
    with AnthropicServer(judge) as server, tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CONTENTLOOP_HOME": tmp,
            "ANTHROPIC_API_KEY": "bench",
            "ANTHROPIC_BASE_URL": server.url,
        }
        for rubric in ("imagine", "techdocs"):
            for model in MODELS:
                flags = ["--judge-backend", "anthropic", "--judge-model", model, "--no-cache"]
                card = cli(
                    [
                        "calibrate",
                        "--rubric",
                        str(ROOT / "rubrics" / f"{rubric}.yaml"),
                        "--set",
                        str(ROOT / "calibration" / rubric),
                        *flags,
                    ],
                    env,
                    tmp,
                )
                calls = card["calls"]
                rows.append(
                    {
                        "rubric": rubric,
                        "model": model,
                        "drafts": card["calibration_set"]["drafts"],
                        "k": card["judge"]["samples"],
                        "calls": calls["calls"],
                        "input_tokens": calls["input_tokens"],
                        "output_tokens": calls["output_tokens"],
                        "cost_usd": calls["cost_usd"],
                        "passed": card["passed"],
                    }
                )
    if args.json:
        print(json.dumps({"rows": rows}))
        return
    print(
        "calibrate at the defaults (drafts and probes x 4, degraded copies x 2), priced from llm/prices.yaml"
    )
    for r in rows:
        cost = "price unknown" if r["cost_usd"] is None else f"${r['cost_usd']:.3f}"
        print(
            f"  {r['rubric']:9s} {r['model']:18s} {r['calls']:4d} calls, {r['input_tokens']:,} in / "
            f"{r['output_tokens']:,} out tokens, {cost}"
        )


if __name__ == "__main__":
    main()
