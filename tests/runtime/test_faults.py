"""Fault rules (simulator/runtime/faults.py, simulator/runtime/traffic.py) as a partner's real client sees them.

Each fault kind is added through the admin API (``AdminClient``) to a real simulator
process serving ``scenarios/default.yaml`` with a frozen clock, and observed with the
client that would meet it: zeep where the client speaks SOAP, aiohttp / requests / raw
sockets where the transport is what fails. Then: which requests a rule matches, how often
it fires (``times``, ``probability``, ``--fault-seed``), what the journal and ``/metrics``
record, rules from a scenario file, refused rules, and that the server keeps serving.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
import requests
import zeep
from lxml import etree
from prometheus_client.parser import text_string_to_metric_families
from support.lefi import Lefi, Reply, assert_valid, make_lefi
from support.server import ROOT, Server, running

from simulator.control.client import AdminClient, AdminError

NS = "http://schema.forsakringskassan.se/externa_intressenter"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
PATH = "/ws/FK.EXA.Lefi.Fraga"
FAULTS_SCENARIO = ROOT / "tests" / "scenarios" / "faults.yaml"

KOMMUN = "2120000142"  # Testkommunen: agreement all, over WS
KRONOFOGDEN = "2021005489"  # agreement all, over WS too
SARA = "198506102386"  # two sjukpenning cases in 2025-01-01 .. 2026-10-31
SAMUEL = "198000602394"  # one sjukpenning case in 2026

ServerFactory = Callable[..., Server]


# -- servers and clients ------------------------------------------------------------------
@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own, so that its rules reach no other test module;
    its teardown fails the run if the server logged a traceback."""
    with running(tmp_path_factory.mktemp("faults"), "--freeze-clock") as server:
        yield server


@pytest.fixture
def admin(srv: Server) -> Iterator[AdminClient]:
    """The admin client, with no rules and an empty journal before and after each test."""
    client = AdminClient(srv.url)
    client.clear_faults()
    client.clear_journal()
    yield client
    client.clear_faults()


@pytest.fixture(scope="module")
def lefi(srv: Server) -> Lefi:
    return make_lefi(srv.url)


def ask_sara(lefi: Lefi, **kwargs: Any) -> Reply:
    return lefi.ask(SARA, ["sjukpenning"], **kwargs)


def assert_sara_answered(reply: Reply) -> None:
    """The normal answer to Sara's sjukpenning question: both cases of the period."""
    assert reply.status == 0
    assert reply.delivered("sjukpenning")
    cases = reply.findall("informationsfalt/person/formansinformation/sjukpenning/sjpArende")
    assert [c.findtext(f"{{{NS}}}anmalningsdatum") for c in cases] == ["20240928", "20250325"]


def assert_still_answers(lefi: Lefi) -> None:
    reply = lefi.ask(SAMUEL, ["sjukpenning"], fromdatum="2026-01-01", tomdatum="2026-10-31")
    assert reply.status == 0
    assert reply.delivered("sjukpenning")


def question(personnummer: str = SARA, org: str = KOMMUN, soap: str = SOAP11) -> bytes:
    """A raw SOAP question (the shape of loadtests/ws-question.xml) for sjukpenning."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="{soap}" xmlns:ext="{NS}">
  <soap:Body>
    <ext:FK.Online.Fraga>
      <ext:generelltfalt>
        <ext:organisationsnummer>{org}</ext:organisationsnummer>
        <ext:versionsnummer>6</ext:versionsnummer>
      </ext:generelltfalt>
      <ext:informationsfalt>
        <ext:person>
          <ext:personnummer>{personnummer}</ext:personnummer>
          <ext:fromdatum>2025-01-01</ext:fromdatum>
          <ext:tomdatum>2026-10-31</ext:tomdatum>
          <ext:formansforteckning><ext:sjukpenning>true</ext:sjukpenning></ext:formansforteckning>
        </ext:person>
      </ext:informationsfalt>
    </ext:FK.Online.Fraga>
  </soap:Body>
</soap:Envelope>""".encode()


