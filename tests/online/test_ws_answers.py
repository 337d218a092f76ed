"""End-to-end tests of the WS binding (plain SOAP) of LEFI Online, as a partner sees it.

Every question goes through a real zeep client to a real simulator process running
``scenarios/default.yaml`` with the clock frozen at 2026-11-02 09:00 Swedish time (see
``conftest.py``; every answer is validated against the answer XSD of its version there).

What is covered:

1. every benefit of the catalogue, asked by the municipality 2120000142 (agreement: all)
   for the scenario person who has it, is answered with the scenario's data;
2. every business error (verksamhetsfel) arrives with its number in
   ``generelltfalt/status/kod``;
3. every technical error (tekniskt fel) arrives as a SOAP Fault whose detail names it,
   and the server keeps answering afterwards;
4. the rules: filtering by agreement and org type, protected identity, ongoing cases
   with their whole history, history limits, interface versions, referens, samordningsnummer;
5. the version life cycle on other dates (a server of its own per date);
6. SOAP 1.2 and every documented WS path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
import zeep
from lxml import etree
from support.lefi import Lefi, Reply, assert_valid
from support.lefi import make_lefi as make_client
from support.server import Server

from simulator.domain.benefits import BENEFITS

NS = "http://schema.forsakringskassan.se/externa_intressenter"
SOAP12_ENVELOPE = "http://www.w3.org/2003/05/soap-envelope"

KOMMUN = "2120000142"  # Testkommunen: type kommun, agreement all, over WS
INSURER = "5566778899"  # Försäkringsbolaget Trygghet AB: a narrow agreement
KRONOFOGDEN = "2021005489"  # type kronofogden, agreement all
PENSIONSMYNDIGHETEN = "2021005299"  # type statlig_myndighet, agreement all

SARA = "198506102386"  # sjukpenning (an ongoing case from 2025 and older ones), SGI, payments
FATIMA = "198803182388"  # the family: föräldrapenning, barnbidrag, bostadsbidrag ...
KLARA = "193602199188"  # pensioner born 1936: pension, prognos, levnadsintyg
GUNNAR = "195503071796"  # born 1955: sjukersättning, pension points
ARNE = "197002259294"  # work injuries; a barnbidrag payment the insurer must never see
HELENA = "198010172388"  # handikappersättning, merkostnadsersättning, omvårdnadsbidrag
ALI = "199509152394"  # labour market benefits
GRETA = "199004242385"  # havandeskapspenning, närståendepenning, smittbärare, rehab ...
MIKAEL = "200901202390"  # mottagare av barnbidrag, studiemedel, skatteuppgift
PETRA = "196002142682"  # pensionsbehållning, pensionsunderlag
SVEN = "197502199255"  # protected identity
SAMUEL = "198000602394"  # samordningsnummer

CATALOGUE = [b.key for b in BENEFITS]
V6_ONLY = [b.key for b in BENEFITS if b.since_version == 6]


# -- reading answers -----------------------------------------------------------------
def _q(path: str) -> str:
    return "/".join(f"{{{NS}}}{p}" for p in path.split("/"))


def txt(el: etree._Element, path: str) -> str | None:
    """Text of the first element at ``path`` below ``el`` (None when there is none)."""
    return el.findtext(_q(path))


def texts(el: etree._Element, path: str) -> list[str | None]:
    return [e.text for e in el.findall(_q(path))]


class P(NamedTuple):
    """A period as the answer shows it; None where the element is absent."""

    from_: str
    tom: str | None = None
    omfattning: str = "100"
    dagar: str | None = None
    belopp: str | None = None


def periods(case: etree._Element) -> list[P]:
    return [
        P(txt(p, "from"), txt(p, "tom"), txt(p, "omfattning"), txt(p, "antalDagar"), txt(p, "manadsbelopp"))
        for p in case.findall(_q("period"))
    ]


def only_case(section: etree._Element, tag: str = "arende") -> etree._Element:
    cases = section.findall(_q(tag))
    assert len(cases) == 1, etree.tostring(section)
    return cases[0]


def delivered_keys(reply: Reply) -> list[str]:
    return [k for k in CATALOGUE if reply.delivered(k)]


def section_names(reply: Reply) -> list[str]:
    info = reply.find("informationsfalt/person/formansinformation")
    return [] if info is None else [etree.QName(e).localname for e in info]


def fault_kod(fault: zeep.exceptions.Fault) -> str | None:
    """The TeknisktfelStatus name in the fault's detail."""
    assert fault.detail is not None, fault.message
    for child in fault.detail:
        assert_valid(child)  # TeknisktFel / Valideringsfel as our XSD defines them
    return fault.detail.findtext(_q("TeknisktFel/kod"))


def assert_still_answers(lefi: Lefi) -> None:
    reply = lefi.ask(SAMUEL, ["sjukpenning"], fromdatum="2026-01-01", tomdatum="2026-10-31")
    assert reply.status == 0
    assert reply.delivered("sjukpenning")


# -- 1. a correct answer for every benefit --------------------------------------------
Check = Callable[[etree._Element], None]


def one_case(
    *,
    status: int,
    periods_: list[P],
    reported: str | None = None,
    typ: str | None = None,
    child: str | None = None,
) -> Check:
    """A check for a benefit section that holds exactly one ``arende``."""

    def check(section: etree._Element) -> None:
        case = only_case(section)
        assert txt(case, "anmalningsdatum") == reported
        assert txt(case, "arendestatus") == str(status)
        assert txt(case, "arendetyp") == typ
        assert txt(case, "barn/personnummer") == child
        if child is not None:
            assert txt(case, "barn/fodelsedatum") == child[:8]
        assert periods(case) == periods_

    return check


