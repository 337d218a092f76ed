"""The scenario timeline (simulator/scenario/timeline.py, store.py) as a partner sees it:
the same question gets a different answer before and after a dated event.

A real simulator process serves ``tests/scenarios/timeline.yaml`` (clock frozen at
2026-11-02 09:00 Swedish time); each test moves the clock with the admin API to the day
before an event and to its day (or later), asks the same zeep question each time with
tomdatum = the simulator's today, and compares the answers. Moving the clock back hides
an event again, and ``reset`` puts the clock back at the scenario's start. Last, broken
timelines are refused by ``lefi-sim scenario check`` with file:line: reason.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from support.lefi import Lefi, Reply, make_lefi
from support.server import ROOT, Server, running

from simulator.control.client import AdminClient

NS = "http://schema.forsakringskassan.se/externa_intressenter"
SCENARIO = ROOT / "tests" / "scenarios" / "timeline.yaml"
START = "2026-11-02T09:00:00+01:00"

CARL = "199101012392"  # case_starts 2026-11-10 (a case from 2026-11-03), payment 2026-11-25
ELIN = "199101262385"  # case_ends 2026-11-15: her ongoing sjukpenning case
NINA = "199102232387"  # new_personnummer 2026-12-01 ...
NINA_NEW = "199103202397"  # ... this one, not in the scenario's persons
DAG = "199104172391"  # dies 2026-12-05
MARIA = "199105142385"  # moves 2026-11-20
SIGGE = "199106112395"  # protected_identity 2026-11-20 (and Maria's samhörig person)
OLIVIA = "199107072382"  # protected in the file; protected_identity, protected: false, 2026-11-25


# -- the server, the clock and the question --------------------------------------------------
@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(tmp_path_factory.mktemp("timeline"), scenario=SCENARIO) as server:
        yield server


@pytest.fixture
def admin(srv: Server) -> Iterator[AdminClient]:
    """The admin client; the clock is back at the scenario's start for every test."""
    client = AdminClient(srv.url)
    client.reset()
    yield client
    client.reset()


@pytest.fixture(scope="module")
def lefi(srv: Server) -> Lefi:
    return make_lefi(srv.url)


class Asker:
    """Moves the clock to a day, then asks the same question with tomdatum = that day."""

    def __init__(self, admin: AdminClient, lefi: Lefi) -> None:
        self.admin, self.lefi = admin, lefi

    def on(self, day: str, personnummer: str, benefits: list[str]) -> Reply:
        clock = self.admin.set_clock(now=f"{day}T09:00:00+01:00")
        assert clock["today"] == day and clock["frozen"] is True
        return self.ask(personnummer, benefits, day)

    def ask(self, personnummer: str, benefits: list[str], today: str) -> Reply:
        return self.lefi.ask(personnummer, benefits, fromdatum="2026-01-01", tomdatum=today)


@pytest.fixture
def at(admin: AdminClient, lefi: Lefi) -> Asker:
    return Asker(admin, lefi)


def _q(path: str) -> str:
    return "/".join(f"{{{NS}}}{p}" for p in path.split("/"))


def txt(el: etree._Element, path: str) -> str | None:
    return el.findtext(_q(path))


def sjp_cases(reply: Reply) -> list[etree._Element]:
    assert reply.status == 0, reply.text("generelltfalt/status/beskrivning")
    assert reply.delivered("sjukpenning")
    return reply.findall("informationsfalt/person/formansinformation/sjukpenning/sjpArende")


def periods(case: etree._Element) -> list[tuple[str | None, str | None, str | None]]:
    return [(txt(p, "from"), txt(p, "tom"), txt(p, "omfattning")) for p in case.findall(_q("period"))]


def payments(reply: Reply) -> list[etree._Element]:
    assert reply.status == 0
    assert reply.delivered("utbetalning")
    return reply.findall("informationsfalt/person/formansinformation/utbetalning/period")


def personuppgifter(reply: Reply) -> etree._Element:
    assert reply.status == 0, reply.text("generelltfalt/status/beskrivning")
    el = reply.find("informationsfalt/person/personuppgifter")
    assert el is not None
    return el


