"""LEFI Prenumeration: orders in over the file drop, HTTP and SHS; the batch by the
simulator clock; answer files that validate against the answer schema 2.0.4."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import requests
import yaml
from lxml import etree
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from support.partner_clients import post_shs, shs_error, shs_label, shs_reply
from support.prenumeration_client import (
    ORDER_SCHEMA,
    SVAR_SCHEMA,
    Drop,
    folder,
    order,
    parse_answer,
    q,
    set_clock,
    settle,
)
from support.server import ROOT, SCHEMAS, Server, start_server, stop_server, wait_for

from simulator.domain.benefits import keys_for_version
from simulator.domain.versions import CURRENT
from simulator.scenario.models import Population
from simulator.scenario.population import GeneratedPopulation

SCENARIO = ROOT / "tests" / "scenarios" / "prenumeration.yaml"
TRYGGHET, PM, KFM, KOMMUN = "5566778899", "2021005299", "2021005489", "2120000142"
SARA, FATIMA, NILS = "198506102386", "198803182388", "194507167072"
PRODUCT = "2ea96132-1846-4afe-b965-29a018456fce"
SARA_ORDER = {
    SARA: {
        "sjukpenning": "2024-01-01",
        "utbetalning": "2025-01-01",
        "generellPersonInformation": "2024-01-01",
    }
}


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., tuple[Server, Path]]]:
    started: list[Server] = []

    def make(*args: str, data: Path | None = None) -> tuple[Server, Path]:
        data = data or tmp_path / "data"
        srv = start_server(tmp_path, "--data-dir", str(data), *args, scenario=SCENARIO)
        started.append(srv)
        return srv, data

    yield make
    for srv in started:
        stop_server(srv)


def test_schemas_list_the_catalogue_and_validate_our_own_order() -> None:
    xsd = etree.parse(str(SCHEMAS / "prenumeration-bestallning.xsd"))
    enum = xsd.xpath(
        "//xs:simpleType[@name='BestallningFormanTyp']//xs:enumeration/@value",
        namespaces={"xs": "http://www.w3.org/2001/XMLSchema"},
    )
    assert tuple(enum) == keys_for_version(CURRENT)
    assert ORDER_SCHEMA.validate(etree.fromstring(order(TRYGGHET, SARA_ORDER, {FATIMA: []}, [])))


def test_monday_1700_is_answered_tuesday_morning_with_the_history(
    start: Callable[..., tuple[Server, Path]],
) -> None:
    srv, _ = start()
    drop = Drop(srv.url, TRYGGHET)
    set_clock(srv.url, "2026-11-02T17:00:00+01:00")
    receipt = drop.send(order(TRYGGHET, SARA_ORDER))
    assert receipt.status_code == 202, receipt.text
    assert (
        receipt.json()["intagsdag"] == "2026-11-02" and receipt.json()["besvaras"] == "2026-11-03T07:00+01:00"
    )
    set_clock(srv.url, "2026-11-03T06:59:00+01:00")  # the batch has run at 01:00; files come at 07:00
    settle()
    assert drop.names() == []
    set_clock(srv.url, "2026-11-03T07:00:00+01:00")
    [name] = drop.wait_for(1)
    [answer] = drop.answers()
    assert (
        answer.upto == "20261102" and answer.count("antalPoster") == 1 and answer.count("antalAndringar") == 0
    )
    [record] = answer.records(SARA)
    assert (
        record.findtext(q("leveranstyp")) == "FORSTA" and record.findtext(f"{q('status')}/{q('kod')}") == "0"
    )
    info = record.find(q("formansinformation"))
    # the history from the ordered date: the case closed 2025-01-10 and the one still running
    cases = info.findall(f"{q('sjukpenning')}/{q('sjpArende')}")
    assert [c.findtext(f"{q('period')}/{q('from')}") for c in cases] == ["20241012", "20250401"]
    payments = [p.findtext(q("utbetalningsdatum")) for p in info.findall(f"{q('utbetalning')}/{q('period')}")]
    # ordered from 2025-01-01, but payments reach 18 months back (meddelande 2 says so), and
    # Tuesday's payment lies after the cut-off
    assert payments == ["20261023"] and info.findtext(f"{q('utbetalning')}/{q('meddelande')}") == "2"
    assert record.findtext(f"{q('personuppgifter')}/{q('aviseringsnamn')}") == "Sjöberg Sara"
    assert answer.count("antalFormaner") == 3
    assert name == "LEFI-PREN-5566778899-20261102-000001.xml"


def test_wednesday_1745_is_taken_in_thursday_morning(start: Callable[..., tuple[Server, Path]]) -> None:
    """17:45 is after the intake closes: the file waits for Thursday's intake, and is
    answered on Friday morning (files in before 17:30 are answered the next day)."""
    srv, data = start()
    drop = Drop(srv.url, TRYGGHET)
    set_clock(srv.url, "2026-11-04T17:45:00+01:00")
    (folder(data, TRYGGHET, "in") / "bestallning-1.xml").write_bytes(order(TRYGGHET, SARA_ORDER))
    settle(1.5)
    [kept] = drop.orders()
    assert (
        kept["fil"] == "bestallning-1.xml" and kept["kanal"] == "file" and kept["intagsdag"] == "2026-11-05"
    )
    assert list(folder(data, TRYGGHET, "in").iterdir()) == []  # taken from in/ once kept
    set_clock(srv.url, "2026-11-05T09:00:00+01:00")
    settle()
    assert drop.names() == []  # Thursday morning: taken in, not yet answered
    set_clock(srv.url, "2026-11-06T07:00:00+01:00")
    drop.wait_for(1)
    [answer] = drop.answers()
    assert answer.upto == "20261105" and answer.records(SARA)[0].findtext(q("leveranstyp")) == "FORSTA"
    assert drop.orders()[0]["besvarad"] == "2026-11-06"


def test_later_files_hold_exactly_the_changes_and_an_empty_day_still_has_start_and_end(
    start: Callable[..., tuple[Server, Path]],
) -> None:
    srv, _ = start()
    drop = Drop(srv.url, TRYGGHET)
    assert (
        drop.send(
            order(
                TRYGGHET, {**SARA_ORDER, FATIMA: {"sjukpenning": "2026-01-01", "utbetalning": "2026-01-01"}}
            )
        ).status_code
        == 202
    )
    set_clock(srv.url, "2026-11-07T07:30:00+01:00")  # Saturday: the batches of Tue, Wed, Thu, Fri and Sat
    drop.wait_for(5)
    first, tue, wed, thu, fri = drop.answers()
    assert [a.upto for a in (first, tue, wed, thu, fri)] == [
        "20261102",
        "20261103",
        "20261104",
        "20261105",
        "20261106",
    ]
    assert first.count("antalPoster") == 2 and first.changes() == []
    # each later file: exactly that day's events the subscriber may see; Fatima's
    # föräldrapenning and tillfällig föräldrapenning are outside Trygghet's agreement
    assert tue.changes() == [(SARA, "20261103", "UTBETALNING", "utbetalning")]
    assert wed.changes() == [(SARA, "20261104", "ARENDE_AVSLUTAS", "sjukpenning")]
    assert thu.changes() == [
        (SARA, "20261105", "FLYTTNING", None),
        (SARA, "20261105", "ARENDE_STARTAR", "sjukpenning"),
    ]
    ended = wed.records(SARA)[0].find(
        f"{q('andring')}/{q('formansinformation')}/{q('sjukpenning')}/{q('sjpArende')}"
    )
    assert ended.findtext(q("arendestatus")) == "9"
    moved = thu.records(SARA)[0].find(f"{q('andring')}/{q('personuppgifter')}")
    assert moved.findtext(f"{q('folkbokforingsadress')}/{q('postort')}") == "Stockholm"
    # nothing happened on Friday: the file holds only the start and end records, all counts zero
    assert fri.records() == [] and [
        fri.count(n) for n in ("antalPoster", "antalFormaner", "antalAndringar")
    ] == [0, 0, 0]
    assert [s["levereradTom"] for s in drop.subscriptions()] == ["2026-11-06", "2026-11-06"]
    # the timeline as seen by the online question agrees: Sara moved on Thursday
    assert Drop(srv.url, KOMMUN).send(order(KOMMUN, SARA_ORDER)).status_code == 403


def test_a_cancelled_subscription_stops(start: Callable[..., tuple[Server, Path]]) -> None:
    srv, _ = start()
    drop = Drop(srv.url, TRYGGHET)
    drop.send(order(TRYGGHET, SARA_ORDER))
    set_clock(srv.url, "2026-11-03T10:00:00+01:00")
    drop.wait_for(1)
    assert drop.send(order(TRYGGHET, cancel={SARA: []})).status_code == 202
    set_clock(srv.url, "2026-11-04T07:00:00+01:00")
    drop.wait_for(2)  # Wednesday's file answers the cancellation: nothing more about Sara
    assert drop.answers()[1].records() == [] and drop.answers()[1].count("antalPoster") == 0
    assert drop.subscriptions()[0]["aktiv"] is False
    set_clock(srv.url, "2026-11-07T08:00:00+01:00")
    settle(1.5)
    assert len(drop.names()) == 2  # no subscription, no orders: no more files


def test_cancelling_one_benefit_keeps_the_rest(start: Callable[..., tuple[Server, Path]]) -> None:
    srv, _ = start()
    drop = Drop(srv.url, TRYGGHET)
    drop.send(order(TRYGGHET, SARA_ORDER))
    set_clock(srv.url, "2026-11-03T10:00:00+01:00")
    drop.wait_for(1)
    drop.send(order(TRYGGHET, cancel={SARA: ["utbetalning"]}))
    set_clock(srv.url, "2026-11-06T07:00:00+01:00")
    drop.wait_for(4)
    changes = [c for a in drop.answers() for c in a.changes()]
    assert (SARA, "20261103", "UTBETALNING", "utbetalning") not in changes
    assert (SARA, "20261104", "ARENDE_AVSLUTAS", "sjukpenning") in changes
    assert set(drop.subscriptions()[0]["formaner"]) == {"sjukpenning", "generellPersonInformation"}


def test_a_death_reaches_only_a_subscriber_to_personal_details(
    start: Callable[..., tuple[Server, Path]],
) -> None:
    """The rule LEKA follows too (simulator/engine/visibility.py): Nils dies on 2026-11-10; the
    date of death is a personal detail, which the onlinefråga shows only with
    generellPersonInformation — an insurer subscribed to his sjukpenning alone is not told,
    Pensionsmyndigheten subscribed to his personal details is."""
    srv, _ = start()
    sickness, details = Drop(srv.url, TRYGGHET), Drop(srv.url, PM)
    assert sickness.send(order(TRYGGHET, {NILS: {"sjukpenning": "2026-01-01"}})).status_code == 202
    assert details.send(order(PM, {NILS: {"generellPersonInformation": "2026-01-01"}})).status_code == 202
    set_clock(srv.url, "2026-11-11T07:00:00+01:00")  # Wednesday: the files up to Tuesday the 10th
    for drop in (sickness, details):
        wait_for(lambda drop=drop: any(a.upto == "20261110" for a in drop.answers()))
    assert [c for a in sickness.answers() for c in a.changes()] == []
    assert [c for a in details.answers() for c in a.changes()] == [(NILS, "20261110", "AVLIDEN", None)]


def test_each_organisation_numbers_its_files_from_1_and_again_after_a_reset(
    start: Callable[..., tuple[Server, Path]],
) -> None:
    """``leveransnummer`` is per organisation (the kill -9 test in test_prenumeration_crash.py
    shows it gapless across crashes); the admin API's reset starts every organisation anew."""
    srv, _ = start()
    orders = {TRYGGHET: SARA_ORDER, PM: {NILS: {"generellPersonInformation": "2026-01-01"}}}

    def numbers() -> dict[str, list[str]]:
        return {
            org: [
                a.root.findtext(f"{q('startpost')}/{q('leveransnummer')}") or ""
                for a in Drop(srv.url, org).answers()
            ]
            for org in orders
        }

    for _ in range(2):
        for org, wanted in orders.items():
            assert Drop(srv.url, org).send(order(org, wanted)).status_code == 202
        for _ in range(2):
            assert requests.post(f"{srv.url}/_admin/prenumeration/batch", timeout=30).status_code == 200
        assert numbers() == {TRYGGHET: ["1", "2"], PM: ["1", "2"]}
        assert requests.post(f"{srv.url}/_admin/scenario/reset", timeout=10).status_code == 200
        assert numbers() == {TRYGGHET: [], PM: []}


