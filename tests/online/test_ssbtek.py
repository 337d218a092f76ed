"""End-to-end tests of the SSBTEK v10 binding (POST /ssbtek), as a municipality sees it.

A zeep client loaded with FK's official WSDL (``../shared/reference/ssbtek-v10/``) calls
the simulator; every answer and fault detail is validated against FK's official XSD, and
the LEFI v9 JSON inside against FK's official v9 contract. FK's example request gets an
answer of the same shape as FK's example answers.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
import zeep
from lxml import etree
from support.rest_client import (
    FRAGA,
    KOMMUN_AKTOR,
    OFFICIAL_SSBTEK,
    SUNDSVALL_AKTOR,
    need_reference,
    official_ssbtek_dir,
    official_ssbtek_schema,
    official_v9,
    validate_against,
)
from support.server import DEFAULT_SCENARIO, ROOT, Server, running, start_server, stop_server
from zeep.plugins import HistoryPlugin
from zeep.transports import Transport as ZeepTransport

NS = "http://schema.forsakringskassan.se/integration/ssbt/10"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
BINDING = f"{{{NS}}}BastjanstInformationInterfaceSoapBinding"
KOMMUN = "162120000142"  # Testkommunen, 12-digit form as SSBTEK writes it
SARA = "198506102386"
FATIMA = "198803182388"
KLARA = "193602199188"
TEA = "199911102383"  # TEKNISKT_FEL
BAD_FEL = "2120005554"  # the organisation's BAD lookup fails (aktorsId: its orgnummer)


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return official_ssbtek_dir(tmp_path_factory.mktemp("ssbtek-official"))


@pytest.fixture(scope="module")
def xsd(official: Path) -> etree.XMLSchema:
    return official_ssbtek_schema(official)


class Ssbtek:
    """A zeep client from FK's WSDL, pointed at the simulator; answers checked against FK's XSD."""

    def __init__(self, official: Path, xsd: etree.XMLSchema, url: str) -> None:
        self.history = HistoryPlugin()
        client = zeep.Client(str(official / "Sammansatt_Bastjanst_v10.wsdl"), plugins=[self.history])
        self.service = client.create_service(BINDING, url + "/ssbtek")
        self.xsd = xsd

    def last_body(self) -> etree._Element:
        body = self.history.last_received["envelope"].find(f"{{{SOAP}}}Body")[0]
        assert self.xsd.validate(etree.ElementTree(body)), self.xsd.error_log
        return body

    def hamta(
        self,
        lefi: dict[str, Any] | bytes | None,
        *,
        aktor: str = KOMMUN_AKTOR,
        ingivare: str = KOMMUN,
        version: str | None = "v9",
        fk: bool = True,
        echo: bool = False,
        **general: Any,
    ) -> Any:
        data = lefi if isinstance(lefi, bytes) else json.dumps(lefi).encode()
        fraga = {"aktorsid": aktor, "lefiJsonFraga": data}
        if version is not None:
            fraga["version"] = version
        others = {"inkludera": True}
        result = self.service.hamtaBastjanstInformation(
            generellaFrageparametrar={
                "korrelationsid": "k-1",
                "fraganSkallInkluderasISvaret": echo,
                "ingivare": {
                    "organisationsnummer": ingivare,
                    "namn": "Testkommunen",
                    "handlaggare": "system",
                },
                "personidentitet": SARA,
                "arendeidentitet": "A-1",
                "tidsperiod": {"fromDatum": "2025-01-01", "tomDatum": "2025-06-30"},
                "syfte": "Beslut om ekonomiskt bistånd",
                "lagtext": "11 kap. 11 a § socialtjänstlagen",
                **general,
            },
            specifikaFrageparametrar={
                "AF": others,
                "CSN": others,
                "FK": {"inkludera": fk, "fraga": fraga if fk else None},
                "SKV": others,
                "SO": others,
                "TNS": others,
                "MIV": others,
            },
        )
        self.last_body()
        return result


def lefi_answer(result: Any) -> dict[str, Any]:
    """The LEFI v9 JSON of FK's part, checked against FK's official v9 contract."""
    raw = result.svarsdata.FK.data.lefiJsonSvar
    body = json.loads(raw)
    response = requests.models.Response()
    response.status_code, response._content = 200, raw  # type: ignore[attr-defined]
    response.headers["Content-Type"] = "application/json"
    validate_against(official_v9(), FRAGA, "post", response)
    return body


@pytest.fixture(scope="module")
def ssbtek(official: Path, xsd: etree.XMLSchema, server: Server) -> Ssbtek:
    return Ssbtek(official, xsd, server.url)


def question(personnummer: str = SARA, **lists: list[str]) -> dict[str, Any]:
    return {"personnummer": personnummer, "period": {"from": "2025-01-01", "tom": "2026-10-31"}, **lists}


# -- FK's example ----------------------------------------------------------------------
def _shape(el: etree._Element) -> list[str]:
    return [etree.QName(e).localname for e in el.iter() if isinstance(e.tag, str)]


def test_fks_example_request_gets_an_answer_shaped_like_fks_examples(
    server: Server, xsd: etree.XMLSchema
) -> None:
    examples = OFFICIAL_SSBTEK / "examples"
    need_reference(examples / "fk-request-mapping.json")
    mapping = json.loads((examples / "fk-request-mapping.json").read_text(encoding="utf-8"))
    request = mapping["request"]["bodyPatterns"][0]["equalToXml"].replace("${xmlunit.ignore}", "x-1")
    response = requests.post(
        server.url + mapping["request"]["url"],
        data=request.encode(),
        timeout=30,
        headers={"Content-Type": "text/xml; charset=utf-8"},
    )
    assert response.status_code == mapping["response"]["status"]
    ours = etree.fromstring(response.content)
    body = ours.find(f"{{{SOAP}}}Body")[0]
    assert xsd.validate(etree.ElementTree(body)), xsd.error_log
    for name in ("fk-response.xml", "fk-ssbtek-response.xml"):
        theirs = etree.parse(str(examples / name)).getroot()
        # the contract echoes the question's korrelationsid; FK's stubbed examples leave it out
        assert [s for s in _shape(ours) if s != "korrelationsid"] == _shape(theirs)
        ours_json = json.loads(base64.b64decode(body.findtext(f".//{{{NS}}}lefiJsonSvar")))
        theirs_json = json.loads(base64.b64decode(theirs.findtext(f".//{{{NS}}}lefiJsonSvar")))
        assert ours_json == theirs_json


# -- answers through zeep and FK's WSDL ------------------------------------------------
def test_fk_part_carries_lefi_v9_json(ssbtek: Ssbtek) -> None:
    result = ssbtek.hamta(question(formansinformation=["FK:SJP"], ovrigInformation=["FK:GEPI"]))
    assert result.korrelationsid == "k-1"
    body = lefi_answer(result)
    assert body["formansinformation"]["sjukpenningarende"]
    assert body["formansinformation"]["generellPersoninformation"][0]["personnummer"] == SARA
    assert result.svarsdata.AF is None and result.svarsdata.SKV is None  # not in the sandbox: left out
    assert result.fraga is None


def test_the_question_is_given_back_when_asked(ssbtek: Ssbtek) -> None:
    result = ssbtek.hamta(question(formansinformation=["FK:SJP"]), echo=True)
    assert result.fraga.generellaFrageparametrar.arendeidentitet == "A-1"
    assert result.fraga.specifikaFrageparametrar.FK.fraga.aktorsid == KOMMUN_AKTOR


def test_without_fk_there_is_no_fk_part(ssbtek: Ssbtek) -> None:
    ssbtek.hamta(None, fk=False)
    svarsdata = ssbtek.last_body().find(f"{{{NS}}}svarsdata")
    assert svarsdata is not None and len(svarsdata) == 0


def test_the_same_rules_as_rest(ssbtek: Ssbtek, server: Server) -> None:
    lefi = question(FATIMA, formansinformation=["FK:FP", "FK:ABB"], utbetalningar=["FK:FP"], beslut=["PM:AP"])
    via_ssbtek = lefi_answer(ssbtek.hamta(lefi))
    via_rest = requests.post(server.url + FRAGA.format(aktorsId=KOMMUN_AKTOR), json=lefi, timeout=30).json()
    assert via_ssbtek == via_rest


@pytest.mark.parametrize(
    ("change", "kalla", "felkod"),
    [
        ({"aktor": "okand"}, "BT", "403"),
        ({"ingivare": "162120002411"}, "BT", "403"),  # Sundsvall may not speak for Testkommunen's aktör
        ({"aktor": SUNDSVALL_AKTOR}, "BT", "403"),  # nor Testkommunen for Sundsvall's
        ({"lefi": b"not json"}, "BT", "400"),
        ({"lefi": b"[" * 100000}, "BT", "400"),
        ({"lefi": question(period=None)}, "BT", "400"),
        ({"lefi": question()}, "BT", "400"),  # no group asked
        ({"lefi": question(TEA, formansinformation=["FK:SJP"])}, "BT", "500"),
        ({"aktor": BAD_FEL, "ingivare": "16" + BAD_FEL}, "BT", "500"),
        ({"version": "v8"}, "SSBT", "VERSIONEN_STODS_EJ"),
    ],
)
def test_errors_of_fks_part_are_the_contracts_error(
    ssbtek: Ssbtek, change: dict[str, Any], kalla: str, felkod: str
) -> None:
    lefi = change.pop("lefi", question(formansinformation=["FK:SJP"]))
    if isinstance(lefi, dict) and lefi.get("period", 0) is None:
        del lefi["period"]
    result = ssbtek.hamta(lefi, **change)
    error = result.svarsdata.FK.error
    assert (error.kalla, error.felkod) == (kalla, felkod)
    assert error.felmeddelande and SARA not in " ".join(error.felmeddelande)


def test_testa_calls_fks_test_service(ssbtek: Ssbtek) -> None:
    result = ssbtek.service.testaBastjanstInformation()
    ssbtek.last_body()
    assert result.FK.anropad is True and result.FK.error is None
    assert result.AF.anropad is False


def test_the_served_wsdl_loads_in_zeep_and_answers(server: Server, xsd: etree.XMLSchema) -> None:
    history = HistoryPlugin()
    client = zeep.Client(server.url + "/ssbtek?wsdl", plugins=[history])
    result = client.service.testaBastjanstInformation()
    assert result.FK.anropad is True
    body = history.last_received["envelope"].find(f"{{{SOAP}}}Body")[0]
    assert xsd.validate(etree.ElementTree(body)), xsd.error_log


# -- messages that are not accepted: a SOAP Fault with FK's fault detail --------------
def _fault(response: requests.Response, xsd: etree.XMLSchema) -> etree._Element:
    envelope = etree.fromstring(response.content)
    detail = envelope.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault/detail")
    assert detail is not None, response.text
    assert xsd.validate(etree.ElementTree(detail[0])), xsd.error_log
    return detail[0]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"not xml", 400),
        (b'<!DOCTYPE x [<!ENTITY e "e">]><x/>', 400),
        (
            f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body><ssbt:hamtaBastjanstInformation xmlns:ssbt="{NS}"/>'
            f"</soap:Body></soap:Envelope>".encode(),
            500,
        ),
        (
            f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body><ssbt:annat xmlns:ssbt="{NS}"/>'
            f"</soap:Body></soap:Envelope>".encode(),
            500,
        ),
    ],
)
def test_a_message_not_accepted_is_a_fault_with_fks_detail(
    server: Server, xsd: etree.XMLSchema, data: bytes, status: int
) -> None:
    response = requests.post(
        server.url + "/ssbtek", data=data, headers={"Content-Type": "text/xml"}, timeout=30
    )
    assert response.status_code == status
    detail = _fault(response, xsd)
    assert etree.QName(detail).localname == "hamtaBastjanstInformationFault"
    assert detail.findtext(f"{{{NS}}}felkod") == "OGILTIG_FRAGA"


def test_an_invalid_question_through_zeep_raises_its_fault(ssbtek: Ssbtek) -> None:
    with pytest.raises(zeep.exceptions.Fault) as raised:
        ssbtek.hamta(question(formansinformation=["FK:SJP"]), ingivare="1234")  # not an orgnummer
    assert "valid" in raised.value.message


# -- fault rules ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def faulty(
    tmp_path_factory: pytest.TempPathFactory, official: Path, xsd: etree.XMLSchema
) -> Iterator[Ssbtek]:
    scenario = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["faults"] = [
        {
            "id": "ssbtek-soap",
            "kind": "soap_fault",
            "binding": "ssbtek",
            "personnummer": SARA,
            "fault_reason": "Nere för underhåll",
        },
        {
            "id": "ssbtek-kund",
            "kind": "technical_error",
            "binding": "ssbtek",
            "personnummer": KLARA,
            "technical_error": "ANROP_MOT_KUND_MISSLYCKADES",
        },
    ]
    tmp = tmp_path_factory.mktemp("ssbtek-faults")
    path = tmp / "faults.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with running(tmp, "--freeze-clock", scenario=path) as server:
        yield Ssbtek(official, xsd, server.url)


def test_fault_rules_apply_to_ssbtek(faulty: Ssbtek) -> None:
    with pytest.raises(zeep.exceptions.Fault) as raised:
        faulty.hamta(question(formansinformation=["FK:SJP"]))
    assert raised.value.message == "Nere för underhåll"
    assert re.search("ssbtek-soap", etree.tostring(raised.value.detail, encoding="unicode"))
    body = lefi_answer(faulty.hamta(question(KLARA, formansinformation=["FK:AP"])))
    assert body["avvikelser"]["formansinformation"][0]["avvikelse"]["kod"] == "INTERNT_FEL"


# -- testaBastjanstInformation: identified and gated like every operation ------------------
def lefi_sim(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "simulator", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_testa_is_identified_by_the_certificate_and_passes_the_sla_gate(
    tmp_path: Path, official: Path, xsd: etree.XMLSchema
) -> None:
    """The test question names no one: under mutual TLS the certificate's organisation asks.
    Its fault rules apply, the SLA counts it (and refuses a second question at once), and the
    journal names it, as for hamtaBastjanstInformation."""
    certs = tmp_path / "certs"
    lefi_sim("certs", "init", "--dir", str(certs))
    lefi_sim("certs", "issue", "--dir", str(certs), "--orgnummer", KOMMUN[2:], "--name", "Testkommunen")
    session = requests.Session()
    session.trust_env = False
    session.verify, session.cert = (
        str(certs / "ca.pem"),
        (
            str(certs / f"{KOMMUN[2:]}.pem"),
            str(certs / f"{KOMMUN[2:]}-key.pem"),
        ),
    )
    scenario = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    scenario["faults"] = [
        {
            "id": "kommun-testtjanst",
            "kind": "technical_error",
            "binding": "ssbtek",
            "organisation": KOMMUN[2:],
            "technical_error": "TEKNISKT_FEL",
            "times": 1,
        }
    ]
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    server = start_server(
        tmp_path,
        "--freeze-clock",
        "--tls",
        "--certs",
        str(certs),
        "--sla-mode",
        "reject",
        scenario=path,
        session=session,
    )
    try:
        history = HistoryPlugin()
        client = zeep.Client(
            str(official / "Sammansatt_Bastjanst_v10.wsdl"),
            plugins=[history],
            transport=ZeepTransport(session=session),
        )
        service = client.create_service(BINDING, server.url + "/ssbtek")
        result = service.testaBastjanstInformation()  # the organisation's fault rule applies
        assert result.FK.anropad is True and result.FK.error.felkod == "TEKNISKT_FEL"
        with pytest.raises(zeep.exceptions.Fault) as raised:  # at once: within the 300 ms gap
            service.testaBastjanstInformation()
        detail = raised.value.detail[0]
        assert xsd.validate(etree.ElementTree(detail)), xsd.error_log
        assert etree.QName(detail).localname == "testaBastjanstInformationFault"
        assert (detail.findtext(f"{{{NS}}}felkod") or "").startswith("SLA_")
        entries = session.get(
            f"{server.url}/_admin/journal", params={"binding": "ssbtek"}, timeout=10
        ).json()["entries"]
        assert [(e["organisation"], e["outcome"][:4]) for e in entries] == [
            (KOMMUN[2:], "sla:"),
            (KOMMUN[2:], "tech"),
        ]
    finally:
        stop_server(server)
