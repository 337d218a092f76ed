"""The SLA gate (SPEC §4, issue 5): limits, gap, concurrency, opening hours, modes, and
the same limits with a real Redis shared by two processes.

The gate tests run each rule against both counter stores (in process, and a real
redis-server started by the suite); the HTTP tests drive real server processes over WS
with the clock frozen and moved through the admin API."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
import requests
from lxml import etree
from support.lefi import ask_raw, raw_question
from support.server import ROOT, Server, running, start_server, stop_server

from simulator.control.client import AdminClient
from simulator.domain.clock import STOCKHOLM, Clock
from simulator.runtime.sla.counters import CounterStore, MemoryCounters, RedisCounters
from simulator.runtime.sla.gate import Admission, SlaGate
from simulator.scenario.models import SlaSettings

SLA_SCENARIO = ROOT / "tests" / "scenarios" / "sla.yaml"
KOMMUN, INSURER = "2120000142", "5566778899"
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=STOCKHOLM)
T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


# -- the gate itself, against both stores ---------------------------------------------------
@pytest.fixture(params=["memory", "redis"])
def make_counters(request: pytest.FixtureRequest) -> Callable[[], CounterStore]:
    """A factory: a Redis client must be made inside the event loop that uses it."""
    if request.param == "memory":
        shared = MemoryCounters()
        return lambda: shared
    url = request.getfixturevalue("redis_url")
    prefix = f"test:{uuid.uuid4().hex}"  # each test its own keys
    return lambda: RedisCounters(url, prefix=prefix)


def gate_at(when: datetime, counters: CounterStore, **settings: object) -> SlaGate:
    """A gate on a frozen clock whose real time stands still too: time passes only when
    the test moves the clock."""
    clock = Clock.starting_at(when, frozen=True, wall=lambda: REAL)
    return SlaGate(SlaSettings.model_validate(settings), clock, counters)


REAL = 1_800_000_000.0  # the real time the gate tests stand at


async def ask(gate: SlaGate, org: str = KOMMUN, channel: str = "online", release: bool = True) -> str | None:
    """One question through the gate: the rule broken, or None (answered at once)."""
    admission, breach = await gate.admit(org, channel)
    if admission is not None and release:
        await gate.release(admission)
    return breach.rule if breach else None


def test_the_second_question_inside_one_second_is_refused(make_counters: Callable[[], CounterStore]) -> None:
    async def scenario() -> None:
        gate = gate_at(MONDAY, make_counters())
        assert await ask(gate) is None
        gate.clock.advance(timedelta(milliseconds=500))  # past the 300 ms gap, inside the second
        admission, breach = await gate.admit(KOMMUN, "online")
        assert admission is None and breach is not None and breach.rule == "per_second"
        assert breach.retry_after == pytest.approx(0.5, abs=0.002)
        assert "högst 1 frågor per sekund" in breach.text and KOMMUN in breach.text
        gate.clock.advance(timedelta(milliseconds=500))  # the first question has left the second
        assert await ask(gate) is None
        assert await ask(gate, org=INSURER) is None  # another organisation has its own limit
        await gate.counters.close()

    run(scenario())


def test_200_ms_after_an_answer_is_refused_and_300_ms_served(
    make_counters: Callable[[], CounterStore],
) -> None:
    async def scenario() -> None:
        gate = gate_at(MONDAY, make_counters(), limits={"online": {"per_second": 10}})
        assert await ask(gate) is None  # answered at 10:00:00.000
        gate.clock.advance(timedelta(milliseconds=200))
        _, breach = await gate.admit(KOMMUN, "online")
        assert breach is not None and breach.rule == "min_gap"
        assert breach.retry_after == pytest.approx(0.1, abs=0.002)
        gate.clock.advance(timedelta(milliseconds=100))
        assert await ask(gate) is None
        await gate.counters.close()

    run(scenario())


def test_a_second_concurrent_onlinefraga_is_refused(make_counters: Callable[[], CounterStore]) -> None:
    async def scenario() -> None:
        gate = gate_at(MONDAY, make_counters(), limits={"online": {"per_second": 10, "min_gap_ms": 0}})
        first, _ = await gate.admit(KOMMUN, "online")  # still being answered
        assert first is not None
        gate.clock.advance(timedelta(milliseconds=400))
        assert await ask(gate) == "max_in_flight"
        await gate.release(first)
        assert await ask(gate) is None
        await gate.counters.close()

    run(scenario())


def test_the_sixth_concurrent_massfraga_is_refused(make_counters: Callable[[], CounterStore]) -> None:
    async def scenario() -> None:
        gate = gate_at(MONDAY, make_counters())
        in_flight = []
        for _ in range(5):  # one a second: within 2/s, nothing answered yet
            admission, breach = await gate.admit(KOMMUN, "massfraga")
            assert breach is None and admission is not None
            in_flight.append(admission)
            gate.clock.advance(timedelta(seconds=1))
        assert await ask(gate, channel="massfraga", release=False) == "max_in_flight"
        await gate.release(in_flight[0])
        gate.clock.advance(timedelta(seconds=1))
        assert await ask(gate, channel="massfraga") is None
        await gate.counters.close()

    run(scenario())


def test_the_hour_limit(make_counters: Callable[[], CounterStore]) -> None:
    """3600 an hour: shown with the second and minute limits raised (at the SLA's own
    limits 1/s and 60/min keep a partner under 3600/h)."""

    async def scenario() -> None:
        gate = gate_at(
            MONDAY,
            make_counters(),
            limits={"online": {"per_second": 100, "per_minute": 6000, "min_gap_ms": 0}},
        )
        for _ in range(3600):
            assert await ask(gate) is None
            gate.clock.advance(timedelta(milliseconds=100))  # 3600 questions in 6 minutes
        _, breach = await gate.admit(KOMMUN, "online")
        assert breach is not None and breach.rule == "per_hour" and "3600 frågor per timme" in breach.text
        assert breach.retry_at == MONDAY + timedelta(hours=1)  # when the first leaves the hour
        gate.clock.set(MONDAY + timedelta(hours=1))
        assert await ask(gate) is None
        await gate.counters.close()

    run(scenario())


def test_the_minute_limit(make_counters: Callable[[], CounterStore]) -> None:
    async def scenario() -> None:
        gate = gate_at(MONDAY, make_counters(), limits={"online": {"per_second": 10, "min_gap_ms": 0}})
        for _ in range(60):
            assert await ask(gate) is None
            gate.clock.advance(timedelta(milliseconds=500))
        assert await ask(gate) == "per_minute"
        await gate.counters.close()

    run(scenario())


def test_a_question_breaking_two_rules_names_both_and_waits_for_the_later(
    make_counters: Callable[[], CounterStore],
) -> None:
    """Right after an answer the gap (300 ms) and the second (1/s) are both broken: the
    refusal names both and gives the time the second clears, not the gap's."""

    async def scenario() -> None:
        gate = gate_at(MONDAY, make_counters())
        assert await ask(gate) is None
        _, breach = await gate.admit(KOMMUN, "online")
        assert breach is not None and breach.rules == ("min_gap", "per_second") and breach.rule == "min_gap"
        assert breach.retry_after == 1.0 and breach.retry_at == MONDAY + timedelta(seconds=1)
        assert "SLA-regeln min_gap bröts" in breach.text and "SLA-regeln per_second bröts" in breach.text
        gate.clock.advance(timedelta(milliseconds=300))  # the gap has cleared, the second not
        _, breach = await gate.admit(KOMMUN, "online")
        assert breach is not None and breach.rules == ("per_second",) and breach.retry_after == 0.7
        gate.clock.set(breach.retry_at)
        assert await ask(gate) is None
        await gate.counters.close()

    run(scenario())


