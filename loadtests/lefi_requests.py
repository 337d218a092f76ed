"""The onlinefråga as each binding carries it, and the massfråga over REST and SSEK
AsynchPull, for the load profiles and the benchmark.

Plain text builders, free of the simulator's code and of the test suite: a load generator
sends what a partner's system sends. ``Request`` is one HTTP request (path, headers,
body); every builder takes the asking organisation, the person and a per-request id (the
SSEK TxId, the SHS tx.id, the WS ``referens``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

__all__ = [
    "Request",
    "BUILDERS",
    "BENEFITS",
    "PERSON",
    "ws",
    "ssek",
    "shs",
    "rest",
    "refusal_rule",
    "massfraga_rest",
    "massfraga_ssek",
    "massfraga_ssek_pull",
]

NS = "http://schema.forsakringskassan.se/externa_intressenter"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SSEK_NS = "http://schemas.ssek.org/ssek/2006-05-10/"
FK = "2021005521"
LEFI_PRODUCT = "045a177d-ca3d-4a66-b222-a7e0ebbaf0b9"  # the sandbox's LEFI Online fråga product (README, SHS)
PERSON = "198506102386"  # the default scenario's sick person: two cases, SGI, payments, levnadsintyg
# five benefits: the answer of the performance target (7 kB over WS)
BENEFITS = (
    "sjukpenning",
    "sjukpenninggrundandeInkomst",
    "utbetalning",
    "generellPersonInformation",
    "levnadsintyg",
)
V9_CODES = {
    "formansinformation": ["FK:SJP"],
    "ovrigInformation": ["FK:GEPI", "FK:SGI"],
    "utbetalningar": ["FK:SJP"],
}
_SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"


def _asked(benefits: tuple[str, ...]) -> str:
    return "".join(f"<ext:{b}>true</ext:{b}>" for b in benefits)


def fraga(org: str, person: str, referens: str, benefits: tuple[str, ...] = BENEFITS) -> str:
    asked = _asked(benefits)
    return (
        f'<ext:FK.Online.Fraga xmlns:ext="{NS}"><ext:generelltfalt>'
        f"<ext:organisationsnummer>{org}</ext:organisationsnummer><ext:versionsnummer>6</ext:versionsnummer>"
        f"<ext:referens>{referens}</ext:referens></ext:generelltfalt><ext:informationsfalt><ext:person>"
        f"<ext:personnummer>{person}</ext:personnummer><ext:fromdatum>2025-01-01</ext:fromdatum>"
        f"<ext:tomdatum>2026-10-31</ext:tomdatum><ext:formansforteckning>{asked}</ext:formansforteckning>"
        f"</ext:person></ext:informationsfalt></ext:FK.Online.Fraga>"
    )


def _envelope(body: str, header: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP11}">'
        f"<soap:Header>{header}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def ws(
    org: str,
    person: str = PERSON,
    tx: str = "bench",
    aktorsid: str | None = None,
    benefits: tuple[str, ...] = BENEFITS,
) -> Request:
    return Request("/ws/FK.EXA.Lefi.Fraga", _envelope(fraga(org, person, tx, benefits)), _SOAP_HEADERS)


def _ssek_header(org: str, tx: str | None, asynch: str = "") -> str:
    method = f' AsynchMethod="{asynch}"' if asynch else ""
    return (
        f'<ssek:SSEK xmlns:ssek="{SSEK_NS}" soap:mustUnderstand="1"{method}>'
        f'<ssek:SenderId ssek:Type="ORGNR">{org}</ssek:SenderId>'
        f'<ssek:ReceiverId ssek:Type="ORGNR">{FK}</ssek:ReceiverId>'
        f"<ssek:TxId>{tx or uuid.uuid4()}</ssek:TxId></ssek:SSEK>"
    )


def ssek(org: str, person: str = PERSON, tx: str | None = None, aktorsid: str | None = None) -> Request:
    """``tx``: the TxId, 36 characters (a UUID); a fresh one when None."""
    return Request(
        "/ssek/FK.EXA.Lefi.Fraga", _envelope(fraga(org, person, "load"), _ssek_header(org, tx)), _SOAP_HEADERS
    )


def shs(org: str, person: str = PERSON, tx: str | None = None, aktorsid: str | None = None) -> Request:
    """A synchronous SHS message: the shs.label, then the question as its data part."""
    tx = tx or str(uuid.uuid4())
    label = (
        f'<?xml version="1.0" encoding="UTF-8"?><shs.label version="1.2" tx.id="{tx}" corr.id="{tx}" '
        'transfer-type="synch" message-type="simple" document-type="simple" sequence-type="request" '
        f'status="test"><from commonName="Load test">urn:X-shs:{org}</from><to>urn:X-shs:{FK}</to>'
        f"<product>urn:X-shs:{LEFI_PRODUCT}</product><datetime>2026-11-02T09:00:00</datetime>"
        f'<content content.id="{tx}"><data datapartType="fraga" filename="fraga.xml"/></content></shs.label>'
    )
    boundary = "lefi-load-boundary"
    body = (
        f"--{boundary}\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n{label}\r\n"
        f"--{boundary}\r\nContent-Type: text/xml; charset=UTF-8\r\n"
        f'Content-Disposition: attachment; filename="fraga.xml"\r\n\r\n'
        f"{fraga(org, person, 'load')}\r\n--{boundary}--\r\n"
    ).encode()
    return Request("/mt", body, {"Content-Type": f'multipart/mixed; boundary="{boundary}"'})


def rest(org: str, person: str = PERSON, tx: str = "", aktorsid: str | None = None) -> Request:
    """LEFI v9 REST; ``aktorsid``: the organisation's aktorsId (default its orgnummer)."""
    question = {"personnummer": person, "period": {"from": "2025-01-01", "tom": "2026-10-31"}, **V9_CODES}
    return Request(
        f"/lefi-extern-formansinformation/v9/aktorer/{aktorsid or org}/formansinformation/fraga",
        json.dumps(question).encode(),
        {"Content-Type": "application/json"},
    )