def test_a_full_refresh_resends_everything(start: Callable[..., tuple[Server, Path]]) -> None:
    srv, _ = start()
    drop = Drop(srv.url, TRYGGHET)
    drop.send(order(TRYGGHET, SARA_ORDER))
    set_clock(srv.url, "2026-11-04T10:00:00+01:00")  # Tuesday's and Wednesday's files
    drop.wait_for(2)
    assert drop.send(order(TRYGGHET, refresh=[])).status_code == 202
    set_clock(srv.url, "2026-11-05T07:00:00+01:00")
    drop.wait_for(3)
    first, _, refresh = drop.answers()
    [record] = refresh.records(SARA)
    assert record.findtext(q("leveranstyp")) == "HELUPPDATERING" and refresh.changes() == []
    info = record.find(q("formansinformation"))
    assert len(info.findall(f"{q('sjukpenning')}/{q('sjpArende')}")) == 2
    # everything again, as it stands now: the first file's payments and Tuesday's
    paid = [p.findtext(q("utbetalningsdatum")) for p in info.findall(f"{q('utbetalning')}/{q('period')}")]
    assert paid == ["20261023", "20261103"]
    ended = info.findall(f"{q('sjukpenning')}/{q('sjpArende')}")[1]
    assert ended.findtext(q("arendestatus")) == "9"  # ended on Wednesday
    assert first.records(SARA)[0].find(q("formansinformation")) is not None


