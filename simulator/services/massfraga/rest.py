"""Massfråga as a REST job resource, for tools (the project's own design; OpenAPI in
``schemas/massfraga-openapi.yaml``).

``POST /massfraga/v1/aktorer/{aktorsId}/jobb`` takes the v9 question with a list of
personnummer (``{"personnummer": [...], "period": ..., "formansinformation": [...]}``) and
answers 202 with the job and its ``Location``; ``GET .../jobb/{id}`` tells its status;
``GET .../jobb/{id}/svar?fran=0&antal=500`` gives the answers, one per person in the
request's order, each the HTTP status and body the v9 onlinefråga gives that person;
``DELETE .../jobb/{id}`` acknowledges the answers (the job goes). ``GET .../jobb`` lists the
aktör's jobs. Errors are ``LefiFelsvar``, as in v9.

Every request is one question on the SLA's massfråga channel (its own limits and
opening hours): the submission, and each status or answer fetch and the acknowledgement.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from aiohttp import web

from simulator.domain.errors import BusinessError
from simulator.domain.schemas import SCHEMA_DIR
from simulator.domain.versions import newest_supported
from simulator.observability.exchange import binding, exchange_of
from simulator.protocols import lefi_json
from simulator.protocols.http_body import expect_handler
from simulator.protocols.lefi_json import LefiReply, felsvar
from simulator.runtime.sandbox import SANDBOX, Sandbox
from simulator.scenario.models import Binding, Channel, Organisation, Transport
from simulator.services.massfraga import jobs as massfraga
from simulator.services.online.rest_v9 import (
    Refused,
    aktor,
    json_response,
    read_json,
    respond,
)

__all__ = ["BASE", "PAGE_MAX", "setup"]

BASE = "/massfraga/v1"
OPENAPI_FILE = "massfraga-openapi.yaml"
PAGE_DEFAULT = 500
PAGE_MAX = 1000
# a well-formed number that only checks the rest of the question; each person's own is checked on its own
_PLACEHOLDER = "191212121212"


def setup(app: web.Application) -> None:
    jobs = BASE + "/aktorer/{aktorsId}/jobb"
    app.router.add_post(
        jobs,
        handle_submit,
        expect_handler=expect_handler(
            lambda request, exc: json_response(
                felsvar(400, f"Frågan kan inte läsas: {exc.reason}", request.app[SANDBOX].clock.now())
            )
        ),
    )
    app.router.add_get(jobs, handle_list)
    app.router.add_get(jobs + "/{id}", handle_status)
    app.router.add_delete(jobs + "/{id}", handle_acknowledge)
    app.router.add_get(jobs + "/{id}/svar", handle_answers)
    app.router.add_get(BASE + "/openapi.yaml", handle_openapi)


async def _asker(request: web.Request, sandbox: Sandbox, now: datetime) -> Organisation:
    """The aktör, past the SLA gate of the massfråga channel and the fault rules."""
    exchange = exchange_of(request)
    exchange.channel = Channel.MASSFRAGA
    org = await aktor(request, sandbox, now)
    await sandbox.identify(exchange, org.orgnummer)
    try:
        sandbox.engine.allowed_benefits(org.orgnummer, Transport.REST)
    except BusinessError as exc:  # 12, 13: the whole request fails, as v9 fails it
        reply = lefi_json.business_reply(exc.status, exc.detail, now)
        assert reply is not None
        raise Refused(reply) from None
    return org


def parse_submission(data: bytes, now: datetime) -> tuple[list[str], dict[str, Any]]:
    """(the persons, the v9 question without personnummer), or Refused with a 400."""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Refused(felsvar(400, "Frågan är inte JSON", now)) from None
    try:  # JSON may escape a lone surrogate (\ud800), which is no text: refused here, not stored
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(
            felsvar(
                400,
                "Felaktig fråga: texten innehåller ett ensamt surrogattecken "
                "(\\ud800–\\udfff), som inte är Unicode-text",
                now,
            )
        ) from None
    if not isinstance(body, dict):
        raise Refused(felsvar(400, "Felaktig fråga: ett JSON-objekt väntas", now))
    persons = body.pop("personnummer", None)
    if not isinstance(persons, list) or not persons or not all(isinstance(p, str) for p in persons):
        raise Refused(
            felsvar(
                400, "Felaktig fråga: personnummer ska vara en lista med minst ett personnummer (text)", now
            )
        )
    if len(persons) > massfraga.MAX_PERSONS:
        raise Refused(
            felsvar(
                400,
                f"Felaktig fråga: {len(persons)} personer; en massfråga har högst {massfraga.MAX_PERSONS}",
                now,
            )
        )
    try:  # the shared part (period, codes) is checked once; each number is checked as its person is answered
        lefi_json.parse_question(lefi_json.dumps({**body, "personnummer": _PLACEHOLDER}))
    except lefi_json.FragaInvalid as exc:
        raise Refused(felsvar(400, str(exc), now)) from None
    return persons, body


@binding(Binding.REST)
async def handle_submit(request: web.Request) -> web.Response:
    async def work(sandbox: Sandbox, now: datetime) -> LefiReply:
        org = await _asker(request, sandbox, now)
        persons, question = parse_submission(await read_json(request, now), now)
        job = await massfraga.submit(
            sandbox,
            organisation=org.orgnummer,
            binding=massfraga.JobBinding.REST,
            form=massfraga.JobForm.JSON,
            question=question,
            version=newest_supported(sandbox.clock.today()),
            persons=persons,
        )
        massfraga.wake(request.app)
        location = f"{BASE}/aktorer/{request.match_info['aktorsId']}/jobb/{job.id}"
        return LefiReply(202, _status(job, location), {"Location": location})

    return await respond(request, work)


def _status(job: massfraga.Job, location: str) -> dict[str, Any]:
    summary = job.summary()
    del summary["organisation"], summary["binding"]
    return {**summary, "svar": f"{location}/svar" if job.status is massfraga.JobStatus.KLART else None}


async def _job(request: web.Request, sandbox: Sandbox, org: Organisation, now: datetime) -> massfraga.Job:
    text = request.match_info["id"]
    job = await massfraga.job(sandbox, int(text)) if re.fullmatch(r"[0-9]{1,12}", text) else None
    if job is None or job.organisation != org.orgnummer or job.binding != "rest":
        raise Refused(felsvar(404, "Inget sådant jobb för aktören (kvitterade jobb finns inte kvar)", now))
    return job


@binding(Binding.REST)
async def handle_list(request: web.Request) -> web.Response:
    async def work(sandbox: Sandbox, now: datetime) -> LefiReply:
        org = await _asker(request, sandbox, now)
        base = f"{BASE}/aktorer/{request.match_info['aktorsId']}/jobb"
        found = [
            j for j in await massfraga.jobs(sandbox, org.orgnummer) if j.binding is massfraga.JobBinding.REST
        ]
        return LefiReply(200, {"jobb": [_status(j, f"{base}/{j.id}") for j in found]})

    return await respond(request, work)


@binding(Binding.REST)
async def handle_status(request: web.Request) -> web.Response:
    async def work(sandbox: Sandbox, now: datetime) -> LefiReply:
        org = await _asker(request, sandbox, now)
        job = await _job(request, sandbox, org, now)
        return LefiReply(200, _status(job, request.path))

    return await respond(request, work)


def _number(request: web.Request, name: str, default: int, low: int, high: int, now: datetime) -> int:
    text = request.query.get(name, str(default))
    if not re.fullmatch(r"[0-9]{1,7}", text) or not low <= int(text) <= high:
        raise Refused(felsvar(400, f"{name} ska vara ett heltal {low}–{high}", now))
    return int(text)


@binding(Binding.REST)
async def handle_answers(request: web.Request) -> web.Response:
    async def work(sandbox: Sandbox, now: datetime) -> LefiReply:
        org = await _asker(request, sandbox, now)
        job = await _job(request, sandbox, org, now)
        start = _number(request, "fran", 0, 0, massfraga.MAX_PERSONS, now)
        count = _number(request, "antal", PAGE_DEFAULT, 1, PAGE_MAX, now)
        if job.status is not massfraga.JobStatus.KLART:
            return LefiReply(
                409,
                felsvar(
                    409, f"Jobbet är inte klart: {job.answered} av {len(job.persons)} personer besvarade", now
                ).body,
                {"Retry-After": "1"},
            )
        try:
            page = await massfraga.answers(sandbox, job, start, count)
        except massfraga.AnswersMissing as exc:  # a broken job is the server's fault, never a short page
            raise Refused(felsvar(500, str(exc), now)) from None
        following = start + len(page)
        return LefiReply(
            200,
            {
                "id": job.id,
                "fran": start,
                "antal": len(page),
                "totalt": len(job.persons),
                "svar": page,
                "nasta": (
                    f"{request.path}?fran={following}&antal={count}" if following < len(job.persons) else None
                ),
            },
        )

    return await respond(request, work)


@binding(Binding.REST)
async def handle_acknowledge(request: web.Request) -> web.Response:
    async def work(sandbox: Sandbox, now: datetime) -> LefiReply:
        org = await _asker(request, sandbox, now)
        job = await _job(request, sandbox, org, now)
        if job.status is not massfraga.JobStatus.KLART:
            raise Refused(felsvar(409, "Jobbet är inte klart; kvittera svaren när de är hämtade", now))
        await massfraga.acknowledge(sandbox, job)
        return LefiReply(200, _status(job, request.path))

    return await respond(request, work)


async def handle_openapi(request: web.Request) -> web.Response:
    return web.Response(
        body=(SCHEMA_DIR / OPENAPI_FILE).read_bytes(), content_type="application/yaml", charset="utf-8"
    )