BUILDERS = {"ws": ws, "ssek": ssek, "shs": shs, "rest": rest}


# -- massfråga: one question about many persons, answered in the background (README "Massfråga")
MASSFRAGA_SSEK = "/ssek/FK.EXA.Lefi.Massfraga"


def massfraga_jobs(org: str) -> str:
    """The REST job resource of the aktör (the organisation's orgnummer as its aktorsId)."""
    return f"/massfraga/v1/aktorer/{org}/jobb"


def massfraga_rest(org: str, persons: list[str]) -> Request:
    """A new job: v9's question with a list of personnummer."""
    question = {"personnummer": persons, "period": {"from": "2025-01-01", "tom": "2026-10-31"}, **V9_CODES}
    return Request(massfraga_jobs(org), json.dumps(question).encode(), {"Content-Type": "application/json"})


def massfraga_ssek(org: str, persons: list[str], tx: str) -> Request:
    """``FK.Massfraga.Fraga`` over SSEK AsynchPull; ``tx`` (the TxId) names the job later."""
    numbers = "".join(f"<ext:personnummer>{p}</ext:personnummer>" for p in persons)
    body = (
        f'<ext:FK.Massfraga.Fraga xmlns:ext="{NS}"><ext:generelltfalt><ext:organisationsnummer>{org}'
        "</ext:organisationsnummer><ext:versionsnummer>6</ext:versionsnummer></ext:generelltfalt>"
        f"<ext:informationsfalt><ext:personer>{numbers}</ext:personer><ext:fromdatum>2025-01-01"
        "</ext:fromdatum><ext:tomdatum>2026-10-31</ext:tomdatum>"
        f"<ext:formansforteckning>{_asked(BENEFITS)}</ext:formansforteckning></ext:informationsfalt>"
        "</ext:FK.Massfraga.Fraga>"
    )
    return Request(MASSFRAGA_SSEK, _envelope(body, _ssek_header(org, tx, "AsynchPull")), _SOAP_HEADERS)


def massfraga_ssek_pull(org: str, tx: str) -> Request:
    """``FK.Massfraga.Hamta`` for the job of TxId ``tx``, acknowledging the answers it gets."""
    body = (
        f'<ext:FK.Massfraga.Hamta xmlns:ext="{NS}"><ext:kvittera>true</ext:kvittera></ext:FK.Massfraga.Hamta>'
    )
    return Request(MASSFRAGA_SSEK, _envelope(body, _ssek_header(org, tx, "AsynchPull")), _SOAP_HEADERS)


def refusal_rule(status: int, headers: dict[str, str], body: bytes) -> str | None:
    """The SLA rule named by a refusal, in any binding's format; None when it is no refusal.

    Every binding's SLA refusal carries Retry-After and names the rule: WS ``sla:regel``,
    SSEK Location ``SLA/<rule>``, SHS appinfo ``regel``, REST 429/503, SSBTEK ``SLA_<RULE>``.
    A question that breaks several rules names them all, the first one (the one the sandbox's
    metrics count) first: the rule named earliest in the answer is the one reported.
    """
    if "retry-after" not in {name.lower() for name in headers}:
        return None
    text = body.decode("utf-8", "replace")
    found = {}
    for rule in ("per_second", "per_minute", "per_hour", "min_gap", "max_in_flight", "closed"):
        at = [i for i in (text.find(rule), text.find(rule.upper())) if i >= 0]
        if at:
            found[rule] = min(at)
    return min(found, key=found.__getitem__) if found else "unknown"
