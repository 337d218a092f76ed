"""The outcome of one exchange, typed: what the journal, the metrics, the request log and
the dashboard's rates record. Each kind is built in one place (the constructors below)
and read by its kind, never by splitting text.

``str(outcome)`` is the text the journal JSON, the request log and the admin API's
``outcome=`` filter have always used: ``ok``, ``business:3``, ``technical:TEKNISKT_FEL``,
``sla:<rule>``, ``injected:<kind>``, ``refused:certificate``, ``invalid``, ``rejected``,
``closed``, and ``replay:<the first answer's outcome>`` (``replay:ok``). ``parse`` reads that
text back.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from simulator.domain.errors import TeknisktFel, Verksamhetsfel

__all__ = ["Outcome", "OutcomeKind", "parse"]


class OutcomeKind(enum.Enum):
    OK = "ok"
    BUSINESS = "business"  # answered with a verksamhetsfel (an answer, not an error)
    TECHNICAL = "technical"  # a tekniskt fel, by its name
    SLA = "sla"  # refused by the SLA gate, by the rule broken
    INJECTED = "injected"  # a fault rule's effect, by its kind
    REFUSED = "refused"  # refused before the question was asked (refused:certificate)
    INVALID = "invalid"  # the request could not be read or was not valid
    REJECTED = "rejected"  # answered with an HTTP error status by the binding itself
    CLOSED = "closed"  # the connection closed before any answer
    # a resend answered from what was stored for the first (an SSEK TxId, an SHS tx.id): the
    # engine was not asked again; the detail is the first answer's outcome
    REPLAY = "replay"


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: OutcomeKind
    detail: str = ""  # the business code, the TeknisktFel name, the SLA rule, the fault kind ...

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.detail}" if self.detail else self.kind.value

    @property
    def is_error(self) -> bool:
        """Not answered: technical errors, faults, refusals, SLA (business errors are answers)."""
        if self.kind is OutcomeKind.REPLAY:
            return self.detail != "" and parse(self.detail).is_error
        return self.kind not in (OutcomeKind.OK, OutcomeKind.BUSINESS)

    def matches(self, text: str) -> bool:
        """The admin filter: the whole text, or its kind (``business`` matches ``business:3``)."""
        return text == self.kind.value or text == str(self)

    @staticmethod
    def ok() -> Outcome:
        return _OK

    @staticmethod
    def business(fel: Verksamhetsfel) -> Outcome:
        return Outcome(OutcomeKind.BUSINESS, str(fel.code))

    @staticmethod
    def technical(fel: TeknisktFel) -> Outcome:
        return Outcome(OutcomeKind.TECHNICAL, fel.name)

    @staticmethod
    def sla(rule: str) -> Outcome:
        return Outcome(OutcomeKind.SLA, rule)

    @staticmethod
    def injected(kind: str) -> Outcome:
        return Outcome(OutcomeKind.INJECTED, kind)

    @staticmethod
    def refused(reason: str) -> Outcome:
        return Outcome(OutcomeKind.REFUSED, reason)

    @staticmethod
    def replay(first: Outcome | None) -> Outcome:
        """A resend answered as the first time (``first``: that exchange's outcome), without
        asking the engine again: counted apart, so that ``outcome=ok`` counts answers made."""
        return Outcome(OutcomeKind.REPLAY, str(first) if first is not None else "")

    @staticmethod
    def invalid() -> Outcome:
        return _INVALID

    @staticmethod
    def rejected() -> Outcome:
        return _REJECTED

    @staticmethod
    def closed() -> Outcome:
        return _CLOSED

    @staticmethod
    def of_status(status: int) -> Outcome:
        """What the middleware notes when the handler noted nothing: by the HTTP status sent."""
        return _OK if 0 < status < 400 else (_REJECTED if status else _CLOSED)


_OK = Outcome(OutcomeKind.OK)
_INVALID = Outcome(OutcomeKind.INVALID)
_REJECTED = Outcome(OutcomeKind.REJECTED)
_CLOSED = Outcome(OutcomeKind.CLOSED)


def parse(text: str) -> Outcome:
    """The outcome a text names (``str(parse(t)) == t`` for every outcome's text);
    ValueError for a kind that does not exist."""
    kind, _, detail = text.partition(":")
    return Outcome(OutcomeKind(kind), detail)
