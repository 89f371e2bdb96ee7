"""The autoresearch loop over a skill: propose one section edit, evaluate, keep or revert, log."""

from .evaluate import EvalResult, evaluate
from .gate import Decision, decide, noise_floor
from .harness import harness_sha256
from .loop import Budget, OptimizeRun
from .proposer import Proposal, ProposalRefused, parse_proposal

__all__ = [
    "Budget",
    "Decision",
    "EvalResult",
    "OptimizeRun",
    "Proposal",
    "ProposalRefused",
    "decide",
    "evaluate",
    "harness_sha256",
    "noise_floor",
    "parse_proposal",
]