def check_sjukpenning(section: etree._Element) -> None:
    old, ongoing = section.findall(_q("sjpArende"))
    assert txt(old, "anmalningsdatum") == "20240928"
    assert txt(old, "sjukpenningtyp") == "101"
    assert txt(old, "arendestatus") == "9"
    assert periods(old) == [P("20241012", "20250110", "100", "91"), P("20250111", "20250131", "50", "21")]
    assert texts(old, "period/karens") == ["true", "false"]
    assert txt(ongoing, "anmalningsdatum") == "20250325"
    assert txt(ongoing, "arendestatus") == "1"
    assert periods(ongoing) == [
        P("20250401", "20250831", "100", "153"),
        P("20250901", "20260630", "75", "303"),
        P("20260701", None, "50"),
    ]


def check_foraldrapenning(section: etree._Element) -> None:
    case = only_case(section, "fpArende")  # the 2021 case ended 2022-06-30
    assert txt(case, "anmalningsdatum") == "20250520"
    assert txt(case, "arendestatus") == "1"
    assert periods(case) == [P("20250602", "20250808", "100", "48"), P("20260615", "20260814", "75", "45")]
    assert texts(case, "period/atgardstyp") == ["1", "1"]
    assert txt(case, "barn/personnummer") == "202110302383"
    assert txt(case, "barn/fodelsedatum") == "20211030"
    assert txt(case, "uttagnaFPdagar") == "337"
    assert txt(case, "uttagnaFPdagarGarantibelopp") == "40"


def check_tillfallig_foraldrapenning(section: etree._Element) -> None:
    closed, reported = section.findall(_q("tfpArende"))
    assert txt(closed, "anmalningsdatum") == "20251002"
    assert txt(closed, "ersattningsslag") == "1"
    assert txt(closed, "arendestatus") == "9"
    assert txt(closed, "barn/personnummer") == "201907222390"
    assert periods(closed) == [P("20251002", "20251007", "100", "4")]
    assert txt(reported, "anmalningsdatum") == "20261028"
    assert txt(reported, "arendestatus") == "0"  # anmält, not yet decided
    assert txt(reported, "barn/personnummer") == "202110302383"
    assert periods(reported) == []


def check_barnbidrag(section: etree._Element) -> None:
    cases = section.findall(_q("abbArende"))
    assert [txt(c, "egnaBarn/personnummer") for c in cases] == ["201907222390", "202110302383"]
    assert [txt(c, "arendestatus") for c in cases] == ["1", "1"]
    assert [periods(c) for c in cases] == [
        [P("20190801", None, "50", None, "625")],
        [P("20211101", None, "50", None, "625")],
    ]


def check_sgi(section: etree._Element) -> None:
    first, second = section.findall(_q("sgiArende"))
    assert (txt(first, "arendeFrom"), txt(first, "beslutFrom")) == ("20230101", "20230101")
    assert txt(first, "arsinkomst/AInkomst") == "385000"
    assert txt(first, "arsinkomst/BInkomst") == "0"
    assert txt(first, "arsarbetstid/dagar") == "260"
    assert (txt(second, "arendeFrom"), txt(second, "beslutFrom")) == ("20250325", "20250325")
    assert txt(second, "arsinkomst/AInkomst") == "412000"
    assert txt(second, "arsinkomst/BInkomst") == "24000"
    assert txt(second, "arsinkomst/karenstid") == "1"
    assert txt(second, "arsarbetstid/timmar") == "2080"


def _belopp(el: etree._Element | None) -> tuple[str | None, ...] | None:
    if el is None:
        return None
    return txt(el, "arsbelopp"), txt(el, "manadsbelopp"), txt(el, "from")


def check_pension(section: etree._Element) -> None:
    assert [_belopp(b) for b in section.findall(_q("premiepension/premiepensionsbeslut"))] == [
        ("9360", "780", "20250101"),
        ("9600", "800", "20260101"),
    ]
    decisions = section.findall(_q("alderspension/alderspensionsbeslut"))
    assert [txt(d, "pensionsandel") for d in decisions] == ["100", "100"]
    assert [_belopp(d.find(_q("garantipension"))) for d in decisions] == [
        ("24000", "2000", "20250101"),
        ("25200", "2100", "20260101"),
    ]
    assert [_belopp(d.find(_q("inkomstpension"))) for d in decisions] == [
        ("150000", "12500", "20250101"),
        ("156000", "13000", "20260101"),
    ]
    assert [_belopp(d.find(_q("tillaggspension"))) for d in decisions] == [
        ("13200", "1100", "20250101"),
        None,
    ]


def check_prognos(section: etree._Element) -> None:
    rows = [
        (txt(f, "utskicksar"), txt(f, "prognosbelopp"), txt(f, "tillvaxt"), txt(f, "alder"))
        for f in section.findall(_q("prognosantagande"))
    ]
    # the two latest mailing years only: 2023's forecast is left out
    assert rows == [("2024", "10900", "0", "65"), ("2025", "11700", "0", "65"), ("2025", "17900", "2", "65")]


