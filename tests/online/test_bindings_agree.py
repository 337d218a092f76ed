"""One engine, four ways in: the same table of questions asked over WS, SSEK, SHS synch
and SHS asynch gets the same business content — the same FK.Online.Svar, byte for byte
once canonicalised (the clock is frozen, so even ``skapades`` agrees), or the same
technical error (TeknisktFel kod and beskrivning), each in its binding's own form.

The scenario is the default one plus organisations connected over all three transports.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from lxml import etree
from support.lefi import assert_valid
from support.partner_clients import (
    LEFI_PRODUCT,
    SOAP11,
    default_scenario_with,
    fraga,
    post_shs,
    post_soap,
    shs_error,
    shs_label,
    shs_reply,
    soap_envelope,
    soap_fault,
    ssek_answer,
    ssek_header,
)
from support.server import NS, Server, running

EVERYWHERE = "2021009994"  # statlig myndighet, agreement all, over WS, SSEK and SHS
UNAUTHORISED = "2021008889"  # the same, not registered in BAD
MISCONFIGURED = "2021007774"  # the same, KONFIGURATIONSFEL on every question


def _org(orgnummer: str, name: str, agreement_id: str, **extra: object) -> dict[str, object]:
    return {
        "orgnummer": orgnummer,
        "name": name,
        "type": "statlig_myndighet",
        "transports": ["ws", "ssek", "shs"],
        "agreement": "all",
        "shs_agreements": [{"id": agreement_id, "product": LEFI_PRODUCT}],
        **extra,
    }


@pytest.fixture(scope="module")
def everywhere(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp: Path = tmp_path_factory.mktemp("agree")
    scenario = default_scenario_with(
        tmp,
        organisations=[
            _org(EVERYWHERE, "Myndigheten på alla vägar", str(uuid.uuid4())),
            _org(UNAUTHORISED, "Obehöriga myndigheten", str(uuid.uuid4()), authorised=False),
            _org(
                MISCONFIGURED,
                "Felkonfigurerade myndigheten",
                str(uuid.uuid4()),
                technical_error="KONFIGURATIONSFEL",
            ),
        ],
    )
    with running(tmp, "--freeze-clock", scenario=scenario) as srv:
        yield srv


@dataclass(frozen=True)
class Q:
    """A question of the table; ``sender`` asks it (and is named in it unless ``org`` says otherwise)."""

    pnr: str
    benefits: tuple[str, ...] | None = ("sjukpenning",)
    fromdatum: str | None = "2025-01-01"
    tomdatum: str | None = "2026-10-31"
    version: str | None = "6"
    sender: str = EVERYWHERE
    org: str | None = None
    referens: str | None = None

    def xml(self) -> str:
        return fraga(
            self.pnr,
            list(self.benefits) if self.benefits is not None else None,
            org=self.org or self.sender,
            fromdatum=self.fromdatum,
            tomdatum=self.tomdatum,
            version=self.version,
            referens=self.referens,
        )


TABLE = {
    "sickness": Q(
        "198506102386",
        (
            "sjukpenning",
            "sjukpenninggrundandeInkomst",
            "utbetalning",
            "generellPersonInformation",
            "levnadsintyg",
        ),
    ),
    "family": Q(
        "198803182388",
        (
            "foraldrapenning",
            "tillfalligForaldrapenning",
            "barnbidrag",
            "bostadsbidrag",
            "underhallsstod",
            "vardbidrag",
            "generellPersonInformation",
        ),
    ),
    "pensioner": Q(
        "193602199188",
        ("pension", "prognos", "bostadstillagg", "efterlevandepension", "levnadsintyg", "utbetalning"),
    ),
    "sjukersattning": Q(
        "195503071796",
        ("sjukOchAktivitetsersattning", "pension"),
        fromdatum="2001-01-01",
        tomdatum="2002-12-31",
    ),
    "work injury": Q("197002259294", ("arbetsskadelivranta", "yrkesskadelivranta", "barnbidrag")),
    "version 6 benefits": Q(
        "198010172388", ("handikappersattning", "merkostnadsersattning", "omvardnadsbidrag")
    ),
    "protected identity": Q("197502199255", ("generellPersonInformation",)),
    "samordningsnummer": Q("198000602394", ("generellPersonInformation", "sjukpenning")),
    "version 5": Q("198506102386", ("sjukpenning", "utbetalning"), version="5", referens="ärende 17/äö"),
    "3 not in the register": Q("198202042399"),
    "4 new personnummer": Q("199102162394"),
    "4 duplicate customer ids": Q("199308042390"),
    "7 from after tom": Q("198506102386", fromdatum="2026-02-01", tomdatum="2026-01-01"),
    "8 period too long": Q("198506102386", fromdatum="2023-01-01", tomdatum="2026-10-31"),
    "11 check digit": Q("198506102387"),
    "12 orgnummer": Q("198506102386", org="20210099"),
    "13 not in BAD": Q("198506102386", sender=UNAUTHORISED),
    "21 no from": Q("198506102386", fromdatum=None),
    "22 no tom": Q("198506102386", tomdatum=None),
    "23 no benefits": Q("198506102386", benefits=None),
    "KUF": Q("199401228565"),
    "personinformation": Q("198604212384"),
    "KUND": Q("196607303119"),
    "TEKNISKT_FEL": Q("199911102383"),
    "KONFIGURATIONSFEL": Q("198506102386", sender=MISCONFIGURED),
    "no version": Q("198506102386", version=None),
    "version 4": Q("198506102386", version="4"),
}


@dataclass(frozen=True)
class Outcome:
    """What a binding said, reduced to its business content."""

    svar: bytes | None = None  # canonical FK.Online.Svar
    technical: tuple[str, str] | None = None  # TeknisktFel (kod, beskrivning)


def _svar_outcome(svar: etree._Element, version: int) -> Outcome:
    assert_valid(svar, version)
    return Outcome(svar=etree.tostring(svar, method="c14n", exclusive=True))


def _soap_outcome(r: requests.Response, version: int) -> Outcome:
    if r.status_code == 200:
        svar = etree.fromstring(r.content).find(f".//{{{NS}}}FK.Online.Svar")
        assert svar is not None
        return _svar_outcome(svar, version)
    fault = soap_fault(r)
    (teknisktfel,) = [d for d in fault.detail if d.tag == f"{{{NS}}}TeknisktFel"]
    return Outcome(
        technical=(
            teknisktfel.findtext(f"{{{NS}}}kod") or "",
            teknisktfel.findtext(f"{{{NS}}}beskrivning") or "",
        )
    )


def _shs_error_outcome(error: etree._Element) -> Outcome:
    assert error.get("errorcode") == "OtherError"
    appinfo = {a.get("name"): a.text or "" for a in error.findall("appinfo")}
    return Outcome(technical=(appinfo["TeknisktFel"], appinfo["beskrivning"]))


def ask_ws(srv: Server, q: Q, version: int) -> Outcome:
    return _soap_outcome(post_soap(srv.url, soap_envelope(q.xml()), SOAP11, "/ws/FK.EXA.Lefi.Fraga"), version)


def ask_ssek(srv: Server, q: Q, version: int) -> Outcome:
    r = post_soap(srv.url, soap_envelope(q.xml(), ssek_header(q.sender)), SOAP11)
    if r.status_code == 200:
        ssek_answer(r, version)  # the SSEK header as well
    return _soap_outcome(r, version)


def ask_shs_synch(srv: Server, q: Q, version: int) -> Outcome:
    r = post_shs(srv.url, shs_label(sender=q.sender), [q.xml().encode()])
    if r.status_code == 200:
        return _svar_outcome(shs_reply(r).svar(version), version)
    return _shs_error_outcome(shs_error(r)[1])


def ask_shs_asynch(srv: Server, q: Q, version: int) -> Outcome:
    corr_id = str(uuid.uuid4())
    r = post_shs(
        srv.url, shs_label(sender=q.sender, transfer_type="asynch", corr_id=corr_id), [q.xml().encode()]
    )
    assert r.status_code == 202, r.text
    listing = requests.get(f"{srv.url}/shs/ds/{q.sender}", params={"corrid": corr_id}, timeout=10)
    (message,) = etree.fromstring(listing.content).findall("message")
    fetched = requests.get(f"{srv.url}/shs/ds/{q.sender}/{message.get('tx.id')}", timeout=10)
    reply = shs_reply(fetched)
    if reply.attr("sequence-type") == "reply":
        return _svar_outcome(reply.svar(version), version)
    return _shs_error_outcome(reply.error())


BINDINGS: dict[str, Callable[[Server, Q, int], Outcome]] = {
    "ws": ask_ws,
    "ssek": ask_ssek,
    "shs synch": ask_shs_synch,
    "shs asynch": ask_shs_asynch,
}


@pytest.mark.parametrize("name", TABLE)
def test_every_binding_gives_the_same_business_content(everywhere: Server, name: str) -> None:
    q = TABLE[name]
    version = int(q.version) if q.version in ("5", "6") else 6
    outcomes = {binding: ask(everywhere, q, version) for binding, ask in BINDINGS.items()}
    assert len(set(outcomes.values())) == 1, {b: (o.technical or o.svar[:400]) for b, o in outcomes.items()}


def test_the_table_covers_answers_every_business_error_and_technical_errors(everywhere: Server) -> None:
    """The table is worth its name: answers with data, each business code, technical errors."""
    seen_codes, seen_technical = set(), set()
    for q in TABLE.values():
        outcome = ask_ws(everywhere, q, int(q.version) if q.version in ("5", "6") else 6)
        if outcome.technical:
            seen_technical.add(outcome.technical[0])
        else:
            assert outcome.svar is not None
            seen_codes.add(int(etree.fromstring(outcome.svar).findtext(f".//{{{NS}}}kod") or "-1"))
    assert seen_codes == {0, 3, 4, 7, 8, 11, 12, 13, 21, 22, 23}
    assert seen_technical == {
        "ANROP_MOT_KUF_MISSLYCKADES",
        "FEL_PA_PERSONINFORMATION",
        "ANROP_MOT_KUND_MISSLYCKADES",
        "TEKNISKT_FEL",
        "KONFIGURATIONSFEL",
        "VERSIONSNR_SAKNAS",
        "VERSIONEN_STODS_EJ",
    }
