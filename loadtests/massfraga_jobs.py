"""A partner's massfråga job as the requests it takes, one at a time, for the load profiles.

``RestJob`` (the REST job resource): submit, poll the job's status until it is done, fetch
the answer pages, acknowledge. ``SsekJob`` (SSEK AsynchPull): submit, pull until the answers
are there (the pull acknowledges them). ``next_request`` is the request the job needs now;
``take`` reads its answer and moves the job on, or leaves it where it was (a refused
request is simply sent again). A finished job knows which persons got an answer.
Standard library only: Locust runs this where only Locust is installed.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import ClassVar

import lefi_requests
from lefi_requests import Request

__all__ = ["PAGE", "Job", "RestJob", "SsekJob", "new_job"]

PAGE = 100  # answers per page: jobs of 50-200 persons take one or two pages
_NS = "{" + lefi_requests.NS + "}"


@dataclass
class Job:
    binding: ClassVar[str]
    organisation: str
    persons: list[str]
    tx: str  # the binding's own id for the job (the SSEK TxId)
    answered: list[str] = field(default_factory=list)  # persons with an answer, in the answers' order
    done: bool = False
    step: str = "submit"

    def next_request(self) -> Request:
        raise NotImplementedError

    def take(self, status: int, body: bytes) -> str | None:
        """Moves the job on by the answer to ``next_request``; what is wrong with it, or None."""
        raise NotImplementedError

    def missing(self) -> str | None:
        """None when every person asked about got exactly one answer, in the question's order."""
        if self.answered == self.persons:
            return None
        lacking = len(set(self.persons) - set(self.answered))
        return f"{lacking} of {len(self.persons)} persons without an answer ({len(self.answered)} answers)"


@dataclass
class RestJob(Job):
    binding = "rest"
    location: str = ""
    page: str | None = None

    def next_request(self) -> Request:
        if self.step == "submit":
            return lefi_requests.massfraga_rest(self.organisation, self.persons)
        if self.step == "svar":
            return Request(self.page or "", method="GET")
        return Request(self.location, method="DELETE" if self.step == "kvittera" else "GET")

    def take(self, status: int, body: bytes) -> str | None:
        expected = 202 if self.step == "submit" else 200
        if status != expected:
            return f"{self.step}: HTTP {status}, expected {expected}: {body[:200]!r}"
        answer = json.loads(body)
        if self.step == "submit":
            self.location = f"{lefi_requests.massfraga_jobs(self.organisation)}/{answer['id']}"
            self.step = "status"
        elif self.step == "status" and answer["status"] == "klart":
            self.step, self.page = "svar", f"{self.location}/svar?fran=0&antal={PAGE}"
        elif self.step == "svar":
            # each answer is the person's own: 200 or a business error, never none
            self.answered += [a["personnummer"] for a in answer["svar"] if isinstance(a.get("status"), int)]
            self.page = answer["nasta"]
            self.step = "svar" if self.page else "kvittera"
        elif self.step == "kvittera":
            self.done = True
            return self.missing()
        return None


@dataclass
class SsekJob(Job):
    binding = "ssek"

    def next_request(self) -> Request:
        if self.step == "submit":
            return lefi_requests.massfraga_ssek(self.organisation, self.persons, self.tx)
        return lefi_requests.massfraga_ssek_pull(self.organisation, self.tx)

    def take(self, status: int, body: bytes) -> str | None:
        text = body.decode("utf-8", "replace")
        if self.step == "hamta" and status == 500 and "NoResultAvailable" in text:
            return None  # still being answered: pull again
        if status != 200:
            return f"{self.step}: HTTP {status}: {text[:200]!r}"
        reply = ET.fromstring(body).find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
        if self.step == "submit":
            if reply is None or reply.find(f"{_NS}FK.Massfraga.Kvittens") is None:
                return f"submit: no FK.Massfraga.Kvittens: {text[:200]!r}"
            self.step = "hamta"
            return None
        svar = None if reply is None else reply.find(f"{_NS}FK.Massfraga.Svar")
        if svar is None:
            return f"hamta: no FK.Massfraga.Svar: {text[:200]!r}"
        # one personsvar per person: FK.Online.Svar, TeknisktFel or Valideringsfel
        self.answered = [
            p.findtext(f"{_NS}personnummer", "") for p in svar.iterfind(f"{_NS}personsvar") if len(p) == 2
        ]
        self.done = True
        return self.missing()


JOBS = {job.binding: job for job in (RestJob, SsekJob)}


def new_job(binding: str, organisation: str, persons: list[str], tx: str) -> Job:
    if binding not in JOBS:
        raise ValueError(f"massfråga runs over {', '.join(JOBS)}, not {binding!r}")
    return JOBS[binding](organisation, persons, tx)
