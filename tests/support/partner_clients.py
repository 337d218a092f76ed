"""Messages built the way a partner's system builds them, and checks of what comes back.

- SSEK: a SOAP 1.1/1.2 envelope with an ``ssek:SSEK`` header, as an insurer's SSEK stack
  sends it; replies and faults are checked against SSEK's own ssek.xsd when
  ``../shared/reference/ssek`` is present.
- SHS: a ``multipart/mixed`` message made with the standard library's ``email`` package
  (the shs.label first, the question as a data part), as an SHS client sends it to
  ``/mt``; labels, management messages and message lists that come back are checked
  against the SHS 1.2 DTDs of ``../shared/reference/shs`` when present.

The answer itself (``FK.Online.Svar``) is always checked against the project's XSD.
"""

from __future__ import annotations

import copy
import email.policy
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import requests
import yaml
from lxml import etree

from support.lefi import assert_valid
from support.server import DEFAULT_SCENARIO, NS, SCHEMAS, SHARED

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SSEK_NS = "http://schemas.ssek.org/ssek/2006-05-10/"
SSEK_PATH = "/ssek/FK.EXA.Lefi.Fraga"
FK = "2021005521"
LEFI_PRODUCT = "045a177d-ca3d-4a66-b222-a7e0ebbaf0b9"  # the default scenario's LEFI Online product
LEKA = "http://schema.forsakringskassan.se/leka"
# what a massfråga asks by default
MASSFRAGA_BENEFITS = [
    "sjukpenning",
    "foraldrapenning",
    "barnbidrag",
    "utbetalning",
    "generellPersonInformation",
]
SSEK_REFERENCE = SHARED / "reference" / "ssek"
SHS_REFERENCE = SHARED / "reference" / "shs"


# -- the question ----------------------------------------------------------------------
def fraga(
    personnummer: str,
    benefits: list[str] | None = None,
    *,
    org: str = "5566778899",
    fromdatum: str | None = "2025-01-01",
    tomdatum: str | None = "2026-10-31",
    version: str | None = "6",
    referens: str | None = None,
) -> str:
    """FK.Online.Fraga as XML text (the same question zeep builds from the WSDL)."""
    gen = f"<ext:organisationsnummer>{escape(org)}</ext:organisationsnummer>"
    if version is not None:
        gen += f"<ext:versionsnummer>{escape(version)}</ext:versionsnummer>"
    if referens is not None:
        gen += f"<ext:referens>{escape(referens)}</ext:referens>"
    person = f"<ext:personnummer>{escape(personnummer)}</ext:personnummer>"
    if fromdatum is not None:
        person += f"<ext:fromdatum>{fromdatum}</ext:fromdatum>"
    if tomdatum is not None:
        person += f"<ext:tomdatum>{tomdatum}</ext:tomdatum>"
    if benefits is not None:
        person += (
            "<ext:formansforteckning>"
            + "".join(f"<ext:{b}>true</ext:{b}>" for b in benefits)
            + "</ext:formansforteckning>"
        )
    return (
        f'<ext:FK.Online.Fraga xmlns:ext="{NS}"><ext:generelltfalt>{gen}</ext:generelltfalt>'
        f"<ext:informationsfalt><ext:person>{person}</ext:person></ext:informationsfalt></ext:FK.Online.Fraga>"
    )


# -- SSEK ------------------------------------------------------------------------------
def ssek_header(
    sender: str = "5566778899",
    sender_type: str | None = "ORGNR",
    *,
    receiver: str = FK,
    receiver_type: str | None = "ORGNR",
    tx_id: str | None = "new",
    soap: str = SOAP11,
    must_understand: bool = True,
) -> str:
    """An ssek:SSEK header block; ``tx_id="new"`` makes a fresh UUID, None leaves TxId out."""

    def party(name: str, value: str, id_type: str | None) -> str:
        attr = f" ssek:Type={quoteattr(id_type)}" if id_type is not None else ""
        return f"<ssek:{name}{attr}>{escape(value)}</ssek:{name}>"

    if tx_id == "new":
        tx_id = str(uuid.uuid4())
    mu = f' soap:mustUnderstand="{"1" if soap == SOAP11 else "true"}"' if must_understand else ""
    tx = f"<ssek:TxId>{escape(tx_id)}</ssek:TxId>" if tx_id is not None else ""
    return (
        f'<ssek:SSEK xmlns:ssek="{SSEK_NS}"{mu}>{party("SenderId", sender, sender_type)}'
        f"{party('ReceiverId', receiver, receiver_type)}{tx}</ssek:SSEK>"
    )


