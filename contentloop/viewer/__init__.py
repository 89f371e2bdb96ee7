"""`contentloop view`: every run under drafts/ and runs/ in a browser, read-only."""

from .app import make_app

__all__ = ["make_app"]
