"""`lefi-sim scenario check`: a good scenario gets a one-line summary; a broken one gets
file:line: reason for each problem, and exit status 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.server import DEFAULT_SCENARIO, ROOT

GOOD_PERSON = """\
  - personnummer: "198506102386"
    first_name: Sara
    last_name: Sjöberg
"""


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "scenario", "check", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_scenario_is_valid() -> None:
    result = check(DEFAULT_SCENARIO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert "OK" in result.stdout and "26 persons" in result.stdout


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("name: x\npersons:\n  - personnummer: [unclosed\n", 3, "not valid YAML"),
        (
            "name: x\npersons:\n" + GOOD_PERSON + "    shoe_size: 42\n",
            6,
            "shoe_size: Extra inputs are not permitted",
        ),
        ("name: x\npersons:\n" + GOOD_PERSON.replace("2386", "2387"), 3, "wrong check digit"),
        (
            "name: x\npersons:\n"
            + GOOD_PERSON
            + "    cases:\n      - benefit: sjukpeng\n        status: avslutat\n",
            7,
            "unknown benefit 'sjukpeng'",
        ),
        (
            "name: x\npersons:\n"
            + GOOD_PERSON
            + "    payments:\n      - {benefit: sjukpenning, date: 2025-01-01, "
            "from: 2025-01-01, tom: 2025-01-31, gross: 100, tax: 30, net: 80}\n",
            7,
            "net 80 is not gross 100 - tax 30",
        ),
        ("name: x\npersons:\n" + GOOD_PERSON + GOOD_PERSON, 6, "already used by persons[0]"),
        (
            "name: x\npersons:\n" + GOOD_PERSON + "    technical_error: OOPS\n",
            6,
            "technical_error: Input should be",
        ),
        (
            "name: x\norganisations:\n  - {orgnummer: '2120000143', name: K, type: kommun}\n",
            3,
            "not a valid orgnummer",
        ),
        (
            "name: x\norganisations:\n  - orgnummer: '2120000142'\n    name: K\n    type: kommun\n"
            "    agreement: [sjukpenning, flygpengar]\n",
            6,
            "unknown benefit 'flygpengar'",
        ),
        (
            "name: x\npersons:\n"
            + GOOD_PERSON
            + "    cases:\n      - benefit: sjukpenning\n        status: avslutat\n"
            "        periods:\n          - {from: 2025-02-01, tom: 2025-01-01}\n",
            10,
            "ends (2025-01-01) before it starts",
        ),
        ("- just\n- a list\n", 1, "a scenario is a mapping"),
        ("name: x\npersons:\n" + GOOD_PERSON + "    deceased: 2025-02-29\n", 6, "'2025-02-29' is not a date"),
        (
            "name: x\npersons: []\norganisations: []\npersons: []\n",
            4,
            "'persons' is given twice (first on line 2)",
        ),
        (
            "name: x\npersons:\n" + GOOD_PERSON + "    new_personnummer: '198506102386'\n",
            6,
            "its own personnummer",
        ),
        (
            "name: x\npersons:\n"
            + GOOD_PERSON
            + "    payments:\n      - {benefit: levnadsintyg, date: 2025-01-01, "
            "from: 2025-01-01, tom: 2025-01-31, gross: 100, net: 100}\n",
            7,
            "levnadsintyg has no payments",
        ),
        (
            "name: x\npersons:\n"
            + GOOD_PERSON
            + "    cases:\n      - benefit: prognos\n        status: avslutat\n",
            7,
            "prognos has no cases",
        ),
        (
            "name: x\norganisations:\n  - {orgnummer: '2120000142', name: K, type: kommun, users: [{personnummer: "
            "'197808072388', name: A}]}\n  - {orgnummer: '5566778899', name: F, type: forsakringsbolag, users: "
            "[{personnummer: '19780807-2388', name: B}]}\n",
            4,
            "user 197808072388 is already registered for organisations[0] (users[0])",
        ),
    ],
)
def test_broken_scenario_names_file_line_and_reason(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = write(tmp_path, text)
    result = check(path)
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:{line}: "), result.stderr
    assert reason in first, result.stderr


def test_every_problem_is_listed(tmp_path: Path) -> None:
    text = (
        "name: x\npersons:\n"
        + GOOD_PERSON.replace("2386", "2387")
        + GOOD_PERSON.replace("198506102386", "198506102386").replace("Sara", "Sara2")
        + "    civilstand: sambo\n"
    )
    result = check(write(tmp_path, text))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and ":9: persons[1].civilstand" in lines[0]
    # pydantic problems come first; once the shape is right, the identity checks speak
    fixed = text.replace("    civilstand: sambo\n", "")
    lines = check(write(tmp_path, fixed)).stderr.splitlines()
    assert [ln.split(": ", 1)[0] for ln in lines] == [f"{tmp_path / 'broken.yaml'}:3"]


def test_missing_file_is_reported(tmp_path: Path) -> None:
    result = check(tmp_path / "nope.yaml")
    assert result.returncode == 1
    assert "cannot read" in result.stderr


def test_the_documented_example_scenario_is_valid(tmp_path: Path) -> None:
    """The scenario example of docs/scenarios.md, and with it each later example block (timeline,
    faults, population), is a valid scenario."""
    page = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in page.split("```yaml\n")[1:]]
    assert len(blocks) >= 4
    result = check(write(tmp_path, blocks[0]))
    assert result.returncode == 0, result.stderr
    for block in blocks[1:]:
        result = check(write(tmp_path, blocks[0] + block))
        assert result.returncode == 0, (block, result.stderr)
