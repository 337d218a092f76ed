"""Swedish organisationsnummer: parsing, validation and construction.

Ten digits NNNNNN-NNNC. The first digit is the legal-form group (2 = stat, kommun,
region; 5 = aktiebolag; ...); the third digit is at least 2 so that the "month" part is
20 or more and the number cannot be mistaken for a personnummer; C is the same Luhn
check digit as in a personnummer. The 12-digit form prefixes the century-like "16".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from simulator.domain.personnummer import luhn_check_digit

__all__ = ["InvalidOrgnummer", "Orgnummer", "canonical", "is_valid", "make_orgnummer"]

# [0-9] rather than \d: \d would also accept non-ASCII digits.
_FORM = re.compile(r"(?:16)?([0-9]{6})-?([0-9]{4})")


class InvalidOrgnummer(ValueError):
    """The text is not a valid organisationsnummer."""


@lru_cache(maxsize=8192)  # the same numbers are asked about again and again
def _check_canonical(value: str, text: str | None = None) -> None:
    """Validate 10 canonical digits; ``text`` is the input as given, for messages."""
    shown = repr(value if text is None else text)
    if len(value) != 10 or not all(c in "0123456789" for c in value):
        raise InvalidOrgnummer(f"{shown}: expected 10 digits NNNNNNNNNN")
    if int(value[2]) < 2:
        raise InvalidOrgnummer(
            f"{shown}: third digit must be 2 or more (got {value[2]}), otherwise it is a personnummer"
        )
    expected = luhn_check_digit(value[:9])
    if int(value[9]) != expected:
        raise InvalidOrgnummer(f"{shown}: wrong check digit {value[9]}, expected {expected}")


@dataclass(frozen=True, slots=True)
class Orgnummer:
    """A valid organisationsnummer; ``value`` is its 10 canonical digits."""

    value: str

    def __post_init__(self) -> None:
        _check_canonical(self.value)

    def __str__(self) -> str:
        return self.value

    @property
    def dashed(self) -> str:
        """NNNNNN-NNNN."""
        return f"{self.value[:6]}-{self.value[6:]}"

    @property
    def group(self) -> int:
        """The first digit: the legal-form group (2 public sector, 5 aktiebolag, ...)."""
        return int(self.value[0])

    @classmethod
    def parse(cls, text: str) -> Orgnummer:
        """Parse NNNNNNNNNN, NNNNNN-NNNN, 16NNNNNNNNNN or 16NNNNNN-NNNN."""
        if not isinstance(text, str):
            raise TypeError(f"expected str, got {type(text).__name__}")
        m = _FORM.fullmatch(text.strip())
        if m is None:
            raise InvalidOrgnummer(
                f"{text!r}: expected NNNNNNNNNN, NNNNNN-NNNN, 16NNNNNNNNNN or 16NNNNNN-NNNN"
            )
        value = m[1] + m[2]
        _check_canonical(value, text)
        return cls(value)


def make_orgnummer(first_nine: str) -> Orgnummer:
    """Build a valid number from its first nine digits (check digit computed)."""
    if len(first_nine) != 9 or not all(c in "0123456789" for c in first_nine):
        raise InvalidOrgnummer(f"{first_nine!r}: expected 9 digits")
    # Orgnummer() itself refuses a third digit below 2.
    return Orgnummer(first_nine + str(luhn_check_digit(first_nine)))


def is_valid(text: str) -> bool:
    """True when ``Orgnummer.parse(text)`` succeeds."""
    try:
        Orgnummer.parse(text)
    except InvalidOrgnummer:
        return False
    return True


@lru_cache(maxsize=4096)  # on every request, with the few numbers of a scenario
def canonical(text: str) -> str:
    """The 10 digits of a valid orgnummer in any accepted form; other text unchanged
    (its check, with its own error, belongs to whoever reads it)."""
    try:
        return Orgnummer.parse(text).value
    except InvalidOrgnummer:
        return text
