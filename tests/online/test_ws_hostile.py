"""Broken and hostile input to the WS binding: each gets a SOAP Fault with a clear
reason and the HTTP status SOAP prescribes, and the server keeps serving."""

from __future__ import annotations

import pytest
import requests
from lxml import etree
from support.lefi import Lefi, assert_valid
from support.server import NS, Server

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XML11 = "text/xml; charset=utf-8"
XML12 = "application/soap+xml; charset=utf-8"

FRAGA = f"""<ext:FK.Online.Fraga xmlns:ext="{NS}">
  <ext:generelltfalt><ext:organisationsnummer>2120000142</ext:organisationsnummer>
    <ext:versionsnummer>6</ext:versionsnummer></ext:generelltfalt>
  <ext:informationsfalt><ext:person><ext:personnummer>198506102386</ext:personnummer>
    <ext:fromdatum>2025-01-01</ext:fromdatum><ext:tomdatum>20261031</ext:tomdatum>
    <ext:formansforteckning><ext:sjukpenning>1</ext:sjukpenning></ext:formansforteckning>
  </ext:person></ext:informationsfalt>
</ext:FK.Online.Fraga>"""


def envelope(body: str = FRAGA, ns: str = SOAP11, header: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{ns}">'
        f"<soap:Header>{header}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def post(server: Server, data: bytes, content_type: str = XML11, path: str = "/ws") -> requests.Response:
    return requests.post(server.url + path, data=data, headers={"Content-Type": content_type}, timeout=10)


def fault_of(response: requests.Response) -> tuple[str, str, etree._Element]:
    """(fault code, reason, fault element) of a SOAP 1.1 or 1.2 fault response."""
    root = etree.fromstring(response.content)
    fault = root.find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault")
    for detail in root.iter("detail", f"{{{SOAP12}}}Detail"):
        for child in detail:
            assert_valid(child)  # TeknisktFel / Valideringsfel as our XSD defines them
    if fault is not None:
        return fault.findtext("faultcode") or "", fault.findtext("faultstring") or "", fault
    fault = root.find(f"{{{SOAP12}}}Body/{{{SOAP12}}}Fault")
    assert fault is not None, response.text
    code = fault.findtext(f"{{{SOAP12}}}Code/{{{SOAP12}}}Value") or ""
    reason = fault.findtext(f"{{{SOAP12}}}Reason/{{{SOAP12}}}Text") or ""
    return code, reason, fault


@pytest.fixture(autouse=True)
def still_serving(server: Server, lefi: Lefi):
    """After every hostile request, the server is alive and answers a normal question."""
    yield
    assert server.alive()
    assert lefi.ask("198506102386", ["sjukpenning"]).status == 0


def test_a_valid_raw_question_is_answered(server: Server) -> None:
    r = post(server, envelope())
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/xml")
    assert_valid(etree.fromstring(r.content).find(f".//{{{NS}}}FK.Online.Svar"))


def test_not_xml_is_a_client_fault_400(server: Server) -> None:
    r = post(server, b"this is not XML")
    code, reason, fault = fault_of(r)
    assert r.status_code == 400
    assert code == "soap:Client"
    assert "not well-formed XML" in reason
    assert fault.find(f"detail/{{{NS}}}Valideringsfel/{{{NS}}}fel/{{{NS}}}rad") is not None


def test_empty_body_is_a_client_fault(server: Server) -> None:
    r = post(server, b"")
    code, reason, _ = fault_of(r)
    assert (r.status_code, code) == (400, "soap:Client")
    assert "empty" in reason


def test_entity_expansion_is_refused(server: Server) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<soap:Envelope xmlns:soap="' + SOAP11.encode() + b'"><soap:Body>&lol3;</soap:Body></soap:Envelope>'
    )
    r = post(server, bomb)
    code, reason, _ = fault_of(r)
    assert (r.status_code, code) == (400, "soap:Client")
    assert "DOCTYPE" in reason


def test_external_entity_is_refused_and_nothing_is_read(server: Server) -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + envelope(FRAGA.replace("198506102386", "&e;")).split(b"?>", 1)[1]
    )
    r = post(server, xxe)
    assert r.status_code == 400
    assert b"root:" not in r.content
    assert "DOCTYPE" in fault_of(r)[1]


