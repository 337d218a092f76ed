"""Where the SLA gate keeps its counts: in the process, or in Redis for several workers.

One operation does the whole check atomically — in flight, the gap since the last
answer, and the second/minute/hour windows — and records an admitted question, so that
two workers (or two hosts) can never both admit the question that breaks a limit. Times
are SLA time (``Clock.sla_ms``: real time plus the clock's forward moves), in milliseconds;
the windows slide (a log of question times). A refused question is told every rule it
breaks and the latest of their clearing times: the earliest time it would be admitted.
"""

from __future__ import annotations

import bisect
import itertools
import os
import threading
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "Limits",
    "SLA_DEFAULTS",
    "Verdict",
    "CounterStore",
    "MemoryCounters",
    "RedisCounters",
    "WINDOWS",
    "RULES",
    "StoreUnavailable",
]

# rule name, window length in ms, the Limits field that bounds it
WINDOWS = (("per_second", 1_000), ("per_minute", 60_000), ("per_hour", 3_600_000))
IN_FLIGHT_TTL_S = 300  # a worker that dies with questions in flight frees them after this


class StoreUnavailable(Exception):
    """The shared store cannot be reached (Redis down, timed out)."""


@dataclass(frozen=True, slots=True)
class Limits:
    per_second: int
    per_minute: int
    per_hour: int
    min_gap_ms: int
    max_in_flight: int


# SLA §3.4: onlinefråga and LEKA; massfråga. Here, beside Limits and free of the rest of
# the simulator, so that load generators (loadtests/locustfile.py) pace by the same numbers.
SLA_DEFAULTS = {
    "online": Limits(per_second=1, per_minute=60, per_hour=3600, min_gap_ms=300, max_in_flight=1),
    "massfraga": Limits(per_second=2, per_minute=120, per_hour=7200, min_gap_ms=300, max_in_flight=5),
}


# the rules in the order they are checked and named
RULES = ("max_in_flight", "min_gap", *(rule for rule, _ in WINDOWS))


@dataclass(frozen=True, slots=True)
class Verdict:
    """The rules broken, in ``RULES`` order (none: admitted), and the ms until the last
    of them clears: the earliest a retry is admitted."""

    rules: tuple[str, ...] = ()
    retry_ms: int = 0

    @property
    def admitted(self) -> bool:
        return not self.rules

    @property
    def rule(self) -> str | None:
        """The first rule broken, in the order a partner can act on: threads, gap, rates."""
        return self.rules[0] if self.rules else None


def _verdict(broken: list[tuple[str, int]]) -> Verdict:
    """The one place where the rules a question breaks become one refusal: every one
    named, the retry when the last of them clears."""
    broken.sort(key=lambda b: RULES.index(b[0]))
    return Verdict(tuple(rule for rule, _ in broken), max((ms for _, ms in broken), default=0))


class CounterStore(Protocol):
    async def admit(self, key: str, now_ms: int, limits: Limits, record_anyway: bool) -> Verdict: ...

    async def release(self, key: str, now_ms: int) -> None: ...

    async def clear(self) -> None: ...

    async def close(self) -> None: ...


@dataclass
class _State:
    log: list[int] = field(default_factory=list)  # question times, sorted (the clock may move back)
    in_flight: int = 0
    last_answer: int | None = None


class MemoryCounters:
    """In-process counts: right for one worker (the default)."""

    def __init__(self) -> None:
        self._states: dict[str, _State] = {}
        self._lock = threading.Lock()

    async def admit(self, key: str, now_ms: int, limits: Limits, record_anyway: bool) -> Verdict:
        with self._lock:
            st = self._states.setdefault(key, _State())
            del st.log[
                : bisect.bisect_right(st.log, now_ms - WINDOWS[-1][1])
            ]  # older than the longest window
            verdict = _judge(st, now_ms, limits)
            if verdict.admitted or record_anyway:
                bisect.insort(st.log, now_ms)
                st.in_flight += 1
            return verdict

    async def release(self, key: str, now_ms: int) -> None:
        with self._lock:
            st = self._states.setdefault(key, _State())
            st.in_flight = max(0, st.in_flight - 1)
            st.last_answer = now_ms

    async def clear(self) -> None:
        with self._lock:
            self._states.clear()

    async def close(self) -> None:
        return None


def _judge(st: _State, now: int, limits: Limits) -> Verdict:
    """Every rule broken, each with the ms until it clears."""
    broken: list[tuple[str, int]] = []
    if st.in_flight >= limits.max_in_flight:
        broken.append(("max_in_flight", limits.min_gap_ms))  # a guess: the answer comes, then the gap
    if st.last_answer is not None and 0 <= now - st.last_answer < limits.min_gap_ms:
        broken.append(("min_gap", limits.min_gap_ms - (now - st.last_answer)))
    end = bisect.bisect_right(st.log, now)
    for rule, window in WINDOWS:
        start = bisect.bisect_right(st.log, now - window)
        limit = getattr(limits, rule)
        if end - start >= limit:
            # the question whose leaving the window makes room again
            broken.append((rule, st.log[end - limit] + window - now))
    return _verdict(broken)


