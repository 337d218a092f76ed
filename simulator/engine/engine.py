"""The rules of LEFI Online's onlinefråga (SPEC §2), in FK's order of processing.

``Engine.answer`` takes a ``Query`` and returns an ``Answer`` (OK or a business error)
or raises ``TechnicalError``. Nothing here knows about XML, JSON or HTTP.
"""

from __future__ import annotations

from datetime import date
from typing import Callable, Sequence, TypeVar

from simulator import benefits as catalogue
from simulator.benefits import Benefit, Shape
from simulator.clock import Clock
from simulator.engine.answer import (
    Answer, BenefitSection, CaseSection, LevnadsintygSection, Message, PaymentSection,
    PensionSection, PersonAnswer, Personuppgifter, PrognosSection, RelatedPerson, SgiSection,
)
from simulator.engine.errors import (
    BusinessError, TechnicalError, TeknisktFel, Verksamhetsfel,
)
from simulator.engine.query import Query
from simulator.orgnummer import InvalidOrgnummer, Orgnummer
from simulator.personnummer import InvalidPersonnummer, Personnummer
from simulator.scenario.models import Case, Organisation, Person
from simulator.scenario.store import ScenarioStore
from simulator.versions import require_supported

__all__ = ["Engine", "MAX_PERIOD_YEARS", "period_end_limit"]

MAX_PERIOD_YEARS = 2
T = TypeVar("T")


def period_end_limit(start: date) -> date:
    """The first tom-date that makes a period starting on ``start`` too long.

    A period is at most two years: 2024-01-01 may run to 2025-12-31 but not 2026-01-01.
    """
    try:
        return start.replace(year=start.year + MAX_PERIOD_YEARS)
    except ValueError:  # 29 February
        return start.replace(year=start.year + MAX_PERIOD_YEARS, day=28)


