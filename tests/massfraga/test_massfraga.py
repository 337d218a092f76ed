"""Massfråga: one request, many persons, each answered as its onlinefråga would be.

A 1,000-person question (a generated population plus the default scenario's persons with
business and technical errors, and malformed numbers) over the REST job resource and over
SSEK AsynchPull, checked person by person against single onlinefrågor of the same binding
family; the SLA's massfråga channel with ``--sla-mode reject``; and jobs surviving a killed
server (SQLite and Redis).
"""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from lxml import etree
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_spec_validator import validate as validate_spec
from support.lefi import assert_valid
from support.partner_clients import (
    HAMTA,
    HAMTA_KVITTERA,
    KRONOFOGDEN,
    MASSFRAGA_BENEFITS,
    SHS_MASSFRAGA,
    fraga,
    massfraga_schema,
    massfraga_xml,
    post_shs,
    post_shs_massfraga,
    post_soap,
    pull_header,
    shs_error,
    shs_label,
    shs_outbox_reply,
    shs_reply,
    soap_envelope,
    soap_fault,
    ssek_header,
)
from support.server import DEFAULT_SCENARIO, NS, SCHEMAS, Server, wait_for

from simulator.control.client import AdminClient
from simulator.scenario.models import Population
from simulator.scenario.population import GeneratedPopulation

