"""The form of "Hämta förmånsinformation": what was typed, and the seed's checks with a
message tied to each field (seed 001 §5.1). The engine checks the same rules again; the
form only says them where the user can correct them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from simulator.domain.personnummer import InvalidPersonnummer, Personnummer, luhn_check_digit
from simulator.engine.engine import MAX_PERIOD_YEARS, period_end_limit

__all__ = ["HamtaForm", "ValidQuestion", "FIELDS", "BENEFITS_FIELD", "check_personnummer"]

BENEFITS_FIELD = "formaner"
FIELDS = ("personnummer", "fromdatum", "tomdatum")
_PNR_SHAPE = re.compile(r"(?:[0-9]{2})?[0-9]{6}[-+]?[0-9]{4}")
_DATE_SHAPE = re.compile(r"([0-9]{4})-?([0-9]{2})-?([0-9]{2})")
_LABELS = {"fromdatum": "Fr.o.m.", "tomdatum": "T.o.m."}


@dataclass(frozen=True)
class ValidQuestion:
    personnummer: Personnummer
    from_date: date
    tom_date: date
    benefits: frozenset[str]


def check_personnummer(text: str, today: date) -> tuple[Personnummer | None, str | None]:
    """The number, or a Swedish message saying what is wrong with it."""
    text = text.strip()
    if not text:
        return None, "Ange personnummer."
    if not _PNR_SHAPE.fullmatch(text):
        return None, "Personnumret har fel format. Skriv det som i exemplet: 19750412-2345."
    digits = re.sub(r"[-+]", "", text)[-10:]
    if luhn_check_digit(digits[:9]) != int(digits[9]):
        return None, "Personnumret är felaktigt: kontrollsiffran stämmer inte."
    try:
        return Personnummer.parse(text, today), None
    except InvalidPersonnummer:
        return None, "Personnumret är felaktigt: det innehåller inget giltigt födelsedatum."


def _date(text: str, name: str) -> tuple[date | None, str | None]:
    label = _LABELS[name]
    text = text.strip()
    if not text:
        return None, f"Ange {label}-datum."
    m = _DATE_SHAPE.fullmatch(text)
    try:
        if m is None:
            raise ValueError(text)
        return date(int(m[1]), int(m[2]), int(m[3])), None
    except ValueError:
        return None, f"{label} ska vara ett datum som i exemplet: 2006-01-01."


@dataclass
class HamtaForm:
    personnummer: str = ""
    fromdatum: str = ""
    tomdatum: str = ""
    benefits: frozenset[str] = frozenset()
    errors: dict[str, str] = field(default_factory=dict)  # field → message, in the form's order

    @classmethod
    def read(cls, posted: Mapping[str, list[str]], offered: tuple[str, ...]) -> HamtaForm:
        """What was posted (each field's values); only benefits the page offered count."""

        def first(name: str) -> str:
            return posted.get(name, [""])[0][:40]

        return cls(
            personnummer=first("personnummer"),
            fromdatum=first("fromdatum"),
            tomdatum=first("tomdatum"),
            benefits=frozenset(posted.get(BENEFITS_FIELD, ())) & frozenset(offered),
        )

    def check(self, today: date) -> ValidQuestion | None:
        """The question when every check passes; else None, with ``errors`` filled in."""
        self.errors = {}
        pnr, problem = check_personnummer(self.personnummer, today)
        if problem:
            self.errors["personnummer"] = problem
        start, problem = _date(self.fromdatum, "fromdatum")
        if problem:
            self.errors["fromdatum"] = problem
        elif start is not None and start > today:
            self.errors["fromdatum"] = f"Fr.o.m. får inte vara efter dagens datum ({today.isoformat()})."
        end, problem = _date(self.tomdatum, "tomdatum")
        if problem:
            self.errors["tomdatum"] = problem
        elif end is not None and end > today:
            self.errors["tomdatum"] = f"T.o.m. får inte vara efter dagens datum ({today.isoformat()})."
        if start is not None and end is not None and not self.errors.keys() & {"fromdatum", "tomdatum"}:
            if start > end:
                self.errors["tomdatum"] = "T.o.m. får inte vara före Fr.o.m."
            elif end >= period_end_limit(start):
                self.errors["tomdatum"] = f"Sökperioden får vara högst {MAX_PERIOD_YEARS} år."
        if not self.benefits:
            self.errors[BENEFITS_FIELD] = "Välj minst en förmån."
        if self.errors:
            return None
        assert pnr is not None and start is not None and end is not None
        return ValidQuestion(pnr, start, end, self.benefits)
