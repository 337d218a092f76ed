"""The engine's rules in-process: a scenario in memory, a frozen clock, the Engine asked
directly with a Query — no server, no wire format. Each test would fail if its rule broke;
the same rules are driven over HTTP in tests/engine/test_rules.py and the binding tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from simulator.domain.benefits import BENEFITS
from simulator.domain.clock import Clock
from simulator.domain.errors import TechnicalError, TeknisktFel, Verksamhetsfel
from simulator.engine.answer import CaseSection, Message
from simulator.engine.engine import Engine, period_end_limit
from simulator.engine.query import Query
from simulator.scenario.loader import parse_scenario
from simulator.scenario.models import Transport
from simulator.scenario.store import MemoryScenarioStore

STOCKHOLM = ZoneInfo("Europe/Stockholm")
KOMMUN = "2120000142"
INSURER = "5566778899"
UNAUTHORISED = "5560000001"
NO_FILTER = "5560000019"
BAD_DOWN = "2120000159"
SICK = "198506102386"
RENAMED, NEWER = "197007219293", "198001042392"
MISSING = "195003042222"
PROTECTED = "197008089281"
FAULTY = "195002281839"
OLD_CASE = "196002262852"

SCENARIO = f"""
name: engine
clock: {{start: 2026-11-02T09:00:00+01:00, frozen: true}}
organisations:
  - {{orgnummer: "{KOMMUN}", name: Kommunen, type: kommun, transports: [ws, rest], agreement: all}}
  - {{orgnummer: "{INSURER}", name: Försäkringen, type: forsakringsbolag, transports: [ws],
     agreement: [sjukpenning, generellPersonInformation, bostadsbidrag]}}
  - {{orgnummer: "{UNAUTHORISED}", name: Utanför, type: forsakringsbolag, transports: [ws],
     agreement: [sjukpenning], authorised: false}}
  - {{orgnummer: "{NO_FILTER}", name: Kassan, type: arbetsloshetskassa, transports: [ws],
     agreement: [sjukpenning]}}
  - {{orgnummer: "{BAD_DOWN}", name: Nere, type: kommun, transports: [ws], agreement: all,
     technical_error: ANROP_MOT_BAD_MISSLYCKADES}}
persons:
  - personnummer: "{SICK}"
    first_name: Sara
    last_name: Sjuk
    address: {{street: Sjukvägen 1, postnummer: "111 22", postort: Stockholm}}
    kommunkod: "0180"
    employer: "5560160680"
    cases:
      - benefit: sjukpenning
        status: pagaende
        reported: 2026-09-01
        periods: [{{from: 2026-09-01, omfattning: 100}}]
  - personnummer: "{RENAMED}"
    first_name: Rolf
    last_name: Ny
    new_personnummer: "{NEWER}"
  - personnummer: "{NEWER}"
    first_name: Rolf
    last_name: Ny
  - personnummer: "{MISSING}"
    first_name: Mia
    last_name: Saknas
    missing: true
  - personnummer: "{PROTECTED}"
    first_name: Frida
    last_name: Skyddad
    protected_identity: true
    address: {{street: Hemlig 1, postnummer: "111 22", postort: Stockholm}}
    kommunkod: "0180"
    employer: "5560160680"
  - personnummer: "{FAULTY}"
    first_name: Tor
    last_name: Tekniskt
    technical_error: TEKNISKT_FEL
  - personnummer: "{OLD_CASE}"
    first_name: Berit
    last_name: Brytning
    cases:
      - benefit: sjukOchAktivitetsersattning
        status: avslutat
        reported: 2002-04-01
        periods:
          - {{from: 2002-06-01, tom: 2004-12-31, omfattning: 100, days: 945, monthly_amount: 9800}}
timeline:
  - date: 2026-11-10
    personnummer: "{SICK}"
    event: case_ends
    benefit: sjukpenning
