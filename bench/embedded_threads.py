"""Why the embedded model must not take every core on a busy machine.

    python bench/embedded_threads.py [--tokens 64]

Times one short generation (281 prompt tokens, --tokens output tokens) with llama.cpp on 2
threads and on 1, first on an idle machine, then with 1 and 2 other processes spinning
(`while True: pass`), and finally through LocalBackend, which picks its threads from the
other processes' load before each call (contentloop/llm/local.py: threads_now).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contentloop.llm import Message, Request  # noqa: E402
from contentloop.llm.local import LocalBackend, _load, model_path, threads_now  # noqa: E402

PROMPT = "Write about private 5G. " * 40


def fixed(threads: int, tokens: int) -> float:
    from llama_cpp import Llama

    llm = Llama(model_path=str(model_path()), n_ctx=2048, n_threads=threads, verbose=False, seed=0)
    t = time.perf_counter()
    llm.create_completion(PROMPT, max_tokens=tokens, temperature=0.7, seed=1)
    seconds = time.perf_counter() - t
    llm.close()
    return seconds


def adaptive(tokens: int, run: int) -> tuple[float, int, int]:
    """One call through LocalBackend (model already loaded, threads_now's sampling included);
    a distinct system prompt per run so no KV cache is reused."""
    _load()
    n = threads_now()
    request = Request(f"Run {run}.", (Message("user", PROMPT),), max_tokens=tokens)
    t = time.perf_counter()
    reply = LocalBackend().complete(request)
    return time.perf_counter() - t, n, reply.usage.output_tokens


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for hogs in (0, 1, 2):
        procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(hogs)]
        try:
            time.sleep(1.0 if hogs else 0)
            two, one = fixed(2, args.tokens), fixed(1, args.tokens)
            auto, n, out = adaptive(args.tokens, hogs)
        finally:
            for p in procs:
                p.kill()
        rows.append(
            {"others": hogs, "two": two, "one": one, "auto": auto, "auto_threads": n, "out": out}
        )
    print(f"one generation, {args.tokens} output tokens; seconds (ratio to the best fixed choice)")
    print(f"{'other procs':>11} {'2 threads':>10} {'1 thread':>10} {'adaptive':>16}")
    for r in rows:
        best = min(r["two"], r["one"])
        print(
            f"{r['others']:>11} {r['two']:>10.1f} {r['one']:>10.1f} "
            f"{r['auto']:>7.1f} ({r['auto_threads']} thr, {r['auto'] / best:.2f}x, {r['out']} tokens)"
        )
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
