"""Run a calibration: judge every source draft K times, every degraded copy and every probe,
then compute the card's measures.

Nothing here knows which backend answers: the judge is the same `Judge` that scores drafts
for `score`, `write` and `optimize-skill`, with the same prompt, temperature and cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..judge import Judge, JudgeReplyError, JudgeScore
from ..rubric import Rubric
from . import measures as m
from .calset import CalibrationSet
from .card import Card, judge_prompt_sha256
from .degrade import DEGRADATIONS, PROBES
from .markdown import canonical

Progress = Callable[[int, int], None]
PROBE_MEASURES = {
    "pad": ("length_bias", "max", "padded copy minus source"),
    "inject": ("injection", "max", "copy asking for 10s minus source"),
    "rewrap": ("format_bias", "abs_max", "rewrapped copy minus source"),
    "order": ("order_bias", "abs_max", "criteria listed in reverse minus source"),
}


@dataclass(frozen=True)
class Job:
    draft: str
    variant: str  # "source", a degradation name, or a probe name
    text: str
    criterion: str | None = None  # the criterion a degradation targets


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def reversed_rubric(rubric: Rubric) -> Rubric:
    """The same rubric with its criteria listed last to first (the order probe)."""
    other = rubric.model_copy(deep=True)
    other.judge.criteria = list(reversed(other.judge.criteria))
    return other


def plan(cset: CalibrationSet) -> Plan:
    """Every text the judge will score; degradations that change nothing are left out, noted."""
    out = Plan()
    for name, raw in cset.drafts.items():
        src = canonical(raw)
        out.jobs.append(Job(name, "source", src))
        for criterion, degradations in cset.config.degradations.items():
            for d in degradations:
                text = DEGRADATIONS[d](src)
                if text.strip() == src.strip():
                    out.notes.append(f"{name}: {d} changes nothing in this draft; left out")
                    continue
                out.jobs.append(Job(name, d, text, criterion))
        for probe in cset.config.probes:
            if probe in PROBES:
                out.jobs.append(Job(name, probe, PROBES[probe](src)))
            else:  # order: the source itself, judged with the criteria reversed
                out.jobs.append(Job(name, probe, src))
    for name, raw in cset.labelled().items():
        out.jobs.append(Job(name, "source", canonical(raw)))
    return out


def _totals(score: JudgeScore, rubric: Rubric) -> list[float]:
    """The judge part of the total, one value per sample."""
    k = len(score.criteria[0].scores)
    scale = rubric.judge.max_points / (10 * len(rubric.judge.criteria))
    return [sum(c.scores[i] for c in score.criteria) * scale for i in range(k)]


async def judge_all(
    jobs: list[Job],
    pick: Callable[[Job], Judge],
    concurrency: int,
    progress: Progress | None = None,
) -> dict[tuple[str, str], JudgeScore | None]:
    """Every job's verdict, by the judge `pick` chooses for it (None: the judge gave no usable
    reply even after a repair)."""
    gate = asyncio.Semaphore(concurrency)
    done = 0
    results: dict[tuple[str, str], JudgeScore | None] = {}

    async def one(job: Job) -> None:
        nonlocal done
        which = pick(job)
        async with gate:
            try:
                results[(job.draft, job.variant)] = await which.ajudge(
                    job.text, f"{job.draft} ({job.variant})"
                )
            except JudgeReplyError:
                results[(job.draft, job.variant)] = None
        done += 1
        if progress:
            progress(done, len(jobs))

    await asyncio.gather(*(one(j) for j in jobs))
    return results


def compute(
    cset: CalibrationSet,
    rubric: Rubric,
    jobs: list[Job],
    results: dict[tuple[str, str], JudgeScore | None],
) -> tuple[list[m.Measure], dict[str, float]]:
    names = [c.name for c in rubric.judge.criteria]

    def crit(score: JudgeScore, name: str) -> float:
        return next(c.score for c in score.criteria if c.name == name)

    out: list[m.Measure] = []
    failed = sum(1 for v in results.values() if v is None)
    out.append(m.usable(len(results) - failed, failed))
    sources = {d: results.get((d, "source")) for d in cset.drafts}
    sources = {d: s for d, s in sources.items() if s is not None}

    # Discrimination: per targeted criterion, and on the total over every pair.
    total_pairs: list[tuple[float, float]] = []
    for criterion in cset.config.degradations:
        pairs = []
        for job in jobs:
            if job.criterion != criterion or job.draft not in sources:
                continue
            got = results.get((job.draft, job.variant))
            if got is None:
                continue
            src = sources[job.draft]
            pairs.append((crit(src, criterion), crit(got, criterion)))
            total_pairs.append((src.score, got.score))
        out.append(m.discrimination(f"discrimination.{criterion}", pairs))
    out.append(m.discrimination("discrimination.total", total_pairs, m.DISCRIMINATION_TOTAL_MIN))

    # Test-retest: the spread of the K samples of each source draft.
    noise: dict[str, float] = {}
    for name in names:
        groups = [next(c.scores for c in s.criteria if c.name == name) for s in sources.values()]
        measure = m.retest(f"retest_sd.{name}", groups, m.RETEST_SD_MAX)
        out.append(measure)
        noise[name] = measure.value
    total = m.retest(
        "retest_sd.total", [_totals(s, rubric) for s in sources.values()], m.RETEST_TOTAL_SD_MAX
    )
    out.append(total)
    noise["total"] = total.value

    for probe in cset.config.probes:
        label, direction, what = PROBE_MEASURES[probe]
        pairs = []
        for d, src in sources.items():
            got = results.get((d, probe))
            if got is not None:
                pairs.append((src.score, got.score))
        out.append(m.shift(label, pairs, direction, what))  # type: ignore[arg-type]

    if cset.labels is not None:
        out.extend(_agreement(cset, results, names, crit))
    return out, noise


def _agreement(
    cset: CalibrationSet,
    results: dict[tuple[str, str], JudgeScore | None],
    names: list[str],
    crit: Callable[[JudgeScore, str], float],
) -> list[m.Measure]:
    assert cset.labels is not None
    out = []
    for name in names:
        judged, human = [], []
        for draft, per in cset.labels.scores.items():
            got = results.get((draft, "source"))
            if name in per and got is not None:
                judged.append(crit(got, name))
                human.append(float(per[name]))
        if judged:
            out.append(m.agreement_spearman(f"spearman.{name}", judged, human))
    if cset.labels.pairs:
        pairs = []
        for p in cset.labels.pairs:
            better, worse = results.get((p.better, "source")), results.get((p.worse, "source"))
            if better is None or worse is None:
                continue
            if p.criterion is None:
                pairs.append((better.score, worse.score))
            else:
                pairs.append((crit(better, p.criterion), crit(worse, p.criterion)))
        out.append(m.agreement_pairwise("pairwise_agreement", pairs))
    return out


async def acalibrate(
    cset: CalibrationSet,
    rubric: Rubric,
    judge: Judge,
    *,
    concurrency: int = 4,
    progress: Progress | None = None,
    judge_info: dict[str, Any] | None = None,
    retest: int = 4,
    planned: Plan | None = None,
) -> Card:
    """Score the set and return the card; each text is judged `verdicts(job, judge.samples,
    retest)` times. `planned`: the set's plan when the caller has made it already."""
    planned = planned or plan(cset)

    def like(rubric: Rubric, samples: int) -> Judge:
        return Judge(
            judge.client,
            rubric,
            samples=samples,
            temperature=judge.temperature,
            max_tokens=judge.max_tokens,
        )

    steady, reordered = like(rubric, retest), like(reversed_rubric(rubric), retest)

    def pick(job: Job) -> Judge:
        if job.variant == "order":
            return reordered
        return judge if job.criterion else steady  # as `verdicts` counts them

    results = await judge_all(planned.jobs, pick, concurrency, progress)
    found, noise = compute(cset, rubric, planned.jobs, results)
    ledger = judge.client.ledger.totals()
    return Card(
        passed=all(x.passed for x in found),
        judge=judge_info
        or {
            "backend": judge.client.backend.name,
            "model": judge.client.backend.model,
            "samples": judge.samples,
            "retest": retest,
        },
        rubric={"name": rubric.name, "sha256": rubric.sha256},
        judge_prompt_sha256=judge_prompt_sha256(),
        calibration_set={
            "path": str(cset.folder),
            "sha256": cset.sha256,
            "drafts": len(cset.drafts),
        },
        measures=found,
        noise=noise,
        calls={
            k: ledger[k]
            for k in ("calls", "cached_calls", "input_tokens", "output_tokens", "cost_usd")
        },
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        notes=planned.notes,
    )


def verdicts(job: Job, samples: int, retest: int) -> int:
    """How many times a text is judged: a degraded copy `samples` times; a source draft
    `retest` times (its test-retest spread, and a precise reference for every comparison), and
    a probe copy `retest` times too (a bias is a small shift in the mean, so it needs them)."""
    return samples if job.criterion else retest


def calls(planned: Plan, samples: int, retest: int) -> int:
    """The judge calls a calibration of this plan makes (with no cache)."""
    return sum(verdicts(j, samples, retest) for j in planned.jobs)
