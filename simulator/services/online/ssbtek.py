"""The SSBTEK v10 binding: Sammansatt bastjänst ekonomiskt bistånd (social services).

``POST /ssbtek`` serves FK's two operations over SOAP 1.1 (document/literal, SOAPAction
""): ``hamtaBastjanstInformation`` answers Försäkringskassan's part from the engine, as
LEFI v9 JSON base64-encoded in ``lefiJsonSvar``; ``testaBastjanstInformation`` says which
agencies' test services were called. The other agencies (AF, CSN, SKV, SO, TNS, MIV) are
not in the sandbox: their parts are left out of the answer, as FK's own example answers
do. ``GET /ssbtek?wsdl`` serves the project's WSDL.
"""

from __future__ import annotations

import base64
import binascii
import logging
from functools import lru_cache

from aiohttp import web
from lxml import etree

from simulator.domain import orgnummer
from simulator.domain.errors import TechnicalError
from simulator.domain.schemas import SCHEMA_DIR
from simulator.observability.exchange import binding, exchange_of
from simulator.observability.outcome import Outcome
from simulator.protocols import ladder, lefi_json
from simulator.protocols.echo import TOKEN, echo_repr
from simulator.protocols.http_body import BodyError, expect_handler, read_body
from simulator.protocols.lefi_json import FragaInvalid, LefiReply, technical_reply
from simulator.protocols.soap import (
    FaultCode,
    Problem,
    SoapFault,
    SoapVersion,
    check_must_understand,
    parse_envelope_async,
    render_envelope,
    sla_fault,
    soap_version_of,
)
from simulator.protocols.soap_http import SoapRenderer, wsdl_response
from simulator.protocols.soap_http import fault_response as _fault
from simulator.protocols.soap_http import xml_response as _xml
from simulator.runtime.faults import InjectedFault
from simulator.runtime.sandbox import SANDBOX, NotCertified, Sandbox
from simulator.runtime.sla.gate import SlaBreach
from simulator.scenario.models import Binding, Transport
from simulator.services.online.rest_v9 import answer_question, find_aktor

__all__ = ["PATH", "NS", "setup"]

log = logging.getLogger("simulator.ssbtek")

PATH = "/ssbtek"
NS = "http://schema.forsakringskassan.se/integration/ssbt/10"
HAMTA = f"{{{NS}}}hamtaBastjanstInformation"
TESTA = f"{{{NS}}}testaBastjanstInformation"
AGENCIES = ("AF", "CSN", "FK", "SKV", "SO", "TNS", "MIV")  # the schema's order
LEFI_VERSIONS = ("v9",)


def setup(app: web.Application) -> None:
    app.router.add_post(PATH, handle, expect_handler=_expect)
    app.router.add_get(PATH, handle_get)


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, _q(name))
    if text is not None:
        el.text = text
    return el


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "ssbtek-v10.xsd"), parser))


class SsbtekRenderer(SoapRenderer):
    """SOAP faults with SSBTEK's fault detail (felkod, felmeddelande) for the ``operation`` asked.
    A tekniskt fel or a refused certificate outside a question's part is unexpected here: each
    part answers its own (``_fraga``)."""

    def __init__(self, request: web.Request) -> None:
        super().__init__(request)
        self.operation = "hamtaBastjanstInformation"

    def specific(self, exc: Exception) -> web.Response | None:
        if not isinstance(exc, SoapFault):
            return None
        if not exc.detail:
            # only a Receiver fault is the service's own; MustUnderstand, VersionMismatch and
            # Sender faults are the message's
            felkod = "TEKNISKT_FEL" if exc.code is FaultCode.RECEIVER else "OGILTIG_FRAGA"
            messages = [exc.reason] + [p.message for p in exc.problems if p.message not in exc.reason]
            exc.detail = [_fault_detail(self.operation, felkod, messages)]
        return _fault(self.version, exc)

    def sla(self, breach: SlaBreach) -> web.Response:
        fault = sla_fault(breach)
        fault.detail = [_fault_detail(self.operation, f"SLA_{breach.rule.upper()}", [breach.text])]
        return _fault(self.version, fault, http_headers={"Retry-After": breach.retry_after_header})

    def injected(self, exc: InjectedFault) -> web.Response:
        return _fault(
            self.version,
            SoapFault(
                FaultCode.by_name(exc.code),
                exc.reason,
                detail=[
                    _fault_detail(
                        self.operation,
                        "SIMULERAT_FEL",
                        [f"Simulerat fel (regel {exc.rule.id}): {exc.reason}"],
                    )
                ],
            ),
        )

    def technical(self, exc: TechnicalError) -> None:
        return None

    def unexpected(self) -> web.Response:
        return _fault(
            self.version,
            SoapFault(
                FaultCode.RECEIVER,
                "Oväntat fel i sandlådan; se serverns logg",
                detail=[_fault_detail(self.operation, "TEKNISKT_FEL", ["Oväntat fel"])],
            ),
        )


