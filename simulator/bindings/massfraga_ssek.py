"""Massfråga over SSEK with AsynchPull (``schemas/lefi-massfraga.xsd``).

``POST /ssek/FK.EXA.Lefi.Massfraga`` with ``<ssek:SSEK AsynchMethod="AsynchPull">``:

- body ``FK.Massfraga.Fraga`` (persons, one period, one benefit list): the question is
  stored durably and acknowledged at once with ``FK.Massfraga.Kvittens`` (the SSEK header
  echoed, same TxId). A resend with the same TxId and question gets the same receipt.
- body ``FK.Massfraga.Hamta`` with the question's TxId pulls the answers: the SSEK fault
  ``NoResultAvailable`` while they are being made, then ``FK.Massfraga.Svar`` with one
  ``personsvar`` per person (``FK.Online.Svar``, or ``TeknisktFel``/``Valideringsfel``).
  ``kvittera`` true acknowledges them: they go, and a later pull is ``TxIdUnknown``.

Each request is one question on the SLA's massfråga channel.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from xml.sax.saxutils import escape

from aiohttp import web
from lxml import etree

from simulator import massfraga, orgnummer
from simulator.bindings import lefi_xml
from simulator.bindings.soap import (
    Problem,
    SoapVersion,
    check_must_understand,
    parse_envelope,
    render_envelope,
    soap_version_of,
)
from simulator.bindings.soap_http import read_soap_body, soap_expect, xml_response
from simulator.bindings.ssek import (
    SSEK_HEADER,
    SsekFault,
    accept_sender,
    error_response,
    read_header,
    reply_header,
    well_formed,
)
from simulator.bindings.ws import handle_get
from simulator.exchange import binding, exchange_of
from simulator.sandbox import SANDBOX, Sandbox
from simulator.scenario.models import Organisation
from simulator.schemas import SCHEMA_DIR
from simulator.versions import require_supported

__all__ = ["HAMTA", "MASSFRAGA", "PATH", "question_template", "render_answers", "setup"]

PATH = "/ssek/FK.EXA.Lefi.Massfraga"
NS = lefi_xml.NS
MASSFRAGA = f"{{{NS}}}FK.Massfraga.Fraga"
HAMTA = f"{{{NS}}}FK.Massfraga.Hamta"
PULL = "AsynchPull"


def setup(app: web.Application) -> None:
    app.router.add_post(PATH, handle, expect_handler=soap_expect)
    app.router.add_get(PATH, handle_get)


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "lefi-massfraga.xsd"), parser))


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def question_template(fraga: etree._Element, sandbox: Sandbox, sender: Organisation) -> tuple[int, str, list[str]]:
    """(version, an FK.Online.Fraga to fill in per person, the persons) of a massfråga.
    Raises ``QuestionInvalid`` for a message the schema rejects, ``TechnicalError`` for an
    unserved version and ``PermissionError`` for a question asking as another organisation."""
    if not schema().validate(fraga):
        raise lefi_xml.QuestionInvalid(0, [Problem(e.message, e.line or None, e.column or None)
                                           for e in schema().error_log])
    version = require_supported(lefi_xml.question_version(fraga), sandbox.clock.today())
    asker = (fraga.findtext(f"{_q('generelltfalt')}/{_q('organisationsnummer')}") or "").strip()
    if orgnummer.is_valid(asker) and orgnummer.canonical(asker) != sender.orgnummer:
        raise PermissionError(f"{sender.orgnummer} cannot ask as organisation {asker}")
    info = fraga.find(_q("informationsfalt"))
    assert info is not None  # the schema says so
    persons = [(el.text or "").strip() for el in info.iterfind(f"{_q('personer')}/{_q('personnummer')}")]
    template = etree.Element(lefi_xml.FRAGA, nsmap={"ext": NS})
    generellt = fraga.find(_q("generelltfalt"))
    assert generellt is not None
    template.append(generellt)
    person = etree.SubElement(etree.SubElement(template, _q("informationsfalt")), _q("person"))
    etree.SubElement(person, _q("personnummer"))
    for el in list(info):
        if el.tag != _q("personer"):
            person.append(el)
    return version, etree.tostring(template, encoding="unicode"), persons


def render_answers(job: massfraga.Job, answers: list[dict[str, str]]) -> str:
    """FK.Massfraga.Svar: every person's answer as the onlinefråga gave it."""
    parts = [(f'<ext:FK.Massfraga.Svar xmlns:ext="{NS}"><ext:jobbId>{job.id}</ext:jobbId>'
             f"<ext:antalPersoner>{len(job.persons)}</ext:antalPersoner><ext:mottaget>{job.received}</ext:mottaget>"
             f"<ext:klart>{job.finished}</ext:klart>")]
    for a in answers:
        parts.append(f"<ext:personsvar><ext:personnummer>{escape(a['personnummer'])}</ext:personnummer>"
                     f"{a['svar']}</ext:personsvar>")
    parts.append("</ext:FK.Massfraga.Svar>")
    return "".join(parts)


