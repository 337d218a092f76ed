"""The SSEK binding as an insurer's SSEK client sees it: SOAP with an ``ssek:SSEK`` header
to /ssek/FK.EXA.Lefi.Fraga, faults with SSEK codes and ``ssek:FaultData``, the header
echoed with sender and receiver swapped, and idempotent resends by TxId.

Every answer is validated against the project's answer XSD, every SSEK header and
FaultData against SSEK's ssek.xsd (../shared/reference/ssek) when it is present.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import zeep
from lxml import etree
from support.partner_clients import (
    FK,
    SOAP11,
    SOAP12,
    SSEK_NS,
    SSEK_PATH,
    SSEK_REFERENCE,
    assert_valid_ssek,
    default_scenario_with,
    fraga,
    post_soap,
    soap_envelope,
    soap_fault,
    ssek_answer,
    ssek_header,
)
from support.server import NS, ROOT, Server

INSURER = "5566778899"  # Försäkringsbolaget Trygghet AB: SSEK, a narrow agreement
UNAUTHORISED = "5590123450"  # SSEK, not registered in BAD: code 13
KOMMUN = "2120000142"  # no SSEK transport: code 13
MISCONFIGURED = "5560001116"  # KONFIGURATIONSFEL on every question
SARA = "198506102386"
SSEK = f"{{{SSEK_NS}}}"


def ask(
    server: Server,
    header: str | None = None,
    body: str | None = None,
    soap: str = SOAP11,
    path: str = SSEK_PATH,
) -> requests.Response:
    header = ssek_header(soap=soap) if header is None else header
    return post_soap(
        server.url, soap_envelope(body or fraga(SARA, ["sjukpenning"]), header, soap), soap, path
    )


# -- the happy path ----------------------------------------------------------------------
def test_a_question_is_answered_with_the_header_swapped(server: Server) -> None:
    tx_id = str(uuid.uuid4())
    answer = ssek_answer(ask(server, ssek_header(tx_id=tx_id)))
    assert answer.status == 0
    assert answer.text("informationsfalt/person/formansforteckning/sjukpenning") == "true"
    assert answer.text("generelltfalt/organisationsnummer") == INSURER
    h = answer.header
    assert h.get(f"{{{SOAP11}}}mustUnderstand") == "1"
    assert (h.findtext(f"{SSEK}SenderId"), h.find(f"{SSEK}SenderId").get(f"{SSEK}Type")) == (FK, "ORGNR")
    assert (h.findtext(f"{SSEK}ReceiverId"), h.find(f"{SSEK}ReceiverId").get(f"{SSEK}Type")) == (
        INSURER,
        "ORGNR",
    )
    assert h.findtext(f"{SSEK}TxId") == tx_id


def test_soap12_is_answered_too(server: Server) -> None:
    r = ask(server, ssek_header(soap=SOAP12), soap=SOAP12)
    assert r.headers["Content-Type"].startswith("application/soap+xml")
    answer = ssek_answer(r)
    assert answer.status == 0
    assert answer.header.get(f"{{{SOAP12}}}mustUnderstand") == "true"


@pytest.mark.parametrize(
    ("sender", "sender_type", "receiver", "receiver_type"),
    [
        ("lefi-klient.trygghet.example", "CN", FK, "ORGNR"),  # the certificate's CN, listed in the scenario
        ("TRYGGHET-SKADEREGLERING", "APP", "202100-5521", "ORGNR"),
        ("556677-8899", "ORGNR", "162021005521", "CN"),  # orgnummer in any form FK accepts
    ],
)
def test_every_listed_sender_id_and_receiver_form(
    server: Server, sender: str, sender_type: str, receiver: str, receiver_type: str
) -> None:
    answer = ssek_answer(
        ask(server, ssek_header(sender, sender_type, receiver=receiver, receiver_type=receiver_type))
    )
    assert answer.status == 0
    assert answer.header.findtext(f"{SSEK}ReceiverId") == sender  # echoed as sent
    assert answer.header.findtext(f"{SSEK}SenderId") == receiver


def test_an_unqualified_type_attribute_is_read_too(server: Server) -> None:
    header = ssek_header("lefi-klient.trygghet.example", "CN").replace("ssek:Type=", "Type=")
    assert ssek_answer(ask(server, header)).status == 0


def test_zeep_with_an_ssek_header(server: Server) -> None:
    """A partner's zeep client: the WSDL from the SSEK address, the SSEK header added."""
    client = zeep.Client(f"{server.url}{SSEK_PATH}?wsdl")
    header = etree.fromstring(
        ssek_header(tx_id=str(uuid.uuid4())).replace("<ssek:SSEK ", f'<ssek:SSEK xmlns:soap="{SOAP11}" ', 1)
    )
    result = client.service.HamtaFormansinformation(
        generelltfalt={"organisationsnummer": INSURER, "versionsnummer": "6"},
        informationsfalt={
            "person": {
                "personnummer": SARA,
                "fromdatum": "2025-01-01",
                "tomdatum": "2026-10-31",
                "formansforteckning": {"sjukpenning": True},
            }
        },
        _soapheaders=[header],
    )
    assert result.generelltfalt.status.kod == 0
    assert result.informationsfalt.person.formansforteckning.sjukpenning is True


