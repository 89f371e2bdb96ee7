"""What a merge of --lanes does to one lane: compose the lanes' skills, test a composition with
the lane's own gate, or adopt one that another lane's gate kept. The coordinator that decides
when and between which lanes is optimize/lanes.py."""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from ..atomic import write_text
from .experiment import evaluate
from .samples import skill_hash
from .workspace import save_kept

if TYPE_CHECKING:
    from .lane import Lane

MAX_COMPOSITIONS = 4


class Composition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sections: dict[str, str]  # every section of the composed skill
    sources: dict[str, int]  # section -> the lane whose text it takes (changed sections only)

    def describe(self) -> str:
        return ", ".join(f"{name} from lane {lane}" for name, lane in self.sources.items())


def compose(
    base: dict[str, str],
    ranked: list[tuple[int, dict[str, str]]],
    limit: int = MAX_COMPOSITIONS,
    *,
    own_bases: dict[int, dict[str, str]] | None = None,
) -> list[Composition]:
    """Compositions of the lanes' skills (`ranked`: (lane, sections), best lane first) over
    `base`, the skill they last shared. A section that one text changed comes from it; each
    section that several lanes changed differently multiplies the compositions.

    `own_bases`: for a lane that did not take the last merge (it kept an edit of its own while
    the merge was tested), the skill it last shared. What it changed is measured from there,
    and laid over `base`: its old copies of the sections the merge changed are not changes."""
    options: dict[str, list[tuple[int, str]]] = {}
    for lane, sections in ranked:
        since = (own_bases or {}).get(lane, base)
        for name, text in sections.items():
            seen = [t for _, t in options.get(name, [])]
            if text != since.get(name) and text != base.get(name) and text not in seen:
                options.setdefault(name, []).append((lane, text))
    if not options:
        return []
    contested = [name for name, opts in options.items() if len(opts) > 1]
    out = []
    for choice in itertools.islice(itertools.product(*(options[n] for n in contested)), limit):
        picked = dict(zip(contested, choice, strict=True))
        sections, sources = dict(base), {}
        for name, opts in options.items():
            lane, text = picked.get(name, opts[0])
            sections[name], sources[name] = text, lane
        out.append(Composition(sections=sections, sources=sources))
    return out


class MergeRow(BaseModel):
    """One line of lanes.jsonl: a merge planned (before any of it is tested) or done."""

    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[1] = 1
    merge: int
    phase: Literal["plan", "done"]
    timestamp: str
    after_experiments: int
    lane: int | None = None  # plan: the lane that tests the compositions (the best one)
    base: dict[str, str] | None = None  # plan: the skill the lanes last shared
    compositions: list[Composition] = []
    # plan: each lane's best (skill hash) when the merge was planned. The other lanes go on while
    # the tester tests; one that has kept an edit since does not take the composition.
    bests: dict[int, str] = {}
    statuses: list[str] = []  # done: each tested composition's status, in order
    adopted: int | None = None  # done: the composition every lane took, if any
    description: str = ""


async def try_merge(
    run: Lane, merge: int, composition: int, sections: dict[str, str], description: str
) -> str:
    """Test a composition of several lanes' edits against `run`'s best with the same gate as
    any try; its status (keep, discard, crash, timeout)."""
    n = run.state.last_experiment
    run.on_event({"phase": "merging", "experiment": n, "merge": merge, "run": run})
    await evaluate(
        run,
        n,
        changed(run, sections),
        description,
        message=f"autoexp {run.tag} merge {merge}.{composition}: {description}",
        before=run.costs.totals(),
        t=time.monotonic(),
        kind="merge",
        merge=merge,
        composition=composition,
        sections=sections,
    )
    return next(r.status for r in reversed(run.records) if r.kind == "merge")


def adopt_merge(run: Lane, merge: int, sections: dict[str, str], description: str) -> None:
    """Continue `run` from a composition that another lane's gate kept."""
    before, t = run.costs.totals(), time.monotonic()
    for name, text in changed(run, sections).items():
        write_text(run.ws.skill_dir / f"{name}.md", text)
    commit = run.ws.commit(f"autoexp {run.tag} merge {merge}: adopt {description}")
    digest = skill_hash(run.skill())
    save_kept(run.ws.skill_dir, run.run_dir, commit)
    run.ws.keep(run.run_dir)
    run.append_record(
        run.new_record(
            "merge",
            run.state.last_experiment,
            "adopt",
            commit=commit,
            skill=digest,
            best_commit=commit,
            best_skill=digest,
            description=f"merge {merge}: adopted {description}",
            before=before,
            seconds=time.monotonic() - t,
            merge=merge,
            sections=sections,
        ),
        tsv=False,
    )


def changed(run: Lane, sections: dict[str, str]) -> dict[str, str]:
    """The sections of `sections` whose text differs from `run`'s current skill."""
    current = run.skill().sections
    return {k: v for k, v in sections.items() if current.get(k) != v}


__all__ = ["Composition", "MergeRow", "adopt_merge", "changed", "compose", "try_merge"]
