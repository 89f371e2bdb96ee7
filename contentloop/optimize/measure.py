"""Staged evaluation: the run's drafts (a SampleBank) and everything measured from them.

The loop asks this object for drafts ("at least n per topic of this skill") and for numbers
(pooled noise, topic-paired differences, means); it never touches samples itself, so how a
skill is measured lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean, stdev
from typing import Any

from ..judge import Judge
from ..llm import Client
from ..rubric import Rubric
from ..skill import Skill
from ..topic import Topic
from .gate import GatePlan
from .samples import Role, SampleBank, draw, gather_all, per_criterion, worst
from .stats import Difference, Noise, detectable_effect, paired_difference, pooled_noise


@dataclass
class Measure:
    bank: SampleBank
    topics: list[Topic]
    holdout: list[Topic]
    rubric: Rubric
    writer: Client
    judge: Judge
    gate: GatePlan
    repeats: int
    assumed_noise: float
    audit: Judge | None = None  # a judge of another family, for the confirmation only

    @property
    def slugs(self) -> list[str]:
        return [t.slug for t in self.topics]

    async def draw(
        self,
        skill: Skill,
        need: int,
        role: Role,
        experiment: int,
        *,
        holdout: bool = False,
        fresh: bool = False,
        audit: bool = False,
    ) -> None:
        """At least `need` drafts per topic of `skill` (of this role and experiment only, with
        `fresh`: the drafts a drift check or the confirmation must write itself)."""
        await draw(
            self.bank,
            skill,
            self.holdout if holdout else self.topics,
            self.rubric,
            self.writer,
            self.judge,
            need=need,
            role=role,
            experiment=experiment,
            count_role=fresh,
            audit=self.audit if audit else None,
        )

    async def draw_together(
        self,
        skills: list[Skill],
        need: int,
        role: Role,
        experiment: int,
        *,
        holdout: bool = False,
        audit: bool = False,
    ) -> None:
        """`need` fresh drafts per topic of each skill, written and judged in one time window:
        a round of one draft per topic of every skill at a time, the skills' order alternating
        between rounds. A judge or provider that drifts while they are written moves both
        sides alike, so the drift cancels in their difference (DECISIONS.md: time is a
        confounder)."""
        for k in range(1, need + 1):
            order = skills if k % 2 else skills[::-1]
            await gather_all(
                *(
                    self.draw(s, k, role, experiment, holdout=holdout, fresh=True, audit=audit)
                    for s in order
                )
            )

    def noise(self) -> Noise:
        """Per-draft noise pooled over every (skill, topic) cell of the run. Until the run has
        measured two drafts' worth of spread per topic, the stated `assumed_noise` stands in
        as a prior worth four drafts."""
        cells = self.bank.cells(self.slugs)
        measured = pooled_noise(cells)
        if measured.df >= 2 * len(self.topics):
            return measured
        return pooled_noise(cells, Noise(self.assumed_noise, 4))

    def totals(self, skill: str, *, holdout: bool = False, **kw: Any) -> dict[str, list[float]]:
        slugs = [t.slug for t in self.holdout] if holdout else self.slugs
        return self.bank.totals(skill, slugs, **kw)

    def compare(self, a: dict[str, list[float]], b: dict[str, list[float]]) -> Difference:
        """a - b, paired on topics, with the run's pooled noise."""
        noise = self.noise()
        if set(a) - set(self.slugs):  # held-out topics: their spread counts too
            noise = pooled_noise(self.bank.cells([*self.slugs, *a]))
        return paired_difference(a, b, noise)

    def compare_audit(self, a: str, b: str, experiment: int) -> Difference | None:
        """a - b on the confirmation drafts as the audit judge scored them, with the audit
        judge's own spread (its noise is not the judge's)."""
        if self.audit is None:
            return None
        ta, tb = (self.totals(s, role="confirm", experiment=experiment, audit=True) for s in (a, b))
        if not any(ta.values()) or not any(tb.values()):
            return None
        return paired_difference(ta, tb, pooled_noise([*ta.values(), *tb.values()]))

    def mean_of(self, skill: str, **kw: Any) -> float:
        values = [v for vs in self.totals(skill, **kw).values() for v in vs]
        return fmean(values) if values else float("nan")

    def band(self) -> float:
        """The smallest true gain one experiment detects with 80% power, at today's noise."""
        g, noise = self.gate, self.noise()
        n = g.max_stages * self.repeats
        return detectable_effect(
            noise.sd, len(self.topics), n, g.best_needed(n), alpha=g.final_alpha, df=noise.df
        )

    def metrics(self, skill: str) -> dict[str, Any]:
        """The experiments.jsonl `metrics` of a skill: every draft it has, not one evaluation."""
        samples = [s for t in self.slugs for s in self.bank.samples(skill, t)]
        totals = [s.total for s in samples]
        return {
            "mean": round(fmean(totals), 3),
            "stdev": round(stdev(totals), 3) if len(totals) > 1 else 0.0,
            "per_topic": {t: round(fmean(v), 3) for t, v in self.totals(skill).items() if v},
            "per_criterion": per_criterion(samples),
            "drafts": {f"{s.topic}#{s.sample}": s.total for s in samples},
            **per_post(samples),
        }

    def worst(self, skill: str) -> list[dict[str, Any]]:
        return worst(self.bank, skill, self.slugs)


def per_post(samples: list[Any]) -> dict[str, float | None]:
    """Writer output tokens, dollars and seconds per draft, over the drafts that recorded them
    (older sample files did not); dollars are None when a price is unknown."""
    known = [s for s in samples if s.writer_output_tokens is not None]
    if not known:
        return {}
    costs = [s.writer_cost_usd for s in known]
    return {
        "output_tokens_per_post": round(fmean(s.writer_output_tokens for s in known), 1),
        "writer_usd_per_post": None if any(c is None for c in costs) else round(fmean(costs), 6),
        "writer_seconds_per_post": round(fmean(s.writer_seconds or 0.0 for s in known), 3),
    }