def test_a_retry_time_read_to_the_ms_is_reached_by_moving_the_clock(
    make_counters: Callable[[], CounterStore],
) -> None:
    """The clock stands between two ms; the refusal shows its time to the ms (the µs cut
    off): setting the clock to that time still admits the question."""

    async def scenario() -> None:
        gate = gate_at(MONDAY + timedelta(microseconds=456), make_counters())
        assert await ask(gate) is None
        _, breach = await gate.admit(KOMMUN, "online")
        assert breach is not None
        gate.clock.set(datetime.fromisoformat(breach.retry_at.isoformat(timespec="milliseconds")))
        assert await ask(gate) is None
        await gate.counters.close()

    run(scenario())


# (ms to move the clock, then: "hold" the admission, "release" it, or "free" every held one first)
_SCRIPT = [(0, "hold"), (100, "release"), (100, "release"), (800, "hold"), (100, "hold")]
_SCRIPT += [(0, "free"), (100, "release"), (200, "release"), (100, "release"), (58_500, "release")]
_EXPECTED = [
    ((), 0),
    ((), 0),
    (("min_gap", "per_second"), 800),  # the gap clears at +200, the second at +800
    ((), 0),
    (("max_in_flight",), 300),
    None,
    (("min_gap",), 200),
    ((), 0),
    (("min_gap", "per_second", "per_minute"), 58_500),  # the minute clears last
    ((), 0),
]


