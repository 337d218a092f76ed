"""Rule edge cases on a scenario of their own (tests/scenarios/rules.yaml): history limits
against decisions and periods, current-only data, protected relatives, and what an
older interface version may carry."""

from __future__ import annotations

import pytest
from support.lefi import Lefi, make_lefi
from support.server import NS, ROOT, running, start_server, stop_server

RULES = ROOT / "tests" / "scenarios" / "rules.yaml"


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with running(tmp_path_factory.mktemp("rules"), scenario=RULES) as server:
        yield make_lefi(server.url)


def test_a_pension_decided_before_the_history_limit_is_shown_while_in_force(rules: Lefi) -> None:
    reply = rules.ask("193602229092", ["pension"], fromdatum="2025-01-01", tomdatum="2026-10-31")
    beslut = reply.findall(
        "informationsfalt/person/formansinformation/pension/alderspension/alderspensionsbeslut"
    )
    assert [b.findtext(f"{{{NS}}}inkomstpension/{{{NS}}}from") for b in beslut] == ["20010101"]
    assert (
        reply.text(
            "informationsfalt/person/formansinformation/pension/premiepension/"
            "premiepensionsbeslut/manadsbelopp"
        )
        == "500"
    )


def test_a_period_straddling_the_history_limit_is_cut_at_it(rules: Lefi) -> None:
    reply = rules.ask(
        "196002262852", ["sjukOchAktivitetsersattning"], fromdatum="2002-07-01", tomdatum="2004-06-30"
    )
    block = reply.benefit("sjukOchAktivitetsersattning")
    assert block.findtext(f"{{{NS}}}meddelande") == "2"  # part of the period is before 2003
    period = block.find(f"{{{NS}}}arende/{{{NS}}}period")
    assert period.findtext(f"{{{NS}}}from") == "20030101"
    assert period.findtext(f"{{{NS}}}tom") == "20041231"
    assert period.find(f"{{{NS}}}antalDagar") is None  # the day count was for the whole period


@pytest.mark.parametrize("who", ["195002281839", "195003042222"], ids=["deceased", "expired"])
def test_no_current_levnadsintyg_after_death_or_expiry(rules: Lefi, who: str) -> None:
    reply = rules.ask(who, ["levnadsintyg"])
    assert reply.delivered("levnadsintyg")
    assert reply.findall("informationsfalt/person/formansinformation/levnadsintyg/intyg") == []


def test_a_relatives_protected_identity_comes_from_their_own_record(rules: Lefi) -> None:
    reply = rules.ask("197007219293", ["generellPersonInformation"])
    assert reply.text("informationsfalt/person/personuppgifter/samhorigperson/sarskildProvning") == "true"


def test_protected_identity_also_withholds_the_employer(lefi: Lefi) -> None:
    reply = lefi.ask("197502199255", ["generellPersonInformation"])
    assert reply.find("informationsfalt/person/personuppgifter/arbetsgivare") is None


@pytest.mark.parametrize(("version", "formaner"), [("5", ["DAG"]), ("6", ["DAG", "MEK"])])
def test_payments_of_benefits_newer_than_the_version_are_not_shown(
    rules: Lefi, version: str, formaner: list[str]
) -> None:
    reply = rules.ask("198001042392", ["utbetalning"], version=version)
    shown = [
        el.text
        for el in reply.findall("informationsfalt/person/formansinformation/utbetalning/period/forman")
    ]
    assert shown == formaner


def test_a_period_wholly_before_the_history_limit_gets_nothing(rules: Lefi) -> None:
    reply = rules.ask("193602229092", ["pension"], fromdatum="2001-01-01", tomdatum="2002-12-31")
    pension = reply.benefit("pension")
    assert pension.findtext(f"{{{NS}}}meddelande") == "2"
    assert (
        reply.findall("informationsfalt/person/formansinformation/pension/alderspension/alderspensionsbeslut")
        == []
    )
    assert reply.text("informationsfalt/person/formansinformation/pension/pensionspoang/meddelande") == "2"


def test_before_2021_version_4_is_not_in_the_sandbox_and_5_answers(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    import requests
    import zeep

    server = start_server(
        tmp_path_factory.mktemp("v2020"), "--clock", "2020-06-01T10:00", "--freeze-clock", scenario=RULES
    )
    try:
        client = make_lefi(server.url)
        with pytest.raises(zeep.exceptions.Fault) as raised:
            client.ask(
                "196002262852",
                ["sjukOchAktivitetsersattning"],
                version="4",
                fromdatum="2019-01-01",
                tomdatum="2020-05-31",
            )
        assert "finns inte i sandlådan" in raised.value.detail.findtext(
            f"{{{NS}}}TeknisktFel/{{{NS}}}beskrivning"
        )
        assert (
            client.ask(
                "196002262852",
                ["sjukOchAktivitetsersattning"],
                version="5",
                fromdatum="2019-01-01",
                tomdatum="2020-05-31",
            ).status
            == 0
        )
        assert b"lefi-online-v5.xsd" in requests.get(server.url + "/ws?wsdl", timeout=10).content
    finally:
        stop_server(server)
