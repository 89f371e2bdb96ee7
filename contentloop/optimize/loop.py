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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..atomic import sweep_temp, write_text
from ..errors import ContentloopError
from ..faults import crash_point
from ..judge import Judge
from ..llm import TOKEN_KINDS, Backend, BackendError, CallCache, Client, CostLedger
from ..paths import plain_name
from ..rubric import Rubric
from ..runlock import run_lock
from ..skill import Skill, count_tokens, load_skill
from ..topic import Topic
from .gate import GatePlan, StageVerdict, judge_stage
from .guard import confirm, drift_check, settle_best
from .harness import harness_sha256
from .ledger import RunLedger
from .measure import Measure
from .objective import Objective, decide, evidence
from .planner import plan_run
from .proposer import ProposalRefused, propose, retrospective
from .records import Record, RunState, check_sequence, parse_records, replay
from .samples import SampleBank, gather_all, skill_hash
from .stats import Noise
from .summary import summarize
from .warm import warm_history, warm_skill
from .workspace import GitWorkspace, SnapshotWorkspace, save_kept

Event = Callable[[dict[str, Any]], None]


# --forever, and a lane's own budget under --lanes (the coordinator's is the one that ends it).
FOREVER = 10**9


@contextlib.contextmanager
def on_sigint(handler: Callable[[], None]) -> Iterator[None]:
    """Ctrl-C calls `handler` while the block runs, instead of raising KeyboardInterrupt."""
    loop = asyncio.get_running_loop()
    # Not the main thread (a test harness): Ctrl-C keeps its default meaning there.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, handler)
    try:
        yield
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGINT)


