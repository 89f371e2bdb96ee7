"""The run's ledgers: results.tsv (one row per try) and experiments.jsonl (one object per try).

Both are append-only; each append is flushed and fsynced before the loop moves on.
experiments.jsonl is the source of truth: it is written first, each record carries its TSV
row, and `repair()` (on --resume) drops a torn last line and rebuilds results.tsv from it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..atomic import write_text

TSV_COLUMNS = [
    "commit",
    "score",
    "stdev",
    "status",
    "description",
    "section",
    "delta",
    "noise",
    "cost_usd",
    "wall_time_s",
]


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def _tsv_line(row: dict[str, Any]) -> str:
    return "\t".join(_cell(row.get(c)) for c in TSV_COLUMNS) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return " ".join(str(value).split())  # no tabs or newlines inside a cell


class RunLedger:
    def __init__(self, run_dir: Path) -> None:
        self.tsv = run_dir / "results.tsv"
        self.jsonl = run_dir / "experiments.jsonl"
        if not self.tsv.exists():
            _append(self.tsv, "\t".join(TSV_COLUMNS) + "\n")
        if not self.jsonl.exists():
            _append(self.jsonl, "")

    def log(self, row: dict[str, Any], record: dict[str, Any]) -> None:
        _append(self.jsonl, json.dumps({**record, "row": row}, ensure_ascii=False) + "\n")
        _append(self.tsv, _tsv_line(row))

    def reset(self) -> None:
        write_text(self.jsonl, "")
        write_text(self.tsv, "\t".join(TSV_COLUMNS) + "\n")

    def repair(self) -> list[dict[str, Any]]:
        """After a crash: keep whole records only, and make results.tsv agree with them."""
        records = self.records()
        write_text(self.jsonl, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        write_text(
            self.tsv, "\t".join(TSV_COLUMNS) + "\n" + "".join(_tsv_line(r["row"]) for r in records)
        )
        return records

    def rows(self) -> list[dict[str, str]]:
        lines = self.tsv.read_text(encoding="utf-8").splitlines()
        header = lines[0].split("\t")
        return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]

    def records(self) -> list[dict[str, Any]]:
        if not self.jsonl.exists():
            return []
        return [
            json.loads(x) for x in self.jsonl.read_text(encoding="utf-8").splitlines() if x.strip()
        ]
