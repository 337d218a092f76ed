"""Property test of the WS binding: whatever a partner's system puts in the fields of a
question, the answer is a valid FK.Online.Svar or a SOAP Fault with a valid detail, and
the server never crashes (a traceback in its log fails the run, see conftest)."""

from __future__ import annotations

from xml.sax.saxutils import escape

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from support.lefi import assert_valid
from support.server import NS, Server

from simulator.domain.benefits import BENEFITS

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"

# Text that XML 1.0 can carry (no control characters, no surrogates).
xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
numbers = st.one_of(
    xml_text,
    st.sampled_from(
        [
            "198506102386",
            "19850610-2386",
            "850610-2386",
            "850610+2386",
            "198506102387",
            "2120000142",
            "212000-0142",
            "162120000142",
            "5566778899",
            "",
            " ",
            "0",
            "9" * 12,
            "19850610238६",
        ]
    ),
)
dates = st.one_of(
    xml_text,
    st.sampled_from(
        [
            "2025-01-01",
            "20250101",
            "2026-11-02",
            "2026-11-03",
            "1999-12-31",
            "9999-12-31",
            "0001-01-01",
            "2024-02-29",
            "2025-02-29",
            "",
            "2025-1-1",
        ]
    ),
    st.dates().map(str),
)
versions = st.one_of(st.none(), xml_text, st.sampled_from(["4", "5", "6", "7", " 6 ", "06", ""]))
flags = st.dictionaries(
    st.sampled_from([b.key for b in BENEFITS]),
    st.one_of(st.sampled_from(["true", "false", "1", "0"]), xml_text),
    max_size=6,
)


def question(
    org: str, pnr: str, from_: str | None, tom: str | None, version: str | None, benefits: dict[str, str]
) -> bytes:
    parts = [f"<ext:organisationsnummer>{escape(org)}</ext:organisationsnummer>"]
    if version is not None:
        parts.append(f"<ext:versionsnummer>{escape(version)}</ext:versionsnummer>")
    person = [f"<ext:personnummer>{escape(pnr)}</ext:personnummer>"]
    if from_ is not None:
        person.append(f"<ext:fromdatum>{escape(from_)}</ext:fromdatum>")
    if tom is not None:
        person.append(f"<ext:tomdatum>{escape(tom)}</ext:tomdatum>")
    if benefits:
        person.append(
            "<ext:formansforteckning>"
            + "".join(f"<ext:{k}>{escape(v)}</ext:{k}>" for k, v in benefits.items())
            + "</ext:formansforteckning>"
        )
    return (
        f'<soap:Envelope xmlns:soap="{SOAP11}" xmlns:ext="{NS}"><soap:Body><ext:FK.Online.Fraga>'
        f"<ext:generelltfalt>{''.join(parts)}</ext:generelltfalt><ext:informationsfalt><ext:person>"
        f"{''.join(person)}</ext:person></ext:informationsfalt></ext:FK.Online.Fraga></soap:Body>"
        "</soap:Envelope>"
    ).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    org=numbers,
    pnr=numbers,
    from_=st.one_of(st.none(), dates),
    tom=st.one_of(st.none(), dates),
    version=versions,
    benefits=flags,
)
def test_any_question_gets_an_answer_or_a_fault(
    server: Server,
    org: str,
    pnr: str,
    from_: str | None,
    tom: str | None,
    version: str | None,
    benefits: dict[str, str],
) -> None:
    r = requests.post(
        server.url + "/ws",
        data=question(org, pnr, from_, tom, version, benefits),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=10,
    )
    body = etree.fromstring(r.content).find(f"{{{SOAP11}}}Body")
    assert body is not None
    child = body[0]
    if r.status_code == 200:
        assert child.tag == f"{{{NS}}}FK.Online.Svar"
        assert_valid(child, 5 if (version or "").strip().lstrip("0") == "5" else 6)
    else:
        assert r.status_code in (400, 500), r.status_code
        assert child.tag == f"{{{SOAP11}}}Fault"
        detail = child.find("detail")
        assert detail is not None and len(detail) == 1, r.text
        assert_valid(detail[0])
