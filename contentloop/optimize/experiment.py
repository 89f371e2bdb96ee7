"""The body of one try, and a lane's opening: a baseline, or a resume brought back to its
best; then propose -> commit -> evaluate in stages against the best -> keep or revert -> log.
The gate decides (gate.py, objective.py); measure.py writes and stores the drafts; guard.py
re-measures the best; this module sequences them for one lane."""

from __future__ import annotations

import asyncio
import difflib
import time
from typing import Any

from ..atomic import write_text
from ..errors import ContentloopError
from ..faults import crash_point
from ..llm import BackendError
from ..skill import Skill, count_tokens
from .gate import StageVerdict, judge_stage
from .guard import drift_check
from .lane import Lane
from .objective import decide, evidence
from .proposer import ProposalRefused, propose, retrospective
from .records import check_sequence, parse_records
from .samples import gather_all, skill_hash
from .warm import warm_skill
from .workspace import save_kept


async def open_lane(lane: Lane) -> None:
    """Open the run folder and the workspace; write the baseline, or, on a resume, bring
    the branch back to the best the records name."""
    lane.open()
    raw = lane.ledger.repair() if lane.resumed else []
    records = parse_records(raw, str(lane.ledger.jsonl))
    check_sequence(records, str(lane.ledger.jsonl))
    if records and records[0].harness_sha256 != lane.harness:
        raise ContentloopError(
            "the eval harness (rubric, judge prompt or topics) changed since this run started, so "
            "its scores cannot be compared with the new ones.",
            path=lane.ledger.jsonl,
            fix="restore the rubric and topics, or start a new run with another --tag.",
        )
    lane.replay(records)
    if lane.state.baseline is None:
        lane.ledger.reset()
        lane.replay([])
        if lane.warm_start:
            # Before the baseline, also on a resume killed before it: copying is idempotent.
            warm_skill(lane.ws, lane.warm_start)
        await baseline(lane)
    else:
        lane.started -= lane.state.seconds
        last = lane.state.last_experiment
        if last >= 10:
            own = [h for h in lane.history if h["n"] <= last - last % 10]
            lane.retro = retrospective(lane.prior_history + own)
        lane.ws.restore(lane.state.best_commit, last)


async def baseline(lane: Lane) -> None:
    before, t = lane.costs.totals(), time.monotonic()
    skill = lane.skill()
    digest, head = skill_hash(skill), lane.ws.head()
    save_kept(lane.ws.skill_dir, lane.run_dir, head)
    lane.on_event({"phase": "baseline", "experiment": 0, "run": lane})
    # As many drafts as the first stage of the first experiment will want of the best.
    need = lane.gate.best_needed(lane.repeats)
    await lane.measure.draw(skill, need, "baseline", 0)
    lane.on_event(
        {
            "phase": "baseline_done",
            "seconds": time.monotonic() - t,
            "drafts": need * len(lane.topics),
            "run": lane,
        }
    )
    lane.append_record(
        lane.new_record(
            "baseline",
            0,
            "keep",
            commit=head,
            skill=digest,
            best_commit=head,
            best_skill=digest,
            description=f"baseline ({need} drafts per topic)",
            before=before,
            seconds=time.monotonic() - t,
            metrics={
                **lane.measure.metrics(digest),
                "prompt_tokens": count_tokens(skill.prompt),
            },
            worst=lane.measure.worst(digest),
        )
    )
    lane.ws.keep(lane.run_dir)


async def experiment(lane: Lane, n: int) -> bool:
    """One try; False when it crashed (or timed out)."""
    lane.on_event({"phase": "proposing", "experiment": n, "run": lane})
    before, t = lane.costs.totals(), time.monotonic()
    best = lane.skill()
    explore = bool(lane.explore_every) and n % lane.explore_every == 0  # type: ignore[operator]
    try:
        proposal = await propose(
            lane.optimizer,
            best,
            best_mean=lane.best_mean,
            max_points=lane.rubric.max_points,
            n_drafts=sum(len(v) for v in lane.measure.totals(lane.state.best_skill).values()),
            noise=lane.noise().sd,
            history=lane.prior_history + lane.history,
            explored=dict(lane.state.explored),
            worst=lane.measure.worst(lane.state.best_skill),
            attempt=n,
            retrospective=lane.retro,
            emphasis=lane.emphasis,
        )
    except Exception as exc:  # noqa: BLE001 - an unattended loop logs a crash and goes on
        lane.append_record(
            lane.new_record(
                "experiment",
                n,
                "crash",
                commit=lane.ws.head(),
                skill=lane.state.best_skill,
                description=_proposal_failure(exc),
                before=before,
                seconds=time.monotonic() - t,
                reason=str(exc),
            )
        )
        return False
    return await evaluate(
        lane,
        n,
        {proposal.section: proposal.new_text},
        proposal.hypothesis,
        message=f"autoexp {lane.tag} #{n}: {proposal.section}: {proposal.hypothesis}",
        explore=explore,
        before=before,
        t=t,
    )


