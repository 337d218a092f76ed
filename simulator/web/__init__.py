"""The web e-tjänst under /lefi/ and the QA dashboard at /_admin/ui (server-rendered)."""

from __future__ import annotations

from aiohttp import web

from simulator.web import dashboard, etjanst

__all__ = ["setup"]


def setup(app: web.Application) -> None:
    etjanst.setup(app)
    dashboard.setup(app)
