"""The hostile corpus: requests no partner should send, as bytes on the wire, per binding,
with the refusal each must get. Used by tests/security/test_hostile_corpus.py (every CI run)
and loadtests/soak.py (mixed with valid traffic). ``send`` speaks raw HTTP/1.1 over a socket,
so that what is sent is exactly what is written here (1,000 headers, a 20 MB body ...).
``Prober`` is the other client both run meanwhile.
"""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

__all__ = [
    "Hostile",
    "Wire",
    "Reply",
    "CORPUS",
    "Prober",
    "order_xml",
    "WRONG_PERSONNUMMER",
    "SSEK_HEADER",
    "send",
    "envelope",
    "fraga_xml",
    "REST_PATH",
    "PATHS",
    "XML_BINDINGS",
    "ALL_BINDINGS",
    "shaped",
    "wrap",
]

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
NS = "http://schema.forsakringskassan.se/externa_intressenter"
REST_PATH = (
    "/lefi-extern-formansinformation/v9/aktorer/7c0e5a9e-2120-4142-9a1e-000000000142/formansinformation/fraga"
)
MASSFRAGA_PATH = "/massfraga/v1/aktorer/5566778899/jobb"
PRENUMERATION_PATH = "/prenumeration/5566778899/bestallningar"
PATHS = {
    "ws": "/ws",
    "ssek": "/ssek/FK.EXA.Lefi.Fraga",
    "ssbtek": "/ssbtek",
    "shs": "/mt",  # the hostile document as the label
    "shs-data": "/mt",  # as the data part of a LEFI question, behind a valid label
    "massfraga-shs": "/mt",
    "prenumeration-shs": "/mt",
    "rest": REST_PATH,
    "leka": "/leka/ws",
    "leka-ssek": "/leka/ssek",
    "massfraga-ssek": "/ssek/FK.EXA.Lefi.Massfraga",
    "massfraga": MASSFRAGA_PATH,
    "prenumeration": PRENUMERATION_PATH,
    "web": "/lefi/login",
    "admin": "/_admin/health",
}
# the bindings that read XML, and those that read JSON or a form
XML_BINDINGS = (
    "ws",
    "ssek",
    "ssbtek",
    "shs",
    "shs-data",
    "leka",
    "leka-ssek",
    "massfraga-ssek",
    "massfraga-shs",
    "prenumeration",
    "prenumeration-shs",
)
ALL_BINDINGS = (*XML_BINDINGS, "rest", "massfraga", "web")
TWENTY_MB = 20 * 1024 * 1024
BOUNDARY = "hostile-boundary"


@dataclass(frozen=True)
class Wire:
    """Bytes to send; ``then``: more to stream afterwards (a body that does not end soon);
    ``half_close``: shut the sending side once ``data`` is sent."""

    data: bytes
    then: Callable[[], Iterator[bytes]] | None = None
    half_close: bool = False


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Hostile:
    name: str
    binding: str  # a key of PATHS
    build: Callable[[str], Wire]  # given a URL that must never be fetched
    status: int
    says: str  # words the refusal's reason contains
    code: str | None = None  # the fault code, when not the binding's usual Client/ContentInvalid

    def request(self, fetch_url: str) -> Wire:
        return self.build(fetch_url)


# -- documents ---------------------------------------------------------------------------
def envelope(body: str, soap: str = SOAP11, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<soap:Envelope xmlns:soap="{soap}">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def fraga_xml(extra: str = "", org: str = "2120000142") -> str:
    return (
        f'<ext:FK.Online.Fraga xmlns:ext="{NS}"><ext:generelltfalt><ext:organisationsnummer>{org}'
        f"</ext:organisationsnummer><ext:versionsnummer>6</ext:versionsnummer></ext:generelltfalt>"
        f"<ext:informationsfalt><ext:person><ext:personnummer>198506102386{extra}</ext:personnummer>"
        f"</ext:person></ext:informationsfalt></ext:FK.Online.Fraga>"
    )


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]>\n"
)


