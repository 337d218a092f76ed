"""What LEFI Prenumeration keeps in the durable store, one dataclass per kind of document.

Each is written with ``to_document()`` and read with ``from_document()``; the shapes are
those the store has always kept (a store written by an earlier version is read as it is),
and they are apart from what the HTTP side shows (``http.py`` builds its JSON from these).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from simulator.services.prenumeration.answer_file import Counts
from simulator.services.prenumeration.orders import Order

__all__ = [
    "ORDERS",
    "RECEIVED",
    "SUBS",
    "DELIVERIES",
    "UNPUBLISHED",
    "DONE",
    "STATE",
    "NUMBERS",
    "NOW",
    "KINDS",
    "OrderSource",
    "StoredOrder",
    "Received",
    "Subscription",
    "Delivery",
    "Unpublished",
    "Done",
    "Counter",
    "Cursor",
]

ORDERS = "pren.order"  # key organisation/seq: StoredOrder
RECEIVED = "pren.received"  # key organisation/fingerprint: Received
SUBS = "pren.sub"  # key organisation/personnummer: Subscription
DELIVERIES = "pren.delivery"  # key organisation/number: Delivery
UNPUBLISHED = "pren.unpublished"  # key as its delivery's: Unpublished
DONE = "pren.done"  # key run/organisation: Done
STATE = "pren.state"  # key "cursor": Cursor
NUMBERS = "pren.number"  # key organisation: Counter
NOW = "pren.now"  # the sequence of the admin API's batch runs
KINDS = (ORDERS, RECEIVED, SUBS, DELIVERIES, UNPUBLISHED, DONE, STATE, NUMBERS)  # what a reset forgets


class OrderSource(enum.StrEnum):
    """How an order came in."""

    FILE = "file"  # dropped in the organisation's in/ folder
    HTTP = "http"  # POST /prenumeration/{orgnr}/bestallningar
    SHS = "shs"  # an asynchronous SHS message


@dataclass(frozen=True)
class StoredOrder:
    """An order taken in. ``applied``: the batch run that applied it to the subscriptions
    (None: not yet)."""

    seq: int
    org: str
    file: str
    source: OrderSource
    received: datetime  # simulator clock
    intake_day: date
    order: Order
    applied: str | None = None

    @property
    def key(self) -> str:
        return f"{self.org}/{self.seq:010d}"

    def to_document(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "org": self.org,
            "file": self.file,
            "source": self.source.value,
            "received": self.received.isoformat(),
            "intake_day": self.intake_day.isoformat(),
            "persons": self.order.persons,
            **self.order.to_document(),
            "applied": self.applied,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> StoredOrder:
        return cls(
            doc["seq"],
            doc["org"],
            doc["file"],
            OrderSource(doc["source"]),
            datetime.fromisoformat(doc["received"]),
            date.fromisoformat(doc["intake_day"]),
            Order.from_document(doc),
            doc["applied"],
        )


@dataclass(frozen=True)
class Received:
    """A file or SHS message kept as an order: seen again, it is that order, not a new one."""

    order: str  # the StoredOrder's key

    def to_document(self) -> dict[str, Any]:
        return {"order": self.order}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Received:
        return cls(doc["order"])


@dataclass(frozen=True)
class Subscription:
    """An organisation's subscription on a person."""

    org: str
    pnr: str
    benefits: dict[str, date]  # benefit → from-date
    active: bool = True
    upto: date | None = None  # delivered up to; None: never delivered (the first is in full)
    full: tuple[str, ...] = ()  # the benefits the next delivery gives in full
    refresh: bool = False  # a heluppdatering was ordered

    def to_document(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "pnr": self.pnr,
            "benefits": {k: v.isoformat() for k, v in self.benefits.items()},
            "active": self.active,
            "upto": None if self.upto is None else self.upto.isoformat(),
            "full": list(self.full),
            "refresh": self.refresh,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Subscription:
        return cls(
            doc["org"],
            doc["pnr"],
            {k: date.fromisoformat(v) for k, v in doc["benefits"].items()},
            doc["active"],
            None if doc["upto"] is None else date.fromisoformat(doc["upto"]),
            tuple(doc["full"]),
            doc["refresh"],
        )


@dataclass(frozen=True)
class Delivery:
    """One answer file made for one organisation by one batch run, with its whole text.
    ``published``: when it was written to ``out/`` (None: not yet)."""

    number: int  # leveransnummer, the organisation's own
    org: str
    run: str
    upto: date
    file: str
    available: datetime  # published from then on (simulator clock)
    counts: Counts
    content: str
    published: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.org}/{self.number:010d}"

    def to_document(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "org": self.org,
            "run": self.run,
            "upto": self.upto.isoformat(),
            "file": self.file,
            "available": self.available.isoformat(),
            "counts": self.counts.to_document(),
            "content": self.content,
            "published": None if self.published is None else self.published.isoformat(),
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Delivery:
        return cls(
            doc["number"],
            doc["org"],
            doc["run"],
            date.fromisoformat(doc["upto"]),
            doc["file"],
            datetime.fromisoformat(doc["available"]),
            Counts.from_document(doc["counts"]),
            doc["content"],
            None if doc["published"] is None else datetime.fromisoformat(doc["published"]),
        )


@dataclass(frozen=True)
class Unpublished:
    """A delivery not yet published (the key is the delivery's)."""

    available: datetime

    def to_document(self) -> dict[str, Any]:
        return {"available": self.available.isoformat()}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Unpublished:
        return cls(datetime.fromisoformat(doc["available"]))


@dataclass(frozen=True)
class Done:
    """A batch run has delivered to an organisation (or found nothing to deliver)."""

    at: datetime  # simulator clock

    def to_document(self) -> dict[str, Any]:
        return {"at": self.at.isoformat()}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Done:
        return cls(datetime.fromisoformat(doc["at"]))


@dataclass(frozen=True)
class Counter:
    """An organisation's last leveransnummer and the run that last wrote for it."""

    last: int
    run: str

    def to_document(self) -> dict[str, Any]:
        return {"last": self.last, "run": self.run}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Counter:
        return cls(doc["last"], doc["run"])


@dataclass(frozen=True)
class Cursor:
    """The delivery day whose scheduled batch ran last."""

    day: date

    def to_document(self) -> dict[str, Any]:
        return {"day": self.day.isoformat()}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Cursor:
        return cls(date.fromisoformat(doc["day"]))
