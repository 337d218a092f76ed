"""The SHS 1.2 binding: FK's XML question as an SHS message (Kronofogden,
Pensionsmyndigheten, Arbetsförmedlingen).

``POST /mt`` is the receive service: a ``multipart/mixed`` message whose first part is
the ``shs.label`` and whose data part is ``FK.Online.Fraga``. With
``transfer-type="synch"`` the reply message (label from/to swapped, same corr.id and
content.id, ``sequence-type="reply"``, data part ``FK.Online.Svar``) is the HTTP answer;
with ``asynch`` the answer is 202 with the tx.id, and the reply waits in the sender's
outbox of the delivery service: ``GET /shs/ds/{orgnr}`` lists it (``shs.message-list``),
``GET /shs/ds/{orgnr}/{txId}`` fetches it, ``POST .../{txId}?action=ack`` acknowledges it.
An asynchronous question resent with its tx.id is a duplicate (``X-shs-duplicatemsg``).

Errors are SHS error messages (product ``error``, ``sequence-type="adm"``, data part
``shs.management`` with ``error/@errorcode``) with HTTP 400 and ``X-shs-errorcode``. FK's
technical errors and fault rules of kind soap_fault are ``OtherError`` naming them; for
an asynchronous question that error message waits in the delivery service instead.
"""

from __future__ import annotations

import codecs
import functools
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from aiohttp import web
from lxml import etree

from simulator.domain import orgnummer
from simulator.domain.errors import TechnicalError
from simulator.domain.receiver import FK_NAME, FK_ORGNUMMER, is_fk
from simulator.domain.versions import require_supported
from simulator.observability.exchange import Exchange, binding, exchange_of
from simulator.observability.outcome import Outcome
from simulator.protocols import ladder, lefi_xml
from simulator.protocols.echo import TOKEN, echo_repr
from simulator.protocols.http_body import BodyError, expect_handler, read_body
from simulator.protocols.ladder import Renderer
from simulator.protocols.multipart import MultipartError, Part, build_multipart, parse_multipart
from simulator.protocols.problem import Problem
from simulator.protocols.shs_outbox import (
    BODIES,
    KIND,
    DataPart,
    Delivered,
    Filter,
    Outboxes,
    render_message_list,
    shs_time,
)
from simulator.protocols.xmlsafe import UnsafeOrBrokenXml, parse_xml
from simulator.runtime.faults import InjectedFault
from simulator.runtime.registry import Service, products_of, register
from simulator.runtime.sandbox import SANDBOX, NotCertified, Sandbox
from simulator.runtime.sla.gate import SlaBreach
from simulator.scenario.models import Binding, Channel, Organisation, ShsAgreement, Transport
from simulator.scenario.store import ScenarioStore
from simulator.stores.durable import is_outage

__all__ = [
    "RECEIVE_PATH",
    "DELIVERY_PATH",
    "LEFI_PRODUCT",
    "ERROR_CODES",
    "DELIVERY",
    "ShsError",
    "setup",
    "Product",
    "register_product",
    "fk_message",
    "build_message",
    "error_message",
]

log = logging.getLogger("simulator.shs")

RECEIVE_PATH = "/mt"
DELIVERY_PATH = "/shs/ds"
# FK's product type for the LEFI Online question. Invented for the sandbox: FK's real
# product ids are given to partners with their agreements and are not public.
LEFI_PRODUCT = "045a177d-ca3d-4a66-b222-a7e0ebbaf0b9"
SHS_PRODUCTS = ("error", "confirm")  # SHS's own product types, for management messages
ERROR_CODES = (
    "IllegalMessageStructure",
    "UnknownReceiver",
    "UnknownSender",
    "MissingAgreement",
    "UnknownProductType",
    "IllegalProductType",
    "OtherError",
    "MessageNotFound",
)
QUESTION_PART = "fraga"  # datapartType of the question, and of the reply:
REPLY_PART = "svar"
_URN = re.compile(r"^urn:x-shs:", re.IGNORECASE)
_NMTOKEN = re.compile(r"^[\w.:-]{1,100}$")  # the label's ids are NMTOKENs

DELIVERY = web.AppKey("shs_delivery", Outboxes)


