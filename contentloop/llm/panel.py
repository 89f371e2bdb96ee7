"""A panel of judges: several models asked the same question, their verdicts averaged.

Panels of smaller judges from different families agreed with people better than one large
judge at a fraction of the cost (PoLL). The panel is a Backend only so that everything that
takes "the judge's backend" (write, optimize-skill, --resume, the calibration card) takes a
panel too; it is never called itself: `Judge` asks each member and keeps every verdict.
"""

from __future__ import annotations

from typing import Any

from .types import Backend, BackendError, Request, Response


class PanelBackend:
    name = "panel"

    def __init__(self, members: list[Backend]) -> None:
        if len(members) < 2:
            raise ValueError("a panel needs at least two members")
        self.members = members
        self.model = "+".join(f"{m.name}:{m.model}" for m in members)

    @property
    def cache_identity(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model,
            "members": [m.cache_identity for m in self.members],
        }

    async def acomplete(self, request: Request) -> Response:
        raise BackendError("a judge panel is not called directly: Judge asks each member.")

    def complete(self, request: Request) -> Response:
        raise BackendError("a judge panel is not called directly: Judge asks each member.")
