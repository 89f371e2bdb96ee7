"""The drift guard and the final confirmation: fresh drafts that were not used to choose
anything, measured against a reference that was (DECISIONS.md: ratchets, the winner's curse).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .records import Gain
from .samples import gather_all

if TYPE_CHECKING:
    from .lane import Lane


async def drift_check(run: Lane, n: int) -> None:
    """The drift guard: fresh drafts of the best against the last verified best. A path that
    went below it (each keep looked fine, the sum did not) is rolled back."""
    before, t = run.costs.totals(), time.monotonic()
    st = run.state
    run.on_event({"phase": "verify", "experiment": n, "run": run})
    best, verified = run.skill(), run.kept_skill(st.verified_commit)
    m = run.measure
    # Both sides fresh and interleaved: the verified best's old drafts were judged earlier,
    # and a judge that drifted since would read as a gain or a loss.
    await m.draw_together([best, verified], run.gate.verify_stages * run.repeats, "verify", n)
    diff = m.compare(
        *(m.totals(d, role="verify", experiment=n) for d in (st.best_skill, st.verified_skill))
    )
    gain = Gain(**diff.as_gain())
    if diff.mean < 0:
        status, target = "rollback", (st.verified_commit, st.verified_skill)
        run.ws.rollback(st.verified_commit)
        text = (
            f"drift guard: fresh drafts of the best score {diff.mean:+.2f} against the last "
            f"verified best ({st.verified_commit}); rolled back to it"
        )
    else:
        status, target = "keep", (st.best_commit, st.best_skill)
        text = f"drift guard: the best holds {diff.mean:+.2f} over the last verified best"
    run.append_record(
        run.new_record(
            "verify",
            n,
            status,
            commit=st.best_commit,
            skill=st.best_skill,
            best_commit=target[0],
            best_skill=target[1],
            description=text,
            before=before,
            seconds=time.monotonic() - t,
            gain=gain,
        ),
        tsv=False,
    )


def settle_best(run: Lane) -> None:
    """An explore step keeps an edit the gate did not show better, and the loop builds on it;
    if no later keep climbed back, the run would end on (and report) a skill that measured
    worse than an earlier best. Before the confirmation, the run goes back to the best it
    measured among every skill it held as best."""
    st, m = run.state, run.measure
    if not any(r.status == "explore" for r in run.records) or not st.best_skill:
        return
    held = {r.best_skill: r.best_commit for r in run.records if r.best_skill}
    top = max(held, key=m.mean_of)
    if top == st.best_skill or m.mean_of(top) <= m.mean_of(st.best_skill):
        return
    n = st.last_experiment
    text = (
        f"after exploration: {held[top]} measured {m.mean_of(top):.2f}, above the explored "
        f"best {st.best_commit} at {m.mean_of(st.best_skill):.2f}; back to {held[top]}"
    )
    run.ws.rollback(held[top])
    run.append_record(
        run.new_record(
            "verify",
            n,
            "rollback",
            commit=st.best_commit,
            skill=st.best_skill,
            best_commit=held[top],
            best_skill=top,
            description=text,
            before=run.costs.totals(),
            seconds=0.0,
        ),
        tsv=False,
    )


async def confirm(run: Lane) -> None:
    """The honest headline: baseline and best measured again with fresh drafts (and on the
    held-out topics), paired on topics. The best was chosen because its drafts scored
    high; these drafts were not used to choose anything."""
    st = run.state
    if st.baseline is None or st.best_skill == st.baseline.skill:
        return  # nothing was kept: no gain to confirm
    n = st.last_experiment
    if st.confirmed is not None and st.confirmed.experiment == n:
        return  # already confirmed (a resumed run that had finished)
    before, t = run.costs.totals(), time.monotonic()
    run.on_event({"phase": "confirming", "experiment": n, "run": run})
    need = run.gate.confirm_stages * run.repeats
    best, base = run.kept_skill(st.best_commit), run.kept_skill(st.baseline.commit)
    m = run.measure
    jobs = [m.draw_together([best, base], need, "confirm", n, audit=True)]
    if run.holdout:
        jobs += [m.draw_together([best, base], need, "holdout", n, holdout=True)]
    await gather_all(*jobs)
    pair = (st.best_skill, st.baseline.skill)
    gain = m.compare(*(m.totals(d, role="confirm", experiment=n) for d in pair))
    drift = drift_of(run, n)
    holdout_gain = None
    if run.holdout:
        holdout_gain = m.compare(
            *(m.totals(d, holdout=True, role="holdout", experiment=n) for d in pair)
        )
    audit_gain = m.compare_audit(*pair, experiment=n)
    run.append_record(
        run.new_record(
            "confirm",
            n,
            "keep",
            commit=st.best_commit,
            skill=st.best_skill,
            description=f"confirmation: {need} fresh drafts per topic of baseline and best",
            before=before,
            seconds=time.monotonic() - t,
            gain=Gain(**gain.as_gain()),
            holdout_gain=Gain(**holdout_gain.as_gain()) if holdout_gain else None,
            audit_gain=Gain(**audit_gain.as_gain()) if audit_gain else None,
            drift=drift,
        ),
        tsv=False,
    )


def drift_of(run: Lane, n: int) -> Gain | None:
    """The same skill early and late: the baseline's fresh confirmation drafts minus its
    first drafts. A skill does not change, so a difference outside the noise is the judge or
    the provider moving under the run (summary.json `drift`, and a warning)."""
    st, m = run.state, run.measure
    if st.baseline is None:
        return None
    late = m.totals(st.baseline.skill, role="confirm", experiment=n)
    early = m.totals(st.baseline.skill, role="baseline", experiment=0)
    if not any(early.values()) or not any(late.values()):
        return None
    return Gain(**m.compare(late, early).as_gain())