def address(reply: Reply) -> tuple[str | None, ...] | None:
    el = personuppgifter(reply).find(_q("folkbokforingsadress"))
    if el is None:
        return None
    return txt(el, "utdelningsadress"), txt(el, "postnummer"), txt(el, "postort")


# -- one test per kind of event -------------------------------------------------------------
def test_case_starts_on_its_day_not_when_the_case_starts(at: Asker) -> None:
    # the case runs from 2026-11-03, but FK learns of it on 2026-11-10: before that day the
    # answer has no case, although the case's own dates lie before today
    assert sjp_cases(at.on("2026-11-02", CARL, ["sjukpenning"])) == []
    assert sjp_cases(at.on("2026-11-09", CARL, ["sjukpenning"])) == []
    (case,) = sjp_cases(at.on("2026-11-10", CARL, ["sjukpenning"]))
    assert txt(case, "arendestatus") == "1"
    assert txt(case, "anmalningsdatum") == "20261103"
    assert txt(case, "sjukpenningtyp") == "101"
    assert periods(case) == [("20261103", None, "100")]


def test_case_ends_closes_the_case_and_cuts_its_periods(at: Asker) -> None:
    (case,) = sjp_cases(at.on("2026-11-14", ELIN, ["sjukpenning"]))
    assert txt(case, "arendestatus") == "1"  # pågående
    assert periods(case) == [("20260504", "20261031", "100"), ("20261101", "20261130", "50")]
    (case,) = sjp_cases(at.on("2026-11-15", ELIN, ["sjukpenning"]))
    assert txt(case, "arendestatus") == "9"  # avslutat
    assert periods(case) == [("20260504", "20261031", "100"), ("20261101", "20261115", "50")]
    # weeks later the period planned from 2026-12-01 does not appear: the case has ended
    (case,) = sjp_cases(at.on("2026-12-02", ELIN, ["sjukpenning"]))
    assert txt(case, "arendestatus") == "9"
    assert periods(case) == [("20260504", "20261031", "100"), ("20261101", "20261115", "50")]


def test_payment_appears_on_its_day(at: Asker) -> None:
    assert payments(at.on("2026-11-24", CARL, ["utbetalning"])) == []
    (paid,) = payments(at.on("2026-11-25", CARL, ["utbetalning"]))
    assert txt(paid, "utbetalningsdatum") == "20261125"
    assert (txt(paid, "from"), txt(paid, "tom")) == ("20261103", "20261124")
    assert (txt(paid, "totaltBruttobelopp"), txt(paid, "totaltSkattebelopp"), txt(paid, "nettobelopp")) == (
        "18400",
        "5520",
        "12880",
    )


def test_new_personnummer_old_number_answers_4_and_the_new_one_answers(at: Asker) -> None:
    old = at.on("2026-11-30", NINA, ["generellPersonInformation", "sjukpenning"])
    assert old.status == 0
    assert txt(personuppgifter(old), "aviseringsnamn") == "Nummer Nina"
    assert old.text("informationsfalt/person/nyttPersonnummer") is None
    new = at.ask(NINA_NEW, ["generellPersonInformation"], "2026-11-30")
    assert new.status == 3  # not known by that number yet

    old = at.on("2026-12-01", NINA, ["generellPersonInformation", "sjukpenning"])
    assert old.status == 4
    assert old.text("informationsfalt/person/nyttPersonnummer") == NINA_NEW
    assert old.find("informationsfalt/person/personuppgifter") is None
    new = at.ask(NINA_NEW, ["generellPersonInformation", "sjukpenning"], "2026-12-01")
    person = personuppgifter(new)
    assert txt(person, "personnummer") == NINA_NEW
    assert txt(person, "aviseringsnamn") == "Nummer Nina"
    assert txt(person, "kommunbeteckning") == "0580"
    assert new.text("informationsfalt/person/nyttPersonnummer") is None
    (case,) = sjp_cases(new)  # her history follows her to the new number
    assert periods(case) == [("20260302", "20260331", "100")]
    assert address(new) == ("Bytesgatan 3", "58223", "Linköping")