def test_both_stores_give_the_same_verdicts(redis_url: str) -> None:
    """One script of questions through each store: the same rules and retry times."""

    async def verdicts(counters: CounterStore) -> list[tuple[tuple[str, ...], int] | None]:
        limits = {"per_second": 2, "per_minute": 4, "min_gap_ms": 300, "max_in_flight": 2}
        gate = gate_at(MONDAY, counters, limits={"online": limits})
        held: list[Admission] = []
        seen: list[tuple[tuple[str, ...], int] | None] = []
        for ms, action in _SCRIPT:
            gate.clock.advance(timedelta(milliseconds=ms))
            if action == "free":
                for admission in held:
                    await gate.release(admission)
                held.clear()
                seen.append(None)
                continue
            admission, breach = await gate.admit(KOMMUN, "online")
            seen.append((breach.rules, round(breach.retry_after * 1000)) if breach else ((), 0))
            if admission is not None and action == "release":
                await gate.release(admission)
            elif admission is not None:
                held.append(admission)
        await counters.close()
        return seen

    memory = run(verdicts(MemoryCounters()))
    redis = run(verdicts(RedisCounters(redis_url, prefix=f"test:{uuid.uuid4().hex}")))
    assert memory == redis == _EXPECTED


def test_sla_time_passes_in_real_time_under_a_frozen_clock(make_counters: Callable[[], CounterStore]) -> None:
    """The limits count real time while the simulator clock stands still, and also every
    forward move of the clock; a move back does not turn SLA time back."""
    real = [REAL]

    async def scenario() -> None:
        clock = Clock.starting_at(MONDAY, frozen=True, wall=lambda: real[0])
        gate = SlaGate(SlaSettings(), clock, make_counters())
        assert await ask(gate) is None
        _, breach = await gate.admit(KOMMUN, "online")
        assert breach is not None and breach.retry_after == 1.0
        real[0] += 0.999
        assert await ask(gate) == "per_second"
        real[0] += 0.001  # the time the refusal gave, waited in real time
        assert await ask(gate) is None and clock.now() == MONDAY
        _, breach = await gate.admit(KOMMUN, "online")
        assert breach is not None
        clock.advance(timedelta(seconds=breach.retry_after))  # or reached by moving the clock
        assert await ask(gate) is None
        before = clock.sla_ms()
        clock.set(MONDAY - timedelta(days=1))
        assert clock.sla_ms() == before
        await gate.counters.close()

    run(scenario())


