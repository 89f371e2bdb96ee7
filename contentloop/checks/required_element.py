"""`required_element`: a heading, a labelled blockquote or paragraph that must exist."""

from __future__ import annotations

from typing import Literal

import regex
from pydantic import Field, PrivateAttr, model_validator

from .base import (
    IGNORECASE,
    CheckConfig,
    Evidence,
    Finding,
    compile_regex,
    register,
    search,
)
from .prose import Draft


class RequiredElementConfig(CheckConfig):
    type: Literal["required_element"]
    label: str = Field(
        description="What the element is called in messages, e.g. 'key insight box'."
    )
    where: list[Literal["heading", "blockquote", "paragraph"]] = Field(
        default=["heading", "blockquote"], min_length=1
    )
    patterns: list[str] = Field(
        min_length=1, description="Regexes matched case-insensitively against the block's Markdown."
    )
    _compiled: list[regex.Pattern[str]] = PrivateAttr()

    @model_validator(mode="after")
    def _compile(self) -> RequiredElementConfig:
        self._compiled = [compile_regex(p, IGNORECASE) for p in self.patterns]
        return self


@register(RequiredElementConfig)
def required_element(draft: Draft, cfg: RequiredElementConfig) -> Finding:
    for block in draft.blocks:
        where = (
            "heading"
            if block.kind == "heading"
            else ("blockquote" if block.container == "blockquote" else "paragraph")
        )
        if where not in cfg.where:
            continue
        content = block.content.strip()
        if any(search(rx, content) for rx in cfg._compiled):
            return Finding([], f"{cfg.label} found at line {block.line}")
    places = " or ".join(cfg.where)
    return Finding(
        [Evidence(text=f"no {places} matching the {cfg.label} patterns", line=None)],
        f"missing {cfg.label}",
    )