@pytest.mark.parametrize(
    ("ordered", "not_yet", "answered"),
    [
        # Kristi himmelsfärdsdag, Thursday 2026-05-14: Wednesday's order is answered on Friday
        ("2026-05-13T10:00:00+02:00", "2026-05-14T09:00:00+02:00", "2026-05-15T07:00:00+02:00"),
        # Midsommarafton (de facto holiday) and Midsommardagen: Thursday's order waits until Tuesday
        ("2026-06-18T16:00:00+02:00", "2026-06-22T09:00:00+02:00", "2026-06-23T07:00:00+02:00"),
    ],
)
def test_holidays_shift_the_batch(
    start: Callable[..., tuple[Server, Path]], ordered: str, not_yet: str, answered: str
) -> None:
    srv, _ = start("--clock", ordered, "--freeze-clock")
    drop = Drop(srv.url, TRYGGHET)
    receipt = drop.send(order(TRYGGHET, {SARA: {"sjukpenning": "2026-01-01"}})).json()
    assert receipt["besvaras"] == answered[:16] + answered[19:]
    set_clock(srv.url, not_yet)
    settle()
    assert drop.names() == []
    set_clock(srv.url, answered)
    drop.wait_for(1)


def test_orders_refused_with_an_error_file_naming_line_and_reason(
    start: Callable[..., tuple[Server, Path]],
) -> None:
    srv, data = start()
    drop = Drop(srv.url, TRYGGHET)
    bad = order(
        TRYGGHET,
        {
            SARA: {"sjukpenning": "2024-01-01", "foraldrapenning": "2024-01-01"},
            "198506102387": {"sjukpenning": "2024-01-01"},
        },
    )
    (folder(data, TRYGGHET, "in") / "fel.xml").write_bytes(bad)
    (folder(data, TRYGGHET, "in") / "gammal.xml").write_bytes(order(TRYGGHET, SARA_ORDER, version="2.0.3"))
    (folder(data, TRYGGHET, "in") / "trasig.xml").write_bytes(
        order(TRYGGHET, SARA_ORDER).replace(b"<ext:nyPrenumeration>", b"<ext:nyPrenumeration><ext:okand/>")
    )
    errors = drop.wait_for(3, prefix="FEL-")
    files = {n.split("-")[1]: etree.fromstring(drop.fetch(n)) for n in errors}
    for root in files.values():
        assert SVAR_SCHEMA.validate(root), SVAR_SCHEMA.error_log
    fel = [(f.findtext(q("rad")), f.findtext(q("meddelande"))) for f in files["fel"].findall(q("fel"))]
    assert fel == [
        ("7", "förmånen foraldrapenning ingår inte i organisationens avtal"),
        ("9", "personnummer '198506102387': wrong check digit 7, expected 6"),
    ]
    [(_, old)] = [
        (f.findtext(q("rad")), f.findtext(q("meddelande"))) for f in files["gammal"].findall(q("fel"))
    ]
    assert "2.0.3" in old and "2.0.4" in old
    [broken] = files["trasig"].findall(q("fel"))
    assert broken.findtext(q("rad")) == "4" and "okand" in broken.findtext(q("meddelande"))
    assert drop.orders() == [] and list(folder(data, TRYGGHET, "in").iterdir()) == []
    # over HTTP the same error document is the answer
    refused = drop.send(bad)
    assert refused.status_code == 400 and SVAR_SCHEMA.validate(etree.fromstring(refused.content))
    assert drop.send(b"<not xml").status_code == 400
    assert (
        requests.post(
            f"{srv.url}/prenumeration/{TRYGGHET}/bestallningar",
            data=b"x",
            headers={"Content-Type": "application/json"},
            timeout=10,
        ).status_code
        == 415
    )
    # not the sender's own orgnummer
    other = drop.send(order(PM, SARA_ORDER))
    assert other.status_code == 400 and b"5566778899" in other.content
    # who may order, and in which version
    assert requests.get(f"{srv.url}/prenumeration/{KOMMUN}/svar", timeout=10).status_code == 403
    assert requests.get(f"{srv.url}/prenumeration/5560001116/svar", timeout=10).status_code == 404
    assert requests.get(f"{srv.url}/prenumeration/12345/svar", timeout=10).status_code == 404
    old_version = requests.get(
        f"{srv.url}/prenumeration/{TRYGGHET}/svar", params={"version": "2.0.3"}, timeout=10
    )
    assert old_version.status_code == 400 and "2.0.4" in old_version.json()["error"]
    assert requests.get(f"{srv.url}/prenumeration/{TRYGGHET}/svar/..%2Fin", timeout=10).status_code == 404
    assert srv.alive()