def soap_envelope(body: str, header: str = "", soap: str = SOAP11) -> bytes:
    head = f"<soap:Header>{header}</soap:Header>" if header else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{soap}">{head}'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def post_soap(
    url: str, data: bytes, soap: str = SOAP11, path: str = SSEK_PATH, content_type: str | None = None
) -> requests.Response:
    if content_type is None:
        content_type = "text/xml; charset=utf-8" if soap == SOAP11 else "application/soap+xml; charset=utf-8"
    headers = {"Content-Type": content_type}
    if soap == SOAP11:
        headers["SOAPAction"] = '""'
    return requests.post(url + path, data=data, headers=headers, timeout=10)


@cache
def ssek_schema() -> etree.XMLSchema | None:
    path = SSEK_REFERENCE / "ssek.xsd"
    return etree.XMLSchema(etree.parse(str(path))) if path.is_file() else None


def assert_valid_ssek(element: etree._Element) -> None:
    """An ssek:SSEK header or ssek:FaultData validates against SSEK's ssek.xsd (when present)."""
    schema = ssek_schema()
    if schema is not None:
        assert schema.validate(etree.ElementTree(copy.deepcopy(element))), schema.error_log


@dataclass
class SsekAnswer:
    header: etree._Element  # the reply's ssek:SSEK
    svar: etree._Element

    def text(self, path: str) -> str | None:
        return self.svar.findtext("/".join(f"{{{NS}}}{p}" for p in path.split("/")))

    @property
    def status(self) -> int:
        return int(self.text("generelltfalt/status/kod") or "-1")


def ssek_answer(response: requests.Response, version: int = 6) -> SsekAnswer:
    """The validated SSEK header and FK.Online.Svar of a 200 answer."""
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    header = root.find(f".//{{{SSEK_NS}}}SSEK")
    svar = root.find(f".//{{{NS}}}FK.Online.Svar")
    assert header is not None and svar is not None, response.text
    assert_valid_ssek(header)
    assert_valid(svar, version)
    return SsekAnswer(header, svar)


@dataclass
class SoapFaultSeen:
    code: str  # faultcode (1.1) or Code/Value, Subcode/Value (1.2), prefix resolved to {ns}local
    subcode: str | None
    reason: str
    detail: list[etree._Element]

    def fault_data(self) -> etree._Element:
        for el in self.detail:
            if el.tag == f"{{{SSEK_NS}}}FaultData":
                return el
        raise AssertionError(f"no ssek:FaultData in the detail: {self.detail}")

    def items(self) -> list[dict[str, str | None]]:
        return [
            {c: item.findtext(f"{{{SSEK_NS}}}{c}") for c in ("Code", "Description", "Location", "System")}
            for item in self.fault_data().iter(f"{{{SSEK_NS}}}FaultItem")
        ]


def _resolve(el: etree._Element, text: str) -> str:
    prefix, _, local = text.strip().rpartition(":")
    return f"{{{el.nsmap.get(prefix or None)}}}{local}"


