"""Scenario fields of the SSEK and SHS bindings: SenderIds and SHS agreements are checked
by `lefi-sim scenario check` with file:line: reason, like every other field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.server import ROOT

ORG = "  - orgnummer: '{nr}'\n    name: Org {nr}\n    type: forsakringsbolag\n    transports: [ssek, shs]\n"


def check(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "scenario.yaml"
    path.write_text("name: x\norganisations:\n" + text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "simulator", "scenario", "check", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sender_ids_and_agreements_are_accepted(tmp_path: Path) -> None:
    result = check(
        tmp_path,
        ORG.format(nr="5566778899") + "    ssek_sender_ids: [{id: klient.example, type: CN},"
        " {id: '556677-8899', type: ORGNR}]\n    shs_agreements: [{id: a-1, product: "
        "'urn:X-shs:045a177d-ca3d-4a66-b222-a7e0ebbaf0b9', transfer_type: synch}]\n",
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("extra", "line", "reason"),
    [
        ("    ssek_sender_ids: [{id: klient, type: CERT}]\n", 7, "ssek_sender_ids[0].type: Input should be"),
        ("    ssek_sender_ids: [{id: '5566778898', type: ORGNR}]\n", 7, "not a valid orgnummer"),
        ("    ssek_sender_ids: [{id: '5590123450', type: ORGNR}]\n", 7, "is organisations[1]'s own"),
        ("    shs_agreements: [{id: 'a b', product: p}]\n", 7, "shs_agreements[0].id: String should match"),
        ("    shs_agreements: [{id: a, product: p, transfer_type: sometimes}]\n", 7, "transfer_type"),
    ],
)
def test_broken_fields_are_reported_with_their_line(
    tmp_path: Path, extra: str, line: int, reason: str
) -> None:
    result = check(tmp_path, ORG.format(nr="5566778899") + extra + ORG.format(nr="5590123450"))
    assert result.returncode == 1
    assert f":{line}:" in result.stderr and reason in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        (
            "    ssek_sender_ids: [{id: klient, type: CN}]\n",
            "    ssek_sender_ids: [{id: klient, type: CN}]\n",
            "SenderId CN 'klient' is already used by organisations[0]",
        ),
        (
            "    shs_agreements: [{id: a-1, product: p}]\n",
            "    shs_agreements: [{id: a-1, product: q}]\n",
            "agreement a-1 is already used by organisations[0]",
        ),
    ],
)
def test_an_id_names_one_organisation(tmp_path: Path, first: str, second: str, reason: str) -> None:
    result = check(tmp_path, ORG.format(nr="5566778899") + first + ORG.format(nr="5590123450") + second)
    assert result.returncode == 1
    assert reason in result.stderr, result.stderr


def test_the_same_sender_id_with_another_type_is_another_id(tmp_path: Path) -> None:
    result = check(
        tmp_path,
        ORG.format(nr="5566778899")
        + "    ssek_sender_ids: [{id: klient, type: CN}]\n"
        + ORG.format(nr="5590123450")
        + "    ssek_sender_ids: [{id: klient, type: APP}]\n",
    )
    assert result.returncode == 0, result.stderr
