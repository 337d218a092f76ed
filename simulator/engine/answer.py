"""The engine's answer: plain data that each binding renders in its own format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from simulator.domain.errors import Verksamhetsfel
from simulator.scenario.models import (
    Address,
    Alderspension,
    Amount,
    Case,
    Civilstand,
    Levnadsintyg,
    Payment,
    PensionPoints,
    Prognos,
    Sgi,
)

__all__ = [
    "Answer",
    "BenefitSection",
    "CaseSection",
    "LevnadsintygSection",
    "Message",
    "PaymentSection",
    "PensionSection",
    "PersonAnswer",
    "Personuppgifter",
    "PrognosSection",
    "RelatedPerson",
    "SgiSection",
]


class Message:
    """``meddelande`` codes of a benefit section (our reconstruction, see docs/rules.md)."""

    FETCHED = 1  # the source answered; the section holds what exists in the period
    BEFORE_HISTORY_LIMIT = 2  # part of the period lies before the benefit's history limit


@dataclass(frozen=True, slots=True)
class RelatedPerson:
    personnummer: str
    birth_date: date
    relation: str  # "barn" or "samhorig"
    protected_identity: bool
    other_guardian: bool


@dataclass(frozen=True, slots=True)
class Personuppgifter:
    personnummer: str
    name: str  # aviseringsnamn, "Efternamn Förnamn"
    kommunkod: str | None  # withheld for protected identity
    protected_identity: bool
    deceased: date | None
    address: Address | None  # withheld for protected identity
    employer: str | None
    civilstand: Civilstand
    insured: bool
    related: tuple[RelatedPerson, ...]


@dataclass(frozen=True, slots=True)
class BenefitSection:
    benefit: str
    message: int


@dataclass(frozen=True, slots=True)
class CaseSection(BenefitSection):
    cases: tuple[Case, ...] = ()


@dataclass(frozen=True, slots=True)
class SgiSection(BenefitSection):
    decisions: tuple[Sgi, ...] = ()


@dataclass(frozen=True, slots=True)
class PensionSection(BenefitSection):
    points_message: int = Message.FETCHED  # pension points have a limit of their own
    points: tuple[PensionPoints, ...] = ()
    premiepension: tuple[Amount, ...] = ()
    alderspension: tuple[Alderspension, ...] = ()


@dataclass(frozen=True, slots=True)
class PrognosSection(BenefitSection):
    forecasts: tuple[Prognos, ...] = ()


@dataclass(frozen=True, slots=True)
class LevnadsintygSection(BenefitSection):
    certificates: tuple[Levnadsintyg, ...] = ()


@dataclass(frozen=True, slots=True)
class PaymentSection(BenefitSection):
    payments: tuple[Payment, ...] = ()


@dataclass(frozen=True, slots=True)
class PersonAnswer:
    personnummer: str
    personuppgifter: Personuppgifter | None  # None unless generellPersonInformation delivered
    delivered: tuple[str, ...]  # benefit keys asked for and allowed, catalogue order
    sections: tuple[BenefitSection, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    orgnummer: str
    created: datetime
    version: int
    status: Verksamhetsfel | None = None  # None: OK
    status_detail: str = ""
    reference: str | None = None
    person: PersonAnswer | None = None
    new_personnummer: str | None = None  # with NYTT_PERSONNUMMER, when there is one
    benefits_in_version: tuple[str, ...] = field(default=())  # for formansforteckning

    @property
    def status_code(self) -> int:
        return 0 if self.status is None else self.status.code

    @property
    def status_text(self) -> str:
        if self.status is None:
            return "OK"
        return self.status_detail or self.status.text
