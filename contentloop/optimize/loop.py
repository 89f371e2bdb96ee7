"""The autoresearch loop: baseline twice (noise floor), then propose → apply → commit →
evaluate → keep or revert → log, until the budget ends."""

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
from typing import Any

from ..atomic import sweep_temp, write_text
from ..errors import ContentloopError
from ..faults import crash_point
from ..judge import Judge
from ..llm import TOKEN_KINDS, Backend, CallCache, Client, CostLedger
from ..rubric import Rubric
from ..skill import Skill, load_skill
from ..topic import Topic
from .evaluate import EvalResult, evaluate
from .gate import decide, noise_floor
from .harness import harness_sha256
from .ledger import RunLedger
from .proposer import ProposalRefused, propose
from .workspace import GitWorkspace, SnapshotWorkspace

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
    ) -> None:
        self.topics, self.rubric, self.repeats = topics, rubric, repeats
        # Held-out topics are scored for the baseline and each new best, never shown to the
        # proposer: a best that rises on training topics but falls here is overfitting.
        self.holdout = holdout or []
        self.holdout_baseline: float | None = None
        self.holdout_best: float | None = None
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
        # exist_ok: on resume, or a folder left by a start killed before run.json was written.
        run_dir.mkdir(parents=True, exist_ok=resume or not (run_dir / "run.json").exists())
        self.costs = CostLedger(run_dir / "calls.jsonl")
        if resume:
            self.costs.load()
        # One bound on model calls in flight across writer, judge and optimizer: every draft
        # of an experiment starts at once and the calls queue here, not per draft.
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
        # Written before anything else, so a run killed at any later point can be resumed.
        write_text(run_dir / "run.json", json.dumps(self.meta(), indent=2) + "\n")
        ws_cls = GitWorkspace if use_git else SnapshotWorkspace
        self.ws = ws_cls(skill_dir, run_dir, tag, reopen=resume)
        self.ledger = RunLedger(run_dir)
        self.started = time.monotonic()
        self.history: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.explored: Counter[str] = Counter()

    # --- helpers ---------------------------------------------------------------------------
    def skill(self) -> Skill:
        return load_skill(self.ws.skill_dir)

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

    async def _evaluate(
        self, skill: Skill, offset: int, topics: list[Topic] | None = None
    ) -> EvalResult:
        return await evaluate(
            skill,
            topics or self.topics,
            self.rubric,
            self.writer,
            self.judge,
            repeats=self.repeats,
            sample_offset=offset,
            concurrency=None,  # bounded by the clients' shared call limit
        )

    def _log(
        self,
        n: int,
        status: str,
        *,
        commit: str,
        result: EvalResult | None,
        description: str,
        section: str | None,
        delta: float | None,
        noise: float | None,
        seconds: float,
        diff_lines: int = 0,
        before: dict[str, Any],
        reason: str = "",
        new_text: str | None = None,
        old_text: str | None = None,
        worst: list[dict[str, Any]] | None = None,
        holdout: float | None = None,
    ) -> None:
        usage = self.costs.since(before)
        spent = {k: usage[k] for k in TOKEN_KINDS}
        cost_delta = usage["cost_usd"]
        row = {
            "commit": commit,
            "score": result.mean if result else None,
            "stdev": result.stdev if result else None,
            "status": status,
            "description": description,
            "section": section,
            "delta": delta,
            "noise": noise,
            "cost_usd": cost_delta,
            "wall_time_s": round(seconds, 1),
        }
        record = {
            "experiment": n,
            "commit": commit,
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "status": status,
            "description": description,
            "reason": reason,
            "section": section,
            "delta": delta,
            "noise": noise,
            "diff_lines": diff_lines,
            "wall_time_s": round(seconds, 2),
            "tokens": spent,
            "cost_usd": cost_delta,
            "harness_sha256": self.harness,
            "new_text": new_text,
            "old_text": old_text,  # the section before the edit, for reports' diffs
            "worst": worst,
            "holdout": holdout,
            "metrics": None
            if result is None
            else {
                "mean": round(result.mean, 3),
                "stdev": round(result.stdev, 3),
                "per_topic": result.per_topic(),
                "per_criterion": result.per_criterion(),
                "drafts": {f"{t}#{r}": v for (t, r), v in sorted(result.totals.items())},
            },
        }
        self.ledger.log(row, record)
        self.counts[status] += 1
        self.history.append(
            {
                "n": n,
                "section": section or "-",
                "status": status,
                "delta": delta,
                "description": description,
            }
        )
        self.on_event({"phase": "logged", "experiment": n, "status": status, "run": self})

    # --- the loop --------------------------------------------------------------------------
    async def _baseline(self) -> None:
        before = self.costs.totals()
        t = time.monotonic()
        skill = self.skill()
        self.on_event({"phase": "baseline", "experiment": 0, "run": self})
        first = await self._evaluate(skill, 0)
        second = await self._evaluate(skill, 1)
        self.noise = noise_floor(first.totals, second.totals)
        self.best = {k: (first.totals[k] + second.totals[k]) / 2 for k in first.totals}
        self.baseline_mean = self.best_mean = sum(self.best.values()) / len(self.best)
        self.worst = first.worst()
        if self.holdout:
            self.holdout_baseline = self.holdout_best = (
                await self._evaluate(skill, 0, self.holdout)
            ).mean
        self.on_event({"phase": "baseline_done", "seconds": time.monotonic() - t, "run": self})
        head = self.ws.head()
        self._log(
            0,
            "keep",
            commit=head,
            result=first,
            description="baseline (run 1 of 2)",
            section=None,
            delta=None,
            noise=self.noise,
            seconds=time.monotonic() - t,
            before=before,
            worst=self.worst,
            holdout=self.holdout_baseline,
        )
        self._log(
            0,
            "keep",
            commit=head,
            result=second,
            description="baseline (run 2 of 2)",
            section=None,
            delta=round(second.mean - first.mean, 3),
            noise=self.noise,
            seconds=0.0,
            before=self.costs.totals(),  # both evaluations' spend is on run 1's row, once
        )
        self.ws.keep(self.run_dir)

    def _restore(self, records: list[dict[str, Any]]) -> int:
        """Rebuild the loop's state from the ledger; returns the last logged experiment number."""
        if records[0].get("harness_sha256") != self.harness:
            raise ContentloopError(
                "the eval harness (rubric, judge prompt or topics) changed since this run started, so "
                "its scores cannot be compared with the new ones.",
                path=self.run_dir / "experiments.jsonl",
                fix="restore the rubric and topics, or start a new run with another --tag.",
            )

        def drafts(record: dict[str, Any]) -> dict[tuple[str, int], float]:
            out = {}
            for key, total in record["metrics"]["drafts"].items():
                slug, _, rep = key.rpartition("#")
                out[(slug, int(rep))] = total
            return out

        first, second = drafts(records[0]), drafts(records[1])
        self.noise = records[0]["noise"]
        self.best = {k: (first[k] + second[k]) / 2 for k in first}
        self.baseline_mean = sum(self.best.values()) / len(self.best)
        self.worst = records[0].get("worst") or []
        self.holdout_baseline = self.holdout_best = records[0].get("holdout")
        for r in records:
            self.counts[r["status"]] += 1
            self.history.append(
                {
                    "n": r["experiment"],
                    "section": r.get("section") or "-",
                    "status": r["status"],
                    "delta": r.get("delta"),
                    "description": r["description"],
                }
            )
            if r.get("section"):
                self.explored[r["section"]] += 1
            if r["experiment"] > 0 and r["status"] in ("keep", "explore"):
                self.best = drafts(r)
                self.worst = r.get("worst") or self.worst
                if r.get("holdout") is not None:
                    self.holdout_best = r["holdout"]
        self.best_mean = sum(self.best.values()) / len(self.best)
        self.started -= sum(r.get("wall_time_s") or 0 for r in records)
        last = records[-1]["experiment"]
        if last >= 10:
            self.retro = retrospective([h for h in self.history if h["n"] <= last - last % 10])
        self.ws.restore(records)
        return records[-1]["experiment"]

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
        if self.resumed:
            sweep_temp(self.run_dir)
        records = self.ledger.repair() if self.resumed else []
        self.crashes = 0
        if sum(r["experiment"] == 0 for r in records) < 2:
            self.ledger.reset()  # a baseline cut short is redone whole
            await self._baseline()
            n = 0
        else:
            n = self._restore(records)
            for r in reversed(records):
                if r["status"] not in ("crash", "timeout"):
                    break
                self.crashes += 1
        await self._loop(n)
        summary = self.summary()
        write_text(self.run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
        return summary

    async def _loop(self, n: int) -> None:
        skill = self.skill()
        best, best_chars, worst = self.best, skill.chars, self.worst
        crashes, self.stop_reason = self.crashes, ""
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
            self.on_event({"phase": "proposing", "experiment": n, "run": self})
            before, t = self.costs.totals(), time.monotonic()
            explore = bool(self.explore_every) and n % self.explore_every == 0  # type: ignore[operator]
            try:
                proposal = await propose(
                    self.optimizer,
                    skill,
                    best_mean=self.best_mean,
                    max_points=self.rubric.max_points,
                    n_drafts=len(best),
                    noise=self.noise,
                    history=self.history,
                    explored=dict(self.explored),
                    worst=worst,
                    attempt=n,
                    retrospective=self.retro,
                )
            except Exception as exc:  # noqa: BLE001 - an unattended loop logs a crash and goes on
                crashes += 1
                self._log(
                    n,
                    "crash",
                    commit=self.ws.head(),
                    result=None,
                    description=f"proposal refused: {exc}"
                    if isinstance(exc, (ProposalRefused, ContentloopError))
                    else f"proposal failed: {type(exc).__name__}: {exc}",
                    section=None,
                    delta=None,
                    noise=self.noise,
                    seconds=time.monotonic() - t,
                    before=before,
                    reason=str(exc),
                )
                if crashes >= self.budget.abort_after_crashes:
                    self.stop_reason = f"{crashes} consecutive crashes (--abort-after-crashes)"
                    break
                continue
            old_text = skill.sections[proposal.section]
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
            self.explored[proposal.section] += 1
            self.on_event({"phase": "evaluating", "experiment": n, "run": self})
            try:
                candidate = self.skill()
                result = await asyncio.wait_for(
                    self._evaluate(candidate, n + 1), timeout=self.budget.experiment_timeout_s
                )
            except Exception as exc:  # noqa: BLE001 - logged as crash/timeout; 3 in a row stop the run
                status = "timeout" if isinstance(exc, TimeoutError) else "crash"
                self.ws.revert()
                crashes += 1
                self._log(
                    n,
                    status,
                    commit=commit,
                    result=None,
                    description=proposal.hypothesis,
                    section=proposal.section,
                    delta=None,
                    noise=self.noise,
                    seconds=time.monotonic() - t,
                    diff_lines=diff_lines,
                    before=before,
                    reason=str(exc) or status,
                    new_text=proposal.new_text,
                    old_text=old_text,
                )
                if crashes >= self.budget.abort_after_crashes:
                    self.stop_reason = f"{crashes} consecutive crashes (--abort-after-crashes)"
                    break
                continue
            crash_point("evaluated")
            crashes = 0
            decision = decide(
                result.totals,
                best,
                self.noise,
                candidate_chars=candidate.chars,
                best_chars=best_chars,
                explore=explore,
            )
            holdout = None
            if decision.status in ("keep", "explore"):
                best, best_chars, skill = result.totals, candidate.chars, candidate
                self.best_mean, worst = result.mean, result.worst()
                if self.holdout:
                    holdout = self.holdout_best = (
                        await self._evaluate(candidate, n + 1, self.holdout)
                    ).mean
                self.ws.keep(self.run_dir)
            else:
                self.ws.revert()
            crash_point("decided")
            self._log(
                n,
                decision.status,
                commit=commit,
                result=result,
                description=proposal.hypothesis,
                section=proposal.section,
                delta=decision.delta,
                noise=self.noise,
                seconds=time.monotonic() - t,
                diff_lines=diff_lines,
                before=before,
                reason=decision.reason,
                new_text=proposal.new_text,
                old_text=old_text,
                worst=worst if decision.status in ("keep", "explore") else None,
                holdout=holdout,
            )
        self.best = best

    def estimate(self) -> dict[str, Any]:
        """Calls, tokens and USD for the whole budget, before anything is spent (rough: ~4
        characters a token, drafts at ~1.4 tokens a word, six short judge rationales)."""
        from ..judge import system_prompt
        from ..llm.ledger import price_for

        skill = self.skill()
        drafts_per_eval = len(self.topics) * self.repeats
        evals = 2 + self.budget.max_experiments
        holdout_drafts = len(self.holdout) * (1 + self.budget.max_experiments)
        drafts = drafts_per_eval * evals + holdout_drafts
        out_words = sum(t.target_words for t in self.topics) / max(1, len(self.topics))
        writer_in, writer_out = len(skill.prompt) / 4 + 150, out_words * 1.4
        judge_in, judge_out = len(system_prompt(self.rubric)) / 4 + writer_out, 600
        opt_in, opt_out = skill.chars / 4 + 1500, 800
        n_exp = self.budget.max_experiments
        parts = [
            (self.writer.backend, drafts * writer_in, drafts * writer_out),
            (self.judge.client.backend, drafts * judge_in, drafts * judge_out),
            (self.optimizer.backend, n_exp * opt_in, n_exp * opt_out),
        ]
        cost: float | None = 0.0
        for backend, tin, tout in parts:
            price = price_for(backend.name, backend.model)
            if price is None or cost is None:
                cost = None
            else:
                cost += (tin * price["input"] + tout * price["output"]) / 1e6
        return {
            "calls": drafts * 2 + n_exp,
            "input_tokens": int(sum(p[1] for p in parts)),
            "output_tokens": int(sum(p[2] for p in parts)),
            "cost_usd": None if cost is None else round(cost, 2),
            "evaluations": evals,
        }

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
            "harness_sha256": self.harness,
            "skill": str(self.skill_source),
            "use_git": self.use_git,
            "rubric": str(self.rubric.path.resolve()) if self.rubric.path else self.rubric.name,
            "topics": [str(t.path.resolve()) if t.path else t.slug for t in self.topics],
            "holdout": [str(t.path.resolve()) if t.path else t.slug for t in self.holdout],
            "repeats": self.repeats,
            "budget": self.budget.__dict__,
            "explore_every": self.explore_every,
            "concurrency": self.concurrency,
            "batch": self.batch,
            "writer": ident(self.writer.backend),
            "judge": ident(self.judge.client.backend),
            "optimizer": ident(self.optimizer.backend),
        }

    def summary(self) -> dict[str, Any]:
        totals = self.costs.totals()
        overfit = (
            self.holdout_baseline is not None
            and self.holdout_best is not None
            and self.best_mean > self.baseline_mean
            and self.holdout_best < self.holdout_baseline
        )
        return {
            "holdout_baseline": None
            if self.holdout_baseline is None
            else round(self.holdout_baseline, 3),
            "holdout_best": None if self.holdout_best is None else round(self.holdout_best, 3),
            "overfit_warning": overfit,
            "tag": self.tag,
            "baseline": round(self.baseline_mean, 3),
            "best": round(self.best_mean, 3),
            "noise": self.noise,
            "counts": dict(self.counts),
            "stop_reason": self.stop_reason,
            "cost_usd": totals["cost_usd"],
            "calls": totals["calls"],
            "seconds": round(time.monotonic() - self.started, 1),
            "adopt": self.ws.adopt_command(),
            "best_skill": str(self.run_dir / "best-skill"),
        }


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
