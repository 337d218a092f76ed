"""The SHS 1.2 binding as an SHS client sees it: multipart/mixed messages (an shs.label,
then the question as a data part) to /mt, synchronous replies, asynchronous replies in
the delivery service (list, fetch, acknowledge), and SHS error messages.

Every reply label, management message and message list is checked against the SHS 1.2
DTDs of ../shared/reference/shs when present; every answer against the answer XSD.
"""

from __future__ import annotations

import base64
import codecs
import http.server
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from lxml import etree
from support.partner_clients import (
    FK,
    LEFI_PRODUCT,
    SHS_REFERENCE,
    assert_valid_shs,
    default_scenario_with,
    fraga,
    parse_shs,
    post_shs,
    shs_error,
    shs_label,
    shs_message,
    shs_reply,
)
from support.server import NS, Server

from simulator.domain.orgnummer import make_orgnummer

KRONOFOGDEN = "2021005489"
PENSIONSMYNDIGHETEN = "2021005299"
ARBETSFORMEDLINGEN = "2021000001"  # an agreement for asynchronous transfer only
KOMMUN = "2120000142"  # no SHS agreement
PRENUMERATION_PRODUCT = (
    "2ea96132-1846-4afe-b965-29a018456fce"  # LEFI Prenumeration's orders (test_prenumeration)
)
SARA = "198506102386"
UNKNOWN_ORG = make_orgnummer("556000222").value  # valid, in no scenario


def question(pnr: str = SARA, benefits: list[str] | None = None, org: str = KRONOFOGDEN, **kw: str) -> bytes:
    return fraga(pnr, benefits or ["sjukpenning"], org=org, **kw).encode()


def svar_text(svar: etree._Element, path: str) -> str | None:
    return svar.findtext("/".join(f"{{{NS}}}{p}" for p in path.split("/")))


