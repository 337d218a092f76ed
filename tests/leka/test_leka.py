"""LEKA: register, check and deregister subscriptions over SOAP (WS with zeep, SSEK), and the
notifications the simulator clock brings — fetched and acknowledged, or pushed to a
callback receiver running in this test process (one that fails at first, to show the
retries), each change notified once, also across a killed server (SQLite and Redis)."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
import zeep
from aiohttp import web
from lxml import etree
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from support.lefi import make_lefi
from support.partner_clients import LEKA, post_soap, register_xml, soap_envelope, soap_fault, ssek_header
from support.server import ROOT, SCHEMAS, Server, wait_for

from simulator.control.client import AdminClient
from simulator.scenario.models import Population
from simulator.scenario.population import GeneratedPopulation
from simulator.services.leka import subscriptions as leka_service

TIMELINE = ROOT / "tests" / "scenarios" / "timeline.yaml"
ORG = "2120000142"
AKTOR = "7c0e5a9e-2120-4142-9a1e-0000000a0142"  # given to ORG for the massfråga job resource
CARL = "199101012392"  # case_starts 2026-11-10, payment 2026-11-25 (sjukpenning)
ELIN = "199101262385"  # case_ends 2026-11-15
MARIA = "199105142385"  # moves 2026-11-20
OTHER = "2120002411"  # a second organisation, in the tests that need two
ADMIN_SPEC = OpenAPI.from_dict(yaml.safe_load((SCHEMAS / "admin-openapi.yaml").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The timeline scenario, its organisation also connected over SSEK."""
    data = yaml.safe_load(TIMELINE.read_text(encoding="utf-8"))
    data["organisations"][0]["transports"] = ["ws", "ssek"]
    path = tmp_path_factory.mktemp("leka") / "leka.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def client(server: Server) -> Any:
    return zeep.Client(f"{server.url}/leka/ws?wsdl").service


def admin_get(server: Server, path: str) -> dict[str, Any]:
    r = requests.get(f"{server.url}/_admin/{path}", timeout=10)
    ADMIN_SPEC.validate_response(RequestsOpenAPIRequest(r.request), RequestsOpenAPIResponse(r))
    return dict(r.json())


def statuses(reply: Any) -> dict[str, int]:
    return {p.personnummer: p.status.kod for p in reply.person}


def test_register_check_and_deregister_over_ws(server_factory: Callable[..., Server], scenario: Path) -> None:
    server = server_factory(scenario=scenario)
    leka = client(server)
    reply = leka.RegistreraPrenumeration(
        organisationsnummer=ORG, personnummer=[CARL, ELIN, "198202042399", "199101012393"]
    )
    assert reply.status.kod == 0
    assert statuses(reply) == {CARL: 0, ELIN: 0, "198202042399": 3, "199101012393": 11}
    checked = leka.KontrolleraPrenumeration(organisationsnummer=ORG, personnummer=[CARL, MARIA])
    assert {p.personnummer: p.prenumererar for p in checked.person} == {CARL: True, MARIA: False}
    assert checked.person[0].registrerad.startswith("2026-11-02T09:00")
    assert statuses(leka.AvregistreraPrenumeration(organisationsnummer=ORG, personnummer=[ELIN])) == {ELIN: 0}
    assert statuses(leka.AvregistreraPrenumeration(organisationsnummer=ORG, personnummer=[ELIN])) == {ELIN: 3}
    # an organisation FK does not know: the whole request is refused with its business error
    unknown = leka.RegistreraPrenumeration(organisationsnummer="5590123450", personnummer=[CARL])
    assert unknown.status.kod == 13 and not unknown.person
    assert leka.RegistreraPrenumeration(organisationsnummer="12345", personnummer=[CARL]).status.kod == 12
    subs = admin_get(server, "leka/prenumerationer")["prenumerationer"]
    assert [(s["personnummer"], s["bevakad_till"]) for s in subs] == [(CARL, "2026-11-02")]
    # what the schema refuses is a Sender fault naming the problem; the server keeps serving
    bad = post_soap(
        server.url,
        soap_envelope(
            f'<leka:KontrolleraPrenumeration xmlns:leka="{LEKA}">'
            "<leka:organisationsnummer>2120000142</leka:organisationsnummer>"
            "</leka:KontrolleraPrenumeration>"
        ),
        path="/leka/ws",
    )
    fault = soap_fault(bad)
    assert bad.status_code == 500 and fault.code.endswith("Client") and "personnummer" in fault.reason
    assert "LekaPrenumerationService" in requests.get(f"{server.url}/leka/ssek?wsdl", timeout=10).text


