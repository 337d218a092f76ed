"""Massfråga over SSEK with AsynchPull (``schemas/lefi-massfraga.xsd``).

``POST /ssek/FK.EXA.Lefi.Massfraga`` with ``<ssek:SSEK AsynchMethod="AsynchPull">``:

- body ``FK.Massfraga.Fraga`` (persons, one period, one benefit list): the question is
  stored durably and acknowledged at once with ``FK.Massfraga.Kvittens`` (the SSEK header
  echoed, same TxId). A resend with the same TxId and question gets the same receipt,
  journaled as ``replay:ok`` (the job was submitted once), as over SHS.
- body ``FK.Massfraga.Hamta`` with the question's TxId pulls the answers: the SSEK fault
  ``NoResultAvailable`` while they are being made, then ``FK.Massfraga.Svar`` with one
  ``personsvar`` per person (``FK.Online.Svar``, or ``TeknisktFel``/``Valideringsfel``).
  ``kvittera`` true acknowledges them: they go, and a later pull is ``TxIdUnknown``. A
  partner should pull first without ``kvittera`` and acknowledge in a second pull: an
  acknowledging pull whose response is lost has lost the answers with it.

Each request is one question on the SLA's massfråga channel. ``GET <path>?wsdl`` serves
``schemas/lefi-massfraga.wsdl`` (operations StallMassfraga and HamtaMassfragesvar) with this
address.
"""

from __future__ import annotations

from aiohttp import web
from lxml import etree

from simulator.domain.errors import TechnicalError, TeknisktFel
from simulator.observability.exchange import binding, exchange_of
from simulator.observability.outcome import Outcome
from simulator.protocols import lefi_xml
from simulator.protocols.soap import Problem, SoapMessage
from simulator.protocols.soap_http import soap_expect, wsdl_response
from simulator.runtime.sandbox import SANDBOX, Sandbox
from simulator.scenario.models import Binding, Channel, Organisation
from simulator.services.massfraga import jobs as massfraga
from simulator.services.massfraga.dialect import (
    HAMTA,
    MASSFRAGA,
    NS,
    SCHEMA_FILE,
    question_template,
    receipt,
    render_answers,
    schema,
)
from simulator.services.online.ssek import SsekFault, serve

__all__ = ["PATH", "setup"]

PATH = "/ssek/FK.EXA.Lefi.Massfraga"
PULL = "AsynchPull"


def setup(app: web.Application) -> None:
    app.router.add_post(PATH, handle, expect_handler=soap_expect)
    app.router.add_get(PATH, handle_wsdl)


async def handle_wsdl(request: web.Request) -> web.Response:
    return wsdl_response(request, "lefi-massfraga.wsdl", SCHEMA_FILE)


@binding(Binding.SSEK)
async def handle(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]

    async def work(message: SoapMessage, org: Organisation, tx_id: str) -> str:
        body = message.body
        if body.tag == MASSFRAGA:
            return await _submit(request, sandbox, org, body, tx_id)
        if body.tag == HAMTA:
            return await _pull(sandbox, org, body, tx_id)
        raise SsekFault(
            "ContentInvalid",
            f"Unknown operation: the body holds {body.tag!r}, expected "
            "FK.Massfraga.Fraga or FK.Massfraga.Hamta",
            "Body",
        )

    return await serve(request, work, asynch_methods=(PULL,), channel=Channel.MASSFRAGA)


async def _submit(
    request: web.Request, sandbox: Sandbox, org: Organisation, body: etree._Element, tx_id: str
) -> str:
    fingerprint = etree.tostring(body, method="c14n", exclusive=True).decode()
    earlier = await massfraga.job_reference(sandbox, org.orgnummer, "ssek", tx_id)
    if earlier is not None:
        if earlier.get("fingerprint") != fingerprint:
            raise SsekFault(
                "TxIdInvalid",
                f"TxId {tx_id} was already used by this sender for another "
                "massfråga; a resend must carry the same question",
                "SSEK/TxId",
            )
        job = await massfraga.job(sandbox, earlier["job"])
        if job is None:
            raise SsekFault(
                "TxIdInvalid",
                f"The massfråga of TxId {tx_id} is answered and acknowledged; "
                "send a new question with a new TxId",
                "SSEK/TxId",
            )
        exchange_of(request).outcome = Outcome.replay(Outcome.ok())  # the receipt, given again
        return receipt(job)
    try:
        version, template, persons = question_template(body, sandbox, org)
    except PermissionError as exc:
        raise SsekFault(
            "SenderIdUnknown",
            f"SenderId is organisation {exc}",
            "Body/FK.Massfraga.Fraga/generelltfalt/organisationsnummer",
        ) from None
    job = await massfraga.submit(
        sandbox,
        organisation=org.orgnummer,
        binding=massfraga.JobBinding.SSEK,
        form=massfraga.JobForm.XML,
        question={"template": template},
        version=version,
        persons=persons,
        reference=tx_id,
        fingerprint=fingerprint,
    )
    massfraga.wake(request.app)
    return receipt(job)


async def _pull(sandbox: Sandbox, org: Organisation, body: etree._Element, tx_id: str) -> str:
    if not schema().validate(body):
        raise lefi_xml.QuestionInvalid(
            0, [Problem(e.message, e.line or None) for e in schema().error_log], against=SCHEMA_FILE
        )
    earlier = await massfraga.job_reference(sandbox, org.orgnummer, "ssek", tx_id)
    job = None if earlier is None else await massfraga.job(sandbox, earlier["job"])
    if job is None:
        raise SsekFault(
            "TxIdUnknown",
            f"No massfråga of this sender has TxId {tx_id}"
            + (" any more: its answers were acknowledged" if earlier is not None else ""),
            "SSEK/TxId",
        )
    if job.status is not massfraga.JobStatus.KLART:
        raise SsekFault(
            "NoResultAvailable",
            f"The massfråga of TxId {tx_id} is being answered: "
            f"{job.answered} of {len(job.persons)} persons; pull again later",
            "SSEK/TxId",
        )
    try:
        reply = render_answers(job, await massfraga.answers(sandbox, job))
    except massfraga.AnswersMissing as exc:  # a broken job is the server's fault, never a short answer
        raise TechnicalError(TeknisktFel.TEKNISKT_FEL, str(exc)) from None
    if (body.findtext(f"{{{NS}}}kvittera") or "").strip() in ("true", "1"):
        await massfraga.acknowledge(sandbox, job)
    return reply