@dataclass(frozen=True)
class Product:
    """Another product answered at /mt (massfråga, LEFI Prenumeration), by its own module: ``receive``
    gets (request, sender, label, parts) once the agreement is checked."""

    channel: Channel  # the SLA channel it counts on
    receive: Callable[[web.Request, Organisation, Label, list[Part]], Awaitable[web.StreamResponse]]


def register_product(app: web.Application, pid: str, product: Product) -> None:
    """Another service's product type, answered at /mt of this app (registered in its setup)."""
    products_of(app)[pid] = product


@dataclass
class ShsError(Exception):
    """An SHS error: ``code`` is the errorcode, ``info`` the errorinfo text."""

    code: str
    info: str
    status: int = 400
    appinfo: list[tuple[str, str]] = field(default_factory=list)  # (name, text) for the partner
    echo: Echo | None = None  # what the error message repeats of a refused label

    def __str__(self) -> str:
        return f"{self.code}: {self.info}"


@dataclass(frozen=True)
class Echo:
    """What an error message repeats of a message whose label was refused, as far as the label
    could be read: the caller's corr.id, content.id, status and transfer-type, and who sent it
    (only values that are valid there; the rest is left to the error message's defaults)."""

    corr_id: str | None
    content_id: str | None
    transfer_type: str | None
    status: str | None
    sender: str


def invalid_message(info: str, problems: Sequence[Problem]) -> ShsError:
    """A message that does not validate: IllegalMessageStructure, with the first 20 problems
    (and their lines) for the partner."""
    return ShsError(
        "IllegalMessageStructure",
        info,
        appinfo=[
            ("Valideringsfel", (f"rad {p.line}: " if p.line else "") + p.message) for p in problems[:20]
        ],
    )


@dataclass(frozen=True)
class Label:
    """What the receiver reads from an ``shs.label``."""

    tx_id: str
    corr_id: str
    content_id: str
    transfer_type: str  # synch | asynch
    sequence_type: str
    status: str  # test | production
    agreement: str | None
    sender: str  # the from (or originator) text, as sent
    to: str | None
    product: str  # as sent (urn:X-shs:<id> or <id>)
    datapart_types: tuple[str, ...]

    @property
    def product_id(self) -> str:
        return product_id(self.product)


def setup(app: web.Application) -> None:
    app[DELIVERY] = Outboxes(lambda: app[SANDBOX].durable)
    # the online replies are in memory, every other service's messages in the durable store
    register(app, Service("shs", kinds=(KIND, BODIES), memory=(app[DELIVERY].memory,)))
    app.router.add_post(RECEIVE_PATH, handle_receive, expect_handler=expect_handler(_refuse_body))
    app.router.add_get(f"{DELIVERY_PATH}/{{outbox}}", handle_list)
    app.router.add_get(f"{DELIVERY_PATH}/{{outbox}}/{{tx_id}}", handle_fetch)
    app.router.add_post(f"{DELIVERY_PATH}/{{outbox}}/{{tx_id}}", handle_ack)


def product_id(text: str) -> str:
    """A product type id without its ``urn:X-shs:`` prefix, lower case."""
    return _URN.sub("", text.strip()).lower()


def _orgnummer_of(address: str) -> str | None:
    """The orgnummer of an SHS address ``urn:X-shs:<orgnr>``, or None."""
    text = address.strip()
    if not _URN.match(text):
        return None
    number = _URN.sub("", text)
    return orgnummer.canonical(number) if orgnummer.is_valid(number) else None


