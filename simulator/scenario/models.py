"""Typed models of a scenario file (YAML), validated with pydantic.

Field names are English where the idea is generic and Swedish where the Swedish word is
FK's term (sgi, pensionsprognos, levnadsintyg, kommunkod, civilstand). Cross-field
checks that need the catalogue or the identity rules live in ``checks.py``.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from simulator.domain import orgnummer
from simulator.domain.clock import MAX_YEAR, MIN_YEAR
from simulator.domain.errors import TeknisktFel

__all__ = [
    "Address",
    "Case",
    "CaseStatus",
    "Civilstand",
    "ClockSettings",
    "Levnadsintyg",
    "Organisation",
    "Payment",
    "PaymentDetail",
    "Pension",
    "Period",
    "Person",
    "Prognos",
    "Related",
    "Scenario",
    "Sgi",
    "Transport",
    "Amount",
    "Alderspension",
    "PensionPoints",
    "WebUser",
    "FaultRule",
    "FaultKind",
    "Latency",
    "Population",
    "TimelineEvent",
    "EventKind",
    "SlaSettings",
    "ChannelLimits",
    "Window",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _canonical_personnummer(value: object) -> object:
    """YYYYMMDD-NNNC → YYYYMMDDNNNC, so that the rest of the program sees one form
    (the number itself is checked in checks.py, with the file's line)."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{8}-[0-9]{4}", value.strip()):
        return value.strip().replace("-", "")
    return value


def _canonical_orgnummer(value: object) -> object:
    """Any accepted orgnummer form → its 10 digits (invalid ones are left for checks.py)."""
    return orgnummer.canonical(value) if isinstance(value, str) else value


Day = date
Pnr = Annotated[str, BeforeValidator(_canonical_personnummer)]
OptionalPnr = Annotated[str | None, BeforeValidator(_canonical_personnummer)]
Orgnr = Annotated[str, BeforeValidator(_canonical_orgnummer)]
OptionalOrgnr = Annotated[str | None, BeforeValidator(_canonical_orgnummer)]


class Transport(str, enum.Enum):
    WS = "ws"
    SSEK = "ssek"
    SHS = "shs"
    REST = "rest"
    SSBTEK = "ssbtek"
    WEB = "web"


class Binding(enum.StrEnum):
    """What served an exchange, as the journal, the metrics and fault rules name it: the
    onlinefråga's transports, and the file-based Prenumeration."""

    WS = "ws"
    SSEK = "ssek"
    SHS = "shs"
    REST = "rest"
    SSBTEK = "ssbtek"
    WEB = "web"
    PRENUMERATION = "prenumeration"


class Civilstand(str, enum.Enum):
    """Marital status; ``code`` is the number FK's answers carry."""

    OGIFT = "ogift"
    GIFT = "gift"
    SKILD = "skild"
    REGISTRERAD_PARTNER = "registrerad_partner"
    SKILD_PARTNER = "skild_partner"
    EFTERLEVANDE_PARTNER = "efterlevande_partner"
    ANKA_ANKEMAN = "anka_ankeman"

    @property
    def code(self) -> int:
        return _CIVILSTAND_CODES[self]

    @property
    def label(self) -> str:
        return _CIVILSTAND_LABELS[self]


_CIVILSTAND_CODES = {
    Civilstand.OGIFT: 0,
    Civilstand.GIFT: 1,
    Civilstand.SKILD: 2,
    Civilstand.REGISTRERAD_PARTNER: 3,
    Civilstand.SKILD_PARTNER: 4,
    Civilstand.EFTERLEVANDE_PARTNER: 5,
    Civilstand.ANKA_ANKEMAN: 7,
}
_CIVILSTAND_LABELS = {
    Civilstand.OGIFT: "Ogift",
    Civilstand.GIFT: "Gift",
    Civilstand.SKILD: "Skild",
    Civilstand.REGISTRERAD_PARTNER: "Registrerad partner",
    Civilstand.SKILD_PARTNER: "Skild partner",
    Civilstand.EFTERLEVANDE_PARTNER: "Efterlevande partner",
    Civilstand.ANKA_ANKEMAN: "Änka/Änkeman",
}


class CaseStatus(str, enum.Enum):
    """Case (ärende) status; ``code`` is FK's ``arendestatus`` number."""

    ANMALT = "anmalt"  # reported, not yet decided
    PAGAENDE = "pagaende"
    AVSLAG = "avslag"
    AVSLUTAT = "avslutat"

    @property
    def code(self) -> int:
        return {"anmalt": 0, "pagaende": 1, "avslag": 2, "avslutat": 9}[self.value]

    @property
    def label(self) -> str:
        return {"anmalt": "Anmält", "pagaende": "Pågående", "avslag": "Avslag", "avslutat": "Avslutat"}[
            self.value
        ]


class Address(_Model):
    street: str = Field(min_length=1, max_length=35)
    co: str | None = Field(default=None, max_length=35)
    postnummer: str = Field(pattern=r"^[1-9][0-9]{2} ?[0-9]{2}$")
    postort: str = Field(min_length=1, max_length=27)
    land: str = "Sverige"


class Related(_Model):
    """A child (barn) or another person in the household (samhörig person)."""

    personnummer: Pnr
    relation: Literal["barn", "samhorig"]
    other_guardian: bool = False  # annanVardnadshavare
    protected_identity: bool = False


class Period(_Model):
    from_: date = Field(alias="from")
    tom: date | None = None  # None: still running
    omfattning: int = Field(default=100, ge=0, le=100)  # percent of full benefit
    days: int | None = Field(default=None, ge=0)
    type: str | None = None  # e.g. åtgärdstyp, sjukpenningtyp of the period
    karens: bool | None = None
    monthly_amount: Decimal | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.tom is not None and self.tom < self.from_:
            raise ValueError(f"period ends ({self.tom}) before it starts ({self.from_})")
        return self


class Case(_Model):
    """An ärende: one benefit, a status, the dates it was reported and its periods."""

    id: str | None = Field(default=None, max_length=100)  # lets a timeline event name the case
    benefit: str
    status: CaseStatus
    reported: date | None = None  # anmälningsdatum
    type: str | None = None  # sjukpenningtyp (101 ...), ersättningsslag, ...
    child: OptionalPnr = None  # personnummer of the child the case is about
    periods: tuple[Period, ...] = ()
    days_used: int | None = Field(default=None, ge=0)  # uttagnaFPdagar
    days_used_guarantee: int | None = Field(default=None, ge=0)  # ... på garantinivå

    @property
    def start(self) -> date | None:
        dates = [d for d in [self.reported, *(p.from_ for p in self.periods)] if d]
        return min(dates) if dates else None

    @property
    def end(self) -> date | None:
        """The last day of the case, or None while it is still running."""
        if self.status in (CaseStatus.PAGAENDE, CaseStatus.ANMALT):
            return None
        ends = [p.tom for p in self.periods]
        if not ends:
            return self.start  # decided without periods (e.g. avslag): closed when reported
        if any(e is None for e in ends):
            return None
        return max(e for e in ends if e is not None)


class PaymentDetail(_Model):
    subcode: str | None = None  # delförmån; defaults to the benefit's
    amount_type: str | None = None  # beloppstyp
    from_: date = Field(alias="from")
    tom: date
    omfattning: int = Field(default=100, ge=0, le=100)
    hours: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)
    gross: Decimal
    deductions: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)


