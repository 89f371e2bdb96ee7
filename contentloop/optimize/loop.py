"""The autoresearch loop: a baseline, then propose -> commit -> evaluate in stages against the
best -> keep or revert -> log, until the budget ends; then a confirmation with fresh drafts.

The pieces live apart: samples.py writes and stores drafts (staged evaluation), gate.py decides,
workspace.py holds the skill's versions, ledger.py and records.py keep the history from which
the run's state is rebuilt. This class only sequences them.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import json
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import fmean, stdev
from typing import Any

from ..atomic import sweep_temp, write_text
from ..errors import ContentloopError
from ..faults import crash_point
from ..judge import Judge
from ..llm import TOKEN_KINDS, Backend, CallCache, Client, CostLedger
from ..rubric import Rubric
from ..skill import Skill, load_skill
from ..topic import Topic
from .gate import GatePlan, StageVerdict, judge_stage
from .harness import harness_sha256
from .ledger import RunLedger
from .planner import plan_run
from .proposer import ProposalRefused, propose
from .records import Gain, Record, RunState, parse_records, replay
from .samples import Role, SampleBank, draw, gather_all, per_criterion, skill_hash, worst
from .stats import Difference, Noise, detectable_effect, paired_difference, pooled_noise
from .workspace import GitWorkspace, SnapshotWorkspace, save_kept

Event = Callable[[dict[str, Any]], None]


@dataclass
class Budget:
    max_experiments: int = 10
    max_cost_usd: float | None = None
    max_hours: float | None = None
    abort_after_crashes: int = 3
    experiment_timeout_s: float | None = None


class OptimizeRun:
    def __init__(
        self,
        skill_dir: Path,
        topics: list[Topic],
        rubric: Rubric,
        *,
        writer_backend: Backend,
        judge_backend: Backend,
        optimizer_backend: Backend,
        run_dir: Path,
        tag: str,
        repeats: int = 1,
        budget: Budget | None = None,
        explore_every: int | None = None,
        use_git: bool = True,
        cache: CallCache | None = None,
        concurrency: int = 4,
        on_event: Event | None = None,
        resume: bool = False,
        holdout: list[Topic] | None = None,
        batch: bool = False,
        gate: GatePlan | None = None,
        assumed_noise: float = 4.0,
    ) -> None:
        """Nothing is written and no branch is made until `run()`: a caller can show
        `estimate()` first and let the user back out."""
        self.topics, self.rubric, self.repeats = topics, rubric, repeats
        # Held-out topics are measured only in the final confirmation, for baseline and best,
        # never shown to the proposer: a gain that holds on training topics but not here is
        # overfitting.
        self.holdout = holdout or []
        self.gate = gate or GatePlan()
        self.assumed_noise = assumed_noise
        self.retro = ""
        self.interrupts = 0
        self._task: asyncio.Task[Any] | None = None
        self.resumed = resume
        self.skill_source = skill_dir.resolve()
        self.use_git = use_git
        self.budget = budget or Budget()
        self.explore_every = explore_every
        self.batch = batch  # recorded so --resume sends through Message Batches again
        self.run_dir, self.tag = run_dir, tag
        self.concurrency = concurrency
        self.on_event = on_event or (lambda e: None)
        self.harness = harness_sha256(rubric, topics, self.holdout)
        if resume and not (run_dir / "run.json").exists():
            raise ContentloopError("is not a run folder (no run.json).", path=run_dir)
        self.costs = CostLedger(run_dir / "calls.jsonl")
        # One bound on model calls in flight across writer, judge and optimizer: every draft
        # of a stage starts at once and the calls queue here, not per draft.
        limit = asyncio.Semaphore(concurrency)
        self.writer = Client(
            writer_backend, role="writer", cache=cache, ledger=self.costs, limit=limit
        )
        self.judge = Judge(
            Client(judge_backend, role="judge", cache=cache, ledger=self.costs, limit=limit),
            rubric,
        )
        self.optimizer = Client(
            optimizer_backend, role="optimizer", cache=cache, ledger=self.costs, limit=limit
        )
        self.started = time.monotonic()
        self.state = RunState()
        self.stop_reason = ""
        self._records: list[Record] = []

    # --- opening the run folder ------------------------------------------------------------
    def _open(self) -> None:
        run_dir = self.run_dir
        # exist_ok: on resume, or a folder left by a start killed before run.json was written.
        run_dir.mkdir(parents=True, exist_ok=self.resumed or not (run_dir / "run.json").exists())
        if self.resumed:
            self.costs.load()
            sweep_temp(run_dir)
        # Written before the workspace, so a run killed at any later point can be resumed.
        write_text(run_dir / "run.json", json.dumps(self.meta(), indent=2) + "\n")
        ws_cls = GitWorkspace if self.use_git else SnapshotWorkspace
        self.ws = ws_cls(self.skill_source, run_dir, self.tag, reopen=self.resumed)
        self.ledger = RunLedger(run_dir)
        self.bank = SampleBank(run_dir / "samples.jsonl")

    # --- helpers ---------------------------------------------------------------------------
    def skill(self) -> Skill:
        return load_skill(self.ws.skill_dir)

    def kept_skill(self, commit: str) -> Skill:
        return load_skill(self.run_dir / "kept" / commit)

    @property
    def slugs(self) -> list[str]:
        return [t.slug for t in self.topics]

    def noise(self) -> Noise:
        """Per-draft noise pooled over every (skill, topic) cell of the run. Until the run has
        measured some, the stated `assumed_noise` stands in for a few drafts' worth."""
        measured = pooled_noise(self.bank.cells(self.slugs))
        if measured.df >= 2 * len(self.topics):
            return measured
        return pooled_noise(self.bank.cells(self.slugs), Noise(self.assumed_noise, 4))

    def totals(self, skill: str, **kw: Any) -> dict[str, list[float]]:
        return self.bank.totals(skill, self.slugs, **kw)

    def compare(self, a: dict[str, list[float]], b: dict[str, list[float]]) -> Difference:
        return paired_difference(a, b, self.noise())

    def mean_of(self, skill: str) -> float:
        values = [v for vs in self.totals(skill).values() for v in vs]
        return fmean(values) if values else float("nan")

    @property
    def baseline_mean(self) -> float:
        return self.mean_of(self.state.baseline.skill) if self.state.baseline else float("nan")

    @property
    def best_mean(self) -> float:
        return self.mean_of(self.state.best_skill) if self.state.best_skill else float("nan")

    @property
    def records(self) -> list[Record]:
        """This run's records so far, in order (experiments.jsonl, typed)."""
        return self._records

    @property
    def counts(self) -> Counter[str]:
        return self.state.counts

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.state.history

    def band(self) -> float:
        """The smallest true gain one experiment detects with 80% power, at today's noise."""
        g, noise = self.gate, self.noise()
        n = g.max_stages * self.repeats
        return detectable_effect(
            noise.sd, len(self.topics), n, g.best_needed(n), alpha=g.final_alpha, df=noise.df
        )

    def _stop_reason(self, n: int) -> str | None:
        b = self.budget
        if n > b.max_experiments:
            return f"--max-experiments {b.max_experiments} reached"
        cost = self.costs.totals()["known_cost_usd"]
        if b.max_cost_usd is not None and cost >= b.max_cost_usd:
            return f"--max-cost-usd {b.max_cost_usd:g} reached (${cost:.4f})"
        if b.max_hours is not None and time.monotonic() - self.started >= b.max_hours * 3600:
            return f"--max-hours {b.max_hours:g} reached"
        if (self.run_dir / "STOP").exists():
            return "STOP file found"
        if self.interrupts:
            return "Ctrl-C"
        return None

    def _on_sigint(self) -> None:
        """First Ctrl-C: finish the current experiment's bookkeeping, then stop. Second: stop now."""
        self.interrupts += 1
        self.on_event({"phase": "interrupt", "count": self.interrupts, "run": self})
        if self.interrupts > 1 and self._task is not None:
            self._task.cancel()

    async def _draw(
        self,
        skill: Skill,
        need: int,
        role: Role,
        experiment: int,
        *,
        topics: list[Topic] | None = None,
        fresh: bool = False,
    ) -> None:
        await draw(
            self.bank,
            skill,
            topics or self.topics,
            self.rubric,
            self.writer,
            self.judge,
            need=need,
            role=role,
            experiment=experiment,
            count_role=fresh,
        )

    def _metrics(self, skill: str) -> dict[str, Any]:
        samples = [s for t in self.slugs for s in self.bank.samples(skill, t)]
        totals = [s.total for s in samples]
        return {
            "mean": round(fmean(totals), 3),
            "stdev": round(stdev(totals), 3) if len(totals) > 1 else 0.0,
            "per_topic": {t: round(fmean(v), 3) for t, v in self.totals(skill).items() if v},
            "per_criterion": per_criterion(samples),
            "drafts": {f"{s.topic}#{s.sample}": s.total for s in samples},
        }

    def _log(self, record: Record, *, tsv: bool = True) -> None:
        row = None
        if tsv:
            last = record.stages[-1] if record.stages else None
            metrics = record.metrics or {}
            row = {
                "commit": record.commit,
                "score": metrics.get("mean"),
                "stdev": metrics.get("stdev"),
                "status": record.status,
                "description": record.description,
                "section": record.section,
                "delta": record.delta,
                "noise": record.noise,
                "cost_usd": record.cost_usd,
                "wall_time_s": record.wall_time_s,
                "stages": len(record.stages) or None,
                "drafts": last.drafts if last else None,
                "ci95_low": last.ci95_low if last else None,
                "ci95_high": last.ci95_high if last else None,
                "rule": last.rule if last else None,
                "best": record.best_commit,
            }
        record.row = row
        self.ledger.log(row, record.model_dump(mode="json"))
        self.state = replay([*self._records, record])
        self._records.append(record)
        self.on_event(
            {
                "phase": "logged",
                "kind": record.kind,
                "experiment": record.experiment,
                "status": record.status,
                "run": self,
            }
        )

    def _record(
        self,
        kind: str,
        n: int,
        status: str,
        *,
        commit: str,
        skill: str,
        description: str,
        before: dict[str, Any],
        seconds: float,
        **fields: Any,
    ) -> Record:
        usage = self.costs.since(before)
        noise = self.noise()
        return Record(
            kind=kind,  # type: ignore[arg-type]
            experiment=n,
            commit=commit,
            skill=skill,
            best_commit=fields.pop("best_commit", self.state.best_commit or commit),
            best_skill=fields.pop("best_skill", self.state.best_skill or skill),
            timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
            status=status,
            description=description,
            noise=round(noise.sd, 3),
            noise_df=noise.df,
            band=round(self.band(), 3),
            wall_time_s=round(seconds, 2),
            tokens={k: usage[k] for k in TOKEN_KINDS},
            cost_usd=usage["cost_usd"],
            harness_sha256=self.harness,
            **fields,
        )

    # --- the run ---------------------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        self._task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGINT, self._on_sigint)
        except (NotImplementedError, RuntimeError):
            pass  # not the main thread (e.g. a test harness): Ctrl-C keeps its default meaning
        try:
            return await self._run()
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGINT)

    async def _run(self) -> dict[str, Any]:
        self._open()
        raw = self.ledger.repair() if self.resumed else []
        self._records = parse_records(raw, str(self.ledger.jsonl))
        if self._records and self._records[0].harness_sha256 != self.harness:
            raise ContentloopError(
                "the eval harness (rubric, judge prompt or topics) changed since this run started, so "
                "its scores cannot be compared with the new ones.",
                path=self.ledger.jsonl,
                fix="restore the rubric and topics, or start a new run with another --tag.",
            )
        self.state = replay(self._records)
        if self.state.baseline is None:
            self.ledger.reset()
            self._records = []
            await self._baseline()
        else:
            self.started -= self.state.seconds
            last = self.state.last_experiment
            if last >= 10:
                self.retro = retrospective([h for h in self.history if h["n"] <= last - last % 10])
            self.ws.restore(self.state.best_commit, last)
        await self._loop()
        if self.stop_reason != "Ctrl-C" and "consecutive crashes" not in self.stop_reason:
            await self._confirm()
        summary = self.summary()
        write_text(self.run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
        return summary

    async def _baseline(self) -> None:
        before, t = self.costs.totals(), time.monotonic()
        skill = self.skill()
        digest, head = skill_hash(skill), self.ws.head()
        save_kept(self.ws.skill_dir, self.run_dir, head)
        self.on_event({"phase": "baseline", "experiment": 0, "run": self})
        await self._draw(skill, self.gate.best_min * self.repeats, "baseline", 0)
        self.on_event({"phase": "baseline_done", "seconds": time.monotonic() - t, "run": self})
        self._log(
            self._record(
                "baseline",
                0,
                "keep",
                commit=head,
                skill=digest,
                best_commit=head,
                best_skill=digest,
                description=f"baseline ({self.gate.best_min * self.repeats} drafts per topic)",
                before=before,
                seconds=time.monotonic() - t,
                metrics=self._metrics(digest),
                worst=worst(self.bank, digest, self.slugs),
            )
        )
        self.ws.keep(self.run_dir)

    async def _loop(self) -> None:
        n = self.state.last_experiment
        crashes = self.state.trailing_crashes
        while True:
            n += 1
            reason = self._stop_reason(n)
            if reason:
                self.stop_reason = reason
                break
            if n > 1 and (n - 1) % 10 == 0:
                self.retro = retrospective(self.history)
                self.on_event(
                    {"phase": "retrospective", "experiment": n, "text": self.retro, "run": self}
                )
            ok = await self._experiment(n)
            crashes = 0 if ok else crashes + 1
            if crashes >= self.budget.abort_after_crashes:
                self.stop_reason = f"{crashes} consecutive crashes (--abort-after-crashes)"
                break

    async def _experiment(self, n: int) -> bool:
        """One try; False when it crashed (or timed out)."""
        self.on_event({"phase": "proposing", "experiment": n, "run": self})
        before, t = self.costs.totals(), time.monotonic()
        best = self.skill()
        explore = bool(self.explore_every) and n % self.explore_every == 0  # type: ignore[operator]
        try:
            proposal = await propose(
                self.optimizer,
                best,
                best_mean=self.best_mean,
                max_points=self.rubric.max_points,
                n_drafts=sum(len(v) for v in self.totals(self.state.best_skill).values()),
                noise=self.noise().sd,
                history=self.history,
                explored=dict(self.state.explored),
                worst=worst(self.bank, self.state.best_skill, self.slugs),
                attempt=n,
                retrospective=self.retro,
            )
        except Exception as exc:  # noqa: BLE001 - an unattended loop logs a crash and goes on
            self._log(
                self._record(
                    "experiment",
                    n,
                    "crash",
                    commit=self.ws.head(),
                    skill=self.state.best_skill,
                    description=f"proposal refused: {exc}"
                    if isinstance(exc, (ProposalRefused, ContentloopError))
                    else f"proposal failed: {type(exc).__name__}: {exc}",
                    before=before,
                    seconds=time.monotonic() - t,
                    reason=str(exc),
                )
            )
            return False
        old_text = best.sections[proposal.section]
        diff_lines = sum(
            1
            for line in difflib.unified_diff(
                old_text.splitlines(), proposal.new_text.splitlines(), lineterm=""
            )
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )
        write_text(self.ws.skill_dir / f"{proposal.section}.md", proposal.new_text)
        commit = self.ws.commit(
            f"autoexp {self.tag} #{n}: {proposal.section}: {proposal.hypothesis}"
        )
        crash_point("commit")
        self.on_event({"phase": "evaluating", "experiment": n, "stage": 0, "run": self})
        common = {
            "description": proposal.hypothesis,
            "section": proposal.section,
            "diff_lines": diff_lines,
            "new_text": proposal.new_text,
            "old_text": old_text,
        }
        try:
            candidate = self.skill()
            stages = await asyncio.wait_for(
                self._stages(n, candidate, best, explore),
                timeout=self.budget.experiment_timeout_s,
            )
        except Exception as exc:  # noqa: BLE001 - logged as crash/timeout; N in a row stop the run
            status = "timeout" if isinstance(exc, TimeoutError) else "crash"
            self.ws.revert()
            self._log(
                self._record(
                    "experiment",
                    n,
                    status,
                    commit=commit,
                    skill=self.state.best_skill,
                    before=before,
                    seconds=time.monotonic() - t,
                    reason=str(exc) or status,
                    **common,
                )
            )
            return False
        crash_point("evaluated")
        digest = skill_hash(candidate)
        last = stages[-1]
        status = last.status or "discard"
        kept = status in ("keep", "explore")
        if kept:
            save_kept(self.ws.skill_dir, self.run_dir, commit)
            self.ws.keep(self.run_dir)
        else:
            self.ws.revert()
        crash_point("decided")
        self._log(
            self._record(
                "experiment",
                n,
                status,
                commit=commit,
                skill=digest,
                best_commit=commit if kept else self.state.best_commit,
                best_skill=digest if kept else self.state.best_skill,
                before=before,
                seconds=time.monotonic() - t,
                reason=last.reason(self.gate.simplicity_margin),
                delta=round(last.mean, 3),
                stages=[s.to_json() for s in stages],
                metrics=self._metrics(digest),
                worst=worst(self.bank, digest, self.slugs) if kept else None,
                **common,
            )
        )
        if (
            kept
            and self.gate.verify_every
            and self.state.keeps_since_verify >= self.gate.verify_every
        ):
            await self._verify(n)
        return True

    async def _stages(
        self, n: int, candidate: Skill, best: Skill, explore: bool
    ) -> list[StageVerdict]:
        """Write the candidate's drafts a stage at a time (and top up the best's) until the
        gate decides."""
        cand, best_digest = skill_hash(candidate), self.state.best_skill
        shorter = candidate.chars < best.chars
        out: list[StageVerdict] = []
        for stage in range(1, self.gate.max_stages + 1):
            per_topic = stage * self.repeats
            await gather_all(
                self._draw(candidate, per_topic, "candidate", n),
                self._draw(best, self.gate.best_needed(per_topic), "best", n),
            )
            diff = self.compare(self.totals(cand), self.totals(best_digest))
            verdict = judge_stage(self.gate, stage, diff, shorter=shorter, explore=explore)
            out.append(verdict)
            self.on_event(
                {"phase": "stage", "experiment": n, "stage": stage, "verdict": verdict, "run": self}
            )
            if verdict.status:
                break
        return out

    async def _verify(self, n: int) -> None:
        """The drift guard: fresh drafts of the best against the last verified best. A path that
        went below it (each keep looked fine, the sum did not) is rolled back."""
        before, t = self.costs.totals(), time.monotonic()
        st = self.state
        self.on_event({"phase": "verify", "experiment": n, "run": self})
        best = self.skill()
        await self._draw(best, self.gate.verify_stages * self.repeats, "verify", n, fresh=True)
        fresh = self.totals(st.best_skill, role="verify", experiment=n)
        diff = self.compare(fresh, self.totals(st.verified_skill))
        gain = Gain(**diff.as_gain())
        if diff.mean < 0:
            status, target = "rollback", (st.verified_commit, st.verified_skill)
            self.ws.rollback(st.verified_commit)
            text = (
                f"drift guard: fresh drafts of the best score {diff.mean:+.2f} against the last "
                f"verified best ({st.verified_commit}); rolled back to it"
            )
        else:
            status, target = "keep", (st.best_commit, st.best_skill)
            text = f"drift guard: the best holds {diff.mean:+.2f} over the last verified best"
        self._log(
            self._record(
                "verify",
                n,
                status,
                commit=st.best_commit,
                skill=st.best_skill,
                best_commit=target[0],
                best_skill=target[1],
                description=text,
                before=before,
                seconds=time.monotonic() - t,
                gain=gain,
            ),
            tsv=False,
        )

    async def _confirm(self) -> None:
        """The honest headline: baseline and best measured again with fresh drafts (and on the
        held-out topics), paired on topics. The best was chosen because its drafts scored
        high; these drafts were not used to choose anything."""
        st = self.state
        if st.baseline is None or st.best_skill == st.baseline.skill:
            return  # nothing was kept: no gain to confirm
        n = st.last_experiment
        if st.confirmed is not None and st.confirmed.experiment == n:
            return  # already confirmed (a resumed run that had finished)
        before, t = self.costs.totals(), time.monotonic()
        self.on_event({"phase": "confirming", "experiment": n, "run": self})
        need = self.gate.confirm_stages * self.repeats
        best, base = self.kept_skill(st.best_commit), self.kept_skill(st.baseline.commit)
        jobs = [
            self._draw(best, need, "confirm", n, fresh=True),
            self._draw(base, need, "confirm", n, fresh=True),
        ]
        if self.holdout:
            jobs += [
                self._draw(s, need, "holdout", n, topics=self.holdout, fresh=True)
                for s in (best, base)
            ]
        await gather_all(*jobs)
        gain = self.compare(
            self.totals(st.best_skill, role="confirm", experiment=n),
            self.totals(st.baseline.skill, role="confirm", experiment=n),
        )
        holdout_gain = None
        if self.holdout:
            slugs = [t.slug for t in self.holdout]
            holdout_gain = paired_difference(
                self.bank.totals(st.best_skill, slugs, role="holdout", experiment=n),
                self.bank.totals(st.baseline.skill, slugs, role="holdout", experiment=n),
                pooled_noise(self.bank.cells([*self.slugs, *slugs])),
            )
        self._log(
            self._record(
                "confirm",
                n,
                "keep",
                commit=st.best_commit,
                skill=st.best_skill,
                description=f"confirmation: {need} fresh drafts per topic of baseline and best",
                before=before,
                seconds=time.monotonic() - t,
                gain=Gain(**gain.as_gain()),
                holdout_gain=Gain(**holdout_gain.as_gain()) if holdout_gain else None,
            ),
            tsv=False,
        )

    # --- before and after ------------------------------------------------------------------
    def estimate(self) -> dict[str, Any]:
        """Calls, tokens and USD for the whole budget, and the smallest effect the run can
        detect, before anything is spent or written."""
        return plan_run(self, load_skill(self.skill_source))

    def meta(self) -> dict[str, Any]:
        """Everything --resume needs to rebuild this run (no secrets: backends by name only)."""

        def ident(backend: Backend) -> dict[str, Any]:
            return {
                k: v
                for k, v in backend.cache_identity.items()
                if k in ("backend", "model", "base_url")
            }

        return {
            "tag": self.tag,
            "schema_version": 2,
            "harness_sha256": self.harness,
            "skill": str(self.skill_source),
            "use_git": self.use_git,
            "rubric": str(self.rubric.path.resolve()) if self.rubric.path else self.rubric.name,
            "topics": [str(t.path.resolve()) if t.path else t.slug for t in self.topics],
            "holdout": [str(t.path.resolve()) if t.path else t.slug for t in self.holdout],
            "repeats": self.repeats,
            "budget": self.budget.__dict__,
            "gate": self.gate.to_json(),
            "assumed_noise": self.assumed_noise,
            "explore_every": self.explore_every,
            "concurrency": self.concurrency,
            "batch": self.batch,
            "writer": ident(self.writer.backend),
            "judge": ident(self.judge.client.backend),
            "optimizer": ident(self.optimizer.backend),
        }

    def summary(self) -> dict[str, Any]:
        totals = self.costs.totals()
        st = self.state
        base = st.baseline
        confirmed = st.confirmed.gain.model_dump() if st.confirmed and st.confirmed.gain else None
        holdout = (
            st.confirmed.holdout_gain.model_dump()
            if st.confirmed and st.confirmed.holdout_gain
            else None
        )
        in_loop = None
        if base is not None and st.best_skill and st.best_skill != base.skill:
            in_loop = self.compare(self.totals(st.best_skill), self.totals(base.skill)).as_gain()
        holdout_means: dict[str, float | None] = {"baseline": None, "best": None}
        if holdout is not None:
            slugs = [t.slug for t in self.holdout]
            for key, digest in (("baseline", base.skill), ("best", st.best_skill)):
                vals = [
                    v
                    for vs in self.bank.totals(
                        digest, slugs, role="holdout", experiment=st.confirmed.experiment
                    ).values()
                    for v in vs
                ]
                holdout_means[key] = round(fmean(vals), 3) if vals else None
        return {
            "tag": self.tag,
            "schema_version": 2,
            "baseline": round(self.baseline_mean, 3),
            "best": round(self.best_mean, 3),
            "best_commit": st.best_commit,
            "confirmed_gain": confirmed,
            "holdout_gain": holdout,
            "in_loop_gain": in_loop,
            "verdict": verdict(confirmed, kept_any=in_loop is not None, stop=self.stop_reason),
            "holdout_baseline": holdout_means["baseline"],
            "holdout_best": holdout_means["best"],
            "overfit_warning": bool(
                confirmed and holdout and confirmed["ci95_low"] > 0 and holdout["mean"] < 0
            ),
            "noise": round(self.noise().sd, 3),
            "detectable_effect": round(self.band(), 3),
            "counts": dict(self.counts),
            "stop_reason": self.stop_reason,
            "cost_usd": totals["cost_usd"],
            "calls": totals["calls"],
            "writer_calls": sum(
                1 for r in self.costs.records if r.role == "writer" and not r.cached
            ),
            "seconds": round(time.monotonic() - self.started, 1),
            "adopt": self.ws.adopt_command(),
            "best_skill": str(self.run_dir / "best-skill"),
        }


def verdict(confirmed: dict[str, Any] | None, *, kept_any: bool, stop: str) -> str:
    """One sentence a person reads first."""
    if not kept_any:
        return "no edit was kept: the best skill is the baseline"
    if confirmed is None:
        return f"not confirmed ({stop}); --resume finishes the run and confirms it"
    lo, hi, m = confirmed["ci95_low"], confirmed["ci95_high"], confirmed["mean"]
    span = f"{m:+.2f} points (95% CI {lo:+.2f} to {hi:+.2f})"
    if lo > 0:
        return f"confirmed gain {span} on fresh drafts"
    if hi < 0:
        return f"the best is worse than the baseline on fresh drafts: {span}; do not adopt it"
    return f"no measurable gain: {span} on fresh drafts includes 0"


def retrospective(history: list[dict[str, Any]]) -> str:
    """Which sections and outcomes the experiments so far had: fed to the proposer every 10
    experiments so it widens its search instead of circling one idea."""
    tries = [h for h in history if h["n"] > 0]
    by_section: dict[str, list[dict[str, Any]]] = {}
    for h in tries:
        by_section.setdefault(h["section"], []).append(h)
    lines = [f"After {max((h['n'] for h in tries), default=0)} experiments:"]
    for section, hs in sorted(by_section.items(), key=lambda kv: -len(kv[1])):
        statuses = Counter(h["status"] for h in hs)
        deltas = [h["delta"] for h in hs if h["delta"] is not None]
        mean = f", mean change {sum(deltas) / len(deltas):+.2f}" if deltas else ""
        lines.append(
            f"- {section}: {len(hs)} tries ({', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}){mean}"
        )
    return "\n".join(lines)


__all__ = ["Budget", "Event", "OptimizeRun", "retrospective", "verdict"]
