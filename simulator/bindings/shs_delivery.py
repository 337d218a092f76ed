"""The SHS delivery service's store: replies to asynchronous questions, waiting in the
asking organisation's outbox until it lists, fetches and acknowledges them.

Bounded: the oldest messages go first once ``KEPT`` messages or ``KEPT_BYTES`` are held,
so that partners who never fetch cannot take the server's memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable

from lxml import etree

from simulator.bindings.bounded import BoundedStore

__all__ = ["Delivered", "DataPart", "DeliveryStore", "Filter", "KEPT", "KEPT_BYTES", "render_message_list", "shs_time"]

KEPT = 10_000
KEPT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class DataPart:
    datapart_type: str
    filename: str
    size: int


@dataclass
class Delivered:
    """A message in an outbox: its label's facts, and the whole message as sent on fetch."""

    outbox: str  # the receiving organisation's orgnummer
    tx_id: str
    corr_id: str
    content_id: str
    sender: str  # urn:X-shs:<orgnr>
    to: str  # urn:X-shs:<orgnr>
    product: str  # the label's product, as written there (urn:X-shs:<id>)
    product_id: str  # normalised, for the producttype filter
    sequence_type: str
    status: str  # test | production
    arrived: datetime
    data: tuple[DataPart, ...]
    content_type: str
    body: bytes
    acknowledged: bool = False
    error_code: str | None = None  # an SHS error message's errorcode
    on_ack: Callable[[], Awaitable[None]] | None = None  # what else an acknowledgement ends


@dataclass(frozen=True)
class Filter:
    product_id: str | None = None
    status: str | None = None
    unacknowledged: bool = False
    corr_id: str | None = None
    content_id: str | None = None
    max_hits: int = 200


def shs_time(at: datetime) -> str:
    """SHS writes local time without an offset (2013-06-17T14:57:20)."""
    return at.replace(tzinfo=None).isoformat(timespec="seconds")


class DeliveryStore:
    def __init__(self, kept: int = KEPT, kept_bytes: int = KEPT_BYTES) -> None:
        self._messages: BoundedStore[tuple[str, str], Delivered] = BoundedStore(
            kept, kept_bytes, lambda m: len(m.body))
        # the question each reply answers, by the question's tx.id: a resent question is a duplicate
        self._answered: BoundedStore[tuple[str, str], str] = BoundedStore(kept, kept, lambda _: 1)

    def put(self, message: Delivered, question_tx_id: str | None = None) -> None:
        self._messages.put((message.outbox, message.tx_id), message)
        if question_tx_id is not None:
            self._answered.put((message.outbox, question_tx_id), message.tx_id)

    def reply_to(self, outbox: str, question_tx_id: str) -> Delivered | None:
        """The reply already made to the question ``question_tx_id`` from ``outbox``, if any."""
        reply_tx_id = self._answered.get((outbox, question_tx_id))
        return None if reply_tx_id is None else self.get(outbox, reply_tx_id)

    def get(self, outbox: str, tx_id: str) -> Delivered | None:
        return self._messages.get((outbox, tx_id))

    def list(self, outbox: str, f: Filter) -> list[Delivered]:
        """The outbox's messages that pass ``f``, oldest first, at most ``f.max_hits``."""
        found = []
        for m in self._messages.values():
            if m.outbox != outbox or (f.unacknowledged and m.acknowledged):
                continue
            if f.product_id is not None and m.product_id != f.product_id:
                continue
            if f.status is not None and m.status != f.status:
                continue
            if f.corr_id is not None and m.corr_id != f.corr_id:
                continue
            if f.content_id is not None and m.content_id != f.content_id:
                continue
            found.append(m)
            if len(found) >= f.max_hits:
                break
        return found

    def acknowledge(self, outbox: str, tx_id: str) -> bool:
        message = self.get(outbox, tx_id)
        if message is None:
            return False
        message.acknowledged = True
        return True

    def clear(self) -> None:
        self._messages.clear()
        self._answered.clear()


def render_message_list(messages: list[Delivered]) -> bytes:
    """An ``shs.message-list`` (SHS 1.2.01) of ``messages``."""
    root = etree.Element("shs.message-list", version="1.2")
    for m in messages:
        el = etree.SubElement(root, "message")
        el.set("tx.id", m.tx_id)
        el.set("timestamp", shs_time(m.arrived))
        el.set("corr.id", m.corr_id)
        el.set("content.id", m.content_id)
        el.set("size", str(len(m.body)))
        el.set("from", m.sender)
        el.set("to", m.to)
        el.set("product", m.product)
        el.set("sequence-type", m.sequence_type)
        el.set("status", m.status)
        for d in m.data:
            data = etree.SubElement(el, "data")
            data.set("datapartType", d.datapart_type)
            data.set("filename", d.filename)
            data.set("no-of-bytes", str(d.size))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