def list_outbox(server: Server, outbox: str = KRONOFOGDEN, **params: str) -> etree._Element:
    r = requests.get(f"{server.url}/shs/ds/{outbox}", params=params, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(r.content)
    assert_valid_shs(root, "shs-message-list-1.2.01.dtd")
    return root


# -- synchronous ---------------------------------------------------------------------
def test_a_synchronous_question_gets_the_reply_message(server: Server) -> None:
    tx_id, corr_id, content_id = (str(uuid.uuid4()) for _ in range(3))
    label = shs_label(tx_id=tx_id, corr_id=corr_id, content_id=content_id)
    r = post_shs(server.url, label, [question()])
    assert r.status_code == 200
    reply = shs_reply(r)
    assert reply.attr("sequence-type") == "reply" and reply.attr("transfer-type") == "synch"
    assert (reply.attr("corr.id"), reply.label.find("content").get("content.id")) == (corr_id, content_id)
    assert reply.attr("tx.id") not in (None, tx_id)  # a message of its own
    assert reply.attr("status") == "test"  # as the question's
    assert reply.urn("from") == f"urn:X-shs:{FK}" and reply.label.find("from").get("commonName")
    assert reply.urn("to") == f"urn:X-shs:{KRONOFOGDEN}"
    assert reply.urn("product") == f"urn:X-shs:{LEFI_PRODUCT}"
    assert (r.headers["X-shs-corrid"], r.headers["X-shs-contentid"]) == (corr_id, content_id)
    svar = reply.svar()
    assert svar_text(svar, "generelltfalt/status/kod") == "0"
    assert svar_text(svar, "informationsfalt/person/formansforteckning/sjukpenning") == "true"


def test_pensionsmyndigheten_asks_about_pension(server: Server) -> None:
    label = shs_label(
        sender=PENSIONSMYNDIGHETEN, status="production", agreement="7c2e9f53-c7c1-4c69-ad42-f2c229962772"
    )
    reply = shs_reply(
        post_shs(
            server.url, label, [question("193602199188", ["pension", "prognos"], org=PENSIONSMYNDIGHETEN)]
        )
    )
    svar = reply.svar()
    assert reply.attr("status") == "production"
    assert reply.attr("shs.agreement") == "7c2e9f53-c7c1-4c69-ad42-f2c229962772"
    assert svar_text(svar, "informationsfalt/person/formansforteckning/pension") == "true"


def test_a_base64_data_part_and_a_bare_product_id_are_read(server: Server) -> None:
    label = shs_label().replace(f"urn:X-shs:{LEFI_PRODUCT}".encode(), LEFI_PRODUCT.upper().encode())
    r = post_shs(server.url, label, [question()], data_cte="base64")
    assert svar_text(shs_reply(r).svar(), "generelltfalt/status/kod") == "0"


@pytest.mark.parametrize(
    ("pnr", "org", "code"),
    [
        ("198202042399", KRONOFOGDEN, "3"),
        ("199102162394", KRONOFOGDEN, "4"),
        ("198506102387", KRONOFOGDEN, "11"),
        (SARA, "20210054", "12"),  # a malformed orgnummer is the engine's business error
    ],
)
def test_business_errors_are_in_the_reply(server: Server, pnr: str, org: str, code: str) -> None:
    svar = shs_reply(post_shs(server.url, shs_label(), [question(pnr, org=org)])).svar()
    assert svar_text(svar, "generelltfalt/status/kod") == code


def test_a_technical_error_is_an_other_error_naming_it(server: Server) -> None:
    r = post_shs(server.url, shs_label(), [question("199401228565")])
    code, error = shs_error(r)
    assert code == "OtherError"
    assert "ANROP_MOT_KUF_MISSLYCKADES" in error.get("errorinfo", "")
    assert {a.get("name"): a.text for a in error.findall("appinfo")}[
        "TeknisktFel"
    ] == "ANROP_MOT_KUF_MISSLYCKADES"


def test_the_version_rules_are_technical_errors_too(server: Server) -> None:
    code, error = shs_error(post_shs(server.url, shs_label(), [question(version="4")]))
    assert code == "OtherError" and "VERSIONEN_STODS_EJ" in error.get("errorinfo", "")


# -- asynchronous and the delivery service ---------------------------------------------
def test_an_asynchronous_question_is_listed_fetched_and_acknowledged(server: Server) -> None:
    tx_id, corr_id, content_id = (str(uuid.uuid4()) for _ in range(3))
    label = shs_label(transfer_type="asynch", tx_id=tx_id, corr_id=corr_id, content_id=content_id)
    r = post_shs(server.url, label, [question()])
    assert r.status_code == 202
    assert r.text == tx_id
    assert (r.headers["X-shs-txid"], r.headers["X-shs-corrid"], r.headers["X-shs-contentid"]) == (
        tx_id,
        corr_id,
        content_id,
    )
    assert r.headers["X-shs-arrivaldate"] == "2026-11-02T09:00:00"  # the frozen simulator clock

    listed = list_outbox(server, corrid=corr_id).findall("message")
    assert len(listed) == 1
    message = listed[0]
    assert message.get("content.id") == content_id and message.get("sequence-type") == "reply"
    assert message.get("from") == f"urn:X-shs:{FK}" and message.get("to") == f"urn:X-shs:{KRONOFOGDEN}"
    assert message.get("product") == f"urn:X-shs:{LEFI_PRODUCT}" and message.get("status") == "test"
    assert message.find("data").get("datapartType") == "svar"
    reply_tx = message.get("tx.id")

    fetched = requests.get(f"{server.url}/shs/ds/{KRONOFOGDEN}/{reply_tx}", timeout=10)
    assert fetched.status_code == 200
    reply = shs_reply(fetched)
    assert reply.attr("tx.id") == reply_tx and reply.attr("corr.id") == corr_id
    assert reply.attr("transfer-type") == "asynch"
    assert fetched.headers["X-shs-arrivaldate"] == "2026-11-02T09:00:00"
    assert svar_text(reply.svar(), "informationsfalt/person/formansforteckning/sjukpenning") == "true"
    assert int(message.get("size")) == len(fetched.content)

    assert len(list_outbox(server, corrid=corr_id, filter="noack").findall("message")) == 1
    ack = requests.post(f"{server.url}/shs/ds/{KRONOFOGDEN}/{reply_tx}", params={"action": "ack"}, timeout=10)
    assert ack.status_code == 200
    assert list_outbox(server, corrid=corr_id, filter="noack").findall("message") == []
    assert len(list_outbox(server, corrid=corr_id).findall("message")) == 1  # still there, acknowledged


def test_a_resent_asynchronous_question_is_a_duplicate(server: Server) -> None:
    """The same tx.id again: received once, answered once (X-shs-duplicatemsg)."""
    tx_id, corr_id = str(uuid.uuid4()), str(uuid.uuid4())
    label = shs_label(transfer_type="asynch", tx_id=tx_id, corr_id=corr_id)
    first = post_shs(server.url, label, [question()])
    again = post_shs(server.url, label, [question()])
    assert (first.status_code, again.status_code) == (202, 202)
    assert "X-shs-duplicatemsg" not in first.headers and again.headers["X-shs-duplicatemsg"] == "yes"
    assert again.text == tx_id and again.headers["X-shs-arrivaldate"] == first.headers["X-shs-arrivaldate"]
    assert len(list_outbox(server, corrid=corr_id).findall("message")) == 1
    other_sender = post_shs(
        server.url,
        shs_label(sender=PENSIONSMYNDIGHETEN, transfer_type="asynch", tx_id=tx_id),
        [question(org=PENSIONSMYNDIGHETEN)],
    )
    assert "X-shs-duplicatemsg" not in other_sender.headers


def test_the_message_list_filters(server_factory: Callable[..., Server]) -> None:
    srv = server_factory("--freeze-clock")
    for status in ("test", "production", "production"):
        assert (
            post_shs(srv.url, shs_label(transfer_type="asynch", status=status), [question()]).status_code
            == 202
        )
    assert len(list_outbox(srv).findall("message")) == 3
    assert len(list_outbox(srv, status="production").findall("message")) == 2
    assert len(list_outbox(srv, status="test").findall("message")) == 1
    assert len(list_outbox(srv, producttype=LEFI_PRODUCT).findall("message")) == 3
    assert len(list_outbox(srv, producttype=f"urn:X-shs:{LEFI_PRODUCT}").findall("message")) == 3
    assert list_outbox(srv, producttype=PRENUMERATION_PRODUCT).findall("message") == []
    assert len(list_outbox(srv, maxhits="2").findall("message")) == 2
    first = list_outbox(srv).find("message").get("tx.id")
    requests.post(f"{srv.url}/shs/ds/{KRONOFOGDEN}/{first}?action=ack", timeout=10).raise_for_status()
    assert len(list_outbox(srv, filter="noack").findall("message")) == 2
    # the outbox in its SHS address form, and another organisation's outbox
    assert len(list_outbox(srv, f"urn:X-shs:{KRONOFOGDEN}").findall("message")) == 3
    assert list_outbox(srv, PENSIONSMYNDIGHETEN).findall("message") == []


def test_an_asynchronous_technical_error_waits_as_an_error_message(server: Server) -> None:
    corr_id = str(uuid.uuid4())
    r = post_shs(server.url, shs_label(transfer_type="asynch", corr_id=corr_id), [question("199911102383")])
    assert r.status_code == 202
    (message,) = list_outbox(server, corrid=corr_id).findall("message")
    assert message.get("sequence-type") == "adm" and message.get("product") == "urn:X-shs:error"
    fetched = requests.get(f"{server.url}/shs/ds/{KRONOFOGDEN}/{message.get('tx.id')}", timeout=10)
    assert fetched.headers["X-shs-errorcode"] == "OtherError"
    error = shs_reply(fetched).error()
    assert "TEKNISKT_FEL" in error.get("errorinfo", "")


def test_arbetsformedlingen_asks_asynchronously_only(server: Server) -> None:
    body = [question(SARA, ["generellPersonInformation", "sjukpenning"], org=ARBETSFORMEDLINGEN)]
    code, error = shs_error(post_shs(server.url, shs_label(sender=ARBETSFORMEDLINGEN), body))
    assert code == "MissingAgreement" and "asynch" in error.get("errorinfo", "")
    corr_id = str(uuid.uuid4())
    r = post_shs(
        server.url, shs_label(sender=ARBETSFORMEDLINGEN, transfer_type="asynch", corr_id=corr_id), body
    )
    assert r.status_code == 202
    (message,) = list_outbox(server, ARBETSFORMEDLINGEN, corrid=corr_id).findall("message")
    reply = shs_reply(
        requests.get(f"{server.url}/shs/ds/{ARBETSFORMEDLINGEN}/{message.get('tx.id')}", timeout=10)
    )
    svar = reply.svar()
    # its agreement has personuppgifter but not sjukpenning: filtered as over any binding
    assert svar_text(svar, "informationsfalt/person/formansforteckning/generellPersonInformation") == "true"
    assert svar_text(svar, "informationsfalt/person/formansforteckning/sjukpenning") == "false"


@pytest.mark.parametrize(
    ("path", "method", "status", "code"),
    [
        (f"/shs/ds/{KRONOFOGDEN}/{uuid.uuid4()}", "GET", 404, "MessageNotFound"),
        (f"/shs/ds/{KRONOFOGDEN}/{uuid.uuid4()}?action=ack", "POST", 404, "MessageNotFound"),
        (f"/shs/ds/{KRONOFOGDEN}/{uuid.uuid4()}?action=delete", "POST", 400, "OtherError"),
        ("/shs/ds/5566778890", "GET", 404, "UnknownReceiver"),
        ("/shs/ds/not-a-number", "GET", 404, "UnknownReceiver"),
        (f"/shs/ds/{KRONOFOGDEN}?status=draft", "GET", 400, "OtherError"),
        (f"/shs/ds/{KRONOFOGDEN}?filter=all", "GET", 400, "OtherError"),
        (f"/shs/ds/{KRONOFOGDEN}?maxhits=0", "GET", 400, "OtherError"),
    ],
)
def test_delivery_service_errors(server: Server, path: str, method: str, status: int, code: str) -> None:
    r = requests.request(method, server.url + path, timeout=10)
    assert r.status_code == status
    assert r.headers["X-shs-errorcode"] == code
    assert shs_reply(r).error().get("errorcode") == code


# -- SHS errors ------------------------------------------------------------------------
# DOCTYPEs that are not only the SHS label DTD's name: refused, never resolved
REFUSED_DOCTYPES = (
    b'<!DOCTYPE shs.label SYSTEM "shs-label-1.2.dtd" [<!ENTITY who "urn:X-shs:2021005489">]>\n',
    b"<!DOCTYPE shs.label [<!ATTLIST shs.label status CDATA 'test'>]>\n",
    b'<!DOCTYPE shs.label SYSTEM "http://evil.example/x.dtd">\n',
    b'<!DOCTYPE shs.label SYSTEM "file:///etc/passwd">\n',
    b'<!DOCTYPE shs.management SYSTEM "shs-label-1.2.dtd">\n',
    b'<!DOCTYPE shs.label PUBLIC "-//x//EN" "shs-management-1.2.dtd">\n',
)


@pytest.mark.parametrize(
    ("label", "code", "words"),
    [
        (shs_label(sender=UNKNOWN_ORG), "UnknownSender", "not a known organisation"),
        (shs_label(sender="5566778890"), "UnknownSender", "not an SHS address"),  # wrong check digit
        (shs_label(sender="Kronofogden"), "UnknownSender", "not an SHS address"),
        (shs_label(to="2021005489"), "UnknownReceiver", "not Försäkringskassan"),
        (shs_label(product=str(uuid.uuid4())), "UnknownProductType", "is not known"),
        (shs_label(product=PRENUMERATION_PRODUCT), "MissingAgreement", "has no agreement for product type"),
        (shs_label(product="error"), "IllegalProductType", "is not a LEFI Online question"),
        (shs_label(agreement=str(uuid.uuid4())), "MissingAgreement", "is not an agreement of"),
        (
            shs_label(agreement="7c2e9f53-c7c1-4c69-ad42-f2c229962772"),
            "MissingAgreement",
            "is not an agreement of",
        ),
        (shs_label(sequence_type="event"), "IllegalMessageStructure", "sequence-type request"),
        (shs_label(transfer_type="sometimes"), "IllegalMessageStructure", "transfer-type"),
        (shs_label(tx_id="not a token"), "IllegalMessageStructure", "tx.id"),
        *(
            (shs_label().replace(b"?>\n", b"?>\n" + doctype, 1), "IllegalMessageStructure", "DOCTYPE")
            for doctype in REFUSED_DOCTYPES
        ),
        (shs_label(data_parts=2), "IllegalMessageStructure", "lists 2 data parts"),
        (
            shs_label().replace(b"<datetime>2026-11-02T09:00:00</datetime>", b""),
            "IllegalMessageStructure",
            "no datetime",
        ),
        (
            shs_label()
            .replace(b"<shs.label ", b'<shs.label version="1.1" ', 1)
            .replace(b'version="1.2" ', b"", 1),
            "IllegalMessageStructure",
            "version '1.1'",
        ),
        (shs_label()[:-20], "IllegalMessageStructure", "not well-formed"),
        (shs_label().replace(b"Partner", b"Partner \xff\xfe"), "IllegalMessageStructure", "not well-formed"),
    ],
)
def test_label_errors(server: Server, label: bytes, code: str, words: str) -> None:
    r = post_shs(server.url, label, [question()])
    got, error = shs_error(r)
    assert got == code
    assert words in error.get("errorinfo", ""), error.get("errorinfo")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ((b"<datetime>2026-11-02T09:00:00</datetime>", b""), "no datetime"),
        ((b'sequence-type="request"', b'sequence-type="event"'), "sequence-type"),
        ((b'tx.id="', b'tx.id="not a token '), "tx.id"),
        ((f"<product>urn:X-shs:{LEFI_PRODUCT}</product>".encode(), b""), "no product"),
        ((b'version="1.2"', b'version="1.1"'), "version"),
    ],
)
def test_a_refused_label_is_answered_with_the_callers_ids(
    server: Server, change: tuple[bytes, bytes], words: str
) -> None:
    """As a refused data part is: the error message carries the caller's corr.id, content.id,
    status and transfer-type, and goes to its sender."""
    corr_id, content_id = str(uuid.uuid4()), str(uuid.uuid4())
    label = shs_label(
        corr_id=corr_id, content_id=content_id, status="production", transfer_type="asynch"
    ).replace(*change, 1)
    r = post_shs(server.url, label, [question()])
    code, error = shs_error(r)
    assert code == "IllegalMessageStructure" and words in error.get("errorinfo", ""), error.get("errorinfo")
    refusal = shs_reply(r)
    management = etree.fromstring(refusal.parts[0][1])
    assert (refusal.attr("corr.id"), r.headers["X-shs-corrid"]) == (corr_id, corr_id)
    assert (management.get("corr.id"), management.get("content.id")) == (corr_id, content_id)
    assert (refusal.attr("status"), refusal.attr("transfer-type")) == ("production", "asynch")
    assert refusal.urn("to") == f"urn:X-shs:{KRONOFOGDEN}"