def test_the_insurer_gets_only_its_agreement(server: Server) -> None:
    answer = ssek_answer(
        ask(server, body=fraga("198803182388", ["foraldrapenning", "generellPersonInformation"]))
    )
    assert answer.status == 0
    assert answer.text("informationsfalt/person/formansforteckning/foraldrapenning") == "false"
    assert answer.text("informationsfalt/person/formansforteckning/generellPersonInformation") == "true"


# -- business and technical errors, as over WS ---------------------------------------
@pytest.mark.parametrize(
    ("sender", "question_org", "code"),
    [
        (UNAUTHORISED, UNAUTHORISED, 13),  # not registered in BAD
        (KOMMUN, KOMMUN, 13),  # known, but not connected over SSEK
        (INSURER, "55667788", 12),  # a malformed orgnummer is the engine's business error
    ],
)
def test_business_errors_over_ssek(server: Server, sender: str, question_org: str, code: int) -> None:
    answer = ssek_answer(ask(server, ssek_header(sender), fraga(SARA, ["sjukpenning"], org=question_org)))
    assert answer.status == code


@pytest.mark.parametrize(
    ("sender", "pnr", "kod"),
    [
        (MISCONFIGURED, SARA, "KONFIGURATIONSFEL"),
        (INSURER, "199401228565", "ANROP_MOT_KUF_MISSLYCKADES"),
        (INSURER, "199911102383", "TEKNISKT_FEL"),
    ],
)
def test_technical_errors_are_soap_faults_with_teknisktfel(
    server: Server, sender: str, pnr: str, kod: str
) -> None:
    r = ask(server, ssek_header(sender), fraga(pnr, ["sjukpenning"], org=sender))
    fault = soap_fault(r)
    assert r.status_code == 500
    assert fault.code == f"{{{SOAP11}}}Server"
    teknisktfel = fault.detail[0]
    assert teknisktfel.tag == f"{{{NS}}}TeknisktFel" and teknisktfel.findtext(f"{{{NS}}}kod") == kod


def test_the_v4_address_answers_versionen_stods_ej(server: Server) -> None:
    fault = soap_fault(ask(server, path="/ssek/FK.EXA.Lefi.FragaV4"))
    assert fault.detail[0].findtext(f"{{{NS}}}kod") == "VERSIONEN_STODS_EJ"


# -- SSEK faults -------------------------------------------------------------------------
def assert_ssek_fault(
    r: requests.Response, code: str, words: str, location: str | None = None, soap: str = SOAP11
) -> None:
    fault = soap_fault(r)
    if soap == SOAP11:
        assert r.status_code == 500  # SOAP 1.1 faults are 500, as in SSEK's own example
        assert fault.code == f"{SSEK}{code}"
    else:
        assert r.status_code == 400
        assert (fault.code, fault.subcode) == (f"{{{SOAP12}}}Sender", f"{SSEK}{code}")
    assert words in fault.reason
    items = fault.items()
    assert items and all(i["Code"] == code and i["System"] for i in items)
    if location is not None:
        assert items[0]["Location"] == location


