"""Admin changes shared by every worker and host that share a Redis (``--redis``).

With several workers (or hosts behind a load balancer), an admin call reaches the one
that takes its connection. So that all of them keep one clock — the SLA counts in Redis
are only right if they do — and the same fault rules and scenario, each change made
through the admin API is published on a Redis channel and applied by the others. The
journal stays per worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, AsyncIterator

from aiohttp import web
from pydantic import TypeAdapter

from simulator.runtime.sandbox import Sandbox
from simulator.scenario.loader import ScenarioError, load_scenario, parse_scenario
from simulator.scenario.models import FaultRule
from simulator.scenario.store import make_store

__all__ = ["ControlBus", "CONTROL", "control_context"]

log = logging.getLogger("simulator.control")
CHANNEL = "lefi:control"
_RULES = TypeAdapter(list[FaultRule])


class ControlBus:
    def __init__(self, url: str, sandbox: Sandbox) -> None:
        import redis.asyncio as redis  # only with --redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=2)
        self.sandbox = sandbox
        self.origin = uuid.uuid4().hex  # our own messages come back too: skip them
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    # -- sending ------------------------------------------------------------------------
    async def publish(self, op: str, **data: Any) -> None:
        try:
            await self.client.publish(CHANNEL, json.dumps({"origin": self.origin, "op": op, **data}))
        except Exception as exc:  # the change stands here; say that the others missed it
            log.warning("could not share the admin change %s with the other workers: %s", op, exc)

    async def clock_changed(self) -> None:
        clock = self.sandbox.clock
        await self.publish("clock", now=clock.now().isoformat(), wall=time.time(), frozen=clock.frozen,
                           real=clock.following_real_time)

    async def faults_changed(self) -> None:
        rules = [r.model_dump(mode="json", by_alias=True, exclude_none=True) for r in self.sandbox.faults.rules()]
        await self.publish("faults", rules=rules)

    # -- receiving ----------------------------------------------------------------------
    async def run(self) -> None:
        """Listens until cancelled; a lost Redis is retried every few seconds."""
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("admin changes from other workers are not received (Redis: %s); retrying", exc)
                self._ready.set()
                await asyncio.sleep(5)

    async def _listen(self) -> None:
        pubsub = self.client.pubsub()
        try:
            await pubsub.subscribe(CHANNEL)
            self._ready.set()
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    await self._apply(json.loads(message["data"]))
                except Exception:  # one bad message must not stop the bus
                    log.exception("could not apply an admin change from another worker")
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _apply(self, msg: dict[str, Any]) -> None:
        if msg.get("origin") == self.origin:
            return
        sandbox, op = self.sandbox, msg.get("op")
        if op == "clock":
            if msg["real"]:
                sandbox.clock.follow_real_time()
            else:
                when = datetime.fromisoformat(msg["now"])
                if not msg["frozen"]:  # running: as far on as the message took to arrive
                    when += timedelta(seconds=max(0.0, time.time() - msg["wall"]))
                sandbox.clock.set(when)
            sandbox.clock.frozen = bool(msg["frozen"])
        elif op == "faults":
            sandbox.faults.replace(tuple(_RULES.validate_python(msg["rules"])))
        elif op == "reset":
            await sandbox.reset()
        elif op == "journal_clear":
            sandbox.journal.clear()
        elif op == "journal_size":
            sandbox.journal.resize(int(msg["size"]))
        elif op in ("scenario", "reload"):
            try:
                if op == "scenario":
                    scenario = await asyncio.to_thread(parse_scenario, msg["text"], msg.get("name", "<shared>"))
                    source = None
                else:
                    if sandbox.source is None:
                        return
                    scenario, source = await asyncio.to_thread(load_scenario, sandbox.source), sandbox.source
                store = await asyncio.to_thread(make_store, scenario, source or sandbox.source)
            except ScenarioError as exc:
                log.warning("a scenario another worker loaded is refused here: %s", exc)
                return
            sandbox.install(store, source, reset_clock=not msg.get("keep_clock", op == "reload"))

    async def close(self) -> None:
        await self.client.aclose()


CONTROL = web.AppKey("control", ControlBus)


async def control_context(app: web.Application) -> AsyncIterator[None]:
    """An aiohttp cleanup context: the bus runs while the app does."""
    bus = app[CONTROL]
    task = asyncio.create_task(bus.run())
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(bus._ready.wait(), timeout=5)
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    await bus.close()



