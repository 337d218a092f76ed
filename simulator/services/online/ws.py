"""The WS binding: FK's XML question over plain SOAP 1.1 / 1.2 (municipalities).

Paths as FK's documented addresses: /ws, /ws/FK.EXA.Lefi.Fraga and /shs2 serve the
current and previous version; /ws/FK.EXA.Lefi.FragaV4 answers VERSIONEN_STODS_EJ (V4
closed 2020-12-31). ``GET <path>?wsdl`` serves the WSDL (``&version=5`` for the
previous version's schema).
"""

from __future__ import annotations

import logging
import re

from aiohttp import web

from simulator.domain.errors import TechnicalError, TeknisktFel
from simulator.domain.versions import CURRENT, open_versions, require_supported, supported_versions
from simulator.observability.exchange import binding, exchange_of
from simulator.protocols import ladder, lefi_xml
from simulator.protocols.soap import (
    FaultCode,
    SoapFault,
    check_must_understand,
    parse_envelope_async,
    render_envelope,
)
from simulator.protocols.soap_http import SoapRenderer, request_origin, wsdl_for
from simulator.protocols.soap_http import fault_response as _fault
from simulator.protocols.soap_http import read_soap_body as _read_body
from simulator.protocols.soap_http import soap_expect as _expect
from simulator.protocols.soap_http import xml_response as _xml
from simulator.runtime.sandbox import SANDBOX
from simulator.scenario.models import Binding, Transport

__all__ = ["WS_PATHS", "V4_PATH", "setup"]

log = logging.getLogger("simulator.ws")

WS_PATHS = ("/ws", "/ws/FK.EXA.Lefi.Fraga", "/shs2")
V4_PATH = "/ws/FK.EXA.Lefi.FragaV4"


def setup(app: web.Application) -> None:
    for path in WS_PATHS:
        app.router.add_post(path, handle_question, expect_handler=_expect)
        app.router.add_get(path, handle_get)
    app.router.add_post(V4_PATH, handle_v4, expect_handler=_expect)
    app.router.add_get(V4_PATH, handle_get)


@binding(Binding.WS)
async def handle_question(request: web.Request) -> web.Response:
    return await _respond(request, closed_v4=False)


@binding(Binding.WS)
async def handle_v4(request: web.Request) -> web.Response:
    return await _respond(request, closed_v4=True)


class WsRenderer(SoapRenderer):
    """SOAP faults, with the LEFI question's validation problems in the detail."""

    def specific(self, exc: Exception) -> web.Response | None:
        if isinstance(exc, SoapFault):
            if exc.problems and not exc.detail:
                exc.detail = [lefi_xml.validation_detail(exc.problems)]
            return _fault(self.version, exc)
        if isinstance(exc, lefi_xml.QuestionInvalid):
            return _fault(
                self.version,
                SoapFault(FaultCode.SENDER, str(exc), detail=[lefi_xml.validation_detail(exc.problems)]),
            )
        return None


async def _respond(request: web.Request, closed_v4: bool) -> web.Response:
    sandbox = request.app[SANDBOX]
    renderer = WsRenderer(request)

    async def work() -> web.Response:
        data = await _read_body(request)
        media_type = request.headers.get("Content-Type", "")
        key = sandbox.answers.key(
            "ws", media_type, data, sandbox.generation, sandbox.clock.today(), exchange_of(request).certified
        )
        cached = None if closed_v4 else sandbox.answers.get(key)
        if cached is not None:  # asked before today: the same bytes, after the gate and fault rules
            return _xml(200, await sandbox.replay(cached, exchange_of(request)), renderer.version)
        message = await parse_envelope_async(data, media_type)
        renderer.version = message.version
        check_must_understand(message, understood=set())
        if closed_v4:
            # the V4 address: V4 is not in the sandbox, and closed for good after 2020
            raise TechnicalError(
                TeknisktFel.VERSIONEN_STODS_EJ,
                (
                    "Version 4 av LEFI Online finns inte i sandlådan"
                    if 4 in open_versions(sandbox.clock.today())
                    else "Version 4 av LEFI Online stängdes 2020-12-31"
                ),
            )
        fraga = message.body
        if fraga.tag != lefi_xml.FRAGA:
            raise SoapFault(
                FaultCode.SENDER,
                f"Unknown operation: the body holds {fraga.tag!r}, expected "
                f"{lefi_xml.FRAGA!r} (HamtaFormansinformation)",
            )
        version = require_supported(lefi_xml.question_version(fraga), sandbox.clock.today())
        lefi_xml.validate_question(fraga, version)
        query = lefi_xml.parse_question(fraga, version, Transport.WS)
        answer = await sandbox.answer(query, exchange_of(request))
        body = render_envelope(renderer.version, lefi_xml.render_answer(answer))
        sandbox.remember(key, query, answer, body)
        return _xml(200, body, renderer.version)

    return await ladder.answer(request, renderer, work, log)


async def handle_get(request: web.Request) -> web.Response:
    query = {k.lower(): v for k, v in request.query.items()}  # ?WSDL as .NET tools write it
    if "wsdl" not in query:
        raise web.HTTPMethodNotAllowed(
            "GET",
            ["POST"],
            text=(f"POST a SOAP question to {request.path}; GET {request.path}?wsdl for the WSDL\n"),
        )
    served = supported_versions(request.app[SANDBOX].clock.today())
    asked = query.get("version", "") or query.get("wsdl", "")
    # default: the newest version served today (before a release, the previous one)
    version = max(served, default=CURRENT)
    if asked:
        if not re.fullmatch(r"[0-9]{1,3}", asked) or int(asked) not in served:  # ASCII digits only
            raise web.HTTPNotFound(
                text=f"version {asked!r} is not served; served: {', '.join(map(str, served))}\n"
            )
        version = int(asked)
    origin = request_origin(request)
    return web.Response(
        body=wsdl_for(
            "lefi-online.wsdl", origin + request.path, f"{origin}/schemas/lefi-online-v{version}.xsd"
        ),
        content_type="text/xml",
        charset="utf-8",
    )