def check_levnadsintyg(section: etree._Element) -> None:
    certificates = section.findall(_q("intyg"))
    # current data only: the latest of Klara's three certificates
    assert [(txt(c, "inkommet"), txt(c, "giltigtTom"), txt(c, "land")) for c in certificates] == [
        ("20260528", "20270528", "Sverige")
    ]


def check_utbetalning(section: etree._Element) -> None:
    payments = section.findall(_q("period"))
    assert [
        (txt(p, "forman"), txt(p, "utbetalningsdatum"), txt(p, "from"), txt(p, "tom")) for p in payments
    ] == [("DAG", "20250925", "20250901", "20250930"), ("DAG", "20261023", "20261001", "20261031")]
    assert [
        (
            txt(p, "totaltBruttobelopp"),
            txt(p, "totaltSkattebelopp"),
            txt(p, "totaltAvdragsbelopp"),
            txt(p, "nettobelopp"),
        )
        for p in payments
    ] == [("21300", "6390", "500", "14410"), ("14200", "4260", "0", "9940")]
    assert [texts(p, "utbetalningen/delforman") for p in payments] == [["SJP"], ["SJP"]]
    assert [texts(p, "utbetalningen/dagar") for p in payments] == [["30"], ["31"]]


def check_personuppgifter(section: etree._Element) -> None:
    assert txt(section, "personnummer") == FATIMA
    assert txt(section, "aviseringsnamn") == "Familjsson Fatima"
    assert txt(section, "kommunbeteckning") == "2281"
    assert txt(section, "sarskildProvning") == "false"
    assert txt(section, "folkbokforingsadress/utdelningsadress") == "Storgatan 3"
    assert txt(section, "folkbokforingsadress/coadress") == "Andersson"
    assert txt(section, "folkbokforingsadress/postnummer") == "85230"
    assert txt(section, "folkbokforingsadress/postort") == "Sundsvall"
    assert txt(section, "arbetsgivare") == KOMMUN
    assert txt(section, "civilstand") == "1"  # gift
    assert texts(section, "samhorigperson/personnummer") == ["198701252390"]
    assert texts(section, "samhorigperson/fodelsedatum") == ["19870125"]
    assert texts(section, "barn/personnummer") == ["201907222390", "202110302383"]
    assert texts(section, "barn/fodelsedatum") == ["20190722", "20211030"]


FROM, TOM = "2025-01-01", "2026-10-31"  # the usual question period: covers the scenario's data

