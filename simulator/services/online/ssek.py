"""The SSEK binding: FK's XML question over SOAP with an SSEK header (insurers).

``POST /ssek/FK.EXA.Lefi.Fraga`` answers the current and previous version;
``/ssek/FK.EXA.Lefi.FragaV4`` answers VERSIONEN_STODS_EJ (version 4 is not served). ``GET <path>?wsdl``
serves the WS binding's WSDL with this address (SSEK clients add the header themselves).

The ``ssek:SSEK`` header (mustUnderstand) names the sender (``SenderId``, known from the
scenario), the receiver (``ReceiverId``: FK, 2021005521) and the transaction (``TxId``,
36 characters, required here). What is wrong with it is an SSEK fault (``ssek:<Code>``
with an ``ssek:FaultData`` detail); a question resent with a TxId already answered for
the same sender gets the stored answer, without asking the engine again (journaled and
metered as ``replay:<the first outcome>``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from lxml import etree

from simulator.domain import orgnummer
from simulator.domain.receiver import FK_ORGNUMMER, is_fk
from simulator.domain.versions import require_supported
from simulator.observability.exchange import Exchange, binding, exchange_of
from simulator.observability.outcome import Outcome
from simulator.protocols import ladder, lefi_xml
from simulator.protocols.bounded import BoundedStore
from simulator.protocols.echo import TOKEN, echo_repr
from simulator.protocols.soap import (
    FaultCode,
    Problem,
    SoapFault,
    SoapMessage,
    SoapVersion,
    check_must_understand,
    parse_envelope_async,
    render_envelope,
)
from simulator.protocols.soap_http import (
    SoapRenderer,
    fault_response,
    read_soap_body,
    soap_expect,
    xml_response,
)
from simulator.runtime.registry import Service, register
from simulator.runtime.sandbox import SANDBOX, NotCertified, Sandbox
from simulator.runtime.sla.gate import SlaBreach
from simulator.scenario.models import Binding, Channel, Organisation, Transport
from simulator.scenario.store import ScenarioStore
from simulator.services.online import ws

__all__ = ["ID_TYPES", "RESENDS", "SSEK_NS", "SSEK_PATH", "SSEK_V4_PATH", "setup"]

log = logging.getLogger("simulator.ssek")

SSEK_NS = "http://schemas.ssek.org/ssek/2006-05-10/"
SSEK_HEADER = f"{{{SSEK_NS}}}SSEK"
SSEK_PATH = "/ssek/FK.EXA.Lefi.Fraga"
SSEK_V4_PATH = "/ssek/FK.EXA.Lefi.FragaV4"
ID_TYPES = ("APP", "CN", "DN", "ORGNR")  # SSEK IdType
TX_ID_LENGTH = 36
SYSTEM = "LEFI sandbox"  # FaultItem/System: who found the fault
# Answers kept for resends: a resend comes within minutes, so the newest 10 000 (at most
# 32 MiB) are plenty and one partner's traffic cannot take the server's memory.
RESENDS_KEPT = 10_000
RESENDS_BYTES = 32 * 1024 * 1024


def _s(name: str) -> str:
    return f"{{{SSEK_NS}}}{name}"


@dataclass(frozen=True)
class Party:
    """A SenderId or ReceiverId as sent: its text and its Type."""

    id: str
    type: str


@dataclass(frozen=True)
class SsekHeader:
    sender: Party
    receiver: Party
    tx_id: str | None  # as sent (stripped); None when absent
    asynch_method: str | None = None  # AsynchPull, where the service allows it (massfråga)


@dataclass
class FaultItem:
    code: str
    description: str
    location: str | None = None


@dataclass
class SsekFault(Exception):
    """An SSEK fault: ``code`` is one of ssek.xsd's FaultCode values."""

    code: str
    reason: str
    location: str | None = None
    items: list[FaultItem] = field(default_factory=list)