def test_question_invalid_for_the_schema_is_a_client_fault_with_details(server: Server) -> None:
    broken = FRAGA.replace(
        "<ext:sjukpenning>1</ext:sjukpenning>", "<ext:sjukpenning>kanske</ext:sjukpenning>"
    )
    r = post(server, envelope(broken))
    code, reason, fault = fault_of(r)
    assert (r.status_code, code) == (500, "soap:Client")
    assert "validerar inte mot schemat för version 6" in reason
    messages = fault.findall(f"detail/{{{NS}}}Valideringsfel/{{{NS}}}fel/{{{NS}}}meddelande")
    assert any("sjukpenning" in m.text for m in messages)


def test_unknown_element_in_the_question_is_refused(server: Server) -> None:
    broken = FRAGA.replace("</ext:person>", "<ext:hemligt>x</ext:hemligt></ext:person>")
    code, reason, _ = fault_of(post(server, envelope(broken)))
    assert code == "soap:Client" and "hemligt" in reason


def test_impossible_date_is_refused_by_validation(server: Server) -> None:
    broken = FRAGA.replace("2025-01-01", "2025-02-30")
    code, reason, _ = fault_of(post(server, envelope(broken)))
    assert code == "soap:Client" and "2025-02-30" in reason


def test_unknown_operation_is_a_client_fault(server: Server) -> None:
    r = post(server, envelope(f'<ext:NagotAnnat xmlns:ext="{NS}"/>'))
    code, reason, _ = fault_of(r)
    assert code == "soap:Client" and "NagotAnnat" in reason


def test_wrong_content_type_is_415(server: Server) -> None:
    r = post(server, envelope(), content_type="application/json")
    assert r.status_code == 415
    code, reason, _ = fault_of(r)
    assert code == "soap:Client" and "application/json" in reason


def test_soap12_envelope_sent_as_soap11_is_a_version_mismatch(server: Server) -> None:
    r = post(server, envelope(ns=SOAP12), content_type=XML11)
    code, reason, _ = fault_of(r)
    assert (r.status_code, code) == (500, "soap:VersionMismatch")
    assert "application/soap+xml" in reason


def test_soap11_envelope_sent_as_soap12_is_a_soap11_version_mismatch_with_upgrade(server: Server) -> None:
    # SOAP 1.2 Appendix A: a SOAP 1.1 fault, with an Upgrade header naming the envelopes served
    r = post(server, envelope(ns=SOAP11), content_type=XML12)
    assert r.headers["Content-Type"].startswith("text/xml")
    code, reason, _ = fault_of(r)
    assert (r.status_code, code) == (500, "soap:VersionMismatch")
    assert "text/xml" in reason
    upgrade = etree.fromstring(r.content).find(f"{{{SOAP11}}}Header/{{{SOAP12}}}Upgrade")
    assert upgrade is not None
    assert [e.get("qname").split(":")[1] for e in upgrade] == ["Envelope", "Envelope"]
    assert [e.nsmap[e.get("qname").split(":")[0]] for e in upgrade] == [SOAP12, SOAP11]


def test_soap12_question_is_answered_in_soap12(server: Server) -> None:
    r = post(server, envelope(ns=SOAP12), content_type=XML12)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/soap+xml")
    root = etree.fromstring(r.content)
    assert root.tag == f"{{{SOAP12}}}Envelope"
    assert_valid(root.find(f".//{{{NS}}}FK.Online.Svar"))


def test_soap12_client_fault_is_400_with_sender_code(server: Server) -> None:
    r = post(
        server,
        envelope(FRAGA.replace("<ext:sjukpenning>1", "<ext:sjukpenning>x"), ns=SOAP12),
        content_type=XML12,
    )
    code, _, _ = fault_of(r)
    assert (r.status_code, code) == (400, "soap:Sender")


def test_not_an_envelope_is_refused(server: Server) -> None:
    r = post(server, FRAGA.encode())
    code, reason, _ = fault_of(r)
    assert (r.status_code, code) == (400, "soap:Client")
    assert "not a SOAP envelope" in reason


