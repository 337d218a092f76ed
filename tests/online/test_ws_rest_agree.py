"""One table of questions through WS (XML, zeep) and LEFI v9 REST (JSON): the same
business content comes back — the same cases and periods, payments, personuppgifter, the
same benefits withheld, and each business error mapped as the README says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
import requests
from support.lefi import Lefi, Reply
from support.rest_client import INSURER_AKTOR, KOMMUN_AKTOR, Rest
from support.server import Server

from simulator.domain.benefits import V9_GROUPS, benefit

NS = "http://schema.forsakringskassan.se/externa_intressenter"
KOMMUN, INSURER = "2120000142", "5566778899"
NOT_IN_BAD = "5590123450"  # in the scenario, not registered for the service: 13
AKTOR = {KOMMUN: KOMMUN_AKTOR, INSURER: INSURER_AKTOR, NOT_IN_BAD: NOT_IN_BAD}

# WS status/kod → the REST status the README's mapping gives it
REST_STATUS = {0: 200, 3: 200, 11: 200, 4: 400, 7: 400, 8: 400, 23: 400, 13: 403}


class Row(NamedTuple):
    org: str
    personnummer: str
    benefits: tuple[str, ...]
    period: tuple[str, str] = ("2025-01-01", "2026-10-31")


TABLE = [
    Row(KOMMUN, "198506102386", ("sjukpenning", "generellPersonInformation", "sjukpenninggrundandeInkomst")),
    Row(KOMMUN, "198506102386", ("sjukpenning",), ("2024-01-01", "2024-12-31")),
    Row(
        KOMMUN,
        "198803182388",
        ("foraldrapenning", "barnbidrag", "tillfalligForaldrapenning", "bostadsbidrag"),
    ),
    Row(KOMMUN, "195503071796", ("sjukOchAktivitetsersattning", "generellPersonInformation")),
    Row(KOMMUN, "197002259294", ("arbetsskadelivranta", "barnbidrag")),
    Row(INSURER, "197002259294", ("arbetsskadelivranta", "barnbidrag", "generellPersonInformation")),
    Row(INSURER, "198506102386", ("sjukpenning", "foraldrapenning")),
    Row(KOMMUN, "198010172388", ("handikappersattning", "merkostnadsersattning", "omvardnadsbidrag")),
    Row(KOMMUN, "199509152394", ("aktivitetsstod", "etableringsersattning", "programersattning")),
    Row(
        KOMMUN,
        "199004242385",
        ("havandeskapspenning", "narstaendepenning", "smittbararersattning", "rehabersattning"),
    ),
    Row(KOMMUN, "197502199255", ("generellPersonInformation",)),
    Row(KOMMUN, "198000602394", ("sjukpenning", "generellPersonInformation")),  # samordningsnummer
    # business errors
    Row(KOMMUN, "198202042399", ("sjukpenning",)),  # 3
    Row(KOMMUN, "199001011234", ("sjukpenning",)),  # 11 (check digit)
    Row(KOMMUN, "199102162394", ("sjukpenning",)),  # 4
    Row(KOMMUN, "198506102386", ("sjukpenning",), ("2025-06-01", "2025-01-01")),  # 7
    Row(KOMMUN, "198506102386", ("sjukpenning",), ("2024-01-01", "2026-01-01")),  # 8
    Row(KOMMUN, "198506102386", ("sjukpenning",), ("2026-01-01", "2026-12-31")),  # 8 (after today)
    Row(KOMMUN, "198506102386", ()),  # 23
    Row(NOT_IN_BAD, "198506102386", ("sjukpenning",)),  # 13
    Row(KOMMUN, "193602199188", ("bostadstillagg", "generellPersonInformation")),  # a pensioner born 1936
]


def v9_code(key: str) -> tuple[str, str]:
    """(the question's list, the code) that asks for this one legacy benefit."""
    for g in sorted(V9_GROUPS, key=lambda g: len(g.benefits)):  # its own group first (FK:YL has two)
        if key in g.benefits and g.code.startswith("FK:"):
            return ("formansinformation" if g.kind == "forman" else "ovrigInformation"), g.code
    raise AssertionError(f"no FK group for {key}")


@pytest.fixture(scope="module")
def rest(server: Server) -> Iterator[Rest]:
    with requests.Session() as session:
        yield Rest(server.url, session)


def _day(yyyymmdd: str | None) -> str | None:
    return None if yyyymmdd is None else f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}"


def ws_periods(reply: Reply, key: str) -> list[tuple[Any, ...]]:
    """(from, tom, omfattning, dagar) of every period of every case of the benefit."""
    section = reply.benefit(key)
    if section is None:
        return []
    out = []
    for case in section:
        for p in case.findall(f"{{{NS}}}period"):
            days = p.findtext(f"{{{NS}}}antalDagar")
            out.append(
                (
                    _day(p.findtext(f"{{{NS}}}from")),
                    _day(p.findtext(f"{{{NS}}}tom")),
                    int(p.findtext(f"{{{NS}}}omfattning") or 0),
                    None if days is None else int(days),
                )
            )
    return sorted(out, key=str)


