"""The run's ledgers: results.tsv (one row per try) and experiments.jsonl (one object per try).

Both are append-only; each append is flushed and fsynced before the loop moves on.
experiments.jsonl is the source of truth: it is written first, each record carries its TSV
row, and `repair()` (on --resume) drops a torn last line and rebuilds results.tsv from it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import faults
from ..atomic import append_line, write_text
from ..errors import ContentloopError

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
    # Since schema 2 (the sequential gate): how the decision was reached, and the best after it.
    "stages",
    "drafts",
    "ci95_low",
    "ci95_high",
    "rule",
    "best",
]


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
            append_line(self.tsv, "\t".join(TSV_COLUMNS) + "\n")
        if not self.jsonl.exists():
            append_line(self.jsonl, "")

    def log(self, row: dict[str, Any] | None, record: dict[str, Any]) -> None:
        """Append one record; `row` (its results.tsv line) is None for records that are not a
        try of their own (a drift check, the final confirmation)."""
        line = json.dumps({**record, "row": row}, ensure_ascii=False) + "\n"
        if faults.due("torn"):
            append_line(self.jsonl, line[: len(line) // 2])
            faults.kill()
        append_line(self.jsonl, line)
        faults.crash_point("ledger")
        if row is not None:
            append_line(self.tsv, _tsv_line(row))
        faults.crash_point("logged")

    def reset(self) -> None:
        write_text(self.jsonl, "")
        write_text(self.tsv, "\t".join(TSV_COLUMNS) + "\n")

    def repair(self) -> list[dict[str, Any]]:
        """After a crash: keep whole records only, and make results.tsv agree with them."""
        records = self.records()
        write_text(self.jsonl, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        write_text(
            self.tsv,
            "\t".join(TSV_COLUMNS)
            + "\n"
            + "".join(_tsv_line(r["row"]) for r in records if r.get("row")),
        )
        return records

    def rows(self) -> list[dict[str, str]]:
        lines = self.tsv.read_text(encoding="utf-8").splitlines()
        header = lines[0].split("\t")
        return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]

    def records(self) -> list[dict[str, Any]]:
        return read_jsonl(self.jsonl)

    @staticmethod
    def read_records(path: Path) -> list[dict[str, Any]]:
        return read_jsonl(path)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Whole records, in order. A torn last line (a kill mid-append) is dropped; a bad line
    anywhere else is damage that no crash explains, so it is an error."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if i == len(lines):  # no newline after it: the append never finished
                break
            raise ContentloopError(
                f"is not one JSON object per line ({exc.msg}).",
                path=path,
                line=i,
                fix="restore the file from a backup or delete that line; "
                "--resume then rebuilds results.tsv from the rest.",
            ) from None
    return out


def cut_torn_tail(path: Path) -> None:
    """Drop a last line that a kill left without its newline, so the next append starts a
    line of its own instead of gluing onto half a record."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as f:
            f.truncate(data.rfind(b"\n") + 1)
