"""/_admin/traffic: recent requests, errors and SLA breaches per organisation (the dashboard's)."""

from __future__ import annotations

import time
from datetime import datetime

from aiohttp import web

from simulator.control.admin.common import error, sandbox_of
from simulator.domain.clock import STOCKHOLM
from simulator.observability.rates import KEEP_SECONDS, Tally
from simulator.scenario.models import Channel

__all__ = ["get_traffic"]


async def get_traffic(request: web.Request) -> web.Response:
    """Requests, errors and SLA breaches per organisation over the last ``minutes`` (real
    time), in points of ``step`` seconds, with the last minute's totals and the
    organisation's online limit per minute (the QA dashboard's rates and chart)."""
    sandbox = sandbox_of(request)
    try:
        minutes = int(request.query.get("minutes", "5"))
        step = int(request.query.get("step", "10"))
    except ValueError:
        return error(400, "minutes and step: whole numbers")
    if not 1 <= minutes <= KEEP_SECONDS // 60 or not 1 <= step <= 60 * minutes:
        return error(400, f"minutes: 1 to {KEEP_SECONDS // 60}; step: 1 second to the whole window")
    now = time.time()
    series = sandbox.recent.series(now, minutes * 60, step)
    last_minute = sandbox.recent.series(now, 60, 60)
    names = {o.orgnummer: o.name for o in sandbox.store.organisations()}
    organisations = []
    for org, points in sorted(series.items()):
        organisations.append(
            {
                "organisation": org,
                "name": names.get(org),
                "limit_per_minute": sandbox.gate.limits(org, Channel.ONLINE).per_minute,
                "last_minute": last_minute.get(org, [Tally()])[0].as_json(),
                "series": [p.as_json() for p in points],
            }
        )
    return web.json_response(
        {
            "now": datetime.fromtimestamp(now, STOCKHOLM).isoformat(),
            "minutes": minutes,
            "step": step,
            "organisations": organisations,
        }
    )
