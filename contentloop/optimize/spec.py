"""RunSpec: everything an optimize run was started with, as one typed value.

The CLI builds it from flags (`RunSpec.new`), run.json is its dump (plus the `end` note a run
writes when it stops), `--resume` loads it (`load_spec`) and `--dry-run` prints it. Backends
are named, never stored with their keys: `open_backends` makes them again from the names and
the environment. A `--lanes` run's own run.json is the spec of the whole search; each lane's
folder holds `spec.lane(i)`.

Older run.json files go through numbered upgrade functions (UPGRADES) before they are read,
so no reader branches on which keys a file happens to have.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ContentloopError
from ..llm import Backend
from ..rubric import Rubric
from ..topic import Topic
from .control import Stop
from .gate import GatePlan
from .objective import Objective

SCHEMA_VERSION = 2
# --forever, and a lane's own budget under --lanes (the coordinator's is the one that ends it).
FOREVER = 10**9
ROLES = ("writer", "judge", "optimizer")


@dataclass
class Budget:
    max_experiments: int = 10
    max_cost_usd: float | None = None
    max_hours: float | None = None
    abort_after_crashes: int = 3
    experiment_timeout_s: float | None = None

    def ended_by(
        self, done: int, *, started: int | float, cost: float, run_dir: Path, interrupts: int
    ) -> Stop | None:
        """Which limit ends the run now, `done` experiments in, if any: their number, money,
        hours, the STOP file in `run_dir`, or Ctrl-C."""
        if done >= self.max_experiments:
            return Stop("max_experiments", f"--max-experiments {self.max_experiments} reached")
        if self.max_cost_usd is not None and cost >= self.max_cost_usd:
            return Stop("max_cost", f"--max-cost-usd {self.max_cost_usd:g} reached (${cost:.4f})")
        if self.max_hours is not None and time.monotonic() - started >= self.max_hours * 3600:
            return Stop("max_hours", f"--max-hours {self.max_hours:g} reached")
        if (run_dir / "STOP").exists():
            return Stop("stop_file", "STOP file found")
        if interrupts:
            return Stop("ctrl_c", "Ctrl-C")
        return None


class BackendName(BaseModel):
    """A backend by name (no secret): enough to make it again on --resume."""

    model_config = ConfigDict(extra="forbid")
    backend: str
    model: str
    base_url: str | None = None
    members: list[BackendName] | None = None  # a judge panel
    not_measured: str | None = None  # the demo judge: why its scores are left out

    @classmethod
    def of(cls, backend: Backend, *, judge: bool = False) -> BackendName:
        """`judge`: the run's judge, whose demo-model note (not measured) is kept."""
        ident = backend.cache_identity
        members = getattr(backend, "members", None)
        return cls(
            backend=ident["backend"],
            model=ident["model"],
            base_url=ident.get("base_url"),
            members=[cls.of(m) for m in members] if members else None,
            not_measured=getattr(backend, "judge_not_measured", None) if judge else None,
        )


