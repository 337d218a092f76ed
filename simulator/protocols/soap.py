"""SOAP 1.1 and 1.2 envelopes and faults, shared by every SOAP binding.

The HTTP status of a fault follows the SOAP specifications and WS-I Basic Profile:
not XML at all → 400; wrong media type → 415; a SOAP 1.1 fault → 500; a SOAP 1.2
Sender fault → 400 and a Receiver fault → 500.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from lxml import etree

from simulator.protocols.problem import Problem
from simulator.protocols.xmlsafe import UnsafeOrBrokenXml, parse_xml, parse_xml_async
from simulator.runtime.sla.gate import SlaBreach

__all__ = [
    "SOAP11_NS",
    "SOAP12_NS",
    "FaultCode",
    "Problem",
    "SoapVersion",
    "SoapFault",
    "SoapMessage",
    "parse_envelope",
    "parse_envelope_async",
    "check_must_understand",
    "render_envelope",
    "render_fault",
    "soap_version_of",
]

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"


class SoapVersion(enum.Enum):
    V11 = "1.1"
    V12 = "1.2"

    @property
    def ns(self) -> str:
        return SOAP11_NS if self is SoapVersion.V11 else SOAP12_NS

    @property
    def content_type(self) -> str:
        return "text/xml" if self is SoapVersion.V11 else "application/soap+xml"


class FaultCode(enum.Enum):
    """Fault codes by meaning, named per SOAP version when rendered."""

    SENDER = ("Client", "Sender")
    RECEIVER = ("Server", "Receiver")
    VERSION_MISMATCH = ("VersionMismatch", "VersionMismatch")
    MUST_UNDERSTAND = ("MustUnderstand", "MustUnderstand")

    @classmethod
    def by_name(cls, name: str) -> FaultCode:
        """Client/Sender or Server/Receiver, as a fault rule names it (either version's word)."""
        return cls.SENDER if name in ("Client", "Sender") else cls.RECEIVER


@dataclass
class SoapFault(Exception):
    """A fault to send back. ``detail`` holds elements for the fault's detail."""

    code: FaultCode
    reason: str
    detail: list[etree._Element] = field(default_factory=list)
    http_status: int | None = None  # None: as SOAP prescribes for the code and version
    subcode: str | None = None  # SOAP 1.2 Subcode / a qualified 1.1 code, e.g. ssek:TxIdInvalid
    subcode_ns: str | None = None
    problems: list[Problem] = field(default_factory=list)  # what was wrong, for a binding's detail
    reply_as: SoapVersion | None = None  # answer in this SOAP version, whatever the request announced
    header_blocks: list[etree._Element] = field(default_factory=list)  # e.g. SOAP 1.2's Upgrade

    def __str__(self) -> str:
        return f"{self.code.name}: {self.reason}"


@dataclass
class SoapMessage:
    version: SoapVersion
    envelope: etree._Element
    headers: list[etree._Element]
    body: etree._Element  # the first (only) child of soap:Body


def soap_version_of(content_type: str) -> SoapVersion | None:
    """The SOAP version a media type announces, or None when it announces none."""
    mt = content_type.split(";", 1)[0].strip().lower()
    if mt == "text/xml":
        return SoapVersion.V11
    if mt == "application/soap+xml":
        return SoapVersion.V12
    return None


def parse_envelope(data: bytes, content_type: str) -> SoapMessage:
    """Check media type and envelope; return the message or raise ``SoapFault``."""
    announced = _announced(content_type)
    try:
        root = parse_xml(data)
    except UnsafeOrBrokenXml as exc:
        raise _not_accepted(exc) from None
    return _envelope(root, announced)


async def parse_envelope_async(data: bytes, content_type: str) -> SoapMessage:
    """``parse_envelope``, a large envelope parsed off the event loop."""
    announced = _announced(content_type)
    try:
        root = await parse_xml_async(data)
    except UnsafeOrBrokenXml as exc:
        raise _not_accepted(exc) from None
    return _envelope(root, announced)


def _announced(content_type: str) -> SoapVersion:
    announced = soap_version_of(content_type)
    if announced is None:
        raise SoapFault(
            FaultCode.SENDER,
            f"Unsupported media type {content_type[:100] or '(none)'!r}: send SOAP 1.1 as "
            "text/xml or SOAP 1.2 as application/soap+xml",
            http_status=415,
        )
    return announced


def _not_accepted(exc: UnsafeOrBrokenXml) -> SoapFault:
    return SoapFault(
        FaultCode.SENDER,
        f"The message is not accepted: {exc.reason}",
        problems=[Problem(exc.reason, exc.line, exc.column)],
        http_status=400,
    )


def _split(tag: str) -> tuple[str | None, str]:
    """An element's namespace (None: none) and local name, as ``etree.QName`` gives them
    (read from the tag string: a QName object per element costs more than the rest)."""
    if tag[:1] == "{":
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return None, tag


def _name_in(ns: str | None, tag: str) -> str:
    """The local name of an element in namespace ``ns``, else its whole tag."""
    tag_ns, local = _split(tag)
    return local if tag_ns == ns else tag


def _envelope(root: etree._Element, announced: SoapVersion) -> SoapMessage:
    ns, local = _split(root.tag)
    if local != "Envelope":
        raise SoapFault(
            FaultCode.SENDER,
            f"The message is not a SOAP envelope (root element is {local[:100]!r})",
            http_status=400,
        )
    if ns not in (SOAP11_NS, SOAP12_NS):
        raise SoapFault(FaultCode.VERSION_MISMATCH, f"Unknown SOAP envelope namespace {str(ns)[:200]!r}")
    actual = SoapVersion.V11 if ns == SOAP11_NS else SoapVersion.V12
    if actual is SoapVersion.V11 and announced is SoapVersion.V12:
        # SOAP 1.2 Appendix A: a SOAP 1.1 message gets a SOAP 1.1 VersionMismatch fault
        # whose Upgrade header lists the envelopes this node supports
        raise SoapFault(
            FaultCode.VERSION_MISMATCH,
            "A SOAP 1.1 envelope was sent as application/soap+xml; SOAP 1.1 is sent as text/xml, "
            "SOAP 1.2 envelopes as application/soap+xml",
            reply_as=SoapVersion.V11,
            header_blocks=[_upgrade()],
        )
    if actual is not announced:
        raise SoapFault(
            FaultCode.VERSION_MISMATCH,
            f"A SOAP {actual.value} envelope was sent as {announced.content_type}; "
            f"SOAP {actual.value} is sent as {actual.content_type}",
        )
    elements = [c for c in root if isinstance(c.tag, str)]
    parts = [_name_in(ns, c.tag) for c in elements]
    body = elements[-1] if elements else None
    # (a Header in no namespace passes, unread, as it always has; a Body must be the envelope's)
    if parts not in (["Body"], ["Header", "Body"]) or body is None or body.tag != f"{{{ns}}}Body":
        raise SoapFault(
            FaultCode.SENDER,
            "A SOAP envelope holds an optional Header and then one Body; "
            f"this one holds {', '.join(parts) or 'nothing'}",
        )
    header = elements[0] if elements[0].tag == f"{{{ns}}}Header" else None
    children = [c for c in body if isinstance(c.tag, str)]
    if len(children) != 1:
        raise SoapFault(
            FaultCode.SENDER, f"The SOAP Body must hold exactly one element, it holds {len(children)}"
        )
    if (body.text or "").strip() or (children[0].tail or "").strip():
        raise SoapFault(FaultCode.SENDER, "The SOAP Body holds text beside its element")
    headers = [h for h in header if isinstance(h.tag, str)] if header is not None else []
    return SoapMessage(actual, root, headers, children[0])


def _upgrade() -> etree._Element:
    """SOAP 1.2's Upgrade header block: the envelope versions served, preferred first."""
    upgrade = etree.Element(f"{{{SOAP12_NS}}}Upgrade", nsmap={"env": SOAP12_NS})
    for number, ns in (("1", SOAP12_NS), ("2", SOAP11_NS)):
        supported = etree.SubElement(upgrade, f"{{{SOAP12_NS}}}SupportedEnvelope", nsmap={f"ns{number}": ns})
        supported.set("qname", f"ns{number}:Envelope")
    return upgrade


_OUR_ROLES = {
    "http://schemas.xmlsoap.org/soap/actor/next",
    "http://www.w3.org/2003/05/soap-envelope/role/next",
    "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver",
}


def check_must_understand(message: SoapMessage, understood: set[str]) -> None:
    """Refuse header blocks marked mustUnderstand that this binding does not process."""
    ns = message.version.ns
    for h in message.headers:
        flag = (h.get(f"{{{ns}}}mustUnderstand") or "").strip()
        target = h.get(f"{{{ns}}}actor" if message.version is SoapVersion.V11 else f"{{{ns}}}role")
        if target is not None and target not in _OUR_ROLES:
            continue  # meant for another node on the way
        if flag in ("1", "true") and h.tag not in understood:
            raise SoapFault(
                FaultCode.MUST_UNDERSTAND,
                f"Header {etree.QName(h).localname!r} ({etree.QName(h).namespace}) "
                "is marked mustUnderstand but is not understood by this service",
            )


def render_envelope(
    version: SoapVersion, body: etree._Element | str, headers: list[etree._Element] | None = None
) -> bytes:
    """An envelope around ``body``: an lxml element, or XML text that declares its own
    namespaces (the fast answer writers produce text)."""
    body_xml = body if isinstance(body, str) else etree.tostring(body, encoding="unicode")
    header_xml = "".join(etree.tostring(h, encoding="unicode") for h in headers or ())
    header = f"<soap:Header>{header_xml}</soap:Header>" if header_xml else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="{version.ns}">'
        f"{header}<soap:Body>{body_xml}</soap:Body></soap:Envelope>"
    ).encode()


