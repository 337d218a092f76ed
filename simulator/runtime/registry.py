"""The services mounted on an app, and what each one keeps: so that a reset, the control
bus and start/stop go through one list instead of naming every service's stores by hand.

Each service registers itself in its own ``setup()`` with ``register(app, Service(...))``:
its durable state kinds (forgotten on reset, once: the durable store is shared by workers),
its in-memory stores (cleared on reset in every worker: each keeps its own), a reset of its
own for anything else shared, and its start/stop as aiohttp cleanup contexts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from simulator.stores.durable import Durable

__all__ = [
    "Clearable",
    "Service",
    "Registry",
    "REGISTRY",
    "register",
    "registry_of",
    "Products",
    "products_of",
]

CleanupContext = Callable[[web.Application], AsyncIterator[None]]


class Clearable(Protocol):
    """An in-memory store a reset empties (BoundedStore, DeliveryStore, AnswerCache)."""

    def clear(self) -> None: ...


@dataclass(frozen=True)
class Service:
    name: str
    kinds: tuple[str, ...] = ()  # durable state kinds, forgotten on reset
    memory: tuple[Clearable, ...] = ()  # in-memory stores, cleared on reset
    reset: Callable[[], Awaitable[None]] | None = None  # the rest of a shared reset (once, not per worker)
    contexts: tuple[CleanupContext, ...] = ()  # start/stop while the app runs


@dataclass
class Registry:
    services: list[Service] = field(default_factory=list)
    # SHS product types answered at /mt by other services, by product id: per app, so that two
    # apps in one process do not share them (the value is services.online.shs.Product)
    products: dict[str, Any] = field(default_factory=dict)

    def names(self) -> list[str]:
        return [s.name for s in self.services]

    def kinds(self) -> tuple[str, ...]:
        return tuple(k for s in self.services for k in s.kinds)

    def clear_memory(self) -> None:
        """Empties every service's in-memory stores: each worker does it for itself."""
        for service in self.services:
            for store in service.memory:
                store.clear()

    async def reset_shared(self, durable: Durable) -> None:
        """Forgets every service's durable state and runs their own resets: the state workers
        share, so once for a reset, by the worker the admin call reached."""
        for service in self.services:
            if service.reset is not None:
                await service.reset()
        kinds = self.kinds()
        if kinds:
            await durable.forget(kinds)


REGISTRY = web.AppKey("service_registry", Registry)
Products = dict[str, Any]


def registry_of(app: web.Application) -> Registry:
    """The app's registry, made on first use (setups run before the app is frozen)."""
    if REGISTRY not in app:
        app[REGISTRY] = Registry()
    return app[REGISTRY]


def register(app: web.Application, service: Service) -> None:
    """Adds ``service`` to the app's registry and starts its contexts with the app."""
    reg = registry_of(app)
    if service.name in reg.names():
        raise ValueError(f"service {service.name!r} is registered twice")
    reg.services.append(service)
    app.cleanup_ctx.extend(service.contexts)


def products_of(app: web.Application) -> Products:
    """The SHS product types registered on this app."""
    return registry_of(app).products
