"""The pytest plugin as a partner's suite uses it: installed with the package, no
conftest of ours. Most tests here run a small suite in a pytest subprocess, with the answer
check on (``lefi_check_answers``) as every server of the project's tests runs; the last
ones drive a plugin sandbox with raw sockets: it is served as ``lefi-sim serve`` is."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
import requests
from support.lefi import raw_question
from support.rest_client import KOMMUN_AKTOR
from support.server import Server, wait_for

from simulator.server.pytest_plugin import RunningSandbox, start_sandbox

CHECKED = "[pytest]\nlefi_check_answers = true\n"  # the project's own runs check every answer

PARTNER_SUITE = '''
import pytest, requests, zeep

QUESTION = """<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:ext="http://schema.forsakringskassan.se/externa_intressenter"><soap:Body><ext:FK.Online.Fraga>
  <ext:generelltfalt><ext:organisationsnummer>2120000142</ext:organisationsnummer>
  <ext:versionsnummer>6</ext:versionsnummer></ext:generelltfalt>
  <ext:informationsfalt><ext:person><ext:personnummer>198506102386</ext:personnummer>
  <ext:fromdatum>2025-01-01</ext:fromdatum><ext:tomdatum>2026-10-31</ext:tomdatum>
  <ext:formansforteckning><ext:sjukpenning>true</ext:sjukpenning></ext:formansforteckning>
  </ext:person></ext:informationsfalt></ext:FK.Online.Fraga></soap:Body></soap:Envelope>"""


def ask(url):
    return requests.post(url + "/ws", data=QUESTION.encode(), headers={"Content-Type": "text/xml"}, timeout=10)


def test_default_scenario_answers_and_the_journal_counts(lefi_sandbox):
    assert ask(lefi_sandbox.url).status_code == 200
    assert lefi_sandbox.admin.count(binding="ws", outcome="ok", personnummer="198506102386") == 1
    assert lefi_sandbox.admin.scenario()["name"] == "default"


def test_fault_rule_through_the_admin_client(lefi_sandbox):
    lefi_sandbox.admin.add_fault(id="down", kind="http_status", status=503, times=1)
    assert ask(lefi_sandbox.url).status_code == 503
    assert ask(lefi_sandbox.url).status_code == 200


def test_each_test_gets_a_fresh_sandbox(lefi_sandbox):
    assert lefi_sandbox.admin.count() == 0 and lefi_sandbox.admin.faults() == []


@pytest.mark.lefi_scenario("""
name: mine
clock: {start: 2026-11-02T09:00:00+01:00}
organisations: [{orgnummer: "2120000142", name: K, type: kommun, agreement: all}]
persons: [{personnummer: "198506102386", first_name: A, last_name: B}]
""", freeze_clock=True)
def test_marker_picks_the_scenario(lefi_sandbox):
    assert lefi_sandbox.admin.scenario()["name"] == "mine"
    assert lefi_sandbox.admin.clock()["frozen"] is True
    lefi_sandbox.admin.advance(days=1)
    assert lefi_sandbox.sandbox.clock.today().isoformat() == "2026-11-03"


def test_zeep_against_the_served_wsdl(lefi_sandbox):
    client = zeep.Client(lefi_sandbox.url + "/ws?wsdl")
    answer = client.service.HamtaFormansinformation(
        generelltfalt={"organisationsnummer": "2120000142", "versionsnummer": "6"},
        informationsfalt={"person": {"personnummer": "198506102386", "fromdatum": "2025-01-01",
                                     "tomdatum": "2026-10-31", "formansforteckning": {"sjukpenning": True}}})
    assert answer is not None


def test_the_answers_were_checked(lefi_sandbox):
    assert ask(lefi_sandbox.url).status_code == 200
    check = requests.get(lefi_sandbox.url + "/health", timeout=10).json()["answer_check"]
    assert check["checked"] >= 1 and check["failures"] == 0


def test_factory_runs_two_sandboxes(lefi_sandbox_factory):
    a, b = lefi_sandbox_factory(), lefi_sandbox_factory()
    assert a.url != b.url
    a.admin.advance(days=2)
    assert a.admin.clock()["today"] != b.admin.clock()["today"]
'''


def test_a_partner_suite_uses_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makeini(CHECKED)
    pytester.makepyfile(test_partner=PARTNER_SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=7)


BROKEN_ANSWERS = """
import pytest, requests
from simulator.protocols import lefi_xml

QUESTION = {question!r}


@pytest.fixture(autouse=True)
def answers_with_an_element_no_xsd_has(monkeypatch):
    render = lefi_xml.render_answer

    def broken(answer):
        return render(answer).replace("</ext:FK.Online.Svar>", "<ext:okand/></ext:FK.Online.Svar>")

    monkeypatch.setattr(lefi_xml, "render_answer", broken)


def test_asks(lefi_sandbox):
    assert requests.post(lefi_sandbox.url + "/ws", data=QUESTION,
                         headers={{"Content-Type": "text/xml"}}, timeout=10).status_code == 200
