"""Massfråga: one request naming many persons (same period and benefits), answered person
by person in the background and fetched later (SPEC §2.2).

A job is written to the durable store before it is acknowledged; a background task (one
per store: it takes a lease) answers its persons in chunks, each chunk written together
with the job's progress, so that a killed server resumes where the last chunk ended and
answers no person twice. Every person's answer comes from the engine, exactly as the
onlinefråga of the same binding family would give it: v9 JSON (the REST job resource) or
``FK.Online.Svar`` (SSEK AsynchPull, SHS asynch).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from lxml import etree

from simulator.domain.errors import TechnicalError
from simulator.protocols import lefi_json, lefi_xml
from simulator.runtime.sandbox import SANDBOX, Sandbox
from simulator.scenario.models import Transport
from simulator.stores.background import Lease, repeat, task_context
from simulator.stores.durable import Delete, Put

__all__ = [
    "ANSWERS",
    "AnswersMissing",
    "on_done",
    "JOBS",
    "MAX_PERSONS",
    "WAKE",
    "Job",
    "JobBinding",
    "JobForm",
    "JobStatus",
    "acknowledge",
    "answers",
    "job",
    "job_reference",
    "jobs",
    "submit",
    "wake",
    "worker",
]

log = logging.getLogger("simulator.massfraga")

JOBS = "massfraga.job"
ANSWERS = "massfraga.svar"
BY_REFERENCE = "massfraga.ref"  # (organisation, the binding's own id: SSEK TxId, SHS tx.id) → job
KINDS = (JOBS, ANSWERS, BY_REFERENCE)  # what the admin API's reset forgets
MAX_PERSONS = 10_000
CHUNK = 50  # persons answered between two looks at the event loop, and at least between two durable writes
# a job's document grows with its persons, and each write rewrites it: a big job writes its
# progress in bigger steps, about this many times in all (10,000 persons: every 500)
WRITES_PER_JOB = 20
LEASE = "massfraga-worker"
LEASE_SECONDS = 5.0  # a killed worker's jobs wait at most this long for another
IDLE_SECONDS = 0.5  # how often an idle worker looks for work (a submission wakes it at once)

WAKE = web.AppKey("massfraga_wake", asyncio.Event)


class AnswersMissing(Exception):
    """A finished job lacks answers (lost from the store): the job is broken, and a partial
    answer set must never pass for the whole."""

    def __init__(self, j: Job, missing: list[int]) -> None:
        super().__init__(
            f"Massfrågan {j.id} är trasig: svaren på {len(missing)} av {len(j.persons)} personer "
            f"saknas (den första: person {missing[0] + 1}); ställ frågan igen"
        )
        self.job, self.missing = j, missing


class JobBinding(enum.StrEnum):
    """Who asked for the job, and so how its answers are fetched."""

    REST = "rest"
    SSEK = "ssek"
    SHS = "shs"


class JobForm(enum.StrEnum):
    """The form of each person's answer."""

    JSON = "json"  # v9: per person {status, svar}
    XML = "xml"  # FK.Online.Svar per person


class JobStatus(enum.StrEnum):
    MOTTAGET = "mottaget"  # written, not yet begun
    BEARBETAS = "bearbetas"  # persons being answered
    KLART = "klart"  # every person answered


@dataclass
class Job:
    id: int
    organisation: str
    binding: JobBinding
    form: JobForm
    question: dict[str, Any]  # json: the v9 question without personnummer; xml: {"template": FK.Online.Fraga}
    version: int
    persons: list[str]
    status: JobStatus
    answered: int
    received: str  # simulator clock, ISO
    finished: str | None = None
    reference: str | None = None  # the binding's own id for the job (SSEK TxId, SHS tx.id)
    acknowledged: bool = False
    extra: dict[str, Any] | None = None  # what the binding needs to deliver the answers (SHS label)

    @property
    def key(self) -> str:
        return f"{self.id:010d}"

    def doc(self) -> dict[str, Any]:
        """The job as the durable store keeps it (plain JSON values)."""
        doc = dict(self.__dict__)
        doc.update(binding=self.binding.value, form=self.form.value, status=self.status.value)
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Job:
        return cls(
            **{
                **doc,
                "binding": JobBinding(doc["binding"]),
                "form": JobForm(doc["form"]),
                "status": JobStatus(doc["status"]),
            }
        )

    def summary(self) -> dict[str, Any]:
        """What the admin API and the REST resource show of a job."""
        return {
            "id": self.id,
            "organisation": self.organisation,
            "binding": self.binding.value,
            "status": self.status.value,
            "antalPersoner": len(self.persons),
            "besvarade": self.answered,
            "mottaget": self.received,
            "klart": self.finished,
            "kvitterat": self.acknowledged,
        }