def test_invalid_utf8_is_refused(server: Server) -> None:
    r = post(server, envelope().replace(b"Fraga>", b"Fr\xff\xfega>", 1))
    code, reason, _ = fault_of(r)
    assert (r.status_code, code) == (400, "soap:Client")


def test_deep_nesting_is_refused(server: Server) -> None:
    deep = "<a>" * 200 + "</a>" * 200
    r = post(server, envelope(deep))
    code, reason, _ = fault_of(r)
    assert (r.status_code, code) == (400, "soap:Client")
    assert "nested" in reason or "not well-formed" in reason


def test_huge_body_is_413(server: Server) -> None:
    r = post(server, envelope(FRAGA.replace("<ext:referens", "<x") + "<!--" + "x" * 2_000_000 + "-->"))
    assert r.status_code == 413
    assert "larger than" in fault_of(r)[1]


def test_unknown_must_understand_header_is_a_must_understand_fault(server: Server) -> None:
    header = f'<x:Sak xmlns:x="urn:annat" soap:mustUnderstand="1" xmlns:soap="{SOAP11}"/>'
    code, reason, _ = fault_of(post(server, envelope(header=header)))
    assert code == "soap:MustUnderstand" and "Sak" in reason


def test_get_without_wsdl_is_405(server: Server) -> None:
    r = requests.get(server.url + "/ws", timeout=10)
    assert r.status_code == 405
    assert r.headers["Allow"] == "POST"


def test_wsdl_of_the_previous_version_imports_its_schema(server: Server) -> None:
    r = requests.get(server.url + "/ws?wsdl&version=5", timeout=10)
    assert r.status_code == 200
    assert b"/schemas/lefi-online-v5.xsd" in r.content
    assert requests.get(server.url + "/ws?wsdl&version=4", timeout=10).status_code == 404


def test_schema_files_are_served_and_nothing_else(server: Server) -> None:
    assert requests.get(server.url + "/schemas/lefi-online-typer.xsd", timeout=10).status_code == 200
    assert requests.get(server.url + "/schemas/..%2Fpyproject.toml", timeout=10).status_code == 404


