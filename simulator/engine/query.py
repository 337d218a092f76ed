"""The question every binding turns its wire format into."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from simulator.scenario.models import Transport

__all__ = ["Query"]


@dataclass(frozen=True, slots=True)
class Query:
    """An onlinefråga. Identity fields are the raw text the asker sent: checking them is
    the engine's job, so that every binding gets the same business error codes."""

    orgnummer: str
    personnummer: str
    from_date: date | None
    tom_date: date | None
    benefits: frozenset[str]  # legacy benefit keys (see simulator.benefits)
    version: int
    transport: Transport
    reference: str | None = None  # the asker's own reference, echoed
