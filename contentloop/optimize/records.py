"""The records an optimize run writes to experiments.jsonl, and the run's state computed from them.

One pydantic model per record kind, each with `schema_version`. Resume, report and re-score all
read the same types: `replay(records)` is the run's state, so `--resume` is "read the records
back" and nothing about a run lives only in memory. Schema 1 records (before the sequential
gate: two baseline rows, no stages) are still read by the reports; a run is resumed only with
the schema it was started with.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..errors import ContentloopError
from ..interval import Interval

SCHEMA_VERSION = 2
Kind = Literal["baseline", "experiment", "verify", "confirm", "merge"]


class Stage(BaseModel):
    """The gate's view after one stage of an experiment (gate.StageVerdict.to_json)."""

    model_config = ConfigDict(extra="forbid")
    stage: int
    drafts: int
    best_drafts: int
    mean: float | None
    ci95_low: float | None
    ci95_high: float | None
    z: float | None
    critical: float | None
    rule: str
    metrics: dict[str, dict[str, Any]] | None = None  # per metric, under a two-metric --objective


# A paired difference with its 95% interval (summary.json's confirmed_gain shape).
Gain = Interval


class RecordBase(BaseModel):
    """What every record holds. A record is one of the kinds below (`Record`); each fixes its
    `kind` and the statuses it can have. Every line of experiments.jsonl keeps every field, so
    a reader of the file sees one shape."""

    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[2] = SCHEMA_VERSION
    kind: Kind
    experiment: int
    commit: str  # the skill this record measured (the candidate, for an experiment)
    skill: str  # its content hash (samples.skill_hash)
    best_commit: str  # the best skill after this record
    best_skill: str
    timestamp: str
    status: str
    description: str
    reason: str = ""
    section: str | None = None
    delta: float | None = None  # the last stage's paired mean (candidate - best)
    noise: float | None = None  # pooled per-draft standard deviation at this point
    noise_df: int | None = None
    band: float | None = None  # the smallest effect a full experiment detects (80% power)
    diff_lines: int = 0
    wall_time_s: float = 0.0
    tokens: dict[str, int] = {}
    cost_usd: float | None = None
    harness_sha256: str
    new_text: str | None = None
    old_text: str | None = None
    worst: list[dict[str, Any]] | None = None
    stages: list[Stage] = []
    metrics: dict[str, Any] | None = None
    gain: Gain | None = None  # verify: fresh best - last verified; confirm: best - baseline
    holdout_gain: Gain | None = None
    audit_gain: Gain | None = None  # confirm: best - baseline as the audit judge sees it
    # confirm: the baseline's fresh drafts minus its first ones (the judge moving over the run)
    drift: Gain | None = None
    row: dict[str, Any] | None = None  # its results.tsv line (None: not a try of its own)
    holdout: float | None = None  # schema 1 only: the held-out topics' mean after this try
    # --lanes: which merge (1, 2, ...) and which of its compositions this record is, and the
    # composed skill's sections, so a resumed run can finish a merge cut off half-way.
    merge: int | None = None
    composition: int | None = None
    sections: dict[str, str] | None = None

    def tsv_row(self) -> dict[str, Any]:
        """Its results.tsv line: the DESIGN.md columns, then how the gate decided."""
        last = self.stages[-1] if self.stages else None
        metrics = self.metrics or {}
        return {
            "commit": self.commit,
            "score": metrics.get("mean"),
            "stdev": metrics.get("stdev"),
            "status": self.status,
            "description": self.description,
            "section": self.section,
            "delta": self.delta,
            "noise": self.noise,
            "cost_usd": self.cost_usd,
            "wall_time_s": self.wall_time_s,
            "stages": len(self.stages) or None,
            "drafts": last.drafts if last else None,
            "ci95_low": last.ci95_low if last else None,
            "ci95_high": last.ci95_high if last else None,
            "rule": last.rule if last else None,
            "best": self.best_commit,
        }


TryStatus = Literal["keep", "discard", "crash", "timeout", "explore"]