def test_an_event_after_the_new_personnummer_reaches_the_new_number(at: Asker) -> None:
    at.on("2026-12-03", NINA, ["generellPersonInformation"])
    new = at.ask(NINA_NEW, ["generellPersonInformation"], "2026-12-03")
    assert address(new) == ("Nya numrets väg 10", "58224", "Linköping")
    assert at.ask(NINA, ["generellPersonInformation"], "2026-12-03").status == 4


def test_dies_deregisters_and_ends_the_levnadsintyg(at: Asker) -> None:
    before = at.on("2026-12-04", DAG, ["generellPersonInformation", "levnadsintyg"])
    assert txt(personuppgifter(before), "avregistrerad") == "0"
    assert txt(personuppgifter(before), "avregistreringsdatum") is None
    assert len(before.findall("informationsfalt/person/formansinformation/levnadsintyg/intyg")) == 1
    after = at.on("2026-12-05", DAG, ["generellPersonInformation", "levnadsintyg"])
    assert txt(personuppgifter(after), "avregistrerad") == "1"
    assert txt(personuppgifter(after), "avregistreringsdatum") == "20261205"
    assert after.findall("informationsfalt/person/formansinformation/levnadsintyg/intyg") == []


def test_moves_changes_address_and_kommun(at: Asker) -> None:
    before = at.on("2026-11-19", MARIA, ["generellPersonInformation"])
    assert address(before) == ("Gamla gatan 5", "41101", "Göteborg")
    assert txt(personuppgifter(before), "kommunbeteckning") == "1480"
    after = at.on("2026-11-20", MARIA, ["generellPersonInformation"])
    assert address(after) == ("Nya gatan 9", "90325", "Umeå")
    assert txt(personuppgifter(after), "kommunbeteckning") == "2480"


def test_protected_identity_withholds_the_address_from_its_day(at: Asker) -> None:
    before = at.on("2026-11-19", SIGGE, ["generellPersonInformation"])
    person = personuppgifter(before)
    assert txt(person, "sarskildProvning") == "false"
    assert address(before) == ("Öppna gatan 6", "75320", "Uppsala")
    assert txt(person, "kommunbeteckning") == "0380"
    assert txt(person, "arbetsgivare") == "5566778899"
    after = at.on("2026-11-20", SIGGE, ["generellPersonInformation"])
    person = personuppgifter(after)
    assert txt(person, "sarskildProvning") == "true"
    assert address(after) is None
    assert txt(person, "kommunbeteckning") is None
    assert txt(person, "arbetsgivare") is None
    assert "Öppna gatan".encode() not in etree.tostring(after.svar, encoding="utf-8")


def test_protected_identity_of_a_related_person_follows_their_record(at: Asker) -> None:
    def sigge_as_marias_samhorig(reply: Reply) -> str | None:
        (related,) = personuppgifter(reply).findall(_q("samhorigperson"))
        assert txt(related, "personnummer") == SIGGE
        return txt(related, "sarskildProvning")

    assert sigge_as_marias_samhorig(at.on("2026-11-19", MARIA, ["generellPersonInformation"])) == "false"
    assert sigge_as_marias_samhorig(at.on("2026-11-20", MARIA, ["generellPersonInformation"])) == "true"


def test_protected_false_lifts_the_protection(at: Asker) -> None:
    before = at.on("2026-11-24", OLIVIA, ["generellPersonInformation"])
    assert txt(personuppgifter(before), "sarskildProvning") == "true"
    assert address(before) is None
    after = at.on("2026-11-25", OLIVIA, ["generellPersonInformation"])
    assert txt(personuppgifter(after), "sarskildProvning") == "false"
    assert address(after) == ("Dolda gränd 7", "97231", "Luleå")
    assert txt(personuppgifter(after), "kommunbeteckning") == "2580"


# -- moving the clock -------------------------------------------------------------------------
def test_advance_reaches_an_event(admin: AdminClient, at: Asker) -> None:
    assert sjp_cases(at.ask(CARL, ["sjukpenning"], "2026-11-02")) == []
    clock = admin.advance(days=8)
    assert clock["today"] == "2026-11-10"
    assert len(sjp_cases(at.ask(CARL, ["sjukpenning"], "2026-11-10"))) == 1
    # the journal notes each question at the simulator's time
    assert [e["at"][:10] for e in admin.journal(personnummer=CARL, bodies=False)] == [
        "2026-11-10",
        "2026-11-02",
    ]