@pytest.mark.parametrize(
    ("header", "code", "words", "location"),
    [
        (ssek_header("5566778890"), "SenderIdUnknown", "not a known sender", "SSEK/SenderId"),
        (ssek_header("nobody.example", "CN"), "SenderIdUnknown", "not a known sender", "SSEK/SenderId"),
        (
            ssek_header("lefi-klient.trygghet.example", "APP"),
            "SenderIdUnknown",
            "(Type APP)",
            "SSEK/SenderId",
        ),
        (ssek_header(""), "SenderIdUnknown", "no SenderId", "SSEK/SenderId"),
        (ssek_header(receiver="2021005539"), "ReceiverIdUnknown", "not Försäkringskassan", "SSEK/ReceiverId"),
        (ssek_header(receiver=""), "ReceiverIdUnknown", "no ReceiverId", "SSEK/ReceiverId"),
        (ssek_header(tx_id=None), "TxIdMissing", "no TxId", "SSEK/TxId"),
        (ssek_header(tx_id=""), "TxIdMissing", "no TxId", "SSEK/TxId"),
        (ssek_header(tx_id=str(uuid.uuid4())[:35]), "TxIdInvalid", "35 characters", "SSEK/TxId"),
        (ssek_header(tx_id=str(uuid.uuid4()) + "0"), "TxIdInvalid", "37 characters", "SSEK/TxId"),
        (
            ssek_header(tx_id="0123456789 0123456789 0123456789 12"),
            "TxIdInvalid",
            "without spaces",
            "SSEK/TxId",
        ),
        (
            ssek_header(sender_type="ORGNUMMER"),
            "ContentInvalid",
            "is not one of APP, CN, DN, ORGNR",
            "SSEK/SenderId/@Type",
        ),
        (
            ssek_header().replace("<ssek:SSEK ", '<ssek:SSEK AsynchMethod="AsynchPull" ', 1),
            "AsynchMethodUnsupported",
            "synchronously only",
            "SSEK/@AsynchMethod",
        ),
    ],
)
def test_header_faults(server: Server, header: str, code: str, words: str, location: str) -> None:
    assert_ssek_fault(ask(server, header), code, words, location)


def test_header_faults_over_soap12(server: Server) -> None:
    r = ask(server, ssek_header(receiver="2120000142", soap=SOAP12), soap=SOAP12)
    assert_ssek_fault(r, "ReceiverIdUnknown", "not Försäkringskassan", soap=SOAP12)


def test_a_well_formed_tx_id_is_echoed_in_fault_data(server: Server) -> None:
    tx_id = str(uuid.uuid4())
    fault = soap_fault(ask(server, ssek_header(receiver="2120000142", tx_id=tx_id)))
    assert fault.fault_data().findtext(f"{SSEK}TxId") == tx_id


def test_the_sender_cannot_ask_as_another_organisation(server: Server) -> None:
    r = ask(server, ssek_header(INSURER), fraga(SARA, ["sjukpenning"], org=UNAUTHORISED))
    assert_ssek_fault(
        r,
        "SenderIdUnknown",
        f"cannot ask as organisation {UNAUTHORISED}",
        "Body/FK.Online.Fraga/generelltfalt/organisationsnummer",
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            fraga(SARA, ["sjukpenning"]).replace(
                "<ext:generelltfalt>", "<ext:generelltfalt><ext:skostorlek>42</ext:skostorlek>"
            ),
            "validerar inte",
        ),
        (fraga(SARA, ["sjukpenning"]).replace("FK.Online.Fraga", "FK.Online.Undra"), "Unknown operation"),
        (fraga(SARA, ["sjukpenning"], fromdatum="2025-02-30"), "inget giltigt datum"),
    ],
)
def test_a_question_the_schema_rejects_is_content_invalid(server: Server, body: str, words: str) -> None:
    assert_ssek_fault(ask(server, body=body), "ContentInvalid", words)


def test_schema_problems_are_listed_one_fault_item_each(server: Server) -> None:
    body = fraga(SARA, ["sjukpenning"]).replace("<ext:personnummer>", "<ext:x/><ext:personnummer>")
    items = soap_fault(ask(server, body=body)).items()
    assert items[0]["Code"] == "ContentInvalid" and "x" in (items[0]["Description"] or "")
    assert (items[0]["Location"] or "").startswith("line 1")


