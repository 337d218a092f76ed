"""Which timeline changes a subscriber may see (simulator/engine/visibility.py), in-process:
the one rule LEKA and LEFI Prenumeration share (over HTTP: tests/leka/test_leka.py and
tests/prenumeration/test_prenumeration.py)."""

from __future__ import annotations

from datetime import date

from simulator.engine.visibility import PERSONAL, UTBETALNING, subject, visible
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


def test_case_events_need_their_benefit_subscribed_and_allowed() -> None:
    for e in (CASE, ENDS):
        assert visible(e, EVERYTHING, EVERYTHING)
        assert not visible(e, frozenset({PERSONAL}), EVERYTHING)  # not allowed
        assert not visible(e, EVERYTHING, frozenset({PERSONAL}))  # not subscribed


def test_personal_changes_need_personal_details() -> None:
    for e in (MOVES, DIES):
        assert visible(e, EVERYTHING, EVERYTHING)
        assert not visible(e, SICKNESS, SICKNESS)
        assert not visible(e, EVERYTHING, SICKNESS)  # may, but did not subscribe


def test_a_payment_needs_utbetalning_wanted_and_the_paid_benefit_allowed() -> None:
    """LEKA subscribes to a person (allowed = subscribed): an organisation that may see
    sjukpenning but not utbetalning learns of no payment, as in an onlinefråga."""
    assert not visible(PAID, SICKNESS, SICKNESS)
    both = SICKNESS | {UTBETALNING}
    assert visible(PAID, both, both)
    assert visible(PAID, both, frozenset({UTBETALNING}))  # the paid benefit need not be subscribed
    assert not visible(PAID, both, SICKNESS)  # utbetalning allowed, not subscribed
    assert not visible(PAID, frozenset({UTBETALNING}), frozenset({UTBETALNING}))  # paid benefit not allowed


def test_a_new_number_always() -> None:
    assert visible(NEW_NUMBER, SICKNESS, SICKNESS)
    assert visible(NEW_NUMBER, frozenset(), frozenset())
