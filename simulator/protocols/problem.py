"""One thing wrong with a message a partner sent, and where: what SOAP faults, SHS error
messages, massfråga's validation and Prenumeration's error file all report."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a message, and where (1-based line and column, if known)."""

    message: str
    line: int | None = None
    column: int | None = None
