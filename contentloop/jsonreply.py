"""Pulling the JSON object out of a model's reply (code fences and chatter around it allowed)."""

from __future__ import annotations

import json
import re
from typing import Any


def json_object(text: str) -> dict[str, Any]:
    """The first-to-last-brace JSON object in `text`; ValueError says what is wrong."""
    body = text.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", body, re.S)
    if fenced:
        body = fenced.group(1).strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("it is not JSON (no JSON object found)")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ValueError(f"it is not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(data, dict):
        raise ValueError("the JSON is not an object")
    return data