@dataclass(frozen=True)
class Stored:
    """An answer kept for resends of its TxId."""

    fingerprint: bytes  # the question's canonical XML: a resend must carry the same question
    svar: str  # FK.Online.Svar as text; the envelope is made again for the resend's SOAP version
    header: SsekHeader  # the question's; the reply header is made again for the resend
    personnummer: str
    benefits: tuple[str, ...]
    outcome: Outcome | None


RESENDS = web.AppKey("ssek_resends", BoundedStore)


def setup(app: web.Application) -> None:
    app[RESENDS] = BoundedStore(RESENDS_KEPT, RESENDS_BYTES, lambda s: len(s.svar) + len(s.fingerprint))
    register(app, Service("ssek", memory=(app[RESENDS],)))
    app.router.add_post(SSEK_PATH, handle_question, expect_handler=soap_expect)
    app.router.add_get(SSEK_PATH, ws.handle_get)
    app.router.add_post(SSEK_V4_PATH, handle_v4, expect_handler=soap_expect)
    app.router.add_get(SSEK_V4_PATH, ws.handle_get)


@binding(Binding.SSEK)
async def handle_question(request: web.Request) -> web.Response:
    return await _respond(request, closed_v4=False)


@binding(Binding.SSEK)
async def handle_v4(request: web.Request) -> web.Response:
    return await _respond(request, closed_v4=True)


async def _respond(request: web.Request, closed_v4: bool) -> web.Response:
    sandbox = request.app[SANDBOX]
    renderer = SsekRenderer(request)

    async def work() -> web.Response:
        data = await read_soap_body(request)
        message = await parse_envelope_async(data, request.headers.get("Content-Type", ""))
        renderer.version = message.version
        check_must_understand(message, understood={SSEK_HEADER})
        header = read_header(message)
        renderer.tx_id = header.tx_id if header.tx_id and well_formed(header.tx_id) else None
        exchange = exchange_of(request)
        org, tx_id = await accept_sender(sandbox, exchange, header)
        renderer.tx_id = tx_id
        fraga = message.body
        fingerprint = etree.tostring(fraga, method="c14n", exclusive=True)  # not the envelope's namespaces
        resends = request.app[RESENDS]
        if closed_v4:
            require_supported(4, sandbox.clock.today())  # the V4 address: never served here, resends neither
        stored = resends.get((org.orgnummer, tx_id))
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise SsekFault(
                    "TxIdInvalid",
                    f"TxId {tx_id} was already used by this sender for another "
                    "question; a resend must carry the same question",
                    "SSEK/TxId",
                )
            await sandbox.identify(exchange, org.orgnummer, stored.personnummer, stored.benefits)
            exchange.outcome = Outcome.replay(stored.outcome)  # the engine answered once
            reply = reply_header(header, tx_id, renderer.version)  # this request's header, swapped
            return xml_response(
                200, render_envelope(renderer.version, stored.svar, [reply]), renderer.version
            )
        if fraga.tag != lefi_xml.FRAGA:
            raise SsekFault(
                "ContentInvalid",
                f"Unknown operation: the body holds {fraga.tag!r}, expected "
                f"{lefi_xml.FRAGA!r} (HamtaFormansinformation)",
                "Body",
            )
        version = require_supported(lefi_xml.question_version(fraga), sandbox.clock.today())
        lefi_xml.validate_question(fraga, version)
        query = lefi_xml.parse_question(fraga, version, Transport.SSEK)
        if orgnummer.is_valid(query.orgnummer) and orgnummer.canonical(query.orgnummer) != org.orgnummer:
            # the sender asks only as itself (SPEC §7); a malformed orgnummer is the engine's code 12
            raise SsekFault(
                "SenderIdUnknown",
                f"SenderId {header.sender.id!r} is organisation {org.orgnummer}; "
                f"it cannot ask as organisation {query.orgnummer}",
                "Body/FK.Online.Fraga/generelltfalt/organisationsnummer",
            )
        answer = await sandbox.answer(query, exchange)
        svar = lefi_xml.render_answer(answer)
        resends.put(
            (org.orgnummer, tx_id),
            Stored(
                fingerprint, svar, header, query.personnummer, tuple(sorted(query.benefits)), exchange.outcome
            ),
        )
        reply = reply_header(header, tx_id, renderer.version)
        return xml_response(200, render_envelope(renderer.version, svar, [reply]), renderer.version)

    return await ladder.answer(request, renderer, work, log)