# benefit -> (personnummer, fromdatum, tomdatum, check of its section)
BENEFIT_CASES: dict[str, tuple[str, str, str, Check]] = {
    # Pensionsförmåner
    # reported 2004-01-20, before the benefit's history limit (2005): not delivered
    "arbetsskadelivranta": (
        ARNE,
        FROM,
        TOM,
        one_case(reported=None, status=1, periods_=[P("20050101", belopp="5600")]),
    ),
    "efterlevandepension": (
        KLARA,
        FROM,
        TOM,
        one_case(
            reported="20240302", status=1, typ="omställningspension", periods_=[P("20240401", belopp="4200")]
        ),
    ),
    "prognos": (KLARA, FROM, TOM, check_prognos),
    "yrkesskadelivranta": (
        ARNE,
        FROM,
        TOM,
        one_case(reported="19990505", status=1, periods_=[P("20000101", belopp="1200")]),
    ),
    "bostadstillagg": (
        KLARA,
        FROM,
        TOM,
        one_case(reported="20241105", status=1, periods_=[P("20250101", belopp="3450")]),
    ),
    "pension": (KLARA, FROM, TOM, check_pension),
    "sjukOchAktivitetsersattning": (
        GUNNAR,
        FROM,
        TOM,
        one_case(
            reported="20240201",
            status=9,
            typ="sjukersättning",
            periods_=[P("20240301", "20250331", "50", belopp="6100")],
        ),
    ),
    # Dagersättningsförmåner
    "aktivitetsstod": (
        ALI,
        FROM,
        TOM,
        one_case(
            reported="20250811", status=1, periods_=[P("20250818", "20260213", "100", "130"), P("20260216")]
        ),
    ),
    "foraldrapenning": (FATIMA, FROM, TOM, check_foraldrapenning),
    "narstaendepenning": (
        GRETA,
        FROM,
        TOM,
        one_case(reported="20251103", status=9, periods_=[P("20251103", "20251121", "100", "15")]),
    ),
    "sjukpenning": (SARA, FROM, TOM, check_sjukpenning),
    "smittbararersattning": (
        GRETA,
        FROM,
        TOM,
        one_case(reported="20260112", status=9, periods_=[P("20260112", "20260123", "100", "10")]),
    ),
    "dagpenningTillTotalforsvarspliktiga": (
        ALI,
        FROM,
        TOM,
        one_case(reported="20250108", status=9, periods_=[P("20250113", "20250613", "100", "152")]),
    ),
    "havandeskapspenning": (
        GRETA,
        FROM,
        TOM,
        one_case(reported="20250201", status=9, periods_=[P("20250210", "20250330", "100", "49")]),
    ),
    "rehabersattning": (
        GRETA,
        FROM,
        TOM,
        one_case(reported="20260302", status=9, periods_=[P("20260309", "20260529", "50", "60")]),
    ),
    "sjukpenninggrundandeInkomst": (SARA, FROM, TOM, check_sgi),
    "tillfalligForaldrapenning": (FATIMA, FROM, TOM, check_tillfallig_foraldrapenning),
    # Övriga förmåner
    "barnbidrag": (FATIMA, FROM, TOM, check_barnbidrag),
    "handikappersattning": (
        HELENA,
        FROM,
        TOM,
        one_case(reported="20160401", status=9, periods_=[P("20160501", "20250131", "53", belopp="2716")]),
    ),
    "underhallsstod": (
        FATIMA,
        FROM,
        TOM,
        one_case(
            reported="20230110",
            status=9,
            child="201907222390",
            periods_=[P("20230201", "20250331", belopp="1673")],
        ),
    ),
    "vardbidrag": (
        FATIMA,
        FROM,
        TOM,
        one_case(
            reported="20240115",
            status=9,
            child="201907222390",
            periods_=[P("20240201", "20250131", "25", belopp="2631")],
        ),
    ),
    "bostadsbidrag": (
        FATIMA,
        FROM,
        TOM,
        one_case(
            reported="20241201",
            status=1,
            periods_=[P("20250101", "20251231", belopp="2600"), P("20260101", "20261231", belopp="2850")],
        ),
    ),
    "levnadsintyg": (KLARA, FROM, TOM, check_levnadsintyg),
    "utbetalning": (SARA, "2025-06-01", TOM, check_utbetalning),
    "generellPersonInformation": (FATIMA, FROM, TOM, check_personuppgifter),
    # introduced with version 6
    "merkostnadsersattning": (
        HELENA,
        FROM,
        TOM,
        one_case(reported="20241115", status=1, periods_=[P("20250201", None, "50", belopp="2980")]),
    ),
    "omvardnadsbidrag": (
        HELENA,
        FROM,
        TOM,
        one_case(
            reported="20250110",
            status=1,
            child="201501292393",
            periods_=[P("20250201", None, "50", belopp="4900")],
        ),
    ),
    "mottagareAvBarnbidrag": (
        MIKAEL,
        FROM,
        TOM,
        one_case(reported="20250801", status=1, periods_=[P("20250901", belopp="1250")]),
    ),
    "forebyggandeSjukpenning": (
        GRETA,
        FROM,
        TOM,
        one_case(reported="20260921", status=1, periods_=[P("20261005", None, "25")]),
    ),
    "etableringsersattning": (
        ALI,
        FROM,
        TOM,
        one_case(reported="20240901", status=9, periods_=[P("20240902", "20250630", "100", "200")]),
    ),
    "etableringsjobb": (ALI, FROM, TOM, one_case(reported="20250701", status=1, periods_=[P("20250707")])),
    "programersattning": (
        ALI,
        FROM,
        TOM,
        one_case(reported="20250201", status=9, periods_=[P("20250203", "20250530", "100", "85")]),
    ),
    "programjobdagar": (
        ALI,
        FROM,
        TOM,
        one_case(status=9, periods_=[P("20250203", "20250530", "100", "85")]),
    ),
    "programanvisning": (
        ALI,
        FROM,
        TOM,
        one_case(
            reported="20250811", status=1, typ="Jobb- och utvecklingsgarantin", periods_=[P("20250818")]
        ),
    ),
    "skatteuppgift": (
        MIKAEL,
        FROM,
        TOM,
        one_case(status=9, typ="jämkning", periods_=[P("20260101", "20261231")]),
    ),
    "studiemedelsavisering": (
        MIKAEL,
        FROM,
        TOM,
        one_case(reported="20260815", status=1, periods_=[P("20260824")]),
    ),
    "pensionsbehallning": (PETRA, FROM, TOM, one_case(status=1, periods_=[P("20251231", belopp="0")])),
    "pensionsunderlag": (
        PETRA,
        FROM,
        TOM,
        one_case(status=9, typ="PGI", periods_=[P("20250101", "20251231")]),
    ),
}


def test_the_benefit_table_covers_the_whole_catalogue() -> None:
    assert sorted(BENEFIT_CASES) == sorted(CATALOGUE)


@pytest.mark.parametrize("key", list(BENEFIT_CASES))
def test_each_benefit_is_answered_with_the_scenario_data(lefi: Lefi, key: str) -> None:
    personnummer, fromdatum, tomdatum, check = BENEFIT_CASES[key]
    reply = lefi.ask(personnummer, [key], org=KOMMUN, fromdatum=fromdatum, tomdatum=tomdatum)
    assert reply.status == 0
    assert reply.text("generelltfalt/status/beskrivning") == "OK"
    assert reply.text("generelltfalt/kundStatus") == "1"
    assert delivered_keys(reply) == [key]
    if key == "generellPersonInformation":
        assert section_names(reply) == []
        section = reply.find("informationsfalt/person/personuppgifter")
    else:
        assert section_names(reply) == [key]
        section = reply.benefit(key)
        assert txt(section, "meddelande") == "1"
    assert section is not None
    check(section)


# -- 2. business errors ---------------------------------------------------------------
def ask_with_list(lefi: Lefi, formansforteckning: dict[str, bool]) -> etree._Element:
    """A question with a benefit list as given (``lefi.ask`` only sends true elements)."""
    lefi.client.service.HamtaFormansinformation(
        generelltfalt={"organisationsnummer": KOMMUN, "versionsnummer": "6"},
        informationsfalt={
            "person": {
                "personnummer": SARA,
                "fromdatum": FROM,
                "tomdatum": TOM,
                "formansforteckning": formansforteckning,
            }
        },
    )
    svar = lefi.history.last_received["envelope"].find(f".//{{{NS}}}FK.Online.Svar")
    assert svar is not None
    assert_valid(svar)
    return svar


