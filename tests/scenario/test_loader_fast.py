"""The fast scenario reader (rapidyaml) gives exactly what the exact one (PyYAML) gives:
the same model for every scenario we ship, a generated file and files full of YAML 1.1
typing traps, and the same ``file:line: reason`` problems on a corpus of broken files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.scenario import fast_yaml
from simulator.scenario.loader import ScenarioError, _parse_exact, parse_scenario
from simulator.scenario.models import Scenario
from simulator.scenario.population import write_scenario_yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
SHIPPED = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("tests/scenarios/*.yaml")])
BROKEN = sorted((HERE / "broken").glob("*.yaml"))
# broken files whose problems the model or the checks find: their lines come from the fast
# reader's tree, not from a second (exact) reading
FOUND_BY_THE_MODEL = {
    "crlf.yaml",
    "cross_field.yaml",
    "empty_items.yaml",
    "impossible_date_quoted.yaml",
    "missing_required.yaml",
    "no_name.yaml",
    "trap_date_for_string.yaml",
    "trap_octal.yaml",
    "trap_tilde.yaml",
    "trap_yes_no.yaml",
    "unicode_then_error.yaml",
    "unknown_fields.yaml",
    "wrong_types.yaml",
}


def _text(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as f:  # as load_scenario reads it
        return f.read()


def _outcome(parse: object, text: str, name: str) -> Scenario | list[str]:
    try:
        return parse(text, name)  # type: ignore[operator,no-any-return]
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]


def _same_model_fast(path: Path) -> Scenario:
    text = _text(path)
    fast_yaml.read(text)  # read fast, not handed to the exact reader
    scenario = parse_scenario(text, str(path))
    assert scenario == _parse_exact(text, str(path))
    return scenario


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scenario_reads_fast_to_the_same_model(path: Path) -> None:
    _same_model_fast(path)


def test_yaml_1_1_typing_traps_are_typed_as_pyyaml_types_them() -> None:
    scenario = _same_model_fast(HERE / "tricky" / "typing_traps.yaml")
    person = scenario.persons[0]
    assert scenario.description == "2024-01-01" and scenario.clock.frozen is True
    assert (person.first_name, person.last_name, person.kommunkod) == ("~", "012", "0127")
    assert person.address is not None and person.address.co is None and person.address.postort == "null"
    period = person.cases[0].periods[0]
    assert (period.omfattning, period.days, str(period.monthly_amount)) == (10, 31, "1000.5")
    sgi = person.sgi[0]
    assert (sgi.karenstid, sgi.work_days, sgi.work_hours, sgi.income_a) == (3, 10, 90, 1000)
    assert person.cases[0].type == "1e3"


def test_what_the_fast_reader_leaves_is_read_the_exact_way() -> None:
    path = HERE / "tricky" / "exact_reader.yaml"
    text = _text(path)
    with pytest.raises(fast_yaml.Unsupported):
        fast_yaml.read(text)
    scenario = parse_scenario(text, str(path))
    assert scenario == _parse_exact(text, str(path)) and scenario.persons[0].last_name == "-.5"


@pytest.fixture(scope="module")
def generated_500(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("generated") / "persons-500.yaml"
    write_scenario_yaml(path, 500, seed=7)
    return path


def test_a_generated_500_person_file_reads_fast_to_the_same_model(generated_500: Path) -> None:
    assert len(_same_model_fast(generated_500).persons) == 500


def test_a_problem_deep_in_a_generated_file_has_the_same_line(generated_500: Path) -> None:
    text = _text(generated_500)
    at = text.rindex("status: avslutat")
    broken = text[:at] + "status: done" + text[at + len("status: avslutat") :]
    fast_yaml.read(broken)
    problems = _outcome(parse_scenario, broken, "big.yaml")
    assert isinstance(problems, list) and problems == _outcome(_parse_exact, broken, "big.yaml")
    assert problems[0].startswith(f"big.yaml:{broken[:at].count(chr(10)) + 1}: persons[")


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_files_give_the_same_problems_as_before(path: Path) -> None:
    text = _text(path)
    problems = _outcome(parse_scenario, text, str(path))
    assert isinstance(problems, list) and problems, "a broken file must be refused"
    assert problems == _outcome(_parse_exact, text, str(path))
    assert all(p.startswith(f"{path}:") for p in problems)
    if path.name in FOUND_BY_THE_MODEL:
        fast_yaml.read(text)


def test_broken_yaml_is_reported_once_without_rapidyamls_own_report() -> None:
    path = HERE / "broken" / "syntax_indentation.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "scenario", "check", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr == f"{path}:18: not valid YAML: mapping values are not allowed here\n"
