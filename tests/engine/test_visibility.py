"""Which timeline changes a subscriber may see (simulator/engine/visibility.py), in-process:
the one rule LEKA and LEFI Prenumeration share, and the two places where they differ."""

from __future__ import annotations

from datetime import date

import pytest

from simulator.engine.visibility import PERSONAL, UTBETALNING, Subscriber, subject, visible
from simulator.scenario.models import EventKind, TimelineEvent

PNR = "198506102386"
DAY = date(2026, 11, 10)


def event(kind: EventKind, **fields: object) -> TimelineEvent:
    return TimelineEvent.model_validate({"date": DAY, "personnummer": PNR, "event": kind.value, **fields})


CASE = event(
    EventKind.CASE_STARTS,
    case={"benefit": "sjukpenning", "status": "pagaende", "periods": [{"from": "2026-11-03"}]},
)
ENDS = event(EventKind.CASE_ENDS, benefit="sjukpenning")
PAID = event(
    EventKind.PAYMENT,
    payment={
        "benefit": "sjukpenning",
        "date": "2026-11-10",
        "from": "2026-11-01",
        "tom": "2026-11-30",
        "gross": 1000,
        "net": 1000,
    },
)
NEW_NUMBER = event(EventKind.NEW_PERSONNUMMER, new_personnummer="198001042392")
DIES = event(EventKind.DIES)
MOVES = event(EventKind.MOVES, kommunkod="2480")

SICKNESS = frozenset({"sjukpenning"})
EVERYTHING = frozenset({"sjukpenning", UTBETALNING, PERSONAL})


def test_the_subject_of_an_event() -> None:
    assert [subject(e) for e in (CASE, ENDS, PAID, NEW_NUMBER, DIES, MOVES)] == [
        "sjukpenning",
        "sjukpenning",
        "sjukpenning",
        PERSONAL,
        PERSONAL,
        PERSONAL,
    ]


@pytest.mark.parametrize("who", list(Subscriber))
def test_case_events_need_their_benefit_subscribed_and_allowed(who: Subscriber) -> None:
    for e in (CASE, ENDS):
        assert visible(e, EVERYTHING, EVERYTHING, who)
        assert not visible(e, frozenset({PERSONAL}), EVERYTHING, who)  # not allowed
    assert not visible(CASE, EVERYTHING, frozenset({PERSONAL}), Subscriber.PRENUMERATION)  # not subscribed


@pytest.mark.parametrize("who", list(Subscriber))
def test_a_move_needs_personal_details(who: Subscriber) -> None:
    assert visible(MOVES, EVERYTHING, EVERYTHING, who)
    assert not visible(MOVES, SICKNESS, SICKNESS, who)


def test_a_payment_leka_sees_by_the_paid_benefit_prenumeration_needs_utbetalning_too() -> None:
    assert visible(PAID, SICKNESS, SICKNESS, Subscriber.LEKA)
    assert not visible(PAID, SICKNESS, SICKNESS, Subscriber.PRENUMERATION)
    both = SICKNESS | {UTBETALNING}
    assert visible(PAID, both, both, Subscriber.PRENUMERATION)
    assert not visible(PAID, frozenset({UTBETALNING}), frozenset({UTBETALNING}), Subscriber.PRENUMERATION)


def test_a_new_number_or_a_death_prenumeration_always_leka_with_personal_details() -> None:
    for e in (NEW_NUMBER, DIES):
        assert visible(e, SICKNESS, SICKNESS, Subscriber.PRENUMERATION)
        assert not visible(e, SICKNESS, SICKNESS, Subscriber.LEKA)
        assert visible(e, EVERYTHING, EVERYTHING, Subscriber.LEKA)
