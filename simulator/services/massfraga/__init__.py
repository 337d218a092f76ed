"""Massfråga: jobs of many persons answered by the engine in the background, over REST, SSEK
AsynchPull and SHS asynch."""

from __future__ import annotations

from aiohttp import web

__all__ = ["setup"]


def setup(app: web.Application) -> None:
    """Massfråga's three bindings, and its jobs (durable) and background worker in the registry."""
    # imported here: the bindings import the package's modules, the package must not import them first
    from simulator.runtime.registry import Service, register
    from simulator.services.massfraga import jobs, rest, shs, ssek

    rest.setup(app)
    ssek.setup(app)
    shs.setup(app)
    register(app, Service("massfraga", kinds=jobs.KINDS, contexts=(jobs.worker(app),)))