@pytest.mark.parametrize(
    "when, channel, profile, closed",
    [
        ("2026-06-19T10:00", "massfraga", "sla", True),  # Midsommarafton
        ("2026-12-24T10:00", "massfraga", "sla", True),  # Julafton
        ("2026-12-31T10:00", "massfraga", "sla", True),  # Nyårsafton
        ("2026-12-25T10:00", "massfraga", "sla", True),  # Juldagen
        ("2026-11-07T17:00", "online", "sla", True),  # Saturday: the service window
        ("2026-11-07T17:00", "massfraga", "sla", True),  # Saturday: massfråga 07:30-16:00
        ("2026-11-07T15:59", "online", "sla", False),
        ("2026-11-08T12:59", "online", "sla", True),  # the window ends Sunday 13:00
        ("2026-11-08T13:00", "online", "sla", False),
        ("2026-12-24T10:00", "online", "sla", False),  # online is open every day in the SLA
        ("2026-12-23T16:29", "massfraga", "sla", False),  # the day before Julafton
        ("2026-12-23T16:31", "massfraga", "sla", True),
        ("2026-10-30T16:29", "online", "classic", False),  # the day before Alla helgons dag
        ("2026-10-30T16:30", "online", "classic", True),
        ("2026-10-31T12:00", "online", "classic", True),  # the red day itself
        ("2026-11-02T06:59", "online", "classic", True),  # a weekday opens at 07:00
        ("2026-11-02T21:29", "online", "classic", False),
        ("2026-11-02T21:30", "online", "classic", True),
        ("2026-10-30T16:00", "massfraga", "classic", True),  # äldreomsorg: 16:30-24:00 before a red day
        ("2026-10-30T23:59", "massfraga", "classic", False),
    ],
)
def test_opening_hours(when: str, channel: str, profile: str, closed: bool) -> None:
    gate = gate_at(datetime.fromisoformat(when).replace(tzinfo=STOCKHOLM), MemoryCounters(), profile=profile)
    admission, breach = run(gate.admit(KOMMUN, channel))
    assert (breach is not None and breach.rule == "closed") is closed, breach and breach.text
    if closed:
        assert breach is not None and breach.retry_at > gate.clock.now()
        assert gate.hours.is_open(channel, breach.retry_at)


def test_urgent_windows_close_weekday_nights_when_switched_on() -> None:
    night = datetime(2026, 11, 3, 5, 0, tzinfo=STOCKHOLM)
    assert run(ask(gate_at(night, MemoryCounters()))) is None
    assert run(ask(gate_at(night, MemoryCounters(), urgent_windows=True))) == "closed"


def test_record_mode_serves_and_reports_and_off_does_nothing() -> None:
    record = gate_at(MONDAY, MemoryCounters(), mode="record")
    assert run(ask(record)) is None
    admission, breach = run(record.admit(KOMMUN, "online"))
    assert admission is not None and breach is not None and breach.rule == "min_gap"
    off = gate_at(MONDAY, MemoryCounters(), mode="off")
    assert [run(ask(off)) for _ in range(5)] == [None] * 5


def test_redis_admits_exactly_one_of_many_simultaneous_questions_from_two_clients(redis_url: str) -> None:
    """Two clients (as two workers would hold) race for the one place: one wins."""

    async def scenario() -> list[str | None]:
        prefix = f"test:{uuid.uuid4().hex}"
        a, b = RedisCounters(redis_url, prefix), RedisCounters(redis_url, prefix)
        gates = [gate_at(MONDAY, a), gate_at(MONDAY, b)]
        rules = await asyncio.gather(*(ask(gates[i % 2], release=False) for i in range(20)))
        await a.close()
        await b.close()
        return list(rules)

    rules = run(scenario())
    assert rules.count(None) == 1 and set(rules) == {None, "max_in_flight"}


def test_redis_keys_expire(redis_url: str) -> None:
    import redis as redis_sync

    async def scenario(prefix: str) -> None:
        gate = gate_at(MONDAY, RedisCounters(redis_url, prefix))
        assert await ask(gate) is None
        await gate.counters.close()

    prefix = f"test:{uuid.uuid4().hex}"
    run(scenario(prefix))
    client = redis_sync.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    assert {k.decode().rsplit(":", 1)[1] for k in keys} == {"log", "inflight", "last"}
    assert all(0 < client.ttl(k) <= 3600 + 300 for k in keys)


# -- over HTTP: the WS binding answers a breach as a SOAP Fault naming the rule ----------
SLA_NS = "urn:lefi-sandbox:sla"


def breach_of(response: requests.Response) -> tuple[str, str, float]:
    """(faultcode, rule, Retry-After) of a refused question."""
    doc = etree.fromstring(response.content)
    rule = doc.findtext(f".//{{{SLA_NS}}}regel")
    assert rule is not None, response.text
    code = doc.findtext(".//faultcode") or ""
    return code, rule, float(response.headers["Retry-After"])