# -- the receive service ---------------------------------------------------------------
@binding(Binding.SHS)
async def handle_receive(request: web.Request) -> web.StreamResponse:
    sandbox = request.app[SANDBOX]
    arrived = sandbox.clock.now()
    renderer = ShsRenderer(sandbox)

    async def work() -> web.StreamResponse:
        try:
            data = await read_body(request)
        except BodyError as exc:
            raise ShsError("IllegalMessageStructure", exc.reason, exc.status) from None
        try:
            parts = parse_multipart(request.headers.get("Content-Type", ""), data)
        except MultipartError as exc:
            raise ShsError(
                "IllegalMessageStructure", f"The message is not a readable SHS message: {exc}"
            ) from None
        renderer.label = label = read_label(parts)
        org = find_sender(sandbox.store, label)
        exchange = exchange_of(request)
        product = products_of(request.app).get(label.product_id)
        if product is not None:
            exchange.channel = product.channel
        # the label's from is who asks: the SLA counts it (and the journal names it) from here
        await sandbox.identify(exchange, org.orgnummer, faults=False)
        if label.to is not None and not is_fk(_URN.sub("", label.to.strip())):
            raise ShsError(
                "UnknownReceiver",
                f"The receiver {echo_repr(label.to)} is not Försäkringskassan (urn:X-shs:{FK_ORGNUMMER})",
            )
        check_product(sandbox.store, label, products_of(request.app))
        find_agreement(org, label)
        if product is not None:
            return await product.receive(request, org, label, parts)
        fraga = read_question(parts, label)
        receipt = {
            "X-shs-txid": label.tx_id,
            "X-shs-corrid": label.corr_id,
            "X-shs-contentid": label.content_id,
        }
        delivery = request.app[DELIVERY]
        if label.transfer_type == "asynch":
            earlier = delivery.reply_to(org.orgnummer, label.tx_id)
            if earlier is not None:  # a resend: received once, answered once
                exchange.outcome = Outcome.replay(earlier.outcome)
                return web.Response(
                    status=202,
                    text=label.tx_id,
                    headers={
                        **receipt,
                        "X-shs-arrivaldate": shs_time(earlier.reply.arrived),
                        "X-shs-duplicatemsg": "yes",
                    },
                )
        reply = await _answer(sandbox, exchange, org, label, fraga)
        if label.transfer_type == "synch":
            return _message_response(200 if reply.sequence_type == "reply" else 400, reply)
        delivery.put(reply, label.tx_id, exchange.outcome)
        return web.Response(
            status=202, text=label.tx_id, headers={**receipt, "X-shs-arrivaldate": shs_time(arrived)}
        )

    return await ladder.answer(request, renderer, work, log)


