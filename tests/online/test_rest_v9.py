"""End-to-end tests of the LEFI v9 REST binding, as a partner sees it.

A real simulator process runs ``scenarios/default.yaml`` (clock frozen at 2026-11-02 09:00);
``requests`` asks it over HTTP. Every response is checked against FK's official v9 contract
in ``../shared/reference/lefi-v9/`` and against the project's own OpenAPI document
(``tests/rest_client.py``): its status must be one the contract lists for the operation
and its body must validate against the contract's schema for that status.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from support.rest_client import FRAGA, INSURER_AKTOR, KOMMUN_AKTOR, TYPER, V9, Rest
from support.server import DEFAULT_SCENARIO, ROOT, Server, running

from simulator.domain.benefits import V9_GROUPS

SARA = "198506102386"  # sjukpenning (an ongoing case and an older one), SGI, payments
FATIMA = "198803182388"  # föräldrapenning, barnbidrag, bostadsbidrag ...
KLARA = "193602199188"  # pensioner: pension, levnadsintyg
ARNE = "197002259294"  # work injuries; a barnbidrag payment the insurer must never see
SVEN = "197502199255"  # protected identity
MAJA = "198202042399"  # missing: 3
NIKLAS = "199102162394"  # new personnummer 199210072386: 4
DAN = "199308042390"  # duplicate customer ids: 4
KURT = "199401228565"  # ANROP_MOT_KUF_MISSLYCKADES
PIA = "198604212384"  # FEL_PA_PERSONINFORMATION
TEA = "199911102383"  # TEKNISKT_FEL
ARBETSFORMEDLINGEN = "2021000001"  # connected over SHS only
BAD_FEL = "2120005554"  # the organisation's BAD lookup fails


@pytest.fixture(scope="module")
def rest(server: Server) -> Iterator[Rest]:
    with requests.Session() as session:
        yield Rest(server.url, session)


def codes(items: list[dict[str, Any]]) -> list[str]:
    return [i["kod"] for i in items]


def avvikelser(body: dict[str, Any], name: str) -> dict[str, str]:
    """code → avvikelse kod, for one list of the answer's avvikelser."""
    key = "ovrigInformationstyp" if name == "ovrigInformation" else "formansgrupp"
    return {a[key]["kod"]: a["avvikelse"]["kod"] for a in body.get("avvikelser", {}).get(name, [])}


# -- tillgängliga informationstyper ----------------------------------------------------
def test_the_municipality_may_ask_for_every_group(rest: Rest) -> None:
    body = rest.available(KOMMUN_AKTOR).json()
    fk = [g.code for g in V9_GROUPS if g.kind == "forman" and g.code.startswith("FK:")]
    pm = [g.code for g in V9_GROUPS if g.kind == "forman" and g.code.startswith("PM:")]
    assert codes(body["formansinformation"]) == fk
    assert codes(body["ansprak"]) == codes(body["beslut"]) == pm
    assert codes(body["utbetalningar"]) == fk + pm
    assert codes(body["ovrigInformation"]) == [g.code for g in V9_GROUPS if g.kind == "ovrig"]
    assert [u["utlamnare"]["kod"] for u in body["utlamnare"]] == ["FK", "PM"]


def test_the_insurer_sees_only_its_agreement(rest: Rest) -> None:
    body = rest.available(INSURER_AKTOR).json()
    assert "FK:SJP" in codes(body["formansinformation"])
    assert "FK:ABB" not in codes(body["formansinformation"])
    assert codes(body["ansprak"]) == []
    assert "FK:GEPI" in codes(body["ovrigInformation"])


@pytest.mark.parametrize("aktor", ["okand-aktor", "2120000142", ARBETSFORMEDLINGEN, "5590123450"])
def test_an_unknown_aktor_or_one_not_connected_for_rest_gets_403(rest: Rest, aktor: str) -> None:
    # 2120000142 is Testkommunen's orgnummer, but it has an aktorsid of its own
    response = rest.available(aktor)
    assert response.status_code == 403


def test_a_failing_organisation_gets_500_naming_the_error(rest: Rest) -> None:
    response = rest.available(BAD_FEL)
    assert response.status_code == 500
    assert "ANROP_MOT_BAD_MISSLYCKADES" in response.json()["meddelande"]


