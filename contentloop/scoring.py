"""ScoreCard: the one place the total is computed.

Total = binary part (max_points minus deductions, floored at 0) + judge part (when judged).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .binary import BinaryScore
from .checks import Draft
from .errors import ContentloopError
from .rubric import Rubric
from .verdict import JudgeScore
from .yamlio import read_text

if TYPE_CHECKING:
    from .judge import Judge

MAX_DRAFT_BYTES = 2_000_000


class ScoreCard(BaseModel):
    path: str | None = None
    rubric_name: str
    rubric_sha256: str
    binary: BinaryScore
    judge: JudgeScore | None = None  # None = not judged (--no-judge, or not measured)
    judge_note: str | None = None  # why a judge that was there was left out
    words: int = 0

    @property
    def total(self) -> float:
        judged = self.judge.score if self.judge else 0.0
        return round(self.binary.score + judged, 2)

    @property
    def max(self) -> float:
        return self.binary.max + (self.judge.max if self.judge else 0.0)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON contract of `contentloop score --json` (see DESIGN.md)."""
        out: dict[str, Any] = {}
        if self.path is not None:
            out["path"] = self.path
        out |= {
            "total": self.total,
            "max": self.max,
            "binary": {
                "score": self.binary.score,
                "max": self.binary.max,
                "violations": [
                    {
                        "check": v.id,
                        "type": v.type,
                        "count": v.count,
                        "deduction": v.deduction,
                        "reason": v.reason,
                        "evidence": [e.model_dump(exclude_none=True) for e in v.evidence],
                        **({"fix": v.fix} if v.fix else {}),
                        **({"rule": v.rule, "level": v.level} if v.rule else {}),
                    }
                    for v in self.binary.violations
                ],
            },
            "judge": self.judge.model_dump() if self.judge else None,
            **({"judge_note": self.judge_note} if self.judge_note else {}),
            "rubric": {"name": self.rubric_name, "sha256": self.rubric_sha256},
        }
        return out


def score_drafts(
    drafts: Sequence[Draft],
    rubric: Rubric,
    judge: Judge | None = None,
    concurrency: int = 4,
    cache: bool = False,
    jobs: int = 1,
) -> list[ScoreCard]:
    """Score many drafts: checks (on up to `jobs` processes), then the judge. With `cache`,
    rule-check results are reused for unchanged drafts (see check_cache)."""
    cards = _check_all(drafts, rubric, cache, jobs)
    if judge is not None:
        asyncio.run(judge_cards(cards, drafts, judge, concurrency))
    return cards


async def judge_cards(
    cards: Sequence[ScoreCard], drafts: Sequence[Draft], judge: Judge, concurrency: int = 4
) -> None:
    """Fill each card's judge part; at most `concurrency` drafts are judged at once."""
    if judge.not_measured:
        for card in cards:
            card.judge_note = judge.not_measured
        return
    gate = asyncio.Semaphore(concurrency)

    async def one(card: ScoreCard, draft: Draft) -> None:
        async with gate:
            card.judge = await judge.ajudge(draft.source, label=draft.path or "the draft")

    await asyncio.gather(*(one(c, d) for c, d in zip(cards, drafts, strict=True)))


def _check_all(
    drafts: Sequence[Draft], rubric: Rubric, cache: bool = False, jobs: int = 1
) -> list[ScoreCard]:
    """Rule checks for every draft, on up to `jobs` processes; with `cache`, results are looked
    up and stored by content (check_cache) and only the misses are parsed."""
    from . import check_cache
    from .check_pool import check_drafts

    binaries: dict[int, BinaryScore] = {}
    words: dict[int, int] = {}
    by_name = rubric.fingerprint != rubric.sha256  # Vale rules pick files by name
    keys = [check_cache.key(d, rubric.fingerprint, by_name) for d in drafts] if cache else []
    for i, k in enumerate(keys):
        stored = check_cache.load(k)
        if stored is not None:
            try:
                binaries[i] = BinaryScore.model_validate(stored["binary"])
                words[i] = int(stored["words"])
            except (KeyError, TypeError, ValueError):
                binaries.pop(i, None)  # an older or damaged entry: check again
    todo = [i for i in range(len(drafts)) if i not in binaries]
    # A draft whose results are all cached is never parsed.
    checked = check_drafts([drafts[i] for i in todo], rubric, jobs)
    for i, (binary, count) in zip(todo, checked, strict=True):
        binaries[i], words[i] = binary, count
        if cache:
            check_cache.store(
                keys[i], {"binary": binaries[i].model_dump(mode="json"), "words": words[i]}
            )
    return [
        ScoreCard(
            path=d.path,
            rubric_name=rubric.name,
            rubric_sha256=rubric.sha256,
            binary=binaries[i],
            words=words[i],
        )
        for i, d in enumerate(drafts)
    ]