def _answer_key(job_id: int, index: int) -> str:
    return f"{job_id:010d}:{index:06d}"


async def submit(
    sandbox: Sandbox,
    *,
    organisation: str,
    binding: JobBinding,
    form: JobForm,
    question: dict[str, Any],
    version: int,
    persons: list[str],
    reference: str | None = None,
    fingerprint: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Job:
    """Writes a new job durably (and its reference, in the same write) and returns it."""
    job_id = await sandbox.durable.next_id(JOBS)
    new = Job(
        id=job_id,
        organisation=organisation,
        binding=binding,
        form=form,
        question=question,
        version=version,
        persons=persons,
        status=JobStatus.MOTTAGET,
        answered=0,
        received=sandbox.clock.now().isoformat(timespec="seconds"),
        reference=reference,
        extra=extra,
    )
    changes: list[Put | Delete] = [Put(JOBS, new.key, new.doc())]
    if reference is not None:
        changes.append(
            Put(
                BY_REFERENCE,
                f"{organisation}:{binding}:{reference}",
                {"job": job_id, "fingerprint": fingerprint},
            )
        )
    await sandbox.durable.write(changes)
    return new


async def job(sandbox: Sandbox, job_id: int) -> Job | None:
    doc = await sandbox.durable.get(JOBS, f"{job_id:010d}")
    return None if doc is None else Job.from_doc(doc)


async def job_reference(
    sandbox: Sandbox, organisation: str, binding: str, reference: str
) -> dict[str, Any] | None:
    """``{"job": id, "fingerprint": ...}`` of the job the binding's own id named, if any
    (kept after the job is acknowledged: a resend is known for what it is)."""
    return await sandbox.durable.get(BY_REFERENCE, f"{organisation}:{binding}:{reference}")


async def jobs(sandbox: Sandbox, organisation: str | None = None) -> list[Job]:
    found = [Job.from_doc(doc) for _, doc in await sandbox.durable.all(JOBS)]
    return [j for j in found if organisation is None or j.organisation == organisation]


async def answers(sandbox: Sandbox, j: Job, start: int = 0, count: int | None = None) -> list[dict[str, Any]]:
    """The answers of ``j`` from person ``start``, at most ``count``, in the request's order."""
    end = len(j.persons) if count is None else min(len(j.persons), start + count)
    docs = await sandbox.durable.get_many(ANSWERS, [_answer_key(j.id, i) for i in range(start, end)])
    missing = [start + i for i, doc in enumerate(docs) if doc is None]
    if missing:
        raise AnswersMissing(j, missing)
    return [doc for doc in docs if doc is not None]


async def acknowledge(sandbox: Sandbox, j: Job) -> None:
    """The asker has its answers: the job and its answers go (its reference stays, so a
    resend of the same question is still known as answered)."""
    j.acknowledged = True
    changes: list[Put | Delete] = [Delete(JOBS, j.key)]
    changes += [Delete(ANSWERS, _answer_key(j.id, i)) for i in range(len(j.persons))]
    await sandbox.durable.write(changes)


# -- answering one person, as the onlinefråga would ---------------------------------------
def answer_json(
    sandbox: Sandbox, organisation: str, question: dict[str, Any], version: int, personnummer: str
) -> dict[str, Any]:
    """The v9 REST answer for one person: the HTTP status and body the onlinefråga gives."""
    now = sandbox.clock.now()
    try:
        fraga = lefi_json.parse_question(lefi_json.dumps({**question, "personnummer": personnummer}))
    except lefi_json.FragaInvalid as exc:
        reply = lefi_json.felsvar(400, str(exc), now)
    else:
        query = lefi_json.to_query(fraga, organisation, Transport.REST, version)
        try:
            reply = lefi_json.render_answer(sandbox.engine.answer(query), fraga)
        except TechnicalError as exc:
            reply = lefi_json.technical_answer(sandbox, organisation, fraga, Transport.REST, exc)
    return {"personnummer": personnummer, "status": reply.status, "svar": reply.body}


def answer_xml(
    sandbox: Sandbox, template: str, version: int, transport: Transport, personnummer: str
) -> dict[str, Any]:
    """``FK.Online.Svar`` for one person (or its ``TeknisktFel`` / ``Valideringsfel``), as
    text: the template question with this person's number, checked and answered as an
    onlinefråga of ``version``."""
    fraga = etree.fromstring(template)
    pnr_el = fraga.find(
        f"{{{lefi_xml.NS}}}informationsfalt/{{{lefi_xml.NS}}}person/{{{lefi_xml.NS}}}personnummer"
    )
    assert pnr_el is not None  # the template is made by the binding
    pnr_el.text = personnummer
    try:
        lefi_xml.validate_question(fraga, version)
        query = lefi_xml.parse_question(fraga, version, transport)
        answer = sandbox.engine.answer(query)
    except lefi_xml.QuestionInvalid as exc:
        return {
            "personnummer": personnummer,
            "kod": "Valideringsfel",
            "svar": etree.tostring(lefi_xml.validation_detail(exc.problems), encoding="unicode"),
        }
    except TechnicalError as exc:
        return {
            "personnummer": personnummer,
            "kod": exc.status.name,
            "svar": etree.tostring(lefi_xml.technical_error_detail(exc), encoding="unicode"),
        }
    return {"personnummer": personnummer, "kod": answer.status_code, "svar": lefi_xml.render_answer(answer)}


def _answer_one(sandbox: Sandbox, j: Job, personnummer: str) -> dict[str, Any]:
    if j.form is JobForm.JSON:
        return answer_json(sandbox, j.organisation, j.question, j.version, personnummer)
    return answer_xml(sandbox, j.question["template"], j.version, Transport(j.binding), personnummer)


# -- the background worker ----------------------------------------------------------------
DoneHook = Callable[[web.Application, Job], Awaitable[None]]
DONE_HOOKS = web.AppKey("massfraga_done_hooks", list)  # a binding that delivers answers itself (SHS)


def on_done(app: web.Application, hook: DoneHook) -> None:
    """``hook`` is awaited with every job the worker finishes."""
    app[DONE_HOOKS] = [*app.get(DONE_HOOKS, []), hook]


async def process(app: web.Application, j: Job, still_holder: Any) -> None:
    """Answers the rest of ``j``'s persons, a chunk per durable write."""
    sandbox = app[SANDBOX]
    stored = await sandbox.durable.get(JOBS, j.key)  # the job as this worker last read or wrote it
    if stored is None or stored["status"] == JobStatus.KLART:
        return  # acknowledged, or forgotten by the admin API's reset; or finished by another worker
    j = Job.from_doc(stored)
    step = max(CHUNK, len(j.persons) // WRITES_PER_JOB)
    while j.answered < len(j.persons):
        if not await still_holder():
            return  # another worker took over (this one stalled past its lease)
        start = j.answered
        chunk = j.persons[start : start + step]
        changes: list[Put | Delete] = []
        for i, pnr in enumerate(chunk):
            if i and i % CHUNK == 0:
                await asyncio.sleep(0)  # keep serving questions while a big step is answered
            changes.append(Put(ANSWERS, _answer_key(j.id, start + i), _answer_one(sandbox, j, pnr)))
        j.answered = start + len(chunk)
        j.status = JobStatus.BEARBETAS
        if j.answered == len(j.persons):
            j.status, j.finished = JobStatus.KLART, sandbox.clock.now().isoformat(timespec="seconds")
        changes.append(Put(JOBS, j.key, j.doc()))
        # only onto the job as it was: one acknowledged or forgotten by the admin API's reset
        # meanwhile stays gone (no job comes back half answered)
        if not await sandbox.durable.write_if(JOBS, j.key, stored, changes):
            return
        stored = j.doc()
        await asyncio.sleep(0)  # keep serving questions between chunks
    for hook in app.get(DONE_HOOKS, []):
        await hook(app, j)


async def _run(app: web.Application) -> None:
    sandbox = app[SANDBOX]
    lease = Lease(sandbox.durable, LEASE, LEASE_SECONDS)
    event = app[WAKE]

    async def wait() -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), IDLE_SECONDS)
        event.clear()

    async def step() -> None:
        if await lease.held():
            for j in await jobs(sandbox):
                if j.status is not JobStatus.KLART:
                    await process(app, j, lease.held)

    await repeat("massfråga worker", wait, step)


# the background worker, from start-up (resuming jobs left unfinished by a crash) to shutdown
_worker_context = task_context(_run)


def worker(app: web.Application) -> Callable[[web.Application], AsyncIterator[None]]:
    """The background worker's cleanup context, for the registry; its wake-up event is put
    on ``app`` now, while it may still be changed (aiohttp deprecates changing a started app:
    partners running with warnings as errors would fail)."""
    app[WAKE] = asyncio.Event()
    return _worker_context


def wake(app: web.Application) -> None:
    event = app.get(WAKE)
    if event is not None:
        event.set()
