"""LEKA over SOAP: ``POST /leka/ws`` (plain SOAP 1.1/1.2, as WS) and ``POST /leka/ssek``
(with the ``ssek:SSEK`` header, as SSEK); ``GET ...?wsdl`` the WSDL (``schemas/leka.wsdl``,
``schemas/leka.xsd``).

Operations: ``RegistreraPrenumeration`` (persons, and optionally the organisation's
``aviseringsadress`` for pushed notifications), ``KontrolleraPrenumeration``,
``AvregistreraPrenumeration``, ``HamtaAviseringar``, ``KvitteraAviseringar``. Each
answers ``status{kod, beskrivning}`` (0, or the business error that stops the whole
request: 12, 13) and a status per person (0, 3, 4, 11: a registration as the onlinefråga
answers the person). LEKA counts on the SLA's online channel, as the SLA says (onlinefråga
and LEKA share their limits).
"""

from __future__ import annotations

import logging
from functools import lru_cache

from aiohttp import web
from lxml import etree

from simulator.domain import orgnummer
from simulator.domain.errors import BusinessError
from simulator.domain.schemas import SCHEMA_DIR
from simulator.observability.exchange import binding, exchange_of
from simulator.protocols import ladder, lefi_xml
from simulator.protocols.soap import (
    FaultCode,
    Problem,
    SoapFault,
    SoapMessage,
    check_must_understand,
    parse_envelope_async,
    render_envelope,
)
from simulator.protocols.soap_http import (
    SoapRenderer,
    fault_response,
    read_soap_body,
    soap_expect,
    wsdl_response,
    xml_response,
)
from simulator.runtime.sandbox import SANDBOX, NotCertified, Sandbox
from simulator.scenario.models import Binding, Organisation, Transport
from simulator.services.leka import subscriptions as leka
from simulator.services.online.ssek import SsekFault, serve

__all__ = ["NS", "SSEK_PATH", "WS_PATH", "setup"]

log = logging.getLogger("simulator.leka")

NS = "http://schema.forsakringskassan.se/leka"
WS_PATH = "/leka/ws"
SSEK_PATH = "/leka/ssek"
PERSON_OPERATIONS = ("RegistreraPrenumeration", "KontrolleraPrenumeration", "AvregistreraPrenumeration")


def setup(app: web.Application) -> None:
    app.router.add_post(WS_PATH, handle_ws, expect_handler=soap_expect)
    app.router.add_post(SSEK_PATH, handle_ssek, expect_handler=soap_expect)
    for path in (WS_PATH, SSEK_PATH):
        app.router.add_get(path, handle_wsdl)


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "leka.xsd"), parser))


async def handle_wsdl(request: web.Request) -> web.Response:
    return wsdl_response(request, "leka.wsdl", "leka.xsd")


def _sub(parent: etree._Element, name: str, text: object = None) -> etree._Element:
    el = etree.SubElement(parent, _q(name))
    if text is not None:
        el.text = str(text)
    return el


def _reply(operation: str, code: int = 0, text: str = "OK") -> etree._Element:
    root = etree.Element(_q(f"{operation}Svar"), nsmap={"leka": NS})
    status = _sub(root, "status")
    _sub(status, "kod", code)
    _sub(status, "beskrivning", text)
    return root


def _read(body: etree._Element) -> tuple[str, str]:
    """(operation, the asking organisation as sent) of a valid LEKA request."""
    if etree.QName(body).namespace != NS:
        raise SoapFault(
            FaultCode.SENDER,
            f"Unknown operation: the body holds {body.tag!r}, expected a LEKA operation in {NS}",
        )
    if not schema().validate(body):
        raise lefi_xml.QuestionInvalid(
            1,
            [Problem(e.message, e.line or None, e.column or None) for e in schema().error_log],
            against="leka.xsd",
        )
    return etree.QName(body).localname, (body.findtext(_q("organisationsnummer")) or "").strip()


