"""The aiohttp application: one engine, one clock, every binding mounted on it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from simulator import __version__
from simulator.control import admin, dashboard
from simulator.control.bus import CONTROL, ControlBus, control_context
from simulator.domain.clock import Clock
from simulator.domain.schemas import schema_file
from simulator.observability.journal import DEFAULT_SIZE, Journal
from simulator.observability.metrics import CONTENT_TYPE_LATEST
from simulator.observability.requestlog import RequestLog
from simulator.protocols.answer_check import ANSWER_CHECK, AnswerCheck, answer_check_middleware
from simulator.runtime.registry import Service, register
from simulator.runtime.sandbox import MAX_BODY_BYTES, SANDBOX, Sandbox
from simulator.runtime.sla.counters import RedisCounters
from simulator.runtime.traffic import WORKER, traffic_middleware
from simulator.scenario.models import Scenario
from simulator.services import leka, massfraga
from simulator.services import web as web_pages
from simulator.services.online import rest_v9, shs, ssbtek, ssek, ws
from simulator.services.prenumeration import http as prenumeration_http
from simulator.stores.durable import open_durable

__all__ = ["create_app"]


def create_app(
    scenario: Scenario,
    clock: Clock | None = None,
    *,
    source: Path | None = None,
    journal_size: int = DEFAULT_SIZE,
    request_log: RequestLog | None = None,
    fault_seed: int | None = None,
    progress: bool = False,
    always_frozen: bool = False,
    sla_mode: str | None = None,
    sla_profile: str | None = None,
    redis_url: str | None = None,
    data_dir: Path = Path("data"),
    worker: str | None = None,
    admin_token: str | None = None,
    prenumeration_dir: Path | None = None,
    check_answers: bool = False,
) -> web.Application:
    """The simulator for ``scenario`` (read from ``source``, for reloads and population CSVs).

    ``redis_url``: keep the SLA counts in Redis, shared by every worker and host using it;
    ``data_dir``: the durable store's folder (SQLite), unless ``redis_url`` keeps it in Redis;
    ``worker``: this worker's name, sent as X-LEFI-Worker (several workers on one port);
    ``admin_token``: required by the admin API (serve --admin-token);
    ``prenumeration_dir``: LEFI Prenumeration's file drop (default ``data_dir``/prenumeration);
    ``check_answers``: validate every XML answer against the published XSDs (serve --check-answers).
    """
    counters = RedisCounters(redis_url) if redis_url else None
    sandbox = Sandbox.create(
        scenario,
        clock,
        source=source,
        journal=Journal(journal_size),
        request_log=request_log,
        progress=progress,
        always_frozen=always_frozen,
        sla_counters=counters,
        sla_mode=sla_mode,
        sla_profile=sla_profile,
        durable=open_durable(data_dir, redis_url),
    )
    if fault_seed is not None:
        sandbox.faults.rng.seed(fault_seed)
    middlewares = [traffic_middleware] + ([admin.require_token(admin_token)] if admin_token else [])
    check = AnswerCheck(sandbox.metrics.registry) if check_answers else None
    if check is not None:  # inside the traffic middleware: it sees answers before fault rules change them
        middlewares.append(answer_check_middleware(check))
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=middlewares)
    app[SANDBOX] = sandbox
    if check is not None:
        app[ANSWER_CHECK] = check
    if worker is not None:
        app[WORKER] = worker

    async def close_counters(_: web.Application) -> None:
        await sandbox.gate.counters.close()
        await sandbox.durable.close()

    app.on_cleanup.append(close_counters)
    if redis_url:  # workers and hosts sharing the Redis share admin changes too
        app[CONTROL] = ControlBus(redis_url, sandbox, app)
        app.cleanup_ctx.append(control_context)
    register(app, Service("answers", memory=(sandbox.answers,)))  # rendered answers: a cache, reset too
    prenumeration_root = prenumeration_dir or data_dir / "prenumeration"
    # every service, in the order it is mounted (the order its start/stop contexts run in)
    services: list[Callable[[web.Application], None]] = [
        ws.setup,
        ssek.setup,
        shs.setup,
        rest_v9.setup,
        ssbtek.setup,
        lambda a: prenumeration_http.setup(a, prenumeration_root),
        massfraga.setup,
        leka.setup,
        admin.setup,
        web_pages.setup,  # the e-tjänst (/lefi/)
        dashboard.setup,  # the QA dashboard (/_admin/ui)
    ]
    for setup in services:
        setup(app)
    app.router.add_get("/health", _health)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/schemas/{name}", _schema)
    return app


async def _health(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    body = {
        "status": "ok",
        "version": __version__,
        "scenario": sandbox.store.name,
        "clock": sandbox.clock.now().isoformat(timespec="seconds"),
        "clock_frozen": sandbox.clock.frozen,
    }
    check = request.app.get(ANSWER_CHECK)
    if check is not None:
        body["answer_check"] = {"checked": check.checked, "failures": check.failures}
    return web.json_response(body)


async def _metrics(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    sandbox.metrics.journal_size.set(len(sandbox.journal))
    return web.Response(body=sandbox.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _schema(request: web.Request) -> web.StreamResponse:
    path = schema_file(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound(text=f"no schema named {request.match_info['name']!r}\n")
    content_type = {
        ".xsd": "text/xml",
        ".wsdl": "text/xml",
        ".json": "application/json",
        ".yaml": "application/yaml",
    }.get(path.suffix, "application/octet-stream")
    return web.Response(body=path.read_bytes(), content_type=content_type, charset="utf-8")