@dataclass
class Budget:
    max_experiments: int = 10
    max_cost_usd: float | None = None
    max_hours: float | None = None
    abort_after_crashes: int = 3
    experiment_timeout_s: float | None = None

    def ended_by(
        self, *, started: int | float, cost: float, run_dir: Path, interrupts: int
    ) -> str | None:
        """Which limit other than the experiment count ends the run now, if any: money,
        hours, the STOP file in `run_dir`, or Ctrl-C."""
        if self.max_cost_usd is not None and cost >= self.max_cost_usd:
            return f"--max-cost-usd {self.max_cost_usd:g} reached (${cost:.4f})"
        if self.max_hours is not None and time.monotonic() - started >= self.max_hours * 3600:
            return f"--max-hours {self.max_hours:g} reached"
        if (run_dir / "STOP").exists():
            return "STOP file found"
        if interrupts:
            return "Ctrl-C"
        return None


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
        noise_source: str = "--noise",
        calibration: dict[str, Any] | None = None,
        audit_backend: Backend | None = None,
        warm_start: Path | None = None,
        objective: Objective | None = None,
        branch: str | None = None,
        limit: asyncio.Semaphore | None = None,
        emphasis: str = "",
    ) -> None:
        """Nothing is written and no branch is made until `run()`: a caller can show
        `estimate()` first and let the user back out."""
        # --warm-start runs/<tag>: start from that run's best skill (its baseline measured
        # afresh here) and show the proposer that run's tries and retrospective.
        self.warm_start = warm_start.resolve() if warm_start is not None else None
        self.prior_history = warm_history(self.warm_start) if self.warm_start else []
        self.topics, self.rubric, self.repeats = topics, rubric, repeats
        # Held-out topics are measured only in the final confirmation, for baseline and best,
        # never shown to the proposer: a gain that holds on training topics but not here is
        # overfitting.
        self.holdout = holdout or []
        self.gate = gate or GatePlan()
        self.objective = objective or Objective()
        self.assumed_noise = assumed_noise
        self.noise_source = noise_source
        self.calibration = calibration  # the judge's card status when the run started
        self.retro = retrospective(self.prior_history) if self.prior_history else ""
        self.interrupts = 0
        self._task: asyncio.Task[Any] | None = None
        self.resumed = resume
        self.skill_source = skill_dir.resolve()
        self.use_git = use_git
        self.budget = budget or Budget()
        self.explore_every = explore_every
        self.batch = batch  # recorded so --resume sends through Message Batches again
        self.run_dir, self.tag = run_dir, plain_name(tag, "tag")
        self.concurrency = concurrency
        # --lanes: each lane is a run of its own on branch autoexp/<tag>/lane-<i>, told which
        # sections to favour, and sharing one bound on calls in flight with the other lanes.
        self.branch = branch
        self.emphasis = emphasis
        self.retro_history: Callable[[], list[dict[str, Any]]] | None = None
        self.on_event = on_event or (lambda e: None)
        self.harness = harness_sha256(rubric, topics, self.holdout)
        if resume and not (run_dir / "run.json").exists():
            raise ContentloopError("is not a run folder (no run.json).", path=run_dir)
        self.costs = CostLedger(run_dir / "calls.jsonl")
        # One bound on model calls in flight across writer, judge and optimizer: every draft
        # of a stage starts at once and the calls queue here, not per draft.
        limit = limit or asyncio.Semaphore(concurrency)
        self.writer = Client(
            writer_backend, role="writer", cache=cache, ledger=self.costs, limit=limit
        )
        self.judge = Judge(
            Client(judge_backend, role="judge", cache=cache, ledger=self.costs, limit=limit),
            rubric,
        )
        self.judge.calibration = (calibration or {}).get("state")
        # The audit judge re-scores only the confirmation's drafts: a gain that only the
        # judge the loop climbed on can see is flagged as possible judge gaming.
        self.audit = (
            Judge(
                Client(audit_backend, role="audit", cache=cache, ledger=self.costs, limit=limit),
                rubric,
            )
            if audit_backend is not None
            else None
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
        # The run lock made the folder; a fresh start over a run another process finished
        # meanwhile must not write into it.
        if not self.resumed and (run_dir / "run.json").exists():
            raise ContentloopError(
                "already exists.", path=run_dir, fix="pick another --tag, or --resume it."
            )
        if self.resumed:
            self.costs.load()
            sweep_temp(run_dir)
        # Written before the workspace, so a run killed at any later point can be resumed.
        write_text(run_dir / "run.json", json.dumps(self.meta(), indent=2) + "\n")
        self._opened = True  # from here on run.json is this process's to note the end in
        ws_cls = GitWorkspace if self.use_git else SnapshotWorkspace
        self.ws = ws_cls(
            self.skill_source, run_dir, self.tag, reopen=self.resumed, branch=self.branch
        )
        self.ledger = RunLedger(run_dir)
        self.measure = Measure(
            SampleBank(run_dir / "samples.jsonl"),
            self.topics,
            self.holdout,
            self.rubric,
            self.writer,
            self.judge,
            self.gate,
            self.repeats,
            self.assumed_noise,
            self.audit,
        )

    # --- helpers ---------------------------------------------------------------------------
    def skill(self) -> Skill:
        return load_skill(self.ws.skill_dir)

    def kept_skill(self, commit: str) -> Skill:
        return load_skill(self.run_dir / "kept" / commit)

    def noise(self) -> Noise:
        return self.measure.noise()

    def band(self) -> float:
        return self.measure.band()

    @property
    def baseline_mean(self) -> float:
        base = self.state.baseline
        return self.measure.mean_of(base.skill) if base else float("nan")

    @property
    def best_mean(self) -> float:
        best = self.state.best_skill
        return self.measure.mean_of(best) if best else float("nan")

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

    def _stop_reason(self, n: int) -> str | None:
        b = self.budget
        if n > b.max_experiments:
            return f"--max-experiments {b.max_experiments} reached"
        return b.ended_by(
            started=self.started,
            cost=self.costs.totals()["known_cost_usd"],
            run_dir=self.run_dir,
            interrupts=self.interrupts,
        )

    def _on_sigint(self) -> None:
        """First Ctrl-C: finish the current experiment's bookkeeping, then stop. Second: stop now."""
        self.interrupts += 1
        self.on_event({"phase": "interrupt", "count": self.interrupts, "run": self})
        if self.interrupts > 1 and self._task is not None:
            self._task.cancel()

    def append_record(self, record: Record, *, tsv: bool = True) -> None:
        row = record.tsv_row() if tsv else None
        record.row = row
        self.ledger.log(row, record.model_dump(mode="json"))
        self.state.apply(record)
        self._records.append(record)
        self.on_event(
            {
                "phase": "logged",
                "kind": record.kind,
                "experiment": record.experiment,
                "status": record.status,
                "record": record,
                "run": self,
            }
        )

    def new_record(
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
        with on_sigint(self._on_sigint), run_lock(self.run_dir):
            try:
                summary = await self._run()
            except BaseException as exc:
                interrupted = isinstance(exc, KeyboardInterrupt | asyncio.CancelledError)
                self._record_end(
                    "interrupted" if interrupted else "failed",
                    str(exc) or type(exc).__name__,
                )
                raise
            stopped = self.stop_reason == "Ctrl-C" or "consecutive crashes" in self.stop_reason
            self._record_end("stopped" if stopped else "finished", self.stop_reason)
            return summary

    async def _run(self) -> dict[str, Any]:
        await self.prepare()
        await self._loop()
        return await self.finish()

    async def prepare(self) -> None:
        """Open the run folder and the workspace; write the baseline, or, on a resume, bring
        the branch back to the best the records name."""
        self._open()
        raw = self.ledger.repair() if self.resumed else []
        self._records = parse_records(raw, str(self.ledger.jsonl))
        check_sequence(self._records, str(self.ledger.jsonl))
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
            if self.warm_start:
                # Before the baseline, also on a resume killed before it: copying is idempotent.
                warm_skill(self.ws, self.warm_start)
            await self._baseline()
        else:
            self.started -= self.state.seconds
            last = self.state.last_experiment
            if last >= 10:
                own = [h for h in self.history if h["n"] <= last - last % 10]
                self.retro = retrospective(self.prior_history + own)
            self.ws.restore(self.state.best_commit, last)

    async def finish(self) -> dict[str, Any]:
        """Settle on the best, confirm it on fresh drafts (unless the run was stopped), and
        write summary.json."""
        if self.stop_reason != "Ctrl-C" and "consecutive crashes" not in self.stop_reason:
            settle_best(self)
            await confirm(self)
        summary = self.summary()
        write_text(self.run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
        return summary

    async def _baseline(self) -> None:
        before, t = self.costs.totals(), time.monotonic()
        skill = self.skill()
        digest, head = skill_hash(skill), self.ws.head()
        save_kept(self.ws.skill_dir, self.run_dir, head)
        self.on_event({"phase": "baseline", "experiment": 0, "run": self})
        # As many drafts as the first stage of the first experiment will want of the best.
        need = self.gate.best_needed(self.repeats)
        await self.measure.draw(skill, need, "baseline", 0)
        self.on_event({"phase": "baseline_done", "seconds": time.monotonic() - t, "run": self})
        self.append_record(
            self.new_record(
                "baseline",
                0,
                "keep",
                commit=head,
                skill=digest,
                best_commit=head,
                best_skill=digest,
                description=f"baseline ({need} drafts per topic)",
                before=before,
                seconds=time.monotonic() - t,
                metrics={
                    **self.measure.metrics(digest),
                    "prompt_tokens": count_tokens(skill.prompt),
                },
                worst=self.measure.worst(digest),
            )
        )
        self.ws.keep(self.run_dir)

    async def _loop(self) -> None:
        while await self.step():
            pass

    async def step(self) -> bool:
        """One more experiment; False, with `stop_reason` set, when a budget ends the run or
        too many tries in a row crashed."""
        n = self.state.last_experiment + 1
        reason = self._stop_reason(n)
        if reason:
            self.stop_reason = reason
            return False
        if n > 1 and (n - 1) % 10 == 0:
            # Under --lanes, over every lane's tries: each proposer sees what the others did.
            pool = self.retro_history() if self.retro_history else self.history
            self.retro = retrospective(self.prior_history + pool)
            self.on_event(
                {"phase": "retrospective", "experiment": n, "text": self.retro, "run": self}
            )
        await self._experiment(n)
        crashes = self.state.trailing_crashes
        if crashes >= self.budget.abort_after_crashes:
            self.stop_reason = f"{crashes} consecutive crashes (--abort-after-crashes)"
            return False
        return True

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
                n_drafts=sum(len(v) for v in self.measure.totals(self.state.best_skill).values()),
                noise=self.noise().sd,
                history=self.prior_history + self.history,
                explored=dict(self.state.explored),
                worst=self.measure.worst(self.state.best_skill),
                attempt=n,
                retrospective=self.retro,
                emphasis=self.emphasis,
            )
        except Exception as exc:  # noqa: BLE001 - an unattended loop logs a crash and goes on
            self.append_record(
                self.new_record(
                    "experiment",
                    n,
                    "crash",
                    commit=self.ws.head(),
                    skill=self.state.best_skill,
                    description=_proposal_failure(exc),
                    before=before,
                    seconds=time.monotonic() - t,
                    reason=str(exc),
                )
            )
            return False
        return await self.evaluate(
            n,
            {proposal.section: proposal.new_text},
            proposal.hypothesis,
            message=f"autoexp {self.tag} #{n}: {proposal.section}: {proposal.hypothesis}",
            explore=explore,
            before=before,
            t=t,
        )

    async def evaluate(
        self,
        n: int,
        edits: dict[str, str],
        description: str,
        *,
        message: str,
        before: dict[str, Any],
        t: float,
        explore: bool = False,
        kind: str = "experiment",
        **fields: Any,
    ) -> bool:
        """Commit `edits` (section -> new text) over the best, measure the result in stages
        against the best, keep or revert, and log it; False when it crashed or timed out."""
        best = self.skill()
        old = {name: best.sections[name] for name in edits}
        diff_lines = sum(
            1
            for name, text in edits.items()
            for line in difflib.unified_diff(old[name].splitlines(), text.splitlines(), lineterm="")
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )
        for name, text in edits.items():
            write_text(self.ws.skill_dir / f"{name}.md", text)
        commit = self.ws.commit(message)
        crash_point("commit")
        self.on_event({"phase": "evaluating", "experiment": n, "stage": 0, "run": self})
        # One section's edit keeps its before and after; a merge's several live in `sections`.
        section, new_text = next(iter(edits.items())) if len(edits) == 1 else (None, None)
        common = {
            "description": description,
            "section": section,
            "diff_lines": diff_lines,
            "new_text": new_text,
            "old_text": old.get(section) if section else None,
            **fields,
        }
        tsv = kind == "experiment"
        try:
            candidate = self.skill()
            stages = await asyncio.wait_for(
                self._stages(n, candidate, best, explore),
                timeout=self.budget.experiment_timeout_s,
            )
        except Exception as exc:  # noqa: BLE001 - logged as crash/timeout; N in a row stop the run
            status = "timeout" if isinstance(exc, TimeoutError) else "crash"
            self.ws.revert()
            self.append_record(
                self.new_record(
                    kind,
                    n,
                    status,
                    commit=commit,
                    skill=self.state.best_skill,
                    before=before,
                    seconds=time.monotonic() - t,
                    reason=str(exc) or status,
                    **common,
                ),
                tsv=tsv,
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
        self.append_record(
            self.new_record(
                kind,
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
                metrics={
                    **self.measure.metrics(digest),
                    "prompt_tokens": count_tokens(candidate.prompt),
                },
                worst=self.measure.worst(digest) if kept else None,
                **common,
            ),
            tsv=tsv,
        )
        if (
            kept
            and self.gate.verify_every
            and self.state.keeps_since_verify >= self.gate.verify_every
        ):
            await drift_check(self, n)
        return True

    async def _stages(
        self, n: int, candidate: Skill, best: Skill, explore: bool
    ) -> list[StageVerdict]:
        """Write the candidate's drafts a stage at a time (and top up the best's) until the
        gate decides."""
        cand, best_digest = skill_hash(candidate), self.state.best_skill
        shorter = candidate.chars < best.chars
        tokens = {cand: count_tokens(candidate.prompt), best_digest: count_tokens(best.prompt)}
        out: list[StageVerdict] = []
        for stage in range(1, self.gate.max_stages + 1):
            per_topic = stage * self.repeats
            await gather_all(
                self.measure.draw(candidate, per_topic, "candidate", n),
                self.measure.draw(best, self.gate.best_needed(per_topic), "best", n),
            )
            if self.objective.is_default:
                diff = self.measure.compare(
                    self.measure.totals(cand), self.measure.totals(best_digest)
                )
                verdict = judge_stage(self.gate, stage, diff, shorter=shorter, explore=explore)
            else:
                ev = evidence(
                    self.objective,
                    self.measure,
                    cand,
                    best_digest,
                    tokens,
                    self.gate.simplicity_margin,
                )
                verdict = decide(self.gate, self.objective, stage, ev, explore=explore)
            out.append(verdict)
            self.on_event(
                {"phase": "stage", "experiment": n, "stage": stage, "verdict": verdict, "run": self}
            )
            if verdict.status:
                break
        return out

    # --- before and after ------------------------------------------------------------------
    def estimate(self) -> dict[str, Any]:
        """Calls, tokens and USD for the whole budget, and the smallest effect the run can
        detect, before anything is spent or written."""
        return plan_run(self, load_skill(self.skill_source))

    def meta(self) -> dict[str, Any]:
        """Everything --resume needs to rebuild this run (no secrets: backends by name only)."""

        def ident(backend: Backend) -> dict[str, Any]:
            out = {
                k: v
                for k, v in backend.cache_identity.items()
                if k in ("backend", "model", "base_url")
            }
            members = getattr(backend, "members", None)  # a judge panel
            return out | ({"members": [ident(m) for m in members]} if members else {})

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
            "objective": self.objective.to_json(),
            "assumed_noise": self.assumed_noise,
            "noise_source": self.noise_source,
            "calibration": self.calibration,
            "explore_every": self.explore_every,
            "concurrency": self.concurrency,
            "batch": self.batch,
            "writer": ident(self.writer.backend),
            "judge": ident(self.judge.client.backend)
            | ({"not_measured": self.judge.not_measured} if self.judge.not_measured else {}),
            "optimizer": ident(self.optimizer.backend),
            "audit": ident(self.audit.client.backend) if self.audit else None,
            "warm_start": str(self.warm_start) if self.warm_start else None,
            "branch": self.branch,
            "emphasis": self.emphasis,
        }

    def summary(self) -> dict[str, Any]:
        return summarize(self, time.monotonic() - self.started)

    def _record_end(self, status: str, reason: str) -> None:
        """How the run ended, in run.json: a run that failed in its baseline leaves empty
        ledgers, and this is then the only record of what it cost and why it stopped."""
        if not getattr(self, "_opened", False):
            return  # refused before it started: the run.json there is another run's
        totals = self.costs.totals()
        note_end(
            self.run_dir,
            self.meta,
            status=status,
            reason=reason,
            started=self.started,
            experiments=self.state.last_experiment,
            calls=totals["calls"],
            cached_calls=totals["cached_calls"],
            cost_usd=totals["cost_usd"],
            unusable_verdicts=self.measure.bank.failures() if hasattr(self, "measure") else 0,
        )


def note_end(
    run_dir: Path,
    meta: Callable[[], dict[str, Any]],
    *,
    status: str,
    reason: str,
    started: float,
    **totals: Any,
) -> None:
    """Write how a run ended into its run.json as `end` (`meta()` stands in for a run.json
    that cannot be read). The note must never hide the run's own error, so a failed write is
    let go."""
    path = run_dir / "run.json"
    if not path.exists():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        data = meta()
    data["end"] = {
        "status": status,
        "reason": reason,
        "ended_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 1),
        **totals,
    }
    with contextlib.suppress(OSError):
        write_text(path, json.dumps(data, indent=2) + "\n")


__all__ = ["FOREVER", "Budget", "Event", "OptimizeRun", "retrospective"]


def _proposal_failure(exc: Exception) -> str:
    """What the ledger says about a try that never got an edit: the optimizer's reply was
    refused, or the call itself failed (a 529 is the provider's state, not a bad proposal)."""
    if isinstance(exc, ProposalRefused):
        return f"proposal refused: {exc}"
    if isinstance(exc, BackendError):
        return f"optimizer call failed: {exc}"
    if isinstance(exc, ContentloopError):
        return f"proposal failed: {exc}"
    return f"proposal failed: {type(exc).__name__}: {exc}"
