"""The generated population: deterministic, valid numbers, plausible and valid persons
covering every benefit, a CSV number source, and scenario files that load."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from lxml import etree
from personnummer import personnummer as pypi_personnummer
from support.lefi import ask_raw, assert_valid, raw_question
from support.server import NS, Server

from simulator.domain.benefits import ALL_KEYS, Shape, benefit, keys_for_version
from simulator.domain.personnummer import Personnummer
from simulator.scenario import population as population_module
from simulator.scenario.checks import check_scenario
from simulator.scenario.loader import load_scenario
from simulator.scenario.models import Person, Population, Scenario
from simulator.scenario.population import (
    DEFAULT_ANCHOR,
    GeneratedPopulation,
    PopulationError,
    write_scenario_yaml,
)

ROOT = Path(__file__).resolve().parents[2]
ALL_PINS = ROOT.parent / "shared" / "reference" / "testpersonnummer" / "allPins.json"
ANCHOR = date(2026, 11, 2)


def build(
    count: int, seed: int = 7, anchor: date | None = ANCHOR, base: Path = ROOT, **spec: object
) -> GeneratedPopulation:
    return GeneratedPopulation.build(Population(count=count, seed=seed, **spec), base, anchor)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def pop() -> GeneratedPopulation:
    return build(2000)


@pytest.fixture(scope="module")
def persons(pop: GeneratedPopulation) -> list[Person]:
    return list(pop.persons())


def digest(people: list[Person]) -> str:
    h = hashlib.sha256()
    for p in people:
        h.update(p.model_dump_json().encode())
    return h.hexdigest()


# --- numbers ----------------------------------------------------------------------------


def test_numbers_are_valid_unique_and_born_by_the_anchor() -> None:
    pop = build(10_000, seed=3, samordningsnummer_share=0.1)
    numbers = list(pop.numbers())
    assert len(numbers) == len(pop) == 10_000
    assert len(set(numbers)) == len(numbers)
    samordning = 0
    for n in numbers:
        ours = Personnummer(n)
        assert ours.birth_date <= ANCHOR, n
        theirs = pypi_personnummer.Personnummer(n)  # raises when the library refuses it
        assert theirs.is_coordination_number() == ours.is_samordningsnummer, n
        samordning += ours.is_samordningsnummer
        assert n in pop
    assert 0.08 < samordning / len(numbers) < 0.12
    years = Counter(int(n[:4]) // 10 * 10 for n in numbers)
    assert min(years) <= 1930 and max(years) == 2020, years  # the 1930s to the 2020s
    assert all(years[d] > 0 for d in range(1940, 2030, 10)), years
    assert "199001011234" not in pop and 1234 not in pop


def test_no_samordningsnummer_when_the_share_is_zero() -> None:
    assert not any(
        Personnummer(n).is_samordningsnummer for n in build(3000, samordningsnummer_share=0).numbers()
    )


# --- determinism --------------------------------------------------------------------------


def test_same_seed_same_people_in_any_order(pop: GeneratedPopulation) -> None:
    numbers = list(pop.numbers())
    again = build(2000)
    assert list(again.numbers()) == numbers
    sample = numbers[::97]
    backwards = {n: again.person(n) for n in reversed(sample)}
    assert all(pop.person(n) == backwards[n] for n in sample)


def test_another_seed_gives_other_people(pop: GeneratedPopulation) -> None:
    other = build(2000, seed=8)
    assert len(set(other.numbers()) & set(pop.numbers())) < 50


def test_same_people_in_another_process(persons: list[Person]) -> None:
    code = (
        "import hashlib, sys; from datetime import date; from pathlib import Path\n"
        "from simulator.scenario.models import Population\n"
        "from simulator.scenario.population import GeneratedPopulation\n"
        "pop = GeneratedPopulation.build(Population(count=2000, seed=7), Path('.'), date(2026, 11, 2))\n"
        "numbers = list(pop.numbers())\n"
        "h = hashlib.sha256()\n"
        "for n in numbers[1000:1100]: h.update(pop.person(n).model_dump_json().encode())\n"
        "print(h.hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # another str hash than this process's
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert out == digest(persons[1000:1100])


def test_dates_follow_the_anchor_not_the_wall_clock() -> None:
    assert list(build(50, anchor=None).numbers()) == list(build(50, anchor=DEFAULT_ANCHOR).numbers())
    as_of = build(50, anchor=None, as_of=date(2020, 3, 1))
    assert list(as_of.numbers()) == list(build(50, anchor=date(2020, 3, 1)).numbers())
    assert list(as_of.numbers()) != list(build(50, anchor=None).numbers())
    window_end = date(2020, 3, 1) + timedelta(days=62)
    assert all(pay.date <= window_end for p in as_of.persons() for pay in p.payments)


def test_the_person_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(population_module, "_CACHE_SIZE", 5)
    pop = build(40)
    numbers = list(pop.numbers())
    first = [pop.person(n) for n in numbers]
    assert not pop._person_cache  # each asked for once (as by a batch): none kept
    assert [pop.person(n) for n in numbers[-10:]] == first[-10:]
    assert len(pop._person_cache) == 5  # asked for again soon: kept, up to the bound
    assert [pop.person(n) for n in numbers] == first


# --- the people ---------------------------------------------------------------------------


def test_persons_pass_the_scenario_checks(persons: list[Person]) -> None:
    scenario = Scenario(name="generated", persons=tuple(persons))
    assert check_scenario(scenario) == []
    # and they survive a round trip through validation, as a scenario file would give them
    for p in persons[::50]:
        assert Person.model_validate(p.model_dump(by_alias=True)) == p


def test_every_benefit_occurs(persons: list[Person]) -> None:
    seen = {"generellPersonInformation"}
    for p in persons:
        seen.update(c.benefit for c in p.cases)
        seen.update(pay.benefit for pay in p.payments)
        if p.payments:
            seen.add("utbetalning")
        if p.sgi:
            seen.add("sjukpenninggrundandeInkomst")
        if p.pension is not None:
            seen.add("pension")
        if p.pensionsprognos:
            seen.add("prognos")
        if p.levnadsintyg:
            seen.add("levnadsintyg")
    assert seen == set(ALL_KEYS), sorted(set(ALL_KEYS) - seen)
    # every paid benefit with cases is paid somewhere too
    paid = {pay.benefit for p in persons for pay in p.payments}
    with_cases = {c.benefit for p in persons for c in p.cases if benefit(c.benefit).payment_code}
    assert with_cases - paid <= {"vardbidrag", "handikappersattning"}  # both ended before the window


def test_amounts_and_dates_are_plausible(pop: GeneratedPopulation, persons: list[Person]) -> None:
    window = date(2025, 5, 1)
    for p in persons:
        for pay in p.payments:
            assert window <= pay.date <= ANCHOR + timedelta(days=62), (p.personnummer, pay)
            assert pay.gross > 0 and pay.net >= 0
            if pay.details:
                assert sum(d.gross for d in pay.details) == pay.gross
                assert sum(d.tax for d in pay.details) == pay.tax
                assert sum(d.deductions for d in pay.details) == pay.deductions
        for c in p.cases:
            assert benefit(c.benefit).shape in (Shape.DAGERSATTNING, Shape.ERSATTNING)
            if c.start is not None:
                assert c.start <= ANCHOR + timedelta(days=62), (p.personnummer, c)
            if c.reported and c.periods:
                # (a survivor applies within weeks of the death; the pension runs from the month after)
                assert c.reported <= min(x.from_ for x in c.periods) + timedelta(days=40), (p.personnummer, c)
        if p.deceased is not None:
            assert p.deceased <= ANCHOR and not any(
                pay.date > p.deceased + timedelta(days=40) for pay in p.payments
            )
        age = ANCHOR.year - Personnummer(p.personnummer).birth_date.year
        if p.pension is not None and p.pension.alderspension:
            assert age >= 65
        if any(c.benefit == "foraldrapenning" for c in p.cases):
            assert 18 <= age <= 70
    share = Counter(bool(p.cases or p.payments or p.sgi or p.pension) for p in persons)
    assert 0.4 < share[True] / len(persons) < 0.95, share
    assert sum(p.protected_identity for p in persons) >= 5
    assert sum(p.deceased is not None for p in persons) >= 5
    assert sum(p.address is None for p in persons) >= 5


def test_families_point_at_people_of_the_population(pop: GeneratedPopulation, persons: list[Person]) -> None:
    by_number = {p.personnummer: p for p in persons}
    children = partners = 0
    for p in persons:
        born = Personnummer(p.personnummer).birth_date
        for r in p.related:
            other = by_number[r.personnummer]  # every relation is another generated person
            other_born = Personnummer(other.personnummer).birth_date
            if r.relation == "barn":
                children += 1
                assert 18 <= other_born.year - born.year <= 45
                parents = [p] + [by_number[x.personnummer] for x in p.related if x.relation == "samhorig"]
                assert other.last_name in {x.last_name for x in parents}
                assert r.protected_identity == other.protected_identity
            else:
                partners += 1
                assert abs(other_born.year - born.year) <= 3
                if p.deceased is None:  # the survivor of a deceased partner no longer lists them
                    assert any(y.personnummer == p.personnummer for y in other.related)
        for c in p.cases:
            if c.child is not None:
                assert any(r.personnummer == c.child and r.relation == "barn" for r in p.related)
    assert children > 200 and partners > 200


# --- the CSV source -----------------------------------------------------------------------


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.reference
def test_numbers_from_a_csv(tmp_path: Path) -> None:
    source = list(build(300, seed=99).numbers())
    write_csv(tmp_path / "pins.csv", ["Testpersonnummer", *source])
    pop = build(250, numbers="pins.csv", base=tmp_path)
    assert list(pop.numbers()) == source[:250]
    again = build(250, numbers="pins.csv", base=tmp_path)
    assert [again.person(n) for n in source[:250:10]] == [pop.person(n) for n in source[:250:10]]
    assert check_scenario(Scenario(name="csv", persons=tuple(pop.persons()))) == []


@pytest.mark.skipif(not ALL_PINS.exists(), reason="Skatteverket's test numbers (../shared) are not here")
def test_skatteverkets_test_numbers_as_the_source(tmp_path: Path) -> None:
    pins = json.loads(ALL_PINS.read_text())
    write_csv(tmp_path / "allPins.csv", ["Testpersonnummer", *pins])
    pop = build(3000, numbers="allPins.csv", base=tmp_path)
    assert list(pop.numbers()) == pins[:3000]
    people = [pop.person(n) for n in pins[:3000:5]]
    assert check_scenario(Scenario(name="skv", persons=tuple(p for p in people if p is not None))) == []


@pytest.mark.parametrize(
    ("lines", "line", "words"),
    [
        (["Personnummer", "198506102386"], 1, "header"),
        (["Testpersonnummer", "198506102386", "19850610-2386"], 3, "12-digit"),
        (["Testpersonnummer", "198506102386", "", "198506102387"], 4, "check digit"),
        (["Testpersonnummer", "198506102386", "198506102386"], 3, "twice"),
        (["Testpersonnummer", "198506102386", "198803182388"], None, "needs 3 numbers; the file holds 2"),
    ],
)
def test_bad_csv_is_refused_with_its_line(
    tmp_path: Path, lines: list[str], line: int | None, words: str
) -> None:
    write_csv(tmp_path / "bad.csv", lines)
    with pytest.raises(PopulationError) as caught:
        build(3, numbers="bad.csv", base=tmp_path)
    assert caught.value.line == line and words in str(caught.value)
    assert caught.value.file == str(tmp_path / "bad.csv")
    if line:
        assert str(caught.value).startswith(f"{tmp_path / 'bad.csv'}:{line}: ")


def test_a_missing_csv_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PopulationError, match="cannot read"):
        build(3, numbers="nowhere.csv", base=tmp_path)


# --- scenario files -------------------------------------------------------------------------


def test_a_written_scenario_loads_and_holds_the_same_people(tmp_path: Path) -> None:
    out = tmp_path / "generated.yaml"
    write_scenario_yaml(out, 40, 5, as_of=date(2026, 6, 1))
    scenario = load_scenario(out)  # raises with every problem when the file does not check
    assert len(scenario.persons) == 40 and scenario.clock.start is not None
    assert scenario.clock.start.date() == date(2026, 6, 1) and scenario.clock.start.utcoffset() == timedelta(
        hours=2
    )
    assert {o.orgnummer for o in scenario.organisations} >= {"2120000142", "5566778899"}
    pop = build(40, seed=5, anchor=date(2026, 6, 1))
    assert list(scenario.persons) == list(pop.persons())
    text = out.read_text(encoding="utf-8")
    assert "&id" not in text and "*id" not in text  # no YAML aliases in a file people edit
    assert (
        "kommunkod: '" in text and "kommunkod: 0" not in text
    )  # numbers-as-text stay text for any YAML tool


def test_a_written_scenario_to_a_stream_passes_the_cli_check(tmp_path: Path) -> None:
    buffer = io.StringIO()
    write_scenario_yaml(buffer, 30, 11, as_of=ANCHOR, progress=False)
    path = tmp_path / "s.yaml"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "scenario", "check", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "30 persons" in done.stdout


# --- through the server -----------------------------------------------------------------------


def test_the_server_answers_generated_persons_validly(
    tmp_path: Path, server_factory: Callable[..., Server]
) -> None:
    scenario = tmp_path / "population.yaml"
    scenario.write_text(
        (ROOT / "scenarios" / "default.yaml").read_text(encoding="utf-8")
        + "\npopulation: {count: 500, seed: 2}\n",
        encoding="utf-8",
    )
    server = server_factory(scenario=scenario)
    pop = build(500, seed=2)
    delivered: Counter[str] = Counter()
    for i, number in enumerate(list(pop.numbers())[::10]):
        version = 5 if i % 5 == 0 else 6
        answer = ask_raw(
            server.url,
            raw_question(
                number,
                keys_for_version(version),
                fromdatum="2024-11-01",
                tomdatum="2026-10-31",
                version=version,
            ),
        )
        assert answer.status_code == 200, answer.text
        svar = etree.fromstring(answer.content).find(f".//{{{NS}}}FK.Online.Svar")
        assert svar is not None, answer.text
        assert_valid(svar, version)
        assert svar.findtext(f"{{{NS}}}generelltfalt/{{{NS}}}status/{{{NS}}}kod") == "0"
        person = svar.find(f".//{{{NS}}}formansinformation")
        assert person is not None
        delivered.update(etree.QName(child).localname for child in person if len(child) > 1)
    # answers carry data, not only empty blocks
    assert {"utbetalning", "barnbidrag", "sjukpenninggrundandeInkomst", "prognos"} <= set(delivered), (
        delivered
    )