def rest_periods(body: dict[str, Any], key: str) -> list[tuple[Any, ...]]:
    """The same from the v9 answer: each decision of the benefit's cases (or each periodbeslut
    where the contract holds one decision per case); None where the contract has no field."""
    label = benefit(key).label
    out = []
    for cases in body.get("formansinformation", {}).values():
        for case in cases if isinstance(cases, list) else []:
            if not isinstance(case, dict) or "beslut" not in case:
                continue
            decisions = case["beslut"] if isinstance(case["beslut"], list) else [case["beslut"]]
            for d in decisions:
                if d["forman"]["beskrivning"] != label:
                    continue
                for p in d.get("periodbeslut", [d]):
                    out.append(
                        (
                            p["period"]["fran"],
                            p["period"].get("till"),
                            p["omfattning"]["taljare"] if "omfattning" in p else None,
                            p.get("dagar"),
                        )
                    )
    return sorted(out, key=str)


def same_periods(ws: list[tuple[Any, ...]], rest: list[tuple[Any, ...]]) -> bool:
    """Equal, where a field the contract lacks for the benefit (None in ``rest``) is skipped."""
    return len(ws) == len(rest) and all(
        all(r is None or w == r for w, r in zip(wp, rp, strict=True)) and wp[:2] == rp[:2]
        for wp, rp in zip(ws, rest, strict=False)
    )


@pytest.mark.parametrize(
    "row", TABLE, ids=lambda r: f"{r.org}-{r.personnummer}-{'+'.join(r.benefits) or 'none'}"
)
def test_ws_and_rest_agree(lefi: Lefi, rest: Rest, row: Row) -> None:
    reply = lefi.ask(
        row.personnummer, list(row.benefits), org=row.org, fromdatum=row.period[0], tomdatum=row.period[1]
    )
    lists: dict[str, list[str]] = {}
    for key in row.benefits:
        name, code = v9_code(key)
        lists.setdefault(name, []).append(code)
    response = rest.ask(row.personnummer, AKTOR[row.org], period=row.period, **lists)
    assert response.status_code == REST_STATUS[reply.status], (reply.status, response.text)
    if response.status_code != 200:
        return
    body = response.json()
    if reply.status != 0:
        assert set(body) == {"utlamnare"}  # a person without information
        return
    withheld = {
        a["formansgrupp"]["kod"] if "formansgrupp" in a else a["ovrigInformationstyp"]["kod"]
        for items in body.get("avvikelser", {}).values()
        for a in items
    }
    for key in row.benefits:
        assert reply.delivered(key) == (v9_code(key)[1] not in withheld), key
        if not reply.delivered(key):
            continue
        if key == "generellPersonInformation":
            person = body["formansinformation"]["generellPersoninformation"][0]
            ws_person = reply.find("informationsfalt/person/personuppgifter")
            assert person["personnummer"] == row.personnummer
            assert ws_person is not None
            assert ("adress" in person) == (ws_person.find(f"{{{NS}}}folkbokforingsadress") is not None)
            assert person["skyddad"] == (ws_person.findtext(f"{{{NS}}}sarskildProvning") == "true")
        elif key == "sjukpenninggrundandeInkomst":
            ws_sgi = [
                _day(e.text)
                for e in reply.findall(
                    f"informationsfalt/person/formansinformation/{key}/sgiArende/beslutFrom"
                )
            ]
            assert ws_sgi == [
                d["faststalldes"] for d in body["formansinformation"]["sjukpenninggrundandeInkomstuppgift"]
            ]
        else:
            assert same_periods(ws_periods(reply, key), rest_periods(body, key)), (
                key,
                ws_periods(reply, key),
                rest_periods(body, key),
            )


def test_payments_agree(lefi: Lefi, rest: Rest) -> None:
    """The payments REST shows for a group are WS's payments of that group's benefits."""
    reply = lefi.ask(
        "198506102386", ["utbetalning"], org=KOMMUN, fromdatum="2025-06-01", tomdatum="2026-10-31"
    )
    ws = sorted(
        (_day(p.findtext(f"{{{NS}}}utbetalningsdatum")), p.findtext(f"{{{NS}}}nettobelopp"))
        for p in reply.findall("informationsfalt/person/formansinformation/utbetalning/period")
        if p.findtext(f"{{{NS}}}forman") == "DAG"
    )
    body = rest.ask("198506102386", period=("2025-06-01", "2026-10-31"), utbetalningar=["FK:SJP"]).json()
    ours = sorted(
        (p["datum"], p["nettobelopp"]["summa"]) for p in body["formansinformation"]["utbetalningsuppgift"]
    )
    assert ws and [(d, float(n)) for d, n in ws] == ours
