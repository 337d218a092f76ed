"""The LEFI v9 REST binding: FK's current interface, JSON over HTTP.

``POST /lefi-extern-formansinformation/v9/aktorer/{aktorsId}/formansinformation/fraga``
answers a question; ``GET .../aktorer/{aktorsId}/tillgangligaInformationstyper`` lists
what the aktör may ask for. The aktör is the scenario organisation with that
``aktorsid`` (or, without one, that orgnummer). Every error is a ``LefiFelsvar`` with
one of the contract's statuses (400, 403, 500). The project's own OpenAPI document is
served at ``.../v9/openapi.yaml``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from simulator.domain.errors import BusinessError, TechnicalError
from simulator.domain.schemas import SCHEMA_DIR
from simulator.domain.versions import newest_supported
from simulator.observability.exchange import binding, exchange_of
from simulator.protocols import ladder, lefi_json
from simulator.protocols.echo import echo
from simulator.protocols.http_body import BodyError, expect_handler, read_body
from simulator.protocols.ladder import Renderer
from simulator.protocols.lefi_json import (
    Fraga,
    FragaInvalid,
    LefiReply,
    felsvar,
    technical_answer,
    technical_reply,
)
from simulator.runtime.faults import InjectedFault
from simulator.runtime.sandbox import SANDBOX, NotCertified, Sandbox
from simulator.runtime.sla.gate import SlaBreach
from simulator.scenario.models import Binding, Organisation, Transport

__all__ = ["BASE", "OPENAPI_FILE", "answer_question", "find_aktor", "setup"]

log = logging.getLogger("simulator.rest")

BASE = "/lefi-extern-formansinformation/v9"
OPENAPI_FILE = "lefi-v9-openapi.yaml"


def setup(app: web.Application) -> None:
    app.router.add_post(
        BASE + "/aktorer/{aktorsId}/formansinformation/fraga", handle_fraga, expect_handler=_expect
    )
    app.router.add_get(BASE + "/aktorer/{aktorsId}/tillgangligaInformationstyper", handle_available)
    app.router.add_get(BASE + "/openapi.yaml", handle_openapi)


class Refused(Exception):
    """Stop handling and answer this LefiFelsvar."""

    def __init__(self, reply: LefiReply) -> None:
        super().__init__(reply.body.get("meddelande", ""))
        self.reply = reply


def find_aktor(sandbox: Sandbox, aktors_id: str) -> Organisation | None:
    """The organisation whose aktorsId this is (its ``aktorsid``, or its orgnummer when it has none)."""
    for org in sandbox.store.organisations():
        if org.aktors_id == aktors_id:
            return org
    return None


async def answer_question(
    sandbox: Sandbox, request: web.Request, org: Organisation, fraga: Fraga, transport: Transport
) -> LefiReply:
    """The v9 reply to a parsed question (REST and SSBTEK). Raises ``TechnicalError`` that is
    not a source-system failure, and ``InjectedFault``, for the binding to render."""
    query = lefi_json.to_query(fraga, org.orgnummer, transport, newest_supported(sandbox.clock.today()))
    try:
        answer = await sandbox.answer(query, exchange_of(request))
    except TechnicalError as exc:
        if exc.status not in lefi_json.SOURCE_FAILURES:
            raise
        return technical_answer(sandbox, org.orgnummer, fraga, transport, exc)
    return lefi_json.render_answer(answer, fraga)


@binding(Binding.REST)
async def handle_fraga(request: web.Request) -> web.Response:
    async def work(sandbox: Sandbox, now: datetime) -> LefiReply:
        org = await aktor(request, sandbox, now)
        data = await read_json(request, now)
        try:
            fraga = lefi_json.parse_question(data)
        except FragaInvalid as exc:
            raise Refused(felsvar(400, str(exc), now)) from None
        return await answer_question(sandbox, request, org, fraga, Transport.REST)

    return await respond(request, work)


@binding(Binding.REST)
async def handle_available(request: web.Request) -> web.Response:
    async def work(sandbox: Sandbox, now: datetime) -> LefiReply:
        org = await aktor(request, sandbox, now)
        await sandbox.identify(exchange_of(request), org.orgnummer)
        try:
            allowed = sandbox.engine.allowed_benefits(org.orgnummer, Transport.REST)
        except BusinessError as exc:
            reply = lefi_json.business_reply(exc.status, exc.detail, now)
            assert reply is not None  # the organisation's checks give 12 or 13: both fail the call
            raise Refused(reply) from None
        return lefi_json.render_available(allowed)

    return await respond(request, work)


Work = Callable[[Sandbox, datetime], Awaitable[LefiReply]]


class RestRenderer(Renderer[web.Response]):
    """The ladder's errors as the contract's LefiFelsvar (400, 403, 429, 500, 503)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def specific(self, exc: Exception) -> web.Response | None:
        return json_response(exc.reply) if isinstance(exc, Refused) else None

    def not_certified(self, exc: NotCertified) -> web.Response:
        return json_response(felsvar(403, exc.detail, self.now))

    def sla(self, breach: SlaBreach) -> web.Response:
        # 429 for a limit, 503 while closed; Retry-After says when (the LefiFelsvar shape)
        return json_response(
            felsvar(503 if breach.closed else 429, breach.text, self.now),
            {"Retry-After": breach.retry_after_header},
        )

    def injected(self, exc: InjectedFault) -> web.Response:
        return json_response(technical_reply(exc, self.now))

    def technical(self, exc: TechnicalError) -> web.Response:
        return json_response(technical_reply(exc, self.now))

    def unexpected(self) -> web.Response:
        return json_response(felsvar(500, "Oväntat fel i sandlådan; se serverns logg", self.now))


