"""Can the embedded 135M model tell a good draft from a degraded one at all?

    python bench/embedded_judge_separation.py [--drafts 8] [--json-drafts 4] [--pair-drafts 4]

The calibration set (calibration/imagine/) pairs each good draft with one copy degraded on
one criterion. A judge that separates them scores the good draft higher on that criterion.
Three ways of asking the embedded model, each measured as discrimination (the share of
pairs where the good draft scores higher, ties half; chance is 0.50, `calibrate` asks 0.75):

  json      the judge as `write` runs it: one grammar-constrained JSON reply per draft;
  geval     G-Eval's method: one question per criterion, the score read as the
            probability-weighted mean over the digit tokens (no sampling);
  pairwise  both drafts in one prompt, "which is better on <criterion>, A or B?", read from
            the probabilities of A and B, asked in both orders to cancel position bias.

Prints one row per method and per criterion, and a JSON line with --json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contentloop.calibrate.calset import load_set  # noqa: E402
from contentloop.calibrate.degrade import DEGRADATIONS  # noqa: E402
from contentloop.calibrate.markdown import canonical  # noqa: E402
from contentloop.judge import Judge  # noqa: E402
from contentloop.llm import Client, Message, Request  # noqa: E402
from contentloop.llm.local import LocalBackend, _load, chatml  # noqa: E402
from contentloop.rubric import load_rubric  # noqa: E402

SYSTEM = "You are an exacting editor. You score drafts against one criterion at a time."


def prompt_for(user: str, reply_prefix: str) -> str:
    """The backend's own chat template, with the start of the reply written in."""
    return chatml(Request(SYSTEM, (Message("user", user),))) + reply_prefix


def next_token_probs(llm, prompt: str) -> list[float]:
    """Probabilities of the next token after `prompt` (the shared prefix stays in the KV cache)."""
    tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
    common = 0
    for a, b in zip(llm._input_ids.tolist(), tokens, strict=False):
        if a != b:
            break
        common += 1
    common = min(common, len(tokens) - 1)
    llm.n_tokens = common
    llm.eval(tokens[common:])
    # Without logits_all, llama-cpp-python keeps no score rows; the context holds the last
    # token's logits.
    logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(float)
    exp = np.exp(logits - logits.max())
    return list(exp / exp.sum())


def criterion_block(c) -> str:
    anchors = "\n".join(f"- {k}: {v}" for k, v in c.anchors.items())
    return f"Criterion: {c.name}\n{c.description.strip()}\n{anchors}"


def geval(llm, draft: str, c) -> float:
    digit = {d: llm.tokenize(str(d).encode(), add_bos=False)[0] for d in range(10)}
    user = (
        f"<draft>\n{draft.strip()}\n</draft>\n\n{criterion_block(c)}\n\n"
        "Score the draft on this criterion from 1 to 10. Reply with the number only."
    )
    prompt = prompt_for(user, "Score: ")
    p = next_token_probs(llm, prompt)
    mass = {d: p[digit[d]] for d in range(1, 10)}
    ten = next_token_probs(llm, prompt + "1")[digit[0]]  # "10" is "1" then "0"
    total = sum(mass.values())
    expected = sum(d * m for d, m in mass.items() if d != 1)
    expected += mass[1] * (10 * ten + 1 * (1 - ten))
    return expected / total


def pairwise(llm, first: str, second: str, c) -> float:
    """P(the model prefers `first`), read from its probabilities of A and B."""
    a, b = llm.tokenize(b" A", add_bos=False)[0], llm.tokenize(b" B", add_bos=False)[0]
    user = (
        f"Draft A:\n<draft>\n{first.strip()}\n</draft>\n\nDraft B:\n<draft>\n{second.strip()}\n"
        f"</draft>\n\n{criterion_block(c)}\n\nWhich draft is better on this criterion? "
        "Answer A or B."
    )
    p = next_token_probs(llm, prompt_for(user, "Answer:"))
    return p[a] / (p[a] + p[b])


def share(wins: list[float]) -> float:
    return statistics.fmean(wins) if wins else float("nan")


