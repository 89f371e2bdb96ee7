"""What `--lanes N` adds to a run: each lane's emphasis, and one results.tsv over every lane.

Each lane is a Search of its own, from `RunSpec.lane(i)`: a folder `runs/<tag>/lane-<i>/` with
its ledgers, a git worktree on branch `autoexp/<tag>/lane-<i>`, its own proposer history, an
emphasis (the sections it is asked to favour) and the same gate as a single run. The lanes
share one bound on model calls in flight, one call cache and one budget (experiments, dollars,
hours, the STOP file at `runs/<tag>/STOP`). The baseline is written once, by lane 0, and every
other lane reads the same drafts.

Every `merge_every` experiments (over all lanes) the run composes the lanes' best skills
section by section over the skill they last shared: a section one lane changed is taken from
it; where several lanes changed the same section, each choice is a composition of its own (at
most MAX_COMPOSITIONS, the best lanes' choices first). The lane whose best measures highest
tests each composition against its best with its gate, as it would any try, at its next step
boundary; the other lanes go on meanwhile. When the gate keeps one, each other lane takes it at
its next step boundary, unless it has kept an edit of its own since the merge was planned: that
lane goes on from its newer best, and the next merge lays what it changed over the merged
skill. A merge is planned in `lanes.jsonl` before it is tested and closed there after, so a run
killed half-way through one finishes it on --resume (merger.py keeps that book). At the end the
best lane's best is confirmed against the baseline on fresh drafts, like a single run's.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..atomic import write_text
from .lane import Lane
from .merge import MergeRow
from .spec import lane_branch


def emphases(sections: list[str], lanes: int) -> list[list[str]]:
    """Which sections each lane is asked to favour: dealt round-robin, so every section has a
    lane, and with more lanes than sections some share one."""
    if lanes == 1:
        return [list(sections)]
    dealt: list[list[str]] = [[] for _ in range(lanes)]
    for i, name in enumerate(sections):
        dealt[i % lanes].append(name)
    for i, got in enumerate(dealt):
        if not got:
            got.append(sections[i % len(sections)])
    return dealt


def emphasis_text(index: int, lanes: int, favoured: list[str]) -> str:
    if lanes == 1:
        return ""
    return (
        f"This search is lane {index} of {lanes} run side by side; the others cover the other "
        f"sections. Prefer an edit to: {', '.join(favoured)}."
    )


def write_lanes_tsv(run_dir: Path, lanes: list[Lane], merges: list[MergeRow]) -> None:
    """runs/<tag>/results.tsv: every lane's rows with their lane, in time order, and one row
    per merge after the experiments it followed."""
    logged = sorted(
        (
            (r.timestamp, r.kind, {**r.row, "lane": i})
            for i, lane in enumerate(lanes)
            for r in lane.records
            if r.row is not None
        ),
        key=lambda t: t[0],
    )
    merges = list(merges)
    rows: list[dict[str, Any]] = []
    experiments = 0

    def flush() -> None:
        while merges and merges[0].after_experiments <= experiments:
            m = merges.pop(0)
            rows.append(
                {
                    "commit": "",
                    "status": "merge" if m.adopted is not None else "discard",
                    "description": f"merge {m.merge}: {m.description}",
                    "lane": "merge",
                }
            )

    for _, kind, row in logged:
        flush()
        rows.append(row)
        experiments += kind == "experiment"
    flush()
    if not rows:
        return
    fields = list(next(r for r in rows if r["lane"] != "merge"))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fields, delimiter="\t", extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(run_dir / "results.tsv", buf.getvalue())


__all__ = ["emphases", "emphasis_text", "lane_branch", "write_lanes_tsv"]