def _receipt(job: massfraga.Job) -> str:
    return (f'<ext:FK.Massfraga.Kvittens xmlns:ext="{NS}"><ext:jobbId>{job.id}</ext:jobbId>'
            f"<ext:antalPersoner>{len(job.persons)}</ext:antalPersoner>"
            f"<ext:mottaget>{job.received}</ext:mottaget></ext:FK.Massfraga.Kvittens>")


@binding("ssek")
async def handle(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    soap_version = soap_version_of(request.headers.get("Content-Type", "")) or SoapVersion.V11
    tx_id: str | None = None
    try:
        data = await read_soap_body(request)
        message = parse_envelope(data, request.headers.get("Content-Type", ""))
        soap_version = message.version
        check_must_understand(message, understood={SSEK_HEADER})
        header = read_header(message, asynch_methods=(PULL,))
        tx_id = header.tx_id if header.tx_id and well_formed(header.tx_id) else None
        exchange = exchange_of(request)
        exchange.channel = "massfraga"
        org, tx_id = await accept_sender(sandbox, exchange, header, faults=True)
        if header.asynch_method != PULL:
            raise SsekFault("AsynchMethodUnsupported", "A massfråga is asynchronous: send the SSEK header with "
                            f'AsynchMethod="{PULL}", then pull the answers with the same TxId', "SSEK/@AsynchMethod")
        body = message.body
        if body.tag == MASSFRAGA:
            reply = await _submit(request, sandbox, org, body, tx_id)
        elif body.tag == HAMTA:
            reply = await _pull(sandbox, org, body, tx_id)
        else:
            raise SsekFault("ContentInvalid", f"Unknown operation: the body holds {body.tag!r}, expected "
                            "FK.Massfraga.Fraga or FK.Massfraga.Hamta", "Body")
        return xml_response(200, render_envelope(soap_version, reply, [reply_header(header, tx_id, soap_version)]),
                            soap_version)
    except (ConnectionResetError, asyncio.CancelledError):
        raise
    except Exception as exc:  # noqa: BLE001 - error_response answers each kind, and logs the unexpected
        return error_response(request, exc, soap_version, tx_id)


async def _submit(request: web.Request, sandbox: Sandbox, org: Organisation, body: etree._Element,
                  tx_id: str) -> str:
    fingerprint = etree.tostring(body, method="c14n", exclusive=True).decode()
    earlier = await massfraga.job_reference(sandbox, org.orgnummer, "ssek", tx_id)
    if earlier is not None:
        if earlier.get("fingerprint") != fingerprint:
            raise SsekFault("TxIdInvalid", f"TxId {tx_id} was already used by this sender for another "
                            "massfråga; a resend must carry the same question", "SSEK/TxId")
        job = await massfraga.job(sandbox, earlier["job"])
        if job is None:
            raise SsekFault("TxIdInvalid", f"The massfråga of TxId {tx_id} is answered and acknowledged; "
                            "send a new question with a new TxId", "SSEK/TxId")
        return _receipt(job)
    try:
        version, template, persons = question_template(body, sandbox, org)
    except PermissionError as exc:
        raise SsekFault("SenderIdUnknown", f"SenderId is organisation {exc}",
                        "Body/FK.Massfraga.Fraga/generelltfalt/organisationsnummer") from None
    job = await massfraga.submit(sandbox, organisation=org.orgnummer, binding="ssek", form="xml",
                                 question={"template": template}, version=version, persons=persons,
                                 reference=tx_id, fingerprint=fingerprint)
    massfraga.wake(request.app)
    return _receipt(job)


async def _pull(sandbox: Sandbox, org: Organisation, body: etree._Element, tx_id: str) -> str:
    if not schema().validate(body):
        raise lefi_xml.QuestionInvalid(0, [Problem(e.message, e.line or None) for e in schema().error_log])
    earlier = await massfraga.job_reference(sandbox, org.orgnummer, "ssek", tx_id)
    job = None if earlier is None else await massfraga.job(sandbox, earlier["job"])
    if job is None:
        raise SsekFault("TxIdUnknown", f"No massfråga of this sender has TxId {tx_id}" + (
            " any more: its answers were acknowledged" if earlier is not None else ""), "SSEK/TxId")
    if job.status != "klart":
        raise SsekFault("NoResultAvailable", f"The massfråga of TxId {tx_id} is being answered: "
                        f"{job.answered} of {len(job.persons)} persons; pull again later", "SSEK/TxId")
    reply = render_answers(job, await massfraga.answers(sandbox, job))
    if (body.findtext(_q("kvittera")) or "").strip() in ("true", "1"):
        await massfraga.acknowledge(sandbox, job)
    return reply
