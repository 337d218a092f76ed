"""The web e-tjänst under /lefi/ (server-rendered, in Swedish)."""

from __future__ import annotations

from aiohttp import web

from simulator.services.web import etjanst
from simulator.services.web.errors import error_page, owns

__all__ = ["setup", "owns", "error_page"]


def setup(app: web.Application) -> None:
    etjanst.setup(app)