@pytest.fixture(params=["memory", "redis"])
def sla_server(
    request: pytest.FixtureRequest, server_factory: Callable[..., Server]
) -> Callable[..., Server]:
    """Servers on the SLA scenario: each test runs with the counts in the process, and
    again with them in a real Redis (an empty database of its own)."""
    if request.param == "memory":
        return lambda *args: server_factory(*args, scenario=SLA_SCENARIO)
    url = _empty_redis(request.getfixturevalue("redis_url"), 3)
    return lambda *args: server_factory(*args, "--redis", url, scenario=SLA_SCENARIO)


def test_ws_refuses_the_second_question_with_a_fault_naming_the_rule(
    sla_server: Callable[..., Server],
) -> None:
    server = sla_server("--sla-mode", "reject")
    admin = AdminClient(server.url)
    assert ask_raw(server.url).status_code == 200
    refused = ask_raw(server.url)
    assert refused.status_code == 500
    code, rule, retry = breach_of(refused)
    assert (code, rule, retry) == ("soap:Client", "min_gap", 1.0)
    assert "SLA-regeln min_gap" in refused.text and KOMMUN in refused.text
    admin.advance(milliseconds=500)
    assert breach_of(ask_raw(server.url))[1] == "per_second"
    admin.advance(milliseconds=500)
    assert ask_raw(server.url).status_code == 200
    # counted in the journal and the metrics
    assert admin.count(outcome="sla") == 2 and admin.count(outcome="sla:min_gap") == 1
    assert admin.count(sla_breach="per_second") == 1
    metrics = requests.get(f"{server.url}/metrics", timeout=10).text
    assert re.search(
        rf'lefi_sla_breaches_total\{{mode="reject",organisation="{KOMMUN}",rule="min_gap"\}} 1\.0', metrics
    ), metrics


def test_ws_gap_200_ms_refused_300_ms_served(sla_server: Callable[..., Server]) -> None:
    server = sla_server("--sla-mode", "reject")
    admin = AdminClient(server.url)
    insurer = raw_question(org=INSURER)  # its per-second limit is 10 in this scenario
    assert ask_raw(server.url, insurer).status_code == 200
    admin.advance(milliseconds=200)
    assert breach_of(ask_raw(server.url, insurer))[1] == "min_gap"
    admin.advance(milliseconds=100)
    assert ask_raw(server.url, insurer).status_code == 200


def test_ws_second_concurrent_question_is_refused(sla_server: Callable[..., Server]) -> None:
    server = sla_server("--sla-mode", "reject")
    admin = AdminClient(server.url)
    admin.add_fault(id="slow", kind="latency", personnummer="198803182388", latency={"fixed": 2.0})
    slow: list[requests.Response] = []
    worker = threading.Thread(target=lambda: slow.append(ask_raw(server.url, raw_question("198803182388"))))
    worker.start()
    deadline = time.monotonic() + 10
    while not _in_flight(admin) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert breach_of(ask_raw(server.url))[1] == "max_in_flight"
    worker.join(timeout=30)
    assert slow[0].status_code == 200


def _in_flight(admin: AdminClient) -> bool:
    """Whether the slow question has passed the gate: the fault rule has fired."""
    return any(rule["used"] for rule in admin.faults())


def test_ws_closed_on_saturday_evening_and_open_on_sunday_afternoon(
    sla_server: Callable[..., Server],
) -> None:
    server = sla_server("--sla-mode", "reject", "--clock", "2026-11-07T17:00", "--freeze-clock")
    refused = ask_raw(server.url)
    code, rule, retry = breach_of(refused)
    assert (code, rule) == ("soap:Server", "closed") and "servicefönster" in refused.text
    assert retry == 20 * 3600  # Sunday 13:00
    AdminClient(server.url).set_clock("2026-11-08T13:00")
    assert ask_raw(server.url).status_code == 200


