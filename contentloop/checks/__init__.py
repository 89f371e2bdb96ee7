"""Deterministic checks. Importing this package registers every check type."""

from . import (  # noqa: F401 - importing registers each check type
    banned_terms,
    evaluator_address,
    lead_pivot,
    pattern,
    pronoun,
    readability,
    repetition,
    required_element,
    vale_rule,
)
from .base import REGISTRY, CheckConfig, CheckResult, Evidence, Finding, register, run_check
from .prose import Block, Draft

__all__ = [
    "REGISTRY",
    "Block",
    "CheckConfig",
    "CheckResult",
    "Draft",
    "Evidence",
    "Finding",
    "register",
    "run_check",
]
