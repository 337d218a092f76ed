"""Massfråga over SHS: an asynchronous SHS message with the massfråga product type, whose
data part is ``FK.Massfraga.Fraga`` (``schemas/lefi-massfraga.xsd``).

``POST /mt`` answers 202 once the question is stored (a resend of its tx.id is a duplicate,
``X-shs-duplicatemsg: yes``); when every person is answered, the reply (data part
``FK.Massfraga.Svar``, ``datapartType="svar"``) waits in the sender's outbox of the
delivery service, to be listed, fetched and acknowledged as any SHS reply. Acknowledging
it ends the job. The reply is kept in the durable outbox (with its acknowledgement); at
start every finished job's reply is put there once more, which changes nothing for one
already there (its tx.id is fixed by the job) and fills in one a crash cut short.
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import asdict

from aiohttp import web

from simulator.domain.errors import TechnicalError
from simulator.observability.exchange import exchange_of
from simulator.observability.outcome import Outcome
from simulator.protocols import ladder, lefi_xml
from simulator.protocols.ladder import Renderer
from simulator.protocols.multipart import Part
from simulator.protocols.shs_outbox import shs_time
from simulator.runtime.faults import InjectedFault
from simulator.runtime.sandbox import SANDBOX
from simulator.scenario.models import Channel, Organisation
from simulator.services.massfraga import jobs as massfraga
from simulator.services.massfraga.dialect import MASSFRAGA, question_template, render_answers
from simulator.services.online import shs
from simulator.stores.durable import is_outage

__all__ = ["MASSFRAGA_PRODUCT", "setup"]

log = logging.getLogger("simulator.massfraga")

# The product type of a massfråga. Invented for the sandbox, as the LEFI Online one is.
MASSFRAGA_PRODUCT = "6d3f0a52-8c1e-4f7b-9a2d-5b4e1c7f0a93"


def setup(app: web.Application) -> None:
    shs.register_product(app, MASSFRAGA_PRODUCT, shs.Product(Channel.MASSFRAGA, receive))
    massfraga.on_done(app, deliver)
    app[shs.DELIVERY].on_ack("massfraga", functools.partial(_acknowledged, app))
    app.on_startup.append(redeliver)


async def receive(
    request: web.Request, org: Organisation, label: shs.Label, parts: list[Part]
) -> web.Response:
    """Stores the question and answers 202, or raises ``ShsError``."""
    sandbox = request.app[SANDBOX]
    if label.transfer_type != "asynch":
        raise shs.ShsError(
            "IllegalMessageStructure",
            "A massfråga is sent with transfer-type asynch: its answers wait in the delivery service",
        )
    headers = {"X-shs-txid": label.tx_id, "X-shs-corrid": label.corr_id, "X-shs-contentid": label.content_id}
    earlier = await massfraga.job_reference(sandbox, org.orgnummer, "shs", label.tx_id)
    if earlier is not None:  # a resend: received once, answered once
        exchange_of(request).outcome = Outcome.replay(Outcome.ok())  # the receipt, given again
        job = await massfraga.job(sandbox, earlier["job"])
        arrived = job.received if job is not None else sandbox.clock.now().isoformat()
        return web.Response(
            status=202,
            text=label.tx_id,
            headers={**headers, "X-shs-arrivaldate": arrived[:19], "X-shs-duplicatemsg": "yes"},
        )
    try:
        await sandbox.identify(exchange_of(request), org.orgnummer)  # the fault rules, now
        fraga = shs.read_question(parts, label, MASSFRAGA)
        version, template, persons = question_template(fraga, sandbox, org)
    except (lefi_xml.QuestionInvalid, PermissionError, TechnicalError, InjectedFault) as exc:
        # answered by the SHS receive service's ladder as the ShsError this makes of it
        raise ladder.render_error(request, _AS_SHS_ERROR, exc, log) from None
    job = await massfraga.submit(
        sandbox,
        organisation=org.orgnummer,
        binding=massfraga.JobBinding.SHS,
        form=massfraga.JobForm.XML,
        question={"template": template},
        version=version,
        persons=persons,
        reference=label.tx_id,
        extra={"label": asdict(label)},
    )
    massfraga.wake(request.app)
    return web.Response(
        status=202, text=label.tx_id, headers={**headers, "X-shs-arrivaldate": shs_time(sandbox.clock.now())}
    )


class _AsShsError(Renderer[shs.ShsError]):
    """What can go wrong reading a massfråga, as the SHS error the receive service answers."""

    def specific(self, exc: Exception) -> shs.ShsError | None:
        if isinstance(exc, lefi_xml.QuestionInvalid):
            return shs.invalid_message(str(exc), exc.problems)
        if isinstance(exc, PermissionError):
            return shs.ShsError("UnknownSender", f"The sender is organisation {exc}")
        return None

    def technical(self, exc: TechnicalError) -> shs.ShsError:
        return shs.ShsError(
            "OtherError",
            f"TeknisktFel {exc.status.name}: {exc.detail or exc.status.text}",
            appinfo=[("TeknisktFel", exc.status.name)],
        )

    def injected(self, exc: InjectedFault) -> shs.ShsError:
        return shs.ShsError(
            "OtherError",
            f"Simulerat fel (regel {exc.rule.id}): {exc.reason}",
            appinfo=[("regel", exc.rule.id)],
        )

    def unexpected(self) -> shs.ShsError:
        return shs.ShsError("OtherError", "Oväntat fel i sandlådan; se serverns logg", 500)


_AS_SHS_ERROR = _AsShsError()


async def deliver(app: web.Application, job: massfraga.Job) -> None:
    """The reply of a finished SHS job into the sender's outbox."""
    if job.binding != "shs" or job.extra is None:
        return
    sandbox = app[SANDBOX]
    label = shs.Label(**{**job.extra["label"], "datapart_types": tuple(job.extra["label"]["datapart_types"])})
    tx_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"lefi-massfraga:{job.organisation}:{job.id}:{job.received}"))
    try:
        body = render_answers(job, await massfraga.answers(sandbox, job)).encode("utf-8")
    except massfraga.AnswersMissing as broken:
        # never a partial answer set passing for the whole: the partner gets an SHS error saying so
        log.warning("massfråga %s over SHS: %s", job.id, broken)
        message = shs.error_message(
            sandbox, shs.ShsError("OtherError", str(broken)), label, job.organisation, tx_id=tx_id
        )
    else:
        data = Part(
            "text/xml", b'<?xml version="1.0" encoding="UTF-8"?>\n' + body, "UTF-8", "massfraga-svar.xml"
        )
        message = shs.build_message(
            sandbox,
            job.organisation,
            label,
            "reply",
            label.product,
            label.content_id,
            data,
            shs.REPLY_PART,
            tx_id=tx_id,
        )
    await app[shs.DELIVERY].keep(message, on_ack=("massfraga", {"job": job.id}))


async def _acknowledged(app: web.Application, args: dict[str, object]) -> None:
    """The reply acknowledged: the job ends (already gone after a first acknowledgement: nothing)."""
    sandbox = app[SANDBOX]
    job = await massfraga.job(sandbox, int(str(args["job"])))
    if job is not None:
        await massfraga.acknowledge(sandbox, job)


async def redeliver(app: web.Application) -> None:
    """At start-up: the replies of finished jobs not yet acknowledged, into the outboxes again."""
    try:
        for job in await massfraga.jobs(app[SANDBOX]):
            if job.status is massfraga.JobStatus.KLART:
                await deliver(app, job)
    except Exception as exc:
        if not is_outage(exc):
            raise
        log.warning("massfråga over SHS: the durable store is unreachable (%s); replies not put back", exc)
