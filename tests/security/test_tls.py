"""Mutual TLS as partners meet it at FK: real TLS connections to a server started with
``serve --tls``, certificates made with ``lefi-sim certs``. The organisation comes from
the client certificate; a request naming another organisation is refused in each
binding's own format; no certificate, or one from another CA, is refused at the handshake.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
import zeep
from cryptography import x509
from lxml import etree
from support.partner_clients import (
    HAMTA_KVITTERA,
    SOAP11,
    SSEK_NS,
    SSEK_PATH,
    fraga,
    massfraga_xml,
    pull_header,
    register_xml,
    shs_label,
    shs_message,
    shs_reply,
    soap_envelope,
    soap_fault,
    ssek_answer,
    ssek_header,
)
from support.prenumeration_client import order
from support.rest_client import FRAGA, INSURER_AKTOR, KOMMUN_AKTOR, Rest
from support.server import DEFAULT_SCENARIO, NS, ROOT, Server, free_port, start_server, stop_server, wait_for
from zeep.transports import Transport

from simulator.control.client import AdminClient

KOMMUN, INSURER, KRONOFOGDEN = "2120000142", "5566778899", "2021005489"
PENSIONSMYNDIGHETEN = "2021005299"  # LEFI Prenumeration over SHS
SARA = "198506102386"
TIMELINE = ROOT / "tests" / "scenarios" / "timeline.yaml"
CARL = "199101012392"  # the timeline's: his case starts 2026-11-10, a LEKA notification


def lefi_sim(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "simulator", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Certs:
    folder: Path
    other_ca: Path  # a second CA's folder: its certificates are not trusted by the server

    @property
    def ca(self) -> str:
        return str(self.folder / "ca.pem")

    def client(self, orgnr: str, folder: Path | None = None) -> tuple[str, str]:
        where = folder or self.folder
        return str(where / f"{orgnr}.pem"), str(where / f"{orgnr}-key.pem")

    def context(self, orgnr: str | None, folder: Path | None = None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca)
        if orgnr is not None:
            context.load_cert_chain(*self.client(orgnr, folder))
        return context

    def session(self, orgnr: str | None) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # else $REQUESTS_CA_BUNDLE would override verify
        session.verify = self.ca
        if orgnr is not None:
            session.cert = self.client(orgnr)
        return session


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    folder, other = tmp_path_factory.mktemp("certs"), tmp_path_factory.mktemp("other-ca")
    lefi_sim("certs", "init", "--dir", str(folder))
    for orgnr, name in (
        (KOMMUN, "Testkommunen"),
        (INSURER, "Försäkringsbolaget Trygghet AB"),
        (KRONOFOGDEN, "Kronofogdemyndigheten (test)"),
        (PENSIONSMYNDIGHETEN, "Pensionsmyndigheten (test)"),
    ):
        lefi_sim("certs", "issue", "--dir", str(folder), "--orgnummer", orgnr, "--name", name)
    lefi_sim("certs", "init", "--dir", str(other))
    lefi_sim("certs", "issue", "--dir", str(other), "--orgnummer", KOMMUN, "--name", "Testkommunen")
    return Certs(folder, other)


def start_tls_server(tmp: Path, certs: Certs, *args: str, scenario: Path = DEFAULT_SCENARIO) -> Server:
    """As conftest's start_server, over https with a client certificate to poll /health;
    durable state and the file drop in ``tmp/data``."""
    return start_server(
        tmp,
        "--freeze-clock",
        "--tls",
        "--certs",
        str(certs.folder),
        "--data-dir",
        str(tmp / "data"),
        *args,
        scenario=scenario,
        session=certs.session(KOMMUN),
    )


@pytest.fixture(scope="module")
def server_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tls")


@pytest.fixture(scope="module")
def server(server_tmp: Path, certs: Certs) -> Iterator[Server]:
    srv = start_tls_server(server_tmp, certs)
    yield srv
    stop_server(srv)


def rest_body() -> dict[str, Any]:
    return {
        "personnummer": SARA,
        "period": {"from": "2025-01-01", "tom": "2026-10-31"},
        "formansinformation": ["FK:SJP"],
    }


async def aiohttp_post(url: str, context: ssl.SSLContext, body: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body, ssl=context) as response:
            return response.status, await response.json()


def served_certificate(url: str, context: ssl.SSLContext) -> x509.Certificate:
    host, port = url.removeprefix("https://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


# -- the right certificate ------------------------------------------------------------
def test_the_server_certificate_is_served_and_a_partner_is_answered_over_aiohttp(
    server: Server, certs: Certs
) -> None:
    url = server.url + FRAGA.format(aktorsId=KOMMUN_AKTOR)
    status, body = asyncio.run(aiohttp_post(url, certs.context(KOMMUN), rest_body()))
    assert status == 200 and body["formansinformation"]["sjukpenningarende"]
    served = served_certificate(server.url, certs.context(KOMMUN))
    assert served == x509.load_pem_x509_certificate((certs.folder / "server.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((certs.folder / "ca.pem").read_bytes())
    served.verify_directly_issued_by(ca)


def test_zeep_with_a_client_certificate_asks_over_ws(server: Server, certs: Certs) -> None:
    client = zeep.Client(
        f"{server.url}/ws/FK.EXA.Lefi.Fraga?wsdl", transport=Transport(session=certs.session(KOMMUN))
    )
    svar = client.service.HamtaFormansinformation(
        generelltfalt={"organisationsnummer": KOMMUN, "versionsnummer": "6"},
        informationsfalt={
            "person": {
                "personnummer": SARA,
                "fromdatum": "2025-01-01",
                "tomdatum": "2026-10-31",
                "formansforteckning": {"sjukpenning": True},
            }
        },
    )
    assert svar.generelltfalt.status.kod == 0
    assert svar.informationsfalt.person.formansforteckning.sjukpenning is True


def test_the_journal_names_the_certificate_holder(server: Server, certs: Certs) -> None:
    context = ssl.create_default_context(cafile=certs.ca)
    context.load_cert_chain(*certs.client(KOMMUN))
    admin = AdminClient(server.url, context=context)
    admin.clear_journal()
    certs.session(KOMMUN).post(server.url + FRAGA.format(aktorsId=KOMMUN_AKTOR), json=rest_body(), timeout=30)
    assert admin.count(organisation=KOMMUN, binding="rest", outcome="ok") == 1


# -- another organisation's name ------------------------------------------------------
def test_ws_question_as_another_organisation_is_business_error_13(server: Server, certs: Certs) -> None:
    """Also when the same bytes were answered before, for the right certificate or this one
    (the answer cache keys on the certificate)."""
    question = {
        "generelltfalt": {"organisationsnummer": KOMMUN, "versionsnummer": "6"},
        "informationsfalt": {
            "person": {
                "personnummer": SARA,
                "fromdatum": "2025-01-01",
                "tomdatum": "2026-10-31",
                "formansforteckning": {"sjukpenning": True},
            }
        },
    }
    own = zeep.Client(f"{server.url}/ws?wsdl", transport=Transport(session=certs.session(KOMMUN)))
    assert own.service.HamtaFormansinformation(**question).generelltfalt.status.kod == 0
    client = zeep.Client(f"{server.url}/ws?wsdl", transport=Transport(session=certs.session(INSURER)))
    for _ in range(2):
        svar = client.service.HamtaFormansinformation(**question)
        assert svar.generelltfalt.status.kod == 13
        assert "certifikat" in svar.generelltfalt.status.beskrivning
        assert svar.informationsfalt is None or svar.informationsfalt.person is None


def test_rest_as_another_aktor_is_403_over_aiohttp(server: Server, certs: Certs) -> None:
    url = server.url + FRAGA.format(aktorsId=KOMMUN_AKTOR)
    status, body = asyncio.run(aiohttp_post(url, certs.context(INSURER), rest_body()))
    assert status == 403 and "certifikat" in body["meddelande"]
    assert (
        INSURER not in body["meddelande"] and KOMMUN not in body["meddelande"]
    )  # v9: no orgnummer in messages
    rest = Rest(server.url, certs.session(INSURER))  # the contract's shape too
    assert rest.available(KOMMUN_AKTOR).status_code == 403


def test_ssek_sender_that_is_not_the_certificate_holder_is_sender_id_unknown(
    server: Server, certs: Certs
) -> None:
    body = soap_envelope(fraga(SARA, ["sjukpenning"], org=INSURER), ssek_header(INSURER))
    own = certs.session(INSURER).post(
        server.url + SSEK_PATH, data=body, timeout=30, headers={"Content-Type": "text/xml; charset=utf-8"}
    )
    assert ssek_answer(own).status == 0
    other = certs.session(KOMMUN).post(
        server.url + SSEK_PATH, data=body, timeout=30, headers={"Content-Type": "text/xml; charset=utf-8"}
    )
    fault = soap_fault(other)
    assert fault.code == f"{{{SSEK_NS}}}SenderIdUnknown"
    assert "certifikat" in fault.reason.lower() or "Klientcertifikat" in fault.reason


def test_shs_from_that_is_not_the_certificate_holder_is_unknown_sender(server: Server, certs: Certs) -> None:
    content_type, body = shs_message(
        shs_label(sender=KRONOFOGDEN), [fraga(SARA, ["sjukpenning"], org=KRONOFOGDEN).encode()]
    )
    headers = {"Content-Type": content_type}
    own = certs.session(KRONOFOGDEN).post(server.url + "/mt", data=body, headers=headers, timeout=30)
    assert own.status_code == 200
    shs_reply(own).svar()
    other = certs.session(KOMMUN).post(server.url + "/mt", data=body, headers=headers, timeout=30)
    assert other.status_code == 403 and other.headers["X-shs-errorcode"] == "UnknownSender"
    # nor may it read another organisation's outbox
    outbox = certs.session(KOMMUN).get(f"{server.url}/shs/ds/{KRONOFOGDEN}", timeout=30)
    assert outbox.status_code == 403 and outbox.headers["X-shs-errorcode"] == "UnknownSender"


def test_ssbtek_ingivare_that_is_not_the_certificate_holder_gets_fks_403(
    server: Server, certs: Certs
) -> None:
    client = zeep.Client(f"{server.url}/ssbtek?wsdl", transport=Transport(session=certs.session(INSURER)))
    lefi = json.dumps(rest_body()).encode()
    others = {"inkludera": False}
    result = client.service.hamtaBastjanstInformation(
        generellaFrageparametrar={
            "korrelationsid": "k-1",
            "fraganSkallInkluderasISvaret": False,
            "ingivare": {
                "organisationsnummer": "16" + KOMMUN,
                "namn": "Testkommunen",
                "handlaggare": "system",
            },
            "personidentitet": SARA,
            "arendeidentitet": "A-1",
            "tidsperiod": {"fromDatum": "2025-01-01", "tomDatum": "2025-06-30"},
            "syfte": "Beslut om ekonomiskt bistånd",
            "lagtext": "11 kap. 11 a § socialtjänstlagen",
        },
        specifikaFrageparametrar={
            "AF": others,
            "CSN": others,
            "FK": {
                "inkludera": True,
                "fraga": {"version": "v9", "aktorsid": KOMMUN_AKTOR, "lefiJsonFraga": lefi},
            },
            "SKV": others,
            "SO": others,
            "TNS": others,
            "MIV": others,
        },
    )
    error = result.svarsdata.FK.error
    assert (error.kalla, error.felkod) == ("BT", "403")
    assert "certifikat" in error.felmeddelande[0]
    assert result.svarsdata.FK.data is None  # no lefiJsonSvar


def test_a_certificate_without_an_orgnummer_may_ask_as_nobody(
    server: Server, certs: Certs, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ca_key = serialization.load_pem_private_key((certs.folder / "ca-key.pem").read_bytes(), password=None)
    ca = x509.load_pem_x509_certificate((certs.folder / "ca.pem").read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(ca_key, hashes.SHA256())
    )  # type: ignore[arg-type]
    (tmp_path / "anon.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "anon-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    url = server.url + FRAGA.format(aktorsId=KOMMUN_AKTOR)
    status, body = asyncio.run(aiohttp_post(url, certs.context("anon", tmp_path), rest_body()))
    assert status == 403 and "organisationsnummer" in body["meddelande"]


# -- the asynchronous services: each organisation's own, and nothing of another's ------
PRENUMERATION_PRODUCT = "2ea96132-1846-4afe-b965-29a018456fce"
MASSFRAGA_PRODUCT = "6d3f0a52-8c1e-4f7b-9a2d-5b4e1c7f0a93"
XML = {"Content-Type": "text/xml; charset=utf-8"}


def test_prenumeration_over_http_serves_only_the_certificate_holder(
    server: Server, server_tmp: Path, certs: Certs
) -> None:
    base = f"{server.url}/prenumeration"
    insurer, kommun = certs.session(INSURER), certs.session(KOMMUN)
    body = order(INSURER, {SARA: {"sjukpenning": "2024-01-01"}})
    own = insurer.post(f"{base}/{INSURER}/bestallningar", data=body, headers=XML, timeout=30)
    assert own.status_code == 202, own.text
    out = server_tmp / "data" / "prenumeration" / INSURER / "out"  # an answer file waiting in the drop
    out.mkdir(parents=True, exist_ok=True)
    (out / "LEFI-PREN-TRYGGHET.xml").write_bytes(b"<svar/>")
    for what in ("bestallningar", "prenumerationer", "svar", "svar/LEFI-PREN-TRYGGHET.xml"):
        assert insurer.get(f"{base}/{INSURER}/{what}", timeout=30).status_code == 200
        refused = kommun.get(f"{base}/{INSURER}/{what}", timeout=30)
        assert refused.status_code == 403 and "certifikat" in refused.json()["error"], refused.text
        assert SARA not in refused.text and "TRYGGHET" not in refused.text
    orders = insurer.get(f"{base}/{INSURER}/bestallningar", timeout=30).json()["bestallningar"]
    refused = kommun.post(f"{base}/{INSURER}/bestallningar", data=body, headers=XML, timeout=30)
    assert refused.status_code == 403 and "certifikat" in refused.json()["error"]
    # nor may the insurer order for Pensionsmyndigheten: not at its address, nor in its own order file
    pm_order = order(PENSIONSMYNDIGHETEN, {SARA: {"generellPersonInformation": "2026-01-01"}})
    pm_orders = certs.session(PENSIONSMYNDIGHETEN).get(
        f"{base}/{PENSIONSMYNDIGHETEN}/bestallningar", timeout=30
    )
    refused = insurer.post(
        f"{base}/{PENSIONSMYNDIGHETEN}/bestallningar", data=pm_order, headers=XML, timeout=30
    )
    assert refused.status_code == 403 and "certifikat" in refused.json()["error"]
    in_file = insurer.post(f"{base}/{INSURER}/bestallningar", data=pm_order, headers=XML, timeout=30)
    assert in_file.status_code == 400 and PENSIONSMYNDIGHETEN in in_file.text
    assert insurer.get(f"{base}/{INSURER}/bestallningar", timeout=30).json()["bestallningar"] == orders
    assert (
        certs.session(PENSIONSMYNDIGHETEN)
        .get(f"{base}/{PENSIONSMYNDIGHETEN}/bestallningar", timeout=30)
        .json()
        == pm_orders.json()
    )


def test_prenumeration_over_shs_is_ordered_only_by_the_labels_from(server: Server, certs: Certs) -> None:
    label = shs_label(
        sender=PENSIONSMYNDIGHETEN,
        product=PRENUMERATION_PRODUCT,
        transfer_type="asynch",
        datapart_type="bestallning",
    )
    content_type, body = shs_message(label, [order(PENSIONSMYNDIGHETEN, {SARA: {"pension": "2020-01-01"}})])
    orders = f"{server.url}/prenumeration/{PENSIONSMYNDIGHETEN}/bestallningar"
    pm = certs.session(PENSIONSMYNDIGHETEN)
    before = pm.get(orders, timeout=30).json()["bestallningar"]
    other = certs.session(KRONOFOGDEN).post(
        server.url + "/mt", data=body, headers={"Content-Type": content_type}, timeout=30
    )
    assert other.status_code == 403 and other.headers["X-shs-errorcode"] == "UnknownSender"
    assert pm.get(orders, timeout=30).json()["bestallningar"] == before
    own = pm.post(server.url + "/mt", data=body, headers={"Content-Type": content_type}, timeout=30)
    assert own.status_code == 202, own.text
    assert len(pm.get(orders, timeout=30).json()["bestallningar"]) == len(before) + 1


def test_massfraga_over_shs_and_its_reply_are_the_certificate_holders_only(
    server: Server, certs: Certs
) -> None:
    corr_id = str(uuid.uuid4())
    label = shs_label(sender=KRONOFOGDEN, product=MASSFRAGA_PRODUCT, transfer_type="asynch", corr_id=corr_id)
    content_type, body = shs_message(label, [massfraga_xml([SARA], org=KRONOFOGDEN).encode()])
    kfm, kommun = certs.session(KRONOFOGDEN), certs.session(KOMMUN)
    other = kommun.post(server.url + "/mt", data=body, headers={"Content-Type": content_type}, timeout=30)
    assert other.status_code == 403 and other.headers["X-shs-errorcode"] == "UnknownSender"
    own = kfm.post(server.url + "/mt", data=body, headers={"Content-Type": content_type}, timeout=30)
    assert own.status_code == 202, own.text
    outbox = f"{server.url}/shs/ds/{KRONOFOGDEN}"

    def listed() -> list[etree._Element]:
        return etree.fromstring(kfm.get(outbox, params={"corrid": corr_id}, timeout=30).content).findall(
            "message"
        )

    [message] = wait_for(listed)
    reply = f"{outbox}/{message.get('tx.id')}"
    for refused in (
        kommun.get(outbox, timeout=30),
        kommun.get(reply, timeout=30),
        kommun.post(reply, params={"action": "ack"}, timeout=30),
    ):
        assert refused.status_code == 403 and refused.headers["X-shs-errorcode"] == "UnknownSender"
        assert SARA not in refused.text and corr_id not in refused.text
    svar = etree.fromstring(
        shs_reply(kfm.get(reply, timeout=30)).parts[0][1]
    )  # still there, not acknowledged
    assert svar.findtext(f".//{{{NS}}}personnummer") == SARA
    assert kfm.post(reply, params={"action": "ack"}, timeout=30).status_code == 200


def test_massfraga_rest_jobs_are_seen_only_by_their_aktor(server: Server, certs: Certs) -> None:
    jobs = f"{server.url}/massfraga/v1/aktorer/{KOMMUN_AKTOR}/jobb"
    kommun, insurer = certs.session(KOMMUN), certs.session(INSURER)
    question = {**rest_body(), "personnummer": [SARA]}
    refused = insurer.post(jobs, json=question, timeout=30)
    assert refused.status_code == 403 and "certifikat" in refused.json()["meddelande"]
    submitted = kommun.post(jobs, json=question, timeout=30)
    assert submitted.status_code == 202, submitted.text
    job, job_id = server.url + submitted.headers["Location"], submitted.json()["id"]
    for refused in (
        insurer.get(jobs, timeout=30),
        insurer.get(job, timeout=30),
        insurer.get(job + "/svar", timeout=30),
        insurer.delete(job, timeout=30),
    ):
        assert refused.status_code == 403 and "certifikat" in refused.json()["meddelande"], refused.text
        assert SARA not in refused.text and not {"id", "jobb", "svar"} & set(refused.json())
    own = f"{server.url}/massfraga/v1/aktorer/{INSURER_AKTOR}/jobb"  # under its own aktör: no such job
    assert insurer.get(f"{own}/{job_id}", timeout=30).status_code == 404
    assert insurer.delete(f"{own}/{job_id}", timeout=30).status_code == 404
    assert job_id not in [j["id"] for j in insurer.get(own, timeout=30).json()["jobb"]]
    wait_for(lambda: kommun.get(job, timeout=30).json()["status"] == "klart")  # still the kommun's
    assert [s["personnummer"] for s in kommun.get(job + "/svar", timeout=30).json()["svar"]] == [SARA]
    assert kommun.delete(job, timeout=30).status_code == 200


def test_massfraga_over_ssek_is_pulled_only_by_its_sender(server: Server, certs: Certs) -> None:
    tx_id = str(uuid.uuid4())
    insurer, kommun = certs.session(INSURER), certs.session(KOMMUN)

    def post(session: requests.Session, body: str, sender: str) -> requests.Response:
        return session.post(
            server.url + "/ssek/FK.EXA.Lefi.Massfraga",
            data=soap_envelope(body, pull_header(tx_id, sender=sender)),
            headers=XML,
            timeout=30,
        )

    refused = soap_fault(post(kommun, massfraga_xml([SARA]), INSURER))
    assert refused.code == f"{{{SSEK_NS}}}SenderIdUnknown" and "certifikat" in refused.reason.lower()
    assert post(insurer, massfraga_xml([SARA]), INSURER).status_code == 200
    refused = soap_fault(post(kommun, HAMTA_KVITTERA, INSURER))
    assert refused.code == f"{{{SSEK_NS}}}SenderIdUnknown" and SARA not in refused.reason
    assert (
        soap_fault(post(kommun, HAMTA_KVITTERA, KOMMUN)).items()[0]["Code"] == "TxIdUnknown"
    )  # its own: none

    def answered() -> str | None:  # still the insurer's: pulled and acknowledged
        reply = etree.fromstring(post(insurer, HAMTA_KVITTERA, INSURER).content)
        return reply.findtext(f".//{{{NS}}}FK.Massfraga.Svar//{{{NS}}}personnummer")

    assert wait_for(answered) == SARA


def leka_client(url: str, session: requests.Session) -> Any:
    return zeep.Client(f"{url}/leka/ws?wsdl", transport=Transport(session=session)).service


def test_leka_acts_only_for_the_certificate_holder(server: Server, certs: Certs) -> None:
    kommun, insurer = (
        leka_client(server.url, certs.session(KOMMUN)),
        leka_client(server.url, certs.session(INSURER)),
    )
    registered = kommun.RegistreraPrenumeration(organisationsnummer=KOMMUN, personnummer=[SARA])
    assert registered.status.kod == 0 and registered.person[0].status.kod == 0
    for reply in (
        insurer.KontrolleraPrenumeration(organisationsnummer=KOMMUN, personnummer=[SARA]),
        insurer.AvregistreraPrenumeration(organisationsnummer=KOMMUN, personnummer=[SARA]),
        insurer.RegistreraPrenumeration(organisationsnummer=KOMMUN, personnummer=[SARA]),
        insurer.HamtaAviseringar(organisationsnummer=KOMMUN),
        insurer.KvitteraAviseringar(organisationsnummer=KOMMUN, aviseringsId=[1]),
    ):
        assert reply.status.kod == 13 and "certifikat" in reply.status.beskrivning
        assert not getattr(reply, "person", None) and not getattr(reply, "avisering", None)
    assert (
        kommun.KontrolleraPrenumeration(organisationsnummer=KOMMUN, personnummer=[SARA])
        .person[0]
        .prenumererar
    )
    # over SSEK: the SenderId is who acts
    ssek = certs.session(KOMMUN).post(
        server.url + "/leka/ssek",
        headers=XML,
        timeout=30,
        data=soap_envelope(register_xml(INSURER, SARA), ssek_header(INSURER)),
    )
    fault = soap_fault(ssek)
    assert fault.code == f"{{{SSEK_NS}}}SenderIdUnknown" and "certifikat" in fault.reason.lower()


def test_leka_notifications_are_fetched_and_acknowledged_only_by_their_organisation(
    tmp_path: Path, certs: Certs
) -> None:
    srv = start_tls_server(tmp_path, certs, scenario=TIMELINE)  # a notification comes as the clock passes
    try:
        kommun = leka_client(srv.url, certs.session(KOMMUN))
        insurer = leka_client(srv.url, certs.session(INSURER))
        kommun.RegistreraPrenumeration(organisationsnummer=KOMMUN, personnummer=[CARL])
        AdminClient(srv.url, context=certs.context(KOMMUN)).advance(days=9)
        [notice] = wait_for(lambda: kommun.HamtaAviseringar(organisationsnummer=KOMMUN).avisering)
        fetched = insurer.HamtaAviseringar(organisationsnummer=KOMMUN)
        assert fetched.status.kod == 13 and not fetched.avisering
        acknowledged = insurer.KvitteraAviseringar(
            organisationsnummer=KOMMUN, aviseringsId=[notice.aviseringsId]
        )
        assert acknowledged.status.kod == 13 and not acknowledged.antal
        waiting = kommun.HamtaAviseringar(organisationsnummer=KOMMUN).avisering  # still the kommun's, unread
        assert [(a.aviseringsId, a.personnummer) for a in waiting] == [(notice.aviseringsId, CARL)]
        assert (
            kommun.KvitteraAviseringar(organisationsnummer=KOMMUN, aviseringsId=[notice.aviseringsId]).antal
            == 1
        )
    finally:
        stop_server(srv)


# -- refused at the handshake ---------------------------------------------------------
def test_no_client_certificate_is_refused_at_the_handshake(server: Server, certs: Certs) -> None:
    url = server.url + FRAGA.format(aktorsId=KOMMUN_AKTOR)
    with pytest.raises((aiohttp.ClientError, ssl.SSLError, ConnectionError)):
        asyncio.run(aiohttp_post(url, certs.context(None), rest_body()))
    with pytest.raises(requests.exceptions.RequestException):
        certs.session(None).post(url, json=rest_body(), timeout=30)


def test_a_certificate_from_another_ca_is_refused_at_the_handshake(server: Server, certs: Certs) -> None:
    url = server.url + FRAGA.format(aktorsId=KOMMUN_AKTOR)
    with pytest.raises((aiohttp.ClientError, ssl.SSLError, ConnectionError)):
        asyncio.run(aiohttp_post(url, certs.context(KOMMUN, certs.other_ca), rest_body()))
    session = certs.session(None)
    session.cert = certs.client(KOMMUN, certs.other_ca)
    with pytest.raises(requests.exceptions.RequestException):
        session.post(url, json=rest_body(), timeout=30)


def test_plain_http_on_the_tls_port_gets_no_answer(server: Server) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(server.url.replace("https://", "http://") + "/health", timeout=10)


# -- the command line -----------------------------------------------------------------
def test_certs_issue_puts_the_orgnummer_in_the_subjects_serial_number(certs: Certs) -> None:
    cert = x509.load_pem_x509_certificate((certs.folder / f"{INSURER}.pem").read_bytes())
    serial = cert.subject.get_attributes_for_oid(x509.oid.NameOID.SERIAL_NUMBER)
    assert [a.value for a in serial] == [INSURER]
    assert cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]
    )


def test_certs_issue_refuses_a_bad_orgnummer_and_a_missing_ca(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "certs",
            "issue",
            "--dir",
            str(tmp_path),
            "--orgnummer",
            "5566778899",
            "--name",
            "X",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "certs init" in done.stderr
    lefi_sim("certs", "init", "--dir", str(tmp_path))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "certs",
            "issue",
            "--dir",
            str(tmp_path),
            "--orgnummer",
            "5566778898",
            "--name",
            "X",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "not a valid orgnummer" in done.stderr


def test_serve_tls_without_certificates_says_how_to_make_them(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "serve",
            "--tls",
            "--certs",
            str(tmp_path / "none"),
            "--port",
            str(free_port()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "lefi-sim certs init" in done.stderr


def test_admin_cli_over_mutual_tls(server: Server, certs: Certs) -> None:
    out = lefi_sim(
        "admin",
        "--url",
        server.url,
        "--cacert",
        certs.ca,
        "--cert",
        certs.client(KOMMUN)[0],
        "--key",
        certs.client(KOMMUN)[1],
        "health",
    )
    assert json.loads(out)["status"] == "ok"


def test_ssek_answer_still_validates(server: Server, certs: Certs) -> None:
    """The SSEK answer over mTLS is the ordinary one: the header echoed, the answer valid."""
    body = soap_envelope(fraga(SARA, ["sjukpenning"], org=INSURER), ssek_header(INSURER))
    r = certs.session(INSURER).post(
        server.url + SSEK_PATH, data=body, timeout=30, headers={"Content-Type": "text/xml; charset=utf-8"}
    )
    envelope = etree.fromstring(r.content)
    assert envelope.find(f"{{{SOAP11}}}Header/{{{SSEK_NS}}}SSEK") is not None
    assert envelope.find(f".//{{{NS}}}FK.Online.Svar") is not None