def content_type(soap: str = SOAP11) -> str:
    return "text/xml; charset=utf-8" if soap == SOAP11 else "application/soap+xml; charset=utf-8"


def post(url: str, body: bytes | None = None, soap: str = SOAP11, timeout: float = 10) -> requests.Response:
    return requests.post(
        url + PATH,
        data=body or question(soap=soap),
        timeout=timeout,
        headers={"Content-Type": content_type(soap), "SOAPAction": '""'},
    )


async def _aiohttp_post(url: str, timeout: float) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.post(
            url + PATH, data=question(), headers={"Content-Type": content_type(), "SOAPAction": '""'}
        ) as resp:
            headers = dict(resp.headers)
            try:
                body = await resp.read()
            except aiohttp.ClientPayloadError as exc:
                raise TruncatedBody(resp.status, headers) from exc
            return resp.status, headers, body


class TruncatedBody(Exception):
    """aiohttp's ClientPayloadError, with the status and headers that did arrive."""

    def __init__(self, status: int, headers: dict[str, str]) -> None:
        super().__init__(status)
        self.status, self.headers = status, headers


def aiohttp_post(url: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    return asyncio.run(_aiohttp_post(url, timeout))


def raw_exchange(url: str, body: bytes) -> bytes:
    """POSTs over a bare socket; returns every byte the server sent before it closed."""
    parts = urlsplit(url)
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {content_type()}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    received = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head + body)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return received