def _xxe(_: str) -> str:
    return '<!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def _external_dtd(fetch_url: str) -> str:
    return f'<!DOCTYPE soap:Envelope SYSTEM "{fetch_url}">\n'


def _documents(fetch_url: str) -> dict[str, bytes]:
    """The XML documents of the corpus, as a SOAP body would carry them."""
    return {
        "billion-laughs": envelope(fraga_xml("&lol9;"), prolog=BILLION_LAUGHS),
        "xxe-local-file": envelope(fraga_xml("&xxe;"), prolog=_xxe(fetch_url)),
        "external-dtd": envelope(fraga_xml(), prolog=_external_dtd(fetch_url)),
        "deep-nesting": envelope("<a>" * 10_000 + "</a>" * 10_000),
        "invalid-utf8": envelope(fraga_xml()).replace(b"Fraga>", b"Fr\xff\xfega>", 1),
    }


# -- requests ------------------------------------------------------------------------------
def _request(path: str, content_type: str, body: bytes, extra: bytes = b"") -> Wire:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    ).encode()
    return Wire(head + extra + b"\r\n" + body)


UTF8_PART = b"Content-Type: text/xml; charset=UTF-8"


def _multipart(label: bytes, data: bytes = b"", close: bool = True, data_headers: bytes = UTF8_PART) -> bytes:
    parts = [(UTF8_PART, label), (data_headers, data)] if data else [(UTF8_PART, label)]
    body = b"".join(f"--{BOUNDARY}\r\n".encode() + h + b"\r\n\r\n" + p + b"\r\n" for h, p in parts)
    return body + (f"--{BOUNDARY}--\r\n".encode() if close else b"")


SHS_TYPE = f"multipart/mixed; boundary={BOUNDARY}"
SHS_LABEL = (
    b'<?xml version="1.0" encoding="UTF-8"?><shs.label version="1.2" tx.id="a" corr.id="b" '
    b'transfer-type="synch" sequence-type="request"><from>urn:X-shs:2021005489</from>'
    b"<product>urn:X-shs:045a177d-ca3d-4a66-b222-a7e0ebbaf0b9</product>"
    b'<content content.id="c"><data datapartType="fraga"/></content></shs.label>'
)


# who sends what over SHS in the default scenario: (sender, product, transfer-type, datapartType)
SHS_SENDERS = {
    "shs-data": ("2021005489", "045a177d-ca3d-4a66-b222-a7e0ebbaf0b9", "synch", "fraga"),
    "massfraga-shs": ("2021005489", "6d3f0a52-8c1e-4f7b-9a2d-5b4e1c7f0a93", "asynch", "massfraga"),
    "prenumeration-shs": ("2021005299", "2ea96132-1846-4afe-b965-29a018456fce", "asynch", "bestallning"),
}


def shs_label(binding: str) -> bytes:
    """A label the sandbox accepts for ``binding``'s data part (a new tx.id each time)."""
    sender, product, transfer, datapart = SHS_SENDERS[binding]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><shs.label version="1.2" tx.id="{uuid.uuid4()}" '
        f'corr.id="{uuid.uuid4()}" transfer-type="{transfer}" sequence-type="request" status="test">'
        f"<from>urn:X-shs:{sender}</from><product>urn:X-shs:{product}</product>"
        f'<datetime>2026-11-02T09:00:00</datetime><content content.id="c-1">'
        f'<data datapartType="{datapart}"/></content></shs.label>'
    ).encode()


def _wrap(binding: str, document: bytes) -> Wire:
    """``document`` sent to ``binding`` as its message (SHS: as the label, or as the data
    part behind a valid label)."""
    if binding == "shs":
        return _request(PATHS[binding], SHS_TYPE, _multipart(document))
    if binding in SHS_SENDERS:
        return _request(PATHS[binding], SHS_TYPE, _multipart(shs_label(binding), document))
    return _request(PATHS[binding], "text/xml; charset=utf-8", document)