class ShsRenderer(Renderer[web.StreamResponse]):
    """SHS error messages, with the label's ids once the label is read. A tekniskt fel or an
    injected fault outside a question is unexpected here: ``_answer`` answers a question's own."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.label: Label | None = None

    def specific(self, exc: Exception) -> web.StreamResponse | None:
        if not isinstance(exc, ShsError):
            return None
        return _error_response(self.sandbox, exc, self.label or exc.echo)

    def not_certified(self, exc: NotCertified) -> web.StreamResponse:
        return _error_response(self.sandbox, ShsError("UnknownSender", exc.text, 403), self.label)

    def sla(self, breach: SlaBreach) -> web.StreamResponse:
        # the SLA's refusal as an SHS error message naming the rule, at once (also for asynch)
        refusal = ShsError(
            "OtherError",
            breach.text,
            appinfo=[
                ("regel", breach.rule),
                ("regler", " ".join(breach.rules)),
                ("forsokIgenTidigast", breach.retry_at.isoformat(timespec="milliseconds")),
            ],
        )
        response = _error_response(self.sandbox, refusal, self.label)
        response.headers["Retry-After"] = breach.retry_after_header
        return response

    def unexpected(self) -> web.StreamResponse:
        return _error_response(
            self.sandbox, ShsError("OtherError", "Oväntat fel i sandlådan; se serverns logg", 500), self.label
        )


def read_label(parts: list[Part]) -> Label:
    """The first part's ``shs.label``: well formed, with no DOCTYPE but the one naming the
    label's DTD, with what SHS 1.2 requires. A label refused for what it holds is refused
    with its corr.id, status and transfer-type echoed."""
    echo: Echo | None = None

    def illegal(reason: str) -> ShsError:
        return ShsError("IllegalMessageStructure", reason, echo=echo)

    if not parts:
        raise illegal("The message has no parts; the first part is the shs.label")
    first = parts[0]
    if first.content_type not in ("text/xml", "application/xml"):
        raise illegal(
            f"The first part is {first.content_type}; an SHS message starts with the shs.label as text/xml"
        )
    try:
        root = parse_xml(_without_label_doctype(_as_declared(first)))
    except UnsafeOrBrokenXml as exc:
        raise illegal(f"The shs.label is not accepted: {exc}") from None
    if root.tag != "shs.label":
        raise illegal(f"The first part holds {root.tag!r}; an SHS message starts with the shs.label")
    echo = _echo_of(root)
    version = root.get("version", "1.2")
    if version != "1.2":
        raise illegal(f"shs.label version {echo_repr(version, TOKEN)}; this receiver reads SHS 1.2")

    def token(name: str, value: str | None) -> str:
        if value is None or not _NMTOKEN.match(value):
            raise illegal(
                f"The shs.label's {name} is {'missing' if value is None else echo_repr(value)}; "
                "it is a name token (e.g. a UUID)"
            )
        return value

    def choice(name: str, allowed: tuple[str, ...], default: str | None) -> str:
        value = root.get(name, default)
        if value not in allowed:
            raise illegal(f"The shs.label's {name} is {value!r}; it is one of {', '.join(allowed)}")
        return value

    tx_id = token("tx.id", root.get("tx.id"))
    corr_id = token("corr.id", root.get("corr.id"))
    transfer_type = choice("transfer-type", _TRANSFER_TYPES, "asynch")
    sequence_type = choice("sequence-type", ("event", "request", "reply", "adm"), None)
    if sequence_type != "request":
        raise illegal(f"sequence-type {sequence_type!r}: a LEFI question is sent with sequence-type request")
    status = choice("status", _STATUSES, "production")
    agreement = root.get("shs.agreement")
    if agreement is not None:
        token("shs.agreement", agreement)
    sender_el = root.find("from")
    if sender_el is None:
        sender_el = root.find("originator")
    if sender_el is None or not (sender_el.text or "").strip():
        raise illegal("The shs.label has no from (nor originator): who sends the message?")
    product_el = root.find("product")
    if product_el is None or not (product_el.text or "").strip():
        raise illegal("The shs.label has no product")
    if root.find("datetime") is None:
        raise illegal("The shs.label has no datetime")
    content = root.find("content")
    if content is None:
        raise illegal("The shs.label has no content")
    content_id = token("content.id", content.get("content.id"))
    to_el = root.find("to")
    to = (to_el.text or "").strip() if to_el is not None else None
    datapart_types = tuple(d.get("datapartType") or "" for d in content.findall("data"))
    return Label(
        tx_id,
        corr_id,
        content_id,
        transfer_type,
        sequence_type,
        status,
        agreement,
        (sender_el.text or "").strip(),
        to or None,
        (product_el.text or "").strip(),
        datapart_types,
    )


_TRANSFER_TYPES = ("synch", "asynch")
_STATUSES = ("test", "production")


def _echo_of(root: etree._Element) -> Echo:
    def token(value: str | None) -> str | None:
        return value if value is not None and _NMTOKEN.match(value) else None

    def one_of(value: str, allowed: tuple[str, ...]) -> str | None:
        return value if value in allowed else None

    content = root.find("content")
    sender = root.find("from")
    if sender is None:
        sender = root.find("originator")
    return Echo(
        corr_id=token(root.get("corr.id")),
        content_id=token(content.get("content.id")) if content is not None else None,
        transfer_type=one_of(root.get("transfer-type", "asynch"), _TRANSFER_TYPES),
        status=one_of(root.get("status", "production"), _STATUSES),
        sender=(sender.text or "").strip() if sender is not None else "",
    )


# Inera Axel writes <!DOCTYPE shs.label SYSTEM "shs-label-1.2.dtd"> before every label. A DOCTYPE
# in the prolog that only names the label's DTD (by system id, or by public and system id) is
# read past: nothing is fetched or read from it. Anything else (an internal subset, entity
# declarations, another document type or DTD) is left for the safe parser, which refuses it.
_LABEL_DOCTYPE = re.compile(
    rb"""\A (?:\xef\xbb\xbf)? (?:<\?xml[^<>]*\?>)? [ \t\r\n]*
    (?P<doctype> <!DOCTYPE [ \t\r\n]+ shs\.label [ \t\r\n]+
        (?: SYSTEM
          | PUBLIC [ \t\r\n]+ (?: "[-'()+,./:=?;!*#@$_% \r\na-zA-Z0-9]*" | '[-()+,./:=?;!*#@$_% \r\na-zA-Z0-9]*' ) )
        [ \t\r\n]+ (?: "(?P<dq>[^"<>]*)" | '(?P<sq>[^'<>]*)' ) [ \t\r\n]* > )""",
    re.VERBOSE,
)
_LABEL_DTD = re.compile(rb"(?:\A|/)shs-label(?:-[0-9]+(?:\.[0-9]+)*)?\.dtd\Z")


