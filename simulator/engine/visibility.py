"""Which timeline changes a subscriber may see: the one rule LEKA's notifications and LEFI
Prenumeration's change deliveries share.

A change is seen exactly as the onlinefråga would show it to the same organisation asking
for what it subscribed to: FK's documents give all three services one content ("Försäkrings-
kassan ansvarar för att leverera uppgifter enligt dokumentet Beskrivning av person och
förmånsinformation", SLA LEFI Online och LEKA §2.1; LEKA is "Prenumeration och avisering om
förändrad förmånsinformation", §2), and a subscriber gets the changes of what it ordered:

    "Vid första beställning skickas den förmånsinformation som extern part har angivit för
    respektive person från det datum som angivits för förmånen/förmånerna (ex Sjukpenning).
    Därefter skickas löpande förändringar i dessa förmånsuppgifter."
    (LEFI Prenumeration, Beskrivning av tjänsten)

The subscriber may receive ``allowed`` (its agreement ∩ its org type's filter,
``Engine.receivable``) and subscribed to ``subscribed`` (a LEFI Prenumeration order names
benefits; a LEKA subscription is on a person, so on everything the organisation may receive).
Of what it wants (both at once):

- a case that starts or ends: when its benefit is wanted;
- a payment: when ``utbetalning`` is wanted and the paid benefit may be received. Payments
  are information of their own, "Utbetalning" in FK's list of what is delivered ("Förutom
  förmånsinformation ingår utbetalningar i respektive förmån", LEFI Online Allmän information
  §2.2), which the onlinefråga answers in its ``utbetalning`` block only, and there only
  for benefits the asker may receive (any other would leak the benefit);
- a move, a death, protected identity: when personal details (``generellPersonInformation``)
  are wanted — the onlinefråga shows them (address, the date of death) only there;
- a new personnummer: always — the onlinefråga tells every asker of the old number (status 4
  with the new number), and a subscription is on the number.
"""

from __future__ import annotations

from simulator.scenario.models import EventKind, TimelineEvent

__all__ = ["PERSONAL", "UTBETALNING", "subject", "visible"]

PERSONAL = "generellPersonInformation"  # what a move, a death, a new number or protection changes
UTBETALNING = "utbetalning"


def subject(event: TimelineEvent) -> str:
    """The benefit an event is about: a case's or a payment's benefit; personal details else."""
    if event.event is EventKind.CASE_STARTS and event.case is not None:
        return event.case.benefit
    if event.event is EventKind.PAYMENT and event.payment is not None:
        return event.payment.benefit
    if event.event is EventKind.CASE_ENDS and event.benefit is not None:
        return event.benefit
    return PERSONAL


def visible(event: TimelineEvent, allowed: frozenset[str], subscribed: frozenset[str]) -> bool:
    """Whether ``event`` reaches a subscriber that may receive ``allowed`` and subscribed to
    ``subscribed`` (the module's docstring says why)."""
    wanted = subscribed & allowed
    kind = event.event
    if kind is EventKind.CASE_STARTS:
        return event.case is not None and event.case.benefit in wanted
    if kind is EventKind.CASE_ENDS:
        return event.benefit is not None and event.benefit in wanted
    if kind is EventKind.PAYMENT:
        return event.payment is not None and UTBETALNING in wanted and event.payment.benefit in allowed
    if kind is EventKind.NEW_PERSONNUMMER:
        return True
    return PERSONAL in wanted  # a move, a death, protected identity
