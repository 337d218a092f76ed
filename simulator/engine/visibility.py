"""Which timeline changes a subscriber may see: the one rule LEKA's notifications and LEFI
Prenumeration's change deliveries share.

Both start from what the organisation may ever receive (its agreement ∩ its org type's
filter, ``Engine.receivable``) and what it subscribed to. They differ today in two places,
kept here side by side so that the difference is visible and can be decided in one place:

- a payment: LEKA notifies it when the paid benefit is one the organisation may see;
  Prenumeration delivers it only when ``utbetalning`` is also subscribed to (and the paid
  benefit may be seen);
- a new personnummer or a death: Prenumeration always delivers it (a subscriber must learn
  that its person's number or life ended); LEKA notifies it only to an organisation that may
  see personal details (``generellPersonInformation``), as every personal change.
"""

from __future__ import annotations

import enum

from simulator.scenario.models import EventKind, TimelineEvent

__all__ = ["PERSONAL", "UTBETALNING", "Subscriber", "subject", "visible"]

PERSONAL = "generellPersonInformation"  # what a move, a death, a new number or protection changes
UTBETALNING = "utbetalning"


class Subscriber(enum.Enum):
    """Who asks: the two services whose rules differ (see the module's docstring)."""

    LEKA = "leka"
    PRENUMERATION = "prenumeration"


def subject(event: TimelineEvent) -> str:
    """The benefit an event is about: a case's or a payment's benefit; personal details else."""
    if event.event is EventKind.CASE_STARTS and event.case is not None:
        return event.case.benefit
    if event.event is EventKind.PAYMENT and event.payment is not None:
        return event.payment.benefit
    if event.event is EventKind.CASE_ENDS and event.benefit is not None:
        return event.benefit
    return PERSONAL


def visible(
    event: TimelineEvent, allowed: frozenset[str], subscribed: frozenset[str], who: Subscriber
) -> bool:
    """Whether ``event`` reaches a subscriber that may receive ``allowed`` and subscribed to
    ``subscribed`` (LEKA subscribes to a person, so to everything it may receive)."""
    wanted = subscribed & allowed
    if who is Subscriber.LEKA:
        return subject(event) in wanted
    kind = event.event
    if kind is EventKind.CASE_STARTS:
        return event.case is not None and event.case.benefit in wanted
    if kind is EventKind.CASE_ENDS:
        return event.benefit is not None and event.benefit in wanted
    if kind is EventKind.PAYMENT:
        return event.payment is not None and UTBETALNING in wanted and event.payment.benefit in allowed
    if kind in (EventKind.NEW_PERSONNUMMER, EventKind.DIES):
        return True
    return PERSONAL in wanted  # a move, protected identity