class Payment(_Model):
    """An utbetalning: gross, tax, deductions and net, with its detail lines."""

    benefit: str
    date: Day  # utbetalningsdatum (the field's name hides the type in this class: Day)
    from_: Day = Field(alias="from")
    tom: Day
    type: Literal["M", "E"] = "M"  # M = recurring (månadsvis), E = one-off (engång)
    gross: Decimal
    tax: Decimal = Decimal(0)
    deductions: Decimal = Decimal(0)
    net: Decimal
    details: tuple[PaymentDetail, ...] = ()

    @model_validator(mode="after")
    def _adds_up(self) -> Payment:
        if self.gross - self.tax - self.deductions != self.net:
            raise ValueError(
                f"net {self.net} is not gross {self.gross} - tax {self.tax} - deductions {self.deductions}"
            )
        if self.tom < self.from_:
            raise ValueError(f"payment period ends ({self.tom}) before it starts ({self.from_})")
        return self


class Sgi(_Model):
    """A decision on sjukpenninggrundande inkomst."""

    case_from: date  # arendeFrom
    decided_from: date  # beslutFrom
    type: int = 0  # sgiTyp: 0 = A- eller B-inkomst (vanligt SGI)
    income_a: Decimal = Decimal(0)
    income_b: Decimal = Decimal(0)
    karenstid: int | None = None  # days of waiting period (0 = ingen karens)
    work_days: int | None = None  # årsarbetstid dagar
    work_hours: int | None = None  # årsarbetstid timmar


