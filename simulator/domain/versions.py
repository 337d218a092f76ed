"""The XML interface versions and their life cycle (service description, "Versioner").

Two versions are served at a time: the current one and the previous one. The previous
one reaches end of life one year after the current one's release, or at once when a
newer one is released. Version 4 closed on 2020-12-31. All dates are read against the
simulator clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from simulator.domain.errors import TechnicalError, TeknisktFel

__all__ = [
    "newest_supported",
    "InterfaceVersion",
    "VERSIONS",
    "CURRENT",
    "open_versions",
    "require_supported",
    "supported_versions",
]


@dataclass(frozen=True, slots=True)
class InterfaceVersion:
    number: int
    released: date
    closed: date | None = None  # a fixed closing day (last day served), if FK announced one
    in_sandbox: bool = True  # False: FK had it, the sandbox has no schema for it


VERSIONS: tuple[InterfaceVersion, ...] = (
    InterfaceVersion(4, released=date(2016, 4, 1), closed=date(2020, 12, 31), in_sandbox=False),
    # the service description lists V4 ("Stängs 31/12 2020") and V5 side by side
    InterfaceVersion(5, released=date(2020, 1, 1)),
    InterfaceVersion(6, released=date(2026, 4, 1)),
)
CURRENT = max(v.number for v in VERSIONS)


def _end_of_life(index: int) -> date | None:
    """The first day a version is no longer served, or None while it has no successor."""
    version = VERSIONS[index]
    ends: list[date] = []
    if version.closed is not None:
        ends.append(date.fromordinal(version.closed.toordinal() + 1))
    if index + 1 < len(VERSIONS):
        nxt = VERSIONS[index + 1].released
        ends.append(nxt.replace(year=nxt.year + 1))
    if index + 2 < len(VERSIONS):
        ends.append(VERSIONS[index + 2].released)
    return min(ends) if ends else None


@lru_cache(maxsize=64)  # asked on every question, the same answer all day
def open_versions(today: date) -> tuple[int, ...]:
    """The versions FK served on ``today`` (its life cycle), whether the sandbox has them or not."""
    out = []
    for i, v in enumerate(VERSIONS):
        eol = _end_of_life(i)
        if v.released <= today and (eol is None or today < eol):
            out.append(v.number)
    return tuple(out)


@lru_cache(maxsize=64)
def supported_versions(today: date) -> tuple[int, ...]:
    """The versions the sandbox answers on ``today``."""
    in_sandbox = {v.number for v in VERSIONS if v.in_sandbox}
    return tuple(n for n in open_versions(today) if n in in_sandbox)


def newest_supported(today: date) -> int:
    """The newest XML version served on ``today``: the catalogue v9 REST questions and the
    web e-tjänst use."""
    return max(supported_versions(today), default=CURRENT)


def require_supported(version: str | int | None, today: date) -> int:
    """The version number if it is served today, else the matching technical error."""
    text = "" if version is None else str(version).strip()
    if text == "":
        raise TechnicalError(TeknisktFel.VERSIONSNR_SAKNAS)
    if not re.fullmatch(r"[0-9]{1,4}", text):  # ASCII digits only: not "+6", not "٦"
        raise TechnicalError(
            TeknisktFel.VERSIONEN_STODS_EJ, f"Versionsnummer {text[:20]!r} är inte ett versionsnummer"
        )
    number = int(text)
    served = supported_versions(today)
    if number not in served:
        why = "finns inte i sandlådan" if number in open_versions(today) else "stöds ej"
        raise TechnicalError(
            TeknisktFel.VERSIONEN_STODS_EJ,
            f"Version {number} {why}; versioner som stöds: {', '.join(map(str, served)) or 'inga'}",
        )
    return number