Work = Callable[[SoapMessage, Organisation, str], Awaitable[etree._Element | str]]


async def serve(
    request: web.Request,
    work: Work,
    *,
    asynch_methods: tuple[str, ...] = (),
    channel: Channel = Channel.ONLINE,
) -> web.Response:
    """An SSEK request to another service (massfråga, LEKA): the envelope and the SSEK header
    checked, the sender identified on the SLA ``channel`` and the fault rules drawn, then
    ``work(message, sender, TxId)`` makes the body of the answer; what it raises is answered
    as SSEK answers it."""
    sandbox = request.app[SANDBOX]
    renderer = SsekRenderer(request)

    async def run() -> web.Response:
        message = await parse_envelope_async(
            await read_soap_body(request), request.headers.get("Content-Type", "")
        )
        renderer.version = message.version
        check_must_understand(message, understood={SSEK_HEADER})
        header = read_header(message, asynch_methods)
        renderer.tx_id = header.tx_id if header.tx_id and well_formed(header.tx_id) else None
        exchange = exchange_of(request)
        exchange.channel = channel
        org, tx_id = await accept_sender(sandbox, exchange, header, faults=True)
        renderer.tx_id = tx_id
        if asynch_methods and header.asynch_method not in asynch_methods:
            raise SsekFault(
                "AsynchMethodUnsupported",
                "This service is asynchronous: send the SSEK header with "
                f'AsynchMethod="{asynch_methods[0]}", then pull the answer with the same TxId',
                "SSEK/@AsynchMethod",
            )
        body = await work(message, org, tx_id)
        reply = reply_header(header, tx_id, renderer.version)
        return xml_response(200, render_envelope(renderer.version, body, [reply]), renderer.version)

    return await ladder.answer(request, renderer, run, log)


class SsekRenderer(SoapRenderer):
    """What went wrong answering an SSEK request, as SSEK (or SOAP) answers it; ``tx_id``
    is echoed in FaultData once known to be well formed."""

    def __init__(self, request: web.Request) -> None:
        super().__init__(request)
        self.tx_id: str | None = None

    def specific(self, exc: Exception) -> web.Response | None:
        if isinstance(exc, SsekFault):
            return fault_response(self.version, _soap_fault(exc, self.tx_id))
        if isinstance(exc, lefi_xml.QuestionInvalid):
            items = [FaultItem("ContentInvalid", p.message, _where(p)) for p in exc.problems[:20]]
            return fault_response(
                self.version, _soap_fault(SsekFault("ContentInvalid", str(exc), None, items), self.tx_id)
            )
        if isinstance(exc, SoapFault):
            if exc.code is FaultCode.SENDER and not exc.subcode:
                # what the envelope layer refuses is content the service cannot accept: an SSEK fault too
                items = [FaultItem("ContentInvalid", p.message, _where(p)) for p in exc.problems[:20]]
                ssek_fault = _soap_fault(SsekFault("ContentInvalid", exc.reason, None, items), self.tx_id)
                ssek_fault.http_status = exc.http_status
                return fault_response(self.version, ssek_fault)
            return fault_response(self.version, exc)
        return None

    def not_certified(self, exc: NotCertified) -> web.Response:
        return fault_response(
            self.version, _soap_fault(SsekFault("SenderIdUnknown", exc.text, "SSEK/SenderId"), self.tx_id)
        )

    def sla(self, breach: SlaBreach) -> web.Response:
        # the SLA's refusal as SSEK has it: WebServiceUnavailable, FaultData naming the rule
        unavailable = SsekFault("WebServiceUnavailable", breach.text, f"SLA/{breach.rule}")
        return fault_response(
            self.version,
            _soap_fault(unavailable, self.tx_id),
            http_headers={"Retry-After": breach.retry_after_header},
        )


