"""The QA dashboard at /_admin/ui: one server-rendered page whose small script reads and
drives the admin API (journal, clock, fault rules, recent traffic) — nothing of its own.
It lives under /_admin/ so that whatever guards the admin API guards it too."""

from __future__ import annotations

from aiohttp import web

from simulator.domain.benefits import BENEFITS
from simulator.domain.errors import TeknisktFel
from simulator.runtime.sandbox import SANDBOX
from simulator.scenario.models import FaultKind, Transport
from simulator.services.web.pages import render

__all__ = ["setup", "PATH"]

PATH = "/_admin/ui"


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, dashboard)


async def dashboard(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    return render(
        "dashboard.html",
        today=sandbox.clock.today(),
        scenario=sandbox.scenario.name,
        organisations=sandbox.store.organisations(),
        bindings=[t.value for t in Transport],
        kinds=[k.value for k in FaultKind],
        technical_errors=[t.name for t in TeknisktFel],
        benefits=[b.key for b in BENEFITS],
    )