# The same judgement in Redis, in one script so that it is atomic across workers.
_ADMIT = """
local log, inflight, last = KEYS[1], KEYS[2], KEYS[3]
local now = tonumber(ARGV[1])
local ps, pm, ph = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local gap, maxf = tonumber(ARGV[5]), tonumber(ARGV[6])
local member, record_anyway, ttl = ARGV[7], ARGV[8], tonumber(ARGV[9])
redis.call('ZREMRANGEBYSCORE', log, '-inf', now - 3600000)
local broken = {}  -- rule, ms until it clears, rule, ms, ...
local inf = tonumber(redis.call('GET', inflight) or '0')
local l = redis.call('GET', last)
if inf >= maxf then
  table.insert(broken, 'max_in_flight'); table.insert(broken, gap)
end
if l and now - tonumber(l) >= 0 and now - tonumber(l) < gap then
  table.insert(broken, 'min_gap'); table.insert(broken, gap - (now - tonumber(l)))
end
local windows = {{'per_second', 1000, ps}, {'per_minute', 60000, pm}, {'per_hour', 3600000, ph}}
for _, w in ipairs(windows) do
  local count = redis.call('ZCOUNT', log, now - w[2] + 1, now)
  if count >= w[3] then
    -- the question whose leaving the window makes room again (fetched alone: the log may be long)
    local e = redis.call('ZRANGEBYSCORE', log, now - w[2] + 1, now, 'WITHSCORES', 'LIMIT', count - w[3], 1)
    table.insert(broken, w[1]); table.insert(broken, tonumber(e[2]) + w[2] - now)
  end
end
if #broken == 0 or record_anyway == '1' then
  redis.call('ZADD', log, now, member)
  redis.call('PEXPIRE', log, 3600000 + ttl * 1000)
  redis.call('INCR', inflight)
  redis.call('EXPIRE', inflight, ttl)
end
return broken
"""

_RELEASE = """
local inflight, last = KEYS[1], KEYS[2]
local n = tonumber(redis.call('GET', inflight) or '0')
if n > 0 then redis.call('DECR', inflight) end
redis.call('SET', last, ARGV[1], 'EX', 3600)
return 0
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisCounters:
    """Counts in Redis: one limit per organisation for every worker and host using it.
    Every key expires, so an abandoned sandbox leaves nothing behind for long."""

    def __init__(self, url: str, prefix: str = "lefi:sla") -> None:
        import redis.asyncio as redis  # only needed with --redis
        from redis.exceptions import RedisError

        self._errors = RedisError
        # short timeouts: a question must not wait long on the sandbox's own bookkeeping
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self._admit = self.client.register_script(_ADMIT)
        self._release = self.client.register_script(_RELEASE)
        self._ids = itertools.count()
        self._tag = f"{id(self):x}"

    def _keys(self, key: str) -> tuple[str, str, str]:
        base = f"{self.prefix}:{key}"
        return f"{base}:log", f"{base}:inflight", f"{base}:last"

    async def admit(self, key: str, now_ms: int, limits: Limits, record_anyway: bool) -> Verdict:
        member = f"{now_ms}:{os.getpid()}:{self._tag}:{next(self._ids)}"  # unique per question
        try:
            raw = await self._admit(
                keys=self._keys(key),
                args=[
                    now_ms,
                    limits.per_second,
                    limits.per_minute,
                    limits.per_hour,
                    limits.min_gap_ms,
                    limits.max_in_flight,
                    member,
                    "1" if record_anyway else "0",
                    IN_FLIGHT_TTL_S,
                ],
            )
        except (self._errors, OSError) as exc:
            raise StoreUnavailable(f"Redis: {exc}") from None
        return _verdict(
            [(_text(raw[i]), int(raw[i + 1])) for i in range(0, len(raw), 2)]  # the script's pairs
        )

    async def release(self, key: str, now_ms: int) -> None:
        _, inflight, last = self._keys(key)
        try:
            await self._release(keys=[inflight, last], args=[now_ms])
        except (self._errors, OSError) as exc:
            raise StoreUnavailable(f"Redis: {exc}") from None

    async def clear(self) -> None:
        async for name in self.client.scan_iter(match=f"{self.prefix}:*", count=1000):
            await self.client.delete(name)

    async def close(self) -> None:
        await self.client.aclose()
