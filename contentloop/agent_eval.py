"""`contentloop eval`: the current skill measured by a fixed harness, for a coding agent that
runs the optimize loop itself (`contentloop agent init` writes its instructions).

The agent edits the skill and commits; eval writes `--repeats` drafts per topic, scores them
(rules + judge), and compares the skill with the best one kept so far, topic by topic, on
drafts stored in a sample bank beside results.tsv. It prints grep-able `key: value` lines and
appends one row to results.tsv; `status: keep` means the edit is shown better at a one-sided
5% level, `discard` means it is not (the agent then runs `git reset --hard HEAD~1`).

The harness (rubric, judge prompt, topics, repeats, judge model) is fixed: its hash is in every
row, and an eval under a different harness than the file's earlier rows is refused, so no
score is compared across harnesses.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import time
from pathlib import Path
from typing import Any

from .atomic import append_line
from .errors import ContentloopError
from .judge import Judge
from .llm import Backend, CallCache, Client, CostLedger
from .optimize.harness import harness_sha256
from .optimize.samples import SampleBank, draw, skill_hash
from .optimize.stats import paired_difference, pooled_noise, t_quantile, z_quantile
from .optimize.workspace import git_out
from .rubric import Rubric
from .skill import Skill, count_tokens
from .topic import Topic

COLUMNS = [
    "commit",
    "skill",
    "score",
    "ci95_low",
    "ci95_high",
    "delta",
    "noise",
    "prompt_tokens",
    "output_tokens",
    "cost_usd",
    "seconds",
    "status",
    "harness",
    "description",
]
ALPHA = 0.05  # one-sided: an edit that changes nothing is kept at most 5% of the time


def read_results(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if rows and set(COLUMNS) - set(rows[0]):
        raise ContentloopError(
            "is not a results file written by `contentloop eval` (its columns differ).",
            path=path,
            fix="pass --results with another file name (optimize-skill's results.tsv lives in runs/<tag>/).",
        )
    return rows


def commit_of(skill_dir: Path) -> str:
    """The commit the skill is at, marked -dirty when the skill has uncommitted edits."""
    head = git_out("rev-parse", "--short=12", "HEAD", cwd=skill_dir) or "no-git"
    dirty = git_out("status", "--porcelain", "--", ".", cwd=skill_dir)
    return head + ("-dirty" if dirty else "")


def harness_of(rubric: Rubric, topics: list[Topic], judge: Backend, repeats: int) -> str:
    h = hashlib.sha256(harness_sha256(rubric, topics).encode())
    h.update(f"{judge.name}:{judge.model}:{repeats}".encode())
    return h.hexdigest()[:16]


async def evaluate(
    skill: Skill,
    topics: list[Topic],
    rubric: Rubric,
    writer_backend: Backend,
    judge_backend: Backend,
    *,
    results: Path,
    repeats: int = 2,
    description: str = "",
    cache: CallCache | None = None,
    concurrency: int = 4,
) -> dict[str, Any]:
    """Measure `skill`, decide keep/discard against the best kept row, append the row."""
    harness = harness_of(rubric, topics, judge_backend, repeats)
    rows = read_results(results)
    other = [r for r in rows if r["harness"] != harness]
    if other:
        raise ContentloopError(
            f"its rows were measured under another harness ({other[0]['harness']}, now {harness}): "
            "the rubric, the judge prompt, the topics, --repeats or the judge model changed, so "
            "the scores cannot be compared.",
            path=results,
            fix="restore the harness, or start a new results file with --results.",
        )
    bank = SampleBank(results.with_name(results.stem + ".samples.jsonl"))
    ledger = CostLedger()
    limit = asyncio.Semaphore(concurrency)
    writer = Client(writer_backend, role="writer", cache=cache, ledger=ledger, limit=limit)
    judge = Judge(
        Client(judge_backend, role="judge", cache=cache, ledger=ledger, limit=limit), rubric
    )
    started = time.monotonic()
    digest = skill_hash(skill)
    await draw(
        bank, skill, topics, rubric, writer, judge, need=repeats, role="candidate", experiment=0
    )
    slugs = [t.slug for t in topics]
    mine = {t: [s.total for s in bank.samples(digest, t)][:repeats] for t in slugs}
    every = [v for vs in mine.values() for v in vs]
    noise = pooled_noise(bank.cells(slugs))
    score = sum(every) / len(every)
    half = t_quantile(0.975, max(1, noise.df)) * noise.sd / len(every) ** 0.5 if noise.df else 0.0
    kept = [r for r in rows if r["status"] in ("baseline", "keep")]
    best = kept[-1] if kept else None
    delta: dict[str, float] | None = None
    if best is None:
        status = "baseline"
    elif best["skill"] == digest:
        status = "same"  # nothing the writer sees has changed
    else:
        theirs = {t: [s.total for s in bank.samples(best["skill"], t)][:repeats] for t in slugs}
        diff = paired_difference(mine, theirs, noise)
        low, high = diff.interval(0.95)
        delta = {
            "mean": round(diff.mean, 3),
            "ci95_low": round(low, 3),
            "ci95_high": round(high, 3),
        }
        status = "keep" if diff.z > z_quantile(1 - ALPHA) else "discard"
    totals = ledger.totals()
    out: dict[str, Any] = {
        "score": round(score, 3),
        "ci95": [round(score - half, 3), round(score + half, 3)],
        "noise": round(noise.sd, 3),
        "drafts": len(every),
        "best": float(best["score"]) if best else None,
        "delta": delta,
        "status": status,
        "prompt_tokens": count_tokens(skill.prompt),
        "output_tokens": totals["output_tokens"],
        "calls": totals["calls"],
        "cost_usd": totals["cost_usd"],
        "seconds": round(time.monotonic() - started, 1),
        "commit": commit_of(skill.folder),
        "skill": digest,
        "harness": harness,
    }
    row = {
        "commit": out["commit"],
        "skill": digest,
        "score": f"{score:.3f}",
        "ci95_low": f"{score - half:.3f}",
        "ci95_high": f"{score + half:.3f}",
        "delta": f"{delta['mean']:.3f}" if delta else "",
        "noise": f"{noise.sd:.3f}",
        "prompt_tokens": str(out["prompt_tokens"]),
        "output_tokens": str(out["output_tokens"]),
        "cost_usd": "" if out["cost_usd"] is None else f"{out['cost_usd']:.6f}",
        "seconds": f"{out['seconds']:.1f}",
        "status": status,
        "harness": harness,
        "description": " ".join((description or "").split())[:200],
    }
    if not results.exists():
        append_line(results, "\t".join(COLUMNS) + "\n")
    append_line(results, "\t".join(row[c] for c in COLUMNS) + "\n")
    return out


def report_lines(out: dict[str, Any]) -> list[str]:
    """The `key: value` lines an agent greps (`grep '^status:'`)."""
    lines = [
        f"score: {out['score']:.3f}",
        f"ci95: {out['ci95'][0]:.3f} {out['ci95'][1]:.3f}",
        f"noise: {out['noise']:.3f}",
        f"drafts: {out['drafts']}",
        "best: -" if out["best"] is None else f"best: {out['best']:.3f}",
    ]
    d = out["delta"]
    lines.append(
        f"delta: {d['mean']:+.3f} (95% CI {d['ci95_low']:+.3f} to {d['ci95_high']:+.3f})"
        if d
        else "delta: -"
    )
    lines += [
        f"status: {out['status']}",
        f"prompt_tokens: {out['prompt_tokens']}",
        f"output_tokens: {out['output_tokens']}",
        f"calls: {out['calls']}",
        "cost_usd: unknown" if out["cost_usd"] is None else f"cost_usd: {out['cost_usd']:.6f}",
        f"seconds: {out['seconds']:.1f}",
        f"commit: {out['commit']}",
        f"harness: {out['harness']}",
    ]
    return lines
