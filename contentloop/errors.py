"""User-facing errors: one paragraph that names the file, the field or line, and the fix."""

from __future__ import annotations

from pathlib import Path


class ContentloopError(Exception):
    """Bad input or a failed external call that the user can fix.

    The CLI prints `str(error)` (never a traceback) and exits with code 2.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line is not None:
                where += f", line {self.line}"
        if self.field:
            where = f"{where}, field {self.field}" if where else f"field {self.field}"
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text += f" Fix: {self.fix}"
        return text