# -- answers ---------------------------------------------------------------------------
def test_sjukpenning_with_its_whole_history_person_sgi_and_payments(rest: Rest) -> None:
    response = rest.ask(
        SARA, formansinformation=["FK:SJP"], utbetalningar=["FK:SJP"], ovrigInformation=["FK:GEPI", "FK:SGI"]
    )
    assert response.status_code == 200
    body = response.json()
    assert "avvikelser" not in body
    fk = body["formansinformation"]
    cases = fk["sjukpenningarende"]
    assert [c["aktivt"] for c in cases] == [False, True]
    first = cases[0]
    assert first["startades"] == "2024-09-28"  # ongoing in the period: its whole history from its start
    assert first["beslut"][0]["period"] == {"fran": "2024-10-12", "till": "2025-01-10"}
    assert first["beslut"][0]["dagar"] == 91
    assert first["beslut"][0]["omfattning"] == {"taljare": 100, "namnare": 100}
    person = fk["generellPersoninformation"][0]
    assert person["personnummer"] == SARA and person["namn"] == "Sjöberg Sara"
    assert person["skyddad"] is False and person["adress"]
    assert fk["sjukpenninggrundandeInkomstuppgift"]
    assert fk["utbetalningsuppgift"] and all(
        p["formansfamilj"]["id"] == "DAG" for p in fk["utbetalningsuppgift"]
    )


def _nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in _nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in _nulls(v, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize(
    "person, asked, where",
    [
        (KLARA, {"formansinformation": ["FK:SJP"]}, ("formansinformation", "sjukpenningarende")),
        (KLARA, {"utbetalningar": ["FK:FP"]}, ("formansinformation", "utbetalningsuppgift")),
        (
            KLARA,
            {"ovrigInformation": ["FK:SGI"]},
            ("formansinformation", "sjukpenninggrundandeInkomstuppgift"),
        ),
        (SARA, {"ansprak": ["PM:EF"]}, ("ansprak",)),
        (KLARA, {"preliminaraUtbetalningar": ["PM:AP"]}, ("preliminaraUtbetalningar",)),
    ],
)
def test_a_group_asked_with_nothing_in_it_is_an_empty_array_and_nothing_else_is_there(
    rest: Rest, person: str, asked: dict[str, list[str]], where: tuple[str, ...]
) -> None:
    """The rule docs/rest-v9.md states (the contract's arrays are optional and never
    nullable, and FK's own example answers an empty group with ``[]``)."""
    body = rest.ask(person, **asked).json()  # the person has nothing of the group asked
    found: Any = body
    for key in where:
        found = found[key]
    assert found == []
    assert set(body) == {"utlamnare", where[0]}  # not asked, no avvikelse: left out
    assert _nulls(body) == []
    if where[0] == "formansinformation":
        assert set(body["formansinformation"]) == {where[1]}
    documented = (ROOT / "docs" / "rest-v9.md").read_text(encoding="utf-8")
    assert "empty array" in documented and "Keys are left out when they hold nothing" not in documented


def test_protected_identity_withholds_address_kommun_and_employer(rest: Rest) -> None:
    person = rest.ask(SVEN, ovrigInformation=["FK:GEPI"]).json()["formansinformation"][
        "generellPersoninformation"
    ][0]
    assert person["skyddad"] is True
    assert "adress" not in person and "folkbokford" not in person and "arbetsstallen" not in person


def test_groups_outside_the_agreement_are_avvikelser_obehorig_and_never_delivered(rest: Rest) -> None:
    body = rest.ask(
        ARNE,
        INSURER_AKTOR,
        formansinformation=["FK:YL", "FK:ABB"],
        utbetalningar=["FK:YL", "FK:ABB"],
        ansprak=["PM:AP"],
    ).json()
    assert avvikelser(body, "formansinformation") == {"FK:ABB": "OBEHORIG"}
    assert avvikelser(body, "utbetalningar") == {"FK:ABB": "OBEHORIG"}
    assert avvikelser(body, "ansprak") == {"PM:AP": "OBEHORIG"}
    fk = body["formansinformation"]
    assert "barnbidragsarende" not in fk
    assert fk["yrkesskadeegenlivrantearende"] or fk["arbetsskadeegenlivrantearende"]
    assert all(p["formansfamilj"]["id"] != "ABB" for p in fk.get("utbetalningsuppgift", []))
    assert "ABB" not in json.dumps(body.get("formansinformation"))


def test_pensionsmyndighetens_information_in_its_own_model(rest: Rest) -> None:
    body = rest.ask(
        KLARA, beslut=["PM:AP"], formansinformation=["FK:AP"], ovrigInformation=["PM:LINT"]
    ).json()
    assert [u["utlamnare"]["kod"] for u in body["utlamnare"]] == ["FK", "PM"]
    assert body["beslut"] and body["beslut"][0]["formansgrupp"]["kod"] == "PM:AP"
    assert body["formansinformation"]["allmanpensionsarende"][0]["beslut"]
    assert body["ovrigInformation"][0]["informationstyp"]["kod"] == "PM:LINT"


def test_two_codes_of_one_benefit_show_its_cases_once(rest: Rest) -> None:
    one = rest.ask(KLARA, formansinformation=["FK:BST"]).json()["formansinformation"]["bostadstillaggsarende"]
    both = rest.ask(KLARA, formansinformation=["FK:BST", "FK:BTI"]).json()["formansinformation"]
    assert one and both["bostadstillaggsarende"] == one


def test_family_benefits(rest: Rest) -> None:
    fk = rest.ask(FATIMA, formansinformation=["FK:FP", "FK:ABB", "FK:BOB", "FK:TFP"]).json()[
        "formansinformation"
    ]
    assert fk["foraldrapenningarende"] and fk["barnbidragsarende"]


# -- business errors -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("period", "lists", "expected"),
    [
        (("2025-06-01", "2025-01-01"), {"formansinformation": ["FK:SJP"]}, "PERIODSTART_EFTER_PERIODSLUT"),
        (("2024-01-01", "2026-01-01"), {"formansinformation": ["FK:SJP"]}, "SOKPERIODEN_FOR_LANG"),
        (("2026-01-01", "2026-12-31"), {"formansinformation": ["FK:SJP"]}, "SOKPERIODEN_FOR_LANG"),
        (("2025-01-01", "2025-12-31"), {}, "FORMANSLISTA_SAKNAS"),
        (("2025-01-01", "2025-12-31"), {"formansinformation": []}, "FORMANSLISTA_SAKNAS"),
    ],
)
def test_a_question_the_rules_refuse_is_400(
    rest: Rest, period: tuple[str, str], lists: dict[str, list[str]], expected: str
) -> None:
    response = rest.ask(SARA, period=period, **lists)
    assert response.status_code == 400
    assert expected in response.json()["meddelande"]