def soap_fault(response: requests.Response) -> SoapFaultSeen:
    """The fault of a SOAP 1.1 or 1.2 fault response; its ssek:FaultData and ext:TeknisktFel
    details are validated (ssek.xsd, our XSD)."""
    root = etree.fromstring(response.content)
    fault11 = root.find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault")
    if fault11 is not None:
        code_el = fault11.find("faultcode")
        assert code_el is not None
        detail_el = fault11.find("detail")
        seen = SoapFaultSeen(
            _resolve(code_el, code_el.text or ""),
            None,
            fault11.findtext("faultstring") or "",
            [] if detail_el is None else list(detail_el),
        )
    else:
        fault = root.find(f"{{{SOAP12}}}Body/{{{SOAP12}}}Fault")
        assert fault is not None, response.text
        value = fault.find(f"{{{SOAP12}}}Code/{{{SOAP12}}}Value")
        sub = fault.find(f"{{{SOAP12}}}Code/{{{SOAP12}}}Subcode/{{{SOAP12}}}Value")
        detail_el = fault.find(f"{{{SOAP12}}}Detail")
        assert value is not None
        seen = SoapFaultSeen(
            _resolve(value, value.text or ""),
            None if sub is None else _resolve(sub, sub.text or ""),
            fault.findtext(f"{{{SOAP12}}}Reason/{{{SOAP12}}}Text") or "",
            [] if detail_el is None else list(detail_el),
        )
    for el in seen.detail:
        if etree.QName(el).namespace == SSEK_NS:
            assert_valid_ssek(el)
        elif etree.QName(el).namespace == NS:
            assert_valid(el)
    return seen


# -- massfråga (SSEK AsynchPull, SHS) and LEKA ------------------------------------------
def massfraga_xml(persons: list[str], org: str = "5566778899", benefits: list[str] | None = None) -> str:
    numbers = "".join(f"<ext:personnummer>{p}</ext:personnummer>" for p in persons)
    wanted = "".join(f"<ext:{b}>true</ext:{b}>" for b in benefits or MASSFRAGA_BENEFITS)
    return (
        f'<ext:FK.Massfraga.Fraga xmlns:ext="{NS}"><ext:generelltfalt><ext:organisationsnummer>{org}'
        "</ext:organisationsnummer><ext:versionsnummer>6</ext:versionsnummer></ext:generelltfalt>"
        f"<ext:informationsfalt><ext:personer>{numbers}</ext:personer><ext:fromdatum>2025-01-01</ext:fromdatum>"
        f"<ext:tomdatum>2026-10-31</ext:tomdatum><ext:formansforteckning>{wanted}</ext:formansforteckning>"
        "</ext:informationsfalt></ext:FK.Massfraga.Fraga>"
    )


HAMTA = f'<ext:FK.Massfraga.Hamta xmlns:ext="{NS}"/>'
HAMTA_KVITTERA = (
    f'<ext:FK.Massfraga.Hamta xmlns:ext="{NS}"><ext:kvittera>true</ext:kvittera></ext:FK.Massfraga.Hamta>'
)


def pull_header(tx_id: str, method: str | None = "AsynchPull", *, sender: str = "5566778899") -> str:
    """An SSEK header for massfråga: AsynchPull, unless ``method`` says otherwise (None: none)."""
    header = ssek_header(sender, tx_id=tx_id)
    return header.replace("<ssek:SSEK ", f'<ssek:SSEK AsynchMethod="{method}" ', 1) if method else header


def register_xml(org: str, *persons: str) -> str:
    numbers = "".join(f"<leka:personnummer>{p}</leka:personnummer>" for p in persons)
    return (
        f'<leka:RegistreraPrenumeration xmlns:leka="{LEKA}"><leka:organisationsnummer>{org}'
        f"</leka:organisationsnummer>{numbers}</leka:RegistreraPrenumeration>"
    )


# -- SHS -------------------------------------------------------------------------------
_POLICY = email.policy.SMTP.clone(linesep="\r\n")  # MIME as on the wire: CRLF lines


