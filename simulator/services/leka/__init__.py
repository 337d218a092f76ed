"""LEKA: subscriptions on persons, notifications as the clock passes timeline events, pushed or
fetched over SOAP/SSEK."""

from __future__ import annotations

from aiohttp import web

__all__ = ["setup"]


def setup(app: web.Application) -> None:
    """LEKA's SOAP/SSEK binding, and its subscriptions (durable) and notifier in the registry."""
    # imported here: the modules import the package, the package must not import them first
    from simulator.runtime.registry import Service, register
    from simulator.services.leka import soap, subscriptions

    soap.setup(app)
    register(app, Service("leka", kinds=subscriptions.KINDS, contexts=(subscriptions.notifier_context,)))