async def respond(request: web.Request, work: Work) -> web.Response:
    """Runs ``work`` and renders what it returns or raises as the contract's JSON."""
    sandbox = request.app[SANDBOX]
    now = sandbox.clock.now()

    async def run() -> web.Response:
        return json_response(await work(sandbox, now))

    return await ladder.answer(request, RestRenderer(now), run, log)


def json_response(reply: LefiReply, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=reply.status,
        body=lefi_json.dumps(reply.body),
        content_type="application/json",
        charset="utf-8",
        headers={**(reply.headers or {}), **(headers or {})},
    )


async def aktor(request: web.Request, sandbox: Sandbox, now: datetime) -> Organisation:
    """The aktör of the path, or 403 as the contract says for an unknown one."""
    aktors_id = request.match_info["aktorsId"]
    org = find_aktor(sandbox, aktors_id)
    if org is None:
        await sandbox.identify(exchange_of(request), echo(aktors_id))  # fault rules apply to every request
        raise Refused(felsvar(403, "Okänd aktör, eller en aktör som anroparen inte får företräda", now))
    return org


async def read_json(request: web.Request, now: datetime) -> bytes:
    """The body of a JSON request, or Refused with the contract's 400 saying why not."""
    check_media_type(request, now)
    try:
        return await read_body(request)
    except BodyError as exc:
        raise Refused(felsvar(400, f"Frågan kan inte läsas: {exc.reason}", now)) from None


def check_media_type(request: web.Request, now: datetime) -> None:
    mt = request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if mt != "application/json" and not (mt.startswith("application/") and mt.endswith("+json")):
        raise Refused(
            felsvar(400, f"Frågan ska skickas som application/json, inte {echo(mt) or '(ingen typ)'}", now)
        )


_expect = expect_handler(
    lambda request, exc: json_response(
        felsvar(400, f"Frågan kan inte läsas: {exc.reason}", request.app[SANDBOX].clock.now())
    )
)


async def handle_openapi(request: web.Request) -> web.Response:
    return web.Response(
        body=(SCHEMA_DIR / OPENAPI_FILE).read_bytes(), content_type="application/yaml", charset="utf-8"
    )