def metric(url: str, name: str, **labels: str) -> float:
    """A sample of /metrics (Prometheus text), 0 when the series is not there yet."""
    text = requests.get(f"{url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def wait_for_count(admin: AdminClient, expected: int, **filters: Any) -> int:
    """The journal count, polled until it is ``expected`` (an exchange is recorded when its
    connection ends, which for no_answer is after the client has given up) or 10 s."""
    deadline = time.monotonic() + 10
    while (n := admin.count(**filters)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return n


def fault_kod(fault: zeep.exceptions.Fault) -> str | None:
    assert fault.detail is not None, fault.message
    for child in fault.detail:
        assert_valid(child)
    return fault.detail.findtext(f"{{{NS}}}TeknisktFel/{{{NS}}}kod")


# -- each kind, as the client sees it -----------------------------------------------------
def test_technical_error_is_a_soap_fault_whose_detail_names_it(admin: AdminClient, lefi: Lefi) -> None:
    admin.add_fault(id="kuf", kind="technical_error", technical_error="ANROP_MOT_KUF_MISSLYCKADES")
    with pytest.raises(zeep.exceptions.Fault) as raised:
        ask_sara(lefi)
    fault = raised.value
    assert fault.code == "soap:Server"
    assert fault_kod(fault) == "ANROP_MOT_KUF_MISSLYCKADES"
    assert "kuf" in (fault.detail.findtext(f"{{{NS}}}TeknisktFel/{{{NS}}}beskrivning") or "")
    assert admin.count(outcome="technical:ANROP_MOT_KUF_MISSLYCKADES", fault_rule="kuf") == 1
    admin.clear_faults()
    assert_sara_answered(ask_sara(lefi))


def test_soap_fault_has_the_rules_code_and_reason(admin: AdminClient, lefi: Lefi) -> None:
    admin.add_fault(id="nej", kind="soap_fault", fault_code="Client", fault_reason="Frågan avvisas av testet")
    with pytest.raises(zeep.exceptions.Fault) as raised:
        ask_sara(lefi)
    assert raised.value.code == "soap:Client"
    assert raised.value.message == "Frågan avvisas av testet"
    assert lefi.history.last_received["envelope"].tag == f"{{{SOAP11}}}Envelope"
    admin.clear_faults()
    assert_sara_answered(ask_sara(lefi))


def test_soap_fault_client_over_soap_12_is_sender(admin: AdminClient, srv: Server) -> None:
    admin.add_fault(id="nej12", kind="soap_fault", fault_code="Client", fault_reason="Avvisad över SOAP 1.2")
    resp = post(srv.url, soap=SOAP12)
    assert resp.status_code == 400  # SOAP 1.2's HTTP binding: a Sender fault is 400
    assert resp.headers["Content-Type"].startswith("application/soap+xml")
    envelope = etree.fromstring(resp.content)
    assert envelope.tag == f"{{{SOAP12}}}Envelope"
    fault = envelope.find(f"{{{SOAP12}}}Body/{{{SOAP12}}}Fault")
    assert fault is not None, resp.text
    assert fault.findtext(f"{{{SOAP12}}}Code/{{{SOAP12}}}Value") == "soap:Sender"
    assert fault.findtext(f"{{{SOAP12}}}Reason/{{{SOAP12}}}Text") == "Avvisad över SOAP 1.2"
    # and a zeep client on the WSDL's SOAP 1.2 port sees the same fault
    soap12 = make_lefi(srv.url, port="EXAHamtaFormansinformationSoap12")
    with pytest.raises(zeep.exceptions.Fault) as raised:
        ask_sara(soap12)
    assert raised.value.message == "Avvisad över SOAP 1.2"
    admin.clear_faults()
    assert_sara_answered(ask_sara(soap12))


@pytest.mark.parametrize(
    ("code", "soap", "status", "value"),
    [
        ("Server", SOAP11, 500, "soap:Server"),
        ("Sender", SOAP11, 500, "soap:Client"),
        ("Server", SOAP12, 500, "soap:Receiver"),
        ("Receiver", SOAP12, 500, "soap:Receiver"),
        ("Sender", SOAP12, 400, "soap:Sender"),
    ],
)
def test_soap_fault_code_in_each_soap_version(
    admin: AdminClient, srv: Server, code: str, soap: str, status: int, value: str
) -> None:
    admin.add_fault(id="kod", kind="soap_fault", fault_code=code, fault_reason="kod")
    resp = post(srv.url, soap=soap)
    assert resp.status_code == status
    fault = etree.fromstring(resp.content).find(f"{{{soap}}}Body/{{{soap}}}Fault")
    assert fault is not None, resp.text
    got = fault.findtext("faultcode") if soap == SOAP11 else fault.findtext(f"{{{soap}}}Code/{{{soap}}}Value")
    assert got == value


def test_http_status_503_reaches_zeep_as_a_transport_error(
    admin: AdminClient, lefi: Lefi, srv: Server
) -> None:
    admin.add_fault(id="h503", kind="http_status", status=503)
    with pytest.raises(zeep.exceptions.TransportError) as raised:
        ask_sara(lefi)
    assert raised.value.status_code == 503
    resp = post(srv.url)
    assert resp.status_code == 503
    assert "h503" in resp.text
    assert admin.count(outcome="injected:http_status", fault_rule="h503") == 2
    admin.clear_faults()
    assert_sara_answered(ask_sara(lefi))


def test_latency_goes_before_a_transport_fault(admin: AdminClient, srv: Server) -> None:
    admin.add_fault(id="sen503", kind="http_status", status=503, latency={"fixed": 0.2})
    started = time.monotonic()
    assert post(srv.url).status_code == 503
    assert time.monotonic() - started >= 0.2
    (entry,) = admin.journal(fault_rule="sen503")
    assert entry["outcome"] == "injected:http_status" and entry["duration_ms"] >= 200


def test_http_status_takes_the_rules_status(admin: AdminClient, srv: Server) -> None:
    admin.add_fault(id="h429", kind="http_status", status=429)
    assert post(srv.url).status_code == 429
    assert admin.journal(fault_rule="h429")[0]["status"] == 429


def test_reset_answers_nothing(admin: AdminClient, srv: Server, lefi: Lefi) -> None:
    admin.add_fault(id="rst", kind="reset")
    with pytest.raises(aiohttp.ClientConnectionError):
        aiohttp_post(srv.url)
    with pytest.raises(requests.ConnectionError):
        post(srv.url)
    assert raw_exchange(srv.url, question()) == b""  # not a byte of an answer
    assert admin.count(outcome="injected:reset", fault_rule="rst") == 3
    admin.clear_faults()
    assert_sara_answered(ask_sara(lefi))


def test_truncated_body_is_shorter_than_its_content_length(
    admin: AdminClient, srv: Server, lefi: Lefi
) -> None:
    admin.add_fault(id="half", kind="truncated")
    with pytest.raises(TruncatedBody) as raised:
        aiohttp_post(srv.url)
    assert raised.value.status == 200
    promised = int(raised.value.headers["Content-Length"])
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        post(srv.url)
    raw = raw_exchange(srv.url, question())
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert f"content-length: {promised}".encode() in head.lower()
    assert 0 < len(body) < promised
    assert body.startswith(b"<?xml")
    assert admin.count(outcome="injected:truncated", fault_rule="half") == 3
    admin.clear_faults()
    assert_sara_answered(ask_sara(lefi))


def test_malformed_body_is_complete_but_does_not_parse(admin: AdminClient, srv: Server, lefi: Lefi) -> None:
    admin.add_fault(id="trasig", kind="malformed")
    resp = post(srv.url)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/xml")
    assert int(resp.headers["Content-Length"]) == len(resp.content)  # complete, as promised
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(resp.content)
    # zeep refuses the body as invalid XML (a TransportError carrying the 200)
    with pytest.raises(zeep.exceptions.TransportError) as raised:
        ask_sara(lefi)
    assert raised.value.status_code == 200
    assert "invalid XML" in raised.value.message
    assert admin.count(outcome="injected:malformed", fault_rule="trasig") == 2
    admin.clear_faults()
    assert_sara_answered(ask_sara(lefi))


def test_no_answer_holds_the_connection_then_closes_it(admin: AdminClient, srv: Server, lefi: Lefi) -> None:
    admin.add_fault(id="tyst", kind="no_answer", seconds=2)
    with pytest.raises(TimeoutError):  # aiohttp: nothing within the client's 0.5 s
        aiohttp_post(srv.url, timeout=0.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(srv.url, timeout=0.5)
    # a patient client sees the connection closed without an answer
    with pytest.raises(aiohttp.ClientConnectionError):
        aiohttp_post(srv.url, timeout=30)
    assert wait_for_count(admin, 3, outcome="injected:no_answer", fault_rule="tyst") == 3
    admin.clear_faults()
    assert_sara_answered(ask_sara(lefi))


# -- latency ------------------------------------------------------------------------------
def test_fixed_latency_answers_correctly_later(admin: AdminClient, lefi: Lefi) -> None:
    admin.add_fault(id="seg", kind="latency", latency={"fixed": 0.3})
    started = time.monotonic()
    reply = ask_sara(lefi)
    elapsed = time.monotonic() - started
    assert_sara_answered(reply)
    assert elapsed >= 0.3  # the latency is added, not a performance figure
    (entry,) = admin.journal(fault_rule="seg")
    assert entry["outcome"] == "ok"  # the answer itself is the normal one
    assert entry["duration_ms"] >= 300


@pytest.mark.parametrize(
    "latency",
    [{"uniform": [0.01, 0.1]}, {"lognormal": {"median": 0.02, "sigma": 0.5, "max": 0.1}}],
    ids=["uniform", "lognormal"],
)
def test_random_latency_answers_correctly(admin: AdminClient, lefi: Lefi, latency: dict[str, Any]) -> None:
    admin.add_fault(id="slump", kind="latency", latency=latency)
    for _ in range(3):
        assert_sara_answered(ask_sara(lefi))
    assert admin.count(fault_rule="slump", outcome="ok") == 3


# -- what a rule matches ------------------------------------------------------------------
def assert_hit(ask: Callable[[], Reply], reason: str) -> None:
    with pytest.raises(zeep.exceptions.Fault) as raised:
        ask()
    assert raised.value.message == reason


@pytest.mark.parametrize("org_form", [KOMMUN, "212000-0142", "162120000142"])
def test_organisation_rule_leaves_other_organisations_alone(
    admin: AdminClient, lefi: Lefi, org_form: str
) -> None:
    admin.add_fault(id="org", kind="soap_fault", organisation=org_form, fault_reason="org")
    assert_hit(lambda: ask_sara(lefi), "org")
    assert_sara_answered(ask_sara(lefi, org=KRONOFOGDEN))
    assert admin.count(fault_rule="org") == 1
    assert admin.count(organisation=KRONOFOGDEN, outcome="ok") == 1


def test_personnummer_rule_hits_only_that_person(admin: AdminClient, lefi: Lefi) -> None:
    admin.add_fault(id="pnr", kind="soap_fault", personnummer="19850610-2386", fault_reason="pnr")
    assert_hit(lambda: ask_sara(lefi), "pnr")
    assert_hit(lambda: lefi.ask("850610-2386", ["sjukpenning"]), "pnr")  # any form of the number
    assert_still_answers(lefi)


def test_benefit_rule_hits_questions_asking_for_it(admin: AdminClient, lefi: Lefi) -> None:
    admin.add_fault(id="sjp", kind="soap_fault", benefit="sjukpenning", fault_reason="sjp")
    assert_hit(lambda: lefi.ask(SARA, ["sjukpenning", "utbetalning"]), "sjp")
    reply = lefi.ask(SARA, ["utbetalning"])
    assert reply.status == 0
    assert reply.delivered("utbetalning") and not reply.delivered("sjukpenning")


@pytest.mark.parametrize(("path", "hit"), [("/ws/FK.EXA.Lefi.Fraga", True), ("/ws", False), ("/shs2", False)])
def test_path_rule_with_a_wildcard(admin: AdminClient, srv: Server, path: str, hit: bool) -> None:
    admin.add_fault(id="sokvag", kind="soap_fault", path="/ws/FK*", fault_reason="sokvag")
    client = make_lefi(srv.url, path=path)
    if hit:
        assert_hit(lambda: ask_sara(client), "sokvag")
    else:
        assert_sara_answered(ask_sara(client))
    assert admin.count(fault_rule="sokvag") == int(hit)


@pytest.mark.parametrize(("binding", "hit"), [("ws", True), ("ssek", False)])
def test_binding_rule(admin: AdminClient, lefi: Lefi, binding: str, hit: bool) -> None:
    admin.add_fault(id="bind", kind="soap_fault", binding=binding, fault_reason="bind")
    if hit:
        assert_hit(lambda: ask_sara(lefi), "bind")
    else:
        assert_sara_answered(ask_sara(lefi))


def test_times_2_fires_twice_then_serves(admin: AdminClient, lefi: Lefi) -> None:
    admin.add_fault(id="tva", kind="soap_fault", times=2, fault_reason="tva")
    assert_hit(lambda: ask_sara(lefi), "tva")
    assert_hit(lambda: ask_sara(lefi), "tva")
    assert_sara_answered(ask_sara(lefi))
    assert_sara_answered(ask_sara(lefi))
    (rule,) = admin.faults()
    assert (rule["id"], rule["used"]) == ("tva", 2)


def test_first_matching_rule_that_fires_applies(admin: AdminClient, lefi: Lefi) -> None:
    admin.add_fault(id="forst", kind="soap_fault", times=1, fault_reason="forst")
    admin.add_fault(id="sedan", kind="soap_fault", fault_reason="sedan")
    assert_hit(lambda: ask_sara(lefi), "forst")
    assert_hit(lambda: ask_sara(lefi), "sedan")  # the first one is used up


@pytest.mark.parametrize(("probability", "hits"), [(0, 0), (1, 8)])
def test_probability_0_never_and_1_always(
    admin: AdminClient, srv: Server, probability: float, hits: int
) -> None:
    admin.add_fault(id="kanske", kind="http_status", status=503, probability=probability)
    statuses = [post(srv.url).status_code for _ in range(8)]
    assert statuses.count(503) == hits
    assert statuses.count(200) == 8 - hits


def test_the_same_fault_seed_gives_the_same_hits(server_factory: ServerFactory) -> None:
    sequences = []
    for _ in range(2):
        server = server_factory("--freeze-clock", "--fault-seed", "7")
        AdminClient(server.url).add_fault(id="halv", kind="http_status", status=503, probability=0.5)
        sequences.append([post(server.url).status_code == 503 for _ in range(20)])
        AdminClient(server.url).clear_faults()
    assert sequences[0] == sequences[1]
    assert 0 < sum(sequences[0]) < 20  # it does draw: some hits, some misses


# -- journal and metrics ------------------------------------------------------------------
def test_journal_records_each_injected_outcome(admin: AdminClient, srv: Server, lefi: Lefi) -> None:
    for kind, extra in (
        ("http_status", {"status": 502}),
        ("malformed", {}),
        ("truncated", {}),
        ("reset", {}),
    ):
        admin.add_fault(id=f"j-{kind}", kind=kind, times=1, **extra)
        try:
            post(srv.url)
        except requests.RequestException:
            pass
    admin.add_fault(id="j-tech", kind="technical_error", times=1, technical_error="KONFIGURATIONSFEL")
    with pytest.raises(zeep.exceptions.Fault):
        ask_sara(lefi)
    assert_sara_answered(ask_sara(lefi))
    entries = {e["fault_rule"]: e for e in admin.journal(bodies=False)}
    assert {k: entries[k]["outcome"] for k in entries if k} == {
        "j-http_status": "injected:http_status",
        "j-malformed": "injected:malformed",
        "j-truncated": "injected:truncated",
        "j-reset": "injected:reset",
        "j-tech": "technical:KONFIGURATIONSFEL",
    }
    assert entries["j-http_status"]["status"] == 502
    assert entries[None]["outcome"] == "ok"  # the last, normal question
    assert admin.count(outcome="injected") == 4
    assert admin.count(outcome="technical") == 1
    assert admin.count(binding="ws") == 6
    assert all(e["personnummer"] == SARA and e["organisation"] == KOMMUN for e in entries.values())


def test_journal_records_an_injected_soap_fault_as_injected(admin: AdminClient, lefi: Lefi) -> None:
    admin.add_fault(id="j-soap", kind="soap_fault", fault_reason="x")
    with pytest.raises(zeep.exceptions.Fault):
        ask_sara(lefi)
    (entry,) = admin.journal(fault_rule="j-soap")
    assert entry["outcome"] == "injected:soap_fault"


def test_metrics_count_injected_faults_and_requests(admin: AdminClient, srv: Server) -> None:
    faults_before = metric(srv.url, "lefi_faults_injected_total", kind="http_status", rule="m503")
    injected_before = metric(
        srv.url, "lefi_requests_total", binding="ws", outcome="injected:http_status", organisation=KOMMUN
    )
    ok_before = metric(srv.url, "lefi_requests_total", binding="ws", outcome="ok", organisation=KOMMUN)
    admin.add_fault(id="m503", kind="http_status", status=503, times=3)
    statuses = [post(srv.url).status_code for _ in range(5)]
    assert statuses == [503, 503, 503, 200, 200]
    assert metric(srv.url, "lefi_faults_injected_total", kind="http_status", rule="m503") == faults_before + 3
    assert (
        metric(
            srv.url, "lefi_requests_total", binding="ws", outcome="injected:http_status", organisation=KOMMUN
        )
        == injected_before + 3
    )
    assert (
        metric(srv.url, "lefi_requests_total", binding="ws", outcome="ok", organisation=KOMMUN)
        == ok_before + 2
    )


# -- rules from a scenario file, refused rules ----------------------------------------------
def test_rules_from_the_scenario_file_apply_from_the_start(server_factory: ServerFactory) -> None:
    server = server_factory("--freeze-clock", scenario=FAULTS_SCENARIO)
    lefi = make_lefi(server.url)
    admin = AdminClient(server.url)
    assert [r["id"] for r in admin.faults()] == ["kuf-for-sara", "trasig-for-samuel"]
    with pytest.raises(zeep.exceptions.Fault) as raised:
        ask_sara(lefi)
    assert fault_kod(raised.value) == "ANROP_MOT_KUF_MISSLYCKADES"
    with pytest.raises(zeep.exceptions.Fault) as raised:
        lefi.ask(SAMUEL, ["sjukpenning"], fromdatum="2026-01-01", tomdatum="2026-10-31")
    assert raised.value.message == "Samuel avvisas av scenariot"
    assert [r["used"] for r in admin.faults()] == [1, 1]
    # cleared, the same questions are answered; reset brings the scenario's rules back
    admin.clear_faults()
    assert ask_sara(lefi).status == 0
    admin.reset()
    assert [r["id"] for r in admin.faults()] == ["kuf-for-sara", "trasig-for-samuel"]
    with pytest.raises(zeep.exceptions.Fault):
        ask_sara(lefi)


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"id": "x", "kind": "explode"}, "kind"),
        ({"id": "x", "kind": "technical_error"}, "technical_error"),
        ({"id": "x", "kind": "technical_error", "technical_error": "INGET_SADANT_FEL"}, "technical_error"),
        ({"id": "x", "kind": "soap_fault", "benefit": "flygpengar"}, "benefit"),
        ({"id": "x", "kind": "soap_fault", "personnummer": "198506102387"}, "personnummer"),
        (
            {"id": "x", "kind": "soap_fault", "personnummer": "850610-2386"},
            "personnummer",
        ),  # would never match
        ({"id": "x", "kind": "soap_fault", "organisation": "2120000143"}, "organisation"),
        ({"id": "x", "kind": "latency"}, "latency"),
        ({"id": "x y", "kind": "reset"}, "id"),
        ({"id": "x", "kind": "reset", "probability": 1.5}, "probability"),
    ],
)
def test_a_bad_rule_is_refused_and_the_rules_are_unchanged(
    admin: AdminClient, lefi: Lefi, rule: dict[str, Any], field: str
) -> None:
    admin.add_fault(id="kvar", kind="soap_fault", personnummer=SAMUEL, fault_reason="kvar")
    before = admin.faults()
    with pytest.raises(AdminError) as raised:
        admin.add_fault(**rule)
    assert raised.value.status == 400
    assert raised.value.problems, raised.value
    assert any(field in p for p in raised.value.problems), raised.value.problems
    with pytest.raises(AdminError) as raised:  # a list with one bad rule is refused whole
        admin.replace_faults([{"id": "gott", "kind": "reset"}, rule])
    assert raised.value.status == 400 and raised.value.problems
    assert admin.faults() == before
    assert_sara_answered(ask_sara(lefi))  # no rule of the refused calls is active


