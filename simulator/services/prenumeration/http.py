"""LEFI Prenumeration over HTTP and SHS, and the background task that runs its calendar.

HTTP (the sandbox's own design; FK's file transfer is a folder):

- ``POST /prenumeration/{orgnr}/bestallningar``: an order file (``text/xml``); 202 with the
  order's number, intake day and when it is answered, or 400 with the error file.
- ``GET /prenumeration/{orgnr}/bestallningar``: the orders taken in (JSON).
- ``GET /prenumeration/{orgnr}/prenumerationer``: the subscriptions (JSON).
- ``GET /prenumeration/{orgnr}/svar``: the answer and error files in ``out/`` (JSON).
- ``GET /prenumeration/{orgnr}/svar/{fil}``: one file.

SHS: an order as the data part of an asynchronous message with the Prenumeration product
to ``/mt``; answer files wait in the organisation's outbox of the delivery service.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from simulator.domain import orgnummer
from simulator.observability.exchange import Handler, binding, exchange_of
from simulator.observability.outcome import Outcome
from simulator.protocols.echo import TOKEN, echo_repr
from simulator.protocols.http_body import BodyError, read_body
from simulator.protocols.multipart import Part
from simulator.protocols.shs_outbox import shs_time
from simulator.runtime.registry import Service, register
from simulator.runtime.sandbox import SANDBOX, NotCertified, certify
from simulator.runtime.traffic import WORKER
from simulator.scenario.models import Binding, Channel, Organisation
from simulator.services.online import shs
from simulator.services.prenumeration import calendar
from simulator.services.prenumeration.answer_file import render_error_file
from simulator.services.prenumeration.documents import OrderSource, StoredOrder, Subscription
from simulator.services.prenumeration.orders import DEFAULT_NAME, VERSION, OrderRefused, file_name
from simulator.services.prenumeration.service import Accepted, AnswerFile, LeaseLost, Prenumeration
from simulator.stores.background import repeat, task_context

__all__ = ["setup", "PRENUMERATION", "PRODUCT", "PATH"]

log = logging.getLogger("simulator.prenumeration")

PATH = "/prenumeration"
# LEFI Prenumeration's SHS product type (invented for the sandbox, like LEFI Online's)
PRODUCT = "2ea96132-1846-4afe-b965-29a018456fce"
TICK_SECONDS = 0.25  # real time between looks at the simulator clock
STORE_ERRORS = (ConnectionError, OSError, RedisError, sqlite3.Error)
PRENUMERATION = web.AppKey("prenumeration", Prenumeration)
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def setup(app: web.Application, root: Path) -> None:
    """``root``: the file drop, a folder per organisation with ``in/`` and ``out/``."""
    sandbox = app[SANDBOX]

    async def to_shs_outbox(org: str, key: str, filename: str, body: bytes) -> None:
        o = sandbox.store.organisation(orgnummer.Orgnummer(org))
        if o is None or not any(shs.product_id(a.product) == PRODUCT for a in o.shs_agreements):
            return
        tx_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"lefi-prenumeration:{key}"))
        await app[shs.DELIVERY].keep(
            shs.fk_message(
                sandbox,
                org,
                f"urn:X-shs:{PRODUCT}",
                tx_id,
                Part("text/xml", body, "UTF-8", filename),
                "bestallningssvar",
            )
        )

    # the lease holder: unique to this process (hosts on one Redis must not share a name);
    # the worker's number only to read it in the store
    worker = app[WORKER].split(":")[0] if WORKER in app else "main"
    app[PRENUMERATION] = Prenumeration(sandbox, root, f"{worker}-{uuid.uuid4()}", to_shs_outbox)
    r = app.router
    r.add_post(f"{PATH}/{{org}}/bestallningar", post_order)
    r.add_get(f"{PATH}/{{org}}/bestallningar", list_orders)
    r.add_get(f"{PATH}/{{org}}/prenumerationer", list_subscriptions)
    r.add_get(f"{PATH}/{{org}}/svar", list_files)
    r.add_get(f"{PATH}/{{org}}/svar/{{name}}", get_file)
    shs.register_product(app, PRODUCT, shs.Product(Channel.ONLINE, receive_shs_order))
    # its store is shared by workers: the reset runs once, in the worker the admin call reached
    register(app, Service("prenumeration", reset=app[PRENUMERATION].reset, contexts=(task_context(_run),)))


async def _run(app: web.Application) -> None:
    """The calendar's work, a tick at a time: anything that goes wrong is logged and the next
    tick tries again (one bad file or one bad day must not stop LEFI Prenumeration)."""
    service = app[PRENUMERATION]

    async def step() -> None:
        try:
            await service.tick()
        except LeaseLost as exc:  # another holder took over: it goes on with the work
            log.warning("prenumeration: %s", exc)

    ticks = 0

    async def wait() -> None:  # the first tick at once: it makes the folders
        nonlocal ticks
        ticks += 1
        await asyncio.sleep(TICK_SECONDS if ticks > 1 else 0)

    await repeat("LEFI Prenumeration", wait, step)


def _store_trouble(handler: Handler) -> Handler:
    """The durable store unreachable (Redis down, a disk error): 503, and the server goes on."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except STORE_ERRORS as exc:
            log.warning("prenumeration: %s: %s", type(exc).__name__, exc)
            return _error(
                503, f"the sandbox's durable store is unreachable ({type(exc).__name__}); try again"
            )

    return wrapped


