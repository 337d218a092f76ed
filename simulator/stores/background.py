"""Background work of the asynchronous services (massfråga's worker, LEKA's notifier): one
holder per durable store at a time (a lease, so that several workers share the work), run
for as long as the app runs, waiting out a store that is away."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from simulator.stores.durable import Durable, is_outage

__all__ = ["Lease", "repeat", "task_context", "OUTAGE_SECONDS"]

log = logging.getLogger("simulator.background")

OUTAGE_SECONDS = 5.0  # how long background work waits for a store that is away


class Lease:
    """This process's claim on the background work called ``name``."""

    def __init__(self, durable: Durable, name: str, seconds: float) -> None:
        self.durable, self.name, self.seconds = durable, name, seconds
        self.holder = str(uuid.uuid4())

    async def held(self) -> bool:
        """True when this process holds it now (taken, or renewed); a dead holder's lease
        lapses after ``seconds``."""
        return await self.durable.lease(self.name, self.holder, self.seconds)


async def repeat(
    name: str, wait: Callable[[], Awaitable[object]], step: Callable[[], Awaitable[None]]
) -> None:
    """``step`` after each ``wait``, until cancelled: a store outage is a warning and a pause,
    anything else is logged in full and the work goes on."""
    while True:
        await wait()
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a store outage waits; anything else is logged in full
            if not is_outage(exc):
                log.exception("%s failed", name)
            else:
                log.warning("%s: the durable store is unreachable (%s); trying again", name, exc)
                await asyncio.sleep(OUTAGE_SECONDS)


def task_context(
    run: Callable[[web.Application], Awaitable[None]],
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup_ctx running ``run(app)`` from start-up to shutdown."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.ensure_future(run(app))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
