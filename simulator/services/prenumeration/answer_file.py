"""What one batch delivers to one organisation, and the answer file (beställningssvar
2.0.4, schemas/prenumeration-svar-2.0.4.xsd) and error file that carry it.

A person's record is either a full delivery (the engine's answer from each benefit's
ordered from-date: FORSTA, HELUPPDATERING) or the changes since the last delivery, one
``andring`` per event of the scenario timeline. Benefit content is written by the LEFI
Online XML writers, so a benefit reads the same in an answer file as in an onlinefråga.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lxml import etree

from simulator.domain.errors import TechnicalError
from simulator.domain.personnummer import Personnummer
from simulator.engine.answer import (
    Answer,
    BenefitSection,
    CaseSection,
    Message,
    PaymentSection,
    Personuppgifter,
)
from simulator.engine.engine import Engine
from simulator.engine.visibility import PERSONAL as PERSON_INFO
from simulator.engine.visibility import UTBETALNING, visible
from simulator.protocols import lefi_xml
from simulator.protocols.xmlwriter import XmlWriter
from simulator.scenario.models import EventKind, Organisation, TimelineEvent
from simulator.scenario.store import ScenarioStore
from simulator.services.prenumeration.orders import NS, VERSION, Problem, file_name, printable

__all__ = [
    "AnswerFileWriter",
    "Change",
    "Counts",
    "DeliveryKind",
    "PersonRecord",
    "changes_for",
    "render_answer_file",
    "render_error_file",
    "SVAR",
    "FEL",
]

SVAR = f"{{{NS}}}FK.Prenumeration.Bestallningssvar"
FEL = f"{{{NS}}}FK.Prenumeration.Bestallningsfel"
_HANDELSE = {
    EventKind.CASE_STARTS: "ARENDE_STARTAR",
    EventKind.CASE_ENDS: "ARENDE_AVSLUTAS",
    EventKind.PAYMENT: "UTBETALNING",
    EventKind.NEW_PERSONNUMMER: "NYTT_PERSONNUMMER",
    EventKind.DIES: "AVLIDEN",
    EventKind.MOVES: "FLYTTNING",
    EventKind.PROTECTED_IDENTITY: "SKYDDAD_IDENTITET",
}


@dataclass(frozen=True)
class Change:
    """One timeline event as the subscriber may see it."""

    day: date
    handelse: str
    benefit: str | None = None
    new_personnummer: str | None = None
    personuppgifter: Personuppgifter | None = None
    section: BenefitSection | None = None


class DeliveryKind(enum.StrEnum):
    """A person record's ``leveranstyp``."""

    FORSTA = "FORSTA"  # the first delivery: in full
    HELUPPDATERING = "HELUPPDATERING"  # in full again, as ordered
    ANDRING = "ANDRING"  # the changes since the last delivery


@dataclass(frozen=True)
class PersonRecord:
    personnummer: str
    kind: DeliveryKind
    answer: Answer | None = None  # a full delivery
    technical: TechnicalError | None = None  # a full delivery FK could not make (retried next batch)
    changes: tuple[Change, ...] = ()


def changes_for(
    engine: Engine,
    store: ScenarioStore,
    org: Organisation,
    allowed: frozenset[str],
    subscribed: Iterable[str],
    events: Iterable[TimelineEvent],
) -> tuple[Change, ...]:
    """The changes a subscriber to ``subscribed`` receives: the events it may see
    (``simulator/engine/visibility.py``), each with what the file says of it."""
    wanted = frozenset(subscribed) & allowed
    out: list[Change] = []
    for e in events:
        if not visible(e, allowed, wanted):
            continue
        handelse = _HANDELSE[e.event]
        person = store.person(Personnummer(e.personnummer), e.date)
        details = None
        if PERSON_INFO in wanted and person is not None:
            details = engine.personuppgifter(org, person, e.date)
        if e.event is EventKind.CASE_STARTS and e.case is not None:
            out.append(
                Change(
                    e.date,
                    handelse,
                    e.case.benefit,
                    section=CaseSection(e.case.benefit, Message.FETCHED, (e.case,)),
                )
            )
        elif e.event is EventKind.CASE_ENDS and e.benefit is not None and person is not None:
            cases = tuple(
                c
                for c in person.cases
                if c.benefit == e.benefit
                and c.status == e.status
                and c.end == e.date
                and (e.case_id is None or c.id == e.case_id)
            )
            out.append(
                Change(e.date, handelse, e.benefit, section=CaseSection(e.benefit, Message.FETCHED, cases))
            )
        elif e.event is EventKind.PAYMENT and e.payment is not None:
            out.append(
                Change(
                    e.date,
                    handelse,
                    UTBETALNING,
                    section=PaymentSection(UTBETALNING, Message.FETCHED, (e.payment,)),
                )
            )
        elif e.event in (EventKind.NEW_PERSONNUMMER, EventKind.DIES):
            out.append(Change(e.date, handelse, new_personnummer=e.new_personnummer, personuppgifter=details))
        elif e.event in (EventKind.MOVES, EventKind.PROTECTED_IDENTITY) and details is not None:
            out.append(Change(e.date, handelse, personuppgifter=details))
    return tuple(out)


