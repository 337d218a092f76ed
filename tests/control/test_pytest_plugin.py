"""The pytest plugin as a partner's suite uses it: installed with the package, no
conftest of ours. Each test here runs a small suite in a pytest subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
import requests
from support.rest_client import KOMMUN_AKTOR
from support.server import Server, wait_for

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


def test_factory_runs_two_sandboxes(lefi_sandbox_factory):
    a, b = lefi_sandbox_factory(), lefi_sandbox_factory()
    assert a.url != b.url
    a.admin.advance(days=2)
    assert a.admin.clock()["today"] != b.admin.clock()["today"]
'''


def test_a_partner_suite_uses_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_partner=PARTNER_SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


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
    pytester.makepyfile(test_partner=PARTNER_SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=6)


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
