"""A Lane: one search over a skill, with its folder, workspace, ledgers and clients.

A single run is a search with one lane; `--lanes N` runs N of them under one coordinator
(lanes.py). What a lane holds is read by the experiment body (experiment.py), the drift guard
and confirmation (guard.py), merges (merge.py), the plan (planner.py) and the summary
(summary.py); none of them, and nothing here, imports the coordinator (loop.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..atomic import sweep_temp, write_text
from ..errors import ContentloopError
from ..judge import Judge
from ..llm import TOKEN_KINDS, CallCache, Client, CostLedger
from ..paths import plain_name
from ..rubric import Rubric, load_rubric
from ..skill import Skill, load_skill
from ..topic import Topic, load_topic
from .control import RUNNING, Stop
from .harness import harness_sha256
from .ledger import RunLedger
from .measure import Measure
from .proposer import retrospective
from .records import Record, RunState, make_record, replay
from .samples import SampleBank
from .spec import Backends, RunEnd, RunSpec, refuse_existing
from .stats import Noise
from .warm import warm_history
from .workspace import GitWorkspace, SnapshotWorkspace

Event = Callable[[dict[str, Any]], None]


class Lane:
    def __init__(
        self,
        spec: RunSpec,
        backends: Backends,
        *,
        run_dir: Path,
        rubric: Rubric | None = None,
        topics: list[Topic] | None = None,
        holdout: list[Topic] | None = None,
        cache: CallCache | None = None,
        on_event: Event | None = None,
        resume: bool = False,
        limit: asyncio.Semaphore | None = None,
    ) -> None:
        """`rubric`, `topics` and `holdout` are what the spec names, loaded (by the caller that
        has them already, else here). Nothing is written and no branch is made until the run
        opens: a caller can show the plan first and let the user back out."""
        self.rubric = rubric or load_rubric(spec.rubric)
        self.topics = topics if topics is not None else [load_topic(p) for p in spec.topics]
        # Held-out topics are measured only in the final confirmation, for baseline and best,
        # never shown to the proposer: a gain that holds on training topics but not here is
        # overfitting.
        self.holdout = holdout if holdout is not None else [load_topic(p) for p in spec.holdout]
        self.harness = harness_sha256(self.rubric, self.topics, self.holdout)
        self.spec = spec.model_copy(update={"harness_sha256": self.harness})
        self.tag = plain_name(spec.tag, "tag")
        self.run_dir, self.resumed = run_dir, resume
        self.repeats, self.gate, self.objective = spec.repeats, spec.gate, spec.objective
        self.budget, self.explore_every = spec.budget, spec.explore_every
        self.assumed_noise, self.noise_source = spec.assumed_noise, spec.noise_source
        self.calibration = spec.calibration
        self.skill_source = Path(spec.skill)
        # --warm-start runs/<tag>: start from that run's best skill (its baseline measured
        # afresh here) and show the proposer that run's tries and retrospective.
        self.warm_start = Path(spec.warm_start) if spec.warm_start else None
        self.prior_history = warm_history(self.warm_start) if self.warm_start else []
        self.retro = retrospective(self.prior_history) if self.prior_history else ""
        # --lanes: each lane is told which sections to favour, and sees every lane's tries.
        self.emphasis = spec.emphasis
        self.retro_history: Callable[[], list[dict[str, Any]]] | None = None
        self.on_event = on_event or (lambda e: None)
        if resume and not (run_dir / "run.json").exists():
            raise ContentloopError("is not a run folder (no run.json).", path=run_dir)
        self.costs = CostLedger(run_dir / "calls.jsonl")
        # One bound on model calls in flight across writer, judge and optimizer: every draft
        # of a stage starts at once and the calls queue here, not per draft.
        limit = limit or asyncio.Semaphore(spec.concurrency)

        def client(backend: Any, role: str) -> Client:
            return Client(backend, role=role, cache=cache, ledger=self.costs, limit=limit)

        self.backends = backends
        self.writer = client(backends.writer, "writer")
        self.judge = Judge(client(backends.judge, "judge"), self.rubric)
        self.judge.calibration = (spec.calibration or {}).get("state")
        # The audit judge re-scores only the confirmation's drafts: a gain that only the
        # judge the loop climbed on can see is flagged as possible judge gaming.
        self.audit = Judge(client(backends.audit, "audit"), self.rubric) if backends.audit else None
        self.optimizer = client(backends.optimizer, "optimizer")
        self.started = time.monotonic()
        self.state = RunState()
        self.stop: Stop = RUNNING  # why this lane stopped (RUNNING: it has not)
        self._records: list[Record] = []
        self._opened = False

    def open(self) -> None:
        """Write run.json, open the workspace, the ledgers and the sample bank."""
        run_dir = self.run_dir
        # The run lock made the folder; a fresh start over a run another process finished
        # meanwhile must not write into it.
        if not self.resumed:
            refuse_existing(run_dir)
        else:
            self.costs.load()
            sweep_temp(run_dir)
        # Written before the workspace, so a run killed at any later point can be resumed.
        write_text(run_dir / "run.json", self.spec.dump())
        self._opened = True  # from here on run.json is this process's to note the end in
        ws_cls = GitWorkspace if self.spec.use_git else SnapshotWorkspace
        self.ws = ws_cls(
            self.skill_source.resolve(),
            run_dir,
            self.tag,
            reopen=self.resumed,
            branch=self.spec.branch,
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

    # --- what a lane knows ---------------------------------------------------------------
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
        """This lane's records so far, in order (experiments.jsonl, typed)."""
        return self._records

    @property
    def counts(self) -> Counter[str]:
        return self.state.counts

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.state.history

    # --- what a lane writes --------------------------------------------------------------
    def replay(self, records: list[Record]) -> None:
        """Take `records` (read back from the ledger on a resume) as the lane's history."""
        self._records = list(records)
        self.state = replay(self._records)

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
        return make_record(
            kind=kind,
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

    def note_end(self, status: str, reason: str) -> None:
        """How the lane ended, in run.json: a run that failed in its baseline leaves empty
        ledgers, and this is then the only record of what it cost and why it stopped."""
        if not self._opened:
            return  # refused before it started: the run.json there is another run's
        totals = self.costs.totals()
        note_end(
            self.run_dir,
            self.spec,
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
    run_dir: Path, spec: RunSpec, *, status: str, reason: str, started: float, **totals: Any
) -> None:
    """Write how a run ended into its run.json as `end`. The note must never hide the run's
    own error, so a failed write is let go."""
    if not (run_dir / "run.json").exists():
        return
    end = RunEnd(
        status=status,  # type: ignore[arg-type]
        reason=reason,
        ended_at=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=round(time.monotonic() - started, 1),
        **totals,
    )
    with contextlib.suppress(OSError):
        write_text(run_dir / "run.json", spec.model_copy(update={"end": end}).dump())


__all__ = ["Event", "Lane", "note_end"]
