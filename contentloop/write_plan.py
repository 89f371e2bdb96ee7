"""What a `write` will cost before it runs (`write --dry-run`): calls, tokens and dollars at
most, if every topic uses every cycle (a run that reaches --target stops sooner). Models are
(backend, model) names: pricing needs no key and no server."""

from __future__ import annotations

from typing import Any

from .rubric import Rubric
from .skill import Skill
from .topic import Topic
from .write_confirm import ROUNDS

# Rough token counts: 4 characters a token, 1.4 tokens a word, a verdict of ~600 tokens, and
# ~300 tokens of feedback (the failed checks, the weakest criterion) in a revise request.
CHARS_PER_TOKEN = 4
TOKENS_PER_WORD = 1.4
VERDICT_TOKENS = 600
FEEDBACK_TOKENS = 300


def plan_write(
    topics: list[Topic],
    skill: Skill,
    rubric: Rubric,
    writer: tuple[str, str],
    judges: list[tuple[str, str]],
    *,
    cycles: int,
    judge_samples: int,
    batch: bool = False,
) -> dict[str, Any]:
    from .judge import system_prompt
    from .llm.ledger import BATCH_PRICE, estimate_usd

    versions = len(topics) * (cycles + 1)
    words = sum(t.target_words for t in topics) / max(1, len(topics))
    draft_out = words * TOKENS_PER_WORD
    first_in = len(skill.prompt) / CHARS_PER_TOKEN + 150
    revise_in = first_in + draft_out + FEEDBACK_TOKENS  # the draft goes back with the feedback
    writer_in = len(topics) * first_in + len(topics) * cycles * revise_in
    writer_out = versions * draft_out
    # After the cycles, v0 and the best revision are judged again (write_confirm.py).
    confirm = len(topics) * 2 * ROUNDS * judge_samples if cycles else 0
    verdicts = versions * judge_samples + confirm
    judge_in = verdicts * (len(system_prompt(rubric)) / CHARS_PER_TOKEN + draft_out)
    judge_out = verdicts * VERDICT_TOKENS
    parts = [(*writer, writer_in, writer_out)] + [(*j, judge_in, judge_out) for j in judges]
    return {
        "topics": len(topics),
        "versions_max": versions,
        "writer_calls_max": versions,
        "judge_calls_max": verdicts * len(judges),
        "confirm_judge_calls_max": confirm * len(judges),
        "final_rule": f"v0 and the best revision judged {ROUNDS} more times each, interleaved; "
        "the revision is the final only if its fresh mean is above v0's",
        "input_tokens_max": int(sum(p[2] for p in parts)),
        "output_tokens_max": int(sum(p[3] for p in parts)),
        "cost_usd_max": _times(estimate_usd(parts), BATCH_PRICE if batch else 1.0),
        "batch": batch,
        "writer": ":".join(writer),
        "judge": ", ".join(":".join(j) for j in judges),
    }


def _times(usd: float | None, factor: float) -> float | None:
    return None if usd is None else round(usd * factor, 4)