def shs_label(
    *,
    sender: str = "2021005489",
    to: str | None = FK,
    product: str = LEFI_PRODUCT,
    transfer_type: str = "synch",
    sequence_type: str = "request",
    tx_id: str | None = None,
    corr_id: str | None = None,
    content_id: str | None = None,
    status: str = "test",
    agreement: str | None = None,
    datapart_type: str = "fraga",
    data_parts: int = 1,
    doctype: bool = False,
    extra: str = "",
) -> bytes:
    """An shs.label 1.2 as an SHS client writes it (``doctype``: with the DOCTYPE line the
    Inera Axel client writes, which the sandbox reads past)."""
    attrs = {
        "version": "1.2",
        "tx.id": tx_id or str(uuid.uuid4()),
        "corr.id": corr_id or str(uuid.uuid4()),
        "transfer-type": transfer_type,
        "message-type": "simple",
        "document-type": "simple",
        "sequence-type": sequence_type,
        "status": status,
    }
    if agreement is not None:
        attrs["shs.agreement"] = agreement
    attr_text = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
    to_el = f"<to>urn:X-shs:{to}</to>" if to is not None else ""
    data = "".join(f'<data datapartType="{datapart_type}" filename="fraga.xml"/>' for _ in range(data_parts))
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    if doctype:
        head += '<!DOCTYPE shs.label SYSTEM "shs-label-1.2.dtd">\n'
    return (
        head + f'<shs.label {attr_text}><from commonName="Partner">urn:X-shs:{sender}</from>{to_el}'
        f"<product>urn:X-shs:{product}</product><datetime>2026-11-02T09:00:00</datetime>"
        f'<content content.id="{content_id or uuid.uuid4()}">{data}</content>{extra}</shs.label>'
    ).encode()


def shs_message(label: bytes, data: list[bytes] | None = None, data_cte: str = "binary") -> tuple[str, bytes]:
    """(Content-Type header, body) of a multipart/mixed SHS message: the label, then the data parts."""
    msg = EmailMessage(policy=_POLICY)
    msg["MIME-Version"] = "1.0"
    msg.set_type("multipart/mixed")
    part = EmailMessage(policy=_POLICY)
    part.set_content(label, maintype="text", subtype="xml", cte="binary", params={"charset": "UTF-8"})
    msg.attach(part)
    for body in data if data is not None else []:
        part = EmailMessage(policy=_POLICY)
        part.set_content(
            body,
            maintype="text",
            subtype="xml",
            cte=data_cte,
            params={"charset": "UTF-8"},
            filename="fraga.xml",
            disposition="attachment",
        )
        msg.attach(part)
    raw = msg.as_bytes(policy=_POLICY)
    head, _, body = raw.partition(b"\r\n\r\n")
    content_type = next(
        line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-type:")
    )
    return content_type.decode(), body


def post_shs(url: str, label: bytes, data: list[bytes] | None = None, **kw: Any) -> requests.Response:
    content_type, body = shs_message(label, data, **kw)
    return requests.post(url + "/mt", data=body, headers={"Content-Type": content_type}, timeout=10)


@cache
def shs_dtd(name: str) -> etree.DTD | None:
    path = SHS_REFERENCE / name
    return etree.DTD(str(path)) if path.is_file() else None


def assert_valid_shs(element: etree._Element, dtd_name: str) -> None:
    """An SHS document validates against its DTD from ../shared/reference/shs (when present)."""
    dtd = shs_dtd(dtd_name)
    if dtd is not None:
        assert dtd.validate(element), (dtd.error_log, etree.tostring(element))


@dataclass
class ShsMessage:
    """An SHS message that came back: its label and data parts, the label checked against the DTD."""

    label: etree._Element
    parts: list[tuple[str, bytes]]  # (content type, decoded body) of each data part
    headers: dict[str, str] = field(default_factory=dict)

    def attr(self, name: str) -> str | None:
        return self.label.get(name)

    def urn(self, element: str) -> str | None:
        text = self.label.findtext(element)
        return None if text is None else text.strip()

    def svar(self, version: int = 6) -> etree._Element:
        assert len(self.parts) == 1, self.parts
        svar = etree.fromstring(self.parts[0][1])
        assert svar.tag == f"{{{NS}}}FK.Online.Svar", self.parts[0][1][:300]
        assert_valid(svar, version)
        return svar

    def error(self) -> etree._Element:
        """The shs.management/error of an SHS error message, checked against its DTD."""
        assert self.urn("product") == "urn:X-shs:error", etree.tostring(self.label)
        assert self.attr("sequence-type") == "adm"
        management = etree.fromstring(self.parts[0][1], etree.XMLParser(remove_blank_text=True))
        assert_valid_shs(management, "shs-management-1.2.dtd")
        error = management.find("error")
        assert error is not None, self.parts[0][1]
        return error


