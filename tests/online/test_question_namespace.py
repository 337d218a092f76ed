"""Errors that point at the real mistake: a question whose children are in no namespace (or
another one) is a validation fault naming the namespace they belong in, not
VERSIONSNR_SAKNAS ("Versionsnummer saknas") although ``versionsnummer`` is there."""

from __future__ import annotations

import pytest
from support.lefi import ask_raw
from support.partner_clients import (
    post_shs,
    post_soap,
    shs_error,
    shs_label,
    soap_envelope,
    soap_fault,
    ssek_header,
)
from support.server import NS, Server

SARA = "198506102386"


def unqualified(org: str, namespace: str | None = None) -> str:
    """FK.Online.Fraga in its namespace, its children in ``namespace`` (None: no namespace)."""
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return (
        f'<ext:FK.Online.Fraga xmlns:ext="{NS}"><generelltfalt{xmlns}>'
        f"<organisationsnummer>{org}</organisationsnummer><versionsnummer>6</versionsnummer></generelltfalt>"
        f"<informationsfalt{xmlns}><person><personnummer>{SARA}</personnummer>"
        "<fromdatum>2025-01-01</fromdatum><tomdatum>2026-10-31</tomdatum>"
        "<formansforteckning><sjukpenning>true</sjukpenning></formansforteckning>"
        "</person></informationsfalt></ext:FK.Online.Fraga>"
    )


@pytest.mark.parametrize("namespace", [None, "http://example.org/fel"])
def test_ws_names_the_namespace(server: Server, namespace: str | None) -> None:
    r = ask_raw(server.url, soap_envelope(unqualified("2120000142", namespace)))
    fault = soap_fault(r)
    assert r.status_code == 500 and fault.code.endswith("Client"), fault
    assert "VERSIONSNR_SAKNAS" not in r.text and "Versionsnummer saknas" not in r.text
    assert NS in fault.reason and "generelltfalt" in fault.reason
    assert ("ingen namnrymd" if namespace is None else namespace) in fault.reason
    assert any(NS in (el.findtext(f".//{{{NS}}}meddelande") or "") for el in fault.detail)


def test_ssek_names_the_namespace(server: Server) -> None:
    r = post_soap(server.url, soap_envelope(unqualified("5566778899"), ssek_header()))
    fault = soap_fault(r)
    assert "ContentInvalid" in fault.code + (fault.subcode or ""), fault
    assert "VERSIONSNR_SAKNAS" not in r.text and "Versionsnummer saknas" not in r.text
    assert NS in fault.reason and "generelltfalt" in fault.reason


def test_shs_names_the_namespace(server: Server) -> None:
    r = post_shs(server.url, shs_label(), [unqualified("2021005489").encode()])
    code, error = shs_error(r)
    assert code == "IllegalMessageStructure", (code, r.text)
    assert "Versionsnummer saknas" not in r.text
    assert NS in (error.findtext("errorinfo") or r.text)


def test_a_question_without_versionsnummer_still_gets_versionsnr_saknas(server: Server) -> None:
    body = unqualified("2120000142", NS).replace("<versionsnummer>6</versionsnummer>", "")
    r = ask_raw(server.url, soap_envelope(body))
    assert "VERSIONSNR_SAKNAS" in r.text