def test_ws_classic_profile_closes_at_1630_before_a_red_day(sla_server: Callable[..., Server]) -> None:
    server = sla_server(
        "--sla-mode", "reject", "--sla-profile", "classic", "--clock", "2026-10-30T16:29", "--freeze-clock"
    )
    assert ask_raw(server.url).status_code == 200
    AdminClient(server.url).advance(minutes=2)
    assert breach_of(ask_raw(server.url))[1] == "closed"


def test_ws_record_mode_serves_and_records_the_breach(sla_server: Callable[..., Server]) -> None:
    server = sla_server("--sla-mode", "record")
    admin = AdminClient(server.url)
    assert [ask_raw(server.url).status_code for _ in range(3)] == [200, 200, 200]
    assert admin.count(outcome="ok") == 3 and admin.count(sla_breach="min_gap") == 2
    assert admin.count(sla_breach="any") == 2
    metrics = requests.get(f"{server.url}/metrics", timeout=10).text
    assert 'lefi_sla_breaches_total{mode="record",organisation="2120000142",rule="min_gap"} 2.0' in metrics


def test_ws_off_mode_counts_nothing(sla_server: Callable[..., Server]) -> None:
    server = sla_server("--sla-mode", "off")
    assert [ask_raw(server.url).status_code for _ in range(3)] == [200, 200, 200]
    assert AdminClient(server.url).count(sla_breach="any") == 0


def test_reset_forgets_the_sla_history(sla_server: Callable[..., Server]) -> None:
    server = sla_server("--sla-mode", "reject")
    admin = AdminClient(server.url)
    assert ask_raw(server.url).status_code == 200
    assert ask_raw(server.url).status_code == 500
    admin.reset()
    assert ask_raw(server.url).status_code == 200


def _empty_redis(redis_url: str, db: int) -> str:
    import redis as redis_sync

    url = redis_url.replace("/0", f"/{db}")
    redis_sync.Redis.from_url(url).flushdb()
    return url


def test_two_servers_sharing_redis_enforce_one_limit(
    server_factory: Callable[..., Server], redis_url: str
) -> None:
    """Two hosts behind a load balancer: a question to one counts for the other."""
    url = _empty_redis(redis_url, 1)
    a = server_factory("--sla-mode", "reject", "--redis", url, scenario=SLA_SCENARIO)
    b = server_factory("--sla-mode", "reject", "--redis", url, scenario=SLA_SCENARIO)
    assert ask_raw(a.url).status_code == 200
    assert breach_of(ask_raw(b.url))[1] == "min_gap"
    AdminClient(a.url).advance(seconds=1)
    AdminClient(b.url).advance(seconds=1)
    assert ask_raw(b.url).status_code == 200
    assert breach_of(ask_raw(a.url))[1] == "min_gap"
    AdminClient(a.url).reset()  # clears the shared counts too
    assert ask_raw(b.url).status_code == 200


def test_two_workers_on_one_port_share_one_limit_through_redis(
    server_factory: Callable[..., Server], redis_url: str
) -> None:
    server = server_factory(
        "--sla-mode", "reject", "--workers", "2", "--redis", _empty_redis(redis_url, 2), scenario=SLA_SCENARIO
    )
    # the fixture waited for one worker; the other may still be starting
    listening: set[str] = set()
    deadline = time.monotonic() + 60
    while len(listening) < 2 and time.monotonic() < deadline:
        health = requests.get(f"{server.url}/health", headers={"Connection": "close"}, timeout=10)
        listening.add(health.headers["X-LEFI-Worker"])
    assert len(listening) == 2, "the second worker did not start"
    workers, statuses = set(), []
    for _ in range(20):  # a new connection each time: the kernel spreads them over the workers
        response = requests.post(
            f"{server.url}/ws",
            data=raw_question(),
            headers={"Content-Type": "text/xml", "Connection": "close"},
            timeout=30,
        )
        workers.add(response.headers["X-LEFI-Worker"])
        statuses.append(response.status_code)
    assert len(workers) == 2, "both workers answered"
    assert statuses.count(200) == 1 and statuses.count(500) == 19  # one limit, whichever worker asked
    # an admin call reaches one worker; the other follows
    requests.post(
        f"{server.url}/_admin/clock/advance", json={"hours": 2}, headers={"Connection": "close"}, timeout=10
    ).raise_for_status()

    def clocks() -> dict[str, str]:
        seen: dict[str, str] = {}
        for _ in range(20):
            r = requests.get(f"{server.url}/_admin/clock", headers={"Connection": "close"}, timeout=10)
            seen[r.headers["X-LEFI-Worker"]] = r.json()["now"]
        return seen

    assert _eventually(lambda: set(clocks().values()) == {"2026-11-02T12:00:00+01:00"})


