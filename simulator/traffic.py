"""The middleware every request passes: correlation id, fault-rule transport effects,
and the journal, metrics and log line of each binding exchange (SPEC §5, §6)."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import struct
import uuid

from aiohttp import web

from simulator.exchange import EXCHANGE, Exchange
from simulator.faults import Effect
from simulator.sandbox import SANDBOX
from simulator.scenario.models import FaultKind

__all__ = ["traffic_middleware", "CORRELATION_HEADER"]

log = logging.getLogger("simulator.traffic")
CORRELATION_HEADER = "X-Correlation-ID"
_GOOD_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def correlation_id(request: web.Request) -> str:
    """The caller's X-Correlation-ID when it is a plain token, else a new UUID."""
    given = request.headers.get(CORRELATION_HEADER, "")
    return given if _GOOD_ID.match(given) else str(uuid.uuid4())


@web.middleware
async def traffic_middleware(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    sandbox = request.app[SANDBOX]
    exchange = Exchange(id=correlation_id(request), method=request.method, path=request.path,
                        at=sandbox.clock.now())
    request[EXCHANGE] = exchange
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers[CORRELATION_HEADER] = exchange.id
    if exchange.binding is None:
        return response  # admin, health, schemas, unknown paths: not traffic
    if exchange.effects:
        response = await _carry_out(request, exchange, exchange.effects[0], response)
    exchange.status = response.status
    if exchange.outcome is None:
        exchange.outcome = "ok" if response.status < 400 else "rejected"
    return response


async def _carry_out(request: web.Request, exchange: Exchange, effect: Effect,
                     response: web.StreamResponse) -> web.StreamResponse:
    """Does to the answer what the fault rule says. Latency goes first for every kind."""
    if effect.delay:
        await asyncio.sleep(effect.delay)
    kind = effect.kind
    exchange.outcome = f"injected:{kind.value}"
    body = response.body if isinstance(response, web.Response) and isinstance(response.body, bytes) else b""
    if kind is FaultKind.LATENCY:
        exchange.outcome = None  # the answer itself is what it is, only later
        return response
    if kind is FaultKind.HTTP_STATUS:
        return web.Response(status=effect.rule.status, text=(
            f"{effect.rule.status} simulated by fault rule {effect.rule.id}\n"),
            headers={"X-Correlation-ID": exchange.id})
    if kind is FaultKind.MALFORMED:
        broken = body[: len(body) // 2] + b"<<\x00 simulated malformed answer"
        return web.Response(status=response.status, body=broken, content_type=response.content_type,
                            headers={"X-Correlation-ID": exchange.id})
    if kind is FaultKind.NO_ANSWER:
        await asyncio.sleep(effect.rule.seconds)  # the client usually gives up before this
        _reset(request)
        raise asyncio.CancelledError  # nothing to send on a closed connection
    if kind is FaultKind.RESET:
        _reset(request)
        raise asyncio.CancelledError
    assert kind is FaultKind.TRUNCATED
    stream = web.StreamResponse(status=response.status, headers={"X-Correlation-ID": exchange.id})
    stream.content_type = response.content_type
    stream.content_length = len(body)
    await stream.prepare(request)
    await stream.write(body[: len(body) // 2])
    await asyncio.sleep(0.05)  # let the half reach the client before the connection drops
    _reset(request)
    raise asyncio.CancelledError


def _reset(request: web.Request) -> None:
    """Closes the connection with a TCP RST (SO_LINGER 0), as a crashing peer would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()
