"""`vale`: one rule of a Vale style package, as a binary check.

These checks are normally generated from the rubric's `binary.vale` section (one per rule the
.vale.ini enables; see rubric.expand_vale). Writing one by hand under `binary.checks` with the
same `rule` overrides the generated one: its own id, deduction per level, cap and fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from .base import CheckConfig, Evidence, Finding, context_of, register
from .prose import Draft


class Alert(Protocol):
    text: str
    line: int
    column: int
    message: str


class ValeRules(Protocol):
    """What a vale check asks of the compiled style packages (vale.styles.RuleSet). A
    protocol, so that checks/ stays below vale/, which builds on it."""

    def level_of(self, rule: str, path: str) -> str | None: ...

    def reads_sentences(self, rule: str) -> bool: ...

    def alerts(self, rule: str, draft: Draft) -> Sequence[Alert]: ...


Level = Literal["suggestion", "warning", "error"]


class ValeSettings(BaseModel):
    """`binary.vale`: every rule a .vale.ini enables becomes a check, scored by its level."""

    model_config = ConfigDict(extra="forbid")
    config: str = Field(min_length=1, description="Path to a .vale.ini, relative to the rubric.")
    deductions: dict[Literal["suggestion", "warning", "error"], float] = Field(
        default_factory=lambda: {"suggestion": 0.0, "warning": 1.0, "error": 2.0}
    )
    per: Literal["occurrence", "document"] = "occurrence"
    cap: float | None = Field(default=5.0, ge=0, description="Most one rule can take off.")

    @field_validator("deductions")
    @classmethod
    def _non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in value.items() if v < 0]
        if bad:
            raise ValueError(f"deductions must be 0 or more; {', '.join(bad)} is negative")
        return value


class ValeCheck(CheckConfig):
    type: Literal["vale"]
    rule: str = Field(
        pattern=r"^[^.\s]+\.[^\s]+$", description='"Style.Rule", e.g. "write-good.Weasel".'
    )
    deduction: float = Field(default=0, ge=0)  # unused: the level's deduction applies
    deductions: dict[Level, float] = Field(
        default_factory=lambda: {"suggestion": 0.0, "warning": 1.0, "error": 2.0},
        description="Points per alert (or per document) at each Vale level.",
    )
    per: Literal["occurrence", "document"] = "occurrence"
    _ruleset: ValeRules | None = PrivateAttr(default=None)

    def points_for(self, draft: Draft) -> float:
        level = self._level(draft)
        return self.deductions.get(level, 0.0) if level else 0.0

    def switch_names(self) -> tuple[set[str], set[str]]:
        return {"contentloop", "vale"}, {self.id, self.rule, self.rule.split(".", 1)[0]}

    def _level(self, draft: Draft) -> str | None:
        assert self._ruleset is not None, "load_rubric attaches the rule set"
        return self._ruleset.level_of(self.rule, draft.path or "draft.md")


def _chunks(draft: Draft, cfg: ValeCheck) -> range:
    """Every chunk, for a rule read sentence by sentence; none for the others."""
    assert cfg._ruleset is not None, "load_rubric attaches the rule set"
    if cfg._level(draft) is None or not cfg._ruleset.reads_sentences(cfg.rule):
        return range(0)
    return range(len(draft.chunks))


@register(ValeCheck, needs=_chunks)
def vale(draft: Draft, cfg: ValeCheck) -> Finding:
    assert cfg._ruleset is not None, "load_rubric attaches the rule set"
    level = cfg._level(draft)
    if level is None:
        return Finding([], f"{cfg.rule} does not apply to this file")
    hits = [
        Evidence(
            text=a.text,
            line=a.line,
            column=a.column,
            context=context_of(draft, a.line),
            message=a.message,
        )
        for a in cfg._ruleset.alerts(cfg.rule, draft)
    ]
    if not hits:
        return Finding([], f"{cfg.rule}: no alerts", cfg.rule, level)
    return Finding(hits, f"{cfg.rule} ({level}): {hits[0].message}", cfg.rule, level)