def parse_shs(
    content_type: str, body: bytes, headers: dict[str, str] | None = None, validate: bool = True
) -> ShsMessage:
    msg = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    assert msg.is_multipart() and not msg.defects, (msg.defects, body[:300])
    parts = list(msg.iter_parts())
    # without blank text: Axel's labels say standalone="yes", which DTD validation holds against whitespace
    label = etree.fromstring(parts[0].get_payload(decode=True), etree.XMLParser(remove_blank_text=True))
    assert label.tag == "shs.label"
    if validate:
        assert_valid_shs(label, "shs-label-1.2.dtd")
    data = [(p.get_content_type(), p.get_payload(decode=True)) for p in parts[1:]]
    return ShsMessage(label, data, dict(headers or {}))


def shs_reply(response: requests.Response) -> ShsMessage:
    return parse_shs(response.headers["Content-Type"], response.content, dict(response.headers))


def shs_error(response: requests.Response) -> tuple[str, etree._Element]:
    """(X-shs-errorcode, shs.management/error) of a refused SHS request (HTTP 400)."""
    assert response.status_code == 400, (response.status_code, response.text[:500])
    code = response.headers["X-shs-errorcode"]
    error = shs_reply(response).error()
    assert error.get("errorcode") == code
    return code, error


# -- scenarios -------------------------------------------------------------------------
def default_scenario_with(
    tmp_path: Path,
    *,
    faults: list[dict[str, Any]] | None = None,
    organisations: list[dict[str, Any]] | None = None,
    clock: dict[str, Any] | None = None,
) -> Path:
    """The default scenario plus fault rules and organisations, written to ``tmp_path``."""
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    data["organisations"] = list(data["organisations"]) + list(organisations or [])
    data["faults"] = list(data.get("faults") or []) + list(faults or [])
    if clock is not None:
        data["clock"] = clock
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# -- massfråga over SHS (tests/massfraga, tests/online/test_shs_outbox.py) --------------------
def massfraga_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "lefi-massfraga.xsd")))


KRONOFOGDEN = "2021005489"  # an SHS agreement for massfråga, asynchronous
SHS_MASSFRAGA = "6d3f0a52-8c1e-4f7b-9a2d-5b4e1c7f0a93"


def post_shs_massfraga(
    url: str, persons: list[str], tx_id: str, transfer_type: str = "asynch"
) -> requests.Response:
    label = shs_label(sender=KRONOFOGDEN, product=SHS_MASSFRAGA, transfer_type=transfer_type, tx_id=tx_id)
    return post_shs(url, label, [massfraga_xml(persons, org=KRONOFOGDEN).encode()])


def shs_outbox_reply(url: str, tx_id: str) -> tuple[str, etree._Element]:
    """(the reply's tx.id, its FK.Massfraga.Svar) once it waits in Kronofogden's outbox."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listing = requests.get(
            f"{url}/shs/ds/{KRONOFOGDEN}?producttype={SHS_MASSFRAGA}&filter=noack", timeout=10
        )
        for message in etree.fromstring(listing.content).iterfind("message"):
            fetched = requests.get(f"{url}/shs/ds/{KRONOFOGDEN}/{message.get('tx.id')}", timeout=30)
            reply = shs_reply(fetched)
            if reply.attr("corr.id") and reply.parts:
                svar = etree.fromstring(reply.parts[0][1])
                if svar.tag == f"{{{NS}}}FK.Massfraga.Svar" and message.get("tx.id"):
                    assert massfraga_schema().validate(svar), massfraga_schema().error_log
                    return str(message.get("tx.id")), svar
        time.sleep(0.1)
    raise AssertionError("no massfråga reply in the outbox")