class Engine:
    def __init__(self, store: ScenarioStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- the whole query ----------------------------------------------------------------
    def answer(self, query: Query) -> Answer:
        now = self.clock.now()
        today = now.date()
        version = require_supported(query.version, today)
        base = dict(orgnummer=query.orgnummer, created=now, version=version,
                    reference=query.reference,
                    benefits_in_version=tuple(b.key for b in catalogue.benefits_for_version(version)))
        try:
            org, allowed = self._organisation(query)
            pnr = self._check_question(query, today)
            person = self._person(pnr)
        except BusinessError as err:
            return Answer(**base, status=err.status, status_detail=err.detail,  # type: ignore[arg-type]
                          new_personnummer=err.new_personnummer)
        person_answer = self._compose(query, version, person, pnr.birth_date, allowed, today)
        return Answer(**base, person=person_answer)  # type: ignore[arg-type]

    # -- step 1-2: the asker, the parameters, the person --------------------------------
    def _organisation(self, query: Query) -> tuple[Organisation, frozenset[str]]:
        try:
            number = Orgnummer.parse(query.orgnummer)
        except InvalidOrgnummer as exc:
            raise BusinessError(Verksamhetsfel.FELAKTIGT_ORGNUMMER,
                                f"Felaktigt format på orgnummer: {exc}") from None
        org = self.store.organisation(number)
        if org is not None and org.technical_error is not None:
            raise TechnicalError(org.technical_error)
        if org is None or not org.authorised:
            raise BusinessError(Verksamhetsfel.ORGANISATIONEN_EJ_BEHORIG_ENLIGT_BAD)
        if query.transport not in org.transports:
            raise BusinessError(
                Verksamhetsfel.ORGANISATIONEN_EJ_BEHORIG_ENLIGT_BAD,
                f"Organisationen inte behörig till tjänsten via {query.transport.value.upper()}")
        type_filter = self.store.org_type_filter(org.type)
        if type_filter is None:
            raise TechnicalError(TeknisktFel.FILTER_SAKNAS, f"Det saknas filter för orgtypen {org.type}.")
        agreement = catalogue.ALL_KEYS if org.agreement == "all" else frozenset(org.agreement)
        return org, agreement & type_filter

    def _check_question(self, query: Query, today: date) -> Personnummer:
        try:
            pnr = Personnummer.parse(query.personnummer, today)
        except InvalidPersonnummer as exc:
            raise BusinessError(Verksamhetsfel.FELAKTIGT_PERSONNUMMER,
                                f"Felaktigt format på personnummer: {exc}") from None
        start, end = query.from_date, query.tom_date
        if start is None:
            raise BusinessError(Verksamhetsfel.FROM_SAKNAS)
        if end is None:
            raise BusinessError(Verksamhetsfel.TOM_SAKNAS)
        if start > end:
            raise BusinessError(Verksamhetsfel.PERIODSTART_EFTER_PERIODSLUT)
        if end >= period_end_limit(start):
            raise BusinessError(Verksamhetsfel.SOKPERIODEN_FOR_LANG,
                                f"Sökperioden är längre än tillåten sökperiod ({MAX_PERIOD_YEARS} år)")
        if end > today:
            # No date may lie after today; FK has no own code for it, so the period is
            # longer than the allowed one (README, "Choices").
            raise BusinessError(Verksamhetsfel.SOKPERIODEN_FOR_LANG,
                                f"Sökperioden är längre än tillåten sökperiod: tomdatum {end} "
                                f"är efter dagens datum {today}")
        if not query.benefits:
            raise BusinessError(Verksamhetsfel.FORMANSLISTA_SAKNAS)
        return pnr

    def _person(self, pnr: Personnummer) -> Person:
        person = self.store.person(pnr)
        if person is None:
            raise BusinessError(Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER)
        if person.technical_error is not None:
            raise TechnicalError(person.technical_error)
        if person.missing:
            raise BusinessError(Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER)
        if person.new_personnummer is not None:
            raise BusinessError(Verksamhetsfel.NYTT_PERSONNUMMER,
                                new_personnummer=person.new_personnummer.replace("-", ""))
        if person.duplicate_customer_id:
            raise BusinessError(Verksamhetsfel.NYTT_PERSONNUMMER,
                                "Den försäkrade har dubbla kundid")
        return person

    # -- step 4-6: fetch within the period, filter, compose -----------------------------
    def _compose(self, query: Query, version: int, person: Person, birth: date,
                 allowed: frozenset[str], today: date) -> PersonAnswer:
        assert query.from_date is not None and query.tom_date is not None
        delivered = tuple(b for b in catalogue.benefits_for_version(version)
                          if b.key in query.benefits and b.key in allowed)
        sections: list[BenefitSection] = []
        personuppgifter = None
        for b in delivered:
            earliest = b.history.earliest(birth, today)
            start = query.from_date if earliest is None else max(query.from_date, earliest)
            message = Message.FETCHED if start == query.from_date else Message.BEFORE_HISTORY_LIMIT
            window = _Window(start, query.tom_date, today, earliest)
            if b.shape is Shape.PERSONUPPGIFTER:
                personuppgifter = _personuppgifter(person, today)
            else:
                sections.append(_SECTION_BUILDERS[b.shape](b, message, person, window, allowed))
        return PersonAnswer(personnummer=person.personnummer.replace("-", ""),
                            personuppgifter=personuppgifter,
                            delivered=tuple(b.key for b in delivered),
                            sections=tuple(sections))


class _Window:
    """The part of the query period a benefit may be shown for, and the history limit."""

    def __init__(self, start: date, end: date, today: date, earliest: date | None) -> None:
        self.start, self.end, self.today, self.earliest = start, end, today, earliest

    def overlaps(self, first: date | None, last: date | None) -> bool:
        """Whether something that ran first..last (None: still running) touched the window."""
        if first is None or first > self.today:
            return False
        return first <= self.end and (last is None or last >= self.start)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end and day <= self.today


def _personuppgifter(person: Person, today: date) -> Personuppgifter:
    protected = person.protected_identity
    related = tuple(
        RelatedPerson(personnummer=r.personnummer.replace("-", ""),
                      birth_date=Personnummer.parse(r.personnummer, today).birth_date,
                      relation=r.relation, protected_identity=r.protected_identity,
                      other_guardian=r.other_guardian)
        for r in person.related)
    return Personuppgifter(
        personnummer=person.personnummer.replace("-", ""), name=person.aviseringsnamn,
        kommunkod=None if protected else person.kommunkod, protected_identity=protected,
        deceased=person.deceased if person.deceased and person.deceased <= today else None,
        address=None if protected else person.address, employer=person.employer,
        civilstand=person.civilstand, insured=person.insured, related=related)


def _cases(b: Benefit, message: int, person: Person, w: _Window,
           allowed: frozenset[str]) -> CaseSection:
    """Cases that ran during the period, each with its whole history from its start."""
    chosen: list[Case] = []
    for case in person.cases:
        if case.benefit != b.key or not w.overlaps(case.start, case.end):
            continue
        periods = tuple(p for p in case.periods
                        if p.from_ <= w.today and (w.earliest is None or p.tom is None or p.tom >= w.earliest))
        chosen.append(case if periods == case.periods else case.model_copy(update={"periods": periods}))
    chosen.sort(key=lambda c: c.start or date.min)
    return CaseSection(b.key, message, tuple(chosen))


def _in_force(items: Sequence[T], start_of: Callable[[T], date], w: _Window) -> tuple[T, ...]:
    """Decisions that applied during the window: the one in force at its start and every
    later one decided within it (none decided after today)."""
    known = sorted((i for i in items if start_of(i) <= w.today and start_of(i) <= w.end
                    and (w.earliest is None or start_of(i) >= w.earliest)), key=start_of)
    before = [i for i in known if start_of(i) <= w.start]
    within = [i for i in known if start_of(i) > w.start]
    return tuple(before[-1:] + within)


def _sgi(b: Benefit, message: int, person: Person, w: _Window, allowed: frozenset[str]) -> SgiSection:
    return SgiSection(b.key, message, _in_force(person.sgi, lambda s: s.decided_from, w))


def _pension(b: Benefit, message: int, person: Person, w: _Window,
             allowed: frozenset[str]) -> PensionSection:
    if person.pension is None:
        return PensionSection(b.key, message)
    p = person.pension
    first_points_year = 2003  # seed 001 §2.3: poänguppgifter from intjänandeår 2003
    points = tuple(x for x in p.points
                   if max(w.start.year, first_points_year) <= x.year <= min(w.end.year, w.today.year))
    return PensionSection(b.key, message, points=points,
                          premiepension=_in_force(p.premiepension, lambda a: a.from_, w),
                          alderspension=_in_force(p.alderspension, lambda a: a.from_, w))


def _prognos(b: Benefit, message: int, person: Person, w: _Window,
             allowed: frozenset[str]) -> PrognosSection:
    years = sorted({f.year for f in person.pensionsprognos if f.year <= w.today.year})
    keep = set(years[-(b.history.latest_years or 2):])
    return PrognosSection(b.key, Message.FETCHED,
                          tuple(f for f in person.pensionsprognos if f.year in keep))


def _levnadsintyg(b: Benefit, message: int, person: Person, w: _Window,
                  allowed: frozenset[str]) -> LevnadsintygSection:
    received = [c for c in person.levnadsintyg if c.received <= w.today]
    latest = max(received, key=lambda c: c.received, default=None)
    return LevnadsintygSection(b.key, Message.FETCHED, (latest,) if latest else ())


def _payments(b: Benefit, message: int, person: Person, w: _Window,
              allowed: frozenset[str]) -> PaymentSection:
    # Payments are shown only for benefits the asker may receive: a payment of any
    # other benefit would leak it.
    chosen = sorted((p for p in person.payments if p.benefit in allowed and w.contains(p.date)),
                    key=lambda p: p.date)
    return PaymentSection(b.key, message, tuple(chosen))


_SECTION_BUILDERS: dict[Shape, Callable[[Benefit, int, Person, _Window, frozenset[str]], BenefitSection]] = {
    Shape.DAGERSATTNING: _cases,
    Shape.ERSATTNING: _cases,
    Shape.SGI: _sgi,
    Shape.PENSION: _pension,
    Shape.PROGNOS: _prognos,
    Shape.LEVNADSINTYG: _levnadsintyg,
    Shape.UTBETALNING: _payments,
}