@pytest.mark.parametrize(
    ("data", "content_type", "status", "words"),
    [
        (b"this is not XML", "text/xml", 400, "not well-formed XML"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "text/xml", 400, "DOCTYPE"),
        (soap_envelope(fraga(SARA), ssek_header()), "application/json", 415, "Unsupported media type"),
        (b"\xff\xfe<broken utf-8", "text/xml", 400, "not well-formed"),
    ],
)
def test_what_is_not_a_soap_message_is_content_invalid(
    server: Server, data: bytes, content_type: str, status: int, words: str
) -> None:
    r = requests.post(server.url + SSEK_PATH, data=data, headers={"Content-Type": content_type}, timeout=10)
    fault = soap_fault(r)
    assert r.status_code == status
    assert fault.code == f"{SSEK}ContentInvalid"
    assert words in fault.reason


def test_a_missing_ssek_header_is_a_must_understand_fault(server: Server) -> None:
    fault = soap_fault(ask(server, header=""))
    assert fault.code == f"{{{SOAP11}}}MustUnderstand"
    assert "SSEK header" in fault.reason and "missing" in fault.reason


def test_a_missing_ssek_header_over_soap12(server: Server) -> None:
    r = ask(server, header="", soap=SOAP12)
    fault = soap_fault(r)
    assert fault.code == f"{{{SOAP12}}}MustUnderstand"


def test_an_ssek_header_of_another_namespace_is_not_understood(server: Server) -> None:
    old = ssek_header().replace(SSEK_NS, "http://schemas.ssek.org/ssek/2004-04-15/")
    fault = soap_fault(ask(server, header=old))
    assert fault.code == f"{{{SOAP11}}}MustUnderstand"
    assert "SSEK" in fault.reason


def test_another_must_understand_header_is_not_understood(server: Server) -> None:
    security = (
        '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-'
        'secext-1.0.xsd" soap:mustUnderstand="1"/>'
    )
    fault = soap_fault(ask(server, header=ssek_header() + security))
    assert fault.code == f"{{{SOAP11}}}MustUnderstand"
    assert "Security" in fault.reason


def test_two_ssek_headers_are_content_invalid(server: Server) -> None:
    assert_ssek_fault(ask(server, header=ssek_header() + ssek_header()), "ContentInvalid", "2 SSEK headers")


# -- resends -------------------------------------------------------------------------------
def test_a_resent_tx_id_gets_the_stored_answer_without_asking_again(
    server_factory: Callable[..., Server], tmp_path: Path
) -> None:
    """With a running clock, a new question gets a new ``skapades``; a resend gets the stored one."""
    scenario = default_scenario_with(tmp_path, clock={"start": "2026-11-02T09:00:00+01:00", "frozen": False})
    srv = server_factory(scenario=scenario)
    tx_id = str(uuid.uuid4())
    first = ssek_answer(ask(srv, ssek_header(tx_id=tx_id)))
    time.sleep(1.1)
    again = ssek_answer(ask(srv, ssek_header(tx_id=tx_id)))
    fresh = ssek_answer(ask(srv, ssek_header()))
    assert again.text("generelltfalt/skapades") == first.text("generelltfalt/skapades")
    assert fresh.text("generelltfalt/skapades") != first.text("generelltfalt/skapades")
    assert etree.tostring(again.svar) == etree.tostring(first.svar)
    # over SOAP 1.2 too, with the envelope and header of the resend's own version
    soap12 = ssek_answer(ask(srv, ssek_header(tx_id=tx_id, soap=SOAP12), soap=SOAP12))
    assert soap12.text("generelltfalt/skapades") == first.text("generelltfalt/skapades")


