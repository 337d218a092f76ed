"""The middleware every request passes: correlation id, fault-rule transport effects,
and the journal, metrics and log line of each binding exchange (SPEC §5, §6)."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import socket
import struct
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from simulator.observability.exchange import EXCHANGE, Exchange
from simulator.observability.outcome import Outcome
from simulator.runtime.certificate import certified_organisation
from simulator.runtime.faults import Effect
from simulator.runtime.sandbox import SANDBOX
from simulator.scenario.models import FaultKind

__all__ = ["traffic_middleware", "CORRELATION_HEADER"]

log = logging.getLogger("simulator.traffic")
CORRELATION_HEADER = "X-Correlation-ID"
WORKER = web.AppKey("worker", str)  # set when several workers share the port
_GOOD_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def correlation_id(request: web.Request) -> str:
    """The caller's X-Correlation-ID when it is a plain token, else a new UUID."""
    given = request.headers.get(CORRELATION_HEADER, "")
    if given and _GOOD_ID.match(given):
        return given
    # a version-4 UUID from the process's PRNG: an id need not be secret, and uuid4()'s
    # os.urandom is a system call on every request; written directly, not through uuid.UUID
    h = f"{random.getrandbits(128) & _UUID_RANDOM | _UUID_V4:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# the bits of a version-4 UUID (RFC 9562): version 4, variant 10, the other 122 random
_UUID_V4 = (0x4 << 76) | (0x2 << 62)
_UUID_RANDOM = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)


@web.middleware
async def traffic_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sandbox = request.app[SANDBOX]
    exchange = Exchange(
        id=correlation_id(request),
        method=request.method,
        path=request.path,
        at=sandbox.clock.now(),
        certified=certified_organisation(request),
    )
    request[EXCHANGE] = exchange
    response: web.StreamResponse | None = None
    try:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = exc
        except Exception:  # a sandbox bug a binding did not catch: logged, never shown to the caller
            log.exception("unexpected error answering %s %s", request.method, request.path)
            response = web.Response(status=500, text="500 internal error in the sandbox; see its log\n")
        if exchange.binding is not None and exchange.effects:
            planned, response = response, None  # None: nothing sent, if the effect closes the connection
            response = await _carry_out(request, exchange, exchange.effects[0], planned)
        _stamp(request, response, exchange.id)
        return response
    finally:
        if exchange.binding is not None:  # admin, health, schemas, unknown paths: not traffic
            _record(request, exchange, response)
            if exchange.sla_admission is not None:
                # shielded: a client that hangs up must not leave its question "in flight"
                try:
                    await asyncio.shield(sandbox.release(exchange))
                except Exception as exc:  # e.g. Redis gone: the answer has been made; keep it
                    log.warning("SLA release failed for %s: %s", exchange.organisation, exc)


def _stamp(request: web.Request, response: web.StreamResponse, correlation: str) -> None:
    response.headers[CORRELATION_HEADER] = correlation
    worker = request.app.get(WORKER)  # not "in": a missing key costs a KeyError there
    if worker is not None:
        response.headers["X-LEFI-Worker"] = worker


def _record(request: web.Request, exchange: Exchange, response: web.StreamResponse | None) -> None:
    """Journal, metrics and log line of one exchange — also one that ended in a reset."""
    sandbox = request.app[SANDBOX]
    exchange.duration = time.perf_counter() - exchange.started
    if response is not None:
        exchange.status = response.status
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            exchange.response_body = response.body
    if exchange.outcome is None:
        exchange.outcome = Outcome.of_status(exchange.status)
    if request._read_bytes and not exchange.request_body:
        # aiohttp keeps the body a handler read with request.read(); bindings that stream
        # their body set exchange.request_body themselves
        exchange.request_body = request._read_bytes
    wall = time.time()
    sandbox.journal.record(exchange, wall)
    org_label = sandbox.metrics_organisation(exchange.organisation)
    sandbox.metrics.observe(exchange, org_label)
    sandbox.recent.record(exchange, org_label, wall)
    if sandbox.request_log is not None:
        sandbox.request_log.write(exchange, wall)


async def _sleep_at_least(seconds: float) -> None:
    """A rule's latency is a lower bound the partner can rely on; uvloop's timers have
    millisecond resolution and may fire a fraction of a millisecond early."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        await asyncio.sleep(left + 0.0005)


async def _carry_out(
    request: web.Request, exchange: Exchange, effect: Effect, response: web.StreamResponse
) -> web.StreamResponse:
    """Does to the answer what the fault rule says. Latency goes first for every kind."""
    if effect.delay:
        await _sleep_at_least(effect.delay)
    kind = effect.kind
    exchange.outcome = Outcome.injected(kind.value)
    body = response.body if isinstance(response, web.Response) and isinstance(response.body, bytes) else b""
    if kind is FaultKind.LATENCY:
        exchange.outcome = None  # the answer itself is what it is, only later
        return response
    if kind is FaultKind.HTTP_STATUS:
        return web.Response(
            status=effect.rule.status,
            text=(f"{effect.rule.status} simulated by fault rule {effect.rule.id}\n"),
        )
    if kind is FaultKind.MALFORMED:
        broken = body[: len(body) // 2] + b"<<\x00 simulated malformed answer"
        # the whole Content-Type header: its parameters (a multipart boundary, the charset) too
        return web.Response(
            status=response.status,
            body=broken,
            headers={"Content-Type": response.headers.get("Content-Type", "application/octet-stream")},
        )
    if kind is FaultKind.NO_ANSWER:
        await asyncio.sleep(effect.rule.seconds)  # the client usually gives up before this
        _reset(request)
        raise asyncio.CancelledError  # nothing to send on a closed connection
    if kind is FaultKind.RESET:
        _reset(request)
        raise asyncio.CancelledError
    assert kind is FaultKind.TRUNCATED
    media = response.headers.get("Content-Type", "application/octet-stream")
    stream = web.StreamResponse(status=response.status, headers={"Content-Type": media})
    _stamp(request, stream, exchange.id)
    stream.content_length = len(body)
    await stream.prepare(request)
    exchange.status = stream.status
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
