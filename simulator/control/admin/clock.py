"""/_admin/clock: set, advance, freeze and unfreeze the simulator's clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from simulator.control.admin.common import clock_json, error, json_body, sandbox_of
from simulator.control.bus import CONTROL
from simulator.runtime.sandbox import Sandbox

__all__ = ["get_clock", "put_clock", "advance_clock", "freeze_clock", "unfreeze_clock"]


async def get_clock(request: web.Request) -> web.Response:
    return web.json_response(clock_json(sandbox_of(request)))


async def put_clock(request: web.Request) -> web.Response:
    """``{"now": ISO date-time, "frozen": bool}``, either or both."""
    sandbox = sandbox_of(request)
    body = await json_body(request)
    if not isinstance(body, dict) or not set(body) <= {"now", "frozen"} or not body:
        return error(400, 'send {"now": "2026-11-02T09:00:00+01:00", "frozen": true} (either or both)')
    when = None
    if "now" in body:
        try:
            when = datetime.fromisoformat(str(body["now"]))
        except ValueError:
            return error(400, f"now: {body['now']!r} is not an ISO date-time")
    if "frozen" in body and not isinstance(body["frozen"], bool):
        return error(400, "frozen: true or false")
    if when is not None:
        before = sandbox.clock.now()
        try:
            sandbox.clock.set(when)
        except ValueError as exc:
            return error(400, f"now: {exc}")
        await _forget_the_future(sandbox, before)
    if body.get("frozen") is True:
        sandbox.clock.freeze()
    elif body.get("frozen") is False:
        sandbox.clock.unfreeze()
    return await clock_answer(request)


_UNITS = {"days", "hours", "minutes", "seconds", "milliseconds", "weeks"}


async def advance_clock(request: web.Request) -> web.Response:
    """``{"days": 1, "hours": 2, ...}``: moves the clock forward (negative: back)."""
    sandbox = sandbox_of(request)
    body = await json_body(request)
    if (
        not isinstance(body, dict)
        or not body
        or not set(body) <= _UNITS
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in body.values())
    ):
        return error(400, f'send numbers for any of {sorted(_UNITS)}, e.g. {{"days": 1}}')
    before = sandbox.clock.now()
    try:
        delta = timedelta(**body)
        sandbox.clock.advance(delta)
    except (OverflowError, ValueError) as exc:
        return error(400, f"cannot move the clock that far: {exc}")
    await _forget_the_future(sandbox, before)
    return await clock_answer(request)


async def _forget_the_future(sandbox: Sandbox, before: datetime) -> None:
    """A clock moved back leaves questions "asked" in what is now the future; they would
    count again once the clock reaches them, so the SLA history starts afresh."""
    if sandbox.clock.now() < before:
        await sandbox.gate.counters.clear()


async def freeze_clock(request: web.Request) -> web.Response:
    sandbox_of(request).clock.freeze()
    return await clock_answer(request)


async def unfreeze_clock(request: web.Request) -> web.Response:
    sandbox_of(request).clock.unfreeze()
    return await clock_answer(request)


async def clock_answer(request: web.Request) -> web.Response:
    bus = request.app.get(CONTROL)
    if bus is not None:
        await bus.clock_changed()
    return web.json_response(clock_json(sandbox_of(request)))
