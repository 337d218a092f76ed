"""The request journal: the latest binding exchanges, bounded, for QA to read and verify.

A ring buffer (``collections.deque``): the oldest entry goes when it is full. Size 0
switches it off (load runs). Bodies are kept up to ``BODY_LIMIT`` bytes each (those of
a refused request, answered 400 or more, up to ``REFUSED_BODY_LIMIT``), and all of them
up to ``BYTES_LIMIT``: FK's questions and answers are a few kilobytes, so a full journal
of them holds tens of megabytes; hostile traffic holds about 20 MiB. What is kept is
taken from the exchange when it is recorded, as a plain tuple; its ``JournalEntry`` is made
when the journal is read (most entries never are): a frozen dataclass of seventeen fields
costs eight times the tuple, on every request.
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
PATH_LIMIT = 1024
REFUSED_BODY_LIMIT = 2 * 1024  # enough to see what was sent; hostile bodies are up to 1 MiB
BYTES_LIMIT = 32 * 1024 * 1024  # of all the entries' bodies


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
    request_body: bytes  # cut at its limit (_cut); decoded only when read (most entries never are)
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
    """One recorded exchange: JournalEntry's fields (``wall`` in seconds since the epoch,
    the duration in seconds); the entry is made on the first read."""

    __slots__ = ("fields", "entry", "body_bytes")

    def __init__(self, fields: tuple[Any, ...]) -> None:
        self.fields = fields
        self.entry: JournalEntry | None = None
        self.body_bytes = len(fields[-2]) + len(fields[-1])

    def read(self) -> JournalEntry:
        if self.entry is None:
            f = self.fields
            self.entry = JournalEntry(
                seq=f[0],
                id=f[1],
                at=f[2],
                wall=datetime.fromtimestamp(f[3], UTC),
                binding=f[4],
                method=f[5],
                path=f[6],
                organisation=f[7],
                personnummer=f[8],
                benefits=f[9],
                outcome=f[10],
                status=f[11],
                duration_ms=round(f[12] * 1000, 3),
                fault_rule=f[13],
                sla_breach=f[14],
                request_body=f[15],
                response_body=f[16],
            )
        return self.entry


class Journal:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._entries: deque[_Recorded] = deque(maxlen=max(size, 0))
        self._bytes = 0  # of the entries' bodies
        self._seq = itertools.count(1)
        self._lock = threading.Lock()  # the pytest fixture's admin client reads from another thread

    @property
    def size(self) -> int:
        return self._entries.maxlen or 0

    def resize(self, size: int) -> None:
        with self._lock:
            self._entries = deque(self._entries, maxlen=max(size, 0))
            self._bytes = sum(r.body_bytes for r in self._entries)

    def record(self, exchange: Exchange, wall: float) -> None:
        """``wall``: real time, seconds since the epoch."""
        if not self._entries.maxlen:
            return
        recorded = _Recorded(
            (  # in JournalEntry's order
                next(self._seq),
                exchange.id,
                exchange.at,
                wall,
                exchange.binding or "",
                exchange.method,
                exchange.path[:PATH_LIMIT],  # a path may be 64 KiB long (serving.MAX_REQUEST_LINE)
                exchange.organisation,
                exchange.personnummer,
                exchange.benefits,
                exchange.outcome or Outcome.closed(),
                exchange.status,
                exchange.duration,
                exchange.fault_rule,
                exchange.sla_breach,
                _cut(exchange.request_body, exchange.status),
                _cut(exchange.response_body, exchange.status),
            )
        )
        with self._lock:
            if len(self._entries) == self._entries.maxlen:
                self._bytes -= self._entries[0].body_bytes  # the one append drops
            self._entries.append(recorded)
            self._bytes += recorded.body_bytes
            while self._bytes > BYTES_LIMIT and len(self._entries) > 1:
                self._bytes -= self._entries.popleft().body_bytes

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
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


_CUT = "…".encode()


def _cut(body: bytes, status: int) -> bytes:
    """The body as kept: cut at its limit and marked so (a body within the limit is kept
    as it is, not copied)."""
    limit = REFUSED_BODY_LIMIT if status >= 400 else BODY_LIMIT
    return body if len(body) <= limit else body[:limit] + _CUT


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")