def test_a_new_personnummer_is_400_without_the_number(rest: Rest) -> None:
    for who in (NIKLAS, DAN):
        response = rest.ask(who, formansinformation=["FK:SJP"])
        assert response.status_code == 400
        assert "NYTT_PERSONNUMMER" in response.json()["meddelande"]
        assert "199210072386" not in response.text


@pytest.mark.parametrize("who", [MAJA, "199001011234", "194001019999"])
def test_a_person_not_in_the_register_gets_no_information(rest: Rest, who: str) -> None:
    # 199001011234 has the wrong check digit: FK answers such a number in its SSBTEK example so
    response = rest.ask(who, formansinformation=["FK:SJP"], ovrigInformation=["FK:GEPI"])
    assert response.status_code == 200
    assert response.json() == {
        "utlamnare": [
            {
                "utlamnare": {"kod": "FK", "namn": "Försäkringskassan"},
                "tillstand": {"kod": "OK", "beskrivning": "Tillgänglig"},
            }
        ]
    }


def test_an_organisation_not_connected_for_rest_gets_403(rest: Rest) -> None:
    assert rest.ask(SARA, ARBETSFORMEDLINGEN, formansinformation=["FK:AS"]).status_code == 403
    assert rest.ask(SARA, "okand", formansinformation=["FK:AS"]).status_code == 403


# -- technical errors ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "kod"), [(KURT, "ANROP_MOT_KUF_MISSLYCKADES"), (PIA, "FEL_PA_PERSONINFORMATION")]
)
def test_a_failing_source_system_is_avvikelse_internt_fel(rest: Rest, who: str, kod: str) -> None:
    body = rest.ask(
        who, INSURER_AKTOR, formansinformation=["FK:SJP", "FK:ABB"], ovrigInformation=["FK:GEPI"]
    ).json()
    assert avvikelser(body, "formansinformation") == {"FK:SJP": "INTERNT_FEL", "FK:ABB": "OBEHORIG"}
    assert avvikelser(body, "ovrigInformation") == {"FK:GEPI": "INTERNT_FEL"}
    assert kod in json.dumps(body, ensure_ascii=False)
    assert "formansinformation" not in body


def test_other_technical_errors_are_500_naming_them(rest: Rest) -> None:
    response = rest.ask(TEA, formansinformation=["FK:SJP"])
    assert response.status_code == 500
    assert "TEKNISKT_FEL" in response.json()["meddelande"]
    response = rest.ask(SARA, BAD_FEL, formansinformation=["FK:SJP"])
    assert response.status_code == 500
    assert "ANROP_MOT_BAD_MISSLYCKADES" in response.json()["meddelande"]


