"""The autoresearch loop over a skill: propose one section edit, evaluate it in stages against
the best, keep or revert by a sequential paired test, log; confirm the gain with fresh drafts."""

from .gate import GatePlan, StageVerdict, judge_stage
from .harness import harness_sha256
from .loop import Budget, OptimizeRun
from .proposer import Proposal, ProposalRefused, parse_proposal
from .records import Record, RunState, replay
from .samples import Sample, SampleBank
from .stats import Difference, Noise, detectable_effect, paired_difference, pooled_noise

__all__ = [
    "Budget",
    "Difference",
    "GatePlan",
    "Noise",
    "OptimizeRun",
    "Proposal",
    "ProposalRefused",
    "Record",
    "RunState",
    "Sample",
    "SampleBank",
    "StageVerdict",
    "detectable_effect",
    "harness_sha256",
    "judge_stage",
    "paired_difference",
    "parse_proposal",
    "pooled_noise",
    "replay",
]
