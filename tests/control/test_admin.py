"""The admin API (SPEC §6) driven over HTTP: every answer checked against the project's
OpenAPI document; scenario load/reset/reload, clock, journal, metrics, request log."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_spec_validator import validate as validate_spec
from support.lefi import ask_raw, raw_question
from support.server import DEFAULT_SCENARIO, SCHEMAS, Server, running, start_server, stop_server

from simulator.control.client import AdminClient, AdminError
from simulator.scenario.population import write_scenario_yaml

SPEC = yaml.safe_load((SCHEMAS / "admin-openapi.yaml").read_text(encoding="utf-8"))
OPENAPI = OpenAPI.from_dict(SPEC)


class CheckedSession(requests.Session):
    """A session whose every /_admin/ exchange must match the OpenAPI document."""

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
        if "/_admin/" in url and not url.endswith("/openapi.json"):
            OPENAPI.validate_response(
                RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response)
            )
        return response


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(tmp_path_factory.mktemp("admin"), "--freeze-clock") as server:
        yield server


@pytest.fixture
def http(srv: Server) -> Iterator[CheckedSession]:
    session = CheckedSession()
    yield session
    session.post(f"{srv.url}/_admin/scenario/reset")  # the next test starts from the scenario's start


def test_openapi_document_is_valid_and_served(srv: Server) -> None:
    validate_spec(SPEC)
    served = requests.get(f"{srv.url}/_admin/openapi.json", timeout=10)
    assert served.status_code == 200 and served.json() == SPEC
    # every route the server has under /_admin/ is documented, and nothing more
    documented = {p for p in SPEC["paths"]}
    import simulator.control.admin as admin_package  # a package: one module per resource

    source = "".join(p.read_text(encoding="utf-8") for p in Path(admin_package.__file__).parent.glob("*.py"))
    routes = set(re.findall(r'f"\{PREFIX\}(/[^"]*)"', source)) - {"/openapi.json"}
    assert {r.replace("{{", "{").replace("}}", "}") for r in routes} == {
        d.removeprefix("/_admin") for d in documented
    }


def test_health(srv: Server, http: CheckedSession) -> None:
    body = http.get(f"{srv.url}/_admin/health").json()
    assert body["status"] == "ok" and body["scenario"] == "default"
    assert body["clock"]["now"].startswith("2026-11-02T09:00:00") and body["clock"]["frozen"] is True


def test_clock_set_advance_freeze(srv: Server, http: CheckedSession) -> None:
    url = f"{srv.url}/_admin/clock"
    assert http.put(url, json={"now": "2026-12-24T08:00"}).json()["now"] == "2026-12-24T08:00:00+01:00"
    assert (
        http.post(f"{url}/advance", json={"days": 1, "hours": 2}).json()["now"] == "2026-12-25T10:00:00+01:00"
    )
    assert http.post(f"{url}/advance", json={"hours": -3}).json()["now"] == "2026-12-25T07:00:00+01:00"
    running = http.post(f"{url}/unfreeze").json()
    assert running["frozen"] is False
    time.sleep(0.05)
    assert http.get(url).json()["now"] > running["now"]
    assert http.post(f"{url}/freeze").json()["frozen"] is True
    assert http.put(url, json={"frozen": False}).json()["frozen"] is False


@pytest.mark.parametrize("body", [{}, {"now": "not a time"}, {"frozen": "yes"}, {"later": 1}, [1]])
def test_bad_clock_bodies_are_refused(srv: Server, http: CheckedSession, body: object) -> None:
    response = http.put(f"{srv.url}/_admin/clock", json=body)
    assert response.status_code == 400 and response.json()["error"]


@pytest.mark.parametrize("body", [{}, {"days": "one"}, {"fortnights": 1}, {"days": True}, {"days": 1e12}])
def test_bad_advance_bodies_are_refused(srv: Server, http: CheckedSession, body: object) -> None:
    response = http.post(f"{srv.url}/_admin/clock/advance", json=body)
    assert response.status_code == 400


def test_not_json_is_refused_clearly(srv: Server, http: CheckedSession) -> None:
    response = http.put(
        f"{srv.url}/_admin/clock", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "not JSON" in response.json()["error"]
    response = http.put(f"{srv.url}/_admin/clock", data=b"now=x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_the_clock_the_engine_uses_moves_with_the_admin_api(srv: Server, http: CheckedSession) -> None:
    # a period ending 2026-11-05 lies after today (2026-11-02): business error 8 ...
    late = raw_question(tomdatum="2026-11-05")
    assert (
        "<ext:kod>8</ext:kod>" in ask_raw(srv.url, late).text.replace("ns0:", "ext:")
        or ">8<" in ask_raw(srv.url, late).text
    )
    http.post(f"{srv.url}/_admin/clock/advance", json={"days": 3})
    # ... and answered once the clock has passed it
    text = ask_raw(srv.url, late).text
    assert ">8<" not in text and "FK.Online.Svar" in text


SMALL = """
name: small
clock: {start: 2026-11-02T09:00:00+01:00, frozen: true}
organisations:
  - {orgnummer: "2120000142", name: Kommunen, type: kommun, agreement: all}