# -- HTTP -----------------------------------------------------------------------------------
def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _organisation(request: web.Request) -> Organisation | web.Response:
    text = request.match_info["org"]
    if not orgnummer.is_valid(text):
        return _error(404, f"{echo_repr(text)} is not an organisationsnummer")
    number = orgnummer.canonical(text)
    exchange = exchange_of(request)
    exchange.organisation = number
    # mutual TLS, before the scenario is looked at: nothing about another organisation is
    # told. Not ``identify``: the SLA and the fault rules do not cover LEFI Prenumeration.
    try:
        certify(exchange, number)
    except NotCertified as exc:
        return _error(403, exc.text)
    org = request.app[SANDBOX].store.organisation(orgnummer.Orgnummer(number))
    if org is None:
        return _error(404, f"no organisation {number} in the scenario")
    if not org.prenumeration:
        return _error(403, f"organisation {number} has no LEFI Prenumeration agreement")
    version = request.query.get("version")
    if version is not None and version != VERSION:
        return _error(
            400,
            f"version {echo_repr(version, TOKEN)} is not served: LEFI Prenumeration has "
            f"one schema version "
            f"in force, {VERSION}",
        )
    return org


def _for_organisation(handler: Callable[[web.Request, Organisation], Awaitable[web.Response]]) -> Handler:
    """The handler of ``/prenumeration/{org}/...`` gets the organisation, or the request the
    refusal ``_organisation`` says."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        org = _organisation(request)
        return org if isinstance(org, web.Response) else await handler(request, org)

    return wrapped


@binding(Binding.PRENUMERATION)
@_store_trouble
@_for_organisation
async def post_order(request: web.Request, org: Organisation) -> web.Response:
    if request.content_type not in ("text/xml", "application/xml"):
        return _error(415, "send the order file as text/xml")
    try:
        data = await read_body(request)
    except BodyError as exc:
        return _error(exc.status, exc.reason)
    service = request.app[PRENUMERATION]
    name = file_name(request.query.get("filnamn") or DEFAULT_NAME)
    exchange = exchange_of(request)
    try:
        accepted = await service.accept(org, data, name, OrderSource.HTTP)
    except OrderRefused as exc:
        exchange.outcome = Outcome.invalid()
        body = render_error_file(name, service.sandbox.clock.now(), exc.problems)
        return web.Response(status=400, text=body, content_type="application/xml")
    exchange.outcome = Outcome.ok()
    return web.json_response(
        _receipt_json(accepted), status=202, headers={"Location": f"{PATH}/{org.orgnummer}/bestallningar"}
    )


@binding(Binding.PRENUMERATION)
@_store_trouble
@_for_organisation
async def list_orders(request: web.Request, org: Organisation) -> web.Response:
    orders = await request.app[PRENUMERATION].orders(org.orgnummer)
    return web.json_response({"bestallningar": [_order_json(o) for o in orders]})


@binding(Binding.PRENUMERATION)
@_store_trouble
@_for_organisation
async def list_subscriptions(request: web.Request, org: Organisation) -> web.Response:
    subscriptions = await request.app[PRENUMERATION].subscriptions(org.orgnummer)
    return web.json_response({"prenumerationer": [_subscription_json(s) for s in subscriptions]})


@binding(Binding.PRENUMERATION)
@_for_organisation
async def list_files(request: web.Request, org: Organisation) -> web.Response:
    files = request.app[PRENUMERATION].answer_files(org.orgnummer)
    return web.json_response({"version": VERSION, "filer": [_file_json(f) for f in files]})


@binding(Binding.PRENUMERATION)
@_for_organisation
async def get_file(request: web.Request, org: Organisation) -> web.Response:
    name = request.match_info["name"]
    path = request.app[PRENUMERATION].folder(org.orgnummer, "out") / name
    if not _FILE_NAME.match(name) or not path.is_file():
        return _error(404, f"no answer file {echo_repr(name)}")
    return web.Response(body=path.read_bytes(), content_type="application/xml", charset="utf-8")


def _receipt_json(a: Accepted) -> dict[str, Any]:
    """The 202 answer to an order sent over HTTP."""
    return {
        "bestallning": a.seq,
        "mottagen": a.received.isoformat(timespec="seconds"),
        "intagsdag": a.intake_day.isoformat(),
        "besvaras": calendar.delivery_time(a.answered_on).isoformat(timespec="minutes"),
        "dubblett": a.duplicate,
    }


def _order_json(o: StoredOrder) -> dict[str, Any]:
    """An order as ``GET .../bestallningar`` shows it."""
    return {
        "bestallning": o.seq,
        "fil": o.file,
        "kanal": o.source.value,
        "mottagen": o.received.isoformat(),
        "intagsdag": o.intake_day.isoformat(),
        "personer": o.order.persons,
        "referens": o.order.reference,
        "besvarad": o.applied,
    }


def _subscription_json(s: Subscription) -> dict[str, Any]:
    """A subscription as ``GET .../prenumerationer`` shows it."""
    return {
        "personnummer": s.pnr,
        "aktiv": s.active,
        "formaner": {k: v.isoformat() for k, v in s.benefits.items()},
        "levereradTom": None if s.upto is None else s.upto.isoformat(),
    }


def _file_json(f: AnswerFile) -> dict[str, Any]:
    """A file of ``out/`` as ``GET .../svar`` shows it."""
    return {"namn": f.name, "storlek": f.size}


# -- SHS --------------------------------------------------------------------------------------
async def receive_shs_order(
    request: web.Request, org: Organisation, label: shs.Label, parts: list[Part]
) -> web.StreamResponse:
    """An order as the one data part of an asynchronous SHS message: 202 once it is kept."""
    if label.transfer_type != "asynch":
        raise shs.ShsError(
            "MissingAgreement",
            "LEFI Prenumeration is asynchronous: send the order with "
            "transfer-type asynch; answer files wait in the delivery service",
        )
    if not org.prenumeration:
        raise shs.ShsError("MissingAgreement", f"{org.orgnummer} has no LEFI Prenumeration agreement")
    data = parts[1:]
    if len(data) != 1 or data[0].content_type not in ("text/xml", "application/xml"):
        raise shs.ShsError(
            "IllegalMessageStructure", "An order is sent as one text/xml data part after the label"
        )
    exchange = exchange_of(request)
    try:
        accepted = await request.app[PRENUMERATION].accept(
            org,
            data[0].body,
            data[0].filename or f"{label.tx_id}.xml",
            OrderSource.SHS,
            fingerprint=f"shs:{label.tx_id}",
        )
    except STORE_ERRORS as exc:
        log.warning("prenumeration: %s: %s", type(exc).__name__, exc)
        raise shs.ShsError(
            "OtherError",
            "The order could not be kept: the sandbox's durable store is unreachable; send it again",
            503,
        ) from None
    except OrderRefused as exc:
        exchange.outcome = Outcome.invalid()
        raise shs.invalid_message(f"Beställningen avvisas: {exc}", exc.problems) from None
    # a duplicate is answered from the stored order: journaled as a replay, not as a new order
    exchange.outcome = Outcome.replay(Outcome.ok()) if accepted.duplicate else Outcome.ok()
    headers = {
        "X-shs-txid": label.tx_id,
        "X-shs-corrid": label.corr_id,
        "X-shs-contentid": label.content_id,
        "X-shs-arrivaldate": shs_time(accepted.received),
    }
    if accepted.duplicate:
        headers["X-shs-duplicatemsg"] = "yes"
    return web.Response(status=202, text=label.tx_id, headers=headers)
