"""The answer check (``serve --check-answers``, a developer and QA option, off by default):
every XML answer the server sends is validated against the schemas it publishes.

A response middleware reads each XML body (SOAP, plain XML, and the XML parts of SHS's
multipart messages), finds the outermost elements a published XSD declares (``FK.Online.Svar``,
``FK.Massfraga.Svar``, ``TeknisktFel``, LEKA's and SSBTEK's answers, ...) and validates each
against that XSD. A failure is counted (``lefi_answer_check_failures`` in /metrics, the
``answer_check`` field of /health) and logged with its problems under ``ANSWER CHECK FAILED``;
the answer itself goes out unchanged. The test suite runs every server with it and fails on
any failure. Off, the middleware is not installed: it costs nothing.
"""

from __future__ import annotations

import copy
import email.policy
import logging
from collections.abc import Awaitable, Callable
from email.parser import BytesParser
from functools import cache

from aiohttp import web
from lxml import etree
from prometheus_client import CollectorRegistry, Counter

from simulator.domain.schemas import SCHEMA_DIR

__all__ = ["ANSWER_CHECK", "AnswerCheck", "LOG_MARK", "answer_check_middleware"]

log = logging.getLogger("simulator.answer_check")

LOG_MARK = "ANSWER CHECK FAILED"
XS = "http://www.w3.org/2001/XMLSchema"
# The published XSDs whose global elements are checked; where two declare an element, the
# first wins (the newest onlinefråga version's answer admits every served version's answer).
SCHEMA_FILES = (
    "lefi-online-v6.xsd",
    "lefi-massfraga.xsd",
    "prenumeration-svar-2.0.4.xsd",
    "leka.xsd",
    "ssbtek-v10.xsd",
)
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
def _elements() -> dict[str, str]:
    table: dict[str, str] = {}
    for name in SCHEMA_FILES:
        for tag in _declared(name):
            table.setdefault(tag, name)
    return table


class AnswerCheck:
    """The check's state: how many answers failed it."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.failures = 0
        self.checked = 0
        self._counter = Counter(
            "lefi_answer_check_failures",
            "XML answers that did not validate against the published XSD (serve --check-answers)",
            ["schema"],
            registry=registry,
        )

    def check(self, content_type: str, body: bytes, where: str) -> None:
        """Validate the answer ``body``; count and log each element that fails."""
        for document in _xml_documents(content_type, body):
            try:
                root = etree.fromstring(document, _PARSER)
            except etree.XMLSyntaxError:
                continue  # not XML we wrote (an injected malformed answer is the point of its rule)
            self._visit(root, where)

    def _visit(self, el: etree._Element, where: str) -> None:
        schema_name = _elements().get(el.tag) if isinstance(el.tag, str) else None
        if schema_name is None:
            for child in el:
                self._visit(child, where)
            return
        self.checked += 1
        schema = _schema(schema_name)
        if not schema.validate(etree.ElementTree(copy.deepcopy(el))):
            self.failures += 1
            self._counter.labels(schema_name).inc()
            problems = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5])
            log.error(
                "%s: %s in the answer to %s does not validate against %s: %s",
                LOG_MARK,
                etree.QName(el).localname,
                where,
                schema_name,
                problems,
            )


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
                response.headers.get("Content-Type", ""), response.body, f"{request.method} {request.path}"
            )
        return response

    return middleware