async def evaluate(
    lane: Lane,
    n: int,
    edits: dict[str, str],
    description: str,
    *,
    message: str,
    before: dict[str, Any],
    t: float,
    explore: bool = False,
    kind: str = "experiment",
    **fields: Any,
) -> bool:
    """Commit `edits` (section -> new text) over the best, measure the result in stages
    against the best, keep or revert, and log it; False when it crashed or timed out."""
    best = lane.skill()
    commit, common = _commit(lane, best, edits, message)
    common |= {"description": description, **fields}
    crash_point("commit")
    lane.on_event({"phase": "evaluating", "experiment": n, "stage": 0, "run": lane})
    tsv = kind == "experiment"
    try:
        candidate = lane.skill()
        stages = await asyncio.wait_for(
            _stages(lane, n, candidate, best, explore, fresh_best=kind == "merge"),
            timeout=lane.budget.experiment_timeout_s,
        )
    except Exception as exc:  # noqa: BLE001 - logged as crash/timeout; N in a row stop the run
        status = "timeout" if isinstance(exc, TimeoutError) else "crash"
        lane.ws.revert()
        lane.append_record(
            lane.new_record(
                kind,
                n,
                status,
                commit=commit,
                skill=lane.state.best_skill,
                before=before,
                seconds=time.monotonic() - t,
                reason=str(exc) or status,
                **common,
            ),
            tsv=tsv,
        )
        return False
    crash_point("evaluated")
    kept = _decide(lane, n, kind, commit, candidate, stages, before, t, common)
    if kept and lane.gate.verify_every and lane.state.keeps_since_verify >= lane.gate.verify_every:
        await drift_check(lane, n)
    return True


def _decide(
    lane: Lane,
    n: int,
    kind: str,
    commit: str,
    candidate: Skill,
    stages: list[StageVerdict],
    before: dict[str, Any],
    t: float,
    common: dict[str, Any],
) -> bool:
    """Keep or revert what the last stage decided, and log it; whether it was kept."""
    tsv = kind == "experiment"
    digest = skill_hash(candidate)
    last = stages[-1]
    status = last.status or "discard"
    kept = status in ("keep", "explore")
    if kept:
        save_kept(lane.ws.skill_dir, lane.run_dir, commit)
        lane.ws.keep(lane.run_dir)
    else:
        lane.ws.revert()
    crash_point("decided")
    lane.append_record(
        lane.new_record(
            kind,
            n,
            status,
            commit=commit,
            skill=digest,
            best_commit=commit if kept else lane.state.best_commit,
            best_skill=digest if kept else lane.state.best_skill,
            before=before,
            seconds=time.monotonic() - t,
            reason=last.reason(lane.gate.simplicity_margin),
            delta=round(last.mean, 3),
            stages=[s.to_json() for s in stages],
            metrics={
                **lane.measure.metrics(digest),
                "prompt_tokens": count_tokens(candidate.prompt),
            },
            worst=lane.measure.worst(digest) if kept else None,
            **common,
        ),
        tsv=tsv,
    )
    return kept


def _commit(
    lane: Lane, best: Skill, edits: dict[str, str], message: str
) -> tuple[str, dict[str, Any]]:
    """Write `edits` over the best and commit them; the commit, and what the record says of
    the edit (one section's edit keeps its before and after; a merge's live in `sections`)."""
    old = {name: best.sections[name] for name in edits}
    diff_lines = sum(
        1
        for name, text in edits.items()
        for line in difflib.unified_diff(old[name].splitlines(), text.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )
    for name, text in edits.items():
        write_text(lane.ws.skill_dir / f"{name}.md", text)
    commit = lane.ws.commit(message)
    section, new_text = next(iter(edits.items())) if len(edits) == 1 else (None, None)
    return commit, {
        "section": section,
        "diff_lines": diff_lines,
        "new_text": new_text,
        "old_text": old.get(section) if section else None,
    }


async def _stages(
    lane: Lane, n: int, candidate: Skill, best: Skill, explore: bool, *, fresh_best: bool = False
) -> list[StageVerdict]:
    """Write the candidate's drafts a stage at a time (and top up the best's) until the
    gate decides. With `fresh_best` (a merge: the tester's best may have been measured long
    before), the best is compared on drafts written beside the candidate's, stage by stage."""
    cand, best_digest = skill_hash(candidate), lane.state.best_skill
    shorter = candidate.chars < best.chars
    tokens = {cand: count_tokens(candidate.prompt), best_digest: count_tokens(best.prompt)}
    m = lane.measure
    out: list[StageVerdict] = []
    for stage in range(1, lane.gate.max_stages + 1):
        per_topic = stage * lane.repeats
        best_draw = (
            m.draw(best, per_topic, "merge", n, fresh=True)
            if fresh_best
            else m.draw(best, lane.gate.best_needed(per_topic), "best", n)
        )
        await gather_all(m.draw(candidate, per_topic, "candidate", n), best_draw)
        if lane.objective.is_default:
            best_totals = (
                m.totals(best_digest, role="merge", experiment=n)
                if fresh_best
                else m.totals(best_digest)
            )
            diff = m.compare(m.totals(cand), best_totals)
            verdict = judge_stage(lane.gate, stage, diff, shorter=shorter, explore=explore)
        else:
            ev = evidence(
                lane.objective,
                lane.measure,
                cand,
                best_digest,
                tokens,
                lane.gate.simplicity_margin,
            )
            verdict = decide(lane.gate, lane.objective, stage, ev, explore=explore)
        out.append(verdict)
        lane.on_event(
            {"phase": "stage", "experiment": n, "stage": stage, "verdict": verdict, "run": lane}
        )
        if verdict.status:
            break
    return out


def _proposal_failure(exc: Exception) -> str:
    """What the ledger says about a try that never got an edit: the optimizer's reply was
    refused, or the call itself failed (a 529 is the provider's state, not a bad proposal)."""
    if isinstance(exc, ProposalRefused):
        return f"proposal refused: {exc}"
    if isinstance(exc, BackendError):
        return f"optimizer call failed: {exc}"
    if isinstance(exc, ContentloopError):
        return f"proposal failed: {exc}"
    return f"proposal failed: {type(exc).__name__}: {exc}"
