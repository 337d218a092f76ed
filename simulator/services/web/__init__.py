"""The web e-tjänst under /lefi/ (server-rendered, in Swedish)."""

from __future__ import annotations

from aiohttp import web

from simulator.services.web import etjanst

__all__ = ["setup"]


def setup(app: web.Application) -> None:
    etjanst.setup(app)
