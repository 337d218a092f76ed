"""Resends answered from what was stored are visible: an SHS duplicate (the same tx.id from
the same sender) is journaled and metered as ``replay:<the first outcome>``, so that the
journal count of ``ok`` says the engine answered once, over the admin API and the CLI."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable

import requests
from prometheus_client.parser import text_string_to_metric_families
from support.partner_clients import SHS_MASSFRAGA, fraga, massfraga_xml, post_shs, shs_label
from support.server import ROOT, Server

KRONOFOGDEN = "2021005489"
SARA = "198506102386"


def count(server: Server, **filters: str) -> int:
    r = requests.get(f"{server.url}/_admin/journal/count", params=filters, timeout=10)
    assert r.status_code == 200, r.text
    return int(r.json()["count"])


def requests_metered(server: Server, **labels: str) -> float:
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "lefi_requests_total" and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def admin_count(server: Server, *filters: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "admin", "--url", server.url, "journal", "count", *filters],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_asynchronous_duplicate_is_journaled_as_a_replay(server_factory: Callable[..., Server]) -> None:
    srv = server_factory("--freeze-clock")
    label = shs_label(transfer_type="asynch", tx_id=str(uuid.uuid4()))
    question = fraga(SARA, ["sjukpenning"], org=KRONOFOGDEN).encode()
    first, again, third = (post_shs(srv.url, label, [question]) for _ in range(3))
    assert (first.status_code, again.status_code, third.status_code) == (202, 202, 202)
    assert again.headers["X-shs-duplicatemsg"] == "yes"
    assert count(srv, binding="shs", outcome="ok") == 1  # the engine answered once
    assert count(srv, binding="shs", outcome="replay") == 2
    assert count(srv, binding="shs", outcome="replay:ok", organisation=KRONOFOGDEN) == 2
    entries = requests.get(f"{srv.url}/_admin/journal", params={"binding": "shs"}, timeout=10).json()
    assert [e["outcome"] for e in entries["entries"]] == ["replay:ok", "replay:ok", "ok"]
    assert requests_metered(srv, binding="shs", outcome="ok") == 1
    assert requests_metered(srv, binding="shs", outcome="replay:ok", organisation=KRONOFOGDEN) == 2
    assert admin_count(srv, "--binding", "shs", "--outcome", "ok", "--expect", "1").returncode == 0
    assert admin_count(srv, "--binding", "shs", "--outcome", "replay", "--expect", "2").returncode == 0


def test_a_business_answer_replayed_keeps_its_code(server_factory: Callable[..., Server]) -> None:
    srv = server_factory("--freeze-clock")
    label = shs_label(transfer_type="asynch", tx_id=str(uuid.uuid4()))
    unknown = fraga("198202042399", ["sjukpenning"], org=KRONOFOGDEN).encode()  # code 3
    for _ in range(2):
        assert post_shs(srv.url, label, [unknown]).status_code == 202
    assert count(srv, binding="shs", outcome="business:3") == 1
    assert count(srv, binding="shs", outcome="replay:business:3") == 1


def test_a_massfraga_resent_over_shs_is_journaled_as_a_replay(server_factory: Callable[..., Server]) -> None:
    srv = server_factory("--freeze-clock")
    label = shs_label(
        sender=KRONOFOGDEN, product=SHS_MASSFRAGA, transfer_type="asynch", tx_id=str(uuid.uuid4())
    )
    question = massfraga_xml([SARA], org=KRONOFOGDEN).encode()
    first, again = (post_shs(srv.url, label, [question]) for _ in range(2))
    assert (first.status_code, again.status_code) == (202, 202), first.text
    assert again.headers["X-shs-duplicatemsg"] == "yes"
    assert count(srv, binding="shs", path="/mt", outcome="ok") == 1  # received once
    assert count(srv, binding="shs", path="/mt", outcome="replay:ok") == 1
