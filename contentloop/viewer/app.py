"""The web app behind `contentloop view`: a few read-only pages over the run folders.

Everything shown is read through the same typed readers as `report` and `runs`
(report/data.py, rescore.read_record): no second parser of run files. Every path a page is
asked for must resolve inside one of the folders the app was given (a link, `..` or an
absolute path that leads elsewhere is a 404), and no route writes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

from . import pages


class Site:
    def __init__(self, roots: Sequence[Path], refresh: int) -> None:
        self.roots = [r.resolve() for r in roots]
        self.refresh = refresh

    def inside(self, raw: str | None, *, suffix: str | None = None) -> Path:
        """The path a page asks for, if it is inside a root; a 404 otherwise."""
        if not raw or "\x00" in raw:
            raise HTTPException(404, "no such path")
        path = Path(raw)
        resolved = (path if path.is_absolute() else Path.cwd() / path).resolve()
        ok = any(resolved == root or root in resolved.parents for root in self.roots)
        if not ok or not resolved.exists() or (suffix and resolved.suffix != suffix):
            raise HTTPException(404, "no such path here")
        return resolved

    async def runs(self, request: Request) -> HTMLResponse:
        q = request.query_params.get("q", "")
        kind = request.query_params.get("kind", "")
        return HTMLResponse(pages.runs_page(self.roots, q, kind, self.refresh))

    async def run(self, request: Request) -> HTMLResponse | RedirectResponse:
        folder = self.inside(request.query_params.get("path"))
        if (folder / "rescore.json").is_file():
            return RedirectResponse(f"/rescore?path={pages.quote(folder)}", status_code=303)
        return HTMLResponse(pages.run_page(folder, self.refresh))

    async def draft(self, request: Request) -> HTMLResponse:
        path = self.inside(request.query_params.get("path"), suffix=".md")
        other = request.query_params.get("vs")
        vs = self.inside(other, suffix=".md") if other else None
        return HTMLResponse(pages.draft_page(path, vs))

    async def card(self, request: Request) -> HTMLResponse:
        path = self.inside(request.query_params.get("path"), suffix=".json")
        return HTMLResponse(pages.card_page(path))

    async def rescore(self, request: Request) -> HTMLResponse:
        folder = self.inside(request.query_params.get("path"))
        return HTMLResponse(pages.rescore_page(folder, self.refresh))


def make_app(roots: Sequence[Path], refresh: int = pages.REFRESH_S) -> Starlette:
    """The app over `roots` (drafts/, runs/, and any other folder of runs); a live run's pages
    reload every `refresh` seconds."""
    site = Site(roots, refresh)
    return Starlette(
        routes=[
            Route("/", site.runs),
            Route("/run", site.run),
            Route("/draft", site.draft),
            Route("/rescore", site.rescore),
            Route("/card", site.card),
        ],
        exception_handlers={HTTPException: pages.error_page},
    )