# -- every binding answers a breach in its own way ----------------------------------------
@pytest.fixture
def strict_default(tmp_path: Path) -> Iterator[Server]:
    """The default scenario, the gate in reject mode, the clock frozen (Monday 09:00)."""
    with running(tmp_path, "--sla-mode", "reject", "--freeze-clock") as server:
        yield server


def test_ssek_breach_is_web_service_unavailable_with_fault_data(strict_default: Server) -> None:
    from support.partner_clients import fraga, post_soap, soap_envelope, soap_fault, ssek_header

    def ask_ssek() -> requests.Response:
        return post_soap(
            strict_default.url, soap_envelope(fraga("198506102386", ["sjukpenning"]), ssek_header())
        )

    assert ask_ssek().status_code == 200
    refused = ask_ssek()
    fault = soap_fault(refused)  # validates ssek:FaultData against ssek.xsd when ../shared is here
    assert fault.code.endswith("}WebServiceUnavailable")
    assert (
        fault.items()[0]["Code"] == "WebServiceUnavailable" and fault.items()[0]["Location"] == "SLA/min_gap"
    )
    assert "SLA-regeln min_gap" in fault.reason and refused.headers["Retry-After"] == "1"
    assert AdminClient(strict_default.url).count(binding="ssek", outcome="sla:min_gap") == 1


def test_shs_breach_is_an_shs_error_message_naming_the_rule(strict_default: Server) -> None:
    from support.partner_clients import fraga, post_shs, shs_error, shs_label

    def ask_shs() -> requests.Response:
        question = fraga("198506102386", ["sjukpenning"], org="2021005489").encode()
        return post_shs(strict_default.url, shs_label(sender="2021005489"), [question])

    assert ask_shs().status_code == 200
    refused = ask_shs()
    code, error = shs_error(refused)
    assert code == "OtherError" and "SLA-regeln min_gap" in (error.get("errorinfo") or "")
    assert [a.text for a in error.findall("appinfo") if a.get("name") == "regel"] == ["min_gap"]
    assert refused.headers["Retry-After"] == "1"


def test_rest_breach_is_429_and_closed_is_503_with_retry_after(
    strict_default: Server, tmp_path: Path
) -> None:
    from support.rest_client import FRAGA, KOMMUN_AKTOR

    url = strict_default.url + FRAGA.format(aktorsId=KOMMUN_AKTOR)
    body = {
        "personnummer": "198506102386",
        "period": {"from": "2025-01-01", "tom": "2026-10-31"},
        "formansinformation": ["FK:SJP"],
    }
    assert requests.post(url, json=body, timeout=30).status_code == 200
    refused = requests.post(url, json=body, timeout=30)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "SLA-regeln min_gap" in refused.json()["meddelande"]

    saturday = start_server(tmp_path, "--sla-mode", "reject", "--clock", "2026-11-07T17:00", "--freeze-clock")
    try:
        closed = requests.post(saturday.url + FRAGA.format(aktorsId=KOMMUN_AKTOR), json=body, timeout=30)
        assert closed.status_code == 503 and closed.headers["Retry-After"] == str(20 * 3600)
        assert "servicefönster" in closed.json()["meddelande"]
    finally:
        stop_server(saturday)