def test_notifications_as_the_clock_passes_fetched_once(
    server_factory: Callable[..., Server], scenario: Path
) -> None:
    server = server_factory(scenario=scenario)
    leka, admin = client(server), AdminClient(server.url)
    leka.RegistreraPrenumeration(organisationsnummer=ORG, personnummer=[CARL, ELIN, MARIA])
    leka.AvregistreraPrenumeration(organisationsnummer=ORG, personnummer=[ELIN])  # cancelled: never notified
    assert not leka.HamtaAviseringar(organisationsnummer=ORG).avisering
    admin.advance(days=9)  # 2026-11-11: Carl's case has started
    first = wait_for(lambda: leka.HamtaAviseringar(organisationsnummer=ORG).avisering)
    assert [(a.personnummer, a.datum.isoformat(), a.handelse, a.forman) for a in first] == [
        (CARL, "2026-11-10", "case_starts", "sjukpenning")
    ]
    assert leka.KvitteraAviseringar(organisationsnummer=ORG, aviseringsId=[first[0].aviseringsId]).antal == 1
    assert not leka.HamtaAviseringar(organisationsnummer=ORG).avisering
    # back and forth over the same days: nothing is notified twice
    admin.advance(days=-5)
    admin.advance(days=5)
    admin.advance(days=15)  # 2026-11-26: Maria moved, Carl was paid
    assert admin_get_made(server) >= 0
    later = wait_for(lambda: leka.HamtaAviseringar(organisationsnummer=ORG).avisering)
    assert sorted((a.personnummer, a.handelse, a.forman) for a in later) == [
        (CARL, "payment", "sjukpenning"),
        (MARIA, "moves", "generellPersonInformation"),
    ]
    assert len(admin_get(server, "leka/aviseringar")["aviseringar"]) == 3
    assert (
        leka.HamtaAviseringar(organisationsnummer=ORG, max=1).avisering[0].aviseringsId
        == later[0].aviseringsId
    )


def test_registration_answers_a_person_as_the_onlinefraga_does(server: Server) -> None:
    """A person the scenario makes missing is 3, one with a new number 4 (naming it): the
    onlinefråga's codes and texts, not a subscription on a person FK would not answer for."""
    missing, renumbered = "198202042399", "199102162394"  # default scenario: missing: true; new_personnummer
    org = "2120000142"
    reply = client(server).RegistreraPrenumeration(
        organisationsnummer=org, personnummer=[missing, renumbered]
    )
    registered = {p.personnummer: (p.status.kod, p.status.beskrivning) for p in reply.person}
    online = make_lefi(server.url)
    for pnr in (missing, renumbered):
        asked = online.ask(pnr, ["sjukpenning"], org=org)
        text = asked.text("generelltfalt/status/beskrivning") or ""
        new_number = asked.text("informationsfalt/person/nyttPersonnummer")
        assert registered[pnr] == (asked.status, f"{text}: {new_number}" if new_number else text)
    assert registered == {
        missing: (3, "Person saknas i kundregister"),
        renumbered: (4, "Den försäkrade har ett nytt personnummer: 199210072386"),
    }
    checked = client(server).KontrolleraPrenumeration(
        organisationsnummer=org, personnummer=[missing, renumbered]
    )
    assert [p.prenumererar for p in checked.person] == [False, False]
    # a person's technical error fails the request as it fails the question: nobody registered
    kurt = "199401228565"  # technical_error: ANROP_MOT_KUF_MISSLYCKADES
    refused = post_soap(server.url, soap_envelope(register_xml(org, kurt, CARL)), path="/leka/ws")
    assert refused.status_code == 500 and "ANROP_MOT_KUF_MISSLYCKADES" in refused.text
    checked = client(server).KontrolleraPrenumeration(organisationsnummer=org, personnummer=[kurt])
    assert [p.prenumererar for p in checked.person] == [False]


