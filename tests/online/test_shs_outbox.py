"""The SHS delivery service's durable outbox: a massfråga reply, fetched and acknowledged,
is not offered again after kill -9 and a restart on the same data folder; one not yet
acknowledged is offered again once, under the same tx.id. (LEFI Prenumeration's answer
files: tests/test_prenumeration.py.)"""

from __future__ import annotations

import uuid
from pathlib import Path

import requests
from lxml import etree
from support.partner_clients import KRONOFOGDEN, SHS_MASSFRAGA, post_shs_massfraga, shs_outbox_reply
from support.server import Server, start_server, stop_server

CLOCK = ("--clock", "2026-11-02T09:00:00+01:00", "--freeze-clock")


def _listed(url: str, noack: bool) -> list[str]:
    params = {"producttype": SHS_MASSFRAGA, **({"filter": "noack"} if noack else {})}
    listing = requests.get(f"{url}/shs/ds/{KRONOFOGDEN}", params=params, timeout=10)
    assert listing.status_code == 200, listing.text
    return [str(m.get("tx.id")) for m in etree.fromstring(listing.content).iterfind("message")]


def _restart(tmp_path: Path, srv: Server) -> Server:
    srv.process.kill()  # SIGKILL
    srv.process.wait(timeout=10)
    return start_server(tmp_path, "--data-dir", str(tmp_path / "data"), *CLOCK)


def test_a_massfraga_reply_acknowledged_stays_acknowledged_after_kill_9(tmp_path: Path) -> None:
    srv = start_server(tmp_path, "--data-dir", str(tmp_path / "data"), *CLOCK)
    try:
        assert (
            post_shs_massfraga(srv.url, ["198506102386", "198803182388"], str(uuid.uuid4())).status_code
            == 202
        )
        reply_tx, _ = shs_outbox_reply(srv.url, "")
        srv = _restart(tmp_path, srv)
        assert _listed(srv.url, noack=True) == [reply_tx]  # still there, once, the same message
        assert (
            requests.post(
                f"{srv.url}/shs/ds/{KRONOFOGDEN}/{reply_tx}", params={"action": "ack"}, timeout=10
            ).status_code
            == 200
        )
        assert (
            requests.get(f"{srv.url}/_admin/massfraga/jobb", timeout=10).json()["jobb"] == []
        )  # the job ended
        srv = _restart(tmp_path, srv)
        assert _listed(srv.url, noack=True) == [] and _listed(srv.url, noack=False) == [reply_tx]
    finally:
        stop_server(srv)