def wilson(wins: list[float], z: float = 1.96) -> tuple[float, float]:
    """95% interval of the share (ties count half, as in `calibrate`)."""
    n = len(wins)
    if not n:
        return (float("nan"), float("nan"))
    p = share(wins)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return (round(centre - half, 3), round(centre + half, 3))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--drafts", type=int, default=8, help="drafts for the G-Eval method")
    ap.add_argument("--json-drafts", type=int, default=4, help="drafts for the JSON judge")
    ap.add_argument("--pair-drafts", type=int, default=4, help="drafts for the pairwise method")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    rubric = load_rubric(ROOT / "rubrics" / "imagine.yaml")
    cset = load_set(ROOT / "calibration" / "imagine", rubric)
    criteria = {c.name: c for c in rubric.judge.criteria}
    pairs = []  # (draft name, criterion, good text, degraded text)
    for name, raw in sorted(cset.drafts.items()):
        good = canonical(raw)
        for crit, degradations in cset.config.degradations.items():
            pairs.append((name, crit, good, DEGRADATIONS[degradations[0]](good)))
    names = sorted(cset.drafts)
    llm = _load()
    wins: dict[str, dict[str, list[float]]] = {"json": {}, "geval": {}, "pairwise": {}}
    seconds: dict[str, float] = {}

    t = time.perf_counter()
    scores: dict[tuple[str, str], float] = {}
    for name, crit, good, bad in pairs:
        if name not in names[: args.drafts]:
            continue
        g = scores.setdefault((name, crit + "/good"), geval(llm, good, criteria[crit]))
        d = geval(llm, bad, criteria[crit])
        wins["geval"].setdefault(crit, []).append(1.0 if g > d else 0.5 if g == d else 0.0)
    seconds["geval"] = time.perf_counter() - t

    t = time.perf_counter()
    for name, crit, good, bad in pairs:
        if name not in names[: args.pair_drafts]:
            continue
        prefer = (
            pairwise(llm, good, bad, criteria[crit]) + 1 - pairwise(llm, bad, good, criteria[crit])
        ) / 2
        wins["pairwise"].setdefault(crit, []).append(
            1.0 if prefer > 0.5 else 0.5 if prefer == 0.5 else 0.0
        )
    seconds["pairwise"] = time.perf_counter() - t

    t = time.perf_counter()
    judge = Judge(Client(LocalBackend(), role="judge"), rubric)
    judged: dict[str, dict[str, float]] = {}

    async def verdict(text: str) -> dict[str, float]:
        score = await judge.ajudge(text)
        return {c.name: c.score for c in score.criteria}

    for name, crit, good, bad in pairs:
        if name not in names[: args.json_drafts]:
            continue
        if name not in judged:
            judged[name] = asyncio.run(verdict(good))
        d = asyncio.run(verdict(bad))[crit]
        g = judged[name][crit]
        wins["json"].setdefault(crit, []).append(1.0 if g > d else 0.5 if g == d else 0.0)
    seconds["json"] = time.perf_counter() - t

    print(f"embedded judge (smollm2-135m, {os.cpu_count()} cores) on calibration/imagine")
    print(
        f"{'method':10} {'pairs':>5} {'discrimination':>15} {'95% CI':>12} {'seconds':>8}   per criterion"
    )
    summary = {}
    for method, per in wins.items():
        pooled = [w for ws in per.values() for w in ws]
        summary[method] = {
            "pairs": len(pooled),
            "discrimination": round(share(pooled), 3),
            "ci95": wilson(pooled),
            "seconds": round(seconds[method], 1),
            "criteria": {c: round(share(ws), 2) for c, ws in per.items()},
        }
        crit_text = "  ".join(f"{c} {share(ws):.2f}" for c, ws in per.items())
        low, high = wilson(pooled)
        print(
            f"{method:10} {len(pooled):5d} {share(pooled):15.2f} {low:5.2f}-{high:<6.2f} "
            f"{seconds[method]:8.0f}   {crit_text}"
        )
    print("chance is 0.50; `contentloop calibrate` asks 0.75 per criterion")
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