async def accept_sender(
    sandbox: Sandbox, exchange: Exchange, header: SsekHeader, *, faults: bool = False
) -> tuple[Organisation, str]:
    """The sending organisation and the TxId, or the SSEK fault saying why not. The SenderId
    is who asks: the SLA counts it (and the journal names it) from here; ``faults``: draw
    the fault rules now too (a service that asks no engine question later)."""
    org = find_sender(sandbox.store, header.sender)
    await sandbox.identify(exchange, org.orgnummer, faults=faults)
    if not is_fk(header.receiver.id):
        raise SsekFault(
            "ReceiverIdUnknown",
            f"ReceiverId {header.receiver.id!r} is not Försäkringskassan "
            f"(ReceiverId Type ORGNR {FK_ORGNUMMER})",
            "SSEK/ReceiverId",
        )
    return org, check_tx_id(header.tx_id)


def read_header(message: SoapMessage, asynch_methods: tuple[str, ...] = ()) -> SsekHeader:
    """The SSEK header, or a MustUnderstand fault when there is none (the service cannot
    process a message without one) / an SSEK fault for what is wrong inside it.
    ``asynch_methods``: the AsynchMethod values this service takes (none: synchronous only)."""
    blocks = [h for h in message.headers if h.tag == SSEK_HEADER]
    if not blocks:
        others = [etree.QName(h).localname for h in message.headers if etree.QName(h).localname == "SSEK"]
        hint = (
            f" (an SSEK header in another namespace was sent; this service understands {SSEK_NS})"
            if others
            else ""
        )
        raise SoapFault(
            FaultCode.MUST_UNDERSTAND,
            f"The SSEK header ({SSEK_NS}) is required by this service and is missing{hint}",
        )
    if len(blocks) > 1:
        raise SsekFault(
            "ContentInvalid", f"The message holds {len(blocks)} SSEK headers; send one", "Header/SSEK"
        )
    block = blocks[0]
    asynch = block.get("AsynchMethod") or block.get(_s("AsynchMethod"))
    if asynch is not None and asynch not in asynch_methods:
        raise SsekFault(
            "AsynchMethodUnsupported",
            f"AsynchMethod {echo_repr(asynch, TOKEN)}: "
            + (
                f"this service takes {', '.join(asynch_methods)}"
                if asynch_methods
                else "this service answers synchronously only; leave AsynchMethod out (a massfråga is asked "
                "with AsynchPull at /ssek/FK.EXA.Lefi.Massfraga)"
            ),
            "SSEK/@AsynchMethod",
        )
    sender = _party(block, "SenderId", "SenderIdUnknown")
    receiver = _party(block, "ReceiverId", "ReceiverIdUnknown")
    tx = block.find(_s("TxId"))
    return SsekHeader(sender, receiver, None if tx is None else (tx.text or "").strip(), asynch)


def _party(block: etree._Element, name: str, missing_code: str) -> Party:
    el = block.find(_s(name))
    text = "" if el is None else (el.text or "").strip()
    if not text:
        raise SsekFault(missing_code, f"The SSEK header has no {name}", f"SSEK/{name}")
    # ssek.xsd qualifies its attributes (ssek:Type); an unqualified Type is read too
    id_type = (el.get(_s("Type")) or el.get("Type") or "CN").strip()
    if id_type not in ID_TYPES:
        raise SsekFault(
            "ContentInvalid",
            f"{name} Type {echo_repr(id_type, TOKEN)} is not one of {', '.join(ID_TYPES)}",
            f"SSEK/{name}/@Type",
        )
    return Party(text, id_type)