def score_text(
    text: str, rubric: Rubric, judge: Judge | None = None, path: str | None = None
) -> ScoreCard:
    """Score one Markdown text (checks only unless a judge is given)."""
    return score_drafts([Draft(text, path=path)], rubric, judge)[0]


def read_draft(path: Path, formats: Mapping[str, str] | None = None) -> Draft:
    """Read a draft, refusing what cannot be a draft (missing, binary, empty, huge). Its
    format is its ending's, or what `formats` (a .vale.ini's `[formats]`) maps that to."""
    text = read_text(path, "draft", MAX_DRAFT_BYTES)
    if not text.strip():
        raise ContentloopError(
            "is empty; there is nothing to score.", path=path, fix="write the draft first."
        )
    return Draft(text, path=str(path), formats=formats or None)


MARKDOWN_SUFFIXES = (".md", ".mdx", ".markdown")
# Folders a documentation repository holds that are not its documents.
_NOT_DOCS = {"node_modules", "site-packages", "__pycache__"}


def expand_paths(
    paths: Sequence[Path],
    skipped: list[Path] | None = None,
    suffixes: tuple[str, ...] = MARKDOWN_SUFFIXES,
) -> list[Path]:
    """Files as given; folders become their Markdown files (.md, .mdx, .markdown), sorted,
    leaving out hidden folders (.git) and node_modules. In a folder, what is not a regular file
    (a dangling link, a FIFO, a link to a device) is not a draft: it is left out and added to
    `skipped`, so one such entry does not stop the folder."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = []
            for f in sorted(_markdown_under(p, suffixes)):
                if f.is_file():  # follows links: a link to a device or nowhere is not a file
                    found.append(f)
                elif skipped is not None and not f.is_dir():
                    skipped.append(f)
            if not found:
                raise ContentloopError(
                    f"holds no Markdown files ({', '.join(suffixes)}).",
                    path=p,
                    fix="name Markdown files or a folder of them.",
                )
            out.extend(found)
        else:
            out.append(p)
    return out


def _markdown_under(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _NOT_DOCS]
        found += [Path(root) / f for f in files if f.lower().endswith(suffixes)]
    return found


def score_files(
    paths: Sequence[Path],
    rubric: Rubric,
    judge: Judge | None = None,
    concurrency: int = 4,
    skipped: list[Path] | None = None,
    failed: list[tuple[Path, ContentloopError]] | None = None,
    cache: bool = False,
    jobs: int = 1,
    suffixes: tuple[str, ...] = MARKDOWN_SUFFIXES,
) -> list[ScoreCard]:
    """Read every file first, then score them together (rule checks on up to `jobs`
    processes). Entries of a folder that are not regular files are left out (see
    expand_paths). A file that cannot be a draft (not UTF-8, binary, empty, too large) stops
    the call when it is the only one; among several, it goes to `failed` if that list is
    given, so one bad file does not cost the others their scores."""
    files = expand_paths(paths, skipped, suffixes)
    drafts = []
    for path in files:
        try:
            drafts.append(read_draft(path, rubric.vale_formats))
        except ContentloopError as exc:
            if failed is None or len(files) == 1:
                raise
            failed.append((path, exc))
    return score_drafts(drafts, rubric, judge, concurrency, cache, jobs)