UNKNOWN_PERSON = "196005171233"  # a valid personnummer nobody in the scenario has
UNKNOWN_ORG = "2120000019"  # a valid orgnummer no organisation in the scenario has

BUSINESS_ERRORS = [
    pytest.param(dict(personnummer=UNKNOWN_PERSON), 3, id="3-unknown-person"),
    pytest.param(dict(personnummer="198202042399"), 3, id="3-person-missing-in-register"),
    pytest.param(dict(fromdatum="2026-02-01", tomdatum="2026-01-31"), 7, id="7-from-after-tom"),
    pytest.param(dict(fromdatum="2024-01-01", tomdatum="2026-01-01"), 8, id="8-two-years-and-a-day"),
    pytest.param(dict(fromdatum="2026-01-01", tomdatum="2026-11-03"), 8, id="8-tom-after-today"),
    pytest.param(dict(personnummer="19850610238"), 11, id="11-too-few-digits"),
    pytest.param(dict(personnummer="abcdefghijkl"), 11, id="11-not-digits"),
    pytest.param(dict(personnummer="198506102387"), 11, id="11-wrong-check-digit"),
    pytest.param(dict(org="2120000143"), 12, id="12-wrong-check-digit"),
    pytest.param(dict(org="12345"), 12, id="12-bad-format"),
    pytest.param(dict(org="5590123450"), 13, id="13-not-authorised-in-BAD"),
    pytest.param(dict(org=UNKNOWN_ORG), 13, id="13-unknown-organisation"),
    pytest.param(dict(org="2021000001"), 13, id="13-connected-over-SHS-only"),
    pytest.param(dict(fromdatum=None), 21, id="21-fromdatum-missing"),
    pytest.param(dict(fromdatum=""), 21, id="21-fromdatum-empty"),
    pytest.param(dict(tomdatum=None), 22, id="22-tomdatum-missing"),
    pytest.param(dict(tomdatum=""), 22, id="22-tomdatum-empty"),
    pytest.param(dict(benefits=None), 23, id="23-no-benefit-list"),
    pytest.param(dict(benefits=[]), 23, id="23-empty-benefit-list"),
]


@pytest.mark.parametrize(("question", "code"), BUSINESS_ERRORS)
def test_business_error_is_answered_with_its_code(lefi: Lefi, question: dict[str, Any], code: int) -> None:
    asked: dict[str, Any] = dict(
        personnummer=SARA, benefits=["sjukpenning"], org=KOMMUN, fromdatum=FROM, tomdatum=TOM
    )
    asked.update(question)
    reply = lefi.ask(asked.pop("personnummer"), asked.pop("benefits"), **asked)
    assert reply.status == code
    assert reply.text("generelltfalt/kundStatus") == "0"
    assert reply.find("informationsfalt") is None  # no person data with an error


def test_all_benefits_false_is_code_23(lefi: Lefi) -> None:
    svar = ask_with_list(lefi, {"sjukpenning": False, "utbetalning": False})
    assert svar.findtext(_q("generelltfalt/status/kod")) == "23"


def test_new_personnummer_is_code_4_carrying_the_new_number(lefi: Lefi) -> None:
    reply = lefi.ask("199102162394", ["sjukpenning"])
    assert reply.status == 4
    assert reply.text("informationsfalt/person/nyttPersonnummer") == "199210072386"
    assert reply.find("informationsfalt/person/formansinformation") is None


def test_duplicate_customer_id_is_code_4_without_a_new_number(lefi: Lefi) -> None:
    reply = lefi.ask("199308042390", ["sjukpenning"])
    assert reply.status == 4
    assert reply.find("informationsfalt") is None


def test_a_period_of_exactly_two_years_is_accepted(lefi: Lefi) -> None:
    reply = lefi.ask(SARA, ["sjukpenning"], fromdatum="2024-01-01", tomdatum="2025-12-31")
    assert reply.status == 0


def test_tomdatum_today_is_accepted(lefi: Lefi) -> None:
    reply = lefi.ask(SARA, ["sjukpenning"], fromdatum="2026-01-01", tomdatum="2026-11-02")
    assert reply.status == 0


@pytest.mark.parametrize("form", ["850610-2386", "8506102386", "19850610-2386"])
def test_other_personnummer_forms_are_accepted(lefi: Lefi, form: str) -> None:
    reply = lefi.ask(form, ["generellPersonInformation"])
    assert reply.status == 0
    assert reply.text("informationsfalt/person/personuppgifter/personnummer") == SARA


# -- 3. technical errors --------------------------------------------------------------
TECHNICAL_ERRORS = [
    pytest.param(dict(personnummer="199911102383"), "TEKNISKT_FEL", id="TEKNISKT_FEL"),
    pytest.param(dict(personnummer="199401228565"), "ANROP_MOT_KUF_MISSLYCKADES", id="KUF"),
    pytest.param(dict(personnummer="198604212384"), "FEL_PA_PERSONINFORMATION", id="PERSONINFO"),
    pytest.param(dict(personnummer="196607303119"), "ANROP_MOT_KUND_MISSLYCKADES", id="KUND"),
    pytest.param(dict(org="2120005554"), "ANROP_MOT_BAD_MISSLYCKADES", id="BAD"),
    pytest.param(dict(org="5560001116"), "KONFIGURATIONSFEL", id="KONFIGURATIONSFEL"),
    pytest.param(dict(org="8024001235"), "FILTER_SAKNAS", id="FILTER_SAKNAS"),
    pytest.param(dict(version=None), "VERSIONSNR_SAKNAS", id="VERSIONSNR_SAKNAS"),
    pytest.param(dict(version=""), "VERSIONSNR_SAKNAS", id="VERSIONSNR_SAKNAS-empty"),
    pytest.param(dict(version="4"), "VERSIONEN_STODS_EJ", id="version-4"),
    pytest.param(dict(version="7"), "VERSIONEN_STODS_EJ", id="version-7"),
]


