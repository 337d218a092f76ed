"""The answer cache (simulator/runtime/answer_cache.py) as a partner sees it: a WS question asked
again byte for byte gets the same answer, and still passes the SLA gate, the fault rules
and the journal; a new scenario or another day is answered anew."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import requests
from lxml import etree
from support.lefi import ask_raw, raw_question
from support.server import DEFAULT_SCENARIO, NS, Server

QUESTION = raw_question("198506102386", ("sjukpenning", "utbetalning", "generellPersonInformation"))


def _text(response: requests.Response, name: str) -> str | None:
    return etree.fromstring(response.content).findtext(f".//{{{NS}}}{name}")


def test_a_repeated_question_gets_the_same_answer_and_is_journalled_each_time(
    server_factory: Callable[..., Server],
) -> None:
    srv = server_factory("--freeze-clock")
    first, second = ask_raw(srv.url, QUESTION), ask_raw(srv.url, QUESTION)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert _text(second, "kod") == "0"
    entries = requests.get(f"{srv.url}/_admin/journal", params={"binding": "ws"}, timeout=5).json()["entries"]
    assert len(entries) == 2
    assert all(
        e["organisation"] == "2120000142" and e["personnummer"] == "198506102386" and e["outcome"] == "ok"
        for e in entries
    ), entries
    metrics = requests.get(f"{srv.url}/metrics", timeout=5).text
    assert 'lefi_requests_total{binding="ws",organisation="2120000142",outcome="ok"} 2.0' in metrics


def test_fault_rules_apply_to_a_repeated_question(server_factory: Callable[..., Server]) -> None:
    srv = server_factory("--freeze-clock")
    assert ask_raw(srv.url, QUESTION).status_code == 200
    rule = {
        "id": "kuf",
        "kind": "technical_error",
        "technical_error": "ANROP_MOT_KUF_MISSLYCKADES",
        "personnummer": "198506102386",
        "times": 1,
    }
    assert requests.post(f"{srv.url}/_admin/faults", json=rule, timeout=5).ok
    failed = ask_raw(srv.url, QUESTION)
    assert failed.status_code == 500 and b"ANROP_MOT_KUF_MISSLYCKADES" in failed.content
    assert ask_raw(srv.url, QUESTION).status_code == 200  # the rule fired its one time
    assert (
        requests.get(f"{srv.url}/_admin/journal/count", params={"fault_rule": "kuf"}, timeout=5).json()[
            "count"
        ]
        == 1
    )


def test_the_sla_gate_sees_a_repeated_question(server_factory: Callable[..., Server]) -> None:
    srv = server_factory("--freeze-clock", "--sla-mode", "reject")
    assert ask_raw(srv.url, QUESTION).status_code == 200
    refused = ask_raw(srv.url, QUESTION)  # the same instant: within the 300 ms gap
    assert refused.status_code == 500 and b"min_gap" in refused.content
    assert "Retry-After" in refused.headers


def test_the_clock_and_the_scenario_are_read_anew(
    server_factory: Callable[..., Server], tmp_path: Path
) -> None:
    srv = server_factory("--freeze-clock")
    first = ask_raw(srv.url, QUESTION)
    assert _text(first, "skapades") == "2026-11-02T09:00:00+01:00"
    # later the same day: the same answer, created now
    requests.put(
        f"{srv.url}/_admin/clock", json={"now": "2026-11-02T15:30:00", "frozen": True}, timeout=5
    ).raise_for_status()
    later = ask_raw(srv.url, QUESTION)
    assert _text(later, "skapades") == "2026-11-02T15:30:00+01:00"
    assert later.content.replace(b"15:30:00", b"09:00:00") == first.content
    # a scenario in which the person is missing: answered from the new scenario (code 3)
    text = DEFAULT_SCENARIO.read_text(encoding="utf-8").replace(
        'personnummer: "198506102386"', 'personnummer: "198506102386"\n    missing: true', 1
    )
    response = requests.put(
        f"{srv.url}/_admin/scenario",
        data=text.encode(),
        params={"keep_clock": "true"},
        headers={"Content-Type": "application/yaml"},
        timeout=30,
    )
    assert response.ok, response.text
    assert _text(ask_raw(srv.url, QUESTION), "kod") == "3"
