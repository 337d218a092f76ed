"""LEFI Prenumeration's calendar, by the simulator clock (seed lefi-prenumeration-beskrivning).

- Intake of order files: working days (helgfri måndag-fredag) 08:00-17:30. An order that
  arrives outside those hours is kept and taken in at the next intake opening (choice: a
  file drop is a folder, and a file dropped at 17:45 simply waits there until the morning).
- A batch runs in the night to each delivery day (helgfri tisdag-lördag), at 01:00; it takes
  in every order of the working days before, and its information reaches the end of the day
  before. Its answer files are delivered from 07:00 (the window 07:00-10:00 is when FK
  delivers; a delivered file stays in ``out/`` until the partner takes it).
- So an order in before 17:30 on a working day is answered the next morning; holidays
  (and de facto holidays: Midsommarafton, Julafton, Nyårsafton) shift both intake and
  delivery to the next day they are open. Holidays come from ``simulator/runtime/sla/hours.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from simulator.domain.clock import STOCKHOLM
from simulator.runtime.sla.hours import holiday

__all__ = [
    "INTAKE_CLOSES",
    "BATCH_AT",
    "DELIVERY_OPENS",
    "is_working_day",
    "is_delivery_day",
    "intake_day",
    "next_delivery_day",
    "batch_time",
    "delivery_time",
]

INTAKE_CLOSES = time(17, 30)  # it opens at 08:00: an order before then waits for the same day's intake
BATCH_AT = time(1, 0)
DELIVERY_OPENS = time(7, 0)
_SEARCH_DAYS = 30  # no run of holidays in Sweden is that long


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and holiday(day, de_facto=True) is None


def is_delivery_day(day: date) -> bool:
    """Tuesday to Saturday, not a holiday."""
    return 1 <= day.weekday() <= 5 and holiday(day, de_facto=True) is None


def intake_day(at: datetime) -> date:
    """The working day whose intake an order arriving at ``at`` belongs to."""
    local = at.astimezone(STOCKHOLM)
    day = local.date()
    if is_working_day(day) and local.time() < INTAKE_CLOSES:
        return day
    return _next(day, is_working_day)


def next_delivery_day(after: date) -> date:
    """The first delivery day after ``after``: its batch answers the orders taken in up to ``after``."""
    return _next(after, is_delivery_day)


def batch_time(day: date) -> datetime:
    """When the batch of delivery day ``day`` runs: the night to it."""
    return datetime.combine(day, BATCH_AT, STOCKHOLM)


def delivery_time(day: date) -> datetime:
    return datetime.combine(day, DELIVERY_OPENS, STOCKHOLM)


def _next(day: date, accept: Callable[[date], bool]) -> date:
    for n in range(1, _SEARCH_DAYS + 1):
        candidate = day + timedelta(days=n)
        if accept(candidate):
            return candidate
    raise ValueError(f"no open day within {_SEARCH_DAYS} days after {day}")