class BaselineRecord(RecordBase):
    """The unchanged skill's drafts, before any experiment."""

    kind: Literal["baseline"] = "baseline"
    status: Literal["keep"] = "keep"


class ExperimentRecord(RecordBase):
    """One try: an edit of one section, measured in stages, kept or reverted."""

    kind: Literal["experiment"] = "experiment"
    status: TryStatus


class VerifyRecord(RecordBase):
    """The drift guard (or settling on the best after exploration): the best held or was
    rolled back."""

    kind: Literal["verify"] = "verify"
    status: Literal["keep", "rollback"]


class ConfirmRecord(RecordBase):
    """The final confirmation: baseline and best on fresh drafts."""

    kind: Literal["confirm"] = "confirm"
    status: Literal["keep"] = "keep"


class MergeRecord(RecordBase):
    """--lanes: a composition of several lanes' edits, tested by this lane (keep, discard,
    crash, timeout) or adopted from the lane whose gate kept it (adopt)."""

    kind: Literal["merge"] = "merge"
    status: Literal["keep", "discard", "crash", "timeout", "adopt"]


Record = Annotated[
    BaselineRecord | ExperimentRecord | VerifyRecord | ConfirmRecord | MergeRecord,
    Field(discriminator="kind"),
]
_RECORD: TypeAdapter[Record] = TypeAdapter(Record)


def make_record(**fields: Any) -> Record:
    """The record of `fields["kind"]`, checked: a status its kind cannot have is an error."""
    return parse_record(fields)


def parse_record(raw: Any) -> Record:
    """One line of experiments.jsonl as its record; a ValidationError's `loc` starts at the
    record's own fields (not at the kind that chose the model)."""
    try:
        return _RECORD.validate_python(raw)
    except ValidationError as exc:
        kinds = {"baseline", "experiment", "verify", "confirm", "merge"}
        errors = [
            {**e, "loc": e["loc"][1:] if e["loc"] and e["loc"][0] in kinds else e["loc"]}
            for e in exc.errors()
        ]
        raise ValidationError.from_exception_data(exc.title, errors) from None


@dataclass
class RunState:
    """Everything the loop needs to go on, derived from the records alone."""

    baseline: Record | None = None
    best_commit: str = ""
    best_skill: str = ""
    verified_commit: str = ""
    verified_skill: str = ""
    keeps_since_verify: int = 0
    last_experiment: int = 0
    trailing_crashes: int = 0
    confirmed: Record | None = None
    counts: Counter[str] = field(default_factory=Counter)
    explored: Counter[str] = field(default_factory=Counter)
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def apply(self, r: Record) -> None:
        """The state after one more record: replay() folds this over a ledger, and the loop
        calls it for each record it appends."""
        self.seconds += r.wall_time_s
        self.best_commit, self.best_skill = r.best_commit, r.best_skill
        if r.kind == "baseline":
            self.baseline = r
            self.verified_commit, self.verified_skill = r.commit, r.skill
            # Not in `counts`: those are experiments' outcomes, and the baseline's "keep" is
            # not an edit that was kept.
            self.history.append(history_entry(r))
            return
        if r.kind == "verify":
            self.keeps_since_verify = 0
            if r.status == "keep":
                self.verified_commit, self.verified_skill = r.commit, r.skill
            return
        if r.kind == "confirm":
            self.confirmed = r
            return
        if r.kind == "merge":
            # Another lane's edits, composed: the proposer sees it in its history, but it is
            # not one of this lane's experiments and counts towards none of their outcomes.
            self.history.append(history_entry(r))
            if r.status in ("keep", "adopt"):
                self.keeps_since_verify += 1
            return
        self.last_experiment = r.experiment
        self.counts[r.status] += 1
        self.history.append(history_entry(r))
        if r.section:
            self.explored[r.section] += 1
        if r.status in ("keep", "explore"):
            self.keeps_since_verify += 1
        self.trailing_crashes = self.trailing_crashes + 1 if r.status in ("crash", "timeout") else 0