def test_a_resend_is_journaled_and_metered_as_a_replay(server_factory: Callable[..., Server]) -> None:
    """The engine answered once: ``journal count --outcome ok`` says 1, the resends are
    ``replay:<the first answer's outcome>`` in the journal and in /metrics."""
    srv = server_factory("--freeze-clock")
    tx_id, unknown = str(uuid.uuid4()), str(uuid.uuid4())
    for _ in range(3):
        assert ssek_answer(ask(srv, ssek_header(tx_id=tx_id))).status == 0
    for _ in range(2):  # code 3: a business answer, replayed with its code
        assert (
            ssek_answer(ask(srv, ssek_header(tx_id=unknown), fraga("198202042399", ["sjukpenning"]))).status
            == 3
        )

    def count(**filters: str) -> int:
        r = requests.get(f"{srv.url}/_admin/journal/count", params={"binding": "ssek", **filters}, timeout=10)
        return int(r.json()["count"])

    assert (count(outcome="ok"), count(outcome="replay:ok"), count(outcome="replay")) == (1, 2, 3)
    assert (count(outcome="business:3"), count(outcome="replay:business:3")) == (1, 1)
    metrics = requests.get(f"{srv.url}/metrics", timeout=10).text
    assert 'lefi_requests_total{binding="ssek",organisation="5566778899",outcome="replay:ok"} 2.0' in metrics
    assert 'lefi_requests_total{binding="ssek",organisation="5566778899",outcome="ok"} 1.0' in metrics
    cli = subprocess.run(
        [sys.executable, "-m", "simulator", "admin", "--url", srv.url, "journal", "count"]
        + ["--binding", "ssek", "--outcome", "ok", "--expect", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr


def test_a_tx_id_reused_for_another_question_is_invalid(server: Server) -> None:
    tx_id = str(uuid.uuid4())
    ssek_answer(ask(server, ssek_header(tx_id=tx_id)))
    r = ask(server, ssek_header(tx_id=tx_id), fraga("193602199188", ["pension"]))
    assert_ssek_fault(r, "TxIdInvalid", "already used by this sender for another question", "SSEK/TxId")


def test_the_same_tx_id_from_another_sender_is_its_own_transaction(server: Server) -> None:
    tx_id = str(uuid.uuid4())
    assert ssek_answer(ask(server, ssek_header(tx_id=tx_id))).status == 0
    other = ask(
        server, ssek_header(UNAUTHORISED, tx_id=tx_id), fraga(SARA, ["sjukpenning"], org=UNAUTHORISED)
    )
    assert ssek_answer(other).status == 13


def test_a_technical_error_is_not_stored(server_factory: Callable[..., Server], tmp_path: Path) -> None:
    """A resend after a technical error asks again (the error was once, by a fault rule)."""
    scenario = default_scenario_with(
        tmp_path,
        faults=[
            {
                "id": "ssek-once",
                "kind": "technical_error",
                "binding": "ssek",
                "technical_error": "TEKNISKT_FEL",
                "times": 1,
            }
        ],
    )
    srv = server_factory("--freeze-clock", scenario=scenario)
    tx_id = str(uuid.uuid4())
    fault = soap_fault(ask(srv, ssek_header(tx_id=tx_id)))
    assert fault.detail[0].findtext(f"{{{NS}}}kod") == "TEKNISKT_FEL"
    assert "ssek-once" in (fault.detail[0].findtext(f"{{{NS}}}beskrivning") or "")
    assert ssek_answer(ask(srv, ssek_header(tx_id=tx_id))).status == 0


# -- fault rules -----------------------------------------------------------------------------
def test_fault_rules_apply_over_ssek(server_factory: Callable[..., Server], tmp_path: Path) -> None:
    scenario = default_scenario_with(
        tmp_path,
        faults=[
            {
                "id": "ssek-soap",
                "kind": "soap_fault",
                "binding": "ssek",
                "personnummer": "193602199188",
                "fault_code": "Client",
                "fault_reason": "Simulerat klientfel",
            },
            {
                "id": "ssek-503",
                "kind": "http_status",
                "binding": "ssek",
                "personnummer": "195503071796",
                "status": 503,
            },
            {"id": "ws-only", "kind": "technical_error", "binding": "ws", "technical_error": "TEKNISKT_FEL"},
        ],
    )
    srv = server_factory("--freeze-clock", scenario=scenario)
    fault = soap_fault(ask(srv, body=fraga("193602199188", ["sjukpenning"])))
    assert (fault.code, fault.reason) == (f"{{{SOAP11}}}Client", "Simulerat klientfel")
    assert ask(srv, body=fraga("195503071796", ["sjukpenning"])).status_code == 503
    assert ssek_answer(ask(srv)).status == 0  # the WS rule does not touch SSEK


# -- the reference material --------------------------------------------------------------------
@pytest.mark.reference
def test_our_fault_has_the_shape_of_ssek_s_own_example(server: Server) -> None:
    """FK's real ReceiverIdUnknown fault: a qualified faultcode in the SSEK namespace, HTTP 500."""
    sample_path = SSEK_REFERENCE / "500_ReceiverIdUnknown.xml"
    if not sample_path.is_file():
        pytest.skip("../shared/reference/ssek is not present")
    sample = etree.parse(str(sample_path)).getroot()
    sample_code = sample.find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault/faultcode")
    r = ask(server, ssek_header(receiver="2021005539"))
    ours = etree.fromstring(r.content).find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault/faultcode")
    assert r.status_code == 500
    assert ours is not None and sample_code is not None
    resolve = lambda el: (el.nsmap[el.text.split(":")[0]], el.text.split(":")[1])  # noqa: E731
    assert resolve(ours) == resolve(sample_code) == (SSEK_NS, "ReceiverIdUnknown")


@pytest.mark.reference
def test_the_ssek_schema_is_there_to_check_against() -> None:
    if not (SSEK_REFERENCE / "ssek.xsd").is_file():
        pytest.skip(
            "../shared/reference/ssek is not present: SSEK headers and faults are not checked "
            "against ssek.xsd in this run"
        )
    header = etree.fromstring(ssek_header().replace("<ssek:SSEK ", f'<ssek:SSEK xmlns:soap="{SOAP11}" ', 1))
    assert_valid_ssek(header)  # the partner's header we send is valid SSEK too


def test_a_body_over_the_limit_is_content_invalid_413(server: Server) -> None:
    big = soap_envelope(fraga(SARA, ["sjukpenning"], referens="x" * (1024 * 1024)), ssek_header())
    r = post_soap(server.url, big)
    assert r.status_code == 413
    assert soap_fault(r).code == f"{SSEK}ContentInvalid"


def test_the_resend_store_forgets_its_oldest_answers() -> None:
    """In-process: the store behind resends is bounded by count and by bytes."""
    from simulator.protocols.bounded import BoundedStore

    store: BoundedStore[str, bytes] = BoundedStore(max_entries=3, max_bytes=10, size=len)
    for key in "abcd":
        store.put(key, b"x")
    assert (store.get("a"), store.get("d"), len(store)) == (None, b"x", 3)
    store.put("e", b"y" * 9)  # 11 bytes held: the oldest go until 10 or fewer are left
    assert (store.get("b"), store.get("c"), store.get("d"), len(store), store.bytes) == (
        None,
        None,
        b"x",
        2,
        10,
    )


def test_the_server_survives_everything_above(server: Server) -> None:
    assert server.alive()
    assert ssek_answer(ask(server)).status == 0


def test_a_resend_echoes_its_own_header_swapped(server: Server) -> None:
    """The stored answer, but the header of this request: here sent under the CN alias."""
    tx_id = str(uuid.uuid4())
    assert ssek_answer(ask(server, ssek_header(tx_id=tx_id))).status == 0
    again = ssek_answer(ask(server, ssek_header("lefi-klient.trygghet.example", "CN", tx_id=tx_id)))
    receiver = again.header.find(f"{SSEK}ReceiverId")
    assert receiver is not None and receiver.text == "lefi-klient.trygghet.example"
    assert receiver.get(f"{SSEK}Type") == "CN"


def test_a_resend_to_the_v4_address_is_not_answered(server: Server) -> None:
    tx_id = str(uuid.uuid4())
    assert ssek_answer(ask(server, ssek_header(tx_id=tx_id))).status == 0
    refused = ask(server, ssek_header(tx_id=tx_id), path="/ssek/FK.EXA.Lefi.FragaV4")
    assert refused.status_code == 500 and "VERSIONEN_STODS_EJ" in refused.text


def test_a_wsdl_version_in_other_digits_is_a_clear_404(server: Server) -> None:
    response = requests.get(f"{server.url}/ssek/FK.EXA.Lefi.Fraga?wsdl&version=%C2%B2", timeout=10)
    assert response.status_code == 404 and "is not served" in response.text
