"""What the admin API's resources share: JSON errors and bodies, the summaries of the
scenario and the clock, and telling the other workers (the control bus) about a change."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from simulator.control.bus import CONTROL, Message
from simulator.runtime.sandbox import SANDBOX, Sandbox

__all__ = [
    "PREFIX",
    "error",
    "bad",
    "json_body",
    "sandbox_of",
    "scenario_summary",
    "clock_json",
    "share",
    "share_faults",
]

PREFIX = "/_admin"


def error(status: int, message: str, problems: list[str] | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if problems is not None:
        body["problems"] = problems
    return web.json_response(body, status=status)


async def json_body(request: web.Request) -> Any:
    """The request's JSON, or a 400/415 raised as a JSON error."""
    if request.content_type not in ("application/json", ""):
        raise web.HTTPUnsupportedMediaType(
            text=json.dumps({"error": "send application/json"}), content_type="application/json"
        )
    try:
        return json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"not JSON: {exc}"}), content_type="application/json"
        ) from None


def sandbox_of(request: web.Request) -> Sandbox:
    return request.app[SANDBOX]


def scenario_summary(sandbox: Sandbox) -> dict[str, Any]:
    s = sandbox.scenario
    return {
        "name": s.name,
        "description": s.description,
        "source": str(sandbox.source) if sandbox.source else None,
        # a scenario given as text (a request body) has no file: reload refuses it
        "loaded_from": "file" if sandbox.source else "text",
        "generation": sandbox.generation,
        "persons": sandbox.store.person_count(),
        "organisations": len(s.organisations),
        "timeline_events": len(s.timeline),
        "fault_rules": len(s.faults),
        "population": s.population.model_dump(mode="json") if s.population else None,
    }


def clock_json(sandbox: Sandbox) -> dict[str, Any]:
    now = sandbox.clock.now()
    return {"now": now.isoformat(), "today": now.date().isoformat(), "frozen": sandbox.clock.frozen}


async def share(request: web.Request, message: Message) -> None:
    """Tells the other workers sharing this Redis about a change made here (bus.py)."""
    bus = request.app.get(CONTROL)
    if bus is not None:
        await bus.publish(message)


async def share_faults(request: web.Request) -> None:
    bus = request.app.get(CONTROL)
    if bus is not None:
        await bus.faults_changed()


def bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")
