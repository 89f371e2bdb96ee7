"""Rich tables and summaries for the terminal: score cards, rubrics, the end of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..checks import CheckResult
from ..rubric import Rubric
from ..scoring import ScoreCard

WARNING = Text("warning: ", style="bold yellow")


def _fmt(n: float) -> str:
    return f"{n:g}"


def _evidence(result: CheckResult, limit: int = 3) -> Text:
    text = Text()
    for ev in result.evidence[:limit]:
        if text:
            text.append("\n")
        if ev.line is not None:
            text.append(f"L{ev.line} ", style="dim")
        text.append(ev.text, style="bold")
        if ev.suggestions:
            text.append(f" → {', '.join(ev.suggestions)}", style="green")
    if len(result.evidence) > limit:
        text.append(f"\n… {len(result.evidence) - limit} more", style="dim")
    if not result.evidence:
        text.append(result.reason, style="dim")
    return text


# What a card says next to its judge part, by the judge's calibration state on the rubric.
TRUST = {
    "passed": "calibrated judge",
    "failed": "judge FAILED calibration",
    "stale": "judge's calibration is stale",
    "missing": "judge not calibrated",
}


def render_card(console: Console, card: ScoreCard) -> None:
    table = Table(title=card.path or "draft", title_justify="left", expand=False)
    table.add_column("check")
    table.add_column("result")
    table.add_column("deduction", justify="right")
    table.add_column("evidence")
    quiet_vale = 0
    for r in card.binary.results:
        if r.passed and r.type == "vale":
            quiet_vale += 1  # a style package has dozens of rules: one row for the quiet ones
            continue
        status = Text("pass", style="green") if r.passed else Text("FAIL", style="bold red")
        if r.rule and not r.passed:  # Vale's own name and level
            status = Text(r.level or "FAIL", style="bold red" if r.level == "error" else "yellow")
        name = r.rule or r.id
        table.add_row(name, status, f"-{_fmt(r.deduction)}" if r.deduction else "", _evidence(r))
    if quiet_vale:
        table.add_row(
            f"{quiet_vale} Vale rules", Text("pass", style="green"), "", "no alerts on this file"
        )
    console.print(table)
    if card.judge is not None:
        jt = Table(
            title=f"judge {card.judge.backend}:{card.judge.model}, {card.judge.samples} sample(s)",
            title_justify="left",
        )
        jt.add_column("criterion")
        jt.add_column("score", justify="right")
        jt.add_column("rationale")
        for c in card.judge.criteria:
            spread = f" ±{c.stdev:.1f}" if card.judge.samples > 1 else ""
            jt.add_row(c.name, f"{c.score:g}{spread}", c.rationale)
        console.print(jt)
    line = Text(f"binary {_fmt(card.binary.score)}/{_fmt(card.binary.max)}", style="bold")
    if card.judge is None and card.judge_note:
        line.append("   judge: not measured", style="yellow")
    elif card.judge is None:
        line.append("   judge: not run (--no-judge)", style="dim")
    else:
        line.append(f"   judge {_fmt(card.judge.score)}/{_fmt(card.judge.max)}")
        note = TRUST.get(card.judge.calibration or "")
        if note:
            line.append(
                f" ({note})", style="green" if card.judge.calibration == "passed" else "yellow"
            )
    line.append(f"   total {_fmt(card.total)}/{_fmt(card.max)}", style="bold cyan")
    line.append(f"   ({card.words} words, rubric {card.rubric_name})", style="dim")
    console.print(line)
    if card.judge_note:
        console.print(Text("judge " + card.judge_note, style="yellow"), soft_wrap=True)
    for r in card.binary.violations:
        if r.fix:
            console.print(Text(f"  fix {r.rule or r.id}: ", style="yellow") + Text(r.fix))


def render_rubric(console: Console, rubric: Rubric) -> None:
    console.print(
        Text(f"rubric {rubric.name}", style="bold")
        + Text(f"  ({rubric.path}, sha256 {rubric.sha256[:12]})", style="dim")
    )
    if rubric.description:
        console.print(rubric.description)
    table = Table(
        title=f"binary part: {_fmt(rubric.binary.max_points)} points", title_justify="left"
    )
    for col in ("id", "type", "deduction", "checks for"):
        table.add_column(col)
    for c in rubric.binary.checks:
        points = getattr(c, "deductions", None)  # a Vale rule: points by the alert's level
        each = (
            ", ".join(f"{_fmt(v)} {k}" for k, v in points.items()) if points else _fmt(c.deduction)
        )
        ded = f"{each} per {c.per}" + (f", cap {_fmt(c.cap)}" if c.cap is not None else "")
        table.add_row(c.id, c.type, ded, c.description or "")
    console.print(table)
    for name, why in rubric.vale_notes.items():
        console.print(Text(f"Vale setting not read: {name} ({why})", style="yellow"))
    for name, why in rubric.vale_skipped.items():
        console.print(Text(f"Vale rule not run: {name} ({why})", style="yellow"))
    judge = Table(
        title=f"judge part: {_fmt(rubric.judge.max_points)} points, "
        f"{len(rubric.judge.criteria)} criteria scored 1-10",
        title_justify="left",
    )
    judge.add_column("criterion")
    judge.add_column("description")
    for cr in rubric.judge.criteria:
        judge.add_row(cr.name, cr.description)
    console.print(judge)


def render_usage(console: Console, totals: dict[str, Any]) -> None:
    cost = totals["cost_usd"]
    cost_text = "cost unknown" if cost is None else f"${cost:.4f}"
    console.print(
        Text(
            f"model calls: {totals['calls']} ({totals['cached_calls']} answered from cache), "
            f"{totals['input_tokens']:,} input + {totals['cache_read_tokens']:,} cached input + "
            f"{totals['output_tokens']:,} output tokens, {cost_text}",
            style="dim",
        )
    )


def confirmation_line(run: Any) -> str:
    """What the final gained over v0, as measured on verdicts that chose nothing."""
    conf, gain = run.confirmation, run.confirmed
    if conf is not None and conf.final == 0:
        g = conf.gain
        return (
            f"final is v0: v{conf.candidate} scored higher on its one verdict but was not better "
            f"than v0 on {conf.rounds} fresh verdicts each ({g.mean:+.2f}, 95% CI "
            f"{g.ci95_low:+.2f} to {g.ci95_high:+.2f})"
        )
    if gain is None:
        return "final is v0: no revision scored above it"
    if conf is None:
        return f"improvement over v0 {gain.mean:+g} (rule checks alone: exact)"
    shown = (
        "shown better than v0"
        if conf.shown
        else "final not shown better than v0 (the interval includes 0)"
    )
    return (
        f"confirmed improvement over v0 {gain.mean:+.2f} (95% CI {gain.ci95_low:+.2f} to "
        f"{gain.ci95_high:+.2f}) on {conf.rounds} fresh verdicts each, interleaved: {shown}"
    )


def render_write_summary(console: Console, run: Any) -> None:
    """v0 → final for one write run: each check's deduction and each criterion's score."""
    first, best = run.versions[0], run.best
    table = Table(
        title=f"{run.topic.slug}: v0 {first.card.total:g}/{first.card.max:g} → final "
        f"(v{best.version}) {best.card.total:g}/{best.card.max:g}"
        f"   [{run.stop_reason}]   {run.folder}",
        title_justify="left",
    )
    for col in ("check / criterion", "v0", "final", "change"):
        table.add_column(col, justify="right" if col != "check / criterion" else "left")
    before = {r.id: r for r in first.card.binary.results}
    for r in best.card.binary.results:
        b = before[r.id]
        delta = b.deduction - r.deduction
        table.add_row(
            r.id,
            f"-{_fmt(b.deduction)}" if b.deduction else "pass",
            f"-{_fmt(r.deduction)}" if r.deduction else "pass",
            f"{delta:+g}" if delta else "",
        )
    if first.card.judge and best.card.judge:
        old = {c.name: c.score for c in first.card.judge.criteria}
        for c in best.card.judge.criteria:
            delta = c.score - old[c.name]
            table.add_row(
                c.name, f"{old[c.name]:g}", f"{c.score:g}", f"{delta:+g}" if delta else ""
            )
    console.print(table)
    console.print(confirmation_line(run), soft_wrap=True, highlight=False)
    usage = run.to_json()
    cost = usage["cost_usd"]
    tokens = usage["tokens"]
    console.print(
        f"{usage['calls']} model calls, {tokens['input_tokens']:,} input + "
        f"{tokens['output_tokens']:,} output tokens, "
        f"{'cost unknown' if cost is None else f'${cost:.4f}'}, {usage['seconds']:.0f} s",
        style="dim",
        highlight=False,
    )
    state = best.card.judge.calibration if best.card.judge else None
    if best.card.judge_note:
        console.print(
            f"judge {best.card.judge_note}", style="yellow", soft_wrap=True, highlight=False
        )
    elif state and state != "passed":
        console.print(
            f"{TRUST[state]}: the judge's part of these totals is unmeasured on this rubric; "
            "read the rule checks first (contentloop calibrate measures the judge).",
            style="yellow",
            soft_wrap=True,
            highlight=False,
        )


def _gain(g: dict[str, Any] | None) -> str:
    if not g:
        return "-"
    return (
        f"{g['mean']:+.2f} (95% CI {g['ci95_low']:+.2f} to {g['ci95_high']:+.2f}, {g['n']} drafts)"
    )


def render_optimize_summary(console: Console, summary: dict[str, Any], run_dir: Path) -> None:
    """The end of an optimize run: the confirmed gain first, then how the run got there."""
    counts = summary["counts"]
    if "verdict" in summary:  # schema 2: the sequential gate and a confirmation
        confirmed = summary.get("confirmed_gain")
        good = bool(confirmed) and confirmed["ci95_low"] > 0
        console.print(Text(summary["verdict"], style="bold"), style="green" if good else "yellow")
        if summary.get("in_loop_gain"):
            console.print(
                (f"confirmed on {confirmed['n']} fresh drafts; " if confirmed else "")
                + f"in-loop estimate {_gain(summary['in_loop_gain'])}, higher because those "
                "drafts chose the best",
                soft_wrap=True,
                highlight=False,
            )
        if summary.get("holdout_gain"):
            console.print(
                f"held-out topics: gain {_gain(summary['holdout_gain'])}", highlight=False
            )
        objective = summary.get("objective") or {}
        if objective.get("secondary") and objective.get("baseline") and objective.get("best"):
            moves = ", ".join(
                f"{m} {objective['baseline'][m]:g} -> {objective['best'][m]:g}"
                for m in (objective["primary"], objective["secondary"])
                if objective["baseline"].get(m) is not None and objective["best"].get(m) is not None
            )
            console.print(
                f"objective: {objective['describe']}; baseline -> best (in loop): {moves}",
                soft_wrap=True,
                highlight=False,
            )
        audit = summary.get("audit")
        if audit and audit.get("gain"):
            holds = "holds" if audit["holds"] else "does not hold"
            console.print(
                f"audit judge {audit['judge']}: gain {_gain(audit['gain'])}; the gain {holds} "
                "under a judge the loop did not climb",
                style=None if audit["holds"] or not confirmed else "bold yellow",
                soft_wrap=True,
                highlight=False,
            )
        kept = counts.get("keep", 0)  # experiments only: the baseline is not counted
        noise = (
            f"noise {summary['noise']:.2f} per draft; one experiment detects "
            f"{summary['detectable_effect']:.2f}+ points"
        )
    else:
        kept = counts.get("keep", 0) - 2
        noise = f"noise floor {summary['noise']:.2f}"
        if summary["holdout_baseline"] is not None:
            console.print(
                f"held-out topics: baseline {summary['holdout_baseline']:.2f} -> best {summary['holdout_best']:.2f}",
                highlight=False,
            )
    scale = f"/{summary['score_max']:g}" if summary.get("score_max") else ""
    console.print(
        f"baseline {summary['baseline']:.2f}{scale} -> best {summary['best']:.2f}{scale} ({noise}); "
        f"kept {kept}, discarded {counts.get('discard', 0)}, crashed {counts.get('crash', 0)}, "
        f"explored {counts.get('explore', 0)}; stopped: {summary['stop_reason']}",
        soft_wrap=True,
        highlight=False,
    )
    if summary["overfit_warning"]:
        console.print(
            WARNING + "the best skill rose on the training topics but fell on the held-out "
            "topics; it may be overfitting them. Review it before adopting."
        )
    if summary.get("drift_warning"):
        d = summary["drift"]
        console.print(
            WARNING + f"the baseline scored {d['mean']:+.2f} points (95% CI {d['ci95_low']:+.2f} "
            f"to {d['ci95_high']:+.2f}) more at the end of the run than at its start: the judge "
            "or the provider moved during the run. The confirmed gain is measured in one time "
            "window and stands; the in-loop figures and kept/discarded counts may not.",
            soft_wrap=True,
            highlight=False,
        )
    cost = summary["cost_usd"]
    console.print(
        f"{summary['calls']} calls, {'cost unknown' if cost is None else f'${cost:.4f}'}, {summary['seconds']:.0f} s"
    )
    console.print(
        f"ledgers: {run_dir}/results.tsv, experiments.jsonl; best skill: {summary['best_skill']}"
    )
    if not summary.get("adopt"):
        console.print("nothing was kept: the skill is as it was, so there is nothing to adopt.")
    elif summary.get("adopt_recommended") is False:
        console.print(
            f"the best skill is not shown better than the baseline; to adopt it anyway: "
            f"{summary['adopt']}",
            highlight=False,
            markup=False,
        )
    else:
        console.print(
            f"bring the best skill onto your branch: {summary['adopt']}",
            highlight=False,
            markup=False,
        )
    if summary.get("judge_not_measured"):
        # Said last, where people read: every number above is the rule part alone.
        console.print(
            WARNING + f"judge not measured: every score above is the rule checks alone, out of "
            f"{summary['score_max']:g} ({summary['judge_not_measured']}).",
            soft_wrap=True,
            highlight=False,
        )


def render_plan(
    console: Console, est: dict[str, Any], topics: int, repeats: int, experiments: int
) -> None:
    """The pre-run estimate: power first, then calls and dollars."""
    console.print(
        f"plan: {topics} topics x {repeats} draft(s) per stage, up to {experiments} experiments; "
        f"assuming {est['assumed_noise']:g} points of noise per draft ({est['noise_source']}), one experiment "
        f"detects a gain of {est['detectable_effect']:.2f} points with 80% power, and an edit "
        f"that changes nothing is kept at most {est['alpha']:.0%} of the time.",
        soft_wrap=True,
        highlight=False,
    )
    cost = "cost unknown" if est["cost_usd"] is None else f"~${est['cost_usd']:.2f}"
    most = "" if est["cost_usd_max"] is None else f", at most ${est['cost_usd_max']:.2f}"
    if est.get("batch") and est["cost_usd"] is not None:
        most += " (drafts and verdicts at the Message Batches price, half the list price)"
    console.print(
        f"expected: ~{est['expected_stages']:.1f} stages per experiment, {est['writer_calls']} drafts "
        f"(at most {est['writer_calls_max']}), {est['calls']} calls, ~{est['input_tokens']:,} input and "
        f"~{est['output_tokens']:,} output tokens, {cost}{most}; time is estimated after the baseline.",
        soft_wrap=True,
        highlight=False,
    )
    if est.get("objective"):
        console.print(
            f"objective: {est['objective']}; the power figure above is the score's.",
            soft_wrap=True,
            highlight=False,
        )
    if est["warning"]:
        console.print(WARNING + est["warning"], soft_wrap=True)