def test_a_rule_with_the_same_id_replaces_the_old_one(admin: AdminClient, lefi: Lefi) -> None:
    admin.add_fault(id="samma", kind="soap_fault", fault_reason="gammal")
    admin.add_fault(id="samma", kind="soap_fault", fault_reason="ny")
    assert [r["fault_reason"] for r in admin.faults()] == ["ny"]
    assert_hit(lambda: ask_sara(lefi), "ny")
    admin.remove_fault("samma")
    assert admin.faults() == []
    assert_sara_answered(ask_sara(lefi))
    with pytest.raises(AdminError) as raised:
        admin.remove_fault("samma")
    assert raised.value.status == 404


def test_the_scenario_file_of_this_module_is_valid() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "simulator", "scenario", "check", str(FAULTS_SCENARIO)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_server_keeps_serving_after_every_fault(srv: Server, lefi: Lefi) -> None:
    """Last in the module: after every fault above the same process still answers (and
    its teardown, stop_server, fails the run if it logged a traceback)."""
    assert srv.alive()
    assert_sara_answered(ask_sara(lefi))
    assert_still_answers(lefi)


# -- the same rules over every binding ------------------------------------------------------
def _binding_request(binding: str) -> tuple[str, bytes, dict[str, str]]:
    """(path, body, headers) of a valid question as each binding's partner sends it."""
    from support.partner_clients import fraga, shs_label, shs_message, soap_envelope, ssek_header
    from support.rest_client import FRAGA, INSURER_AKTOR

    if binding == "ws":
        return PATH, question(), {"Content-Type": content_type()}
    if binding == "ssek":
        body = soap_envelope(fraga(SARA, ["sjukpenning"]), ssek_header())
        return "/ssek/FK.EXA.Lefi.Fraga", body, {"Content-Type": "text/xml; charset=utf-8"}
    if binding == "shs":
        ctype, body = shs_message(
            shs_label(sender=KRONOFOGDEN), [fraga(SARA, ["sjukpenning"], org=KRONOFOGDEN).encode()]
        )
        return "/mt", body, {"Content-Type": ctype}
    assert binding == "rest"
    body = (
        b'{"personnummer": "198506102386", "period": {"from": "2025-01-01", "tom": "2026-10-31"}, '
        b'"formansinformation": ["FK:SJP"]}'
    )
    return FRAGA.format(aktorsId=INSURER_AKTOR), body, {"Content-Type": "application/json"}


