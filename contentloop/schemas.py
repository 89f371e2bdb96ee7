"""JSON schemas for structured replies, generated from the pydantic models that validate
those replies, so what a model is asked for and what is accepted cannot drift apart."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def reply_schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with every $ref inlined and titles and docstrings dropped:
    providers' and llama.cpp's schema support differ most on $defs, and the rest is tokens."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: inline(v) for k, v in node.items() if k not in ("title", "description")}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(schema)