def _without_label_doctype(data: bytes) -> bytes:
    """``data`` with a DOCTYPE that only names the SHS label DTD blanked out."""
    match = _LABEL_DOCTYPE.match(data)
    if match is None:
        return data
    system = match.group("dq") if match.group("dq") is not None else match.group("sq")
    if not _LABEL_DTD.search(system):
        return data
    start, end = match.span("doctype")
    # blanked, not cut: the parser's lines and columns stay those of the label as sent
    return data[:start] + bytes(c if c in b"\r\n" else 0x20 for c in data[start:end]) + data[end:]


def find_sender(store: ScenarioStore, label: Label) -> Organisation:
    number = _orgnummer_of(label.sender)
    if number is None:
        raise ShsError(
            "UnknownSender",
            f"The sender {echo_repr(label.sender)} is not an SHS address urn:X-shs:<organisationsnummer>",
        )
    org = store.organisation(orgnummer.Orgnummer(number))
    if org is None:
        raise ShsError("UnknownSender", f"The sender {echo_repr(label.sender)} is not a known organisation")
    return org


def check_product(store: ScenarioStore, label: Label, products: Mapping[str, Product]) -> None:
    """The LEFI Online product is answered here; other product types known to FK are not."""
    pid = label.product_id
    if pid == LEFI_PRODUCT or pid in products:
        return
    known = {product_id(a.product) for o in store.organisations() for a in o.shs_agreements}
    if pid in known or pid in SHS_PRODUCTS:
        raise ShsError(
            "IllegalProductType",
            f"Product type {echo_repr(label.product)} is not a LEFI Online "
            f"question; this service answers urn:X-shs:{LEFI_PRODUCT}",
        )
    raise ShsError("UnknownProductType", f"Product type {echo_repr(label.product)} is not known")


def find_agreement(org: Organisation, label: Label) -> ShsAgreement:
    """The sender's agreement for the product and this transfer type."""
    agreements = [a for a in org.shs_agreements if product_id(a.product) == label.product_id]
    if label.agreement is not None:
        agreements = [a for a in agreements if a.id == label.agreement]
        if not agreements:
            raise ShsError(
                "MissingAgreement",
                f"Agreement {label.agreement} is not an agreement of "
                f"{org.orgnummer} for product type {label.product}",
            )
    if not agreements:
        raise ShsError(
            "MissingAgreement", f"{org.orgnummer} has no agreement for product type {label.product}"
        )
    for agreement in agreements:
        if agreement.transfer_type in ("any", label.transfer_type):
            return agreement
    raise ShsError(
        "MissingAgreement",
        f"The agreement of {org.orgnummer} for product type {label.product} "
        f"is for {agreements[0].transfer_type} transfer, not {label.transfer_type}",
    )


def read_question(parts: list[Part], label: Label, expected: str = lefi_xml.FRAGA) -> etree._Element:
    """The one data part: an FK.Online.Fraga (or the ``expected`` element of another product)."""

    def illegal(reason: str) -> ShsError:
        return ShsError("IllegalMessageStructure", reason)

    data = parts[1:]
    if not data:
        raise illegal("The message has no data part; the question is sent as the data part after the label")
    if len(data) != 1:
        raise illegal(f"The message has {len(data)} data parts; a LEFI question has one")
    if len(label.datapart_types) != len(data):
        raise illegal(
            f"The label lists {len(label.datapart_types)} data parts and the message holds {len(data)}"
        )
    if data[0].content_type not in ("text/xml", "application/xml"):
        raise illegal(f"The data part is {data[0].content_type}; the question is text/xml")
    try:
        fraga = parse_xml(_as_declared(data[0]))
    except UnsafeOrBrokenXml as exc:
        raise illegal(f"The data part is not accepted: {exc}") from None
    if fraga.tag != expected:
        raise illegal(f"The data part holds {fraga.tag!r}, expected {expected!r}")
    return fraga


# a byte order mark, or "<?" in UTF-16 or UTF-32 (XML 1.0 appendix F): the parser finds the
# encoding from the bytes themselves, and an XML declaration there must name it
_SELF_DESCRIBING = (
    codecs.BOM_UTF8,
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
    b"<\x00?\x00",
    b"\x00<\x00?",
    b"<\x00\x00\x00",
    b"\x00\x00\x00<",
)
_NAMES_ITS_ENCODING = re.compile(rb"\A[ \t\r\n]*<\?xml[^<>]*?[ \t\r\n]encoding[ \t\r\n]*=")


