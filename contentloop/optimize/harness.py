"""The eval harness (rubric + judge prompt + topics) is fixed for a run: its hash goes with
every result, and scores are never compared across different hashes."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from ..rubric import Rubric
from ..topic import Topic


def harness_sha256(rubric: Rubric, topics: list[Topic], holdout: list[Topic] | None = None) -> str:
    h = hashlib.sha256()
    h.update(rubric.sha256.encode())
    templates = resources.files("contentloop").joinpath("templates")
    for name in ("judge_system.jinja", "judge_user.jinja", "judge_repair.jinja"):
        h.update(templates.joinpath(name).read_bytes())
    for topic in (
        sorted(topics, key=lambda t: t.slug) + [None] + sorted(holdout or [], key=lambda t: t.slug)
    ):
        if topic is None:
            h.update(b"--holdout--")
            continue
        h.update(topic.slug.encode())
        h.update(Path(topic.path).read_bytes() if topic.path else topic.model_dump_json().encode())
    return h.hexdigest()
