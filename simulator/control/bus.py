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
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web
from pydantic import TypeAdapter

from simulator.control import loading
from simulator.runtime.sandbox import Sandbox
from simulator.scenario.loader import ScenarioError
from simulator.scenario.models import FaultRule

__all__ = [
    "ControlBus",
    "CONTROL",
    "control_context",
    "Op",
    "Message",
    "ClockChanged",
    "FaultsChanged",
    "Reset",
    "JournalCleared",
    "JournalResized",
    "ScenarioLoaded",
    "ScenarioReloaded",
    "encode",
    "decode",
]

log = logging.getLogger("simulator.control")
CHANNEL = "lefi:control"
_RULES = TypeAdapter(list[FaultRule])


# -- the messages ---------------------------------------------------------------------------
class Op(str, Enum):
    """A message's kind: its ``op`` on the wire."""

    CLOCK = "clock"
    FAULTS = "faults"
    RESET = "reset"
    JOURNAL_CLEAR = "journal_clear"
    JOURNAL_SIZE = "journal_size"
    SCENARIO = "scenario"
    RELOAD = "reload"


@dataclass(frozen=True)
class ClockChanged:
    op: ClassVar[Op] = Op.CLOCK
    now: str  # ISO date-time
    wall: float  # when it was sent (time.time()): a running clock moves on by the delay
    frozen: bool
    real: bool  # following real time


@dataclass(frozen=True)
class FaultsChanged:
    op: ClassVar[Op] = Op.FAULTS
    rules: list[dict[str, Any]] = field(default_factory=list)  # as the admin API's JSON


@dataclass(frozen=True)
class Reset:
    op: ClassVar[Op] = Op.RESET


@dataclass(frozen=True)
class JournalCleared:
    op: ClassVar[Op] = Op.JOURNAL_CLEAR


@dataclass(frozen=True)
class JournalResized:
    op: ClassVar[Op] = Op.JOURNAL_SIZE
    size: int


@dataclass(frozen=True)
class ScenarioLoaded:
    op: ClassVar[Op] = Op.SCENARIO
    text: str  # the scenario YAML
    name: str = "<shared>"
    keep_clock: bool = False
    file: str | None = None  # the file on this machine it came from (the new source), if any


@dataclass(frozen=True)
class ScenarioReloaded:
    op: ClassVar[Op] = Op.RELOAD


Message = (
    ClockChanged | FaultsChanged | Reset | JournalCleared | JournalResized | ScenarioLoaded | ScenarioReloaded
)
_TYPES: dict[Op, type[Message]] = {
    t.op: t
    for t in (
        ClockChanged,
        FaultsChanged,
        Reset,
        JournalCleared,
        JournalResized,
        ScenarioLoaded,
        ScenarioReloaded,
    )
}


def encode(origin: str, message: Message) -> str:
    """The JSON published on the channel: ``{"origin", "op", ...fields}``."""
    return json.dumps({"origin": origin, "op": message.op.value, **asdict(message)})


def decode(data: str | bytes) -> tuple[str | None, Message]:
    """The sender and the message. Raises ValueError/TypeError/KeyError on a message it cannot read."""
    raw = json.loads(data)
    kind = _TYPES[Op(raw.pop("op"))]
    origin = raw.pop("origin", None)
    return origin, kind(**raw)


class ControlBus:
    def __init__(self, url: str, sandbox: Sandbox, app: web.Application | None = None) -> None:
        import redis.asyncio as redis  # only with --redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=2)
        self.sandbox = sandbox
        self.app = app  # for a reset: the app's registered services' in-memory stores
        self.origin = uuid.uuid4().hex  # our own messages come back too: skip them
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    # -- sending ------------------------------------------------------------------------
    async def publish(self, message: Message) -> None:
        try:
            await self.client.publish(CHANNEL, encode(self.origin, message))
        except Exception as exc:  # the change stands here; say that the others missed it
            log.warning(
                "could not share the admin change %s with the other workers: %s", message.op.value, exc
            )

    async def clock_changed(self) -> None:
        clock = self.sandbox.clock
        await self.publish(
            ClockChanged(
                now=clock.now().isoformat(),
                wall=time.time(),
                frozen=clock.frozen,
                real=clock.following_real_time,
            )
        )

    async def faults_changed(self) -> None:
        rules = [
            r.model_dump(mode="json", by_alias=True, exclude_none=True) for r in self.sandbox.faults.rules()
        ]
        await self.publish(FaultsChanged(rules=rules))

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
                    origin, change = decode(message["data"])
                    if origin != self.origin:
                        await self._apply(change)
                except Exception:  # one bad message must not stop the bus
                    log.exception("could not apply an admin change from another worker")
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _apply(self, msg: Message) -> None:
        sandbox = self.sandbox
        match msg:
            case ClockChanged():
                if msg.real:
                    sandbox.clock.follow_real_time()
                else:
                    when = datetime.fromisoformat(msg.now)
                    if not msg.frozen:  # running: as far on as the message took to arrive
                        when += timedelta(seconds=max(0.0, time.time() - msg.wall))
                    sandbox.clock.set(when)
                sandbox.clock.frozen = bool(msg.frozen)
            case FaultsChanged():
                sandbox.faults.replace(tuple(_RULES.validate_python(msg.rules)))
            case Reset():
                # the shared state (durable store) was reset by the worker the call reached
                if self.app is not None:
                    await loading.reset(self.app, shared=False)
                else:
                    await sandbox.reset()
            case JournalCleared():
                sandbox.journal.clear()
            case JournalResized():
                sandbox.journal.resize(int(msg.size))
            case ScenarioLoaded():
                try:
                    await loading.load_text(
                        sandbox,
                        msg.text,
                        msg.name,
                        keep_clock=msg.keep_clock,
                        file=Path(msg.file) if msg.file else None,
                    )
                except ScenarioError as exc:
                    log.warning("a scenario another worker loaded is refused here: %s", exc)
            case ScenarioReloaded():
                if sandbox.source is None:
                    return
                problems = await loading.reload_from_disk(sandbox)
                if problems:
                    log.warning("a scenario another worker loaded is refused here: %s", "; ".join(problems))

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