@pytest.mark.parametrize("binding", ["ws", "ssek", "shs", "rest"])
@pytest.mark.parametrize("kind", ["http_status", "reset", "truncated", "malformed", "latency"])
def test_transport_faults_apply_to_every_binding_alike(
    admin: AdminClient, srv: Server, binding: str, kind: str
) -> None:
    path, body, headers = _binding_request(binding)
    normal = requests.post(srv.url + path, data=body, headers=headers, timeout=10)
    assert normal.status_code == 200, normal.text[:300]
    rule: dict[str, Any] = {"id": f"{binding}-{kind}", "kind": kind, "binding": binding, "times": 1}
    if kind == "latency":
        rule["latency"] = {"fixed": 0.2}
    admin.add_fault(**rule)
    try:
        response = requests.post(srv.url + path, data=body, headers=headers, timeout=10)
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
        assert kind in ("reset", "truncated"), exc
    else:
        if kind == "http_status":
            assert response.status_code == 503 and f"{binding}-{kind}" in response.text
        elif kind == "malformed":
            assert response.status_code == 200 and b"simulated malformed answer" in response.content
            # the answer's own Content-Type, parameters and all (SHS: its multipart boundary)
            media = response.headers["Content-Type"]
            assert media.split(";")[0] == normal.headers["Content-Type"].split(";")[0]
            assert "boundary=" in media if binding == "shs" else "charset=" in media
        else:
            assert kind == "latency" and response.status_code == 200
            assert response.elapsed.total_seconds() >= 0.2
    assert wait_for_count(admin, 1, fault_rule=f"{binding}-{kind}", binding=binding) == 1
    again = requests.post(srv.url + path, data=body, headers=headers, timeout=10)  # times: 1 — served again
    assert again.status_code == 200