def _as_declared(part: Part) -> bytes:
    """A part's bytes for the XML parser. Bytes that say their encoding (a byte order mark,
    UTF-16 or UTF-32 by their first bytes, an XML declaration naming it) are given as they
    are, and the parser reads them so, whatever the MIME charset says; a part in another
    charset (a legacy client's ISO-8859-1) whose XML says nothing of its encoding is read in
    its charset and given on as UTF-8."""
    body, charset = part.body, (part.charset or "").lower()
    if (
        not charset
        or charset in ("utf-8", "utf8")
        or body.startswith(_SELF_DESCRIBING)
        or _NAMES_ITS_ENCODING.match(body[:256])
    ):
        return body
    try:
        return body.decode(charset).encode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return body  # the parser says what is wrong with it


async def _answer(
    sandbox: Sandbox, exchange: Exchange, org: Organisation, label: Label, fraga: etree._Element
) -> Delivered:
    """The reply message, or the error message of a technical error or fault rule."""
    try:
        try:
            version = require_supported(lefi_xml.question_version(fraga), sandbox.clock.today())
            lefi_xml.validate_question(fraga, version)
            query = lefi_xml.parse_question(fraga, version, Transport.SHS)
        except lefi_xml.QuestionInvalid as exc:
            raise invalid_message(str(exc), exc.problems) from None
        if orgnummer.is_valid(query.orgnummer) and orgnummer.canonical(query.orgnummer) != org.orgnummer:
            # the sender asks only as itself (SPEC §7); a malformed orgnummer is the engine's code 12
            raise ShsError(
                "UnknownSender",
                f"The sender is {org.orgnummer}; it cannot ask as organisation {query.orgnummer}",
            )
        answer = await sandbox.answer(query, exchange)
    except TechnicalError as exc:
        # an asynch error message goes out with 202: the journal must not take it for an answer
        exchange.outcome = exchange.outcome or Outcome.technical(exc.status)
        return error_message(
            sandbox,
            ShsError(
                "OtherError",
                f"TeknisktFel {exc.status.name}: {exc.detail or exc.status.text}",
                appinfo=[("TeknisktFel", exc.status.name), ("beskrivning", exc.detail or exc.status.text)],
            ),
            label,
            org.orgnummer,
        )
    except InjectedFault as exc:
        return error_message(
            sandbox,
            ShsError(
                "OtherError",
                f"Simulerat fel (regel {exc.rule.id}): {exc.reason}",
                appinfo=[("regel", exc.rule.id)],
            ),
            label,
            org.orgnummer,
        )
    svar = lefi_xml.render_answer(answer).encode("utf-8")
    svar = b'<?xml version="1.0" encoding="UTF-8"?>\n' + svar
    return build_message(
        sandbox,
        org.orgnummer,
        label,
        "reply",
        label.product,
        label.content_id,
        Part("text/xml", svar, "UTF-8", "svar.xml"),
        REPLY_PART,
    )


# -- SHS messages out ------------------------------------------------------------------
def fk_message(
    sandbox: Sandbox, to: str, product: str, tx_id: str, data: Part, datapart_type: str
) -> Delivered:
    """A message from FK that answers no question of its own (an answer file): asynch,
    for ``to``'s outbox; ``tx_id`` chosen by the caller, so that making it again gives the same."""
    return build_message(
        sandbox, to, None, "event", product, tx_id, data, datapart_type, tx_id=tx_id, transfer_type="asynch"
    )


