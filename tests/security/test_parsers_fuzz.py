"""Fuzz tests (hypothesis) of the parsers that the WS, SSEK and SHS fuzz tests do not
cover: the hardened XML parser and the SOAP envelope reader every SOAP binding shares,
LEFI v9's JSON reader, the SSBTEK and REST bindings end to end, and the HTTP head itself.
Whatever the bytes, each fails only with its own error, and the server answers in the
binding's format (a traceback in its log fails the run, see conftest)."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from support.hostile import REST_PATH, SOAP11, envelope, fraga_xml
from support.lefi import raw_question
from support.server import Server

from simulator.protocols.lefi_json import FragaInvalid, parse_question
from simulator.protocols.soap import SoapFault, parse_envelope
from simulator.protocols.xmlsafe import UnsafeOrBrokenXml, parse_xml

SSBT = "http://schema.forsakringskassan.se/integration/ssbt/10"
GOOD_XML = raw_question()
GOOD_JSON = json.dumps(
    {
        "personnummer": "198506102386",
        "period": {"from": "2025-01-01", "tom": "2026-10-31"},
        "formansinformation": ["FK:SJP"],
        "utbetalningar": ["FK:SJP"],
    }
).encode()
GOOD_SSBTEK = envelope(f'<ssbt:testaBastjanstInformation xmlns:ssbt="{SSBT}"/>')


@st.composite
def mangled(draw: st.DrawFn, good: bytes) -> bytes:
    """``good`` with a few bytes replaced, cut or inserted."""
    body = bytearray(good)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        chunk = draw(st.binary(min_size=1, max_size=12))
        action = draw(st.sampled_from(["replace", "cut", "insert"]))
        if action == "replace":
            body[at : at + len(chunk)] = chunk
        elif action == "cut":
            del body[at : at + len(chunk)]
        else:
            body[at:at] = chunk
    return bytes(body)


xml_bytes = st.one_of(
    mangled(GOOD_XML),
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"<!DOCTYPE a [<!ENTITY b 'c'>]><a>&b;</a>",
            b"<a>" * 300,
            b"\xef\xbb\xbf<a/>",
            b"<?xml version='1.0' encoding='klingon'?><a/>",
            b"<a xmlns:x='urn:x'><x:b/></a>",
            "<å>ä</å>".encode("utf-16"),
        ]
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
questionlike = st.fixed_dictionaries(
    {},
    optional={
        "personnummer": st.one_of(st.text(max_size=14), st.just("198506102386"), st.integers()),
        "period": st.one_of(
            json_values, st.fixed_dictionaries({"from": st.text(max_size=12), "tom": st.text(max_size=12)})
        ),
        "formansinformation": st.one_of(
            json_values, st.lists(st.sampled_from(["FK:SJP", "FK:GEPI", "PM:AP", "x"]))
        ),
        "utbetalningar": json_values,
        "ovrigInformation": json_values,
    },
)


@settings(max_examples=400, deadline=None)
@given(data=xml_bytes)
def test_the_xml_parser_fails_only_with_its_own_error(data: bytes) -> None:
    try:
        parse_xml(data)
    except UnsafeOrBrokenXml as exc:
        assert str(exc)


@settings(max_examples=400, deadline=None)
@given(
    data=xml_bytes,
    content_type=st.one_of(
        st.sampled_from(
            ["text/xml", "application/soap+xml", "text/xml; charset=utf-8", "application/xml", ""]
        ),
        st.text(max_size=40),
    ),
)
def test_the_envelope_reader_fails_only_with_soap_faults(data: bytes, content_type: str) -> None:
    try:
        parse_envelope(data, content_type)
    except SoapFault as fault:
        assert fault.reason


@settings(max_examples=400, deadline=None)
@given(
    data=st.one_of(
        mangled(GOOD_JSON),
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        questionlike.map(lambda v: json.dumps(v).encode()),
    )
)
def test_the_v9_json_reader_fails_only_with_its_own_error(data: bytes) -> None:
    try:
        parse_question(data)
    except FragaInvalid as exc:
        assert "198506102386" not in str(exc)  # the contract: no personnummer in messages


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(mangled(GOOD_JSON), questionlike.map(lambda v: json.dumps(v).encode())))
def test_any_rest_body_gets_the_contracts_json(server: Server, data: bytes) -> None:
    r = requests.post(
        server.url + REST_PATH, data=data, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert r.status_code in (200, 400, 403), r.text[:300]
    body = r.json()
    assert ("meddelande" in body) == (r.status_code != 200)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(mangled(GOOD_SSBTEK), mangled(envelope(fraga_xml()))))
def test_any_ssbtek_message_gets_an_answer_or_a_fault_with_fks_detail(server: Server, data: bytes) -> None:
    r = requests.post(server.url + "/ssbtek", data=data, headers={"Content-Type": "text/xml"}, timeout=30)
    assert r.headers["Content-Type"].startswith("text/xml"), r.text[:300]
    body = etree.fromstring(r.content).find(f"{{{SOAP11}}}Body")
    assert body is not None and len(body) == 1
    if r.status_code != 200:
        assert body[0].tag == f"{{{SOAP11}}}Fault"
        assert body[0].find(f"detail/{{{SSBT}}}hamtaBastjanstInformationFault") is not None or body[
            0
        ].findtext("faultcode") in ("soap:VersionMismatch", "soap:MustUnderstand")


HEAD = (
    b"POST /ws HTTP/1.1\r\nHost: sandbox\r\nContent-Type: text/xml; charset=utf-8\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(GOOD_XML)
)


def test_a_client_that_half_closes_after_its_answer_is_let_go_at_once(server: Server) -> None:
    """A keep-alive client that half-closes once answered: the server closes its side too
    (it used to keep the connection until the keep-alive timer, 30 s)."""
    url = urlsplit(server.url)
    keep_alive = HEAD.replace(b"Connection: close", b"Connection: keep-alive")
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        s.sendall(keep_alive + GOOD_XML)
        response = http.client.HTTPResponse(s)
        response.begin()
        assert response.status == 200 and response.read().endswith(b"Envelope>")
        s.shutdown(socket.SHUT_WR)
        s.settimeout(5)
        assert s.recv(65536) == b""  # closed by the server, not left to a timer


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=mangled(HEAD))
def test_any_mangled_http_head_gets_a_soap_fault_or_a_plain_400(server: Server, head: bytes) -> None:
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as s:
        try:
            s.sendall(head + GOOD_XML)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        # one answer, read by its length: a mangled Connection header may leave it open
        response = http.client.HTTPResponse(s)
        try:
            response.begin()
            body = response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return  # e.g. a Content-Length grown larger than the body: the client hung up first
    status, headers = response.status, response.getheaders()
    answer = f"{status} {headers}".encode() + body
    if "text/xml" in (response.getheader("Content-Type") or "").lower():
        assert etree.fromstring(body).tag == f"{{{SOAP11}}}Envelope"
    else:
        assert status in (400, 404, 405, 413, 415, 501) or status < 300, answer[:300]