def _v1_kinds(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Upgrade 1: schema 1 (before the sequential gate) wrote no kind, skill or best: two
    baseline rows (experiment 0), then one row per experiment, and a kept try's own evaluation
    became the best. Each record gets the kind its number says, its commit as its skill, and
    the best that rule names."""
    out, best = [], ""
    for r in raw:
        if r.get("schema_version") == SCHEMA_VERSION:
            out.append(r)
            continue
        kind = "baseline" if r.get("experiment") == 0 else "experiment"
        if kind == "baseline":
            best = best or r.get("commit", "")
        elif r.get("status") in ("keep", "explore"):
            best = r.get("commit", best)
        out.append(
            {
                **r,
                "schema_version": SCHEMA_VERSION,
                "kind": kind,
                "skill": r.get("commit"),
                "best_commit": best,
                "best_skill": best,
                "band": r.get("noise"),  # what the schema-1 gate used as its noise floor
                "harness_sha256": r.get("harness_sha256", ""),
            }
        )
    return out


# Numbered upgrades of experiments.jsonl, applied in order when a report reads a run; each
# leaves records it does not concern as they are.
UPGRADES = [_v1_kinds]


def read_records(raw: list[Any], source: str) -> list[Record]:
    """Every record of a run as the reports read it: old schemas upgraded, each line checked.
    An error names the line a hand edit broke and the field."""
    bad = next((i for i, r in enumerate(raw, 1) if not isinstance(r, dict)), None)
    if bad is not None:
        kind = type(raw[bad - 1]).__name__
        raise _hand_edit(source, f"record {bad} is a JSON {kind}, not an object")
    for i, r in enumerate(raw, 1):
        if r.get("schema_version") != SCHEMA_VERSION and not isinstance(r.get("experiment"), int):
            raise _hand_edit(source, f"record {i} has no whole-number field experiment")
    for upgrade in UPGRADES:
        raw = upgrade(raw)
    out = []
    for i, r in enumerate(raw, 1):
        try:
            out.append(parse_record(r))
        except ValidationError as exc:
            from ..yamlio import format_loc

            e = exc.errors()[0]
            where = format_loc(tuple(e["loc"]))
            raise _hand_edit(source, f"record {i} field {where}: {e['msg'].lower()}") from None
    return out


def _hand_edit(source: str, problem: str) -> ContentloopError:
    return ContentloopError(
        f"{problem}.",
        path=source,
        fix="undo the hand edit (the run's own lines are whole); "
        "`git diff` or a backup shows what changed.",
    )


def parse_records(raw: list[dict[str, Any]], source: str) -> list[Record]:
    if raw and raw[0].get("schema_version") != SCHEMA_VERSION:
        raise ContentloopError(
            "was written by an earlier contentloop (before the sequential gate), so it cannot be "
            "resumed with the new keep/revert rule.",
            path=source,
            fix="`contentloop report` still reads it; start a new run with another --tag.",
        )
    return [parse_record(r) for r in raw]


def check_sequence(records: list[Record], source: str) -> None:
    """One baseline, then experiments numbered upward: anything else is two processes having
    written the run at once (possible before the run lock), and no replay of it can be trusted."""
    seen: dict[tuple[str, int], int] = {}
    last = 0
    for i, r in enumerate(records, 1):
        if r.kind not in ("baseline", "experiment"):
            continue
        key = (r.kind, 0 if r.kind == "baseline" else r.experiment)
        if key in seen or (r.kind == "experiment" and r.experiment <= last):
            first = seen.get(key)
            twice = f"records {first} and {i}" if first else f"record {i}, after experiment {last}"
            raise ContentloopError(
                f"{r.kind} {r.experiment} is recorded out of order ({twice}): two processes "
                "wrote this run at once, so its keep/revert history cannot be replayed.",
                path=source,
                fix="`contentloop report` still shows it; start a new run with another --tag.",
            )
        seen[key] = i
        if r.kind == "experiment":
            last = r.experiment


def history_entry(r: Record) -> dict[str, Any]:
    return {
        "n": r.experiment,
        "section": r.section or "-",
        "status": r.status,
        "delta": r.delta,
        "description": r.description,
    }


def replay(records: list[Record]) -> RunState:
    state = RunState()
    for r in records:
        state.apply(r)
    return state