def build_message(
    sandbox: Sandbox,
    to: str | None,
    request: Label | Echo | None,
    sequence_type: str,
    product: str,
    content_id: str,
    data: Part,
    datapart_type: str,
    tx_id: str | None = None,
    transfer_type: str = "synch",
) -> Delivered:
    """A message from FK: the label, then ``data``; ``request`` the message it answers."""
    now = sandbox.clock.now()
    tx_id = tx_id or str(uuid.uuid4())
    corr_id = (request.corr_id if request is not None else None) or tx_id
    status = (request.status if request is not None else None) or "production"
    label = etree.Element("shs.label")
    for name, value in (
        ("version", "1.2"),
        ("tx.id", tx_id),
        ("corr.id", corr_id),
        (
            "shs.agreement",
            request.agreement if isinstance(request, Label) and sequence_type == "reply" else None,
        ),
        ("transfer-type", (request.transfer_type if request is not None else None) or transfer_type),
        ("message-type", "simple"),
        ("document-type", "simple"),
        ("sequence-type", sequence_type),
        ("status", status),
    ):
        if value is not None:
            label.set(name, value)
    etree.SubElement(label, "from", commonName=FK_NAME).text = f"urn:X-shs:{FK_ORGNUMMER}"
    if to is not None:
        etree.SubElement(label, "to").text = f"urn:X-shs:{to}"
    etree.SubElement(label, "product").text = product
    etree.SubElement(label, "datetime").text = shs_time(now)
    content = etree.SubElement(label, "content")
    content.set("content.id", content_id)
    etree.SubElement(content, "data", datapartType=datapart_type, filename=data.filename or "data.xml")
    content_type, body = build_multipart(
        [Part("text/xml", etree.tostring(label, xml_declaration=True, encoding="UTF-8"), "UTF-8"), data]
    )
    return Delivered(
        outbox=to or "",
        tx_id=tx_id,
        corr_id=corr_id,
        content_id=content_id,
        sender=f"urn:X-shs:{FK_ORGNUMMER}",
        to=f"urn:X-shs:{to}" if to else "",
        product=product,
        product_id=product_id(product),
        sequence_type=sequence_type,
        status=status,
        arrived=now,
        data=(DataPart(datapart_type, data.filename or "data.xml", len(data.body)),),
        content_type=content_type,
        body=body,
    )


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """``text`` (which may quote what a client sent: a control character in a header) as XML can hold it."""
    return _NOT_XML.sub("\ufffd", text)


def error_message(
    sandbox: Sandbox,
    error: ShsError,
    request: Label | Echo | None,
    to: str | None,
    tx_id: str | None = None,
) -> Delivered:
    """An SHS error message: product error, sequence-type adm, an shs.management data part."""
    management = etree.Element("shs.management", version="1.2")
    management.set("corr.id", (request.corr_id if request is not None else None) or str(uuid.uuid4()))
    management.set("content.id", (request.content_id if request is not None else None) or str(uuid.uuid4()))
    etree.SubElement(management, "datetime").text = shs_time(sandbox.clock.now())
    el = etree.SubElement(management, "error", errorcode=error.code, errorinfo=_xml_text(error.info))
    for name, text in error.appinfo:
        etree.SubElement(el, "appinfo", name=name).text = _xml_text(text)
    data = Part(
        "text/xml", etree.tostring(management, xml_declaration=True, encoding="UTF-8"), "UTF-8", "error.xml"
    )
    message = build_message(
        sandbox, to, request, "adm", "urn:X-shs:error", str(uuid.uuid4()), data, "error", tx_id=tx_id
    )
    message.error_code = error.code
    return message


def _message_response(status: int, message: Delivered, extra: dict[str, str] | None = None) -> web.Response:
    headers = {
        "Content-Type": message.content_type,
        "X-shs-txid": message.tx_id,
        "X-shs-corrid": message.corr_id,
        "X-shs-contentid": message.content_id,
        **(extra or {}),
    }
    if message.error_code is not None:
        headers["X-shs-errorcode"] = message.error_code
    return web.Response(status=status, body=message.body, headers=headers)


def _error_response(sandbox: Sandbox, error: ShsError, request: Label | Echo | None) -> web.Response:
    to = _orgnummer_of(request.sender) if request is not None else None
    return _message_response(error.status, error_message(sandbox, error, request, to))


def _refuse_body(request: web.Request, error: BodyError) -> web.StreamResponse:
    return _error_response(
        request.app[SANDBOX], ShsError("IllegalMessageStructure", error.reason, error.status), None
    )