AKTOR = "7c0e5a9e-2120-4142-9a1e-000000000142"  # Testkommunen: REST
JOBS = f"/massfraga/v1/aktorer/{AKTOR}/jobb"
V9 = f"/lefi-extern-formansinformation/v9/aktorer/{AKTOR}/formansinformation/fraga"
MASS_SSEK = "/ssek/FK.EXA.Lefi.Massfraga"
POPULATION = {"count": 1000, "seed": 11}
# persons with per-person outcomes: answered, 3, 4 (new number), 4 (duplicate ids), KUF down,
# TEKNISKT_FEL, a wrong check digit (11), a number too short for the contract's pattern
SPECIAL = [
    "198506102386",
    "198202042399",
    "199102162394",
    "199308042390",
    "199401228565",
    "199911102383",
    "198506102387",
    "19850610238",
]
PERIOD = {"from": "2025-01-01", "tom": "2026-10-31"}
CODES = {
    "formansinformation": ["FK:SJP", "FK:FP", "FK:ABB"],
    "utbetalningar": ["FK:SJP"],
    "ovrigInformation": ["FK:GEPI"],
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default scenario plus a generated population of 1,000."""
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    data["population"] = POPULATION
    path = tmp_path_factory.mktemp("massfraga") / "massfraga.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def persons() -> list[str]:
    """1,000 numbers: 992 generated persons and the special ones, mixed in."""
    pop = GeneratedPopulation.build(Population(**POPULATION), DEFAULT_SCENARIO.parent)  # type: ignore[arg-type]
    numbers = list(pop.numbers())[: 1000 - len(SPECIAL)]
    for i, special in enumerate(SPECIAL):
        numbers.insert(i * 120, special)
    assert len(numbers) == 1000
    return numbers


def submit(url: str, persons: list[str], session: requests.Session | None = None) -> requests.Response:
    return (session or requests).post(
        url + JOBS, json={"personnummer": persons, "period": PERIOD, **CODES}, timeout=30
    )


def wait_done(url: str, location: str, gap: float = 0.1, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = requests.get(url + location, timeout=30)
        assert r.status_code == 200, r.text
        if r.json()["status"] == "klart":
            return dict(r.json())
        time.sleep(gap)
    raise AssertionError(f"job {location} not done in {timeout} s")


def all_answers(url: str, location: str, page: int = 300) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    nxt: str | None = f"{location}/svar?fran=0&antal={page}"
    while nxt:
        r = requests.get(url + nxt, timeout=30)
        assert r.status_code == 200, r.text
        found += r.json()["svar"]
        nxt = r.json()["nasta"]
    return found


# -- REST ---------------------------------------------------------------------------------
def test_rest_job_of_1000_persons_answers_each_as_the_onlinefraga(
    server_factory: Callable[..., Server], scenario: Path, persons: list[str]
) -> None:
    server = server_factory("--freeze-clock", scenario=scenario)
    r = submit(server.url, persons)
    assert r.status_code == 202, r.text
    location = r.headers["Location"]
    assert r.json()["antalPersoner"] == 1000 and r.json()["status"] in ("mottaget", "bearbetas", "klart")
    status = wait_done(server.url, location)
    assert status["besvarade"] == 1000 and status["svar"] == f"{location}/svar"
    answers = all_answers(server.url, location)
    assert [a["personnummer"] for a in answers] == persons
    seen: set[int] = set()
    with requests.Session() as online:
        for person, answer in zip(persons, answers, strict=True):
            single = online.post(
                server.url + V9, json={"personnummer": person, "period": PERIOD, **CODES}, timeout=30
            )
            assert (answer["status"], answer["svar"]) == (single.status_code, single.json()), person
            seen.add(answer["status"])
    assert seen == {200, 400, 500}  # answered, refused persons (4, a bad number) and TEKNISKT_FEL
    by_person = dict(zip(persons, answers, strict=True))
    assert "NYTT_PERSONNUMMER" in by_person["199102162394"]["svar"]["meddelande"]
    assert (
        by_person["199401228565"]["svar"]["avvikelser"]["formansinformation"][0]["avvikelse"]["kod"]
        == "INTERNT_FEL"
    )
    assert by_person["198202042399"]["svar"].keys() == {"utlamnare"}  # nobody with that number: nothing
    assert "personnummer" in by_person["19850610238"]["svar"]["meddelande"]

    # acknowledged: the job and its answers go
    assert requests.delete(server.url + location, timeout=10).json()["kvitterat"] is True
    gone = requests.get(server.url + location, timeout=10)
    assert gone.status_code == 404 and "meddelande" in gone.json()


def test_rest_job_refuses_what_is_wrong_and_keeps_serving(server: Server) -> None:
    url = server.url + JOBS
    cases: list[tuple[Any, str]] = [
        ({"period": PERIOD, **CODES}, "personnummer"),
        ({"personnummer": [], "period": PERIOD, **CODES}, "personnummer"),
        ({"personnummer": ["198506102386"] * 10_001, "period": PERIOD, **CODES}, "högst 10000"),
        ({"personnummer": ["198506102386"], "period": {"from": "2025-01-01"}, **CODES}, "period"),
        (
            {"personnummer": ["198506102386"], "period": PERIOD, "formansinformation": ["FK:NEJ"]},
            "formansinformation",
        ),
        ([1, 2], "JSON-objekt"),
    ]
    for body, needle in cases:
        r = requests.post(url, json=body, timeout=10)
        assert r.status_code == 400 and needle in r.json()["meddelande"], (
            body if len(str(body)) < 200 else needle,
            r.text,
        )
    assert (
        requests.post(url, data=b"{", headers={"Content-Type": "application/json"}, timeout=10).status_code
        == 400
    )
    assert (
        requests.post(url, data=b"{}", headers={"Content-Type": "text/plain"}, timeout=10).status_code == 400
    )
    unknown = requests.post(server.url + "/massfraga/v1/aktorer/okand/jobb", json={}, timeout=10)
    assert unknown.status_code == 403
    for path in (f"{JOBS}/999999", f"{JOBS}/x", f"{JOBS}/999999/svar"):
        assert requests.get(server.url + path, timeout=10).status_code == 404
    r = submit(server.url, ["198506102386"])
    location = r.headers["Location"]
    wait_done(server.url, location)
    assert requests.get(f"{server.url}{location}/svar?antal=0", timeout=10).status_code == 400
    listed = requests.get(url, timeout=10).json()["jobb"]
    assert any(j["id"] == r.json()["id"] for j in listed)
    # another aktör does not see it
    other = requests.get(f"{server.url}/massfraga/v1/aktorer/026-51/jobb/{r.json()['id']}", timeout=10)
    assert other.status_code == 404
    assert requests.get(server.url + "/massfraga/v1/openapi.yaml", timeout=10).ok


def test_rest_job_answers_match_the_openapi_document(server: Server) -> None:
    spec = yaml.safe_load((SCHEMAS / "massfraga-openapi.yaml").read_text(encoding="utf-8"))
    validate_spec(spec)
    openapi = OpenAPI.from_dict(spec)

    def check(response: requests.Response) -> requests.Response:
        openapi.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))
        return response

    r = check(submit(server.url, ["198506102386", "198202042399", "199102162394"]))
    location = r.headers["Location"]
    wait_done(server.url, location)
    check(requests.get(server.url + location, timeout=10))
    check(requests.get(f"{server.url}{location}/svar?antal=2", timeout=10))
    check(requests.get(server.url + JOBS, timeout=10))
    check(requests.get(f"{server.url}{location}/svar?antal=0", timeout=10))
    check(requests.delete(server.url + location, timeout=10))
    check(requests.get(server.url + location, timeout=10))
    assert requests.get(server.url + "/massfraga/v1/openapi.yaml", timeout=10).text == (
        SCHEMAS / "massfraga-openapi.yaml"
    ).read_text(encoding="utf-8")


# -- SSEK AsynchPull ----------------------------------------------------------------------
def ssek_post(url: str, body: str, tx_id: str, method: str | None = "AsynchPull") -> requests.Response:
    return post_soap(url, soap_envelope(body, pull_header(tx_id, method)), path=MASS_SSEK)


def pull_until_done(url: str, tx_id: str, body: str = HAMTA) -> etree._Element:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = ssek_post(url, body, tx_id)
        if r.status_code == 200:
            svar = etree.fromstring(r.content).find(f".//{{{NS}}}FK.Massfraga.Svar")
            assert svar is not None, r.text[:500]
            assert massfraga_schema().validate(svar), massfraga_schema().error_log
            return svar
        fault = soap_fault(r)
        assert fault.items()[0]["Code"] == "NoResultAvailable", r.text
        time.sleep(0.1)
    raise AssertionError("no answer")


def test_ssek_asynch_pull_of_1000_persons_answers_each_as_the_onlinefraga(
    server_factory: Callable[..., Server], scenario: Path, persons: list[str]
) -> None:
    server = server_factory("--freeze-clock", scenario=scenario)
    tx_id = str(uuid.uuid4())
    question = massfraga_xml(persons)
    r = ssek_post(server.url, question, tx_id)
    assert r.status_code == 200, r.text
    receipt = etree.fromstring(r.content).find(f".//{{{NS}}}FK.Massfraga.Kvittens")
    assert receipt is not None and receipt.findtext(f"{{{NS}}}antalPersoner") == "1000"
    assert massfraga_schema().validate(receipt)
    echoed = etree.fromstring(r.content).find(".//{http://schemas.ssek.org/ssek/2006-05-10/}TxId")
    assert echoed is not None and echoed.text == tx_id
    # a resend of the same question with its TxId is the same job
    again = ssek_post(server.url, question, tx_id)
    assert etree.fromstring(again.content).findtext(f".//{{{NS}}}jobbId") == receipt.findtext(
        f"{{{NS}}}jobbId"
    )

    svar = pull_until_done(server.url, tx_id)
    personsvar = svar.findall(f"{{{NS}}}personsvar")
    assert [p.findtext(f"{{{NS}}}personnummer") for p in personsvar] == persons
    kinds: set[str] = set()
    with requests.Session() as online:
        for person, answer in zip(persons, personsvar, strict=True):
            single = online.post(
                server.url + "/ssek/FK.EXA.Lefi.Fraga",
                data=soap_envelope(fraga(person, MASSFRAGA_BENEFITS), ssek_header()),
                headers={"Content-Type": "text/xml; charset=utf-8"},
                timeout=30,
            )
            content = answer[1]
            kinds.add(etree.QName(content).localname)
            if single.status_code == 200:
                online_svar = etree.fromstring(single.content).find(f".//{{{NS}}}FK.Online.Svar")
                assert online_svar is not None
                assert_valid(content)
                assert etree.tostring(content, method="c14n") == etree.tostring(online_svar, method="c14n"), (
                    person
                )
            else:  # a technical error: the same TeknisktFel the onlinefråga faults with
                detail = etree.fromstring(single.content).find(f".//{{{NS}}}TeknisktFel")
                assert detail is not None and content.tag == f"{{{NS}}}TeknisktFel", person
                assert content.findtext(f"{{{NS}}}kod") == detail.findtext(f"{{{NS}}}kod")
    assert kinds == {"FK.Online.Svar", "TeknisktFel"}
    codes = {
        p.findtext(f"{{{NS}}}personnummer"): p.findtext(f".//{{{NS}}}status/{{{NS}}}kod") for p in personsvar
    }
    assert (codes["198202042399"], codes["199102162394"], codes["198506102387"], codes["19850610238"]) == (
        "3",
        "4",
        "11",
        "11",
    )

    # pulled and acknowledged: gone
    pull_until_done(server.url, tx_id, HAMTA_KVITTERA)
    gone = soap_fault(ssek_post(server.url, HAMTA, tx_id))
    assert gone.items()[0]["Code"] == "TxIdUnknown" and "acknowledged" in gone.reason


@pytest.mark.parametrize(
    ("body", "method", "code", "needle"),
    [
        (massfraga_xml(["198506102386"]), None, "AsynchMethodUnsupported", "AsynchPull"),
        (massfraga_xml(["198506102386"]), "AsynchPush", "AsynchMethodUnsupported", "AsynchPull"),
        (massfraga_xml([]), "AsynchPull", "ContentInvalid", "personnummer"),
        (massfraga_xml(["198506102386"], org="2120000142"), "AsynchPull", "SenderIdUnknown", "2120000142"),
        (fraga("198506102386"), "AsynchPull", "ContentInvalid", "FK.Massfraga.Fraga"),
        (HAMTA, "AsynchPull", "TxIdUnknown", "TxId"),
    ],
)
def test_ssek_massfraga_faults(server: Server, body: str, method: str | None, code: str, needle: str) -> None:
    fault = soap_fault(ssek_post(server.url, body, str(uuid.uuid4()), method))
    item = fault.items()[0]
    assert item["Code"] == code and needle in (item["Description"] or ""), fault


def test_ssek_txid_reused_for_another_massfraga_is_refused(server: Server) -> None:
    tx_id = str(uuid.uuid4())
    assert ssek_post(server.url, massfraga_xml(["198506102386"]), tx_id).status_code == 200
    fault = soap_fault(ssek_post(server.url, massfraga_xml(["198803182388"]), tx_id))
    assert fault.items()[0]["Code"] == "TxIdInvalid"
    # the onlinefråga's address still answers synchronously only
    online = post_soap(server.url, soap_envelope(fraga("198506102386"), pull_header(str(uuid.uuid4()))))
    assert soap_fault(online).items()[0]["Code"] == "AsynchMethodUnsupported"


def test_ssek_massfraga_resent_with_its_txid_is_journaled_as_a_replay(
    server_factory: Callable[..., Server],
) -> None:
    """A resend gets the first receipt from what was stored: the job was submitted once."""
    server = server_factory("--freeze-clock")
    tx_id = str(uuid.uuid4())
    question = massfraga_xml(["198506102386"])
    first, again = (ssek_post(server.url, question, tx_id) for _ in range(2))
    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert etree.fromstring(again.content).findtext(f".//{{{NS}}}jobbId") == etree.fromstring(
        first.content
    ).findtext(f".//{{{NS}}}jobbId")
    admin = AdminClient(server.url)
    assert admin.count(binding="ssek", path=MASS_SSEK, outcome="ok") == 1  # submitted once
    assert admin.count(binding="ssek", path=MASS_SSEK, outcome="replay") == 1
    assert admin.count(binding="ssek", path=MASS_SSEK, outcome="replay:ok") == 1


# -- SHS asynch ------------------------------------------------------------------------------
def test_shs_asynch_massfraga_waits_in_the_delivery_service(server: Server, persons: list[str]) -> None:
    asked = persons[:150]
    tx_id = str(uuid.uuid4())
    r = post_shs_massfraga(server.url, asked, tx_id)
    assert r.status_code == 202 and r.text == tx_id and "X-shs-arrivaldate" in r.headers, r.text
    again = post_shs_massfraga(server.url, asked, tx_id)
    assert again.status_code == 202 and again.headers["X-shs-duplicatemsg"] == "yes"
    reply_tx, svar = shs_outbox_reply(server.url, tx_id)
    personsvar = svar.findall(f"{{{NS}}}personsvar")
    assert [p.findtext(f"{{{NS}}}personnummer") for p in personsvar] == asked
    for person, answer in list(zip(asked, personsvar, strict=True))[:40]:  # against synchronous SHS questions
        single = post_shs(
            server.url,
            shs_label(sender=KRONOFOGDEN, transfer_type="synch"),
            [fraga(person, MASSFRAGA_BENEFITS, org=KRONOFOGDEN).encode()],
        )
        if single.status_code == 200:
            expected = shs_reply(single).svar()
            assert etree.tostring(answer[1], method="c14n") == etree.tostring(expected, method="c14n"), person
        else:
            code, _ = shs_error(single)
            assert answer[1].tag == f"{{{NS}}}TeknisktFel" and code == "OtherError", person
    assert requests.post(f"{server.url}/shs/ds/{KRONOFOGDEN}/{reply_tx}?action=ack", timeout=10).ok
    jobs = requests.get(f"{server.url}/_admin/massfraga/jobb?organisation={KRONOFOGDEN}", timeout=10).json()[
        "jobb"
    ]
    assert jobs == []  # acknowledged: the job is done with


def test_shs_massfraga_refusals(server: Server) -> None:
    synch = post_shs_massfraga(server.url, ["198506102386"], str(uuid.uuid4()), transfer_type="synch")
    assert shs_error(synch)[0] == "MissingAgreement"
    label = shs_label(sender=KRONOFOGDEN, product=SHS_MASSFRAGA, transfer_type="asynch")
    online_question = post_shs(server.url, label, [fraga("198506102386", org=KRONOFOGDEN).encode()])
    code, error = shs_error(online_question)
    assert code == "IllegalMessageStructure" and "FK.Massfraga.Fraga" in error.get("errorinfo", "")
    empty = post_shs(server.url, label, [massfraga_xml([], org=KRONOFOGDEN).encode()])
    assert shs_error(empty)[0] == "IllegalMessageStructure"
    other = post_shs(
        server.url,
        shs_label(sender=KRONOFOGDEN, product=SHS_MASSFRAGA, transfer_type="asynch"),
        [massfraga_xml(["198506102386"], org="2120000142").encode()],
    )
    assert shs_error(other)[0] == "UnknownSender"
    # Pensionsmyndigheten has no massfråga agreement
    none = post_shs(
        server.url,
        shs_label(sender="2021005299", product=SHS_MASSFRAGA, transfer_type="asynch"),
        [massfraga_xml(["198506102386"], org="2021005299").encode()],
    )
    assert shs_error(none)[0] == "MissingAgreement"


# -- the SLA's massfråga channel ----------------------------------------------------------
def test_1000_person_massfraga_within_the_sla_is_served_and_a_burst_is_refused(
    server_factory: Callable[..., Server], scenario: Path, persons: list[str]
) -> None:
    """Monday 09:00, massfråga open: 2 questions a second, 300 ms between answer and next.
    The clock stands still and is moved by the admin API, so that the gaps are exact."""
    server = server_factory("--sla-mode", "reject", "--freeze-clock", scenario=scenario)
    admin = AdminClient(server.url)
    r = submit(server.url, persons)
    assert r.status_code == 202, r.text
    location = r.headers["Location"]
    done = None
    for _ in range(600):  # poll politely: 600 ms of simulator time between questions
        admin.advance(seconds=0.6)
        status = requests.get(server.url + location, timeout=10)
        assert status.status_code == 200, status.text
        if status.json()["status"] == "klart":
            done = status.json()
            break
        time.sleep(0.05)
    assert done is not None and done["besvarade"] == 1000
    fetched: list[dict[str, Any]] = []
    for start in (0, 500):
        admin.advance(seconds=0.6)
        page = requests.get(f"{server.url}{location}/svar?fran={start}&antal=500", timeout=30)
        assert page.status_code == 200, page.text
        fetched += page.json()["svar"]
    assert [a["personnummer"] for a in fetched] == persons
    # the same asker, no gap: the SLA refuses, naming the rule, with Retry-After
    burst = [requests.get(server.url + location, timeout=10) for _ in range(3)]
    refused = [b for b in burst if b.status_code == 429]
    assert (
        refused and "SLA" in refused[0].json()["meddelande"] and int(refused[0].headers["Retry-After"]) >= 1
    )
    # the onlinefråga has its own channel: not refused for massfråga traffic
    admin.advance(seconds=1)
    online = requests.post(
        server.url + V9, json={"personnummer": "198506102386", "period": PERIOD, **CODES}, timeout=10
    )
    assert online.status_code == 200, online.text
    # Sunday morning the massfråga is closed (opens 13:00): 503 with Retry-After
    admin.set_clock("2026-11-08T10:00")
    closed = submit(server.url, persons[:10])
    assert closed.status_code == 503 and "stängd" in closed.json()["meddelande"]
    journal = admin.journal(limit=5, path=JOBS)
    assert journal and all(entry["binding"] == "rest" for entry in journal)


# -- durability -----------------------------------------------------------------------------
def _kill_and_restart(
    server_factory: Callable[..., Server], server: Server, args: tuple[str, ...], scenario: Path
) -> Server:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    return server_factory(*args, scenario=scenario)


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_jobs_survive_a_killed_server(
    server_factory: Callable[..., Server],
    scenario: Path,
    persons: list[str],
    tmp_path: Path,
    store: str,
    request: pytest.FixtureRequest,
) -> None:
    if store == "redis":
        # a database of its own: other tests' servers share the session's redis-server
        args: tuple[str, ...] = ("--redis", request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/7")
    else:
        args = ("--data-dir", str(tmp_path / "data"))
    args = (*args, "--freeze-clock")
    server = server_factory(*args, scenario=scenario)
    rest = submit(server.url, persons)
    tx_id = str(uuid.uuid4())
    ssek = ssek_post(server.url, massfraga_xml(persons[:300]), tx_id)
    shs_tx = str(uuid.uuid4())
    shs = post_shs_massfraga(server.url, persons[:100], shs_tx)
    assert rest.status_code == 202 and ssek.status_code == 200 and shs.status_code == 202
    location = rest.headers["Location"]
    before = requests.get(server.url + "/_admin/massfraga/jobb", timeout=10).json()["jobb"]
    assert any(
        j["besvarade"] < j["antalPersoner"] for j in before
    )  # killed mid-job (1,000 persons take > 1 s)
    restarted = _kill_and_restart(server_factory, server, args, scenario)
    status = wait_done(restarted.url, location)
    assert status["besvarade"] == 1000
    assert [a["personnummer"] for a in all_answers(restarted.url, location)] == persons
    svar = pull_until_done(restarted.url, tx_id)
    assert len(svar.findall(f"{{{NS}}}personsvar")) == 300
    _, shs_svar = shs_outbox_reply(restarted.url, shs_tx)  # put in the (in-memory) outbox again
    assert len(shs_svar.findall(f"{{{NS}}}personsvar")) == 100
    listed = requests.get(restarted.url + "/_admin/massfraga/jobb", timeout=10).json()
    assert {j["binding"] for j in listed["jobb"]} == {"rest", "ssek", "shs"}


# -- a reset during the work, answers lost from the store -------------------------------------
def _redis_args(request: pytest.FixtureRequest, db: int) -> tuple[str, ...]:
    """A database of its own on the session's redis-server, emptied first."""
    import redis

    url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + f"/{db}"
    redis.Redis.from_url(url).flushdb()
    return ("--redis", url)


def test_a_reset_during_a_job_is_not_undone_by_the_worker(
    server_factory: Callable[..., Server], scenario: Path, persons: list[str], request: pytest.FixtureRequest
) -> None:
    """With Redis the worker's read and write are apart in time: a reset landing between them
    brought the job back (about one reset in three), to finish with the answers written before
    the reset gone. Many rounds, each reset while the job is half answered."""
    server = server_factory(*_redis_args(request, 12), "--freeze-clock", scenario=scenario)
    admin_jobs = f"{server.url}/_admin/massfraga/jobb"
    for _ in range(30):
        r = submit(server.url, persons * 2)
        assert r.status_code == 202, r.text
        wait_for(
            lambda: any(
                0 < j["besvarade"] < j["antalPersoner"]
                for j in requests.get(admin_jobs, timeout=10).json()["jobb"]
            ),
            timeout=30,
        )
        requests.post(f"{server.url}/_admin/scenario/reset", timeout=10).raise_for_status()
        time.sleep(0.1)  # the worker's next chunk, had it carried on
        assert requests.get(admin_jobs, timeout=10).json()["jobb"] == []
        assert requests.get(server.url + r.headers["Location"], timeout=10).status_code == 404


def test_a_finished_job_missing_answers_says_so(
    server_factory: Callable[..., Server], scenario: Path, persons: list[str], request: pytest.FixtureRequest
) -> None:
    """An answer lost from the store makes the job an error for the partner, in the binding's
    format: never a page (or an SSEK answer) quietly short of a person."""
    import redis

    args = _redis_args(request, 12)
    server = server_factory(*args, "--freeze-clock", scenario=scenario)
    rest = submit(server.url, persons[:100])
    tx_id = str(uuid.uuid4())
    assert ssek_post(server.url, massfraga_xml(persons[:100]), tx_id).status_code == 200
    wait_done(server.url, rest.headers["Location"])
    pull_until_done(server.url, tx_id)
    store = redis.Redis.from_url(args[1])
    for job_id in (
        rest.json()["id"],
        int(
            etree.fromstring(ssek_post(server.url, massfraga_xml(persons[:100]), tx_id).content).findtext(
                f".//{{{NS}}}jobbId"
            )
            or 0
        ),
    ):
        assert store.hdel("lefi:durable:doc:massfraga.svar", f"{job_id:010d}:{50:06d}") == 1

    page = requests.get(f"{server.url}{rest.headers['Location']}/svar?fran=0&antal=100", timeout=10)
    assert page.status_code == 500 and "saknas" in page.json()["meddelande"], page.text
    assert (
        requests.get(f"{server.url}{rest.headers['Location']}/svar?fran=0&antal=50", timeout=10).status_code
        == 200
    )
    fault = soap_fault(ssek_post(server.url, HAMTA, tx_id))
    assert "saknas" in fault.reason or "saknas" in etree.tostring(fault.detail[0], encoding="unicode"), fault
    # nothing was acknowledged: the job is still there to be looked at
    assert len(requests.get(f"{server.url}/_admin/massfraga/jobb", timeout=10).json()["jobb"]) == 2


def test_massfraga_refusals_say_why(server: Server) -> None:
    """A lone surrogate is a 400 LefiFelsvar (not a 500); more than 10,000 persons over SSEK
    says so (not "the schema for version 0")."""
    body = (
        b'{"personnummer": ["\\ud800"], "period": {"from": "2025-01-01", "tom": "2026-10-31"},'
        b' "formansinformation": ["FK:SJP"]}'
    )
    r = requests.post(server.url + JOBS, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 400 and "surrogat" in r.json()["meddelande"], r.text
    fault = soap_fault(ssek_post(server.url, massfraga_xml(["198506102386"] * 10_001), str(uuid.uuid4())))
    assert "högst 10000" in fault.reason and "version 0" not in fault.reason, fault.reason
    invalid = soap_fault(ssek_post(server.url, massfraga_xml([]), str(uuid.uuid4())))
    assert "lefi-massfraga.xsd" in invalid.reason and "version 0" not in invalid.reason, invalid.reason
    assert submit(server.url, ["198506102386"]).status_code == 202  # still serving
