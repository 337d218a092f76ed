"""The aiohttp application: one engine, one clock, every binding mounted on it."""

from __future__ import annotations

from aiohttp import web

from simulator import __version__
from simulator.bindings import ws
from simulator.bindings.rest_v9 import setup as setup_rest_v9
from simulator.bindings.ssbtek import setup as setup_ssbtek
from simulator.clock import Clock
from simulator.engine.engine import Engine
from simulator.faults import FaultRules
from simulator.sandbox import MAX_BODY_BYTES, SANDBOX, Sandbox
from simulator.scenario.models import Scenario
from simulator.scenario.store import MemoryScenarioStore
from simulator.schemas import schema_file
from simulator.traffic import traffic_middleware

__all__ = ["create_app"]


def create_app(scenario: Scenario, clock: Clock | None = None) -> web.Application:
    if clock is None:
        clock = Clock.starting_at(scenario.clock.start, scenario.clock.frozen)
    store = MemoryScenarioStore(scenario)
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[traffic_middleware])
    app[SANDBOX] = Sandbox(clock=clock, store=store, engine=Engine(store, clock),
                           faults=FaultRules(scenario.faults))
    ws.setup(app)
    app.router.add_get("/health", _health)
    app.router.add_get("/schemas/{name}", _schema)
    setup_rest_v9(app)
    setup_ssbtek(app)
    return app


async def _health(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    return web.json_response({
        "status": "ok", "version": __version__, "scenario": sandbox.store.name,
        "clock": sandbox.clock.now().isoformat(timespec="seconds"),
        "clock_frozen": sandbox.clock.frozen,
    })


async def _schema(request: web.Request) -> web.StreamResponse:
    path = schema_file(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound(text=f"no schema named {request.match_info['name']!r}\n")
    content_type = {".xsd": "text/xml", ".wsdl": "text/xml", ".json": "application/json",
                    ".yaml": "application/yaml"}.get(path.suffix, "application/octet-stream")
    return web.Response(body=path.read_bytes(), content_type=content_type, charset="utf-8")
