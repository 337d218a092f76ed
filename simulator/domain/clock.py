"""The simulator's one clock.

Every rule that depends on "today" (no date after today, payment windows, history
limits, opening hours) reads this object, never ``datetime.now()``, so that tests and
the admin API can set, move or freeze time. The SLA's traffic limits read its SLA time
(``sla_ms``): real time plus every forward move, so that a frozen clock does not stop them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["Clock", "STOCKHOLM"]

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MIN_YEAR, MAX_YEAR = 1900, 9000


@dataclass
class Clock:
    """A clock that runs from a chosen start time, or stands still when frozen.

    Without a start it follows real time. ``wall`` (real time, for ``sla_ms``) is
    injected so that tests of the SLA need not sleep.
    """

    _anchor: datetime | None = None  # simulated time at _anchor_mono; None = real time
    _anchor_mono: float = field(default_factory=time.monotonic)
    frozen: bool = False
    wall: Callable[[], float] = time.time
    _moved_ms: int = 0  # the sum of every forward move (set, advance): SLA time jumps with them
    _sla_last: int = 0  # the last SLA time given: it never goes back

    @classmethod
    def starting_at(
        cls, start: datetime | None, frozen: bool = False, wall: Callable[[], float] = time.time
    ) -> Clock:
        clock = cls(wall=wall)
        if start is not None:
            clock.set(start)
        if frozen:
            if start is None:
                clock.freeze()
            else:
                clock.frozen = True  # exactly at start, not the microseconds after it
        clock._moved_ms = 0  # the start is no move
        return clock

    def now(self) -> datetime:
        """The simulated time, timezone-aware, in Europe/Stockholm."""
        if self._anchor is None:
            return datetime.now(STOCKHOLM)
        if self.frozen:
            return self._anchor
        # in UTC: wall-clock arithmetic in Europe/Stockholm would skip or repeat an hour at DST
        elapsed = timedelta(seconds=time.monotonic() - self._anchor_mono)
        return (self._anchor.astimezone(UTC) + elapsed).astimezone(STOCKHOLM)

    def sla_ms(self) -> int:
        """SLA time in ms: real time plus every forward move of this clock, never back.

        The SLA limits real traffic, so its windows and gaps pass while the clock stands
        still; a forward move (the admin API) passes them too, as it passes business time.
        A move back leaves it alone. Real time is the wall clock's, so that hosts sharing
        one Redis compare their times; workers apply the same moves (simulator/control/bus.py).
        """
        now = max(self._sla_last, int(self.wall() * 1000) + self._moved_ms)
        self._sla_last = now
        return now

    @property
    def following_real_time(self) -> bool:
        return self._anchor is None

    def today(self) -> date:
        return self.now().date()

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (naive times are taken as Swedish local time)."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=STOCKHOLM)
        if not MIN_YEAR <= when.year <= MAX_YEAR:
            # far enough for any test; near year 9999 the running clock would overflow
            raise ValueError(f"the clock keeps to the years {MIN_YEAR}-{MAX_YEAR}, not {when.year}")
        self._moved_forward(when)
        self._anchor = when.astimezone(STOCKHOLM)
        self._anchor_mono = time.monotonic()

    def advance(self, delta: timedelta) -> None:
        """Moves by ``delta`` of elapsed time (in UTC, so an hour is an hour across DST)."""
        try:
            moved = self.now().astimezone(UTC) + delta
        except OverflowError:
            raise ValueError(f"the clock keeps to the years {MIN_YEAR}-{MAX_YEAR}") from None
        self.set(moved)

    def freeze(self) -> None:
        self.set(self.now())
        self.frozen = True

    def unfreeze(self) -> None:
        self.set(self.now())
        self.frozen = False

    def follow_real_time(self) -> None:
        self._moved_forward(datetime.now(STOCKHOLM))
        self._anchor = None
        self.frozen = False

    def _moved_forward(self, when: datetime) -> None:
        moved = when - self.now()  # aware datetimes: the difference is elapsed time
        if moved > timedelta(0):
            # rounded up: a move to a retry time read to the ms (the µs cut off) still reaches it
            self._moved_ms += -(-moved // timedelta(milliseconds=1))
