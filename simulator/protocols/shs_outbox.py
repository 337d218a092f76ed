"""The SHS delivery service's store: messages waiting in an organisation's outbox until it
lists, fetches and acknowledges them.

Two kinds of message:

- the replies to asynchronous online questions, made at receipt, in this process's memory
  (``DeliveryStore``). Bounded: the oldest go first once ``KEPT`` messages or ``KEPT_BYTES``
  are held, so that partners who never fetch cannot take the server's memory;
- what other services deliver there (LEFI Prenumeration's answer files, massfråga's
  replies): kept with their acknowledgement in the durable store (``KIND``), so that a
  restart, another worker or another host on the same Redis sees the same outbox, and
  never dropped for space (their own services bound how much they make).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from simulator.observability.outcome import Outcome
from simulator.protocols.bounded import BoundedStore
from simulator.stores.durable import Durable, Put

__all__ = [
    "Delivered",
    "Answered",
    "DataPart",
    "DeliveryStore",
    "Outboxes",
    "Filter",
    "KEPT",
    "KEPT_BYTES",
    "KIND",
    "BODIES",
    "render_message_list",
    "shs_time",
]

KIND = "shs.outbox"  # the durable messages' labels and state, by "<outbox>/<tx.id>"
BODIES = "shs.outbox.body"  # their bodies apart: a listing reads none of them

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
    size: int | None = None  # the body's length, when the body is not read (a durable message listed)
    on_ack: Callable[[], Awaitable[None]] | None = None  # what else an acknowledgement ends


@dataclass(frozen=True)
class Answered:
    """The reply already made to an asynchronous question, for a resend of its tx.id."""

    reply: Delivered
    outcome: Outcome | None  # the question's: a resend is journaled as its replay


@dataclass(frozen=True)
class Filter:
    product_id: str | None = None
    status: str | None = None
    unacknowledged: bool = False
    corr_id: str | None = None
    content_id: str | None = None
    max_hits: int = 200

    def passes(self, m: Delivered) -> bool:
        return not (
            (self.unacknowledged and m.acknowledged)
            or (self.product_id is not None and m.product_id != self.product_id)
            or (self.status is not None and m.status != self.status)
            or (self.corr_id is not None and m.corr_id != self.corr_id)
            or (self.content_id is not None and m.content_id != self.content_id)
        )


def shs_time(at: datetime) -> str:
    """SHS writes local time without an offset (2013-06-17T14:57:20)."""
    return at.replace(tzinfo=None).isoformat(timespec="seconds")


class DeliveryStore:
    def __init__(self, kept: int = KEPT, kept_bytes: int = KEPT_BYTES) -> None:
        self._messages: BoundedStore[tuple[str, str], Delivered] = BoundedStore(
            kept, kept_bytes, lambda m: len(m.body)
        )
        # the reply to each question (and the question's outcome), by the question's tx.id: a
        # resent question is a duplicate
        self._answered: BoundedStore[tuple[str, str], tuple[str, Outcome | None]] = BoundedStore(
            kept, kept, lambda _: 1
        )

    def put(
        self, message: Delivered, question_tx_id: str | None = None, outcome: Outcome | None = None
    ) -> None:
        self._messages.put((message.outbox, message.tx_id), message)
        if question_tx_id is not None:
            self._answered.put((message.outbox, question_tx_id), (message.tx_id, outcome))

    def reply_to(self, outbox: str, question_tx_id: str) -> Answered | None:
        """The reply already made to the question ``question_tx_id`` from ``outbox``, if any."""
        answered = self._answered.get((outbox, question_tx_id))
        if answered is None:
            return None
        reply = self.get(outbox, answered[0])
        return None if reply is None else Answered(reply, answered[1])

    def get(self, outbox: str, tx_id: str) -> Delivered | None:
        return self._messages.get((outbox, tx_id))

    def list(self, outbox: str, f: Filter) -> list[Delivered]:
        """The outbox's messages that pass ``f``, oldest first, at most ``f.max_hits``."""
        found = []
        for m in self._messages.values():
            if m.outbox != outbox or not f.passes(m):
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


AckHook = Callable[[dict[str, Any]], Awaitable[None]]