SSEK_HEADER = (
    '<soap:Header><ssek:SSEK xmlns:ssek="http://schemas.ssek.org/ssek/2006-05-10/" '
    'soap:mustUnderstand="1"><ssek:SenderId ssek:Type="ORGNR">5566778899</ssek:SenderId>'
    '<ssek:ReceiverId ssek:Type="ORGNR">2021005521</ssek:ReceiverId><ssek:TxId>{tx}</ssek:TxId>'
    "</ssek:SSEK></soap:Header>"
)


def wrap(binding: str, element: str) -> Wire:
    """An XML ``element`` as ``binding``'s message: in a SOAP envelope (over SSEK with a
    header that lets it in, a new TxId each time), as the SHS label or data part, or as the
    Prenumeration order file."""
    if binding == "prenumeration" or binding.startswith("shs") or binding.endswith("-shs"):
        return _wrap(binding, f'<?xml version="1.0" encoding="UTF-8"?>\n{element}'.encode())
    document = envelope(element)
    if "ssek" in binding:
        header = SSEK_HEADER.format(tx=uuid.uuid4()).encode()
        document = document.replace(b"<soap:Body>", header + b"<soap:Body>", 1)
    return _wrap(binding, document)


def shaped(attributes: int = 0, namespaces: int = 0, depth: int = 0, elements: int = 0, text: int = 0) -> str:
    """An FK.Online.Fraga carrying a hostile shape: ``attributes`` empty attributes on the
    question element, ``namespaces`` declarations, ``elements`` empty children,
    ``depth`` nested levels and a text of ``text`` characters."""
    attrs = " ".join(f'a{i}=""' for i in range(attributes))
    decls = " ".join(f'xmlns:n{i}="urn:n{i}"' for i in range(namespaces))
    inner = "<x/>" * elements + "<d>" * depth + "y" * text + "</d>" * depth
    return (
        f'<ext:FK.Online.Fraga xmlns:ext="{NS}" {decls} {attrs}><ext:generelltfalt>'
        f"<ext:organisationsnummer>5566778899</ext:organisationsnummer><ext:versionsnummer>6"
        f"</ext:versionsnummer></ext:generelltfalt><ext:informationsfalt><ext:person><ext:personnummer>"
        f"198506102386</ext:personnummer>{inner}</ext:person></ext:informationsfalt></ext:FK.Online.Fraga>"
    )


# -- issue 17: one message must not stall the server or keep its memory -------------------
# each under 1 MiB; the attributes case took 30-50 s over SSEK and kept 170 MB over WS
SHAPES = {
    "100000-attributes": (dict(attributes=100_000), "attributes"),
    "5000-attributes-on-one-element": (dict(attributes=5_000), "attributes"),
    "5000-namespaces": (dict(namespaces=5_000), "namespaces"),
    "200000-elements": (dict(elements=200_000), "elements"),
    "900000-character-text": (dict(text=900_000), "longer than"),
}


def _short_body(binding: str) -> Wire:
    """A body shorter than its Content-Length, then the client half-closes: a clear 400."""
    content_type = {
        "shs": SHS_TYPE,
        "rest": "application/json",
        "massfraga": "application/json",
        "web": "application/x-www-form-urlencoded",
    }.get(binding, "text/xml; charset=utf-8")
    head = (
        f"POST {PATHS[binding]} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: 1000\r\nConnection: close\r\n\r\n"
    ).encode()
    return Wire(head + b"<soap", half_close=True)


def _utf7(wire: Wire) -> Wire:
    """The message's declaration (the last one: an SHS data part's, not its label's) says UTF-7."""
    head, _, tail = wire.data.rpartition(b'encoding="UTF-8"')
    return Wire(head + b'encoding="UTF-7"' + tail)


def order_xml(personnummer: list[str], org: str = "5566778899") -> bytes:
    """A Prenumeration order: a heluppdatering of ``personnummer``."""
    persons = "".join(f"<e:personnummer>{p}</e:personnummer>" for p in personnummer)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<e:FK.Prenumeration.Bestallning xmlns:e="{NS}" '
        f'version="2.0.4"><e:organisationsnummer>{org}</e:organisationsnummer>'
        f"<e:heluppdatering>{persons}</e:heluppdatering></e:FK.Prenumeration.Bestallning>"
    ).encode()