"""


@pytest.fixture
def world() -> tuple[Engine, Clock]:
    scenario = parse_scenario(SCENARIO, "engine.yaml")
    clock = Clock.starting_at(datetime(2026, 11, 2, 9, 0, tzinfo=STOCKHOLM), frozen=True)
    return Engine(MemoryScenarioStore(scenario), clock), clock


def ask(
    engine: Engine,
    personnummer: str = SICK,
    *,
    org: str = KOMMUN,
    start: date | None = date(2026, 1, 1),
    end: date | None = date(2026, 11, 1),
    benefits: frozenset[str] = frozenset({"sjukpenning"}),
    version: int = 6,
    transport: Transport = Transport.WS,
):
    return engine.answer(Query(org, personnummer, start, end, benefits, version, transport))


def test_a_valid_question_is_answered_ok_with_the_case(world) -> None:
    answer = ask(world[0])
    assert answer.status is None and answer.status_code == 0
    assert answer.person is not None and answer.person.delivered == ("sjukpenning",)
    section = answer.person.sections[0]
    assert isinstance(section, CaseSection) and [c.benefit for c in section.cases] == ["sjukpenning"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"personnummer": "19850610238"}, Verksamhetsfel.FELAKTIGT_PERSONNUMMER),  # 11
        ({"personnummer": "198506102387"}, Verksamhetsfel.FELAKTIGT_PERSONNUMMER),  # bad check digit
        ({"org": "123"}, Verksamhetsfel.FELAKTIGT_ORGNUMMER),  # 12
        ({"org": UNAUTHORISED}, Verksamhetsfel.ORGANISATIONEN_EJ_BEHORIG_ENLIGT_BAD),  # 13
        ({"org": "5566778890"}, Verksamhetsfel.FELAKTIGT_ORGNUMMER),  # bad check digit
        ({"start": None}, Verksamhetsfel.FROM_SAKNAS),  # 21
        ({"end": None}, Verksamhetsfel.TOM_SAKNAS),  # 22
        ({"benefits": frozenset()}, Verksamhetsfel.FORMANSLISTA_SAKNAS),  # 23
        (
            {"start": date(2026, 5, 2), "end": date(2026, 5, 1)},
            Verksamhetsfel.PERIODSTART_EFTER_PERIODSLUT,
        ),  # 7
        ({"start": date(2024, 1, 1), "end": date(2026, 1, 1)}, Verksamhetsfel.SOKPERIODEN_FOR_LANG),  # 8
        ({"end": date(2026, 11, 3)}, Verksamhetsfel.SOKPERIODEN_FOR_LANG),  # after today
        ({"personnummer": MISSING}, Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER),  # 3
        (
            {"personnummer": "199001012385"},
            Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER,
        ),  # not in the scenario
    ],
)
def test_each_business_error(world, kwargs, expected: Verksamhetsfel) -> None:
    answer = ask(world[0], **kwargs)
    assert answer.status is expected
    assert answer.person is None


def test_a_new_personnummer_is_error_4_naming_the_new_number(world) -> None:
    answer = ask(world[0], RENAMED)
    assert answer.status is Verksamhetsfel.NYTT_PERSONNUMMER and answer.status_code == 4
    assert answer.new_personnummer == NEWER


def test_an_organisation_asking_over_a_transport_it_lacks_is_13(world) -> None:
    answer = ask(world[0], org=INSURER, transport=Transport.REST)
    assert answer.status is Verksamhetsfel.ORGANISATIONEN_EJ_BEHORIG_ENLIGT_BAD
    assert "REST" in answer.status_text


@pytest.mark.parametrize(
    ("org", "personnummer", "expected"),
    [
        (NO_FILTER, SICK, TeknisktFel.FILTER_SAKNAS),
        (BAD_DOWN, SICK, TeknisktFel.ANROP_MOT_BAD_MISSLYCKADES),
        (KOMMUN, FAULTY, TeknisktFel.TEKNISKT_FEL),
    ],
)
def test_technical_errors_are_raised(world, org: str, personnummer: str, expected: TeknisktFel) -> None:
    with pytest.raises(TechnicalError) as caught:
        ask(world[0], personnummer, org=org)
    assert caught.value.status is expected


def test_only_what_agreement_and_org_type_allow_is_delivered(world) -> None:
    engine = world[0]
    asked = frozenset({"sjukpenning", "bostadsbidrag", "foraldrapenning", "generellPersonInformation"})
    kommun = ask(engine, benefits=asked)
    insurer = ask(engine, org=INSURER, benefits=asked)
    assert kommun.person is not None and insurer.person is not None
    assert "foraldrapenning" in kommun.person.delivered
    assert "foraldrapenning" not in insurer.person.delivered  # not in the insurer's agreement
    assert set(insurer.person.delivered) <= {"sjukpenning", "bostadsbidrag", "generellPersonInformation"}
    assert insurer.person.delivered  # the agreement still lets something through


def test_protected_identity_withholds_address_kommun_and_employer(world) -> None:
    answer = ask(world[0], PROTECTED, benefits=frozenset({"generellPersonInformation"}))
    assert answer.person is not None and answer.person.personuppgifter is not None
    details = answer.person.personuppgifter
    assert details.protected_identity
    assert details.address is None and details.kommunkod is None and details.employer is None
    open_answer = ask(world[0], SICK, benefits=frozenset({"generellPersonInformation"}))
    assert open_answer.person is not None and open_answer.person.personuppgifter is not None
    assert open_answer.person.personuppgifter.kommunkod == "0180"


def test_a_period_straddling_the_history_limit_is_cut_at_it(world) -> None:
    answer = ask(
        world[0],
        OLD_CASE,
        start=date(2002, 7, 1),
        end=date(2004, 6, 30),
        benefits=frozenset({"sjukOchAktivitetsersattning"}),
    )
    assert answer.person is not None
    section = answer.person.sections[0]
    assert isinstance(section, CaseSection)
    assert section.message == Message.BEFORE_HISTORY_LIMIT
    [case] = section.cases
    assert case.periods[0].from_ == date(2003, 1, 1)  # the limit, not the period's own start
    assert case.periods[0].tom == date(2004, 12, 31)
    assert case.periods[0].days is None  # the day count was for the whole period


def test_the_timeline_changes_the_answer_by_the_clocks_day(world) -> None:
    engine, clock = world
    before = ask(engine)
    assert before.person is not None
    [case] = before.person.sections[0].cases  # type: ignore[attr-defined]
    assert case.end is None  # still running
    clock.set(datetime(2026, 11, 11, 9, 0, tzinfo=STOCKHOLM))
    after = ask(engine)
    assert after.person is not None
    [case] = after.person.sections[0].cases  # type: ignore[attr-defined]
    assert case.end == date(2026, 11, 10)
    clock.set(datetime(2026, 11, 9, 9, 0, tzinfo=STOCKHOLM))  # moved back: the event is hidden again
    [case] = ask(engine).person.sections[0].cases  # type: ignore[union-attr]
    assert case.end is None


def test_versions_five_and_six_answer_and_four_is_refused(world) -> None:
    engine = world[0]
    assert ask(engine, version=6).version == 6
    assert ask(engine, version=5).version == 5
    with pytest.raises(TechnicalError) as caught:
        ask(engine, version=4)
    assert caught.value.status is TeknisktFel.VERSIONEN_STODS_EJ


def test_a_samordningsnummer_is_a_valid_personnummer_for_the_rules(world) -> None:
    # day + 60: a samordningsnummer; not in the scenario, so 3 — not 11
    answer = ask(world[0], "198506702383")
    assert answer.status is Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER


# -- the leap day ---------------------------------------------------------------------------
def test_a_period_from_the_leap_day_may_run_to_the_28th_of_february_two_years_on(world) -> None:
    assert period_end_limit(date(2024, 2, 29)) == date(2026, 3, 1)
    assert period_end_limit(date(2024, 3, 1)) == date(2026, 3, 1)
    assert period_end_limit(date(2023, 2, 28)) == date(2025, 2, 28)
    engine = world[0]
    assert ask(engine, start=date(2024, 2, 29), end=date(2026, 2, 28)).status is None
    assert (
        ask(engine, start=date(2024, 2, 29), end=date(2026, 3, 1)).status
        is Verksamhetsfel.SOKPERIODEN_FOR_LANG
    )


@pytest.mark.parametrize(
    ("today", "earliest"),
    [
        (date(2025, 8, 29), date(2024, 2, 29)),  # 18 months back lands on the leap day
        (date(2025, 8, 31), date(2024, 2, 29)),  # the 31st clamps to the leap day
        (date(2026, 8, 31), date(2025, 2, 28)),  # no leap day: the 28th
        (date(2026, 11, 2), date(2025, 5, 2)),
    ],
)
def test_utbetalning_history_18_months_back_across_february(today: date, earliest: date) -> None:
    utbetalning = next(b for b in BENEFITS if b.key == "utbetalning")
    assert utbetalning.history.earliest(date(1985, 6, 10), today) == earliest


def test_a_question_on_the_leap_day_itself(world) -> None:
    engine, clock = world
    clock.set(datetime(2028, 2, 29, 12, 0, tzinfo=STOCKHOLM))
    assert ask(engine, start=date(2026, 3, 1), end=date(2028, 2, 29)).status is None
    assert (
        ask(engine, start=date(2026, 2, 28), end=date(2028, 2, 29)).status
        is Verksamhetsfel.SOKPERIODEN_FOR_LANG
    )
    assert (
        ask(engine, end=date(2028, 2, 29) + timedelta(days=1)).status is Verksamhetsfel.SOKPERIODEN_FOR_LANG
    )
