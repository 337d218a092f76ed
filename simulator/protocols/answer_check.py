"""The answer check (``serve --check-answers``, a developer and QA option, off by default):
every XML answer the server sends is validated against the schemas it publishes.

A response middleware reads each XML body (SOAP, plain XML, and the XML parts of SHS's
multipart messages), finds the outermost elements a published XSD declares (``FK.Online.Svar``,
``FK.Massfraga.Svar``, ``TeknisktFel``, LEKA's and SSBTEK's answers, ...) and validates each
against that XSD. An onlinefråga answer is checked against the XSD of its version, which the
question names (``versionsnummer``; the answer does not): a version 5 answer against
``lefi-online-v5.xsd``. Without a question that names one (a massfråga's answers, pulled
later), the newest version's XSD, which admits every served version's answer. A failure is counted (``lefi_answer_check_failures`` in /metrics, the
``answer_check`` field of /health) and logged with its problems under ``ANSWER CHECK FAILED``;
the answer itself goes out unchanged. The test suite runs every server with it and fails on
any failure. Off, the middleware is not installed: it costs nothing.
"""

from __future__ import annotations

import copy
import email.policy
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.parser import BytesParser
from functools import cache

from aiohttp import web
from lxml import etree
from prometheus_client import CollectorRegistry, Counter

from simulator.domain.schemas import SCHEMA_DIR
from simulator.domain.versions import CURRENT

__all__ = ["ANSWER_CHECK", "AnswerCheck", "LOG_MARK", "Question", "answer_check_middleware"]

log = logging.getLogger("simulator.answer_check")

LOG_MARK = "ANSWER CHECK FAILED"
XS = "http://www.w3.org/2001/XMLSchema"
NS = "http://schema.forsakringskassan.se/externa_intressenter"
ONLINE_SCHEMA = "lefi-online-v{}.xsd"  # the onlinefråga's XSD of a version
# The other published XSDs whose global elements are checked. The onlinefråga's, of the
# answer's version, comes first: where two declare an element, the first wins.
SCHEMA_FILES = (
    "lefi-massfraga.xsd",
    "prenumeration-svar-2.0.4.xsd",
    "leka.xsd",
    "ssbtek-v10.xsd",
)
PROBLEMS_KEPT = 20  # for the pytest plugin's report; the log has every one
_XML_TYPES = frozenset({"text/xml", "application/xml", "application/soap+xml"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@cache
def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / name), _PARSER))


def _declared(name: str) -> list[str]:
    """The global elements of ``schemas/<name>`` and of the files it includes, as {ns}name."""
    doc = etree.parse(str(SCHEMA_DIR / name), _PARSER).getroot()
    ns = doc.get("targetNamespace")
    names = [f"{{{ns}}}{el.get('name')}" for el in doc.iterchildren(f"{{{XS}}}element")]
    for inc in doc.iterchildren(f"{{{XS}}}include"):
        names += _declared(inc.get("schemaLocation", ""))
    return names


@cache
def _elements(version: int) -> dict[str, str]:
    """Which XSD checks each element, for an answer to a question of ``version``."""
    table: dict[str, str] = {}
    for name in (ONLINE_SCHEMA.format(version), *SCHEMA_FILES):
        for tag in _declared(name):
            table.setdefault(tag, name)
    return table


def _version(question: list[bytes]) -> int:
    """The version an answer to ``question`` (the request's XML documents) is of: its
    ``versionsnummer`` when the sandbox has that version's XSD, else the newest."""
    for document in question:
        try:
            root = etree.fromstring(document, _PARSER)
        except etree.XMLSyntaxError:
            continue
        for el in root.iter(f"{{{NS}}}versionsnummer"):
            text = (el.text or "").strip()
            if text.isdigit() and (SCHEMA_DIR / ONLINE_SCHEMA.format(int(text))).is_file():
                return int(text)
    return CURRENT


@dataclass(frozen=True, slots=True)
class Question:
    """The request an answer is checked for: its Content-Type and body."""

    content_type: str
    body: bytes


class AnswerCheck:
    """The check's state: how many answers failed it."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.failures = 0
        self.checked = 0
        self.problems: list[str] = []  # the first PROBLEMS_KEPT failures, as logged
        self._counter = Counter(
            "lefi_answer_check_failures",
            "XML answers that did not validate against the published XSD (serve --check-answers)",
            ["schema"],
            registry=registry,
        )

    def check(self, content_type: str, body: bytes, where: str, question: Question | None = None) -> None:
        """Validate the answer ``body`` to ``question``; count and log each element that fails."""
        documents = _xml_documents(content_type, body)
        if not any(b"FK.Online.Svar" in document for document in documents):
            version = CURRENT  # no onlinefråga answer: the version picks nothing
        else:
            version = _version(_xml_documents(question.content_type, question.body) if question else [])
        for document in documents:
            try:
                root = etree.fromstring(document, _PARSER)
            except etree.XMLSyntaxError:
                continue  # not XML we wrote (an injected malformed answer is the point of its rule)
            self._visit(root, where, _elements(version))

    def _visit(self, el: etree._Element, where: str, elements: dict[str, str]) -> None:
        schema_name = elements.get(el.tag) if isinstance(el.tag, str) else None
        if schema_name is None:
            for child in el:
                self._visit(child, where, elements)
            return
        self.checked += 1
        schema = _schema(schema_name)
        if not schema.validate(etree.ElementTree(copy.deepcopy(el))):
            self.failures += 1
            self._counter.labels(schema_name).inc()
            problems = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5])
            text = (
                f"{LOG_MARK}: {etree.QName(el).localname} in the answer to {where} "
                f"does not validate against {schema_name}: {problems}"
            )
            log.error("%s", text)
            if len(self.problems) < PROBLEMS_KEPT:
                self.problems.append(text)


def _xml_documents(content_type: str, body: bytes) -> list[bytes]:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _XML_TYPES:
        return [body]
    if not media.startswith("multipart/"):
        return []
    message = BytesParser(policy=email.policy.compat32).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    documents = []
    for part in message.walk():
        if part.get_content_type() in _XML_TYPES:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                documents.append(payload)
    return documents


async def _question(request: web.Request) -> Question | None:
    """The request's body as the handler read it; None when it was not read to its end."""
    if not request.body_exists or not request.content.is_eof() or request.content.exception():
        return None
    try:
        body = await request.read()  # what the handler read, kept by aiohttp
    except web.HTTPException:
        return None
    return Question(request.headers.get("Content-Type", ""), body)


ANSWER_CHECK = web.AppKey("answer_check", AnswerCheck)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def answer_check_middleware(
    check: AnswerCheck,
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            check.check(
                response.headers.get("Content-Type", ""),
                response.body,
                f"{request.method} {request.path}",
                # an onlinefråga answer: the handler read the question whole, aiohttp kept it
                await _question(request) if b"FK.Online.Svar" in response.body else None,
            )
        return response

    return middleware