# 963 KiB, under the HTTP limit of 1 MiB: 29,000 schema errors took 4.5 s to list on the event loop
WRONG_PERSONNUMMER = 29_000


def _utf16_question(transfer_encoding: str) -> Wire:
    """A LEFI question as an SHS data part in UTF-16 that says so three times: the part's
    charset, a BOM and its declaration (it was refused as not well-formed)."""
    data = ('<?xml version="1.0" encoding="UTF-16"?>\n' + fraga_xml(org="2021005489")).encode("utf-16")
    if transfer_encoding == "base64":
        data = base64.encodebytes(data)
    headers = f"Content-Type: text/xml; charset=UTF-16\r\nContent-Transfer-Encoding: {transfer_encoding}"
    return _request(
        PATHS["shs-data"], SHS_TYPE, _multipart(shs_label("shs-data"), data, data_headers=headers.encode())
    )


def _get(path: str, extra: bytes = b"") -> Wire:
    return Wire(f"GET {path} HTTP/1.1\r\nHost: sandbox\r\n".encode() + extra + b"Connection: close\r\n\r\n")


def _issue_17() -> list[Hostile]:
    cases = [
        Hostile(
            f"{binding}-{name}",
            binding,
            lambda url, b=binding, shape=shape: wrap(b, shaped(**shape)),
            400,
            says,
        )
        for binding in XML_BINDINGS
        for name, (shape, says) in SHAPES.items()
    ]
    cases += [  # markup in UTF-7 could hide from the counts ("+ADw-" is "<")
        Hostile(
            f"{binding}-utf-7",
            binding,
            lambda url, b=binding: _utf7(wrap(b, shaped())),
            400,
            "encoding",
        )
        for binding in XML_BINDINGS
    ]
    cases += [
        Hostile(
            f"{binding}-short-body-half-close",
            binding,
            lambda url, b=binding: _short_body(b),
            400,
            "kom inte fram" if binding == "web" else "cut short",
        )
        for binding in ALL_BINDINGS
    ]
    long_id = "a" * 10_000
    cases += [
        Hostile(
            "rest-10000-character-aktorsId",
            "rest",
            lambda url: _request(
                REST_PATH.replace("7c0e5a9e-2120-4142-9a1e-000000000142", long_id), "application/json", b"{}"
            ),
            403,
            "aktör",
        ),
        Hostile(
            "massfraga-10000-character-aktorsId",
            "massfraga",
            lambda url: _get(MASSFRAGA_PATH.replace("5566778899", long_id)),
            403,
            "aktör",
        ),
        Hostile(
            "rest-80000-members",
            "rest",
            lambda url: _request(
                REST_PATH, "application/json", b"{" + b",".join(b'"k%d":0' % i for i in range(80_000)) + b"}"
            ),
            400,
            "fält",
        ),
        Hostile(
            "web-100kb-header",
            "web",
            lambda url: _get(PATHS["web"], b"X-Big: " + b"a" * 100_000 + b"\r\n"),
            400,
            "kunde inte läsas",
        ),
        Hostile(
            "web-100000-fields",
            "web",
            lambda url: _request(
                PATHS["web"],
                "application/x-www-form-urlencoded",
                b"&".join(b"f%d=x" % i for i in range(100_000)),
            ),
            413,
            "för många fält",
        ),
    ]
    cases += [
        Hostile(
            f"prenumeration{over}-{WRONG_PERSONNUMMER}-wrong-personnummer",
            f"prenumeration{over}",
            lambda url, b=f"prenumeration{over}", org=org: _wrap(
                b, order_xml(["x"] * WRONG_PERSONNUMMER, org)
            ),
            400,
            says,
        )  # the error file ends with "more problems besides"; SHS lists the first 20
        for over, org, says in (
            ("", "5566778899", "fler fel än de 50"),
            ("-shs", "2021005299", "personnummer"),
        )
    ]
    cases += [  # answered, not refused (item 3)
        Hostile(f"shs-utf-16-{cte}", "shs-data", lambda url, c=cte: _utf16_question(c), 200, "FK.Online.Svar")
        for cte in ("binary", "base64")
    ]
    cases.append(  # without the token: what /health says and no more (item 5)
        Hostile("admin-health-without-token", "admin", lambda url: _get(PATHS["admin"]), 200, "status")
    )
    return cases


