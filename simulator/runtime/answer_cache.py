"""Rendered answers kept for questions asked again byte for byte.

Load tests and partners' polling ask the same question over and over; parsing, schema
validation, the rules and rendering give the same bytes every time within a scenario
generation and a simulator day. The key is the binding, the request's media type and
bytes, the scenario generation and the day; the organisation, person and benefits are in
the bytes. A hit still passes the SLA gate and the fault rules (``Sandbox.replay``) and
the journal, metrics and log (the middleware): only the work that gives the same bytes
is skipped. Only answers are kept (business errors too), never faults.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime

from simulator.observability.outcome import Outcome

__all__ = ["AnswerCache", "CachedAnswer", "DEFAULT_MAX_BYTES"]

DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # a few thousand 7 kB answers
Key = tuple[str, str, bytes, int, date, str | None]  # binding, media type, body, generation, day, certificate


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    organisation: str  # as the question gave them, for the SLA gate and the fault rules
    personnummer: str
    benefits: tuple[str, ...]
    outcome: Outcome  # ok or business
    body: bytes
    created: bytes  # the answer's creation time as written in ``body`` (skapades)
    created_at: datetime | None = None  # the same as a time: a frozen clock's answers need no text

    def body_at(self, now: datetime) -> bytes:
        """The body with its creation time moved to ``now`` (the clock runs within a day)."""
        if now is self.created_at:  # a frozen clock gives the same object every time
            return self.body
        stamp = now.isoformat(timespec="seconds").encode()
        if stamp == self.created:
            return self.body
        return self.body.replace(b">" + self.created + b"<", b">" + stamp + b"<", 1)


class AnswerCache:
    """Least recently used answers, bounded by their total size in bytes."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Key, CachedAnswer] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(
        binding: str, media_type: str, body: bytes, generation: int, day: date, certified: str | None = None
    ) -> Key:
        """``certified``: the client certificate's organisation (mutual TLS): the same
        question is another answer (business error 13) for another certificate."""
        return binding, media_type, body, generation, day, certified

    def get(self, key: Key) -> CachedAnswer | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: Key, entry: CachedAnswer) -> None:
        size = _size(key, entry)
        if size > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= _size(key, old)
        self._entries[key] = entry
        self._bytes += size
        while self._bytes > self.max_bytes:
            gone_key, gone = self._entries.popitem(last=False)
            self._bytes -= _size(gone_key, gone)

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


def _size(key: Key, entry: CachedAnswer) -> int:
    return len(entry.body) + len(key[2])
