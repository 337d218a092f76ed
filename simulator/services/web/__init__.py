"""The web e-tjänst under /lefi/ (server-rendered, in Swedish)."""

from __future__ import annotations

from aiohttp import web

from simulator.services.web import etjanst
from simulator.services.web.errors import error_pages, owns

__all__ = ["setup", "owns"]


def setup(app: web.Application) -> None:
    etjanst.setup(app)
    app.middlewares.append(error_pages)  # under /lefi/ only: its HTML error page, never plain text
