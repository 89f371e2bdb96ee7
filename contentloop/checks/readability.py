"""`readability`: a textstat metric of the prose must fall in an allowed range."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from .base import CheckConfig, Evidence, Finding, register
from .nlp import textstat_ready
from .prose import Draft

Metric = Literal[
    "flesch_reading_ease",
    "flesch_kincaid_grade",
    "gunning_fog",
    "smog_index",
    "coleman_liau_index",
    "automated_readability_index",
    "dale_chall_readability_score",
    "linsear_write_formula",
]


class ReadabilityConfig(CheckConfig):
    type: Literal["readability"]
    metric: Metric
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _range(self) -> ReadabilityConfig:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


def measure(text: str, metric: str) -> float:
    import textstat  # about 0.5 s to import: only when a readability check runs

    textstat_ready()
    return float(getattr(textstat, metric)(text))


@register(ReadabilityConfig)
def readability(draft: Draft, cfg: ReadabilityConfig) -> Finding:
    text = draft.prose_text()
    if not text.strip():
        return Finding([Evidence(text="(no prose paragraphs)", line=None)], "no prose to measure")
    value = round(measure(text, cfg.metric), 1)
    allowed = f"{'' if cfg.min is None else cfg.min}..{'' if cfg.max is None else cfg.max}"
    if (cfg.min is not None and value < cfg.min) or (cfg.max is not None and value > cfg.max):
        return Finding(
            [Evidence(text=f"{cfg.metric} = {value} (allowed {allowed})", line=None)],
            f"{cfg.metric} {value} is outside {allowed}",
        )
    return Finding([], f"{cfg.metric} {value} within {allowed}")