class Outboxes:
    """The delivery service's outboxes: the online replies in memory, the messages other
    services deliver (``keep``) in the durable store."""

    def __init__(self, durable: Callable[[], Durable]) -> None:
        self.memory = DeliveryStore()
        self._durable = durable
        self._hooks: dict[str, AckHook] = {}

    # the online replies (memory)
    def put(
        self, message: Delivered, question_tx_id: str | None = None, outcome: Outcome | None = None
    ) -> None:
        """``outcome``: the question's, for the journal of a resend."""
        self.memory.put(message, question_tx_id, outcome)

    def reply_to(self, outbox: str, question_tx_id: str) -> Answered | None:
        return self.memory.reply_to(outbox, question_tx_id)

    # the durable messages
    def on_ack(self, name: str, hook: AckHook) -> None:
        """``hook(args)`` is awaited when a message kept with ``on_ack=(name, args)`` is acknowledged."""
        self._hooks[name] = hook

    async def keep(self, message: Delivered, on_ack: tuple[str, dict[str, Any]] | None = None) -> bool:
        """``message`` kept durably, once: a message of the same outbox and tx.id already
        there stays as it is (acknowledged or not). True when it is new."""
        doc = {
            **asdict(message),
            "on_ack": None,
            "body": None,
            "size": len(message.body),
            "arrived": message.arrived.isoformat(),
            "ack_hook": list(on_ack) if on_ack else None,
        }
        key = f"{message.outbox}/{message.tx_id}"
        body = {"body": base64.b64encode(message.body).decode("ascii")}
        return await self._durable().write_if(KIND, key, None, [Put(KIND, key, doc), Put(BODIES, key, body)])

    async def get(self, outbox: str, tx_id: str) -> Delivered | None:
        found = self.memory.get(outbox, tx_id)
        if found is None:
            durable = self._durable()
            doc = await durable.get(KIND, f"{outbox}/{tx_id}")
            body = None if doc is None else await durable.get(BODIES, f"{outbox}/{tx_id}")
            found = None if doc is None or body is None else _delivered(doc, base64.b64decode(body["body"]))
        return found

    async def list(self, outbox: str, f: Filter) -> list[Delivered]:
        """Both kinds, oldest first, at most ``f.max_hits``."""
        kept = [
            _delivered(doc) for _, doc in await self._durable().all(KIND, f"{outbox}/")
        ]  # bodies not read
        found = self.memory.list(outbox, f) + [m for m in kept if f.passes(m)]
        return sorted(found, key=lambda m: m.arrived)[: f.max_hits]

    async def acknowledge(self, outbox: str, tx_id: str) -> bool:
        """Marks the message acknowledged and runs what else its acknowledgement ends."""
        message = self.memory.get(outbox, tx_id)
        if message is not None:
            self.memory.acknowledge(outbox, tx_id)
            if message.on_ack is not None:
                await message.on_ack()
            return True
        durable = self._durable()
        doc = await durable.get(KIND, f"{outbox}/{tx_id}")
        if doc is None:
            return False
        if not doc["acknowledged"]:
            await durable.write([Put(KIND, f"{outbox}/{tx_id}", {**doc, "acknowledged": True})])
        if doc[
            "ack_hook"
        ]:  # again on a second ack: the hook's work is idempotent, and may have been cut short
            name, args = doc["ack_hook"]
            await self._hooks[name](args)
        return True


def _delivered(doc: dict[str, Any], body: bytes | None = None) -> Delivered:
    """A durable message; without ``body`` for a listing (``size`` stands for it)."""
    fields = {k: v for k, v in doc.items() if k not in ("ack_hook", "on_ack", "size")}
    return Delivered(
        **{
            **fields,
            "arrived": datetime.fromisoformat(doc["arrived"]),
            "body": body or b"",
            "size": doc["size"],
            "data": tuple(DataPart(**d) for d in doc["data"]),
        }
    )


def render_message_list(messages: list[Delivered]) -> bytes:
    """An ``shs.message-list`` (SHS 1.2.01) of ``messages``."""
    root = etree.Element("shs.message-list", version="1.2")
    for m in messages:
        el = etree.SubElement(root, "message")
        el.set("tx.id", m.tx_id)
        el.set("timestamp", shs_time(m.arrived))
        el.set("corr.id", m.corr_id)
        el.set("content.id", m.content_id)
        el.set("size", str(m.size if m.size is not None else len(m.body)))
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
