"""Reading run folders back: a draft run (write) or an optimize run (optimize-skill).

Reports are built only from what the runs wrote (run.json, v*.score.json, v*.md,
experiments.jsonl, summary.json), so a report of an old run shows what happened then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import ContentloopError
from ..llm import CostLedger
from ..optimize.records import Record, read_records
from ..optimize.spec import lanes_in


@dataclass
class DraftVersion:
    number: int
    text: str
    card: dict[str, Any]  # the v<N>.score.json contract
    summary: dict[str, Any]  # the run.json entry: kept, asked, tokens, cost, seconds


@dataclass
class WriteRunFiles:
    """A write run's folder (drafts/<topic>/<run-id>/) as the reports read it."""

    folder: Path
    meta: dict[str, Any]
    versions: list[DraftVersion]

    kind = "draft"

    @property
    def best(self) -> DraftVersion | None:
        n = self.meta.get("best_version")
        return next((v for v in self.versions if v.number == n), None)

    @property
    def started(self) -> datetime:
        return _folder_time(self.folder)


@dataclass
class OptimizeRunFiles:
    """An optimize run's folder as the reports read it (the engine's run is optimize.OptimizeRun)."""

    folder: Path
    meta: dict[str, Any]
    records: list[Record]  # upgraded to the current schema (optimize.records.read_records)
    summary: dict[str, Any] | None
    calls: int | None = None  # model calls made (cache hits excluded), from calls.jsonl
    # --lanes: the run is shown through its best lane; every lane and the merges are here.
    lanes: list[OptimizeRunFiles] | None = None
    merges: list[dict[str, Any]] | None = None

    kind = "optimize"

    @property
    def baseline(self) -> list[Record]:
        """The baseline's records (a schema-1 run wrote two)."""
        return [r for r in self.records if r.kind == "baseline"]

    @property
    def experiments(self) -> list[Record]:
        return [r for r in self.records if r.kind == "experiment"]

    @property
    def checks(self) -> list[Record]:
        """Drift-guard records: the best re-measured, held or rolled back."""
        return [r for r in self.records if r.kind == "verify"]

    @property
    def confirmation(self) -> Record | None:
        found = [r for r in self.records if r.kind == "confirm"]
        return found[-1] if found else None

    @property
    def started(self) -> datetime:
        if self.records:
            return datetime.fromisoformat(self.records[0].timestamp)
        return _folder_time(self.folder)

    def best_so_far(self) -> list[tuple[int, float]]:
        """(experiment, the best skill's in-loop mean after it), starting at the baseline."""
        base = self.baseline_mean
        out = [(0, base)] if base is not None else []
        best = base
        means: dict[str, float] = {}
        for r in self.baseline[:1]:
            if base is not None:
                means[r.commit] = base
        for r in self.records:
            if r.experiment == 0:
                continue
            if r.metrics:
                means[r.commit] = r.metrics["mean"]
            best = means.get(r.best_commit, best)
            if best is not None and r.kind == "experiment":
                out.append((r.experiment, best))
            elif best is not None and out and r.kind == "verify":
                out[-1] = (out[-1][0], best)  # a rollback moves the line at that experiment
        return out

    @property
    def baseline_mean(self) -> float | None:
        means = [r.metrics["mean"] for r in self.baseline if r.metrics]
        return sum(means) / len(means) if means else None

    @property
    def noise(self) -> float | None:
        """The band drawn around the baseline: the smallest effect one experiment detects
        (80% power); for a schema-1 run, the noise floor its gate used."""
        return self.baseline[0].band if self.baseline else None

    @property
    def end(self) -> dict[str, Any] | None:
        """How the run ended (run.json's "end"): status finished, stopped, failed or
        interrupted, with its reason, time, calls and cost; None for a run still going, killed,
        or written before the end was recorded."""
        return self.meta.get("end")

    def total_cost(self) -> float | None:
        # The end record counts every call, the baseline's and a failed run's included.
        if self.end and "cost_usd" in self.end:
            return self.end["cost_usd"]
        costs = [r.cost_usd for r in self.records]
        return None if any(c is None for c in costs) else round(sum(costs), 6)  # type: ignore[arg-type]

    def total_seconds(self) -> float:
        if self.end and self.end.get("seconds") is not None:
            return float(self.end["seconds"])  # the whole run, failed baselines included
        return round(sum(r.wall_time_s for r in self.records), 1)


Run = WriteRunFiles | OptimizeRunFiles