def test_an_organisation_without_an_agreement(server: Server) -> None:
    code, error = shs_error(post_shs(server.url, shs_label(sender=KOMMUN), [question(org=KOMMUN)]))
    assert code == "MissingAgreement" and "no agreement" in error.get("errorinfo", "")


def test_the_sender_cannot_ask_as_another_organisation(server: Server) -> None:
    code, error = shs_error(post_shs(server.url, shs_label(), [question(org=PENSIONSMYNDIGHETEN)]))
    assert code == "UnknownSender" and "cannot ask as organisation" in error.get("errorinfo", "")


def test_the_error_message_is_addressed_back_with_the_question_s_ids(server: Server) -> None:
    corr_id, content_id = str(uuid.uuid4()), str(uuid.uuid4())
    r = post_shs(
        server.url, shs_label(product=str(uuid.uuid4()), corr_id=corr_id, content_id=content_id), [question()]
    )
    message = shs_reply(r)
    assert message.attr("corr.id") == corr_id and message.urn("to") == f"urn:X-shs:{KRONOFOGDEN}"
    management = etree.fromstring(message.parts[0][1])
    assert (management.get("corr.id"), management.get("content.id")) == (corr_id, content_id)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], "no data part"),
        ([question(), question()], "2 data parts"),
        ([b"this is not XML"], "not well-formed"),
        ([b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'], "DOCTYPE"),
        ([question().replace(b"FK.Online.Fraga", b"FK.Online.Undra")], "expected"),
        ([question().replace(b"<ext:personnummer>", b"<ext:x/><ext:personnummer>")], "validerar inte"),
    ],
)
def test_data_part_errors(server: Server, data: list[bytes], words: str) -> None:
    label = shs_label(data_parts=len(data)) if data else shs_label(data_parts=0)
    code, error = shs_error(post_shs(server.url, label, data))
    assert code == "IllegalMessageStructure"
    assert words in error.get("errorinfo", ""), error.get("errorinfo")


