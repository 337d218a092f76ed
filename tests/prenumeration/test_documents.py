"""LEFI Prenumeration's stored documents: each read from a document in the shape the store
has always kept (a store written by an earlier version, taken over after a restart) and
written back unchanged. In-process: the shapes are the store's, not any wire's."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from simulator.services.prenumeration.answer_file import Counts
from simulator.services.prenumeration.documents import (
    Counter,
    Cursor,
    Delivery,
    Done,
    OrderSource,
    Received,
    StoredOrder,
    Subscription,
    Unpublished,
)
from simulator.services.prenumeration.orders import (
    ActionKind,
    Cancel,
    CancelPerson,
    NewPerson,
    Refresh,
    Subscribe,
)

CET = timezone(timedelta(hours=1))

# as the store holds them (the simulator clock's times are Europe/Stockholm, with their offset)
ORDER: dict[str, Any] = {
    "seq": 7,
    "org": "2021005299",
    "file": "beställning.xml",
    "source": "file",
    "received": "2026-11-02T09:15:30.123456+01:00",
    "intake_day": "2026-11-02",
    "persons": 5,
    "orgnummer": "2021005299",
    "reference": "ref-1",
    "actions": [
        {
            "kind": "new",
            "persons": [
                {
                    "pnr": "197001011234",
                    "benefits": {"sjukpenning": "2026-01-01", "generellPersonInformation": "2025-06-30"},
                },
                {"pnr": "198002022345", "benefits": {}},
            ],
        },
        # the same benefit twice and in no order: kept as sent
        {
            "kind": "cancel",
            "persons": [{"pnr": "197001011234", "benefits": ["sjukpenning", "barnbidrag", "sjukpenning"]}],
        },
        {"kind": "cancel", "persons": [{"pnr": "198002022345", "benefits": []}]},
        {"kind": "refresh", "persons": ["197001011234"]},
        {"kind": "refresh", "persons": []},
    ],
    "applied": None,
}
SUBSCRIPTION: dict[str, Any] = {
    "org": "2021005299",
    "pnr": "197001011234",
    "benefits": {"sjukpenning": "2026-01-01", "barnbidrag": "2024-03-15"},
    "active": True,
    "upto": "2026-11-03",
    "full": ["sjukpenning", "barnbidrag"],  # a cancel keeps the order it had
    "refresh": True,
}
NEW_SUBSCRIPTION: dict[str, Any] = {
    "org": "2021005299",
    "pnr": "198002022345",
    "benefits": {},
    "active": False,
    "upto": None,
    "full": [],
    "refresh": False,
}
DELIVERY: dict[str, Any] = {
    "number": 3,
    "org": "2021005299",
    "run": "2026-11-04",
    "upto": "2026-11-03",
    "file": "LEFI-PREN-2021005299-20261103-000003.xml",
    "available": "2026-11-04T06:00:00+01:00",
    "counts": {"antalPoster": 2, "antalFormaner": 1, "antalAndringar": 4},
    "content": '<?xml version="1.0" encoding="UTF-8"?>\n<ext:FK.Prenumeration.Bestallningssvar/>\n',
    "published": None,
}


def roundtrip(cls: Any, doc: dict[str, Any]) -> Any:
    kept = copy.deepcopy(doc)
    read = cls.from_document(doc)
    assert read.to_document() == kept
    assert list(read.to_document()) == list(kept)  # the same keys, in the same order
    assert doc == kept  # reading does not change the document
    return read


def test_an_order_as_stored() -> None:
    order = roundtrip(StoredOrder, ORDER)
    assert (order.seq, order.org, order.file, order.source) == (
        7,
        "2021005299",
        "beställning.xml",
        OrderSource.FILE,
    )
    assert order.received == datetime(2026, 11, 2, 9, 15, 30, 123456, CET)
    assert order.intake_day == date(2026, 11, 2) and order.applied is None
    assert order.key == "2021005299/0000000007"
    assert order.order.reference == "ref-1" and order.order.persons == 5
    new, cancel, cancel_all, refresh, refresh_all = order.order.actions
    assert new == Subscribe(
        (
            NewPerson(
                "197001011234",
                {"sjukpenning": date(2026, 1, 1), "generellPersonInformation": date(2025, 6, 30)},
            ),
            NewPerson("198002022345", {}),
        )
    )
    assert cancel == Cancel((CancelPerson("197001011234", ("sjukpenning", "barnbidrag", "sjukpenning")),))
    assert cancel_all == Cancel((CancelPerson("198002022345", ()),))
    assert refresh == Refresh(("197001011234",)) and refresh_all == Refresh(())
    assert [a.kind for a in order.order.actions] == [
        ActionKind.NEW,
        ActionKind.CANCEL,
        ActionKind.CANCEL,
        ActionKind.REFRESH,
        ActionKind.REFRESH,
    ]


@pytest.mark.parametrize("source", ["file", "http", "shs"])
def test_an_order_applied_from_each_source(source: str) -> None:
    doc = {**ORDER, "source": source, "applied": "now-2", "received": "2026-07-01T23:59:59+02:00"}
    order = roundtrip(StoredOrder, doc)
    assert order.source is OrderSource(source) and order.applied == "now-2"


def test_an_unknown_action_kind_is_not_read_as_another() -> None:
    with pytest.raises(ValueError):
        StoredOrder.from_document({**ORDER, "actions": [{"kind": "renew", "persons": []}]})


def test_subscriptions_as_stored() -> None:
    sub = roundtrip(Subscription, SUBSCRIPTION)
    assert sub.benefits == {"sjukpenning": date(2026, 1, 1), "barnbidrag": date(2024, 3, 15)}
    assert list(sub.benefits) == ["sjukpenning", "barnbidrag"]
    assert (sub.active, sub.upto, sub.full, sub.refresh) == (
        True,
        date(2026, 11, 3),
        ("sjukpenning", "barnbidrag"),
        True,
    )
    never = roundtrip(Subscription, NEW_SUBSCRIPTION)
    assert never == Subscription("2021005299", "198002022345", {}, active=False)


def test_deliveries_as_stored() -> None:
    delivery = roundtrip(Delivery, DELIVERY)
    assert delivery.counts == Counts(records=2, benefits=1, changes=4)
    assert delivery.available == datetime(2026, 11, 4, 6, 0, tzinfo=CET) and delivery.published is None
    assert delivery.key == "2021005299/0000000003"
    published = roundtrip(Delivery, {**DELIVERY, "published": "2026-11-04T06:00:00.250000+01:00"})
    assert published.published == datetime(2026, 11, 4, 6, 0, 0, 250000, CET)


def test_the_small_documents_as_stored() -> None:
    assert roundtrip(Received, {"order": "2021005299/0000000007"}).order == "2021005299/0000000007"
    assert roundtrip(Unpublished, {"available": "2026-11-04T06:00:00+01:00"}).available == datetime(
        2026, 11, 4, 6, tzinfo=CET
    )
    assert roundtrip(Done, {"at": "2026-11-04T01:00:00.500000+01:00"}).at == datetime(
        2026, 11, 4, 1, 0, 0, 500000, CET
    )
    assert roundtrip(Counter, {"last": 12, "run": "now-3"}) == Counter(12, "now-3")
    assert roundtrip(Cursor, {"day": "2026-11-04"}) == Cursor(date(2026, 11, 4))


def test_documents_written_are_read_back_alike() -> None:
    """What this version writes (from the dataclasses) reads back as the same dataclass."""
    when = datetime(2026, 3, 29, 2, 30, 0, 1, timezone(timedelta(hours=2)))
    for value in (
        Subscription("2021005299", "197001011234", {"sjukpenning": date(2026, 1, 1)}, full=("sjukpenning",)),
        Delivery(1, "2021005299", "now-1", date(2026, 3, 28), "f.xml", when, Counts(), "<x/>", when),
        Done(when),
        Unpublished(when),
        Counter(0, "2026-03-30"),
        Cursor(date(2026, 3, 30)),
        Received("2021005299/0000000001"),
    ):
        assert type(value).from_document(value.to_document()) == value