def find_sender(store: ScenarioStore, sender: Party) -> Organisation:
    """The organisation a SenderId names: Type ORGNR with its orgnummer, or a listed SenderId."""
    canonical = orgnummer.canonical(sender.id) if sender.type == "ORGNR" else sender.id
    for org in store.organisations():
        if sender.type == "ORGNR" and canonical == org.orgnummer:
            return org
        for known in org.ssek_sender_ids:
            if known.type != sender.type:
                continue
            if known.id.strip() == sender.id or (
                sender.type == "ORGNR" and orgnummer.canonical(known.id) == canonical
            ):
                return org
    raise SsekFault(
        "SenderIdUnknown",
        f"SenderId {echo_repr(sender.id)} (Type {sender.type}) is not a known sender",
        "SSEK/SenderId",
    )


def check_tx_id(tx_id: str | None) -> str:
    if not tx_id:
        raise SsekFault(
            "TxIdMissing",
            "The SSEK header has no TxId; this service requires one "
            f"({TX_ID_LENGTH} characters, e.g. a UUID)",
            "SSEK/TxId",
        )
    if not well_formed(tx_id):
        raise SsekFault(
            "TxIdInvalid",
            f"TxId {echo_repr(tx_id)} is {len(tx_id)} characters; a TxId is "
            f"{TX_ID_LENGTH} printable characters without spaces, e.g. a UUID",
            "SSEK/TxId",
        )
    return tx_id


def well_formed(tx_id: str) -> bool:
    return len(tx_id) == TX_ID_LENGTH and tx_id.isprintable() and not any(c.isspace() for c in tx_id)


def _where(problem: Problem) -> str | None:
    if problem.line is None:
        return None
    return f"line {problem.line}" + (f", column {problem.column}" if problem.column else "")


def fault_data(fault: SsekFault, tx_id: str | None) -> etree._Element:
    """``ssek:FaultData`` with the TxId (when well formed) and one FaultItem per problem."""
    el = etree.Element(_s("FaultData"), nsmap={"ssek": SSEK_NS})
    if tx_id is not None:
        etree.SubElement(el, _s("TxId")).text = tx_id
    items = etree.SubElement(el, _s("FaultItems"))
    for item in fault.items or [FaultItem(fault.code, fault.reason, fault.location)]:
        fi = etree.SubElement(items, _s("FaultItem"))
        etree.SubElement(fi, _s("Code")).text = item.code
        etree.SubElement(fi, _s("Description")).text = item.description
        if item.location:
            etree.SubElement(fi, _s("Location")).text = item.location
        etree.SubElement(fi, _s("System")).text = SYSTEM
    return el


def _soap_fault(fault: SsekFault, tx_id: str | None) -> SoapFault:
    # every SSEK fault here is the sender's to correct: Client / Sender with ssek:<code>
    return SoapFault(
        FaultCode.SENDER,
        fault.reason,
        detail=[fault_data(fault, tx_id)],
        subcode=fault.code,
        subcode_ns=SSEK_NS,
    )


def reply_header(header: SsekHeader, tx_id: str, version: SoapVersion) -> etree._Element:
    """The request's SSEK header with sender and receiver swapped."""
    el = etree.Element(SSEK_HEADER, nsmap={"ssek": SSEK_NS, "soap": version.ns})
    el.set(f"{{{version.ns}}}mustUnderstand", "1" if version is SoapVersion.V11 else "true")
    for name, party in (("SenderId", header.receiver), ("ReceiverId", header.sender)):
        sub = etree.SubElement(el, _s(name))
        sub.set(_s("Type"), party.type)
        sub.text = party.id
    etree.SubElement(el, _s("TxId")).text = tx_id
    return el