def _huge(binding: str) -> Wire:
    """A 20 MB body announced by Content-Length: only its first 64 KB are sent; the answer
    must come without the rest."""
    content_type = {"shs": SHS_TYPE, "rest": "application/json"}.get(binding, "text/xml")
    head = (
        f"POST {PATHS[binding]} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {TWENTY_MB}\r\nConnection: close\r\n\r\n"
    ).encode()
    return Wire(head + b"<" * 65536)


def _huge_chunked(binding: str) -> Wire:
    """A 20 MB body without a length, chunked: the server must stop reading at its limit."""
    content_type = {"shs": SHS_TYPE, "rest": "application/json"}.get(binding, "text/xml")
    head = (
        f"POST {PATHS[binding]} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: {content_type}\r\n"
        f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()

    def chunks() -> Iterator[bytes]:
        chunk = b"%x\r\n" % 65536 + b"x" * 65536 + b"\r\n"
        for _ in range(TWENTY_MB // 65536):
            yield chunk
        yield b"0\r\n\r\n"

    return Wire(head, chunks)


def _many_headers(binding: str) -> Wire:
    content_type = {"shs": SHS_TYPE, "rest": "application/json"}.get(binding, "text/xml")
    extra = b"".join(b"X-Hostile-%d: yes\r\n" % i for i in range(1000))
    return _request(PATHS[binding], content_type, b"{}", extra)


def _corpus() -> list[Hostile]:
    cases: list[Hostile] = []
    for binding in ("ws", "ssek", "ssbtek", "shs"):
        for name in ("billion-laughs", "xxe-local-file", "external-dtd"):
            cases.append(
                Hostile(
                    f"{binding}-{name}",
                    binding,
                    lambda url, b=binding, n=name: _wrap(b, _documents(url)[n]),
                    400,
                    "DOCTYPE",
                )
            )
        cases.append(
            Hostile(
                f"{binding}-deep-nesting",
                binding,
                lambda url, b=binding: _wrap(b, _documents(url)["deep-nesting"]),
                400,
                "nest",
            )
        )
        cases.append(
            Hostile(
                f"{binding}-invalid-utf8",
                binding,
                lambda url, b=binding: _wrap(b, _documents(url)["invalid-utf8"]),
                400,
                "not",
            )
        )
    for binding in ("ws", "ssek", "ssbtek", "shs", "rest"):
        says = "larger than"
        status = 400 if binding == "rest" else 413  # LEFI v9's contract has no 413
        cases.append(Hostile(f"{binding}-20mb-body", binding, lambda url, b=binding: _huge(b), status, says))
        cases.append(
            Hostile(f"{binding}-20mb-chunked", binding, lambda url, b=binding: _huge_chunked(b), status, says)
        )
        cases.append(
            Hostile(
                f"{binding}-1000-headers",
                binding,
                lambda url, b=binding: _many_headers(b),
                400,
                "cannot be read as HTTP",
            )
        )
    for binding in ("ws", "ssek", "ssbtek"):
        cases.append(
            Hostile(
                f"{binding}-soap12-as-text-xml",
                binding,
                lambda url, b=binding: _request(
                    PATHS[b], "text/xml; charset=utf-8", envelope(fraga_xml(), SOAP12)
                ),
                500,
                "application/soap+xml",
                code="soap:VersionMismatch",
            )
        )
        cases.append(
            Hostile(
                f"{binding}-soap11-as-soap-xml",
                binding,
                lambda url, b=binding: _request(
                    PATHS[b], "application/soap+xml; charset=utf-8", envelope(fraga_xml())
                ),
                500,
                "text/xml",
                code="soap:VersionMismatch",
            )
        )
        cases.append(
            Hostile(
                f"{binding}-wrong-media-type",
                binding,
                lambda url, b=binding: _request(PATHS[b], "application/json", envelope(fraga_xml())),
                415,
                "media type",
            )
        )
    cases += [
        Hostile(
            "shs-truncated-multipart",
            "shs",
            lambda url: _request(
                PATHS["shs"], SHS_TYPE, _multipart(SHS_LABEL, envelope(fraga_xml()), close=False)[:-40]
            ),
            400,
            "closing boundary",
        ),
        Hostile(
            "shs-no-boundary",
            "shs",
            lambda url: _request(PATHS["shs"], "multipart/mixed", _multipart(SHS_LABEL)),
            400,
            "boundary",
        ),
        Hostile(
            "rest-deep-nesting",
            "rest",
            lambda url: _request(REST_PATH, "application/json", b"[" * 10_000 + b"]" * 10_000),
            400,
            "nästlad",
        ),
        Hostile(
            "rest-invalid-utf8",
            "rest",
            lambda url: _request(REST_PATH, "application/json", b'{"personnummer": "19850610\xff\xfe2386"}'),
            400,
            "JSON",
        ),
        Hostile(
            "rest-wrong-media-type",
            "rest",
            lambda url: _request(REST_PATH, "text/xml", b'{"personnummer": "198506102386"}'),
            400,
            "application/json",
        ),
    ]
    return cases + _issue_17()


CORPUS = _corpus()


# -- the wire ------------------------------------------------------------------------------
def send(url: str, wire: Wire, timeout: float = 60, context: ssl.SSLContext | None = None) -> Reply:
    """Sends ``wire`` to the server at ``url`` and reads one HTTP answer."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    if parts.scheme == "https":
        sock = (context or ssl.create_default_context()).wrap_socket(sock, server_hostname=parts.hostname)
    streamer = None
    try:
        try:
            sock.sendall(wire.data)
            if wire.half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before it has all of it
        if wire.then is not None:
            streamer = threading.Thread(target=_stream, args=(sock, wire.then), daemon=True)
            streamer.start()
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        if streamer is not None:
            streamer.join(timeout=timeout)


def _stream(sock: socket.socket, then: Callable[[], Iterator[bytes]]) -> None:
    try:
        for chunk in then():
            sock.sendall(chunk)
    except OSError:
        pass  # the server has answered and closed: as it should


# -- another client ------------------------------------------------------------------------
class Prober:
    """Another client: asks /health and a WS question in turn, all the time, and keeps the
    longest wait (``worst``, what it asked: ``worst_at``). A question not answered 200 within
    ``timeout`` (a stall, a reset, a 5xx) is a failure, noted in ``failures``, and an
    endless wait: whoever ran the prober asserts on both, in its own thread."""

    def __init__(self, url: str, timeout: float = 2.0, pause: float = 0.005) -> None:
        self.url, self.timeout, self.pause = url, timeout, pause
        self.worst = 0.0
        self.worst_at = ""
        self.answered = 0
        self.failures: list[str] = []
        self.running = True
        self.thread = threading.Thread(target=self._probe, daemon=True)

    def __enter__(self) -> Prober:
        return self.start()

    def start(self) -> Prober:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> float:
        """Stops asking; the longest wait."""
        self.running = False
        self.thread.join(timeout=self.timeout * 3)
        return self.worst

    def _probe(self) -> None:
        session = requests.Session()
        question = envelope(fraga_xml())
        while self.running:
            for what in ("health", "ws"):
                start = time.perf_counter()
                try:
                    if what == "health":
                        r = session.get(self.url + "/health", timeout=self.timeout)
                    else:
                        r = session.post(
                            self.url + "/ws",
                            data=question,
                            headers={"Content-Type": "text/xml; charset=utf-8"},
                            timeout=self.timeout,
                        )
                    failure = "" if r.status_code == 200 else f"{what}: HTTP {r.status_code}"
                except Exception as exc:  # every kind: the thread must live to report it
                    failure = f"{what}: {type(exc).__name__}: {exc}"
                took = time.perf_counter() - start
                if failure:
                    self.failures.append(failure)
                    took = float("inf")
                else:
                    self.answered += 1
                if took > self.worst:
                    self.worst, self.worst_at = took, what
                time.sleep(self.pause)
