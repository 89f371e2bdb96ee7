"""A topic: what one post is about, as YAML the user writes (topics/*.yaml)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from .errors import ContentloopError
from .paths import safe_stem
from .yamlio import load_model


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=3)
    audience: str = Field(min_length=3)
    angle: str = Field(min_length=3, description="The argument the post makes.")
    facts: list[str] = Field(
        default_factory=list, description="Facts and figures the post may use."
    )
    target_words: int = Field(default=900, ge=100, le=5000)
    notes: str = ""
    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def slug(self) -> str:
        from_title = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:60] or "topic"
        if self._path is not None:
            return safe_stem(self._path.stem, from_title)
        return from_title


def load_topic(path: str | Path) -> Topic:
    topic = load_model(Path(path), Topic, "topic file")
    topic._path = Path(path)
    return topic


def load_topics(folder: str | Path) -> list[Topic]:
    """Every *.yaml directly in `folder`, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ContentloopError(
            "no such topics folder.", path=folder, fix="pass a folder of topic YAML files."
        )
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise ContentloopError("holds no topic files (*.yaml).", path=folder)
    return [load_topic(p) for p in paths]