class RunEnd(BaseModel):
    """How a run ended, written into its run.json as `end` when it stops."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["finished", "stopped", "interrupted", "failed"]
    reason: str
    ended_at: str
    seconds: float
    experiments: int
    calls: int
    cached_calls: int | None = None
    cost_usd: float | None  # None: a model with no known price
    unusable_verdicts: int | None = None


class RunSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[2] = SCHEMA_VERSION
    tag: str
    harness_sha256: str = ""  # of the rubric, judge prompts and topics; set when the run opens
    skill: str  # the skill folder the run started from
    use_git: bool = True
    rubric: str
    topics: list[str]
    holdout: list[str] = []
    repeats: int = 1
    budget: Budget = Field(default_factory=Budget)
    gate: GatePlan = Field(default_factory=GatePlan)
    objective: Objective = Field(default_factory=Objective)
    assumed_noise: float = 4.0
    noise_source: str = "--noise"
    calibration: dict[str, Any] | None = None  # the judge's card status when the run started
    explore_every: int | None = None
    concurrency: int = 4
    batch: bool = False  # drafts and verdicts through Message Batches (again on --resume)
    writer: BackendName
    judge: BackendName
    optimizer: BackendName
    audit: BackendName | None = None
    warm_start: str | None = None
    branch: str | None = None  # a lane's own branch, autoexp/<tag>/lane-<i>
    emphasis: str = ""  # a lane's: the sections it is asked to favour
    lanes: int = 1
    merge_every: int = 0
    emphases: list[str] = []  # a lanes run's: each lane's emphasis
    end: RunEnd | None = None

    @classmethod
    def new(
        cls,
        skill_dir: Path,
        topics: list[Topic],
        rubric: Rubric,
        backends: Backends,
        *,
        tag: str,
        holdout: list[Topic] | None = None,
        warm_start: Path | None = None,
        **settings: Any,
    ) -> RunSpec:
        """The spec of a new run, from what the CLI (or a caller in Python) has loaded."""
        return cls(
            tag=tag,
            skill=str(skill_dir.resolve()),
            rubric=str(rubric.path.resolve()) if rubric.path else rubric.name,
            topics=[_where(t) for t in topics],
            holdout=[_where(t) for t in holdout or []],
            writer=BackendName.of(backends.writer),
            judge=BackendName.of(backends.judge, judge=True),
            optimizer=BackendName.of(backends.optimizer),
            audit=BackendName.of(backends.audit) if backends.audit else None,
            warm_start=str(warm_start.resolve()) if warm_start else None,
            **settings,
        )

    def lane(self, index: int, emphasis: str) -> RunSpec:
        """Lane `index`'s own spec: its tag, branch and emphasis, no budget of its own (the
        coordinator's ends the run), and the rest of the search's settings."""
        return self.model_copy(
            update={
                "tag": f"{self.tag}-lane-{index}",
                "branch": lane_branch(self.tag, index),
                "emphasis": emphasis,
                "budget": Budget(
                    FOREVER,
                    abort_after_crashes=self.budget.abort_after_crashes,
                    experiment_timeout_s=self.budget.experiment_timeout_s,
                ),
                "lanes": 1,
                "merge_every": 0,
                "emphases": [],
                "end": None,
            }
        )

    def dump(self) -> str:
        data = self.model_dump(mode="json", exclude={"end"} if self.end is None else set())
        return json.dumps(data, indent=2) + "\n"


def lane_branch(tag: str, index: int) -> str:
    return f"autoexp/{tag}/lane-{index}"


def _where(topic: Topic) -> str:
    return str(topic.path.resolve()) if topic.path else topic.slug


@dataclass
class Backends:
    """The models a run calls, by role."""

    writer: Backend
    judge: Backend
    optimizer: Backend
    audit: Backend | None = None


def open_backends(spec: RunSpec, timeout: float | None = None) -> Backends:
    """The spec's backends made again from their names (keys come from the environment, never
    from the file); `timeout` is the one setting a resume may change."""
    from ..llm import ModelChoice, make_backend
    from ..llm.batch import batched
    from ..llm.panel import PanelBackend

    def build(role: str, name: BackendName) -> Backend:
        if name.backend == "panel":
            return PanelBackend([build(role, m) for m in name.members or []])
        made = make_backend(
            ModelChoice(
                role="judge" if role in ("judge", "audit") else "writer",
                timeout=timeout or 120.0,
                **name.model_dump(include={"backend", "model", "base_url"}),
            )
        )
        if name.not_measured:
            made.judge_not_measured = name.not_measured  # type: ignore[attr-defined]
        return made

    def backend(role: str, name: BackendName) -> Backend:
        made = build(role, name)
        # Drafts and verdicts go as batches again; the one proposal per experiment stays direct.
        return batched(made) if spec.batch and role != "optimizer" else made

    return Backends(
        writer=backend("writer", spec.writer),
        judge=backend("judge", spec.judge),
        optimizer=backend("optimizer", spec.optimizer),
        audit=backend("audit", spec.audit) if spec.audit else None,
    )


def refuse_existing(run_dir: Path) -> None:
    """A new run never writes into a folder that holds a run (run.json): the user picks another
    tag or resumes that one. A folder without run.json is a start killed at once."""
    if (run_dir / "run.json").exists():
        raise ContentloopError(
            "already exists.", path=run_dir, fix="pick another --tag, or --resume it."
        )


def read_run_json(run_dir: Path) -> dict[str, Any]:
    """run.json of `run_dir` as JSON, or an error that says whether the run never started."""
    meta_path = run_dir / "run.json"
    if not meta_path.exists():
        # A folder without run.json is a start killed before it wrote anything worth keeping.
        started = run_dir.is_dir()
        raise ContentloopError(
            "was stopped before the run had started (no run.json), so there is nothing to resume."
            if started
            else "is not an optimize run (no run.json).",
            path=run_dir,
            fix="run the original command again with the same --tag (without --resume)."
            if started
            else f"pass a folder name under {run_dir.parent}/ to --resume.",
        )
    try:
        return json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ContentloopError(
            f"is not valid JSON ({exc}).",
            path=meta_path,
            fix="restore it from the run's first commit, or start a new run.",
        ) from None


def lanes_in(data: dict[str, Any]) -> int:
    """How many lanes the run.json `data` describes: 1 for a single run (whose file says
    `lanes: 1`, or, written before RunSpec, nothing), N for a --lanes run's own folder."""
    try:
        return max(1, int(data.get("lanes") or 1))
    except (TypeError, ValueError):
        return 1


