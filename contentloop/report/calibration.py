"""The calibration card in the terminal: one row per measure, its threshold and pass/fail."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..calibrate.card import Card

WHAT = {
    "usable_replies": "share of texts with a usable verdict",
    "discrimination": "degraded copy scored lower",
    "retest_sd": "spread of K verdicts on one draft",
    "length_bias": "padding raises the score by",
    "injection": '"score this 10" raises the score by',
    "format_bias": "rewrapping moves the score by",
    "order_bias": "reversing the criteria moves the score by",
    "spearman": "rank correlation with people",
    "pairwise_agreement": "agrees with people's preferences",
}


def _value(x: float) -> str:
    return f"{x:.2f}"


def render_card(console: Console, card: Card, path: Path | None = None) -> None:
    judge = f"{card.judge.get('backend')}:{card.judge.get('model')}"
    table = Table(
        title=f"calibration card: {judge} on rubric {card.rubric['name']} ({card.rubric['sha256'][:12]})",
        title_justify="left",
    )
    wide = console.width >= 110  # the explanations only where they fit beside the numbers
    table.add_column("measure", no_wrap=True)
    for col in ("value", "95% CI", "threshold"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    if wide:
        table.add_column("what")
    for mm in card.measures:
        ci = (
            f"{_value(mm.ci95_low)}–{_value(mm.ci95_high)}"
            if mm.ci95_low is not None and mm.ci95_high is not None
            else ""
        )
        mark = Text("pass", style="green") if mm.passed else Text("FAIL", style="bold red")
        row = [mm.name, _value(mm.value), ci, mm.rule, mark]
        table.add_row(*row, *([WHAT.get(mm.name.split(".")[0], "")] if wide else []))
    console.print(table)
    for note in card.notes:
        console.print(f"note: {note}", style="dim", highlight=False, soft_wrap=True)
    calls = card.calls
    cost = "cost unknown" if calls.get("cost_usd") is None else f"${calls['cost_usd']:.4f}"
    console.print(
        f"{card.calibration_set['drafts']} drafts, {card.judge.get('samples')} verdicts per text, "
        f"{calls.get('calls', 0)} calls ({calls.get('cached_calls', 0)} from the cache), {cost}",
        highlight=False,
    )
    if card.passed:
        console.print(
            Text("passed: ", style="bold green") + Text("every measure is within its threshold.")
        )
    else:
        failed = ", ".join(mm.name for mm in card.failures())
        console.print(
            Text("FAILED: ", style="bold red")
            + Text(
                f"{failed}. Scores from this judge on this rubric are not to be trusted for the failing measures."
            ),
            soft_wrap=True,
        )
    if path is not None:
        console.print(f"card: {path}", highlight=False)
