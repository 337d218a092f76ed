"""The scenario timeline: a person as the simulator clock's day finds them.

A person in the scenario file is the starting point; each ``TimelineEvent`` on or before
the day is applied in date order (events of one day in file order). The engine never
sees an event of a later day, so moving the clock moves what a query returns — and the
subscription features read the same events as "what changed between two days".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date

from simulator.scenario.models import Case, CaseStatus, EventKind, Person, TimelineEvent

__all__ = ["person_on", "by_person", "changes_between"]


def by_person(events: Iterable[TimelineEvent]) -> dict[str, tuple[TimelineEvent, ...]]:
    """Events per personnummer, each list in date order (stable: file order within a day)."""
    grouped: dict[str, list[TimelineEvent]] = {}
    for e in events:
        grouped.setdefault(e.personnummer, []).append(e)
    return {pnr: tuple(sorted(evs, key=lambda e: e.date)) for pnr, evs in grouped.items()}


def changes_between(
    events: Iterable[TimelineEvent], after: date | None, upto: date, persons: Collection[str] | None = None
) -> dict[str, tuple[TimelineEvent, ...]]:
    """What changed after ``after`` (None: since the beginning) up to and including ``upto``:
    the events of those days per personnummer, in date order — for Prenumeration's
    deliveries and LEKA's notifications alike. ``persons``: only these personnummer."""
    return by_person(
        e
        for e in events
        if (after is None or e.date > after)
        and e.date <= upto
        and (persons is None or e.personnummer in persons)
    )


def person_on(person: Person, events: Sequence[TimelineEvent], day: date) -> Person:
    """``person`` with every event of ``events`` dated ``day`` or earlier applied."""
    changes: dict[str, object] = {}
    cases = list(person.cases)
    payments = list(person.payments)
    for e in events:
        if e.date > day:
            break
        if e.event is EventKind.CASE_STARTS:
            assert e.case is not None
            cases.append(e.case)
        elif e.event is EventKind.CASE_ENDS:
            cases = [_ended(c, e) if _is_target(c, e) else c for c in cases]
        elif e.event is EventKind.PAYMENT:
            assert e.payment is not None
            payments.append(e.payment)
        elif e.event is EventKind.NEW_PERSONNUMMER:
            changes["new_personnummer"] = e.new_personnummer
        elif e.event is EventKind.DIES:
            changes["deceased"] = e.date
        elif e.event is EventKind.MOVES:
            if e.address is not None:
                changes["address"] = e.address
            if e.kommunkod is not None:
                changes["kommunkod"] = e.kommunkod
        elif e.event is EventKind.PROTECTED_IDENTITY:
            changes["protected_identity"] = e.protected
    if len(cases) != len(person.cases) or any(a is not b for a, b in zip(cases, person.cases, strict=True)):
        changes["cases"] = tuple(cases)
    if len(payments) != len(person.payments):
        changes["payments"] = tuple(payments)
    return person.model_copy(update=changes) if changes else person


def _is_target(case: Case, e: TimelineEvent) -> bool:
    if case.benefit != e.benefit or case.status not in (CaseStatus.PAGAENDE, CaseStatus.ANMALT):
        return False
    return e.case_id is None or case.id == e.case_id


def _ended(case: Case, e: TimelineEvent) -> Case:
    """The case closed on the event's day: running periods end then, none start after."""
    periods = tuple(
        p.model_copy(update={"tom": e.date}) if p.tom is None or p.tom > e.date else p
        for p in case.periods
        if p.from_ <= e.date
    )
    return case.model_copy(update={"status": e.status, "periods": periods})