class Prognos(_Model):
    year: int = Field(ge=1990, le=2100)  # utskicksår
    age: int = Field(ge=55, le=80)  # uttagsålder
    growth: int = 0  # assumed growth, percent
    amount: Decimal = Field(ge=0)  # monthly amount


class Amount(_Model):
    annual: Decimal = Field(ge=0)
    monthly: Decimal = Field(ge=0)
    from_: date = Field(alias="from")


class Alderspension(_Model):
    from_: date = Field(alias="from")
    share: int = Field(default=100, ge=0, le=100)  # pensionsandel, percent
    garantipension: Amount | None = None
    inkomstpension: Amount | None = None
    tillaggspension: Amount | None = None


class PensionPoints(_Model):
    year: int = Field(ge=1960, le=2100)  # intjänandeår
    points: Decimal = Field(ge=0)


class Pension(_Model):
    points: tuple[PensionPoints, ...] = ()
    premiepension: tuple[Amount, ...] = ()
    alderspension: tuple[Alderspension, ...] = ()


class Levnadsintyg(_Model):
    received: date
    valid_until: date | None = None
    country: str = "Sverige"


class Person(_Model):
    personnummer: Pnr
    first_name: str
    last_name: str
    address: Address | None = None
    kommunkod: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    civilstand: Civilstand = Civilstand.OGIFT
    protected_identity: bool = False
    employer: OptionalOrgnr = None
    insured: bool = True
    deceased: date | None = None
    related: tuple[Related, ...] = ()
    cases: tuple[Case, ...] = ()
    payments: tuple[Payment, ...] = ()
    sgi: tuple[Sgi, ...] = ()
    pension: Pension | None = None
    pensionsprognos: tuple[Prognos, ...] = ()
    levnadsintyg: tuple[Levnadsintyg, ...] = ()
    # behaviours
    missing: bool = False  # answer PERSON_SAKNAS_I_KUNDREGISTER although listed
    new_personnummer: OptionalPnr = None  # answer NYTT_PERSONNUMMER carrying this number
    duplicate_customer_id: bool = False  # answer NYTT_PERSONNUMMER (dubbla kundid)
    technical_error: TeknisktFel | None = None  # fail every query on this person

    @property
    def aviseringsnamn(self) -> str:
        return f"{self.last_name} {self.first_name}"


class WebUser(_Model):
    """A person registered in FK's behörighetssystem for an organisation (web login)."""

    personnummer: Pnr
    name: str


class SsekSenderId(_Model):
    """A SenderId an organisation's SSEK messages may carry, with its ``Type`` (SSEK IdType)."""

    id: str = Field(min_length=1, max_length=512)
    type: Literal["APP", "CN", "DN", "ORGNR"] = "CN"  # CN is SSEK's default Type


class ShsAgreement(_Model):
    """An SHS agreement (avtal) with FK for one product type (SHS 1.2 shs.agreement)."""

    id: str = Field(pattern=r"^[A-Za-z0-9._:-]{1,100}$")  # the label's shs.agreement (an NMTOKEN)
    product: str = Field(pattern=r"^[A-Za-z0-9._:-]{1,100}$")  # product type id, bare or urn:X-shs:<id>
    transfer_type: Literal["synch", "asynch", "any"] = "any"


class Organisation(_Model):
    orgnummer: Orgnr
    name: str
    type: str  # kommun, forsakringsbolag, kronofogden, statlig_myndighet, or a scenario's own
    transports: tuple[Transport, ...] = (Transport.WS,)
    agreement: tuple[str, ...] | Literal["all"] = ()  # benefit keys it may receive (BAD)
    authorised: bool = True  # registered for the service in BAD
    technical_error: TeknisktFel | None = None  # fail every query from this organisation
    users: tuple[WebUser, ...] = ()
    # SSEK: SenderIds besides Type ORGNR with the organisation's own orgnummer, which always works
    ssek_sender_ids: tuple[SsekSenderId, ...] = ()
    shs_agreements: tuple[ShsAgreement, ...] = ()  # SHS product types it may send to FK
    # LEFI v9's aktorsId (REST path, SSBTEK's aktorsid): an id FK hands out per aktör, e.g.
    # a UUID or "026-51"; None: the orgnummer (10 digits) serves as its aktorsId
    aktorsid: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._~:-]+$")
    # LEFI Prenumeration agreement: may order subscriptions (file drop and HTTP; over SHS
    # too when an shs_agreement names the Prenumeration product)
    prenumeration: bool = False

    @property
    def aktors_id(self) -> str:
        return self.aktorsid or self.orgnummer