def test_the_wsdl_file_loads_offline_and_its_client_asks_the_server(server: Server) -> None:
    """A partner can keep schemas/ in its own repository: zeep loads the WSDL and its
    schemas from disk with every network request refused, then asks the server."""
    import zeep
    from support.server import SCHEMAS
    from zeep.plugins import HistoryPlugin
    from zeep.transports import Transport

    class NoNetwork(requests.Session):
        def request(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            if kwargs.get("method", args[0] if args else "") == "POST":
                return super().request(*args, **kwargs)
            raise AssertionError(f"the WSDL tried to load {args[1:] or kwargs} from the network")

    client = zeep.Client(str(SCHEMAS / "lefi-online.wsdl"), transport=Transport(session=NoNetwork()))
    service = client.create_service(
        "{http://schema.forsakringskassan.se/externa_intressenter/EXAHamtaFormansinformation}"
        "EXAHamtaFormansinformationSoap11",
        server.url + "/ws",
    )
    history = HistoryPlugin()
    client.plugins.append(history)
    svar = service.HamtaFormansinformation(
        generelltfalt={"organisationsnummer": "2120000142", "versionsnummer": "6"},
        informationsfalt={
            "person": {
                "personnummer": "198506102386",
                "fromdatum": "2026-01-01",
                "tomdatum": "2026-10-31",
                "formansforteckning": {"sjukpenning": True},
            }
        },
    )
    assert svar.generelltfalt.status.kod == 0
    assert_valid(history.last_received["envelope"].find(f".//{{{NS}}}FK.Online.Svar"))


def test_upper_case_wsdl_query_is_served(server: Server) -> None:
    r = requests.get(server.url + "/ws/FK.EXA.Lefi.Fraga?WSDL", timeout=10)
    assert r.status_code == 200 and b"wsdl:definitions" in r.content


def test_nil_dates_are_missing_dates(server: Server) -> None:
    nil = FRAGA.replace(
        "<ext:fromdatum>2025-01-01</ext:fromdatum>",
        '<ext:fromdatum xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>',
    )
    r = post(server, envelope(nil))
    svar = etree.fromstring(r.content).find(f".//{{{NS}}}FK.Online.Svar")
    assert_valid(svar)
    assert svar.findtext(f"{{{NS}}}generelltfalt/{{{NS}}}status/{{{NS}}}kod") == "21"


def test_far_future_dates_are_code_8_not_a_crash(server: Server) -> None:
    future = FRAGA.replace("2025-01-01", "9999-12-30").replace("20261031", "99991231")
    r = post(server, envelope(future))
    svar = etree.fromstring(r.content).find(f".//{{{NS}}}FK.Online.Svar")
    assert svar.findtext(f"{{{NS}}}generelltfalt/{{{NS}}}status/{{{NS}}}kod") == "8"


def test_a_header_for_another_actor_is_not_ours_to_understand(server: Server) -> None:
    header = (
        f'<x:Sak xmlns:x="urn:annat" soap:mustUnderstand="1" soap:actor="urn:proxy" xmlns:soap="{SOAP11}"/>'
    )
    assert post(server, envelope(header=header)).status_code == 200


def test_a_question_in_the_wrong_namespace_names_both(server: Server) -> None:
    wrong = FRAGA.replace(NS, "urn:fel")
    code, reason, _ = fault_of(post(server, envelope(wrong)))
    assert code == "soap:Client" and "urn:fel" in reason and NS in reason


def test_carriage_returns_in_referens_survive(server: Server) -> None:
    ref = FRAGA.replace(
        "<ext:versionsnummer>6</ext:versionsnummer>",
        "<ext:versionsnummer>6</ext:versionsnummer><ext:referens>a&#13;b</ext:referens>",
    )
    r = post(server, envelope(ref))
    svar = etree.fromstring(r.content).find(f".//{{{NS}}}FK.Online.Svar")
    assert svar.findtext(f"{{{NS}}}generelltfalt/{{{NS}}}referens") == "a\rb"


def test_text_beside_the_question_in_body_is_refused(server: Server) -> None:
    code, reason, _ = fault_of(post(server, envelope("junk text" + FRAGA)))
    assert code == "soap:Client" and "text beside" in reason


def test_two_bodies_or_header_after_body_are_refused(server: Server) -> None:
    two = envelope().replace(b"</soap:Envelope>", b"<soap:Body/></soap:Envelope>")
    code, reason, _ = fault_of(post(server, two))
    assert code == "soap:Client" and "Header and then one Body" in reason
    late = (
        envelope()
        .replace(b"<soap:Header></soap:Header>", b"")
        .replace(b"</soap:Envelope>", b"<soap:Header/></soap:Envelope>")
    )
    assert fault_of(post(server, late))[0] == "soap:Client"


def test_a_body_in_no_namespace_is_a_client_fault_not_a_crash(server: Server) -> None:
    unqualified = envelope().replace(b"<soap:Body>", b"<Body>").replace(b"</soap:Body>", b"</Body>")
    code, reason, _ = fault_of(post(server, unqualified))
    assert code == "soap:Client" and "Header and then one Body" in reason


def test_a_body_that_is_not_really_gzip_is_a_client_fault(server: Server) -> None:
    r = requests.post(
        server.url + "/ws",
        data=envelope(),
        headers={"Content-Type": XML11, "Content-Encoding": "gzip"},
        timeout=10,
    )
    code, reason, _ = fault_of(r)
    assert (r.status_code, code) == (400, "soap:Client")
    assert "cannot be read" in reason


def test_a_gzipped_question_is_answered(server: Server) -> None:
    import gzip

    r = requests.post(
        server.url + "/ws",
        data=gzip.compress(envelope()),
        headers={"Content-Type": XML11, "Content-Encoding": "gzip"},
        timeout=10,
    )
    assert r.status_code == 200


def test_too_large_is_refused_before_the_body_is_sent(server: Server) -> None:
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        s.sendall(
            b"POST /ws HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            b"Content-Length: 2000000\r\nExpect: 100-continue\r\n\r\n"
        )
        head = s.recv(200)
    assert head.startswith(b"HTTP/1.1 413"), head


def test_a_broken_host_header_gets_400_not_a_crash(server: Server) -> None:
    r = requests.get(server.url + "/ws?wsdl", headers={"Host": "x:99999999"}, timeout=10)
    assert r.status_code == 400