def test_schema_problems_are_listed_as_appinfo(server: Server) -> None:
    bad = question().replace(b"<ext:personnummer>", b"<ext:x/><ext:personnummer>")
    _, error = shs_error(post_shs(server.url, shs_label(), [bad]))
    appinfo = error.findall("appinfo")
    assert appinfo and appinfo[0].get("name") == "Valideringsfel" and "x" in (appinfo[0].text or "")


def raw(server: Server, content_type: str, body: bytes) -> requests.Response:
    return requests.post(server.url + "/mt", data=body, headers={"Content-Type": content_type}, timeout=10)


def broken_multipart() -> list[tuple[str, bytes, str]]:
    """(Content-Type, body, words of the errorinfo) of broken SHS messages."""
    content_type, body = shs_message(shs_label(), [question()])
    boundary = content_type.split("boundary=", 1)[1].strip('"')
    label_first = body.split(f"--{boundary}".encode())
    swapped = f"--{boundary}".encode().join(
        [label_first[0], label_first[2], label_first[1], *label_first[3:]]
    )
    return [
        ("multipart/mixed", body, "no boundary"),
        ('multipart/mixed; boundary="other"', body, "no part starts with the boundary"),
        (content_type, body[: len(body) // 2], "closing boundary is missing"),
        (content_type, swapped, "FK.Online.Fraga"),  # the question first, the label second
        ("text/xml", shs_label(), "multipart/mixed"),
        ("application/json", b"{}", "multipart/mixed"),
        ("", body, "multipart/mixed"),
        (
            content_type,
            body.replace(b"Content-Transfer-Encoding: binary", b"Content-Transfer-Encoding: x-gzip", 1),
            "unknown Content-Transfer-Encoding",
        ),
        ('multipart/mixed; boundary="' + "b" * 80 + '"', body, "not a valid MIME boundary"),
        (content_type, b"", "no part starts"),
        (content_type, f"--{boundary}\r\n\r\n--{boundary}--\r\n".encode(), "first part is text/plain"),
        (
            content_type,
            f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nx\r\n".encode() * 30
            + f"--{boundary}--".encode(),
            "more than 20 parts",
        ),
    ]


@pytest.mark.parametrize(("content_type", "body", "words"), broken_multipart())
def test_broken_multipart_is_illegal_message_structure(
    server: Server, content_type: str, body: bytes, words: str
) -> None:
    code, error = shs_error(raw(server, content_type, body))
    assert code == "IllegalMessageStructure"
    assert words in error.get("errorinfo", ""), error.get("errorinfo")


def test_broken_base64_is_illegal_message_structure(server: Server) -> None:
    content_type, body = shs_message(shs_label(), [question()], data_cte="base64")
    head, sep, rest = body.rpartition(b"Content-Transfer-Encoding: base64")
    broken = head + sep + rest.replace(b"\r\n\r\n", b"\r\n\r\n!!", 1)
    assert broken != body
    code, error = shs_error(raw(server, content_type, broken))
    assert code == "IllegalMessageStructure" and "base64" in error.get("errorinfo", "")


def test_a_body_over_the_limit_is_refused(server: Server) -> None:
    content_type, _ = shs_message(shs_label(), [question()])
    r = raw(server, content_type, b"x" * (1024 * 1024 + 1))
    assert r.status_code == 413
    assert r.headers["X-shs-errorcode"] == "IllegalMessageStructure"
    shs_reply(r).error()


def test_a_body_over_the_limit_is_refused_before_it_is_sent(server: Server) -> None:
    """Expect: 100-continue with a Content-Length over the limit: refused at once."""
    import socket

    content_type, _ = shs_message(shs_label(), [question()])
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(
            f"POST /mt HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {2 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        head = s.recv(65536)
    assert head.startswith(b"HTTP/1.1 413") and b"X-shs-errorcode: IllegalMessageStructure" in head


# -- fault rules ----------------------------------------------------------------------------
def test_fault_rules_apply_over_shs(server_factory: Callable[..., Server], tmp_path: Path) -> None:
    scenario = default_scenario_with(
        tmp_path,
        faults=[
            {
                "id": "shs-soap",
                "kind": "soap_fault",
                "binding": "shs",
                "personnummer": "193602199188",
                "fault_reason": "Simulerat serverfel",
            },
            {
                "id": "shs-tekniskt",
                "kind": "technical_error",
                "binding": "shs",
                "personnummer": "195503071796",
                "technical_error": "ANROP_MOT_KUND_MISSLYCKADES",
            },
            {
                "id": "shs-503",
                "kind": "http_status",
                "binding": "shs",
                "personnummer": "197002259294",
                "status": 503,
            },
            {
                "id": "ds-down",
                "kind": "technical_error",
                "binding": "shs",
                "path": "/shs/ds/*",
                "organisation": PENSIONSMYNDIGHETEN,
                "technical_error": "TEKNISKT_FEL",
            },
        ],
    )
    srv = server_factory("--freeze-clock", scenario=scenario)
    code, error = shs_error(post_shs(srv.url, shs_label(), [question("193602199188")]))
    assert code == "OtherError" and "shs-soap" in error.get("errorinfo", "")
    assert "Simulerat serverfel" in error.get("errorinfo", "")
    code, error = shs_error(post_shs(srv.url, shs_label(), [question("195503071796")]))
    assert code == "OtherError" and "ANROP_MOT_KUND_MISSLYCKADES" in error.get("errorinfo", "")
    assert post_shs(srv.url, shs_label(), [question("197002259294")]).status_code == 503
    r = requests.get(f"{srv.url}/shs/ds/{PENSIONSMYNDIGHETEN}", timeout=10)
    assert (r.status_code, r.headers["X-shs-errorcode"]) == (400, "OtherError")
    assert len(list_outbox(srv).findall("message")) == 0  # Kronofogden's outbox is not touched
    assert shs_reply(post_shs(srv.url, shs_label(), [question()])).svar() is not None


def test_an_asynchronous_fault_rule_applies_at_receipt(
    server_factory: Callable[..., Server], tmp_path: Path
) -> None:
    scenario = default_scenario_with(
        tmp_path,
        faults=[
            {
                "id": "shs-soap",
                "kind": "soap_fault",
                "binding": "shs",
                "path": "/mt",
                "fault_reason": "Simulerat serverfel",
            }
        ],
    )
    srv = server_factory("--freeze-clock", scenario=scenario)
    assert post_shs(srv.url, shs_label(transfer_type="asynch"), [question()]).status_code == 202
    (message,) = list_outbox(srv).findall("message")
    assert message.get("product") == "urn:X-shs:error"


# -- the reference messages ------------------------------------------------------------------
def reference_message(name: str) -> tuple[str, bytes]:
    path = SHS_REFERENCE / name
    if not path.is_file():
        pytest.skip("../shared/reference/shs is not present")
    text = path.read_bytes()
    head, _, body = text.partition(b"\n\n")
    unfolded = head.replace(b"\n\t", b" ").replace(b"\n ", b" ")
    content_type = next(
        line.split(b":", 1)[1].strip()
        for line in unfolded.split(b"\n")
        if line.lower().startswith(b"content-type:")
    )
    return content_type.decode(), body


AXEL_CORR_ID = b"5a01ff87-e641-486e-8521-8e82d1ee1052"  # both reference messages


def adapted(body: bytes) -> bytes:
    """An Axel message with only its ids adapted to the default scenario: from Kronofogden,
    to FK, the LEFI Online product. Everything else (the DOCTYPE line, the ISO-8859-1 label,
    its history, the hard-wrapped attribute values) is as Axel wrote it."""
    return (
        body.replace(
            b'<from commonName="R2M">urn:X-shs:5565317129</from>',
            f"<from>urn:X-shs:{KRONOFOGDEN}</from>".encode(),
        )
        .replace(b"<to>urn:X-shs:0000000000</to>", f"<to>urn:X-shs:{FK}</to>".encode())
        .replace(
            b"<product>urn:X-shs:error</product>", f"<product>urn:X-shs:{LEFI_PRODUCT}</product>".encode()
        )
    )


@pytest.mark.reference
@pytest.mark.parametrize(
    ("name", "sequence_type"), [("shsTextMessage.mime", "event"), ("shsErrorMessage.mime", "adm")]
)
def test_real_axel_messages_are_read_past_their_doctype(
    server: Server, name: str, sequence_type: str
) -> None:
    """Inera Axel writes <!DOCTYPE shs.label SYSTEM "shs-label-1.2.dtd"> before every label:
    read past (never resolved). Axel's two messages are an event and an error message, not
    questions: refused for that, with their own corr.id, status and transfer-type."""
    content_type, body = reference_message(name)
    message = adapted(body)
    assert message.count(b"<!DOCTYPE shs.label SYSTEM") == 1 and message != body
    r = raw(server, content_type, message)
    code, error = shs_error(r)
    assert code == "IllegalMessageStructure", error.get("errorinfo")
    assert f"sequence-type '{sequence_type}'" in error.get("errorinfo", ""), error.get("errorinfo")
    refusal = shs_reply(r)
    assert refusal.attr("corr.id") == AXEL_CORR_ID.decode()
    assert (refusal.attr("status"), refusal.attr("transfer-type")) == ("production", "asynch")
    assert refusal.urn("to") == f"urn:X-shs:{KRONOFOGDEN}"


@pytest.mark.reference
def test_a_question_under_axels_label_is_answered(server: Server) -> None:
    """Axel's label as it writes it (DOCTYPE line, ISO-8859-1, history, wrapped lines), ids
    adapted, as a request carrying a question: received (asynch), its reply in the outbox."""
    content_type, body = reference_message("shsTextMessage.mime")
    boundary = b"------=_Part_8_2076149943.1371473840632"
    _, label_part, *_ = adapted(body).split(boundary)
    label_part = label_part.replace(b'sequence-type="event"', b'sequence-type="request"')
    label_part = label_part.replace(
        b'datapartType="txt" filename="text.txt"', b'datapartType="fraga" filename="fraga.xml"'
    )
    tx_id = str(uuid.uuid4()).encode()
    label_part = label_part.replace(
        b'tx.id="4c9fd3e8-b4c4-49aa-926a-52a68864a7b8"', b'tx.id="' + tx_id + b'"'
    )
    corr_id = str(uuid.uuid4()).encode()
    label_part = label_part.replace(b'corr.id="' + AXEL_CORR_ID + b'"', b'corr.id="' + corr_id + b'"', 1)
    question_part = (
        b"\nContent-Type: text/xml; charset=UTF-8; name=fraga.xml\nContent-Transfer-Encoding: binary\n"
        b"Content-Disposition: attachment; filename=fraga.xml\n\n" + question() + b"\n"
    )
    message = b"\n" + boundary + label_part + boundary + question_part + boundary + b"--\n"
    r = raw(server, content_type, message)
    assert (r.status_code, r.text) == (202, tx_id.decode()), r.text[:500]
    (listed,) = list_outbox(server, corrid=corr_id.decode()).findall("message")
    fetched = requests.get(f"{server.url}/shs/ds/{KRONOFOGDEN}/{listed.get('tx.id')}", timeout=10)
    reply = shs_reply(fetched)
    assert reply.attr("sequence-type") == "reply" and reply.attr("status") == "production"
    assert svar_text(reply.svar(), "generelltfalt/status/kod") == "0"


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE shs.label SYSTEM "shs-label-1.2.dtd">\n',  # as Inera Axel writes it
        b'<!DOCTYPE shs.label PUBLIC "-//SHS//DTD shs.label 1.2//EN"\n'
        b'  "http://www.example.se/dtd/shs-label-1.2.dtd">\n',
        b"<!DOCTYPE shs.label SYSTEM 'dtd/shs-label.dtd' >",
    ],
)
def test_a_label_naming_the_label_dtd_is_answered(server: Server, doctype: bytes) -> None:
    """The DOCTYPE by system id, or by public and system id (a path or URL to the label DTD):
    nothing is fetched; the label is read as without it."""
    label = shs_label().replace(b"?>\n", b"?>\n" + doctype, 1)
    r = post_shs(server.url, label, [question()])
    assert r.status_code == 200, r.text[:500]
    assert svar_text(shs_reply(r).svar(), "generelltfalt/status/kod") == "0"


def test_the_label_dtd_named_by_url_is_never_fetched(server: Server) -> None:
    """A system id that is a URL of the label DTD: answered, and nothing asks that URL."""
    asked: list[str] = []

    class Dtd(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY x "fetched">')

        def log_message(self, *args: object) -> None:
            pass

    dtd_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Dtd)
    threading.Thread(target=dtd_server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{dtd_server.server_address[1]}/shs-label-1.2.dtd"
        label = shs_label().replace(b"?>\n", f'?>\n<!DOCTYPE shs.label SYSTEM "{url}">\n'.encode(), 1)
        r = post_shs(server.url, label, [question()])
        assert r.status_code == 200, r.text[:500]
        assert svar_text(shs_reply(r).svar(), "generelltfalt/status/kod") == "0"
    finally:
        dtd_server.shutdown()
        dtd_server.server_close()
    assert asked == []


@pytest.mark.reference
def test_our_messages_read_like_the_reference_error_message(server: Server) -> None:
    """Our error message and Axel's parse the same way: label, then shs.management."""
    content_type, body = reference_message("shsErrorMessage.mime")
    theirs = parse_shs(
        content_type,
        body.replace(b'<!DOCTYPE shs.label SYSTEM "shs-label-1.2.dtd">\n', b"").replace(
            b'<!DOCTYPE shs.management SYSTEM "shs-management-1.2.dtd">\n', b""
        ),
        validate=False,
    )  # the file's hard-wrapped lines break an attribute value
    ours = shs_reply(post_shs(server.url, shs_label(product=str(uuid.uuid4())), [question()]))
    for message in (theirs, ours):
        assert message.urn("product") == "urn:X-shs:error" and message.attr("sequence-type") == "adm"
        assert message.label.find("content/data").get("datapartType") == "error"
        assert message.error().get("errorcode")


def test_the_server_survives_everything_above(server: Server) -> None:
    assert server.alive()
    assert shs_reply(post_shs(server.url, shs_label(), [question()])).svar() is not None


def test_maxhits_in_other_digits_is_an_shs_error_not_a_crash(server: Server) -> None:
    for value in ("\u00b2", "9" * 5000):
        r = requests.get(f"{server.url}/shs/ds/{KRONOFOGDEN}", params={"maxhits": value}, timeout=10)
        code, _ = shs_error(r)
        assert code == "OtherError"


def utf16_message(charset: str | None, cte: str, codec: str = "utf-16") -> tuple[str, bytes]:
    """The question in UTF-16 (``codec`` utf-16: with a BOM; encoding="UTF-16"), as its data
    part says or not."""
    text = fraga(SARA, ["sjukpenning"], org=KRONOFOGDEN, referens="ärende-åäö")
    data = ('<?xml version="1.0" encoding="UTF-16"?>\n' + text).encode(codec)
    assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) == (codec == "utf-16")
    content = base64.encodebytes(data) if cte == "base64" else data
    return 'multipart/mixed; boundary="part-boundary"', (
        b"--part-boundary\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n"
        + shs_label()
        + b"\r\n--part-boundary\r\nContent-Type: text/xml"
        + (f"; charset={charset}".encode() if charset else b"")
        + f"\r\nContent-Transfer-Encoding: {cte}\r\n".encode()
        + b"Content-Disposition: attachment; filename=fraga.xml\r\n\r\n"
        + content
        + b"\r\n--part-boundary--\r\n"
    )


@pytest.mark.parametrize("cte", ["binary", "base64"])
def test_a_data_part_in_utf_16_is_read_as_it_says(server: Server, cte: str) -> None:
    """A BOM and encoding="UTF-16": answered with charset=UTF-16 on the part as without it;
    without a BOM too (the parser knows UTF-16 by its first bytes)."""
    for charset, codec in (
        ("UTF-16", "utf-16"),
        ("utf-16", "utf-16"),
        (None, "utf-16"),
        ("UTF-16BE", "utf-16-be"),
        ("UTF-16", "utf-16-le"),
    ):
        r = raw(server, *utf16_message(charset, cte, codec))
        assert r.status_code == 200, (charset, codec, r.text[:800])
        assert svar_text(shs_reply(r).svar(), "generelltfalt/referens") == "ärende-åäö"


def test_a_data_part_in_latin_1_without_an_xml_declaration_is_read_by_its_charset(server: Server) -> None:
    """Legacy clients send ISO-8859-1 and say so only in the MIME header."""
    text = fraga(SARA, ["sjukpenning"], org=KRONOFOGDEN, referens="ärende-åäö")
    content_type = 'multipart/mixed; boundary="part-boundary"'
    body = (
        b"--part-boundary\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n"
        + shs_label()
        + b"\r\n--part-boundary\r\nContent-Type: text/xml; charset=ISO-8859-1\r\n"
        b"Content-Disposition: attachment; filename=fraga.xml\r\n\r\n"
        + text.encode("iso-8859-1")
        + b"\r\n--part-boundary--\r\n"
    )
    r = requests.post(f"{server.url}/mt", data=body, headers={"Content-Type": content_type}, timeout=10)
    assert r.status_code == 200, r.text
    reply = shs_reply(r)
    assert svar_text(reply.svar(), "generelltfalt/referens") == "ärende-åäö"