# -- input the contract does not accept ------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[]",
        b"null",
        b'{"personnummer": 198506102386}',
        b'{"personnummer": "198506102386"}',
        b'{"personnummer": "19850610-2386", "period": {"from": "2025-01-01", "tom": "2025-02-01"}}',
        b'{"personnummer": "198506102386", "period": {"from": "2025-13-01", "tom": "2025-02-01"}}',
        b'{"personnummer": "198506102386", "period": {"from": 20250101, "tom": "2025-02-01"}}',
        b'{"personnummer": "198506102386", "period": {"from": "2025-01-01", "tom": "2025-02-01"}, '
        b'"formansinformation": ["FK:SJP", "FK:SJP"]}',
        b'{"personnummer": "198506102386", "period": {"from": "2025-01-01", "tom": "2025-02-01"}, '
        b'"formansinformation": ["PM:AP"]}',
        b'\xff\xfe{"personnummer"',
        b"[" * 200000,
        b'{"a": ' * 200000,
        b'{"personnummer": "198506102386", "period": {"from": "2025-01-01", "tom": "2025-02-01"}'
        + b"]" * 10000,
    ],
)
def test_bad_input_is_400_lefifelsvar_and_the_server_keeps_serving(rest: Rest, body: bytes) -> None:
    response = rest.post_raw(KOMMUN_AKTOR, body)
    assert response.status_code == 400, response.text
    assert "198506102386" not in response.json()["meddelande"]
    assert rest.ask(SARA, formansinformation=["FK:SJP"]).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "", "multipart/form-data"])
def test_a_wrong_media_type_is_400(rest: Rest, content_type: str) -> None:
    data = json.dumps(
        {
            "personnummer": SARA,
            "period": {"from": "2025-01-01", "tom": "2025-02-01"},
            "formansinformation": ["FK:SJP"],
        }
    ).encode()
    assert rest.post_raw(KOMMUN_AKTOR, data, content_type).status_code == 400


def test_a_body_too_large_is_400(rest: Rest) -> None:
    assert rest.post_raw(KOMMUN_AKTOR, b" " * (1024 * 1024 + 1)).status_code == 400


def test_unknown_fields_are_ignored(rest: Rest) -> None:
    response = rest.post_json(
        KOMMUN_AKTOR,
        {
            "personnummer": SARA,
            "period": {"from": "2025-01-01", "tom": "2025-02-01"},
            "formansinformation": ["FK:SJP"],
            "extra": {"x": 1},
        },
    )
    assert response.status_code == 200


def test_ten_digit_personnummer_is_accepted(rest: Rest) -> None:
    body = rest.ask(SARA[2:], formansinformation=["FK:SJP"]).json()
    assert body["formansinformation"]["sjukpenningarende"]


# -- the project's own OpenAPI document -------------------------------------------------
def test_the_own_openapi_document_is_served(server: Server) -> None:
    for path in (V9 + "/openapi.yaml", "/schemas/lefi-v9-openapi.yaml"):
        response = requests.get(server.url + path, timeout=10)
        assert response.status_code == 200
        doc = yaml.safe_load(response.text)
        assert set(doc["paths"]) == {FRAGA, TYPER}


# -- fault rules (SPEC §5): the same behaviours as every binding ----------------------
@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Rest]]:
    scenario = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["faults"] = [
        {
            "id": "rest-soap",
            "kind": "soap_fault",
            "binding": "rest",
            "personnummer": SARA,
            "fault_reason": "Nere för underhåll",
        },
        {
            "id": "rest-kund",
            "kind": "technical_error",
            "binding": "rest",
            "personnummer": FATIMA,
            "technical_error": "ANROP_MOT_KUND_MISSLYCKADES",
        },
        {
            "id": "rest-list",
            "kind": "technical_error",
            "binding": "rest",
            "path": "*/tillgangligaInformationstyper",
            "organisation": "5566778899",
            "technical_error": "TEKNISKT_FEL",
        },
        {"id": "rest-http", "kind": "http_status", "binding": "rest", "personnummer": KLARA, "status": 503},
    ]
    tmp = tmp_path_factory.mktemp("rest-faults")
    path: Path = tmp / "faults.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with running(tmp, "--freeze-clock", scenario=path) as server:
        with requests.Session() as session:
            yield lambda: Rest(server.url, session)


def test_fault_rules_apply_to_rest(faulty: Callable[[], Rest]) -> None:
    rest = faulty()
    response = rest.ask(SARA, formansinformation=["FK:SJP"])
    assert response.status_code == 500 and "rest-soap" in response.json()["meddelande"]
    body = rest.ask(FATIMA, formansinformation=["FK:FP"]).json()
    assert avvikelser(body, "formansinformation") == {"FK:FP": "INTERNT_FEL"}
    assert rest.available(INSURER_AKTOR).status_code == 500
    assert rest.available(KOMMUN_AKTOR).status_code == 200
    raw = rest.session.post(
        rest.url + FRAGA.format(aktorsId=KOMMUN_AKTOR),
        timeout=10,
        json={
            "personnummer": KLARA,
            "period": {"from": "2025-01-01", "tom": "2025-02-01"},
            "formansinformation": ["FK:AP"],
        },
    )
    assert raw.status_code == 503  # a transport effect: outside the contract on purpose
    assert rest.ask(MAJA, formansinformation=["FK:SJP"]).status_code == 200
