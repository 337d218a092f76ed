"""Property tests of the SSEK and SHS parsers: whatever bytes arrive, the multipart
reader and label reader fail only with their own errors, and the server answers every
mangled SSEK header or SHS message in the binding's own error format (a traceback in
the server's log fails the run, see conftest)."""

from __future__ import annotations

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from support.partner_clients import (
    SOAP11,
    SSEK_NS,
    SSEK_PATH,
    fraga,
    post_soap,
    shs_label,
    shs_message,
    shs_reply,
    soap_envelope,
    soap_fault,
    ssek_header,
)
from support.server import NS, Server

from simulator.protocols.multipart import MultipartError, parse_multipart
from simulator.services.online.shs import ShsError, read_label

GOOD_TYPE, GOOD_BODY = shs_message(
    shs_label(), [fraga("198506102386", ["sjukpenning"], org="2021005489").encode()]
)
xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    """The good message with a few bytes replaced, cut, or repeated."""
    body = bytearray(GOOD_BODY)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(["replace", "cut", "insert"]))
        chunk = draw(st.binary(min_size=1, max_size=12))
        if action == "replace":
            body[at : at + len(chunk)] = chunk
        elif action == "cut":
            del body[at : at + len(chunk)]
        else:
            body[at:at] = chunk
    return bytes(body)


content_types = st.one_of(
    st.just(GOOD_TYPE),
    st.text(max_size=80),
    st.sampled_from(
        [
            "multipart/mixed",
            "multipart/mixed; boundary=",
            'multipart/mixed; boundary=""',
            "multipart/related; boundary=x",
            "text/xml",
            "multipart/mixed; boundary=a; boundary=b",
        ]
    ),
)


@settings(max_examples=500, deadline=None)
@given(content_type=content_types, body=st.one_of(mangled(), st.binary(max_size=300)))
def test_the_readers_fail_only_with_their_own_errors(content_type: str, body: bytes) -> None:
    try:
        parts = parse_multipart(content_type, body)
    except MultipartError:
        return
    try:
        read_label(parts)
    except ShsError:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=mangled())
def test_any_mangled_shs_message_gets_a_reply_or_an_shs_error(server: Server, body: bytes) -> None:
    r = requests.post(server.url + "/mt", data=body, headers={"Content-Type": GOOD_TYPE}, timeout=10)
    assert r.status_code in (200, 202, 400), r.text[:300]
    if r.status_code == 202:  # the mangling hit transfer-type, whose default is asynch
        assert r.text == r.headers["X-shs-txid"]
        return
    message = shs_reply(r)
    if r.status_code == 200:
        message.svar()
    else:
        assert message.error().get("errorcode") == r.headers["X-shs-errorcode"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sender=xml_text,
    sender_type=st.one_of(st.none(), xml_text, st.sampled_from(["APP", "CN", "DN", "ORGNR"])),
    receiver=xml_text,
    tx_id=st.one_of(st.none(), xml_text, st.uuids().map(str)),
)
def test_any_ssek_header_gets_an_answer_or_a_fault(
    server: Server, sender: str, sender_type: str | None, receiver: str, tx_id: str | None
) -> None:
    header = ssek_header(sender, sender_type, receiver=receiver, tx_id=tx_id)
    r = post_soap(
        server.url, soap_envelope(fraga("198506102386", ["sjukpenning"]), header), SOAP11, SSEK_PATH
    )
    if r.status_code == 200:
        assert etree.fromstring(r.content).find(f".//{{{NS}}}FK.Online.Svar") is not None
    else:
        fault = soap_fault(r)  # validated against ssek.xsd / our XSD
        assert fault.code.startswith(f"{{{SSEK_NS}}}") or fault.code == f"{{{SOAP11}}}Server"