@dataclass
class Counts:
    """The counts of an answer file's end record (``slutpost``), kept with its delivery."""

    records: int = 0  # antalPoster
    benefits: int = 0  # antalFormaner
    changes: int = 0  # antalAndringar

    def to_document(self) -> dict[str, int]:
        return {"antalPoster": self.records, "antalFormaner": self.benefits, "antalAndringar": self.changes}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Counts:
        return cls(doc["antalPoster"], doc["antalFormaner"], doc["antalAndringar"])


class AnswerFileWriter:
    """An answer file written record by record: a large batch renders each person as it is
    answered, so that it keeps text, not ten thousand answers, until the file is done. Each
    record's text is joined at once: a list of millions of small parts made every garbage
    collection of the batch slow."""

    def __init__(self, orgnummer: str, number: int, created: datetime, upto: date) -> None:
        self.counts = Counts()
        w = XmlWriter("ext")
        w.raw(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ext:FK.Prenumeration.Bestallningssvar xmlns:ext="{NS}" '
            f'version="{VERSION}">'
        )
        with w.element("startpost"):
            w.leaf("organisationsnummer", orgnummer)
            w.leaf("leveransnummer", number)
            w.leaf("skapades", created.isoformat(timespec="seconds"))
            w.leaf("avserTom", upto)
        self._chunks = [w.getvalue()]

    def add(self, r: PersonRecord) -> None:
        self.counts.records += 1
        self.counts.changes += len(r.changes)
        w = XmlWriter("ext")
        with w.element("person"):
            _person_record(w, r, self.counts)
        self._chunks.append(w.getvalue())

    def finish(self) -> tuple[str, Counts]:
        """The file's text and the counts of its end record."""
        w = XmlWriter("ext")
        with w.element("slutpost"):
            for name, value in self.counts.to_document().items():
                w.leaf(name, value)
        w.raw("</ext:FK.Prenumeration.Bestallningssvar>\n")
        self._chunks.append(w.getvalue())
        return "".join(self._chunks), self.counts


def render_answer_file(
    orgnummer: str, number: int, created: datetime, upto: date, records: Iterable[PersonRecord]
) -> tuple[str, Counts]:
    """The file's text and the counts of its end record."""
    writer = AnswerFileWriter(orgnummer, number, created, upto)
    for r in records:
        writer.add(r)
    return writer.finish()


def _person_record(w: XmlWriter, r: PersonRecord, counts: Counts) -> None:
    w.leaf("personnummer", r.personnummer)
    w.leaf("leveranstyp", r.kind.value)
    answer = r.answer
    with w.element("status"):
        if r.technical is not None:
            w.leaf("kod", -1)
            w.leaf("beskrivning", r.technical.detail or r.technical.status.text)
            w.leaf("teknisktFel", r.technical.status.name)
        else:
            w.leaf("kod", answer.status_code if answer else 0)
            w.leaf("beskrivning", answer.status_text if answer else "OK")
    if answer is not None:
        w.opt("nyttPersonnummer", answer.new_personnummer)
        if answer.person is not None:
            counts.benefits += len(answer.person.delivered)
            lefi_xml.write_person(w, answer.person, answer.benefits_in_version)
    for c in r.changes:
        with w.element("andring"):
            w.leaf("datum", c.day)
            w.leaf("handelse", c.handelse)
            w.opt("forman", c.benefit)
            w.opt("nyttPersonnummer", c.new_personnummer)
            if c.personuppgifter is not None:
                lefi_xml.write_personuppgifter(w, c.personuppgifter)
            if c.section is not None:
                lefi_xml.write_sections(w, (c.section,))


def render_error_file(filename: str, received: datetime, problems: list[Problem]) -> str:
    root = etree.Element(FEL, nsmap={"ext": NS}, version=VERSION)
    etree.SubElement(root, f"{{{NS}}}fil").text = file_name(filename)
    etree.SubElement(root, f"{{{NS}}}mottagen").text = received.isoformat(timespec="seconds")
    for p in problems[:100]:
        fel = etree.SubElement(root, f"{{{NS}}}fel")
        if p.line:
            etree.SubElement(fel, f"{{{NS}}}rad").text = str(p.line)
        etree.SubElement(fel, f"{{{NS}}}meddelande").text = printable(p.message)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")
