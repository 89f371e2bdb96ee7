"""On-disk call cache: a re-run with the same inputs makes no backend call.

Key = sha256 of (backend identity, request). The identity holds backend, model and base URL,
never an API key; the request holds the sample index, so K samples are K entries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..atomic import write_text
from ..paths import home
from .types import Request, Response, Usage


def cache_key(identity: dict[str, Any], request: Request) -> str:
    material = json.dumps(
        {"id": identity, "req": request.key_material()}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(material.encode()).hexdigest()


class CallCache:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or home() / "cache" / "calls"

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> Response | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Response(
                text=data["text"],
                backend=data["backend"],
                model=data["model"],
                usage=Usage(**data["usage"]),
                cached=True,
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged entry is a miss; the fresh answer overwrites it

    def put(self, key: str, response: Response) -> None:
        data = {
            "text": response.text,
            "backend": response.backend,
            "model": response.model,
            "usage": asdict(response.usage),
        }
        write_text(self._path(key), json.dumps(data, ensure_ascii=False))