def ask_expecting_fault(lefi: Lefi, question: dict[str, Any]) -> zeep.exceptions.Fault:
    """Ask Sara's sjukpenning as the municipality, changed by ``question``; return the fault."""
    asked: dict[str, Any] = dict(personnummer=SARA, org=KOMMUN, fromdatum=FROM, tomdatum=TOM)
    asked.update(question)
    with pytest.raises(zeep.exceptions.Fault) as raised:
        lefi.ask(asked.pop("personnummer"), ["sjukpenning"], **asked)
    return raised.value


@pytest.mark.parametrize(("question", "kod"), TECHNICAL_ERRORS)
def test_technical_error_is_a_soap_fault_naming_it(lefi: Lefi, question: dict[str, Any], kod: str) -> None:
    fault = ask_expecting_fault(lefi, question)
    assert fault.code == "soap:Server"
    assert fault_kod(fault) == kod
    assert_still_answers(lefi)


# FK's text for each TeknisktfelStatus; SPEC §2.1.1: the SOAP 1.1 faultstring is this text
FK_TEXTS = {
    "TEKNISKT_FEL": "Tekniskt fel",
    "ANROP_MOT_KUF_MISSLYCKADES": "Anrop mot KUF misslyckades",
    "FEL_PA_PERSONINFORMATION": "Fel i svar från personinformation",
    "ANROP_MOT_KUND_MISSLYCKADES": "Anrop mot KUND misslyckades",
    "ANROP_MOT_BAD_MISSLYCKADES": "Anrop mot BAD misslyckades",
    "FILTER_SAKNAS": "Det saknas filter för orgtypen.",
    "VERSIONSNR_SAKNAS": "Versionsnummer saknas",
    "VERSIONEN_STODS_EJ": "Den begärda versionen stöds ej",
    "KONFIGURATIONSFEL": "Fel i konfiguration",
}


def _faultstring_params() -> list[Any]:
    params = []
    for p in TECHNICAL_ERRORS:
        question, kod = p.values
        params.append(pytest.param(question, kod, id=p.id))
    return params


@pytest.mark.parametrize(("question", "kod"), _faultstring_params())
def test_technical_error_faultstring_is_the_status_text(
    lefi: Lefi, question: dict[str, Any], kod: str
) -> None:
    fault = ask_expecting_fault(lefi, question)
    assert fault_kod(fault) == kod
    assert fault.message == FK_TEXTS[kod]


@pytest.mark.parametrize("version", ["5", "6"])
def test_the_closed_v4_address_answers_versionen_stods_ej(server: Server, version: str) -> None:
    v4 = make_client(server.url, path="/ws/FK.EXA.Lefi.FragaV4")
    with pytest.raises(zeep.exceptions.Fault) as raised:
        v4.ask(SARA, ["sjukpenning"], version=version)
    assert fault_kod(raised.value) == "VERSIONEN_STODS_EJ"
    assert_still_answers(make_client(server.url))


# -- 4. rules --------------------------------------------------------------------------
def test_insurer_gets_no_barnbidrag_outside_its_agreement(lefi: Lefi) -> None:
    reply = lefi.ask(FATIMA, ["barnbidrag", "sjukpenning"], org=INSURER)
    assert reply.status == 0
    assert not reply.delivered("barnbidrag")
    assert reply.benefit("barnbidrag") is None
    assert reply.delivered("sjukpenning")


def test_a_barnbidrag_payment_never_reaches_the_insurer(lefi: Lefi) -> None:
    def payments(org: str) -> list[tuple[str | None, str | None]]:
        reply = lefi.ask(ARNE, ["utbetalning"], org=org, fromdatum="2025-06-01", tomdatum=TOM)
        assert reply.delivered("utbetalning")
        section = reply.benefit("utbetalning")
        return [(txt(p, "forman"), txt(p, "totaltBruttobelopp")) for p in section.findall(_q("period"))]

    assert payments(KOMMUN) == [("PLV", "5600"), ("ABB", "625")]
    assert payments(INSURER) == [("PLV", "5600")]


def test_the_org_type_filter_narrows_an_agreement_of_all(lefi: Lefi) -> None:
    kronofogden = lefi.ask(FATIMA, ["barnbidrag", "vardbidrag", "foraldrapenning"], org=KRONOFOGDEN)
    assert delivered_keys(kronofogden) == ["foraldrapenning", "barnbidrag"]
    assert "vardbidrag" not in section_names(kronofogden)
    myndighet = lefi.ask(
        FATIMA, ["foraldrapenning", "bostadsbidrag", "generellPersonInformation"], org=PENSIONSMYNDIGHETEN
    )
    assert delivered_keys(myndighet) == ["generellPersonInformation"]
    assert section_names(myndighet) == []


