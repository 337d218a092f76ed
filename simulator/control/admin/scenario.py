"""/_admin/scenario: the running scenario, replaced, reset or reloaded (through control/loading.py)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from simulator.control import loading
from simulator.control.admin.common import error, sandbox_of, scenario_summary, share
from simulator.control.bus import Reset, ScenarioLoaded, ScenarioReloaded
from simulator.scenario.loader import ScenarioError

__all__ = ["get_scenario", "put_scenario", "reset_scenario", "reload_scenario", "MAX_SCENARIO_BYTES"]

log = logging.getLogger("simulator.admin")
MAX_SCENARIO_BYTES = 64 * 1024 * 1024  # a generated scenario file of 100k persons fits


async def get_scenario(request: web.Request) -> web.Response:
    return web.json_response(scenario_summary(sandbox_of(request)))


async def put_scenario(request: web.Request) -> web.Response:
    """Replaces the scenario with the YAML body. ``?keep_clock=true`` leaves the clock."""
    sandbox = sandbox_of(request)
    if request.content_length is not None and request.content_length > MAX_SCENARIO_BYTES:
        return error(413, f"a scenario body is at most {MAX_SCENARIO_BYTES} bytes")
    raw = bytearray()
    while chunk := await request.content.read(1024 * 1024):  # read() gives one chunk, not the whole body
        raw += chunk
        if len(raw) > MAX_SCENARIO_BYTES:
            return error(413, f"a scenario body is at most {MAX_SCENARIO_BYTES} bytes")
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        return error(400, f"the scenario is not UTF-8: {exc}")
    name = request.query.get("filename", "<request body>")[:200]
    keep_clock = request.query.get("keep_clock") == "true"
    file = await asyncio.to_thread(loading.file_holding, name, text)
    try:
        scenario = await loading.load_text(sandbox, text, name, keep_clock=keep_clock, file=file)
    except ScenarioError as exc:
        return error(
            400, "scenario refused; the running scenario is unchanged", [str(p) for p in exc.problems]
        )
    log.info("scenario %r loaded through the admin API", scenario.name)
    await share(
        request,
        ScenarioLoaded(text=text, name=name, keep_clock=keep_clock, file=str(file) if file else None),
    )
    return web.json_response(scenario_summary(sandbox))


async def reset_scenario(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    await loading.reset(request.app, shared=True)  # the shared stores once, not per worker
    await share(request, Reset())
    return web.json_response(scenario_summary(sandbox))


async def reload_scenario(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    problems = await loading.reload_from_disk(sandbox)
    if problems:
        return error(400, "reload refused; the running scenario is unchanged", problems)
    await share(request, ScenarioReloaded())
    return web.json_response(scenario_summary(sandbox))
