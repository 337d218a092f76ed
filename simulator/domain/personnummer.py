"""Swedish personnummer and samordningsnummer: parsing, validation and construction.

Rules follow Folkbokföringslagen (1991:481) 18 § and 18 a § and Skatteverket's practice:

- Canonical form is 12 digits, YYYYMMDDNNNC; NNN is the serial (födelsenummer), C the
  Luhn check digit over the last ten digits without C (YYMMDDNNN).
- A samordningsnummer has 60 added to the day. Skatteverket also issues samordningsnummer
  whose birth date is only partly known: month ``00`` and/or day ``60`` (day ``00`` + 60);
  its official test data (allCoords.json) contains such numbers, so they are accepted.
  That data also holds samordningsnummer whose day lies past the end of its month (31
  April + 60); a partner using Skatteverket's official numbers must not be refused, so a
  samordningsnummer needs a month 00-12 and a day 00-31 only (the birth date is then the
  month's last day).
- In the 10-digit form the separator is ``-`` until the calendar year the person turns
  100 and ``+`` from that year on (18 § "det år en person fyller 100 år"), so the
  separator depends only on the birth year and the current year.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

__all__ = [
    "InvalidPersonnummer",
    "Personnummer",
    "is_valid",
    "luhn_check_digit",
    "make_personnummer",
]

# [0-9] rather than \d: \d would also accept non-ASCII digits such as "١".
_TWELVE = re.compile(r"([0-9]{8})-?([0-9]{4})")
_TEN = re.compile(r"([0-9]{6})([-+]?)([0-9]{4})")

_MIN_YEAR = 1800
_SAMORDNING_OFFSET = 60


class InvalidPersonnummer(ValueError):
    """The text is not a valid personnummer or samordningsnummer."""


def luhn_check_digit(digits: str) -> int:
    """Return the Luhn check digit for ``digits`` (weights 2, 1, 2, 1, ... from the left).

    Starting with weight 2 on the leftmost digit is the standard Luhn rule for the odd
    number of digits used here (9 for both personnummer and organisationsnummer).
    """
    if not digits or not all(c in "0123456789" for c in digits):
        raise ValueError(f"expected a non-empty string of digits, got {digits!r}")
    total = 0
    for i, c in enumerate(digits):
        product = int(c) * (2 if i % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def _earliest_date(year: int, month: int, day_part: int) -> date:
    """The birth date encoded by the parts (earliest possible one if partly unknown).

    Raises ValueError when the parts cannot be a date.
    """
    samordning = day_part >= _SAMORDNING_OFFSET
    day = day_part - _SAMORDNING_OFFSET if samordning else day_part
    if samordning:
        # Partly unknown or loosely given date, only allowed for samordningsnummer.
        # (The caller has already refused day parts above 91.)
        if month > 12:
            raise ValueError(f"month {month:02d} does not exist")
        month = month or 1
        last_day = calendar.monthrange(year, month)[1]
        return date(year, month, min(day or 1, last_day))
    return date(year, month, day)


@lru_cache(maxsize=8192)  # the same numbers are asked about again and again
def _check_canonical(value: str, text: str | None = None) -> date:
    """Validate 12 canonical digits except for the date-not-in-the-future rule.

    ``text`` is the input as given, for error messages. Returns the (earliest
    possible) birth date.
    """
    shown = repr(value if text is None else text)
    if len(value) != 12 or not all(c in "0123456789" for c in value):
        raise InvalidPersonnummer(f"{shown}: expected 12 digits YYYYMMDDNNNC")
    year, month, day_part = int(value[:4]), int(value[4:6]), int(value[6:8])
    if year < _MIN_YEAR:
        raise InvalidPersonnummer(f"{shown}: year {year} is before {_MIN_YEAR}")
    if day_part > 31 + _SAMORDNING_OFFSET:
        raise InvalidPersonnummer(f"{shown}: day part {day_part:02d} is above 91")
    try:
        born = _earliest_date(year, month, day_part)
    except ValueError as exc:
        raise InvalidPersonnummer(f"{shown}: {value[:8]} is not a valid date ({exc})") from None
    expected = luhn_check_digit(value[2:11])
    if int(value[11]) != expected:
        raise InvalidPersonnummer(f"{shown}: wrong check digit {value[11]}, expected {expected}")
    return born


@dataclass(frozen=True, slots=True)
class Personnummer:
    """A valid personnummer or samordningsnummer; ``value`` is its 12 canonical digits."""

    value: str

    def __post_init__(self) -> None:
        # Keep the invariant even when constructed directly; the future-date rule
        # needs a reference day and is therefore only checked by parse().
        _check_canonical(self.value)

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, text: str, today: date) -> Personnummer:
        """Parse the 12- or 10-digit forms; ``today`` resolves centuries and future dates."""
        if not isinstance(text, str):
            raise TypeError(f"expected str, got {type(text).__name__}")
        s = text.strip()
        if m := _TWELVE.fullmatch(s):
            value = m[1] + m[2]
        elif m := _TEN.fullmatch(s):
            value = _with_century(m[1], m[2], m[3], today)
        else:
            raise InvalidPersonnummer(
                f"{text!r}: expected YYYYMMDDNNNC, YYYYMMDD-NNNC, YYMMDDNNNC, YYMMDD-NNNC or YYMMDD+NNNC"
            )
        born = _check_canonical(value, text)
        if born > today:
            raise InvalidPersonnummer(f"{text!r}: birth date {born.isoformat()} is after {today.isoformat()}")
        return cls(value)

    @property
    def is_samordningsnummer(self) -> bool:
        """True for a samordningsnummer (day part 60-91; 60 means day unknown)."""
        return int(self.value[6:8]) >= _SAMORDNING_OFFSET

    @property
    def birth_date(self) -> date:
        """Birth date (samordningsnummer: day minus 60).

        For a samordningsnummer with month 00 or day 60 (unknown), the earliest date
        consistent with the number: unknown month -> January, unknown day -> the 1st.
        """
        return _earliest_date(int(self.value[:4]), int(self.value[4:6]), int(self.value[6:8]))

    @property
    def is_female(self) -> bool:
        """True when the second-to-last digit is even."""
        return int(self.value[10]) % 2 == 0

    def ten_digit(self, today: date) -> str:
        """YYMMDD-NNNC, or YYMMDD+NNNC from the calendar year the person turns 100."""
        sep = "+" if today.year - int(self.value[:4]) >= 100 else "-"
        return f"{self.value[2:8]}{sep}{self.value[8:]}"


def _with_century(yymmdd: str, sep: str, nnnc: str, today: date) -> str:
    """Add the century to a 10-digit form (see the module docstring for the rule)."""
    yy = int(yymmdd[:2])
    # The unique year ending in yy within [today.year - 99, today.year].
    year = today.year - (today.year - yy) % 100
    if sep == "+":
        year -= 100  # now within [today.year - 199, today.year - 100]
    return f"{year:04d}{yymmdd[2:]}{nnnc}"


def make_personnummer(birth_date: date, serial: int, samordningsnummer: bool = False) -> Personnummer:
    """Build a valid number from a birth date and a serial 0-999 (check digit computed)."""
    if not 0 <= serial <= 999:
        raise ValueError(f"serial must be 0-999, got {serial}")
    if birth_date.year < _MIN_YEAR:
        raise ValueError(f"birth year must be {_MIN_YEAR} or later, got {birth_date.year}")
    day = birth_date.day + (_SAMORDNING_OFFSET if samordningsnummer else 0)
    body = f"{birth_date.year:04d}{birth_date.month:02d}{day:02d}{serial:03d}"
    return Personnummer(body + str(luhn_check_digit(body[2:])))


def is_valid(text: str, today: date) -> bool:
    """True when ``Personnummer.parse(text, today)`` succeeds."""
    try:
        Personnummer.parse(text, today)
    except InvalidPersonnummer:
        return False
    return True
