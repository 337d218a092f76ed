"""What the stateful services hold and do on demand: the Prenumeration batch, massfråga jobs,
LEKA subscriptions and notifications."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator.control.admin.common import bad, error, sandbox_of
from simulator.domain import orgnummer
from simulator.services.leka import subscriptions as leka
from simulator.services.massfraga import jobs as massfraga
from simulator.services.prenumeration.http import PRENUMERATION

__all__ = [
    "run_prenumeration_batch",
    "list_massfraga_jobs",
    "list_leka_subscriptions",
    "list_leka_notifications",
    "make_leka_notifications",
]


async def run_prenumeration_batch(request: web.Request) -> web.Response:
    """Runs the subscription batch now: every order kept so far, information up to today,
    the answer files published at once."""
    result = await request.app[PRENUMERATION].run_now()
    if result is None:
        return error(409, "another worker is running LEFI Prenumeration's batch; try again shortly")
    return web.json_response(result.as_json())


# -- massfråga and LEKA: what the background work holds ----------------------------------
def _organisation_filter(request: web.Request) -> str | None:
    text = request.query.get("organisation")
    if text is None:
        return None
    if not orgnummer.is_valid(text):
        raise bad(f"organisation={text[:50]!r} is not an orgnummer")
    return orgnummer.canonical(text)


async def list_massfraga_jobs(request: web.Request) -> web.Response:
    """Massfråga jobs not yet acknowledged (every binding), oldest first."""
    found = await massfraga.jobs(sandbox_of(request), _organisation_filter(request))
    return web.json_response({"jobb": [j.summary() for j in found]})


async def list_leka_subscriptions(request: web.Request) -> web.Response:
    found = await leka.subscriptions(sandbox_of(request), _organisation_filter(request))
    return web.json_response({"prenumerationer": [_subscription_json(s) for s in found]})


async def list_leka_notifications(request: web.Request) -> web.Response:
    found = await leka.notifications(sandbox_of(request), _organisation_filter(request))
    return web.json_response({"aviseringar": [_notification_json(n) for n in found]})


def _subscription_json(s: leka.Subscription) -> dict[str, Any]:
    """What the admin API shows of a LEKA subscription (schemas/admin-openapi.yaml)."""
    return {
        "organisation": s.organisation,
        "personnummer": s.personnummer,
        "transport": s.transport.value,
        "registrerad": s.registered,
        "bevakad_till": s.watched_until.isoformat(),
    }


def _notification_json(n: leka.Notification) -> dict[str, Any]:
    """What the admin API shows of a LEKA notification, its delivery state included."""
    shown: dict[str, Any] = {
        **leka.push_body(n),
        "status": n.status.value,
        "forsok": n.attempts,
        "nasta_forsok": n.next_attempt,
        "senaste_fel": n.last_error,
    }
    if n.delivered is not None:
        shown["levererad"] = n.delivered
    return shown


async def make_leka_notifications(request: web.Request) -> web.Response:
    """Makes the notifications up to the simulator's today now, rather than at the next tick."""
    return web.json_response({"skapade": await leka.scan(sandbox_of(request))})
