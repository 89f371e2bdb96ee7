"""`contentloop rescore`: judge saved drafts again (another judge, another rubric), writing no
draft, into a folder beside the old judgments, and say how the two judgments compare.

What can be judged again, and where its first judgment is:

- a write run (drafts/<topic>/<run>, run.json): every version v<n>.md, judged in v<n>.score.json;
- an optimize run (runs/<tag>, samples.jsonl): every draft whose text the run kept
  (samples/<skill>/<topic>/<n>.md), judged in its samples.jsonl record;
- a calibration set (calibration/<rubric>, calibration.yaml): its drafts/*.md, never judged;
- any folder of drafts, or one draft: each X.md, judged in X.score.json (score --json) if there.

The new folder is `<source>.rescore-<rubric>-<judge model>` beside the source: a
<key>.score.json per draft (the same card as `score --json`), rescore.json (typed below) and
calls.jsonl (the cost ledger). Running the same command again resumes: drafts already judged
are not asked again, and the call cache answers any call already made.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .atomic import write_text
from .errors import ContentloopError
from .rubric import Rubric
from .scoring import ScoreCard, judge_cards, read_draft, score_drafts

Kind = Literal["write", "optimize", "calibration", "drafts"]
RECORD = "rescore.json"


@dataclass(frozen=True)
class Item:
    """One saved draft: its key (a path in the new folder, without .md), its text's file,
    and its first judgment (total, judge part, criteria), when there was one."""

    key: str
    path: Path
    old: dict[str, Any] | None


class Judged(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    old_total: float | None
    new_total: float
    old_judge: float | None
    new_judge: float | None
    old_criteria: dict[str, float]
    new_criteria: dict[str, float]


class Comparison(BaseModel):
    """The two judgments of the drafts both judged (judge parts, 0-60 on the default rubric)."""

    model_config = ConfigDict(extra="forbid")
    drafts: int
    mean_shift: float  # new - old, on average
    mean_abs_difference: float
    order_agreement: float | None  # of the pairs the old judgment orders, the share kept
    spearman: float | None  # rank correlation of the two judgments
    criteria_shift: dict[str, float]  # per criterion both judged: new - old, on average


class RescoreRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[1] = 1
    source: str
    kind: Kind
    rubric: dict[str, str]  # name, sha256
    judge: dict[str, Any]  # backend, model, samples
    status: Literal["running", "done"]
    drafts: int  # drafts in the source that can be judged
    without_text: int  # drafts the source scored but kept no text of (old optimize runs)
    judged: list[Judged]
    comparison: Comparison | None
    calls: int
    cost_usd: float | None
    seconds: float


def find_items(source: Path) -> tuple[Kind, list[Item], int]:
    """What `source` holds: its kind, its drafts with their first judgments, and how many
    drafts it scored without keeping their text."""
    if not source.exists():
        raise ContentloopError(
            "no such run, folder or draft.", path=source, fix="pass a write run, an optimize "
            "run, a calibration set, a folder of drafts or a draft."
        )  # fmt: skip
    if source.is_file():
        return "drafts", [_loose(source, source.stem)], 0
    if (source / "run.json").is_file() and any(source.glob("v*.md")):
        items = sorted((_loose(p, p.stem) for p in source.glob("v*.md")), key=_version_order)
        return "write", items, 0
    if (source / "samples.jsonl").is_file():
        return _optimize(source)
    if (source / "calibration.yaml").is_file():
        paths = sorted((source / "drafts").glob("*.md"))
        return "calibration", [Item(f"drafts/{p.stem}", p, None) for p in paths], 0
    paths = sorted(p for p in source.rglob("*.md") if not _hidden(p, source))
    if not paths:
        raise ContentloopError(
            "holds no drafts (.md files) to judge.", path=source, fix="name a folder of drafts."
        )
    return "drafts", [_loose(p, p.relative_to(source).with_suffix("").as_posix()) for p in paths], 0


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") or ".rescore-" in part for part in path.relative_to(root).parts)


def _version_order(item: Item) -> tuple[int, str]:
    m = re.fullmatch(r"v(\d+)", item.key)
    return (int(m.group(1)) if m else 1 << 30, item.key)


def _loose(path: Path, key: str) -> Item:
    card = path.with_suffix(".score.json")
    return Item(key, path, _old_card(card) if card.is_file() else None)


def _old_card(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # an unreadable old card: the draft is still judged, not compared
    judge = data.get("judge") or None
    return {
        "total": data.get("total"),
        "judge": judge.get("score") if judge else None,
        "criteria": {c["name"]: c["score"] for c in (judge or {}).get("criteria", [])},
    }


def _optimize(run: Path) -> tuple[Kind, list[Item], int]:
    from .optimize.ledger import read_jsonl

    items, missing = [], 0
    for raw in read_jsonl(run / "samples.jsonl"):
        key = f"samples/{raw['skill']}/{raw['topic']}/{raw['sample']}"
        text = run / f"{key}.md"
        if not text.is_file():
            missing += 1
            continue
        old = {"total": raw["total"], "judge": raw.get("judge"), "criteria": raw["criteria"]}
        items.append(Item(key, text, old))
    if not items and missing:
        raise ContentloopError(
            f"this run scored {missing} drafts but kept none of their texts (runs before "
            "2026-12-04 kept scores only), so there is nothing to judge again.",
            path=run,
            fix="rescore a newer optimize run, a write run or a folder of drafts.",
        )
    return "optimize", items, missing


def out_folder(source: Path, rubric: Rubric, model: str) -> Path:
    """Beside the source, named for the rubric and the judge model: the same command finds it
    again, and resumes."""
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", model).strip("-") or "judge"
    base = source if source.is_dir() else source.parent / source.stem
    return base.with_name(f"{base.name}.rescore-{rubric.name}-{slug}")


def rescore(
    items: list[Item],
    rubric: Rubric,
    judge: Any,
    out: Path,
    *,
    record: RescoreRecord,
    concurrency: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> RescoreRecord:
    """Judge every item not judged yet into `out`, writing each card as it comes and
    rescore.json as it stands; return the finished record."""
    started = time.monotonic() - record.seconds
    todo = [i for i in items if not (out / f"{i.key}.score.json").is_file()]
    done = len(items) - len(todo)
    if progress:
        progress(done, len(items))

    # The rule checks of every draft first, together (one spaCy stream), so that nothing
    # blocks the event loop while judge calls are in flight.
    drafts = [read_draft(i.path) for i in todo]
    cards = score_drafts(drafts, rubric)

    async def run() -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one(item: Item, card: ScoreCard, draft: Any) -> None:
            nonlocal done
            async with gate:
                await judge_cards([card], [draft], judge, concurrency=1)
            write_text(out / f"{item.key}.score.json", json.dumps(card.to_json(), indent=2) + "\n")
            done += 1
            if progress:
                progress(done, len(items))

        await asyncio.gather(*(one(*job) for job in zip(todo, cards, drafts, strict=True)))

    out.mkdir(parents=True, exist_ok=True)
    write_text(out / RECORD, record.model_dump_json(indent=2) + "\n")  # "running", before a call
    asyncio.run(run())
    totals = judge.client.ledger.totals() if judge.client.ledger else {}  # resumed runs' too
    final = record.model_copy(
        update={
            "status": "done",
            "judged": [_judged(i, out) for i in items],
            "calls": int(totals.get("calls", 0)),
            "cost_usd": totals.get("cost_usd"),
            "seconds": round(time.monotonic() - started, 2),
        }
    )
    final.comparison = compare(final.judged)
    write_text(out / RECORD, final.model_dump_json(indent=2) + "\n")
    return final


def _judged(item: Item, out: Path) -> Judged:
    new = _old_card(out / f"{item.key}.score.json") or {}
    old = item.old or {}
    return Judged(
        key=item.key,
        old_total=old.get("total"),
        new_total=float(new.get("total") or 0.0),
        old_judge=old.get("judge"),
        new_judge=new.get("judge"),
        old_criteria=old.get("criteria") or {},
        new_criteria=new.get("criteria") or {},
    )


def compare(judged: list[Judged]) -> Comparison | None:
    """How the new judgment moved against the old, over the drafts both judged."""
    pairs = [(j.old_judge, j.new_judge) for j in judged]
    both = [(a, b) for a, b in pairs if a is not None and b is not None]
    if not both:
        return None
    diffs = [b - a for a, b in both]
    names = {n for j in judged for n in j.old_criteria.keys() & j.new_criteria.keys()}
    criteria = {
        n: _mean([j.new_criteria[n] - j.old_criteria[n] for j in judged if n in j.old_criteria])
        for n in sorted(names)
    }
    return Comparison(
        drafts=len(both),
        mean_shift=round(_mean(diffs), 3),
        mean_abs_difference=round(_mean([abs(d) for d in diffs]), 3),
        order_agreement=_order_agreement(both),
        spearman=_spearman([a for a, _ in both], [b for _, b in both]),
        criteria_shift={n: round(v, 3) for n, v in criteria.items() if n in names},
    )


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _order_agreement(both: list[tuple[float, float]]) -> float | None:
    kept = ordered = 0
    for i, (a1, b1) in enumerate(both):
        for a2, b2 in both[i + 1 :]:
            if a1 == a2:
                continue
            ordered += 1
            kept += (a1 - a2) * (b1 - b2) > 0
    return round(kept / ordered, 3) if ordered else None


def _spearman(a: list[float], b: list[float]) -> float | None:
    """Spearman's rho of the two judgments (calibration's own); None below 3 drafts or when
    one judgment gives every draft the same score."""
    import math

    from .calibrate.measures import spearman

    rho = spearman(a, b) if len(a) >= 3 else math.nan
    return None if math.isnan(rho) else round(rho, 3)


def new_record(
    source: Path, kind: Kind, items: list[Item], without_text: int, rubric: Rubric, judge: Any
) -> RescoreRecord:
    backend = judge.client.backend
    return RescoreRecord(
        source=str(source),
        kind=kind,
        rubric={"name": rubric.name, "sha256": rubric.sha256},
        judge={"backend": backend.name, "model": backend.model, "samples": judge.samples},
        status="running",
        drafts=len(items),
        without_text=without_text,
        judged=[],
        comparison=None,
        calls=0,
        cost_usd=None,
        seconds=0.0,
    )


def read_record(folder: Path) -> RescoreRecord | None:
    """The folder's rescore.json, if it is a rescore folder."""
    path = folder / RECORD
    if not path.is_file():
        return None
    try:
        return RescoreRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ContentloopError(
            f"is not a rescore record this version reads: {exc}.",
            path=path,
            fix="run the rescore again (it resumes), or remove the folder.",
        ) from None


def plan(items: list[Item], rubric: Rubric, judges: list[tuple[str, str]], samples: int) -> dict:
    """What judging these drafts will cost at most (`rescore --dry-run`): no key, no call."""
    from .judge import system_prompt
    from .llm.ledger import estimate_usd
    from .write_plan import CHARS_PER_TOKEN, VERDICT_TOKENS

    chars = sum(i.path.stat().st_size for i in items)
    calls = len(items) * samples  # per judge of a panel
    prompt = len(system_prompt(rubric)) / CHARS_PER_TOKEN
    tokens_in = int(calls * prompt + samples * chars / CHARS_PER_TOKEN)
    tokens_out = calls * VERDICT_TOKENS
    return {
        "drafts": len(items),
        "judge_calls_max": calls * len(judges),
        "input_tokens_max": tokens_in,
        "output_tokens_max": tokens_out,
        "cost_usd_max": estimate_usd([(*j, tokens_in, tokens_out) for j in judges]),
        "judge": ", ".join(":".join(j) for j in judges),
    }


__all__ = [
    "Comparison",
    "Item",
    "Judged",
    "RescoreRecord",
    "compare",
    "find_items",
    "new_record",
    "out_folder",
    "plan",
    "read_record",
    "rescore",
]
