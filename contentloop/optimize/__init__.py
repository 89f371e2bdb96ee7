"""The autoresearch loop over a skill: propose one section edit, evaluate it in stages against
the best, keep or revert by a sequential paired test, log; confirm the gain with fresh drafts."""

from .gate import GatePlan, StageVerdict, judge_stage
from .harness import harness_sha256
from .loop import OptimizeRun
from .proposer import Proposal, ProposalRefused, parse_proposal
from .records import Record, RunState, replay
from .samples import Sample, SampleBank
from .spec import Backends, Budget, RunSpec, load_spec
from .stats import Difference, Noise, detectable_effect, paired_difference, pooled_noise

__all__ = [
    "Backends",
    "Budget",
    "Difference",
    "GatePlan",
    "Noise",
    "OptimizeRun",
    "Proposal",
    "ProposalRefused",
    "Record",
    "RunSpec",
    "RunState",
    "Sample",
    "SampleBank",
    "StageVerdict",
    "detectable_effect",
    "harness_sha256",
    "judge_stage",
    "load_spec",
    "paired_difference",
    "parse_proposal",
    "pooled_noise",
    "replay",
]
