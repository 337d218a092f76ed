"""``lefi-sim nummer``: a test personnummer or orgnummer completed with its check digit."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support.server import ROOT

from simulator.domain import orgnummer
from simulator.server.cli import complete_check_digit, main


def nummer(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "nummer", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_completes_a_personnummer_and_an_orgnummer() -> None:
    person = nummer("personnummer", "19850610238")
    assert (person.returncode, person.stdout) == (0, "198506102386\n")
    org = nummer("orgnummer", "202100552")
    assert (org.returncode, org.stdout) == (0, "2021005521\n")


@pytest.mark.parametrize(
    ("kind", "digits", "number"),
    [
        ("personnummer", "19850610238", "198506102386"),  # Sara Sjöberg of the default scenario
        ("personnummer", "19850610-238", "198506102386"),
        ("personnummer", "850610-238", "850610-2386"),  # the 10-digit form keeps its separator
        ("personnummer", "360219+918", "360219+9188"),  # Klara, born 1936
        ("personnummer", "19850670238", "198506702383"),  # a samordningsnummer: day + 60
        ("orgnummer", "556677889", "5566778899"),
        ("orgnummer", "212000014", "2120000142"),
        ("orgnummer", "556000-222", orgnummer.make_orgnummer("556000222").value),
    ],
)
def test_the_check_digit_is_the_domain_s(kind: str, digits: str, number: str) -> None:
    assert complete_check_digit(kind, digits) == number


@pytest.mark.parametrize(
    ("kind", "digits", "words"),
    [
        ("personnummer", "19850632238", "not a valid date"),
        ("personnummer", "1985061023", "expected YYYYMMDDNNN"),
        ("personnummer", "29850610238", "after"),  # born in the future
        ("orgnummer", "12345", "expected 9 digits"),
        ("orgnummer", "551234567", "third digit"),  # 55-12...: a personnummer's month
    ],
)
def test_what_cannot_become_a_number_is_refused_with_the_reason(
    kind: str, digits: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["nummer", kind, digits]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lefi-sim nummer: ") and words in err
