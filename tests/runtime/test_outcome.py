"""The typed outcome of an exchange (simulator/observability/outcome.py) and the bounded
echo of client input (simulator/protocols/echo.py), in process."""

from __future__ import annotations

import pytest

from simulator.domain.errors import TeknisktFel, Verksamhetsfel
from simulator.observability.outcome import Outcome, OutcomeKind, parse
from simulator.protocols.echo import NAME, TOKEN, echo, echo_repr

TEXTS = [
    (Outcome.ok(), "ok"),
    (Outcome.business(Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER), "business:3"),
    (Outcome.business(Verksamhetsfel.ORGANISATIONEN_EJ_BEHORIG_ENLIGT_BAD), "business:13"),
    (Outcome.technical(TeknisktFel.ANROP_MOT_KUF_MISSLYCKADES), "technical:ANROP_MOT_KUF_MISSLYCKADES"),
    (Outcome.sla("rate"), "sla:rate"),
    (Outcome.injected("soap_fault"), "injected:soap_fault"),
    (Outcome.refused("certificate"), "refused:certificate"),
    (Outcome.invalid(), "invalid"),
    (Outcome.rejected(), "rejected"),
    (Outcome.closed(), "closed"),
]


@pytest.mark.parametrize(("outcome", "text"), TEXTS, ids=[t for _, t in TEXTS])
def test_an_outcome_reads_as_the_journal_has_always_written_it(outcome: Outcome, text: str) -> None:
    assert str(outcome) == text
    assert parse(text) == outcome


def test_the_filter_matches_the_whole_text_or_the_kind() -> None:
    refused = Outcome.business(Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER)
    assert refused.matches("business") and refused.matches("business:3")
    assert (
        not refused.matches("business:4") and not refused.matches("ok") and not refused.matches("business:")
    )


def test_only_answers_are_not_errors() -> None:
    assert [o.kind for o, _ in TEXTS if not o.is_error] == [
        OutcomeKind.OK,
        OutcomeKind.BUSINESS,
        OutcomeKind.BUSINESS,
    ]


def test_the_middleware_outcome_by_status() -> None:
    assert Outcome.of_status(200) == Outcome.ok()
    assert Outcome.of_status(404) == Outcome.rejected()
    assert Outcome.of_status(0) == Outcome.closed()


def test_an_unknown_kind_does_not_parse() -> None:
    with pytest.raises(ValueError):
        parse("bogus:1")


def test_echo_bounds_client_input() -> None:
    assert echo("x" * 500) == "x" * NAME
    assert echo_repr("v\x00" * 100, TOKEN) == repr(("v\x00" * 100)[:TOKEN])
    assert echo("short") == "short"
