"""The request journal: the latest binding exchanges, bounded, for QA to read and verify.

A ring buffer (``collections.deque``): the oldest entry goes when it is full. Size 0
switches it off (load runs). Recording keeps the finished exchange as it is; its
``JournalEntry`` is made when the journal is read (most entries never are), so that every
request pays for a reference, not for a copy of seventeen fields. Bodies are kept up to ``BODY_LIMIT`` bytes each: FK's
questions and answers are a few kilobytes, so a full journal of them holds tens of
megabytes; at worst (every body 16 KiB or more) the default 5,000 entries hold 160 MiB.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from simulator.observability.exchange import Exchange
from simulator.observability.outcome import Outcome

__all__ = ["Journal", "JournalEntry", "JournalFilter", "DEFAULT_SIZE", "BODY_LIMIT"]

DEFAULT_SIZE = 5000
BODY_LIMIT = 16 * 1024


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    id: str  # correlation id
    at: datetime  # simulator clock
    wall: datetime  # real time, UTC
    binding: str
    method: str
    path: str
    organisation: str | None
    personnummer: str | None
    benefits: tuple[str, ...]
    outcome: Outcome
    status: int
    duration_ms: float
    fault_rule: str | None
    sla_breach: str | None  # the SLA rule broken (also when served, in record mode)
    request_body: bytes  # cut at BODY_LIMIT; decoded only when read (most entries never are)
    response_body: bytes

    @property
    def request(self) -> str:
        """The request body as text."""
        return _text(self.request_body)

    @property
    def response(self) -> str:
        return _text(self.response_body)

    def as_json(self, bodies: bool = True) -> dict[str, Any]:
        data = asdict(self)
        del data["request_body"], data["response_body"]
        data["at"] = self.at.isoformat()
        data["wall"] = self.wall.isoformat()
        data["benefits"] = list(self.benefits)
        data["outcome"] = str(self.outcome)
        if bodies:
            data["request"], data["response"] = self.request, self.response
        return data


@dataclass(frozen=True, slots=True)
class JournalFilter:
    """Every field left None matches anything. ``outcome`` matches exactly or as a
    prefix before ':' (``business`` matches ``business:3``); times are simulator time."""

    organisation: str | None = None
    binding: str | None = None
    personnummer: str | None = None
    outcome: str | None = None
    path: str | None = None
    fault_rule: str | None = None
    sla_breach: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, e: JournalEntry) -> bool:
        if self.organisation is not None and e.organisation != self.organisation:
            return False
        if self.binding is not None and e.binding != self.binding:
            return False
        if self.personnummer is not None and e.personnummer != self.personnummer:
            return False
        if self.outcome is not None and not e.outcome.matches(self.outcome):
            return False
        if self.path is not None and e.path != self.path:
            return False
        if self.fault_rule is not None and e.fault_rule != self.fault_rule:
            return False
        if (
            self.sla_breach is not None
            and e.sla_breach != self.sla_breach
            and not (self.sla_breach == "any" and e.sla_breach)
        ):
            return False
        if self.since is not None and e.at < self.since:
            return False
        if self.until is not None and e.at > self.until:
            return False
        return True


class _Recorded:
    """One recorded exchange; its entry is made on the first read."""

    __slots__ = ("seq", "wall", "exchange", "entry")

    def __init__(self, seq: int, wall: float, exchange: Exchange) -> None:
        self.seq, self.wall, self.exchange = seq, wall, exchange
        self.entry: JournalEntry | None = None

    def read(self) -> JournalEntry:
        if self.entry is None:
            exchange = self.exchange
            self.entry = JournalEntry(
                seq=self.seq,
                id=exchange.id,
                at=exchange.at,
                wall=datetime.fromtimestamp(self.wall, UTC),
                binding=exchange.binding or "",
                method=exchange.method,
                path=exchange.path,
                organisation=exchange.organisation,
                personnummer=exchange.personnummer,
                benefits=exchange.benefits,
                outcome=exchange.outcome or Outcome.closed(),
                status=exchange.status,
                duration_ms=round(exchange.duration * 1000, 3),
                fault_rule=exchange.fault_rule,
                sla_breach=exchange.sla_breach,
                request_body=_cut(exchange.request_body),
                response_body=_cut(exchange.response_body),
            )
            del self.exchange  # the entry holds what is kept; the exchange may go
        return self.entry


class Journal:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._entries: deque[_Recorded] = deque(maxlen=max(size, 0))
        self._seq = itertools.count(1)
        self._lock = threading.Lock()  # the pytest fixture's admin client reads from another thread

    @property
    def size(self) -> int:
        return self._entries.maxlen or 0

    def resize(self, size: int) -> None:
        with self._lock:
            self._entries = deque(self._entries, maxlen=max(size, 0))

    def record(self, exchange: Exchange, wall: float) -> None:
        """``exchange``: finished (nothing the journal keeps changes after this);
        ``wall``: real time, seconds since the epoch."""
        if self._entries.maxlen:
            recorded = _Recorded(next(self._seq), wall, exchange)
            with self._lock:
                self._entries.append(recorded)

    def _snapshot(self) -> list[JournalEntry]:
        with self._lock:
            return [r.read() for r in self._entries]

    def entries(self, where: JournalFilter = JournalFilter(), limit: int | None = None) -> list[JournalEntry]:
        """Matching entries, newest first."""
        found = (e for e in reversed(self._snapshot()) if where.matches(e))
        return list(itertools.islice(found, limit) if limit is not None else found)

    def count(self, where: JournalFilter = JournalFilter()) -> int:
        return sum(1 for e in self._snapshot() if where.matches(e))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _cut(body: bytes) -> bytes:
    """The body as kept: at most one byte over the limit, which tells that it was cut
    (a body within the limit is kept as it is, not copied)."""
    return body[: BODY_LIMIT + 1]


def _text(body: bytes) -> str:
    if len(body) > BODY_LIMIT:
        return body[:BODY_LIMIT].decode("utf-8", errors="replace") + "…"
    return body.decode("utf-8", errors="replace")
