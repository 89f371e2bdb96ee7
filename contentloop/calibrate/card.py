"""The calibration card: what `contentloop calibrate` measured about one judge on one rubric,
and where `write` and `optimize-skill` find it.

Cards live in calibration/cards/ (next to the sets, so a team can commit and review them),
one file per (rubric name and hash, judge backend, judge model). A card goes stale when the
rubric or the judge's prompt changes: its numbers describe a judge that no longer exists.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from ..atomic import write_text
from ..errors import ContentloopError
from ..rubric import Rubric
from .measures import Measure

CARDS_DIR = Path("calibration") / "cards"
SCHEMA_VERSION = 1
State = Literal["passed", "failed", "stale", "missing"]


def judge_prompt_sha256() -> str:
    """The judge's prompt templates: a card made with other templates describes another judge."""
    h = hashlib.sha256()
    folder = resources.files("contentloop") / "templates"
    for name in ("judge_system.jinja", "judge_user.jinja", "judge_repair.jinja"):
        h.update((folder / name).read_bytes())
    return h.hexdigest()


class Card(BaseModel):
    schema_version: int = SCHEMA_VERSION
    passed: bool
    judge: dict[str, Any]  # backend, model, samples; members for a panel
    rubric: dict[str, str]  # name, sha256
    judge_prompt_sha256: str
    calibration_set: dict[str, Any]  # path, sha256, drafts
    measures: list[Measure]
    noise: dict[str, float]  # test-retest SD per criterion and "total" (judge points)
    calls: dict[str, Any]  # calls, cached_calls, tokens, cost_usd
    created: str
    notes: list[str] = []

    def failures(self) -> list[Measure]:
        return [m for m in self.measures if not m.passed]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "model"


def card_path(cards: Path, rubric: Rubric, backend: str, model: str) -> Path:
    return cards / f"{rubric.name}-{rubric.sha256[:12]}" / f"{_slug(backend)}--{_slug(model)}.json"


def save_card(card: Card, path: Path) -> None:
    write_text(path, json.dumps(card.to_json(), indent=2, ensure_ascii=False) + "\n")


def load_card(path: Path) -> Card:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Card.model_validate(data)
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ContentloopError(
            f"is not a calibration card this version can read ({str(exc).splitlines()[0]}).",
            path=path,
            fix="run `contentloop calibrate` again to make a new card.",
        ) from None


class CardStatus(BaseModel):
    """What a command says about its judge's calibration at start, and records."""

    state: State
    path: str
    judge: str  # backend:model
    rubric: str
    retest_sd_total: float | None = None
    failed: list[str] = []
    created: str | None = None
    measures: list[dict[str, Any]] = []  # name, value, threshold, rule, passed (for reports)

    def line(self) -> str:
        where = f"({self.path})"
        if self.state == "missing" and self.judge.startswith("local:"):
            return (
                "judge calibration: none; the embedded demo model fails calibration (its verdicts "
                "barely follow a draft made worse), so its scores show how the tool works, not "
                "how good a draft is."
            )
        if self.state == "missing":
            return (
                f"judge calibration: none for {self.judge} on rubric {self.rubric}; how far to trust "
                f"its scores is unmeasured. Run: contentloop calibrate --rubric {self.rubric.split('@')[0]} "
                f"--judge-backend {self.judge.split(':', 1)[0]} --judge-model {self.judge.split(':', 1)[1]}"
            )
        if self.state == "stale":
            return (
                f"judge calibration: stale {where}: the judge's prompt changed since it was made; "
                "run contentloop calibrate again."
            )
        noise = (
            f"; test-retest SD {self.retest_sd_total:g} judge points"
            if self.retest_sd_total is not None
            else ""
        )
        if self.state == "passed":
            return f"judge calibration: passed {where}{noise}"
        return f"judge calibration: FAILED on {', '.join(self.failed)} {where}{noise}"

    def to_json(self) -> dict[str, Any]:
        return self.model_dump()


def card_status(
    cards: Path, rubric: Rubric, backend: str, model: str
) -> tuple[CardStatus, Card | None]:
    """The card for this judge and rubric, if any, and its state."""
    path = card_path(cards, rubric, backend, model)
    base = {
        "path": str(path),
        "judge": f"{backend}:{model}",
        "rubric": f"{rubric.name}@{rubric.sha256[:12]}",
    }
    if not path.exists():
        return CardStatus(state="missing", **base), None
    card = load_card(path)
    state: State
    if card.judge_prompt_sha256 != judge_prompt_sha256():
        state = "stale"
    else:
        state = "passed" if card.passed else "failed"
    return (
        CardStatus(
            state=state,
            retest_sd_total=card.noise.get("total"),
            failed=[m.name for m in card.failures()],
            created=card.created,
            measures=[
                {
                    "name": m.name,
                    "value": m.value,
                    "threshold": m.threshold,
                    "rule": m.rule,
                    "passed": m.passed,
                }
                for m in card.measures
            ],
            **base,
        ),
        card,
    )