@binding(Binding.SSBTEK)
async def handle(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    renderer = SsbtekRenderer(request)

    async def work() -> web.Response:
        try:
            data = await read_body(request)
        except BodyError as exc:
            raise SoapFault(FaultCode.SENDER, exc.reason, http_status=exc.status) from None
        message = await parse_envelope_async(data, request.headers.get("Content-Type", ""))
        renderer.version = message.version
        check_must_understand(message, understood=set())
        body = message.body
        if body.tag not in (HAMTA, TESTA):
            raise SoapFault(
                FaultCode.SENDER,
                f"Unknown operation: the body holds {body.tag!r}, expected "
                f"hamtaBastjanstInformation or testaBastjanstInformation in {NS}",
            )
        renderer.operation = etree.QName(body).localname
        _validate(body)
        answer = await (_hamta(sandbox, request, body) if body.tag == HAMTA else _testa(sandbox, request))
        return _xml(200, render_envelope(renderer.version, answer), renderer.version)

    return await ladder.answer(request, renderer, work, log)


def _validate(body: etree._Element) -> None:
    schema = _schema()
    if not schema.validate(etree.ElementTree(body)):
        problems = [Problem(e.message, e.line or None, e.column or None) for e in list(schema.error_log)[:20]]
        raise SoapFault(
            FaultCode.SENDER,
            f"The question is not valid for SSBTEK v10: {problems[0].message}",
            problems=problems,
        )


def _fault_detail(operation: str, felkod: str, messages: list[str]) -> etree._Element:
    el = etree.Element(_q(f"{operation}Fault"), nsmap={"ssbt": NS})
    _sub(el, "felkod", felkod)
    for text in messages[:20]:
        _sub(el, "felmeddelande", text)
    return el


def _error(parent: etree._Element, kalla: str, felkod: str, felmeddelande: str) -> None:
    error = _sub(parent, "error")
    _sub(error, "kalla", kalla)
    _sub(error, "felkod", felkod)
    _sub(error, "felmeddelande", felmeddelande)


async def _hamta(sandbox: Sandbox, request: web.Request, fraga: etree._Element) -> etree._Element:
    generella = fraga.find(_q("generellaFrageparametrar"))
    specifika = fraga.find(_q("specifikaFrageparametrar"))
    assert generella is not None and specifika is not None  # the schema requires them
    svar = etree.Element(_q("hamtaBastjanstInformationResponse"), nsmap={"ssbt": NS})
    if generella.findtext(_q("fraganSkallInkluderasISvaret"), "").strip() in ("true", "1"):
        original = _sub(svar, "fraga")
        original.extend(
            [etree.fromstring(etree.tostring(generella)), etree.fromstring(etree.tostring(specifika))]
        )
    for echoed in ("frageTidpunkt", "korrelationsid"):
        value = generella.findtext(_q(echoed))
        if value is not None:
            _sub(svar, echoed, value)
    svarsdata = _sub(svar, "svarsdata")
    fk = specifika.find(_q("FK"))
    assert fk is not None
    if fk.get("inkludera", "").strip() in ("true", "1"):
        ingivare = generella.findtext(f"{_q('ingivare')}/{_q('organisationsnummer')}", "").strip()
        part = _sub(svarsdata, "FK")
        await _fk_part(sandbox, request, part, fk.find(_q("fraga")), ingivare)
    return svar


async def _fk_part(
    sandbox: Sandbox, request: web.Request, part: etree._Element, fraga: etree._Element | None, ingivare: str
) -> None:
    """Försäkringskassan's part: LEFI v9's answer as data, or the error LEFI gave."""
    if fraga is None:
        _error(part, "SSBT", "FRAGA_SAKNAS", "FK ska ingå men frågan till Försäkringskassan saknas")
        return
    version = (fraga.findtext(_q("version")) or "v9").strip()
    if version not in LEFI_VERSIONS:
        _error(
            part,
            "SSBT",
            "VERSIONEN_STODS_EJ",
            f"LEFI version {echo_repr(version, TOKEN)} finns inte; sandlådan har {', '.join(LEFI_VERSIONS)}",
        )
        return
    try:
        reply = await _lefi(sandbox, request, fraga, ingivare)
    except TechnicalError as exc:
        reply = technical_reply(exc, sandbox.clock.now())
    except NotCertified as exc:
        reply = lefi_json.felsvar(403, exc.detail, sandbox.clock.now())
    if reply.status == 200:
        data = _sub(part, "data")
        _sub(data, "lefiJsonSvar", base64.b64encode(lefi_json.dumps(reply.body)).decode("ascii"))
    else:
        _error(part, "BT", str(reply.status), str(reply.body.get("meddelande", "")))


async def _lefi(sandbox: Sandbox, request: web.Request, fraga: etree._Element, ingivare: str) -> LefiReply:
    """What LEFI v9 answers the aktör: as the REST binding, and the ingivare must be the aktör."""
    now = sandbox.clock.now()
    aktors_id = (fraga.findtext(_q("aktorsid")) or "").strip()
    org = find_aktor(sandbox, aktors_id)
    if org is None or org.orgnummer != orgnummer.canonical(ingivare):
        await sandbox.identify(exchange_of(request), ingivare)  # fault rules apply to every request
        return lefi_json.felsvar(403, "Okänd aktör, eller en aktör som ingivaren inte får företräda", now)
    try:
        data = base64.b64decode("".join((fraga.findtext(_q("lefiJsonFraga")) or "").split()), validate=True)
        question = lefi_json.parse_question(data)
    except binascii.Error:
        return lefi_json.felsvar(400, "lefiJsonFraga är inte base64", now)
    except FragaInvalid as exc:
        return lefi_json.felsvar(400, str(exc), now)
    return await answer_question(sandbox, request, org, question, Transport.SSBTEK)


async def _testa(sandbox: Sandbox, request: web.Request) -> etree._Element:
    """FK's test service is called; the other agencies have none here. The question names
    no one: under mutual TLS the client certificate's organisation asks, identified, counted
    by the SLA and matched by fault rules as for hamtaBastjanstInformation; without it the
    caller is anonymous and only fault rules for no organisation apply."""
    exchange = exchange_of(request)
    svar = etree.Element(_q("testaBastjanstInformationResponse"), nsmap={"ssbt": NS})
    for agency in AGENCIES:
        part = _sub(svar, agency)
        _sub(part, "anropad", "true" if agency == "FK" else "false")
        if agency == "FK":
            try:
                if exchange.certified:
                    await sandbox.identify(exchange, exchange.certified)
                else:
                    sandbox.faults.apply(exchange)
            except TechnicalError as exc:  # a fault rule's: FK's test service failed
                exchange.outcome = Outcome.technical(exc.status)
                _error(part, "BT", exc.status.name, exc.detail or exc.status.text)
    return svar


def _refuse_body(request: web.Request, exc: BodyError) -> web.Response:
    version = soap_version_of(request.headers.get("Content-Type", "")) or SoapVersion.V11
    return _fault(
        version,
        SoapFault(
            FaultCode.SENDER,
            exc.reason,
            http_status=exc.status,
            detail=[_fault_detail("hamtaBastjanstInformation", "OGILTIG_FRAGA", [exc.reason])],
        ),
    )


_expect = expect_handler(_refuse_body)


async def handle_get(request: web.Request) -> web.Response:
    return wsdl_response(request, "ssbtek-v10.wsdl", "ssbtek-v10.xsd")