def test_notified_by_the_rule_prenumeration_follows(
    server_factory: Callable[..., Server], scenario: Path, tmp_path: Path
) -> None:
    """simulator/engine/visibility.py over HTTP: an organisation that may receive sjukpenning
    but not utbetalning nor personal details hears of Carl's case, not of his payment, nor of
    a death; of a new personnummer every subscriber hears."""
    nina, dies = "199102232387", "199104172391"  # new_personnummer 2026-12-01; dies 2026-12-05
    path = two_organisations(scenario, tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["organisations"][1]["agreement"] = ["sjukpenning"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    server = server_factory(scenario=path)
    leka, admin = client(server), AdminClient(server.url)
    for org in (ORG, OTHER):
        reply = leka.RegistreraPrenumeration(organisationsnummer=org, personnummer=[CARL, nina, dies])
        assert statuses(reply) == {CARL: 0, nina: 0, dies: 0}
    admin.advance(days=34)  # 2026-12-06
    admin_get_made(server)  # the notifications made now (the notifier may have made some already)

    def seen(org: str) -> set[tuple[str, str]]:
        return {
            (a.personnummer, a.handelse) for a in leka.HamtaAviseringar(organisationsnummer=org).avisering
        }

    assert {(CARL, "case_starts"), (CARL, "payment"), (nina, "new_personnummer"), (dies, "dies")} <= seen(ORG)
    assert seen(OTHER) == {(CARL, "case_starts"), (nina, "new_personnummer")}


def admin_get_made(server: Server) -> int:
    r = requests.post(f"{server.url}/_admin/leka/avisera", timeout=10)
    ADMIN_SPEC.validate_response(RequestsOpenAPIRequest(r.request), RequestsOpenAPIResponse(r))
    return int(r.json()["skapade"])


# -- push to a callback -------------------------------------------------------------------
class Receiver:
    """An aiohttp callback receiver in a thread of this process: answers 503 to the first
    ``failures`` requests, then 204, and keeps what it received."""

    def __init__(self, failures: int, hang: bool = False) -> None:
        self.failures = failures
        self.hang = hang  # never answer (until closed): a partner's address that has stalled
        self.open = self.max_open = 0  # requests being answered now, and at most at once
        self.seen: list[tuple[str, dict[str, Any], int]] = []  # (Idempotency-Key, body, status answered)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)

        self.release = asyncio.Event()

        async def receive(request: web.Request) -> web.Response:
            if self.hang:
                self.open += 1
                self.max_open = max(self.max_open, self.open)
                try:
                    await self.release.wait()
                finally:
                    self.open -= 1
            status = 503 if self.failures > 0 else 204
            self.failures -= 1
            self.seen.append((request.headers.get("Idempotency-Key", ""), await request.json(), status))
            return web.Response(status=status)

        app = web.Application()
        app.router.add_post("/avisering", receive)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/avisering"
        self.ready.set()
        self.loop.run_forever()

    def delivered(self) -> list[dict[str, Any]]:
        return [body for _, body, status in self.seen if status == 204]

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.release.set)
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(failures: int, hang: bool = False) -> Receiver:
        made.append(Receiver(failures, hang))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_notifications_are_pushed_with_retries_and_delivered_once(
    server_factory: Callable[..., Server], scenario: Path, receiver_factory: Callable[[int], Receiver]
) -> None:
    receiver = receiver_factory(2)
    server = server_factory(scenario=scenario)
    leka, admin = client(server), AdminClient(server.url)
    leka.RegistreraPrenumeration(
        organisationsnummer=ORG, personnummer=[CARL, MARIA], aviseringsadress=receiver.url
    )
    admin.advance(days=24)  # 2026-11-26: three changes
    wait_for(lambda: len(receiver.delivered()) == 3)
    delivered = receiver.delivered()
    assert sorted((d["personnummer"], d["handelse"]) for d in delivered) == [
        (CARL, "case_starts"),
        (CARL, "payment"),
        (MARIA, "moves"),
    ]
    # the first two pushes failed (503) and were retried with the same key; each key went through once
    assert [status for _, _, status in receiver.seen[:2]] == [503, 503]
    assert Counter(key for key, _, status in receiver.seen if status == 204) == {
        key: 1 for key, _, _ in receiver.seen
    }
    assert len({key for key, _, _ in receiver.seen}) == 3
    notes = admin_get(server, "leka/aviseringar")["aviseringar"]
    assert sorted(n["forsok"] for n in notes) == [1, 2, 2] and {n["status"] for n in notes} == {"levererad"}
    # pushed: nothing is left to fetch, and nothing is pushed again
    assert not leka.HamtaAviseringar(organisationsnummer=ORG).avisering
    time.sleep(1)
    assert len(receiver.seen) == 5


def test_a_callback_that_never_answers_leaves_the_notification_to_fetch(
    server_factory: Callable[..., Server], scenario: Path
) -> None:
    server = server_factory(scenario=scenario)
    leka, admin = client(server), AdminClient(server.url)
    leka.RegistreraPrenumeration(
        organisationsnummer=ORG, personnummer=[CARL], aviseringsadress="http://127.0.0.1:9/x"
    )
    admin.advance(days=9)
    failed = wait_for(
        lambda: [n for n in admin_get(server, "leka/aviseringar")["aviseringar"] if n["forsok"] >= 2]
    )
    assert "ClientConnectorError" in failed[0]["senaste_fel"] or "Connect" in failed[0]["senaste_fel"]
    assert failed[0]["nasta_forsok"] > time.time()  # backing off
    fetched = leka.HamtaAviseringar(organisationsnummer=ORG).avisering
    assert [a.handelse for a in fetched] == ["case_starts"]
    leka.KvitteraAviseringar(organisationsnummer=ORG, aviseringsId=[fetched[0].aviseringsId])
    assert admin_get(server, "leka/aviseringar")["aviseringar"][0]["status"] == "kvitterad"


# -- SSEK and the SLA -----------------------------------------------------------------------
def ssek_leka(server: Server, body: str, sender: str = ORG) -> requests.Response:
    return post_soap(server.url, soap_envelope(body, ssek_header(sender)), path="/leka/ssek")


def test_leka_over_ssek(server_factory: Callable[..., Server], scenario: Path) -> None:
    server = server_factory(scenario=scenario)
    r = ssek_leka(server, register_xml(ORG, CARL))
    assert r.status_code == 200, r.text
    root = etree.fromstring(r.content)
    assert root.findtext(f".//{{{LEKA}}}person/{{{LEKA}}}status/{{{LEKA}}}kod") == "0"
    assert root.find(".//{http://schemas.ssek.org/ssek/2006-05-10/}SSEK") is not None
    other = soap_fault(ssek_leka(server, register_xml("2120002411", CARL)))
    assert other.items()[0]["Code"] == "SenderIdUnknown"
    unknown = soap_fault(ssek_leka(server, register_xml(ORG, CARL), sender="5590123450"))
    assert unknown.items()[0]["Code"] == "SenderIdUnknown"
    invalid = soap_fault(ssek_leka(server, f'<leka:HamtaAviseringar xmlns:leka="{LEKA}"/>'))
    assert invalid.items()[0]["Code"] == "ContentInvalid"


def test_leka_counts_on_the_online_channel(server_factory: Callable[..., Server], scenario: Path) -> None:
    server = server_factory("--sla-mode", "reject", scenario=scenario)
    first = ssek_leka(server, register_xml(ORG, CARL))
    assert first.status_code == 200, first.text
    second = soap_fault(ssek_leka(server, register_xml(ORG, MARIA)))  # no 300 ms gap, same frozen instant
    assert second.items()[0]["Code"] == "WebServiceUnavailable" and "onlinefråga" in second.reason


# -- durability -----------------------------------------------------------------------------
@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_subscriptions_and_notifications_survive_a_killed_server(
    server_factory: Callable[..., Server],
    scenario: Path,
    tmp_path: Path,
    store: str,
    request: pytest.FixtureRequest,
) -> None:
    if store == "redis":
        # a database of its own: other tests' servers share the session's redis-server
        args: tuple[str, ...] = ("--redis", request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/8")
    else:
        args = ("--data-dir", str(tmp_path / "data"))
    server = server_factory(*args, scenario=scenario)
    leka, admin = client(server), AdminClient(server.url)
    leka.RegistreraPrenumeration(organisationsnummer=ORG, personnummer=[CARL, MARIA])
    admin.advance(days=9)  # Carl's case starts: one notification, not yet fetched
    wait_for(lambda: admin_get(server, "leka/aviseringar")["aviseringar"])
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)

    restarted = server_factory(*args, scenario=scenario)  # its clock is back at 2026-11-02
    leka, admin = client(restarted), AdminClient(restarted.url)
    checked = leka.KontrolleraPrenumeration(organisationsnummer=ORG, personnummer=[CARL, MARIA])
    assert all(p.prenumererar for p in checked.person)
    assert [a.handelse for a in leka.HamtaAviseringar(organisationsnummer=ORG).avisering] == ["case_starts"]
    admin.advance(days=24)  # the days up to 2026-11-11 were notified before the kill: only the later ones now
    wait_for(lambda: len(admin_get(restarted, "leka/aviseringar")["aviseringar"]) == 3)
    time.sleep(0.5)
    handelser = Counter(n["handelse"] for n in admin_get(restarted, "leka/aviseringar")["aviseringar"])
    assert handelser == {"case_starts": 1, "payment": 1, "moves": 1}


def test_the_admin_reset_forgets_subscriptions_notifications_and_massfraga_jobs(
    server_factory: Callable[..., Server], scenario: Path, tmp_path: Path
) -> None:
    """A suite's next test starts from nothing: the reset forgets the asynchronous
    services' durable state, and they keep working afterwards."""
    data = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    data["organisations"][0]["transports"] = ["ws", "ssek", "rest"]
    data["organisations"][0]["aktorsid"] = AKTOR
    (tmp_path / "reset.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    server = server_factory(scenario=tmp_path / "reset.yaml")
    leka = client(server)
    assert statuses(leka.RegistreraPrenumeration(organisationsnummer=ORG, personnummer=[CARL])) == {CARL: 0}
    requests.post(f"{server.url}/_admin/clock/advance", json={"days": 10}, timeout=10).raise_for_status()
    assert wait_for(lambda: admin_get(server, "leka/aviseringar")["aviseringar"])
    job = requests.post(
        f"{server.url}/massfraga/v1/aktorer/{AKTOR}/jobb",
        json={
            "personnummer": [CARL],
            "period": {"from": "2025-01-01", "tom": "2026-11-01"},
            "formansinformation": ["FK:SJP"],
        },
        timeout=10,
    )
    assert job.status_code == 202, job.text
    assert admin_get(server, "massfraga/jobb")["jobb"]

    requests.post(f"{server.url}/_admin/scenario/reset", timeout=10).raise_for_status()
    assert admin_get(server, "leka/prenumerationer")["prenumerationer"] == []
    assert admin_get(server, "leka/aviseringar")["aviseringar"] == []
    assert admin_get(server, "massfraga/jobb")["jobb"] == []
    assert requests.get(server.url + job.headers["Location"], timeout=10).status_code == 404
    checked = leka.KontrolleraPrenumeration(organisationsnummer=ORG, personnummer=[CARL])
    assert [p.prenumererar for p in checked.person] == [False]
    assert statuses(leka.RegistreraPrenumeration(organisationsnummer=ORG, personnummer=[CARL])) == {CARL: 0}


# -- a slow partner, a bad address, a reset during the scan ---------------------------------
def two_organisations(scenario: Path, folder: Path, **extra: Any) -> Path:
    data = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    data["organisations"].append({**data["organisations"][0], "orgnummer": OTHER, "name": "Andra kommunen"})
    data.update(extra)
    path = folder / "two.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_a_stalled_callback_delays_only_its_own_organisation(
    server_factory: Callable[..., Server],
    scenario: Path,
    tmp_path: Path,
    receiver_factory: Callable[..., Receiver],
) -> None:
    """Pushes run side by side, a few at a time per organisation: an address that never
    answers holds up its own organisation's notifications, not another's (one POST at a time,
    10 s each, held the other's back for 40 s)."""
    stalled, quick = receiver_factory(0, hang=True), receiver_factory(0)
    server = server_factory(scenario=two_organisations(scenario, tmp_path))
    leka, admin = client(server), AdminClient(server.url)
    leka.RegistreraPrenumeration(
        organisationsnummer=ORG, personnummer=[CARL, ELIN, MARIA], aviseringsadress=stalled.url
    )
    leka.RegistreraPrenumeration(
        organisationsnummer=OTHER, personnummer=[CARL, ELIN, MARIA], aviseringsadress=quick.url
    )
    admin.advance(days=24)  # four changes each; ORG's notifications come first in the store
    wait_for(lambda: len(quick.delivered()) == 4, timeout=8)
    assert stalled.open >= 1  # ORG's pushes are still hanging
    assert 1 < stalled.max_open <= leka_service.PUSH_PER_ORGANISATION
    mine = [
        n for n in admin_get(server, "leka/aviseringar")["aviseringar"] if n["organisationsnummer"] == ORG
    ]
    assert len(mine) == 4 and {n["status"] for n in mine} == {"ny"}  # still to be pushed, or fetched


def test_the_aviseringsadress_must_be_an_http_url(
    server_factory: Callable[..., Server], scenario: Path
) -> None:
    server = server_factory(scenario=scenario)

    def register(address: str, path: str = "/leka/ws", header: str | None = None) -> requests.Response:
        body = register_xml(ORG, CARL).replace(
            "</leka:RegistreraPrenumeration>",
            f"<leka:aviseringsadress>{address}</leka:aviseringsadress></leka:RegistreraPrenumeration>",
        )
        return post_soap(
            server.url, soap_envelope(body, header) if header else soap_envelope(body), path=path
        )

    for address in ("not a url", "file:///etc/passwd", "ftp://example.org/x", "/relative/path", "http://"):
        fault = soap_fault(register(address))
        assert "Client" in fault.code and "aviseringsadress" in fault.reason, (address, fault)
    ssek = soap_fault(register("file:///etc/passwd", "/leka/ssek", ssek_header(ORG)))
    assert ssek.items()[0]["Code"] == "ContentInvalid" and "http" in ssek.reason
    checked = client(server).KontrolleraPrenumeration(organisationsnummer=ORG, personnummer=[CARL])
    assert [p.prenumererar for p in checked.person] == [False]  # nothing registered with a refused address
    assert register("https://partner.example/avisering").status_code == 200


def test_a_reset_during_the_scan_is_not_undone(
    server_factory: Callable[..., Server], scenario: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """With Redis the scan's read of the subscriptions and its writes are apart in time: a
    reset (or deregistration) landing between them brought the subscriptions back."""
    import redis

    url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/13"
    redis.Redis.from_url(url).flushdb()
    population = {"count": 1000, "seed": 11}
    server = server_factory(
        "--redis", url, scenario=two_organisations(scenario, tmp_path, population=population)
    )
    numbers = list(GeneratedPopulation.build(Population(**population), ROOT / "scenarios").numbers())[:1000]
    admin = AdminClient(server.url)
    for _ in range(5):
        # 1,000 generated persons made on registration: seconds on a loaded CI machine
        r = post_soap(server.url, soap_envelope(register_xml(ORG, *numbers)), path="/leka/ws", timeout=60)
        assert r.status_code == 200 and r.text.count("<leka:kod>0</leka:kod>") > 900, r.text[:500]
        registered = admin_get(server, "leka/prenumerationer")["prenumerationer"][0]["bevakad_till"]
        admin.advance(days=1)
        wait_for(
            lambda registered=registered: any(  # this round's day, bound now
                s["bevakad_till"] > registered
                for s in admin_get(server, "leka/prenumerationer")["prenumerationer"]
            ),
            timeout=10,
        )
        requests.post(f"{server.url}/_admin/scenario/reset", timeout=10).raise_for_status()
        time.sleep(0.3)  # the rest of the scan, had it carried on
        assert admin_get(server, "leka/prenumerationer")["prenumerationer"] == []
