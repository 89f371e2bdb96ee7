"""Deterministic checks. Importing this package registers every check type."""

from . import banned_terms, lead_pivot, pattern, pronoun, readability, required_element  # noqa: F401
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