async def _operate(
    sandbox: Sandbox, operation: str, organisation: str, body: etree._Element, transport: Transport
) -> etree._Element:
    """The operation's answer; a business error that stops the whole request (12, 13)
    is its status."""
    organisation = orgnummer.canonical(organisation) if orgnummer.is_valid(organisation) else organisation
    persons = [(el.text or "").strip() for el in body.iterfind(_q("personnummer"))]
    try:
        if operation == "RegistreraPrenumeration":
            results = await leka.register(
                sandbox, organisation, persons, transport, body.findtext(_q("aviseringsadress"))
            )
        elif operation == "AvregistreraPrenumeration":
            results = await leka.deregister(sandbox, organisation, persons, transport)
        elif operation == "KontrolleraPrenumeration":
            reply = _reply(operation)
            for outcome in await leka.check(sandbox, organisation, persons, transport):
                person = _sub(reply, "person")
                _sub(person, "personnummer", outcome.personnummer)
                _sub(person, "prenumererar", "true" if outcome.registered else "false")
                if outcome.registered:
                    _sub(person, "registrerad", outcome.registered)
            return reply
        elif operation == "HamtaAviseringar":
            reply = _reply(operation)
            for doc in await leka.pending(
                sandbox, organisation, transport, int(body.findtext(_q("max")) or 100)
            ):
                avisering = _sub(reply, "avisering")
                for name, value in leka.push_body(doc).items():
                    if name != "organisationsnummer":
                        _sub(avisering, name, value)
            return reply
        else:  # KvitteraAviseringar (the schema allows no other)
            ids = [int((el.text or "").strip()) for el in body.iterfind(_q("aviseringsId"))]
            reply = _reply(operation)
            _sub(reply, "antal", await leka.acknowledge(sandbox, organisation, ids, transport))
            return reply
    except BusinessError as exc:
        return _reply(operation, exc.status.code, exc.detail or exc.status.text)
    except leka.InvalidAddress as exc:  # the caller's mistake: a Sender fault (SSEK: ContentInvalid)
        raise SoapFault(FaultCode.SENDER, str(exc)) from None
    reply = _reply(operation)
    for outcome in results:
        person = _sub(reply, "person")
        _sub(person, "personnummer", outcome.personnummer)
        status = _sub(person, "status")
        _sub(status, "kod", outcome.code)
        _sub(status, "beskrivning", outcome.text)
    return reply


class LekaRenderer(SoapRenderer):
    """Plain SOAP faults; a request that does not validate names leka.xsd."""

    def specific(self, exc: Exception) -> web.Response | None:
        if isinstance(exc, lefi_xml.QuestionInvalid):
            return fault_response(
                self.version,
                SoapFault(
                    FaultCode.SENDER,
                    f"The request does not validate against leka.xsd: {exc.problems[0].message}",
                    detail=[lefi_xml.validation_detail(exc.problems)],
                ),
            )
        return super().specific(exc)


@binding(Binding.WS)
async def handle_ws(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    renderer = LekaRenderer(request)

    async def work() -> web.Response:
        message = await parse_envelope_async(
            await read_soap_body(request), request.headers.get("Content-Type", "")
        )
        renderer.version = message.version
        check_must_understand(message, understood=set())
        operation, organisation = _read(message.body)
        try:
            await sandbox.identify(exchange_of(request), organisation)
        except NotCertified as exc:  # as WS refuses an organisation that may not ask: business error 13
            reply = _reply(operation, exc.status.code, exc.detail)
        else:
            reply = await _operate(sandbox, operation, organisation, message.body, Transport.WS)
        return xml_response(200, render_envelope(renderer.version, reply), renderer.version)

    return await ladder.answer(request, renderer, work, log)


@binding(Binding.SSEK)
async def handle_ssek(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]

    async def work(message: SoapMessage, org: Organisation, tx_id: str) -> etree._Element:
        operation, organisation = _read(message.body)
        if orgnummer.is_valid(organisation) and orgnummer.canonical(organisation) != org.orgnummer:
            raise SsekFault(
                "SenderIdUnknown",
                f"SenderId is organisation {org.orgnummer}; it cannot act as organisation {organisation}",
                "Body/organisationsnummer",
            )
        return await _operate(sandbox, operation, organisation, message.body, Transport.SSEK)

    return await serve(request, work)
