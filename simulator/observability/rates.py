"""Recent traffic per organisation, second by second, for the QA dashboard's rates and chart.

Real (wall) time, not the simulator clock: a rate is about the load a partner puts on the
sandbox now, whether the simulator clock is frozen, moved or running. Only the last
``KEEP_SECONDS`` are kept, one small tally per second and organisation, so the memory
stays bounded under any load. Each worker keeps its own (like its journal).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

from simulator.observability.exchange import Exchange

__all__ = ["RecentTraffic", "Tally", "KEEP_SECONDS"]

KEEP_SECONDS = 15 * 60


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0  # not answered: technical errors, faults, refusals, SLA (business errors are answers)
    sla_breaches: int = 0
    duration_ms: float = 0.0  # summed, for a mean

    def add(self, other: Tally) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.sla_breaches += other.sla_breaches
        self.duration_ms += other.duration_ms

    def as_json(self) -> dict[str, float | int]:
        mean = self.duration_ms / self.requests if self.requests else 0.0
        return {
            "requests": self.requests,
            "errors": self.errors,
            "sla_breaches": self.sla_breaches,
            "mean_ms": round(mean, 3),
        }


class RecentTraffic:
    def __init__(self) -> None:
        self._seconds: dict[int, dict[str, Tally]] = {}
        self._lock = threading.Lock()  # the pytest fixture's admin client reads from another thread

    def record(self, exchange: Exchange, organisation: str, wall: float) -> None:
        """``organisation``: its metrics label (only the scenario's own, else "unknown")."""
        second = int(wall)
        with self._lock:
            per_org = self._seconds.get(second)
            if per_org is None:
                per_org = self._seconds[second] = defaultdict(Tally)
                for old in [s for s in self._seconds if s <= second - KEEP_SECONDS]:
                    del self._seconds[old]
            t = per_org[organisation]
            t.requests += 1
            t.errors += exchange.outcome is None or exchange.outcome.is_error
            t.sla_breaches += exchange.sla_breach is not None
            t.duration_ms += exchange.duration * 1000

    def series(self, now: float, seconds: int, step: int) -> dict[str, list[Tally]]:
        """Per organisation, ``seconds // step`` tallies of ``step`` seconds each, oldest
        first, the last ending at ``now``."""
        points = max(seconds // step, 1)
        end = int(now) + 1
        start = end - points * step
        out: dict[str, list[Tally]] = {}
        with self._lock:
            for second, per_org in self._seconds.items():
                if not start <= second < end:
                    continue
                index = (second - start) // step
                for org, tally in per_org.items():
                    out.setdefault(org, [Tally() for _ in range(points)])[index].add(tally)
        return out

    def clear(self) -> None:
        with self._lock:
            self._seconds.clear()