def load_run(folder: Path) -> Run:
    """A draft run folder (run.json with versions) or an optimize run folder (experiments.jsonl)."""
    if not folder.is_dir():
        raise ContentloopError(
            "is not a folder.",
            path=folder,
            fix="pass a run folder: drafts/<topic>/<run-id> (write) or runs/<tag> (optimize-skill); "
            "`contentloop runs` lists them.",
        )
    if (folder / "experiments.jsonl").exists():
        return _load_optimize(folder)
    if (folder / "run.json").exists():
        meta = _read_json(folder / "run.json")
        return _load_lanes(folder, meta) if lanes_in(meta) > 1 else _load_draft(folder)
    raise ContentloopError(
        "holds neither run.json (a write run) nor experiments.jsonl (an optimize run).",
        path=folder,
        fix="pass a run folder; `contentloop runs` lists them.",
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ContentloopError(
            f"cannot be read as JSON ({exc}).", path=path, fix="restore it from the run folder."
        ) from None


def _typed(path: Path, model: type[BaseModel], raw: dict[str, Any]) -> dict[str, Any]:
    """`raw` read through the model the run wrote it with (one reader for the report, `runs`
    and `view`); an error names the file, the field and what it holds."""
    try:
        return model.model_validate(raw).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ContentloopError(
            f"is not a record this version reads: {where}: {first['msg']}.",
            path=path,
            fix="restore it from the run folder, or report it with the contentloop that wrote it.",
        ) from None


def _load_draft(folder: Path) -> WriteRunFiles:
    from ..write_record import WriteRecord

    raw = _read_json(folder / "run.json")
    if "versions" not in raw:
        raise ContentloopError(
            "is an optimize run's settings, but experiments.jsonl is missing.",
            path=folder / "run.json",
        )
    meta = _typed(folder / "run.json", WriteRecord, raw)
    if meta["judge"].get("not_measured") is None:
        meta["judge"].pop("not_measured", None)
    versions = []
    for entry in meta["versions"]:
        n = entry["version"]
        md, score = folder / f"v{n}.md", folder / f"v{n}.score.json"
        if not (md.exists() and score.exists()):
            continue  # a run cut off between writing the draft and its score
        versions.append(DraftVersion(n, md.read_text(encoding="utf-8"), _read_json(score), entry))
    return WriteRunFiles(folder, meta, versions)


def _load_optimize(folder: Path) -> OptimizeRunFiles:
    from ..optimize.ledger import RunLedger  # the ledger knows how to read a torn last line

    path = folder / "experiments.jsonl"
    records = read_records(RunLedger.read_records(path), str(path))
    meta = _read_json(folder / "run.json") if (folder / "run.json").exists() else {}
    summary = _summary(folder)
    # Read as a resumed run reads it, and counted as the run's own summary counts.
    ledger = CostLedger(folder / "calls.jsonl")
    ledger.load()
    calls = ledger.totals()["calls"] if ledger.records else None
    return OptimizeRunFiles(folder, meta, records, summary, calls)


def _load_lanes(folder: Path, meta: dict[str, Any]) -> OptimizeRunFiles:
    """A --lanes run: its lanes' folders, the merges in lanes.jsonl, and the best lane's view
    with the run's own tag, end, summary and totals."""
    from ..optimize.ledger import read_jsonl

    lanes = [
        _load_optimize(folder / f"lane-{i}")
        for i in range(lanes_in(meta))
        if (folder / f"lane-{i}" / "experiments.jsonl").exists()
    ]
    if not lanes:
        raise ContentloopError(
            "is a --lanes run that has not written its baseline yet.",
            path=folder,
            fix="wait for it, or --resume it if it was stopped.",
        )
    summary = _summary(folder)

    def best_of(lane: OptimizeRunFiles) -> float:
        progress = lane.best_so_far()
        return progress[-1][1] if progress else float("-inf")

    best = (
        lanes[summary["best_lane"]]
        if summary and summary.get("best_lane") is not None
        else max(lanes, key=best_of)
    )
    merges = [r for r in read_jsonl(folder / "lanes.jsonl") if r.get("phase") == "done"]
    calls = [lane.calls for lane in lanes if lane.calls is not None]
    return OptimizeRunFiles(
        folder,
        {**best.meta, **meta},
        best.records,
        summary or best.summary,
        sum(calls) if calls else None,
        lanes=lanes,
        merges=merges,
    )


def _summary(folder: Path) -> dict[str, Any] | None:
    """summary.json, typed (optimize/summary.py); one of an older schema is read as written."""
    from ..optimize.summary import Summary

    path = folder / "summary.json"
    if not path.exists():
        return None
    raw = _read_json(path)
    return _typed(path, Summary, raw) if raw.get("schema_version") == 2 else raw


def _folder_time(folder: Path) -> datetime:
    try:
        return datetime.strptime(folder.name[:15], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(folder.stat().st_mtime, UTC)


# Folders a run owns that hold other files, never runs: its git worktree (a whole checkout of
# the repository, fixtures and all), the best skill, kept snapshots.
OWNED = {"worktree", "best-skill", "kept", ".git"}


def run_folders(
    root: Path, markers: tuple[str, ...] = ("experiments.jsonl", "run.json")
) -> list[Path]:
    """The run folders under `root`: a folder with one of the `markers` files is a run, and
    nothing inside it is searched further (a --lanes run's lanes are part of it; its worktree is
    a checkout whose test fixtures look like runs). Symlinks are not followed."""
    found: list[Path] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        if any((folder / name).is_file() for name in markers):
            found.append(folder)
            continue
        try:
            children = sorted(folder.iterdir())
        except OSError:
            continue
        stack += [c for c in children if c.is_dir() and not c.is_symlink() and c.name not in OWNED]
    return found


def find_runs(*roots: Path) -> list[Run]:
    """Every run folder under the given roots (drafts/, runs/), newest first."""
    found: list[Run] = []
    for root in roots:
        if not root.is_dir():
            continue
        candidates = set(run_folders(root))
        for folder in sorted(candidates):
            try:
                found.append(load_run(folder))
            except ContentloopError:
                continue  # not a run folder after all; `runs` lists what it can read
    return sorted(found, key=lambda r: r.started, reverse=True)