# -- the delivery service -------------------------------------------------------------
async def _outbox(request: web.Request) -> str:
    """The outbox's orgnummer (``2021005489`` or ``urn:X-shs:2021005489``), known to the scenario;
    fault rules for it apply here. Fetching replies is not a question: the SLA does not count it."""
    sandbox = request.app[SANDBOX]
    text = request.match_info["outbox"]
    number = _orgnummer_of(text if _URN.match(text) else f"urn:X-shs:{text}")
    if number is None or sandbox.store.organisation(orgnummer.Orgnummer(number)) is None:
        raise ShsError(
            "UnknownReceiver", f"{echo_repr(text)} is not the orgnummer of a known organisation", 404
        )
    exchange = exchange_of(request)
    exchange.sla_checked = True
    await sandbox.identify(exchange, number)
    return number


def _delivery_error(request: web.Request, exc: Exception) -> web.Response:
    sandbox = request.app[SANDBOX]
    if isinstance(exc, TechnicalError):
        exc = ShsError("OtherError", f"TeknisktFel {exc.status.name}: {exc.detail or exc.status.text}")
    elif isinstance(exc, InjectedFault):
        exc = ShsError("OtherError", f"Simulerat fel (regel {exc.rule.id}): {exc.reason}")
    elif isinstance(exc, NotCertified):  # another organisation's outbox
        exc = ShsError("UnknownSender", exc.text, 403)
    assert isinstance(exc, ShsError)
    return _error_response(sandbox, exc, None)


def _store_away(
    handler: Callable[[web.Request], Awaitable[web.Response]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The durable outbox unreachable (Redis away, a disk error): an SHS error saying so, 503."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning(
                "delivery service: the durable store is unreachable (%s: %s)", type(exc).__name__, exc
            )
            return _error_response(
                request.app[SANDBOX],
                ShsError("OtherError", "The delivery service's store is unreachable for now; try again", 503),
                None,
            )

    return wrapped


@binding(Binding.SHS)
@_store_away
async def handle_list(request: web.Request) -> web.Response:
    try:
        outbox = await _outbox(request)
        q = request.query
        status = q.get("status")
        if status not in (None, "test", "production"):
            raise ShsError("OtherError", f"status={echo_repr(status, TOKEN)}: filter on test or production")
        flt = q.get("filter")
        if flt not in (None, "noack"):
            raise ShsError(
                "OtherError", f"filter={echo_repr(flt, TOKEN)}: the filter is noack (unacknowledged)"
            )
        max_hits = q.get("maxhits", "200")
        if not re.fullmatch(r"[0-9]{1,4}", max_hits) or not 1 <= int(max_hits) <= 1000:  # ASCII digits only
            raise ShsError("OtherError", f"maxhits={echo_repr(max_hits, TOKEN)}: a number from 1 to 1000")
        product = q.get("producttype")
        messages = await request.app[DELIVERY].list(
            outbox,
            Filter(
                product_id=product_id(product) if product else None,
                status=status,
                unacknowledged=flt == "noack",
                corr_id=q.get("corrid"),
                content_id=q.get("contentid"),
                max_hits=int(max_hits),
            ),
        )
    except (ShsError, TechnicalError, InjectedFault, NotCertified) as exc:
        return _delivery_error(request, exc)
    return web.Response(body=render_message_list(messages), content_type="text/xml", charset="utf-8")


async def _find(request: web.Request) -> tuple[str, Delivered]:
    outbox = await _outbox(request)
    tx_id = request.match_info["tx_id"]
    message = await request.app[DELIVERY].get(outbox, tx_id)
    if message is None:
        raise ShsError(
            "MessageNotFound", f"No message {echo_repr(tx_id)} in the delivery service for {outbox}", 404
        )
    return outbox, message


@binding(Binding.SHS)
@_store_away
async def handle_fetch(request: web.Request) -> web.Response:
    try:
        _, message = await _find(request)
    except (ShsError, TechnicalError, InjectedFault, NotCertified) as exc:
        return _delivery_error(request, exc)
    return _message_response(200, message, {"X-shs-arrivaldate": shs_time(message.arrived)})


@binding(Binding.SHS)
@_store_away
async def handle_ack(request: web.Request) -> web.Response:
    try:
        if request.query.get("action") != "ack":
            raise ShsError("OtherError", "POST to a message in the delivery service is ?action=ack")
        outbox, message = await _find(request)
        await request.app[DELIVERY].acknowledge(outbox, message.tx_id)
    except (ShsError, TechnicalError, InjectedFault, NotCertified) as exc:
        return _delivery_error(request, exc)
    return web.Response(status=200, text="", headers={"X-shs-txid": message.tx_id})
