"""contentloop: measure and improve LLM-written content.

Public API (the CLI is a thin layer over these)::

    from contentloop import load_rubric, score_text
    card = score_text(open("post.md").read(), load_rubric("imagine"))
    card.total, card.to_json()
"""

from .checks import CheckResult, Draft, Evidence
from .errors import ContentloopError
from .rubric import Rubric, load_rubric
from .scoring import ScoreCard, score_drafts, score_files, score_text

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