"""


@pytest.mark.parametrize("checked", [True, False])
def test_an_answer_that_does_not_validate_fails_the_test_when_the_check_is_on(
    pytester: pytest.Pytester, checked: bool
) -> None:
    """On, a test whose sandbox sent an answer the published XSD rejects fails at teardown,
    naming the problem; off (a partner's default), the suite is not the check's business."""
    if checked:
        pytester.makeini(CHECKED)
    pytester.makepyfile(test_partner=BROKEN_ANSWERS.format(question=raw_question()))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    if checked:
        result.assert_outcomes(passed=1, errors=1)
        result.stdout.fnmatch_lines(["*ANSWER CHECK FAILED: FK.Online.Svar in the answer to POST /ws*okand*"])
    else:
        result.assert_outcomes(passed=1)


def test_a_broken_scenario_fails_the_fixture_with_file_and_line(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        broken="name: x\npersons:\n  - personnummer: '198506102387'\n    first_name: A\n    last_name: B\n",
    )
    pytester.makeini("[pytest]\nlefi_scenario = broken.yaml\n")
    pytester.makepyfile(test_partner="def test_it(lefi_sandbox):\n    pass\n")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken.yaml:3: *not a valid personnummer*"])


def test_the_plugin_imports_and_serves_a_partner_suite_with_warnings_as_errors(
    pytester: pytest.Pytester,
) -> None:
    """Partners often run ``-W error``: no DeprecationWarning of ours may fail their suite."""
    imported = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import simulator.pytest_plugin"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.returncode == 0 and imported.stderr == "", imported.stderr
    pytester.makeini(CHECKED)
    pytester.makepyfile(test_partner=PARTNER_SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=7)


def test_a_server_run_with_warnings_as_errors_answers_a_massfraga_job(
    server_factory: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONWARNINGS", "error")  # the server process inherits it
    server = server_factory("--freeze-clock")
    submitted = requests.post(
        f"{server.url}/massfraga/v1/aktorer/{KOMMUN_AKTOR}/jobb",
        json={
            "personnummer": ["198506102386", "198803182388"],
            "period": {"from": "2025-01-01", "tom": "2026-10-31"},
            "formansinformation": ["FK:SJP"],
        },
        timeout=30,
    )
    assert submitted.status_code == 202, submitted.text
    location = submitted.headers["Location"]
    # the background worker answers it (it died at start-up on a DeprecationWarning before)
    done = wait_for(lambda: requests.get(server.url + location, timeout=10).json()["status"] == "klart")
    assert done
    assert "Warning" not in server.log.read_text(errors="replace")


# -- a plugin sandbox is served as `lefi-sim serve` serves (simulator/server/serving.py) --------
@pytest.fixture(scope="module")
def plugin_sandbox() -> Iterator[RunningSandbox]:
    running = start_sandbox(freeze_clock=True, check_answers=True)
    yield running
    running.stop()
    assert running.answer_check is not None and running.answer_check.problems == []


def raw(sandbox: RunningSandbox, data: bytes, half_close: bool = False) -> tuple[int, str, bytes]:
    """One request as bytes on a socket: the status, Content-Type and body of the answer."""
    port = int(sandbox.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(s)
        response.begin()
        return response.status, response.getheader("Content-Type") or "", response.read()


def test_a_request_line_over_8_kib_reaches_its_binding(plugin_sandbox: RunningSandbox) -> None:
    """A 10 000-character aktörsId is REST's to refuse, in its JSON (aiohttp's own limit
    answered a text/plain 400)."""
    path = f"/lefi-extern-formansinformation/v9/aktorer/{'x' * 10000}/formansinformation/fraga"
    status, content_type, body = raw(
        plugin_sandbox,
        f"POST {path} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"
        "Content-Length: 2\r\nConnection: close\r\n\r\n{}".encode(),
    )
    assert (status, content_type.split(";")[0]) == (403, "application/json"), body
    assert b"meddelande" in body


@pytest.mark.parametrize(
    ("path", "media_type", "needle"),
    [("/ws", "text/xml", b"<soap:Fault"), ("/lefi/login", "text/html", b"<!doctype html>")],
)
def test_a_request_aiohttp_cannot_parse_gets_the_addresses_own_error(
    plugin_sandbox: RunningSandbox, path: str, media_type: str, needle: bytes
) -> None:
    """A header line over 8 KiB: a SOAP Fault from the WS binding, the web e-tjänst's error page."""
    method = b"POST" if path == "/ws" else b"GET"
    status, content_type, body = raw(
        plugin_sandbox,
        method + b" " + path.encode() + b" HTTP/1.1\r\nHost: sandbox\r\nContent-Type: text/xml\r\n"
        b"X-Big: " + b"a" * 9000 + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    assert (status, content_type.split(";")[0]) == (400, media_type), body[:300]
    assert needle in body


def test_a_client_that_half_closes_after_its_question_gets_the_answer(plugin_sandbox: RunningSandbox) -> None:
    question = raw_question()
    status, _, body = raw(
        plugin_sandbox,
        b"POST /ws HTTP/1.1\r\nHost: sandbox\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n"
        % len(question)
        + question,
        half_close=True,
    )
    assert status == 200 and b"FK.Online.Svar" in body