def test_the_day_of_an_event_begins_at_midnight_swedish_time(admin: AdminClient, at: Asker) -> None:
    clock = admin.set_clock(now="2026-11-09T23:59:59+01:00")
    assert clock["today"] == "2026-11-09"
    assert sjp_cases(at.ask(CARL, ["sjukpenning"], "2026-11-09")) == []
    clock = admin.set_clock(now="2026-11-09T23:30:00+00:00")  # 00:30 on the 10th in Stockholm
    assert clock["today"] == "2026-11-10"
    assert len(sjp_cases(at.ask(CARL, ["sjukpenning"], "2026-11-10"))) == 1


def test_moving_the_clock_back_hides_the_event_again(at: Asker) -> None:
    assert len(sjp_cases(at.on("2026-12-10", CARL, ["sjukpenning"]))) == 1
    assert at.on("2026-12-10", NINA, ["generellPersonInformation"]).status == 4
    assert sjp_cases(at.on("2026-11-09", CARL, ["sjukpenning"])) == []
    assert at.on("2026-11-09", NINA, ["generellPersonInformation"]).status == 0
    assert at.ask(NINA_NEW, ["generellPersonInformation"], "2026-11-09").status == 3
    assert address(at.on("2026-11-09", MARIA, ["generellPersonInformation"]))[0] == "Gamla gatan 5"


def test_reset_puts_the_clock_back_at_the_start(admin: AdminClient, at: Asker) -> None:
    at.on("2026-12-10", DAG, ["generellPersonInformation"])
    admin.reset()
    clock = admin.clock()
    assert clock["now"] == START
    assert clock["today"] == "2026-11-02" and clock["frozen"] is True
    person = personuppgifter(at.ask(DAG, ["generellPersonInformation"], "2026-11-02"))
    assert txt(person, "avregistrerad") == "0"
    assert sjp_cases(at.ask(CARL, ["sjukpenning"], "2026-11-02")) == []
    # and the question for a later day is refused again: it would end after today (8)
    assert at.ask(CARL, ["sjukpenning"], "2026-11-10").status == 8


def test_a_day_within_the_past_is_answered_as_today_knows_it(at: Asker) -> None:
    """Asked on 2026-12-10 about a period that ended 2026-11-12, Elin's case is closed:
    the timeline gives the person as today's day finds them, whatever period is asked."""
    at.on("2026-12-10", ELIN, ["sjukpenning"])
    (case,) = sjp_cases(at.lefi.ask(ELIN, ["sjukpenning"], fromdatum="2026-11-01", tomdatum="2026-11-12"))
    assert txt(case, "arendestatus") == "9"
    assert periods(case)[-1] == ("20261101", "20261115", "50")


# -- scenario check of a timeline -------------------------------------------------------------
BASE = """\
name: x
clock: {start: 2026-11-02T09:00:00+01:00, frozen: true}
persons:
  - personnummer: "198506102386"
    first_name: Sara
    last_name: Sjöberg
timeline:
"""


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "scenario", "check", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_timeline_scenario_is_valid() -> None:
    result = check(SCENARIO)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "7 persons" in result.stdout