@pytest.mark.reference
def test_ssbtek_breach_is_a_soap_fault_naming_the_rule(strict_default: Server) -> None:
    import json

    from support.rest_client import OFFICIAL_SSBTEK, need_reference

    examples = OFFICIAL_SSBTEK / "examples"
    need_reference(examples / "fk-request-mapping.json")
    mapping = json.loads((examples / "fk-request-mapping.json").read_text(encoding="utf-8"))
    request = mapping["request"]["bodyPatterns"][0]["equalToXml"].replace("${xmlunit.ignore}", "x-1").encode()

    def ask_ssbtek() -> requests.Response:
        return requests.post(
            strict_default.url + mapping["request"]["url"],
            data=request,
            timeout=30,
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )

    assert ask_ssbtek().status_code == 200
    refused = ask_ssbtek()
    assert refused.status_code == 500 and refused.headers["Retry-After"] == "1"
    doc = etree.fromstring(refused.content)
    assert doc.findtext(".//faultcode") == "soap:Client"
    assert "SLA-regeln min_gap" in (doc.findtext(".//faultstring") or "")
    assert "SLA-regeln per_second" in (doc.findtext(".//faultstring") or "")  # every rule broken
    assert doc.findtext(".//{http://schema.forsakringskassan.se/integration/ssbt/10}felkod") == "SLA_MIN_GAP"


@pytest.mark.parametrize("saturday, hours", [("2026-10-24T17:00", 21), ("2026-03-28T17:00", 19)])
def test_retry_after_counts_real_hours_across_a_dst_change(saturday: str, hours: int) -> None:
    """The service window holds the DST weekends: Sunday 13:00 is 21 real hours after
    Saturday 17:00 in October, 19 in March."""
    gate = gate_at(datetime.fromisoformat(saturday).replace(tzinfo=STOCKHOLM), MemoryCounters())
    _, breach = run(gate.admit(KOMMUN, "online"))
    assert breach is not None and breach.rule == "closed"
    assert breach.retry_after == hours * 3600 and breach.retry_at.hour == 13


def test_the_clock_moves_in_real_time_across_dst() -> None:
    clock = Clock.starting_at(datetime(2026, 3, 29, 1, 30), frozen=True)
    clock.advance(timedelta(hours=1))
    assert clock.now().isoformat() == "2026-03-29T03:30:00+02:00"  # 02:30 does not exist that night
    with pytest.raises(ValueError):
        clock.set(datetime(9999, 12, 31))


def test_a_redis_that_goes_away_does_not_fail_the_answers(server_factory: Callable[..., Server]) -> None:
    """The gate serves unchecked (and logs why) rather than failing partners for the
    sandbox's own trouble."""
    server = server_factory(
        "--sla-mode",
        "reject",
        "--redis",
        "redis://127.0.0.1:9/0",  # nothing listens there
        scenario=SLA_SCENARIO,
    )
    assert [ask_raw(server.url).status_code for _ in range(2)] == [200, 200]
    assert "SLA gate skipped" in server.log.read_text()


def test_servers_sharing_redis_share_admin_changes(
    server_factory: Callable[..., Server], redis_url: str
) -> None:
    """An admin call reaches one host (or worker); the others follow through Redis, so that
    they keep one clock — the shared SLA counts are only right if they do."""
    url = _empty_redis(redis_url, 4)
    a = server_factory("--sla-mode", "reject", "--redis", url, scenario=SLA_SCENARIO)
    b = server_factory("--sla-mode", "reject", "--redis", url, scenario=SLA_SCENARIO)
    admin_a, admin_b = AdminClient(a.url), AdminClient(b.url)
    admin_a.advance(days=3, milliseconds=250)
    assert _eventually(lambda: admin_b.clock() == admin_a.clock())
    assert admin_b.clock()["now"] == "2026-11-05T10:00:00.250000+01:00"
    admin_a.add_fault(id="down", kind="http_status", status=503)
    assert _eventually(lambda: [r["id"] for r in admin_b.faults()] == ["down"])
    assert ask_raw(b.url).status_code == 503
    admin_b.reset()
    assert _eventually(
        lambda: admin_a.clock()["now"].startswith("2026-11-02T10:00:00") and admin_a.faults() == []
    )
    admin_a.load_scenario(SLA_SCENARIO.read_text(encoding="utf-8").replace("name: sla", "name: shared"))
    assert _eventually(lambda: admin_b.scenario()["name"] == "shared")


def _eventually(check: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
