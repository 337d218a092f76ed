"""Opening hours by the simulator clock, in two profiles (SPEC §4, seed sla-lefi-online-leka).

``sla`` (today's SLA): onlinefråga and LEKA all days 00:00-24:00 except the service
window (usually Saturday 16:00 to Sunday 13:00) and, when switched on, urgent windows on
weekdays 00:00-06:00; massfråga Mon-Fri 07:00-21:30, Sat 07:30-16:00, Sun 13:00-21:30,
the day before a holiday 07:00-16:30, closed on holidays, Midsommarafton, Julafton and
Nyårsafton.

``classic`` (the 2013 documents): onlinefråga weekdays 07:00-21:30, Sat 07:30-16:00,
Sun 13:00-21:30, the day before a red day 07:00-16:30, red days closed; massfråga
(äldreomsorg) weekdays 07:00-24:00, the day before a red day 16:30-24:00.

Holidays come from the ``holidays`` library: public holidays (red days) and, for the sla
profile, its de facto holidays (Midsommarafton, Julafton, Nyårsafton).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from simulator.scenario.models import Channel, SlaProfile, SlaSettings, Window

__all__ = ["OpeningHours", "Closed"]

Span = tuple[time, time]  # [start, end); time.max stands for 24:00
_END = time.max
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAGAR = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")


class Closed(Exception):
    """The channel is closed now; ``until`` is when it opens again, ``reason`` why."""

    def __init__(self, reason: str, until: datetime) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


@lru_cache(maxsize=32)
def _holidays(year: int, de_facto: bool) -> dict[date, str]:
    categories = ("public", "de_facto") if de_facto else ("public",)
    return dict(holidays.Sweden(years=year, include_sundays=False, categories=categories, language="sv"))


def holiday(day: date, de_facto: bool) -> str | None:
    return _holidays(day.year, de_facto).get(day)


def _t(text: str) -> time:
    return _END if text == "24:00" else time.fromisoformat(text)


def _spans(*pairs: str) -> tuple[Span, ...]:
    return tuple((_t(a), _t(b)) for a, b in (p.split("-") for p in pairs))


# per profile and channel: (weekday spans Mon..Sun, day before a holiday, holiday)
_WEEK = tuple[tuple[Span, ...], ...]
_SCHEDULES: dict[tuple[str, str], tuple[_WEEK, tuple[Span, ...], tuple[Span, ...], bool]] = {
    # (weekdays, day before a holiday, holiday, de facto holidays count)
    (SlaProfile.SLA, Channel.ONLINE): (
        (_spans("00:00-24:00"),) * 7,
        _spans("00:00-24:00"),
        _spans("00:00-24:00"),
        False,
    ),
    (SlaProfile.SLA, Channel.MASSFRAGA): (
        (_spans("07:00-21:30"),) * 5 + (_spans("07:30-16:00"), _spans("13:00-21:30")),
        _spans("07:00-16:30"),
        (),
        True,
    ),
    (SlaProfile.CLASSIC, Channel.ONLINE): (
        (_spans("07:00-21:30"),) * 5 + (_spans("07:30-16:00"), _spans("13:00-21:30")),
        _spans("07:00-16:30"),
        (),
        False,
    ),
    (SlaProfile.CLASSIC, Channel.MASSFRAGA): (
        (_spans("07:00-24:00"),) * 5 + ((), ()),
        _spans("16:30-24:00"),
        (),
        False,
    ),
}


class OpeningHours:
    def __init__(self, settings: SlaSettings) -> None:
        self.profile = settings.profile
        self.windows = settings.service_windows if settings.profile is SlaProfile.SLA else ()
        self.urgent = settings.urgent_windows and settings.profile is SlaProfile.SLA
        self._next: dict[tuple[str, datetime], datetime] = {}  # closed minutes are asked for often

    def check(self, channel: Channel, now: datetime) -> None:
        """Raises ``Closed`` when ``channel`` is closed at ``now`` (simulator time)."""
        reason = self._closed_because(channel, now)
        if reason is not None:
            raise Closed(reason, self.next_open(channel, now))

    def is_open(self, channel: Channel, now: datetime) -> bool:
        return self._closed_because(channel, now) is None

    def next_open(self, channel: Channel, now: datetime) -> datetime:
        """The first minute from ``now`` on when the channel is open (at most 14 days on)."""
        start = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        cached = self._next.get((channel, start))
        if cached is not None:
            return cached
        # stepped in UTC, so that no minute is skipped or repeated at a DST change
        t, limit = start.astimezone(UTC), start.astimezone(UTC) + timedelta(days=14)
        while t < limit and self._closed_because(channel, t.astimezone(start.tzinfo)) is not None:
            t += timedelta(minutes=1)
        t = t.astimezone(start.tzinfo)
        if len(self._next) > 10_000:
            self._next.clear()
        self._next[(channel, start)] = t
        return t

    def _closed_because(self, channel: Channel, now: datetime) -> str | None:
        week, before, on_holiday, de_facto = _SCHEDULES[(self.profile, channel)]
        day, clock = now.date(), now.timetz().replace(tzinfo=None)
        name = holiday(day, de_facto)
        if name is not None:
            spans, why = on_holiday, f"stängt {name}"
        else:
            tomorrow = holiday(day + timedelta(days=1), de_facto)
            # (choice) a weekend day before a holiday keeps its weekend hours
            if tomorrow is not None and day.weekday() < 5 and before != week[day.weekday()]:
                spans, why = before, f"dag före {tomorrow}"
            else:
                spans, why = week[day.weekday()], _DAGAR[day.weekday()]
        if not any(a <= clock < b or (b == _END and clock >= a) for a, b in spans):
            return f"{channel} är stängd ({self.profile}: {why}, öppet {_describe(spans)})"
        for w in self.windows:
            if _in_window(w, now):
                return f"servicefönster {w.from_}–{w.to}"
        if self.urgent and day.weekday() < 5 and clock < time(6, 0):
            return "akut servicefönster vardagar 00:00–06:00"
        return None


def _describe(spans: tuple[Span, ...]) -> str:
    if not spans:
        return "ingen tid"
    return ", ".join(f"{a:%H:%M}–{'24:00' if b == _END else f'{b:%H:%M}'}" for a, b in spans)


def _minute_of_week(text: str) -> int:
    day, hhmm = text.split()
    h, m = hhmm.split(":")
    return _DAYS.index(day) * 1440 + int(h) * 60 + int(m)


def _in_window(window: Window, now: datetime) -> bool:
    start, end = _minute_of_week(window.from_), _minute_of_week(window.to)
    at = now.weekday() * 1440 + now.hour * 60 + now.minute
    return start <= at < end if start <= end else at >= start or at < end