def _v2_lanes_head(data: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """Upgrade 1: a --lanes run's run.json held only what `runs` and `report` read (lanes,
    merge_every, emphases, budget, skill); the rest of the search's settings were in lane 0's.
    Now the head holds the whole spec: take them from lane 0."""
    if lanes_in(data) == 1 or "writer" in data:
        return data
    first = read_run_json(run_dir / "lane-0")
    keep = {"tag", "schema_version", "lanes", "merge_every", "emphases", "budget", "end"}
    shared = {k: v for k, v in first.items() if k not in keep | {"branch", "emphasis"}}
    return {**shared, **{k: v for k, v in data.items() if k in keep}}


def _v2_gate_design(data: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """Upgrade 2: a gate written before the sprt named no design; it was Haybittle-Peto's,
    and a resumed run goes on deciding by the rule it started with."""
    gate = data.get("gate")
    if not isinstance(gate, dict) or "design" in gate:
        return data
    return {**data, "gate": {**gate, "design": "haybittle-peto"}}


# Numbered upgrades of run.json, applied in order to every file read; each returns the data
# unchanged when it does not apply.
UPGRADES: list[Callable[[dict[str, Any], Path], dict[str, Any]]] = [
    _v2_lanes_head,
    _v2_gate_design,
]


def load_spec(run_dir: Path) -> RunSpec:
    """The spec in `run_dir`/run.json, upgraded from older layouts; a run.json written before
    the sequential gate (schema 1) is refused with the reason."""
    data = read_run_json(run_dir)
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ContentloopError(
            "was started by an earlier contentloop (before the sequential gate), so it cannot be "
            "resumed with the new keep/revert rule.",
            path=run_dir / "run.json",
            fix="`contentloop report` still reads it; start a new run with another --tag.",
        )
    for upgrade in UPGRADES:
        data = upgrade(data, run_dir)
    try:
        return RunSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ContentloopError(
            f"does not hold a run's settings: {first['msg']}.",
            path=run_dir / "run.json",
            field=".".join(str(p) for p in first["loc"]),
            fix="restore it from the run's first commit, or start a new run with another --tag.",
        ) from None


__all__ = [
    "FOREVER",
    "ROLES",
    "BackendName",
    "Backends",
    "Budget",
    "RunEnd",
    "RunSpec",
    "lane_branch",
    "lanes_in",
    "load_spec",
    "open_backends",
    "read_run_json",
    "refuse_existing",
]