class FaultKind(str, enum.Enum):
    """What a fault rule does to a matching request (SPEC §5, behaviours)."""

    TECHNICAL_ERROR = "technical_error"  # a named tekniskt fel, in the binding's format
    SOAP_FAULT = "soap_fault"  # a SOAP Fault with the rule's code and reason (500 elsewhere)
    HTTP_STATUS = "http_status"  # an HTTP error status with a short text body
    RESET = "reset"  # the connection is reset (TCP RST), no answer
    TRUNCATED = "truncated"  # the answer stops half-way and the connection closes
    MALFORMED = "malformed"  # a complete HTTP answer whose body does not parse
    NO_ANSWER = "no_answer"  # nothing until the client gives up (bounded), then close
    LATENCY = "latency"  # the normal answer, later


class LogNormal(_Model):
    median: float = Field(gt=0, le=300)  # seconds
    sigma: float = Field(ge=0, le=5)
    max: float = Field(default=60, gt=0, le=300)  # a cap, so one draw cannot hang a test run


class Latency(_Model):
    """Seconds of added latency: exactly one of fixed, uniform [min, max], lognormal."""

    fixed: float | None = Field(default=None, ge=0, le=300)
    uniform: tuple[Annotated[float, Field(ge=0, le=300)], Annotated[float, Field(ge=0, le=300)]] | None = None
    lognormal: LogNormal | None = None

    @model_validator(mode="after")
    def _one(self) -> Latency:
        given = [k for k in ("fixed", "uniform", "lognormal") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of fixed, uniform, lognormal")
        if self.uniform is not None and self.uniform[0] > self.uniform[1]:
            raise ValueError("uniform: write [min, max] with min <= max")
        return self


class FaultRule(_Model):
    """A behaviour applied to matching requests of any binding (simulator/runtime/faults.py).

    Every match field left out matches anything; ``path`` may end in ``*``.
    """

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    kind: FaultKind
    organisation: OptionalOrgnr = None
    binding: Literal["ws", "ssek", "shs", "rest", "ssbtek", "web"] | None = None
    path: str | None = Field(default=None, min_length=1, max_length=300)
    personnummer: OptionalPnr = None
    benefit: str | None = None
    probability: float = Field(default=1.0, ge=0, le=1)
    times: int | None = Field(default=None, ge=1)  # only the first N matching requests
    technical_error: TeknisktFel | None = None
    fault_code: Literal["Client", "Server", "Sender", "Receiver"] = "Server"
    fault_reason: str = Field(default="Simulated fault", min_length=1, max_length=1000)
    status: int = Field(default=503, ge=400, le=599)
    seconds: float = Field(default=30, gt=0, le=300)  # how long no_answer holds the connection
    latency: Latency | None = None

    @model_validator(mode="after")
    def _complete(self) -> FaultRule:
        if self.kind is FaultKind.TECHNICAL_ERROR and self.technical_error is None:
            raise ValueError("kind technical_error needs technical_error: <TeknisktFel name>")
        if self.kind is FaultKind.LATENCY and self.latency is None:
            raise ValueError("kind latency needs latency: {fixed|uniform|lognormal}")
        return self


class Population(_Model):
    """A generated population (simulator/scenario/population.py): ``count`` persons made
    deterministically from ``seed`` — the same people on any day it runs."""

    count: int = Field(ge=1, le=10_000_000)
    seed: int = 0
    # where the personnummer come from: generated by the project, or a CSV of
    # Skatteverket's test numbers (header Testpersonnummer, one 12-digit number a line),
    # relative to the scenario file
    numbers: Literal["generated"] | str = "generated"
    samordningsnummer_share: float = Field(default=0.02, ge=0, le=1)  # of generated numbers
    as_of: date | None = None  # dates are laid out around this day; default: clock.start's day


class EventKind(str, enum.Enum):
    """What happens to a person on a day of the timeline (simulator/scenario/timeline.py)."""

    CASE_STARTS = "case_starts"  # case: the new case
    CASE_ENDS = "case_ends"  # benefit (and case_id): the running case closes on the day
    PAYMENT = "payment"  # payment: paid on the day
    NEW_PERSONNUMMER = "new_personnummer"  # new_personnummer: from the day, the old one answers code 4
    DIES = "dies"
    MOVES = "moves"  # address and/or kommunkod
    PROTECTED_IDENTITY = "protected_identity"  # protected: true (default) or false


class TimelineEvent(_Model):
    """One dated change. Before its day the simulator answers as if it had not happened."""

    date: Day
    personnummer: Pnr
    event: EventKind
    case: Case | None = None
    benefit: str | None = None
    case_id: str | None = None
    status: CaseStatus = CaseStatus.AVSLUTAT  # what case_ends leaves the case as
    payment: Payment | None = None
    new_personnummer: OptionalPnr = None
    address: Address | None = None
    kommunkod: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    protected: bool = True

    @model_validator(mode="after")
    def _complete(self) -> TimelineEvent:
        needs = {
            EventKind.CASE_STARTS: "case",
            EventKind.CASE_ENDS: "benefit",
            EventKind.PAYMENT: "payment",
            EventKind.NEW_PERSONNUMMER: "new_personnummer",
        }
        field_name = needs.get(self.event)
        if field_name is not None and getattr(self, field_name) is None:
            raise ValueError(f"event {self.event.value} needs {field_name}")
        if self.event is EventKind.MOVES and self.address is None and self.kommunkod is None:
            raise ValueError("event moves needs address and/or kommunkod")
        if self.payment is not None and self.payment.date != self.date:
            raise ValueError(f"the payment's date {self.payment.date} is not the event's date {self.date}")
        return self


class ChannelLimits(_Model):
    """FK's traffic model for one channel (SLA §3.4); fields left out keep the SLA's value."""

    per_second: int | None = Field(default=None, ge=1)
    per_minute: int | None = Field(default=None, ge=1)
    per_hour: int | None = Field(default=None, ge=1)
    min_gap_ms: int | None = Field(default=None, ge=0)  # from an answer to the next question
    max_in_flight: int | None = Field(default=None, ge=1)


_WINDOW_END = r"^(mon|tue|wed|thu|fri|sat|sun) ([01][0-9]|2[0-3]):[0-5][0-9]$"


class Window(_Model):
    """A weekly closed window, e.g. from "sat 16:00" to "sun 13:00" (may wrap the week)."""

    from_: str = Field(alias="from", pattern=_WINDOW_END)
    to: str = Field(pattern=_WINDOW_END)


class SlaMode(enum.StrEnum):
    """What the SLA gate does with a question over the limits or outside opening hours."""

    REJECT = "reject"  # refused, in the binding's own format
    RECORD = "record"  # served; the breach is recorded
    OFF = "off"  # no gate


class SlaProfile(enum.StrEnum):
    """Whose opening hours: the SLA's, or the classic LEFI Online description's."""

    SLA = "sla"
    CLASSIC = "classic"


class Channel(enum.StrEnum):
    """The SLA's channels, each with its own limits and opening hours."""

    ONLINE = "online"  # onlinefråga, over every binding
    MASSFRAGA = "massfraga"


class SlaSettings(_Model):
    """The SLA gate (simulator/runtime/sla/): limits per organisation and channel, opening hours."""

    mode: SlaMode = SlaMode.REJECT
    profile: SlaProfile = SlaProfile.SLA
    # the sla profile's service window; [] for none
    service_windows: tuple[Window, ...] = (Window.model_validate({"from": "sat 16:00", "to": "sun 13:00"}),)
    urgent_windows: bool = False  # sla profile: also closed weekdays 00:00-06:00
    limits: dict[Channel, ChannelLimits] = {}
    organisations: dict[Orgnr, dict[Channel, ChannelLimits]] = {}


class ClockSettings(_Model):
    start: datetime | None = None  # None: real time
    frozen: bool = False

    @model_validator(mode="after")
    def _in_range(self) -> ClockSettings:
        if self.start is not None and not MIN_YEAR <= self.start.year <= MAX_YEAR:
            raise ValueError(f"start: the clock keeps to the years {MIN_YEAR}-{MAX_YEAR}")
        return self


class Scenario(_Model):
    name: str
    description: str = ""
    clock: ClockSettings = ClockSettings()
    org_type_filters: dict[str, tuple[str, ...]] = {}  # adds to or replaces the defaults
    organisations: tuple[Organisation, ...] = ()
    persons: tuple[Person, ...] = ()
    faults: tuple[FaultRule, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()
    sla: SlaSettings = SlaSettings()
    population: Population | None = None