persons:
  - personnummer: "198506102386"
    first_name: Tolvan
    last_name: Tolvansson
"""


def test_put_scenario_replaces_it(srv: Server, http: CheckedSession) -> None:
    before = http.get(f"{srv.url}/_admin/scenario").json()
    loaded = http.put(
        f"{srv.url}/_admin/scenario", data=SMALL.encode(), headers={"Content-Type": "application/yaml"}
    ).json()
    assert (
        loaded["name"] == "small" and loaded["persons"] == 1 and loaded["generation"] > before["generation"]
    )
    # a person only the default scenario has is gone now (business error 3)
    assert ">3<" in ask_raw(srv.url, raw_question("198803182388")).text
    http.put(
        f"{srv.url}/_admin/scenario",
        data=DEFAULT_SCENARIO.read_bytes(),
        headers={"Content-Type": "application/yaml"},
    )
    assert http.get(f"{srv.url}/_admin/scenario").json()["name"] == "default"


@pytest.mark.parametrize(
    "broken, reason",
    [
        (SMALL.replace("first_name: Tolvan", "first_name: Tolvan\n    shoe_size: 44"), "shoe_size"),
        (SMALL.replace("198506102386", "198506102387"), "not a valid personnummer"),
        (SMALL.replace("agreement: all", "agreement: [sjukpeng]"), "unknown benefit 'sjukpeng'"),
        ("name: [unclosed", "not valid YAML"),
    ],
)
def test_a_refused_scenario_names_line_and_reason_and_keeps_the_old(
    srv: Server, http: CheckedSession, broken: str, reason: str
) -> None:
    response = http.put(
        f"{srv.url}/_admin/scenario?filename=mine.yaml",
        data=broken.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert any(re.match(r"mine\.yaml:\d+: ", p) and reason in p for p in problems), problems
    assert http.get(f"{srv.url}/_admin/scenario").json()["name"] == "default"
    assert ask_raw(srv.url).status_code == 200


def test_reload_from_disk_keeps_the_old_scenario_when_the_file_is_broken(tmp_path: Path) -> None:
    scenario = tmp_path / "mine.yaml"
    scenario.write_text(SMALL, encoding="utf-8")
    server = start_server(tmp_path, scenario=scenario)
    try:
        admin = AdminClient(server.url)
        scenario.write_text(SMALL.replace("198506102386", "198506102387"), encoding="utf-8")
        with pytest.raises(AdminError) as refused:
            admin.reload()
        assert refused.value.status == 400
        assert any(p.startswith(f"{scenario}:7: ") for p in refused.value.problems), refused.value.problems
        assert admin.scenario()["generation"] == 1
        assert ">0<" in ask_raw(server.url).text  # Tolvan is still there
        scenario.write_text(SMALL.replace("name: small", "name: fixed"), encoding="utf-8")
        assert admin.reload()["name"] == "fixed"
    finally:
        stop_server(server)


def test_watch_reloads_on_change_and_keeps_the_old_on_a_broken_file(tmp_path: Path) -> None:
    scenario = tmp_path / "watched.yaml"
    scenario.write_text(SMALL, encoding="utf-8")
    server = start_server(tmp_path, "--watch", scenario=scenario)
    try:
        admin = AdminClient(server.url)
        scenario.write_text(SMALL.replace("name: small", "name: edited"), encoding="utf-8")
        assert _eventually(lambda: admin.scenario()["name"] == "edited")
        generation = admin.scenario()["generation"]
        scenario.write_text(SMALL.replace("agreement: all", "agreement: [nope]"), encoding="utf-8")
        assert _eventually(lambda: "was refused" in server.log.read_text())
        assert "unknown benefit 'nope'" in server.log.read_text()
        assert admin.scenario()["generation"] == generation and admin.scenario()["name"] == "edited"
    finally:
        stop_server(server)


def _eventually(check: object, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_reset_restores_clock_rules_and_empties_the_journal(srv: Server, http: CheckedSession) -> None:
    admin = AdminClient(srv.url)
    admin.advance(days=10)
    admin.add_fault(id="late", kind="latency", latency={"fixed": 0.01})
    ask_raw(srv.url)
    summary = admin.reset()
    assert summary["name"] == "default"
    assert admin.clock()["now"].startswith("2026-11-02T09:00:00")
    assert admin.faults() == [] and admin.journal() == []


def test_journal_records_filters_and_counts(srv: Server, http: CheckedSession) -> None:
    admin = AdminClient(srv.url)
    admin.clear_journal()
    ok = ask_raw(srv.url, headers={"X-Correlation-ID": "partner-123"})
    assert ok.headers["X-Correlation-ID"] == "partner-123"
    ask_raw(srv.url, raw_question("198803182388"))
    ask_raw(srv.url, raw_question(org="5590123450"))  # not in BAD: business error 13
    ask_raw(srv.url, b"<not-xml")
    entries = http.get(f"{srv.url}/_admin/journal").json()["entries"]
    assert [e["outcome"] for e in entries] == ["rejected", "business:13", "ok", "ok"]
    first = admin.entry("partner-123")
    assert first["personnummer"] == "198506102386" and first["organisation"] == "2120000142"
    assert "FK.Online.Fraga" in first["request"] and "FK.Online.Svar" in first["response"]
    assert first["binding"] == "ws" and first["status"] == 200 and first["duration_ms"] > 0
    assert admin.count(personnummer="19850610-2386") == 2  # the org-13 question asked about him too
    assert admin.count(organisation="212000-0142", outcome="ok") == 2
    assert admin.count(outcome="business") == 1 and admin.count(outcome="business:13") == 1
    assert admin.count(binding="ws") == 4 and admin.count(binding="ssek") == 0
    assert admin.count(since="2026-11-02T09:00:00+01:00") == 4 and admin.count(until="2026-11-01T00:00") == 0
    assert len(admin.journal(limit=2, bodies=False)) == 2 and "request" not in admin.journal(bodies=False)[0]
    with pytest.raises(AdminError):
        admin.count(colour="red")
    with pytest.raises(AdminError):
        admin.count(since="yesterday")
    admin.clear_journal()
    assert admin.count() == 0


def test_journal_is_a_bounded_ring_and_can_be_switched_off(srv: Server, http: CheckedSession) -> None:
    admin = AdminClient(srv.url)
    try:
        admin.set_journal_size(3)
        for _ in range(5):
            ask_raw(srv.url)
        held = http.get(f"{srv.url}/_admin/journal").json()
        assert held["size"] == 3 and held["held"] == 3
        seqs = [e["seq"] for e in held["entries"]]
        assert seqs == sorted(seqs, reverse=True)
        admin.set_journal_size(0)
        ask_raw(srv.url)
        assert admin.count() == 0 and admin.health()["journal"]["size"] == 0
        with pytest.raises(AdminError):
            admin.set_journal_size(-1)
    finally:
        admin.set_journal_size(5000)


def test_metrics_move(srv: Server, http: CheckedSession) -> None:
    def requests_ok() -> float:
        text = requests.get(f"{srv.url}/metrics", timeout=10).text
        match = re.search(
            r'^lefi_requests_total\{binding="ws",organisation="2120000142",outcome="ok"\} (\S+)$', text, re.M
        )
        return float(match.group(1)) if match else 0.0

    before = requests_ok()
    ask_raw(srv.url)
    ask_raw(srv.url)
    assert requests_ok() == before + 2
    metrics = requests.get(f"{srv.url}/metrics", timeout=10)
    assert metrics.headers["Content-Type"].startswith("text/plain")
    assert 'lefi_request_duration_seconds_bucket{binding="ws",le="+Inf"}' in metrics.text
    # an organisation the scenario does not know gets no label of its own
    ask_raw(srv.url, raw_question(org="5566778891"))
    assert 'organisation="unknown"' in requests.get(f"{srv.url}/metrics", timeout=10).text


def test_one_json_log_line_per_request_with_the_correlation_id(srv: Server, http: CheckedSession) -> None:
    ask_raw(srv.url, headers={"X-Correlation-ID": "log-me-please"})
    lines = [json.loads(line) for line in srv.log.read_text().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line["correlation_id"] == "log-me-please"]
    assert len(mine) == 1
    assert mine[0]["binding"] == "ws" and mine[0]["outcome"] == "ok" and mine[0]["status"] == 200
    assert admin_entry_exists(srv, "log-me-please")


def admin_entry_exists(srv: Server, correlation_id: str) -> bool:
    return AdminClient(srv.url).entry(correlation_id)["id"] == correlation_id


def test_a_hostile_correlation_id_is_replaced(srv: Server, http: CheckedSession) -> None:
    response = ask_raw(srv.url, headers={"X-Correlation-ID": "x" * 500})
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["X-Correlation-ID"])


def test_unknown_journal_entry_and_rule_are_404(srv: Server, http: CheckedSession) -> None:
    assert http.get(f"{srv.url}/_admin/journal/nope").status_code == 404
    assert http.delete(f"{srv.url}/_admin/faults/nope").status_code == 404


def test_a_large_scenario_loads_through_the_admin_api(
    srv: Server, http: CheckedSession, tmp_path: Path
) -> None:
    """Megabytes of YAML: the body is read whole, not just its first chunk."""
    big = tmp_path / "big.yaml"
    write_scenario_yaml(big, 400, 7, date(2026, 11, 2))
    assert big.stat().st_size > 1_000_000
    loaded = AdminClient(srv.url).load_scenario(big)
    assert loaded["persons"] == 400


@pytest.mark.parametrize(
    "body, reason",
    [
        ("name: x\nfoo: " + "[" * 5000 + "1" + "]" * 5000 + "\n", "nested too deeply"),
        ("name: x\nclock: {start: 9999-01-01T00:00:00+01:00}\n", "1900-9000"),
    ],
)
def test_hostile_scenarios_are_refused_not_crashed_on(
    srv: Server, http: CheckedSession, body: str, reason: str
) -> None:
    response = http.put(
        f"{srv.url}/_admin/scenario", data=body.encode(), headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 400 and any(reason in p for p in response.json()["problems"]), (
        response.text
    )


def test_a_clock_beyond_the_years_it_keeps_is_refused(srv: Server, http: CheckedSession) -> None:
    response = http.put(f"{srv.url}/_admin/clock", json={"now": "9999-12-31T23:59:59+01:00"})
    assert response.status_code == 400 and "1900-9000" in response.json()["error"]
    assert http.post(f"{srv.url}/_admin/clock/advance", json={"weeks": 1e6}).status_code == 400
    assert ask_raw(srv.url).status_code == 200  # still serving


def test_recent_traffic_per_organisation(server_factory: Callable[..., Server]) -> None:
    """Rates, errors and SLA breaches per organisation over the last minutes (the QA dashboard's)."""
    srv = server_factory("--freeze-clock", "--sla-mode", "reject")
    http = CheckedSession()
    assert http.get(f"{srv.url}/_admin/traffic").json()["organisations"] == []
    assert ask_raw(srv.url).status_code == 200
    assert (
        ask_raw(srv.url).status_code != 200
    )  # the frozen clock: a second question in the same second breaks the SLA
    ask_raw(srv.url, b"<not-xml")  # nobody named: "unknown"
    traffic = http.get(f"{srv.url}/_admin/traffic", params={"minutes": 2, "step": 30}).json()
    assert (traffic["minutes"], traffic["step"]) == (2, 30)
    by_org = {o["organisation"]: o for o in traffic["organisations"]}
    assert set(by_org) == {"2120000142", "unknown"}
    kommun = by_org["2120000142"]
    assert kommun["name"] == "Testkommunen, socialtjänsten" and kommun["limit_per_minute"] == 60
    assert {k: kommun["last_minute"][k] for k in ("requests", "errors", "sla_breaches")} == {
        "requests": 2,
        "errors": 1,
        "sla_breaches": 1,
    }
    assert len(kommun["series"]) == 4 and sum(p["requests"] for p in kommun["series"]) == 2
    assert kommun["series"][-1]["requests"] == 2  # the newest point last
    assert by_org["unknown"]["last_minute"]["errors"] == 1
    for bad in ({"minutes": 0}, {"minutes": 16}, {"step": 0}, {"minutes": "x"}):
        assert http.get(f"{srv.url}/_admin/traffic", params=bad).status_code == 400