def render_fault(
    version: SoapVersion, fault: SoapFault, headers: list[etree._Element] | None = None
) -> tuple[int, bytes]:
    """The HTTP status and the envelope for ``fault`` (in ``fault.reply_as`` when it is set)."""
    version = fault.reply_as or version
    headers = fault.header_blocks + (headers or [])
    ns = version.ns
    code11, code12 = fault.code.value
    nsmap = {"soap": ns}
    sub = bool(fault.subcode and fault.subcode_ns)
    if sub:
        nsmap["sub"] = fault.subcode_ns  # type: ignore[assignment]
    el = etree.Element(f"{{{ns}}}Fault", nsmap=nsmap)
    if version is SoapVersion.V11:
        # SOAP 1.1 has no subcodes: a qualified faultcode (e.g. ssek:TxIdInvalid) replaces it
        etree.SubElement(el, "faultcode").text = f"sub:{fault.subcode}" if sub else f"soap:{code11}"
        etree.SubElement(el, "faultstring").text = fault.reason
        if fault.detail:
            etree.SubElement(el, "detail").extend(fault.detail)
        status = fault.http_status or 500
    else:
        code = etree.SubElement(el, f"{{{ns}}}Code")
        etree.SubElement(code, f"{{{ns}}}Value").text = f"soap:{code12}"
        if sub:
            subcode = etree.SubElement(code, f"{{{ns}}}Subcode")
            etree.SubElement(subcode, f"{{{ns}}}Value").text = f"sub:{fault.subcode}"
        reason = etree.SubElement(el, f"{{{ns}}}Reason")
        text = etree.SubElement(reason, f"{{{ns}}}Text")
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "sv")
        text.text = fault.reason
        if fault.detail:
            etree.SubElement(el, f"{{{ns}}}Detail").extend(fault.detail)
        status = fault.http_status or (400 if fault.code is FaultCode.SENDER else 500)
    return status, render_envelope(version, el, headers)


SLA_NS = "urn:lefi-sandbox:sla"


def sla_fault(breach: SlaBreach) -> SoapFault:
    """An SLA breach as a SOAP Fault naming the rule: Client/Sender when the asker broke a
    limit, Server/Receiver when the service is closed; the detail says when to retry."""
    detail = etree.Element(f"{{{SLA_NS}}}SlaBrott", nsmap={"sla": SLA_NS})
    for name, value in (
        ("regel", breach.rule),  # the first broken
        ("regler", " ".join(breach.rules)),  # every rule broken
        ("beskrivning", breach.text),
        ("forsokIgenEfterSekunder", f"{breach.retry_after:.3f}"),
        ("forsokIgenTidigast", breach.retry_at.isoformat(timespec="milliseconds")),
    ):
        etree.SubElement(detail, f"{{{SLA_NS}}}{name}").text = value
    return SoapFault(FaultCode.RECEIVER if breach.closed else FaultCode.SENDER, breach.text, detail=[detail])
