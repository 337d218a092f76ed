"""The admin API's reset goes through the service registry: besides the durable state it
clears every service's in-memory stores — the SSEK resend store, the SHS online outbox, the
answer cache — so that what was asked before the reset is answered anew after it."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import requests
from aiohttp.test_utils import TestClient, TestServer
from support.lefi import raw_question
from support.partner_clients import (
    fraga,
    post_shs,
    post_soap,
    shs_label,
    soap_envelope,
    ssek_answer,
    ssek_header,
)
from support.server import DEFAULT_SCENARIO, Server

from simulator.protocols.answer_check import ANSWER_CHECK
from simulator.runtime.registry import REGISTRY
from simulator.runtime.sandbox import SANDBOX
from simulator.scenario.loader import load_scenario
from simulator.server.app import create_app

SARA = "198506102386"
KRONOFOGDEN = "2021005489"  # SHS, synch and asynch


def _reset(srv: Server) -> None:
    assert requests.post(f"{srv.url}/_admin/scenario/reset", timeout=10).status_code == 200


def _ask_ssek(srv: Server, tx_id: str, personnummer: str, benefit: str) -> requests.Response:
    return post_soap(srv.url, soap_envelope(fraga(personnummer, [benefit]), ssek_header(tx_id=tx_id)))


def test_a_tx_id_used_before_the_reset_is_a_new_transaction_after_it(server: Server) -> None:
    tx_id = str(uuid.uuid4())
    assert ssek_answer(_ask_ssek(server, tx_id, SARA, "sjukpenning")).status == 0
    refused = _ask_ssek(server, tx_id, "193602199188", "pension")  # the resend store knows the TxId
    assert refused.status_code == 500 and "TxIdInvalid" in refused.text
    _reset(server)
    # the store was cleared: the same TxId with another question is answered, not refused
    assert ssek_answer(_ask_ssek(server, tx_id, "193602199188", "pension")).status == 0


def test_an_asynchronous_shs_question_before_the_reset_is_no_duplicate_after_it(server: Server) -> None:
    tx_id = str(uuid.uuid4())
    label = shs_label(sender=KRONOFOGDEN, transfer_type="asynch", tx_id=tx_id)
    data = [fraga(SARA, ["sjukpenning"], org=KRONOFOGDEN).encode()]
    first, again = post_shs(server.url, label, data), post_shs(server.url, label, data)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.headers["X-shs-duplicatemsg"] == "yes"
    _reset(server)
    after = post_shs(server.url, label, data)
    assert after.status_code == 202 and "X-shs-duplicatemsg" not in after.headers
    listed = requests.get(f"{server.url}/shs/ds/{KRONOFOGDEN}", timeout=10)
    assert listed.status_code == 200 and listed.text.count("<message ") == 1  # only the one asked after


def test_reset_clears_the_answer_cache_and_every_registered_store(tmp_path: Path) -> None:
    app = create_app(load_scenario(DEFAULT_SCENARIO), data_dir=tmp_path, check_answers=True)
    registry = app[REGISTRY]
    assert set(registry.names()) == {"answers", "ssek", "shs", "prenumeration", "massfraga", "leka"}

    async def run() -> tuple[int, int]:
        async with TestClient(TestServer(app)) as client:
            asked = await client.post(
                "/ws", data=raw_question(), headers={"Content-Type": "text/xml; charset=utf-8"}
            )
            assert asked.status == 200
            cached = len(app[SANDBOX].answers)
            assert (await client.post("/_admin/scenario/reset")).status == 200
            return cached, len(app[SANDBOX].answers)

    assert asyncio.run(run()) == (1, 0)
    assert (app[ANSWER_CHECK].checked, app[ANSWER_CHECK].problems) == (1, [])  # as every test server