def test_protected_identity_withholds_address_and_kommun(lefi: Lefi) -> None:
    reply = lefi.ask(SVEN, ["generellPersonInformation", "sjukpenning"])
    assert reply.status == 0
    person = reply.find("informationsfalt/person/personuppgifter")
    assert txt(person, "aviseringsnamn") == "Skyddad Sven"
    assert txt(person, "sarskildProvning") == "true"
    assert person.find(_q("folkbokforingsadress")) is None
    assert person.find(_q("kommunbeteckning")) is None
    assert b"Hemliga" not in etree.tostring(reply.svar)
    assert periods(only_case(reply.benefit("sjukpenning"), "sjpArende")) == [
        P("20260202", "20260220", "100", "19")
    ]


def test_an_ongoing_case_is_returned_with_its_whole_history(lefi: Lefi) -> None:
    reply = lefi.ask(SARA, ["sjukpenning"], fromdatum="2026-01-01", tomdatum="2026-10-31")
    case = only_case(reply.benefit("sjukpenning"), "sjpArende")  # the closed ones ended earlier
    assert txt(case, "anmalningsdatum") == "20250325"
    assert [p.from_ for p in periods(case)] == ["20250401", "20250901", "20260701"]


def test_sjukpenning_before_2002_is_not_held(lefi: Lefi) -> None:
    reply = lefi.ask(SARA, ["sjukpenning"], fromdatum="2001-01-01", tomdatum="2002-06-30")
    assert reply.status == 0
    section = reply.benefit("sjukpenning")
    assert txt(section, "meddelande") == "2"  # part of the period lies before the limit
    assert section.findall(_q("sjpArende")) == []  # the case of 2001


def test_arbetsskadelivranta_before_2005_is_not_returned(lefi: Lefi) -> None:
    reply = lefi.ask(ARNE, ["arbetsskadelivranta"], fromdatum="2004-01-01", tomdatum="2005-12-31")
    section = reply.benefit("arbetsskadelivranta")
    assert txt(section, "meddelande") == "2"
    assert periods(only_case(section)) == [P("20050101", belopp="5600")]  # not 2004's 5100


def test_payments_older_than_18_months_are_not_returned(lefi: Lefi) -> None:
    reply = lefi.ask(SARA, ["utbetalning"], fromdatum="2025-04-01", tomdatum=TOM)
    section = reply.benefit("utbetalning")
    assert txt(section, "meddelande") == "2"
    # 2025-04-25 is before 2025-05-02, 18 months before today
    assert texts(section, "period/utbetalningsdatum") == ["20250925", "20261023"]
    only_old = lefi.ask(SARA, ["utbetalning"], fromdatum="2025-04-01", tomdatum="2025-04-30")
    assert only_old.benefit("utbetalning").findall(_q("period")) == []


def test_pensionsprognos_holds_the_two_latest_mailing_years(lefi: Lefi) -> None:
    reply = lefi.ask(KLARA, ["prognos"], fromdatum="2023-01-01", tomdatum="2024-12-31")
    years = texts(reply.benefit("prognos"), "prognosantagande/utskicksar")
    assert sorted(set(years)) == ["2024", "2025"]


def test_pension_of_someone_born_1937_or_earlier_is_held_from_2003(lefi: Lefi) -> None:
    klara = lefi.ask(KLARA, ["pension"], fromdatum="2001-07-01", tomdatum="2003-06-30")
    section = klara.benefit("pension")
    assert txt(section, "meddelande") == "2"
    assert section.findall(_q("pensionspoang/pensionspoangsbeslut")) == []  # 2001, 2002
    assert section.findall(_q("alderspension/alderspensionsbeslut")) == []
    # born 1938 or later: held from 2001, so the same period lies within the limit
    gunnar = lefi.ask(GUNNAR, ["pension"], fromdatum="2001-07-01", tomdatum="2003-06-30")
    assert txt(gunnar.benefit("pension"), "meddelande") == "1"


def test_version_5_answers_carry_no_version_6_benefits(lefi: Lefi) -> None:
    reply = lefi.ask(SARA, ["sjukpenning"], version="5")
    assert reply.status == 0
    listed = reply.find("informationsfalt/person/formansforteckning")
    names = [etree.QName(e).localname for e in listed]
    assert sorted(names) == sorted(k for k in CATALOGUE if k not in V6_ONLY)
    current = lefi.ask(SARA, ["sjukpenning"], version="6")
    listed = current.find("informationsfalt/person/formansforteckning")
    assert sorted(etree.QName(e).localname for e in listed) == sorted(CATALOGUE)


def test_a_version_5_question_for_a_version_6_benefit_is_a_client_fault(lefi: Lefi) -> None:
    with pytest.raises(zeep.exceptions.Fault) as raised:
        lefi.ask(HELENA, ["merkostnadsersattning"], version="5")
    assert raised.value.code == "soap:Client"
    assert raised.value.detail.find(_q("Valideringsfel")) is not None
    assert fault_kod(raised.value) is None  # not a tekniskt fel: the message is refused
    assert_still_answers(lefi)


def test_referens_is_echoed(lefi: Lefi) -> None:
    reply = lefi.ask(SARA, ["sjukpenning"], referens="Ärende 4711/åäö")
    assert reply.text("generelltfalt/referens") == "Ärende 4711/åäö"
    refused = lefi.ask(UNKNOWN_PERSON, ["sjukpenning"], referens="R-2")
    assert refused.status == 3
    assert refused.text("generelltfalt/referens") == "R-2"