def test_a_file_dropped_twice_is_two_orders_answered_by_the_admin_batch(
    start: Callable[..., tuple[Server, Path]],
) -> None:
    srv, data = start()
    drop = Drop(srv.url, TRYGGHET)
    (folder(data, TRYGGHET, "in") / "b.xml").write_bytes(order(TRYGGHET, SARA_ORDER))
    settle(1.5)
    (folder(data, TRYGGHET, "in") / "b.xml").write_bytes(order(TRYGGHET, SARA_ORDER))  # the same file again
    settle(1.5)
    assert len(drop.orders()) == 2  # dropped twice on purpose: two orders
    spec = OpenAPI.from_dict(yaml.safe_load((SCHEMAS / "admin-openapi.yaml").read_text(encoding="utf-8")))
    response = requests.post(f"{srv.url}/_admin/prenumeration/batch", timeout=30)
    spec.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))
    body = response.json()
    assert body["avserTom"] == "2026-11-02" and body["files"] == drop.names()
    [answer] = drop.answers()
    assert answer.count("antalPoster") == 1 and answer.records(SARA)[0].findtext(q("leveranstyp")) == "FORSTA"
    # the CLI runs the same batch: nothing new has happened, an empty file
    cli = subprocess.run(
        [sys.executable, "-m", "simulator", "admin", "--url", srv.url, "prenumeration", "batch"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    assert len(drop.names()) == 2 and drop.answers()[1].count("antalPoster") == 0
    # the admin API's reset forgets orders, subscriptions and files
    assert requests.post(f"{srv.url}/_admin/scenario/reset", timeout=30).status_code == 200
    assert drop.orders() == [] and drop.subscriptions() == [] and drop.names() == []


def _send_shs(url: str, sender: str, body: bytes, **label: str) -> requests.Response:
    return post_shs(
        url, shs_label(sender=sender, product=PRODUCT, datapart_type="bestallning", **label), [body]
    )


def test_orders_and_answer_files_over_shs(start: Callable[..., tuple[Server, Path]]) -> None:
    srv, data = start()
    tx = str(uuid.uuid4())
    body = order(PM, {NILS: {"generellPersonInformation": "2026-01-01", "pension": "2020-01-01"}})
    first = _send_shs(srv.url, PM, body, tx_id=tx, transfer_type="asynch")
    assert first.status_code == 202 and first.text == tx, first.text
    again = _send_shs(srv.url, PM, body, tx_id=tx, transfer_type="asynch")
    assert again.status_code == 202 and again.headers["X-shs-duplicatemsg"] == "yes"
    assert len(Drop(srv.url, PM).orders()) == 1
    # the duplicate is journaled as a replay: one order taken, one answered again
    journal = requests.get(f"{srv.url}/_admin/journal", params={"organisation": PM}, timeout=10).json()
    outcomes = sorted(e["outcome"] for e in journal["entries"] if e["binding"] == "shs")
    assert outcomes == ["ok", "replay:ok"], outcomes
    assert shs_error(_send_shs(srv.url, PM, body, transfer_type="synch"))[0] == "MissingAgreement"
    no_agreement = _send_shs(
        srv.url, KFM, order(KFM, {NILS: {"pension": "2020-01-01"}}), transfer_type="asynch"
    )
    assert shs_error(no_agreement)[0] == "MissingAgreement"
    invalid = _send_shs(
        srv.url, PM, order(PM, {NILS: {"pension": "2020-01-01"}}, version="1.3.8"), transfer_type="asynch"
    )
    code, error = shs_error(invalid)
    assert code == "IllegalMessageStructure" and "2.0.4" in error.get("errorinfo")
    set_clock(srv.url, "2026-11-03T07:00:00+01:00")
    [name] = Drop(srv.url, PM).wait_for(1)
    listed = etree.fromstring(
        requests.get(f"{srv.url}/shs/ds/{PM}", params={"producttype": PRODUCT}, timeout=10).content
    ).findall("message")
    assert len(listed) == 1 and listed[0].find("data").get("filename") == name
    fetched = requests.get(f"{srv.url}/shs/ds/{PM}/{listed[0].get('tx.id')}", timeout=10)
    message = shs_reply(fetched)
    assert message.urn("product") == f"urn:X-shs:{PRODUCT}" and message.attr("transfer-type") == "asynch"
    answer = parse_answer(name, message.parts[0][1])
    assert answer.records(NILS)[0].findtext(q("leveranstyp")) == "FORSTA"
    # the outbox is durable: a restarted server lists the same message, same tx.id
    srv.process.terminate()
    srv.process.wait(timeout=10)
    again, _ = start("--clock", "2026-11-03T08:00:00+01:00", "--freeze-clock", data=data)
    time.sleep(1)
    relisted = etree.fromstring(
        requests.get(f"{again.url}/shs/ds/{PM}", params={"producttype": PRODUCT}, timeout=10).content
    ).findall("message")
    assert [m.get("tx.id") for m in relisted] == [listed[0].get("tx.id")]


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_subscriptions_survive_a_restart(
    start: Callable[..., tuple[Server, Path]], store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Orders, subscriptions and deliveries outlive the process, in SQLite under --data-dir
    and in Redis with --redis."""
    args: list[str] = []
    if store == "redis":
        url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        args = ["--redis", url]
    srv, data = start(*args)
    drop = Drop(srv.url, TRYGGHET)
    assert drop.send(order(TRYGGHET, SARA_ORDER)).status_code == 202
    set_clock(srv.url, "2026-11-03T07:00:00+01:00")
    drop.wait_for(1)
    srv.process.terminate()
    srv.process.wait(timeout=10)
    again, _ = start(*args, "--clock", "2026-11-04T07:00:00+01:00", "--freeze-clock", data=data)
    drop = Drop(again.url, TRYGGHET)
    drop.wait_for(2)  # Wednesday's batch: the subscription was kept, only the changes come
    assert drop.answers()[1].changes() == [(SARA, "20261103", "UTBETALNING", "utbetalning")]
    assert len(drop.orders()) == 1 and drop.subscriptions()[0]["levereradTom"] == "2026-11-03"


def test_an_unreachable_store_is_a_503_and_the_server_goes_on(
    start: Callable[..., tuple[Server, Path]],
) -> None:
    srv, _ = start("--redis", "redis://127.0.0.1:9/0")  # nothing listens there
    drop = Drop(srv.url, TRYGGHET)
    refused = drop.send(order(TRYGGHET, SARA_ORDER))
    assert refused.status_code == 503 and "durable store" in refused.json()["error"]
    assert (
        _send_shs(
            srv.url, PM, order(PM, {NILS: {"pension": "2020-01-01"}}), transfer_type="asynch"
        ).status_code
        == 503
    )
    settle()
    assert srv.alive() and "prenumeration: ConnectionError" in srv.log.read_text()


def test_bad_names_in_the_folder_stop_nothing(start: Callable[..., tuple[Server, Path]]) -> None:
    """A name in Latin-1 bytes (an SMB/Windows client), a refused file whose name holds a
    control character, and a good file after them: each handled, the intake goes on, and
    the server logs no traceback (stop_server checks)."""
    srv, data = start()
    drop = Drop(srv.url, TRYGGHET)
    inbox = os.fsencode(folder(data, TRYGGHET, "in"))
    settle(0.5)
    (Path(os.fsdecode(inbox + b"/best\xe4llning.xml"))).write_bytes(order(TRYGGHET, SARA_ORDER))
    Path(os.fsdecode(inbox + b"/fel\x01namn.xml")).write_bytes(b"<inte en best\xc3\xa4llning/>")
    [error_file] = drop.wait_for(1, prefix="FEL-")
    assert error_file.startswith("FEL-fel_namn-")
    error = etree.fromstring(drop.fetch(error_file))
    assert error.findtext(q("fil")) == "fel_namn.xml"
    assert [o["fil"] for o in drop.orders()] == ["beställning.xml"]
    (folder(data, TRYGGHET, "in") / "sedan.xml").write_bytes(
        order(TRYGGHET, {FATIMA: {"sjukpenning": "2024-01-01"}})
    )
    deadline = time.monotonic() + 10
    while len(drop.orders()) < 2:
        assert time.monotonic() < deadline, "the intake stopped after the bad files"
        time.sleep(0.1)
    assert os.listdir(inbox) == []
    # over HTTP: a control character in filnamn and a refused order: the error file, not a 500
    refused = requests.post(
        f"{drop.base}/bestallningar?filnamn=a%01b.xml",
        data=b"<x/>",
        headers={"Content-Type": "text/xml"},
        timeout=10,
    )
    assert refused.status_code == 400, refused.text
    assert etree.fromstring(refused.content).findtext(q("fil")) == "a_b.xml"
    taken = requests.post(
        f"{drop.base}/bestallningar?filnamn=%ED%A0%80%01.xml",
        data=order(TRYGGHET, SARA_ORDER),
        headers={"Content-Type": "text/xml"},
        timeout=10,
    )
    assert taken.status_code == 202, taken.text
    settle(0.5)
    assert srv.alive() and "Traceback" not in srv.log.read_text(errors="replace")


def test_a_receipt_after_the_clock_went_back_names_the_day_it_is_answered(
    start: Callable[..., tuple[Server, Path]],
) -> None:
    """The batches ran up to Friday; the clock moved back to Monday: the next batch is still
    Saturday's, and the receipt says so (not "Tuesday 07:00")."""
    srv, _ = start()
    drop = Drop(srv.url, TRYGGHET)
    set_clock(srv.url, "2026-11-06T07:30:00+01:00")
    settle()
    set_clock(srv.url, "2026-11-02T10:00:00+01:00")
    receipt = drop.send(order(TRYGGHET, SARA_ORDER)).json()
    assert receipt["intagsdag"] == "2026-11-02" and receipt["besvaras"] == "2026-11-07T07:00+01:00"
    set_clock(srv.url, "2026-11-06T23:00:00+01:00")
    settle()
    assert drop.names() == []
    set_clock(srv.url, "2026-11-07T07:00:00+01:00")
    drop.wait_for(1)


def _outbox(url: str, flt: str | None = None) -> list[str]:
    params = {"producttype": PRODUCT, **({"filter": flt} if flt else {})}
    listing = requests.get(f"{url}/shs/ds/{PM}", params=params, timeout=10)
    assert listing.status_code == 200, listing.text
    return [m.get("tx.id") for m in etree.fromstring(listing.content).findall("message")]


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_an_acknowledged_answer_file_stays_acknowledged_after_kill_9(
    start: Callable[..., tuple[Server, Path]], store: str, request: pytest.FixtureRequest
) -> None:
    """The SHS outbox of answer files and its acknowledgements are durable: fetched and
    acknowledged, SIGKILL, restarted on the same store: not offered again."""
    args: list[str] = []
    if store == "redis":
        url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/12"  # this test's own db
        redis.Redis.from_url(url).flushdb()
        args = ["--redis", url]
    srv, data = start(*args)
    assert (
        _send_shs(
            srv.url, PM, order(PM, {NILS: {"pension": "2020-01-01"}}), transfer_type="asynch"
        ).status_code
        == 202
    )
    set_clock(srv.url, "2026-11-03T07:00:00+01:00")
    Drop(srv.url, PM).wait_for(1)
    [tx] = _outbox(srv.url, "noack")
    assert requests.get(f"{srv.url}/shs/ds/{PM}/{tx}", timeout=10).status_code == 200
    assert (
        requests.post(f"{srv.url}/shs/ds/{PM}/{tx}", params={"action": "ack"}, timeout=10).status_code == 200
    )
    assert _outbox(srv.url, "noack") == []
    srv.process.kill()
    srv.process.wait(timeout=10)
    again, _ = start(*args, "--clock", "2026-11-03T08:00:00+01:00", "--freeze-clock", data=data)
    settle()
    assert _outbox(again.url, "noack") == [] and _outbox(again.url) == [tx]
    assert requests.get(f"{again.url}/shs/ds/{PM}/{tx}", timeout=10).status_code == 200
    assert requests.post(f"{again.url}/_admin/scenario/reset", timeout=10).ok  # a reset empties the outbox
    assert _outbox(again.url) == []


def test_two_hosts_on_one_redis_make_one_first_delivery(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Two servers (each its own folder) share one Redis. 300 persons make the first delivery
    take long enough for both hosts to be at it at once: still one batch, one answer file."""
    url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/13"
    redis.Redis.from_url(url).flushdb()
    default = ROOT / "scenarios" / "default.yaml"
    scenario = yaml.safe_load(default.read_text(encoding="utf-8"))
    scenario["population"] = {"count": 300, "seed": 11}
    path = tmp_path / "population.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    persons = GeneratedPopulation.build(Population(count=300, seed=11), default.parent).numbers()
    hosts = [
        start_server(tmp_path, "--redis", url, "--data-dir", str(tmp_path / name), scenario=path)
        for name in ("a", "b")
    ]
    try:
        drops = [Drop(h.url, TRYGGHET) for h in hosts]
        ordered = order(TRYGGHET, {p: {"sjukpenning": "2024-01-01"} for p in list(persons)[:300]})
        assert drops[0].send(ordered).status_code == 202
        for h in hosts:
            set_clock(h.url, "2026-11-03T07:30:00+01:00")
        deadline = time.monotonic() + 60
        while not any(d.names() for d in drops):
            assert time.monotonic() < deadline, "no answer file"
            time.sleep(0.2)
        settle(3)
        files = [n for d in drops for n in d.names()]
        assert len(files) == 1, files
    finally:
        for h in hosts:
            stop_server(h)
