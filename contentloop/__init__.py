"""contentloop: measure and improve LLM-written content.

Public API (the CLI is a thin layer over these)::

    from contentloop import load_rubric, score_text
    card = score_text(open("post.md").read(), load_rubric("imagine"))
    card.total, card.to_json()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import exports

if TYPE_CHECKING:
    from .checks import CheckResult, Draft, Evidence
    from .errors import ContentloopError
    from .rubric import Rubric, load_rubric
    from .scoring import ScoreCard, score_drafts, score_files, score_text

# Where each public name lives. They load on first use (PEP 562), so `contentloop --help`
# and commands that never check prose do not import pydantic models, spaCy or textstat.
_PUBLIC = {
    "CheckResult": "checks",
    "Draft": "checks",
    "Evidence": "checks",
    "ContentloopError": "errors",
    "Rubric": "rubric",
    "load_rubric": "rubric",
    "ScoreCard": "scoring",
    "score_drafts": "scoring",
    "score_files": "scoring",
    "score_text": "scoring",
}


__getattr__ = exports(__name__, _PUBLIC)


__all__ = [
    "CheckResult",
    "ContentloopError",
    "Draft",
    "Evidence",
    "Rubric",
    "ScoreCard",
    "load_rubric",
    "score_drafts",
    "score_files",
    "score_text",
]
__version__ = "0.1.0"
