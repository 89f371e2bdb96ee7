"""The terminal side of a rescore: the two judgments draft by draft, then how they compare."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..rescore import RescoreRecord
from .tables import _n


def render_rescore(console: Console, record: RescoreRecord, folder: Path) -> None:
    judge = f"{record.judge['backend']}:{record.judge['model']}"
    table = Table(title=f"{record.source} judged again by {judge}, rubric {record.rubric['name']}")
    table.add_column("draft")
    table.add_column("judge before", justify="right")
    table.add_column("judge now", justify="right")
    table.add_column("shift", justify="right")
    table.add_column("total now", justify="right")
    for j in record.judged:
        shift = None if j.old_judge is None or j.new_judge is None else j.new_judge - j.old_judge
        table.add_row(
            j.key,
            _n(j.old_judge),
            _n(j.new_judge),
            "–" if shift is None else f"{shift:+.2f}",
            _n(j.new_total),
        )
    console.print(table)
    c = record.comparison
    if c is None:
        console.print("No draft had a judge part in both judgments: nothing to compare.")
    else:
        console.print(
            f"{c.drafts} drafts judged both times: mean shift {c.mean_shift:+.2f} "
            f"(mean |difference| {c.mean_abs_difference:.2f}), order kept in "
            + ("–" if c.order_agreement is None else f"{c.order_agreement:.0%}")
            + " of pairs, Spearman "
            + ("–" if c.spearman is None else f"{c.spearman:.2f}"),
            highlight=False,
        )
        if c.criteria_shift:
            moved = ", ".join(f"{k} {v:+.2f}" for k, v in c.criteria_shift.items())
            console.print(f"by criterion: {moved}", highlight=False)
    cost = "–" if record.cost_usd is None else f"${record.cost_usd:.4f}"
    console.print(
        f"{record.calls} judge calls, {cost}, {record.seconds:.1f} s; cards in {folder}",
        highlight=False,
    )
    if record.without_text:
        console.print(f"{record.without_text} drafts kept no text and were not judged again.")
