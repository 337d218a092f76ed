"""The rules of LEFI Online's onlinefråga (SPEC §2), in FK's order of processing.

``Engine.answer`` takes a ``Query`` and returns an ``Answer`` (OK or a business error)
or raises ``TechnicalError``. Nothing here knows about XML, JSON or HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar

from simulator.domain import benefits as catalogue
from simulator.domain import orgnummer
from simulator.domain.benefits import Benefit, Shape
from simulator.domain.clock import Clock
from simulator.domain.errors import BusinessError, TechnicalError, TeknisktFel, Verksamhetsfel
from simulator.domain.orgnummer import InvalidOrgnummer, Orgnummer
from simulator.domain.personnummer import InvalidPersonnummer, Personnummer
from simulator.domain.versions import CURRENT as CURRENT_VERSION
from simulator.domain.versions import require_supported
from simulator.engine.answer import (
    Answer,
    BenefitSection,
    CaseSection,
    LevnadsintygSection,
    Message,
    PaymentSection,
    PensionSection,
    PersonAnswer,
    Personuppgifter,
    PrognosSection,
    RelatedPerson,
    SgiSection,
)
from simulator.engine.query import Query
from simulator.scenario.models import Case, Organisation, Period, Person, Transport
from simulator.scenario.store import ScenarioStore

__all__ = ["Engine", "MAX_PERIOD_YEARS", "period_end_limit"]

MAX_PERIOD_YEARS = 2
T = TypeVar("T")


def period_end_limit(start: date) -> date:
    """The first tom-date that makes a period starting on ``start`` too long.

    A period is at most two years: 2024-01-01 may run to 2025-12-31 but not 2026-01-01;
    2024-02-29 may run to 2026-02-28 (its anniversary is taken as 1 March).
    """
    if start.year + MAX_PERIOD_YEARS > date.max.year:
        return date.max
    try:
        return start.replace(year=start.year + MAX_PERIOD_YEARS)
    except ValueError:  # 29 February
        return date(start.year + MAX_PERIOD_YEARS, 3, 1)


class Engine:
    def __init__(self, store: ScenarioStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- the whole query ----------------------------------------------------------------
    def answer(self, query: Query) -> Answer:
        now = self.clock.now()
        today = now.date()
        # Bindings check the version first too (it picks their schema); this keeps the
        # rule for bindings without one.
        version = require_supported(query.version, today)
        try:
            allowed = self._organisation(query)
            pnr = self._check_question(query, today)
            person = self.person(pnr, today)
        except BusinessError as err:
            return self._answer(
                query,
                now,
                version,
                status=err.status,
                status_detail=err.detail,
                new_personnummer=err.new_personnummer,
            )
        return self._answer(
            query, now, version, person=self._compose(query, version, person, pnr.birth_date, allowed, today)
        )

    def refused(self, query: Query, error: BusinessError) -> Answer:
        """The answer to ``query`` refused with a business error found before the engine
        was asked (an organisation that is not the client certificate's)."""
        now = self.clock.now()
        version = require_supported(query.version, now.date())
        return self._answer(query, now, version, status=error.status, status_detail=error.detail)

    def _answer(self, query: Query, now: datetime, version: int, **outcome: Any) -> Answer:
        """The answer to ``query``; ``outcome``: its status or person (built once, not copied)."""
        return Answer(
            orgnummer=orgnummer.canonical(query.orgnummer),
            created=now,
            version=version,
            reference=query.reference,
            benefits_in_version=catalogue.keys_for_version(version),
            **outcome,
        )

    def allowed_benefits(self, orgnummer: str, transport: Transport) -> frozenset[str]:
        """What the organisation may receive over ``transport`` (LEFI v9's tillgängliga
        informationstyper). Raises ``BusinessError`` (12, 13) or ``TechnicalError``."""
        return self._organisation(Query(orgnummer, "", None, None, frozenset(), 0, transport))

    def subscription(
        self, orgnummer: str, personnummer: str, benefits: Mapping[str, date], day: date
    ) -> Answer:
        """LEFI Prenumeration's full delivery about one person: each benefit of ``benefits``
        from its own from-date up to ``day``, by the onlinefråga's rules (agreement, org-type
        filter, history limits, protected identity) but without its two-year period limit.
        A business error is the answer's status; raises ``TechnicalError`` as ``answer`` does."""
        version = CURRENT_VERSION
        answer = Answer(
            orgnummer=orgnummer,
            created=self.clock.now(),
            version=version,
            benefits_in_version=catalogue.keys_for_version(version),
        )
        try:
            allowed = self._allowed(self._known_organisation(orgnummer))
            pnr = self.personnummer(personnummer, day)
            person = self.person(pnr, day)
        except BusinessError as err:
            return replace(
                answer, status=err.status, status_detail=err.detail, new_personnummer=err.new_personnummer
            )
        parts = [
            self._compose(
                Query(
                    orgnummer,
                    personnummer,
                    start,
                    day,
                    frozenset(k for k, d in benefits.items() if d == start),
                    version,
                    Transport.WS,
                ),
                version,
                person,
                pnr.birth_date,
                allowed,
                day,
            )
            for start in sorted(set(benefits.values()))
            if start <= day
        ]
        order = {k: i for i, k in enumerate(answer.benefits_in_version)}
        delivered = tuple(sorted({k for p in parts for k in p.delivered}, key=order.__getitem__))
        sections = tuple(sorted((s for p in parts for s in p.sections), key=lambda s: order[s.benefit]))
        personuppgifter = next((p.personuppgifter for p in parts if p.personuppgifter is not None), None)
        return replace(
            answer,
            person=PersonAnswer(
                personnummer=person.personnummer,
                personuppgifter=personuppgifter,
                delivered=delivered,
                sections=sections,
            ),
        )

    def receivable(self, organisation: Organisation) -> frozenset[str]:
        """What ``organisation`` may ever receive: its agreement ∩ its org type's filter."""
        return self._allowed(organisation)

    def personuppgifter(
        self, organisation: Organisation, person: Person, day: date
    ) -> Personuppgifter | None:
        """A person's details as ``organisation`` may see them on ``day`` (None: it may not)."""
        if "generellPersonInformation" not in self._allowed(organisation):
            return None
        return self._personuppgifter(person, day)

    # -- step 1-2: the asker, the parameters, the person --------------------------------
    def _known_organisation(self, text: str) -> Organisation:
        """The organisation named by ``text``, registered in BAD, or the error that stops it."""
        try:
            number = Orgnummer.parse(text)
        except InvalidOrgnummer as exc:
            raise BusinessError(
                Verksamhetsfel.FELAKTIGT_ORGNUMMER, f"Felaktigt format på orgnummer: {exc}"
            ) from None
        org = self.store.organisation(number)
        if org is not None and org.technical_error is not None:
            raise TechnicalError(org.technical_error)
        if org is None or not org.authorised:
            raise BusinessError(Verksamhetsfel.ORGANISATIONEN_EJ_BEHORIG_ENLIGT_BAD)
        return org

    def _organisation(self, query: Query) -> frozenset[str]:
        """The benefits the asking organisation may receive, or the error that stops it."""
        org = self._known_organisation(query.orgnummer)
        if query.transport not in org.transports:
            raise BusinessError(
                Verksamhetsfel.ORGANISATIONEN_EJ_BEHORIG_ENLIGT_BAD,
                f"Organisationen inte behörig till tjänsten via {query.transport.value.upper()}",
            )
        return self._allowed(org)

    def _allowed(self, org: Organisation) -> frozenset[str]:
        """Agreement (BAD) ∩ the filter of the org type: nothing else may ever leave."""
        type_filter = self.store.org_type_filter(org.type)
        if type_filter is None:
            raise TechnicalError(TeknisktFel.FILTER_SAKNAS, f"Det saknas filter för orgtypen {org.type}.")
        agreement = catalogue.ALL_KEYS if org.agreement == "all" else frozenset(org.agreement)
        return agreement & type_filter

    def personnummer(self, text: str, today: date) -> Personnummer:
        """``text`` as a personnummer, or business error 11 saying what is wrong with it."""
        try:
            return Personnummer.parse(text, today)
        except InvalidPersonnummer as exc:
            raise BusinessError(
                Verksamhetsfel.FELAKTIGT_PERSONNUMMER, f"Felaktigt format på personnummer: {exc}"
            ) from None

    def _check_question(self, query: Query, today: date) -> Personnummer:
        pnr = self.personnummer(query.personnummer, today)
        start, end = query.from_date, query.tom_date
        if start is None:
            raise BusinessError(Verksamhetsfel.FROM_SAKNAS)
        if end is None:
            raise BusinessError(Verksamhetsfel.TOM_SAKNAS)
        if start > end:
            raise BusinessError(Verksamhetsfel.PERIODSTART_EFTER_PERIODSLUT)
        if end > today:
            # No date may lie after today; FK has no own code for it, so the period is
            # longer than the allowed one (docs/rules.md, "Choices").
            raise BusinessError(
                Verksamhetsfel.SOKPERIODEN_FOR_LANG,
                f"Sökperioden är längre än tillåten sökperiod: tomdatum {end} är efter dagens datum {today}",
            )
        if end >= period_end_limit(start):
            raise BusinessError(
                Verksamhetsfel.SOKPERIODEN_FOR_LANG,
                f"Sökperioden är längre än tillåten sökperiod ({MAX_PERIOD_YEARS} år)",
            )
        if not query.benefits:
            raise BusinessError(Verksamhetsfel.FORMANSLISTA_SAKNAS)
        return pnr

    def person(self, pnr: Personnummer, today: date) -> Person:
        """The person FK answers about, or what it answers instead: business error 3 (nobody
        with the number, or a person the scenario makes missing), 4 (a new number, with it; or
        two customer ids), or ``TechnicalError``. LEKA registers a person by this rule too."""
        person = self.store.person(pnr, today)
        if person is None:
            raise BusinessError(Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER)
        if person.technical_error is not None:
            raise TechnicalError(person.technical_error)
        if person.missing:
            raise BusinessError(Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER)
        if person.new_personnummer is not None:
            raise BusinessError(Verksamhetsfel.NYTT_PERSONNUMMER, new_personnummer=person.new_personnummer)
        if person.duplicate_customer_id:
            raise BusinessError(Verksamhetsfel.NYTT_PERSONNUMMER, "Den försäkrade har dubbla kundid")
        return person

    # -- step 4-6: fetch within the period, filter, compose -----------------------------
    def _compose(
        self, query: Query, version: int, person: Person, birth: date, allowed: frozenset[str], today: date
    ) -> PersonAnswer:
        assert query.from_date is not None and query.tom_date is not None
        in_version = catalogue.benefits_for_version(version)
        wanted = query.benefits & allowed
        delivered = [b for b in in_version if b.key in wanted]
        # payments may be shown for every benefit the asker may receive in this version
        payable = allowed & _keys_of_version(version)
        sections: list[BenefitSection] = []
        personuppgifter = None
        for b in delivered:
            if b.shape is Shape.PERSONUPPGIFTER:  # current data: the period does not apply
                personuppgifter = self._personuppgifter(person, today)
                continue
            earliest = b.history.earliest(birth, today)
            start = query.from_date if earliest is None else max(query.from_date, earliest)
            message = (
                Message.FETCHED
                if start == query.from_date or b.history.current_only
                else Message.BEFORE_HISTORY_LIMIT
            )
            window = _Window(start, query.tom_date, today, earliest)
            sections.append(_SECTION_BUILDERS[b.shape](b, message, person, window, payable))
        return PersonAnswer(
            personnummer=person.personnummer,
            personuppgifter=personuppgifter,
            delivered=tuple(b.key for b in delivered),
            sections=tuple(sections),
        )

    def _personuppgifter(self, person: Person, today: date) -> Personuppgifter:
        """Current data. Protected identity withholds where the person lives and works."""
        protected = person.protected_identity
        related = []
        for r in person.related:
            born = Personnummer(r.personnummer).birth_date
            if born > today:
                continue  # not born yet by the simulator clock
            stored = self.store.protected_identity(Personnummer(r.personnummer), today)
            related.append(
                RelatedPerson(
                    personnummer=r.personnummer,
                    birth_date=born,
                    relation=r.relation,
                    protected_identity=r.protected_identity if stored is None else stored,
                    other_guardian=r.other_guardian,
                )
            )
        return Personuppgifter(
            personnummer=person.personnummer,
            name=person.aviseringsnamn,
            kommunkod=None if protected else person.kommunkod,
            protected_identity=protected,
            deceased=person.deceased if person.deceased and person.deceased <= today else None,
            address=None if protected else person.address,
            employer=None if protected else person.employer,
            civilstand=person.civilstand,
            insured=person.insured,
            related=tuple(related),
        )


@cache
def _keys_of_version(version: int) -> frozenset[str]:
    return frozenset(catalogue.keys_for_version(version))


class _Window:
    """The part of the query period a benefit may be shown for, and the history limit."""

    def __init__(self, start: date, end: date, today: date, earliest: date | None) -> None:
        self.start, self.end, self.today, self.earliest = start, end, today, earliest

    @property
    def empty(self) -> bool:
        """The whole period asked lies before the history limit."""
        return self.start > self.end

    def overlaps(self, first: date | None, last: date | None) -> bool:
        """Whether something that ran first..last (None: still running) touched the window."""
        if first is None or first > self.today or self.empty:
            return False
        return first <= self.end and (last is None or last >= self.start)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end and day <= self.today


def _within_history(periods: Sequence[Period], w: _Window) -> tuple[Period, ...]:
    """A case's periods as FK holds them: none that starts after today, none that ended
    before the history limit, and one that straddles the limit cut at it."""
    kept: list[Period] = []
    for p in periods:
        if p.from_ > w.today:
            continue
        if w.earliest is not None and p.from_ < w.earliest:
            if p.tom is not None and p.tom < w.earliest:
                continue
            p = p.model_copy(update={"from_": w.earliest, "days": None})  # the count no longer holds
        kept.append(p)
    return tuple(kept)


def _cases(b: Benefit, message: int, person: Person, w: _Window, payable: frozenset[str]) -> CaseSection:
    """Cases that ran during the period, each with its whole history from its start."""
    chosen: list[tuple[date, Case]] = []  # by the start of the case as delivered
    for case in person.cases:
        if case.benefit != b.key:
            continue
        start = case.start
        if not w.overlaps(start, case.end):
            continue
        periods = _within_history(case.periods, w)
        reported = (
            case.reported
            if w.earliest is None or case.reported is None or case.reported >= w.earliest
            else None
        )  # reported before the limit: not held
        if periods != case.periods or reported != case.reported:
            case = case.model_copy(update={"periods": periods, "reported": reported})
            start = case.start
        chosen.append((start or date.min, case))
    chosen.sort(key=lambda started: started[0])
    return CaseSection(b.key, message, tuple(case for _, case in chosen))


def _in_force(items: Sequence[T], start_of: Callable[[T], date], w: _Window) -> tuple[T, ...]:
    """Decisions that applied during the window: the one in force at its start (however
    old) and every later one taken within it; none that starts after today."""
    if w.empty:
        return ()
    known = sorted((i for i in items if start_of(i) <= min(w.today, w.end)), key=start_of)
    before = [i for i in known if start_of(i) <= w.start]
    within = [i for i in known if start_of(i) > w.start]
    return tuple(before[-1:] + within)


def _sgi(b: Benefit, message: int, person: Person, w: _Window, payable: frozenset[str]) -> SgiSection:
    return SgiSection(b.key, message, _in_force(person.sgi, lambda s: s.decided_from, w))


def _pension(b: Benefit, message: int, person: Person, w: _Window, payable: frozenset[str]) -> PensionSection:
    if person.pension is None:
        return PensionSection(b.key, message, points_message=message)
    p = person.pension
    first_year = max(w.start.year, b.history.first_earning_year or 0)
    points = tuple(x for x in p.points if first_year <= x.year <= min(w.end.year, w.today.year))
    points_message = Message.BEFORE_HISTORY_LIMIT if first_year > w.start.year else message
    return PensionSection(
        b.key,
        message,
        points_message=points_message,
        points=points,
        premiepension=_in_force(p.premiepension, lambda a: a.from_, w),
        alderspension=_in_force(p.alderspension, lambda a: a.from_, w),
    )


def _prognos(b: Benefit, message: int, person: Person, w: _Window, payable: frozenset[str]) -> PrognosSection:
    """The forecasts of the latest mailing years, whatever the period asked."""
    years = sorted({f.year for f in person.pensionsprognos if f.year <= w.today.year})
    keep = set(years[-(b.history.latest_years or 2) :])
    return PrognosSection(b.key, message, tuple(f for f in person.pensionsprognos if f.year in keep))


def _levnadsintyg(
    b: Benefit, message: int, person: Person, w: _Window, payable: frozenset[str]
) -> LevnadsintygSection:
    """The certificate valid today, if any: current data only, and none after death."""
    if person.deceased is not None and person.deceased <= w.today:
        return LevnadsintygSection(b.key, message)
    valid = [
        c
        for c in person.levnadsintyg
        if c.received <= w.today and (c.valid_until is None or c.valid_until >= w.today)
    ]
    latest = max(valid, key=lambda c: c.received, default=None)
    return LevnadsintygSection(b.key, message, (latest,) if latest else ())


def _payments(
    b: Benefit, message: int, person: Person, w: _Window, payable: frozenset[str]
) -> PaymentSection:
    # Only payments of benefits the asker may receive: any other would leak the benefit.
    chosen = sorted(
        (p for p in person.payments if p.benefit in payable and w.contains(p.date)), key=lambda p: p.date
    )
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
