"""GET /_admin/health and the OpenAPI document."""

from __future__ import annotations

import json
from functools import lru_cache

import yaml
from aiohttp import web

from simulator import __version__
from simulator.control.admin.auth import ANONYMOUS
from simulator.control.admin.common import clock_json, sandbox_of
from simulator.domain.schemas import SCHEMA_DIR

__all__ = ["health", "openapi"]


@lru_cache(maxsize=1)
def _openapi_json() -> bytes:
    with open(SCHEMA_DIR / "admin-openapi.yaml", encoding="utf-8") as f:
        return json.dumps(yaml.safe_load(f), ensure_ascii=False).encode()


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=_openapi_json(), content_type="application/json")


async def health(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    public = {
        "status": "ok",
        "version": __version__,
        "scenario": sandbox.scenario.name,
        "clock": clock_json(sandbox),
    }
    if request.get(ANONYMOUS):  # without the token it should carry: no more than /health tells
        return web.json_response(public)
    return web.json_response(
        {
            **public,
            "generation": sandbox.generation,
            "journal": {"size": sandbox.journal.size, "entries": len(sandbox.journal)},
            "fault_rules": len(sandbox.faults.rules()),
        }
    )
