"""One request/answer exchange as the sandbox's controls see it, whatever the binding.

Every binding handler is wrapped by ``@binding(Binding.WS)`` (or ssek, shs, rest, ...). The
middleware in ``simulator.traffic`` opens an ``Exchange`` per request; the handler fills
in who asked about whom (``Sandbox.answer`` does it for the query), and the middleware
applies injected faults and writes the journal, metrics and log line from it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from simulator.observability.outcome import Outcome
from simulator.scenario.models import Binding, Channel

__all__ = ["Exchange", "EXCHANGE", "exchange_of", "binding"]


@dataclass(slots=True)  # made on every request: slots make it and its fields cheaper
class Exchange:
    id: str  # correlation id: X-Correlation-ID in and out, the journal, the log line
    method: str
    path: str
    at: datetime  # simulator clock when the request arrived
    started: float = field(default_factory=time.perf_counter)
    duration: float = 0.0  # seconds, set when the answer has gone (or the connection closed)
    binding: Binding | None = None  # None: not a binding route (admin, health, 404 ...)
    organisation: str | None = None  # canonical orgnummer when it parses, else as sent
    certified: str | None = None  # mutual TLS: the client certificate's orgnummer ("" if it names none)
    personnummer: str | None = None
    benefits: tuple[str, ...] = ()
    outcome: Outcome | None = None  # None until the handler or the middleware notes it
    status: int = 0
    fault_rule: str | None = None  # id of the fault rule that hit this exchange
    fault_kind: str | None = None
    effects: list[Any] = field(default_factory=list)  # transport effects of fault rules, for the middleware
    channel: Channel = Channel.ONLINE  # the SLA channel: online (onlinefråga, LEKA) or massfråga
    sla_checked: bool = False  # the SLA gate is passed once per request
    faults_checked: bool = False  # fault rules are drawn once per request (probabilities!)
    sla_admission: Any = None  # to release when the answer has gone (simulator/runtime/sla/gate.py)
    sla_breach: str | None = None  # the SLA rule broken, served or not
    request_body: bytes = b""
    response_body: bytes = b""


EXCHANGE = web.RequestKey("exchange", Exchange)


def exchange_of(request: web.Request) -> Exchange:
    return request[EXCHANGE]


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def binding(name: Binding) -> Callable[[Handler], Handler]:
    """Marks a handler as serving the binding ``name`` (journal, metrics, fault rules)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            exchange = request.get(EXCHANGE)
            if exchange is not None:
                exchange.binding = name
            return await handler(request)

        wrapped.lefi_binding = name  # type: ignore[attr-defined]  # simulator.serving asks which routes are bindings
        return wrapped

    return wrap