@pytest.mark.parametrize(
    ("events", "line", "reason"),
    [
        (
            '  - {date: 2026-11-10, personnummer: "199101012392", event: dies}\n',
            8,
            "199101012392 is not one of the scenario's persons",
        ),
        (
            '  - date: 2026-11-10\n    personnummer: "198506102386"\n    event: case_starts\n'
            "    case: {benefit: flygpengar, status: pagaende, periods: [{from: 2026-11-10}]}\n",
            11,
            "unknown benefit 'flygpengar'",
        ),
        (
            '  - date: 2026-11-25\n    personnummer: "198506102386"\n    event: payment\n'
            "    payment: {benefit: sjukpenning, date: 2026-11-24, from: 2026-11-01, tom: 2026-11-24,"
            " gross: 100, net: 100}\n",
            8,
            "the payment's date 2026-11-24 is not the event's date 2026-11-25",
        ),
        (
            '  - {date: 2026-11-10, personnummer: "198506102386", event: case_ends}\n',
            8,
            "event case_ends needs benefit",
        ),
        (
            '  - {date: 2026-11-10, personnummer: "198506102386", event: case_ends, benefit: sjukpeng}\n',
            8,
            "unknown benefit 'sjukpeng'",
        ),
        (
            '  - {date: 2026-11-10, personnummer: "198506102386", event: new_personnummer,'
            ' new_personnummer: "198506102386"}\n',
            8,
            "its own personnummer",
        ),
        (
            '  - {date: 2026-11-10, personnummer: "198506102386", event: moves}\n',
            8,
            "event moves needs address and/or kommunkod",
        ),
        ('  - {date: 2026-11-31, personnummer: "198506102386", event: dies}\n', 8, "not a date"),
    ],
)
def test_a_broken_timeline_is_refused_with_file_line_reason(
    tmp_path: Path, events: str, line: int, reason: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BASE + events, encoding="utf-8")
    result = check(path)
    assert result.returncode == 1, result.stdout
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:{line}: "), result.stderr
    assert reason in first, result.stderr


def test_the_base_of_the_broken_timelines_is_valid(tmp_path: Path) -> None:
    """So that each broken timeline above fails for its event alone."""
    path = tmp_path / "good.yaml"
    path.write_text(
        BASE + '  - {date: 2026-11-10, personnummer: "198506102386", event: dies}\n', encoding="utf-8"
    )
    result = check(path)
    assert result.returncode == 0, result.stderr


def test_a_chain_of_renames_points_every_old_number_at_the_newest(tmp_path: Path) -> None:
    from datetime import date

    from simulator.domain.personnummer import Personnummer
    from simulator.scenario.loader import load_scenario
    from simulator.scenario.store import make_store

    chain = tmp_path / "chain.yaml"
    chain.write_text(
        """name: chain
organisations: [{orgnummer: "2120000142", name: K, type: kommun, agreement: all}]
persons: [{personnummer: "198506102386", first_name: A, last_name: B}]
timeline:
  - {date: 2026-12-01, personnummer: "198506102386", event: new_personnummer, new_personnummer: "198803182388"}
  - {date: 2026-12-10, personnummer: "198803182388", event: new_personnummer, new_personnummer: "198701252390"}
  - {date: 2026-12-12, personnummer: "198701252390", event: moves, kommunkod: "0180"}
""",
        encoding="utf-8",
    )
    store = make_store(load_scenario(chain))

    def on(number: str, day: date) -> tuple[str | None, str | None] | None:
        person = store.person(Personnummer(number), day)
        return None if person is None else (person.new_personnummer, person.kommunkod)

    assert on("198803182388", date(2026, 12, 5)) == (None, None)  # the current number then
    assert on("198803182388", date(2026, 12, 15)) == ("198701252390", "0180")  # renamed again since
    assert on("198506102386", date(2026, 12, 15)) == ("198701252390", "0180")
    assert on("198701252390", date(2026, 12, 15)) == (None, "0180")
    assert on("198701252390", date(2026, 12, 9)) is None  # not yet given out


def test_renames_that_go_round_in_a_circle_are_refused(tmp_path: Path) -> None:
    cycle = tmp_path / "cycle.yaml"
    cycle.write_text(
        """name: cycle
organisations: [{orgnummer: "2120000142", name: K, type: kommun, agreement: all}]
persons: [{personnummer: "198506102386", first_name: A, last_name: B}]
timeline:
  - {date: 2026-12-01, personnummer: "198803182388", event: new_personnummer, new_personnummer: "198701252390"}
  - {date: 2026-12-10, personnummer: "198701252390", event: new_personnummer, new_personnummer: "198803182388"}
""",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "scenario", "check", str(cycle)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "go round in a circle" in result.stderr
    assert re.search(r"cycle\.yaml:5: timeline\[0\]", result.stderr), result.stderr