@pytest.mark.parametrize("form", [SAMUEL, "800060-2394"])
def test_a_samordningsnummer_is_answered(lefi: Lefi, form: str) -> None:
    reply = lefi.ask(form, ["generellPersonInformation", "sjukpenning"])
    assert reply.status == 0
    assert reply.text("informationsfalt/person/personuppgifter/personnummer") == SAMUEL
    assert reply.text("informationsfalt/person/personuppgifter/aviseringsnamn") == "Samordnad Samuel"
    assert periods(only_case(reply.benefit("sjukpenning"), "sjpArende")) == [
        P("20260402", "20260430", "100", "29")
    ]


# -- 5. version life cycle ----------------------------------------------------------------
ServerFactory = Callable[..., Server]


def test_version_5_has_reached_end_of_life_in_june_2027(server_factory: ServerFactory) -> None:
    later = make_client(server_factory("--clock", "2027-06-01T10:00", "--freeze-clock").url)
    with pytest.raises(zeep.exceptions.Fault) as raised:
        later.ask(SARA, ["sjukpenning"], version="5", fromdatum="2026-01-01", tomdatum="2027-05-31")
    assert fault_kod(raised.value) == "VERSIONEN_STODS_EJ"
    reply = later.ask(SARA, ["sjukpenning"], version="6", fromdatum="2026-01-01", tomdatum="2027-05-31")
    assert reply.status == 0
    assert reply.delivered("sjukpenning")


def test_version_6_is_not_released_in_march_2026(server_factory: ServerFactory) -> None:
    earlier = make_client(server_factory("--clock", "2026-03-01T10:00", "--freeze-clock").url)
    with pytest.raises(zeep.exceptions.Fault) as raised:
        earlier.ask(SARA, ["sjukpenning"], version="6", fromdatum="2025-03-01", tomdatum="2026-02-28")
    assert fault_kod(raised.value) == "VERSIONEN_STODS_EJ"
    reply = earlier.ask(SARA, ["sjukpenning"], version="5", fromdatum="2025-03-01", tomdatum="2026-02-28")
    assert reply.status == 0
    assert reply.delivered("sjukpenning")


def test_the_wsdl_before_version_6_is_released_describes_version_5(server_factory: ServerFactory) -> None:
    earlier = make_client(server_factory("--clock", "2026-03-01T10:00", "--freeze-clock").url)
    lista = earlier.client.get_type(f"{{{NS}}}FormansforteckningTyp")
    assert "merkostnadsersattning" not in [name for name, _ in lista.elements]


# -- 6. SOAP 1.2 and the WS paths ----------------------------------------------------------
def _canonical(svar: etree._Element) -> bytes:
    return etree.tostring(svar, method="c14n", exclusive=True)


def test_soap_12_gets_the_same_answer_as_soap_11(server: Server, lefi: Lefi) -> None:
    soap12 = make_client(server.url, port="EXAHamtaFormansinformationSoap12")
    question = dict(fromdatum="2025-01-01", tomdatum="2026-10-31")
    benefits = ["generellPersonInformation", "sjukpenning", "sjukpenninggrundandeInkomst", "utbetalning"]
    over_12 = soap12.ask(SARA, benefits, **question)
    assert soap12.history.last_sent["envelope"].tag == f"{{{SOAP12_ENVELOPE}}}Envelope"
    assert soap12.history.last_received["envelope"].tag == f"{{{SOAP12_ENVELOPE}}}Envelope"
    over_11 = lefi.ask(SARA, benefits, **question)
    assert over_12.status == 0
    assert _canonical(over_12.svar) == _canonical(over_11.svar)


def test_a_technical_error_over_soap_12_is_a_soap_12_fault(server: Server) -> None:
    soap12 = make_client(server.url, port="EXAHamtaFormansinformationSoap12")
    with pytest.raises(zeep.exceptions.Fault) as raised:
        soap12.ask("199401228565", ["sjukpenning"])
    assert raised.value.code == "soap:Receiver"
    assert fault_kod(raised.value) == "ANROP_MOT_KUF_MISSLYCKADES"
    assert soap12.history.last_received["envelope"].tag == f"{{{SOAP12_ENVELOPE}}}Envelope"
    assert_still_answers(soap12)


@pytest.mark.parametrize("path", ["/ws", "/ws/FK.EXA.Lefi.Fraga", "/shs2"])
def test_every_ws_path_answers(server: Server, path: str) -> None:
    client = make_client(server.url, path=path)
    reply = client.ask(SARA, ["sjukpenning"], fromdatum="2026-01-01", tomdatum="2026-10-31")
    assert reply.status == 0
    case = only_case(reply.benefit("sjukpenning"), "sjpArende")
    assert txt(case, "anmalningsdatum") == "20250325"


def test_time_travel_before_a_child_is_born(server_factory: ServerFactory) -> None:
    """With the clock before Lisa's birth (2021-10-30), her parent's answer does not list
    her, and a question about her gets 11: she has no valid personnummer yet."""
    then = make_client(server_factory("--clock", "2021-06-01T10:00", "--freeze-clock").url)
    reply = then.ask(
        FATIMA, ["generellPersonInformation"], fromdatum="2021-01-01", tomdatum="2021-05-31", version="5"
    )
    barn = [el.text for el in reply.findall("informationsfalt/person/personuppgifter/barn/personnummer")]
    assert barn == ["201907222390"]
    assert (
        then.ask(
            "202110302383", ["sjukpenning"], fromdatum="2021-01-01", tomdatum="2021-05-31", version="5"
        ).status
        == 11
    )
