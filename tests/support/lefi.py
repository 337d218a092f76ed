"""A zeep client for the running server's WS binding, raw WS questions, and the answer
XSD check every XML answer of the suite goes through."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from typing import Any

import requests
import zeep
from lxml import etree
from zeep.plugins import HistoryPlugin

from support.server import NS, SCHEMAS


@cache
def answer_schema(version: int) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / f"lefi-online-v{version}.xsd")))


def assert_valid(element: etree._Element, version: int = 6) -> None:
    """An answer (FK.Online.Svar) or fault detail (TeknisktFel, Valideringsfel) element
    validates against our XSD of ``version``."""
    schema = answer_schema(version)
    assert schema.validate(etree.ElementTree(copy.deepcopy(element))), schema.error_log


@dataclass
class Reply:
    """What a zeep call got back: zeep's object, and the raw FK.Online.Svar element."""

    result: Any
    svar: etree._Element
    version: int

    def find(self, path: str) -> etree._Element | None:
        return self.svar.find(_qualify(path))

    def findall(self, path: str) -> list[etree._Element]:
        return self.svar.findall(_qualify(path))

    def text(self, path: str) -> str | None:
        el = self.find(path)
        return None if el is None else el.text

    @property
    def status(self) -> int:
        return int(self.text("generelltfalt/status/kod") or "-1")

    def benefit(self, key: str) -> etree._Element | None:
        return self.find(f"informationsfalt/person/formansinformation/{key}")

    def delivered(self, key: str) -> bool:
        return self.text(f"informationsfalt/person/formansforteckning/{key}") == "true"


def _qualify(path: str) -> str:
    return "/".join(p if p in (".", "..") else f"{{{NS}}}{p}" for p in path.split("/"))


@dataclass
class Lefi:
    """A zeep client for the WS binding plus the shape of a question."""

    client: zeep.Client
    history: HistoryPlugin

    def ask(
        self,
        personnummer: str,
        benefits: list[str] | None = None,
        *,
        org: str = "2120000142",
        fromdatum: str | None = "2025-01-01",
        tomdatum: str | None = "2026-10-31",
        version: str | None = "6",
        referens: str | None = None,
    ) -> Reply:
        """Ask over SOAP; every answer is validated against the answer XSD of its version."""
        generellt: dict[str, Any] = {"organisationsnummer": org}
        if version is not None:
            generellt["versionsnummer"] = version
        if referens is not None:
            generellt["referens"] = referens
        person: dict[str, Any] = {"personnummer": personnummer}
        if fromdatum is not None:
            person["fromdatum"] = fromdatum
        if tomdatum is not None:
            person["tomdatum"] = tomdatum
        if benefits is not None:
            person["formansforteckning"] = {b: True for b in benefits}
        result = self.client.service.HamtaFormansinformation(
            generelltfalt=generellt, informationsfalt={"person": person}
        )
        envelope = self.history.last_received["envelope"]
        svar = envelope.find(f".//{{{NS}}}FK.Online.Svar")
        assert svar is not None, etree.tostring(envelope)
        number = int(version) if version and version.isdigit() else 6
        assert_valid(svar, number)
        return Reply(result, svar, number)


def make_lefi(url: str, path: str = "/ws/FK.EXA.Lefi.Fraga", port: str | None = None) -> Lefi:
    """A zeep client from the served WSDL; ``port`` picks the SOAP 1.2 port by name."""
    history = HistoryPlugin()
    client = zeep.Client(
        f"{url}{path}?wsdl",
        plugins=[history],
        service_name="EXAHamtaFormansinformationService" if port else None,
        port_name=port,
    )
    return Lefi(client, history)


def raw_question(
    personnummer: str = "198506102386",
    benefits: tuple[str, ...] = ("sjukpenning",),
    *,
    org: str = "2120000142",
    fromdatum: str = "2025-01-01",
    tomdatum: str = "2026-10-31",
    version: int = 6,
) -> bytes:
    """A SOAP 1.1 question as a partner's own XML code would write it (for raw HTTP clients)."""
    wanted = "".join(f"<ext:{b}>true</ext:{b}>" for b in benefits)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ext="{NS}">
  <soap:Body><ext:FK.Online.Fraga>
    <ext:generelltfalt><ext:organisationsnummer>{org}</ext:organisationsnummer>
      <ext:versionsnummer>{version}</ext:versionsnummer></ext:generelltfalt>
    <ext:informationsfalt><ext:person><ext:personnummer>{personnummer}</ext:personnummer>
      <ext:fromdatum>{fromdatum}</ext:fromdatum><ext:tomdatum>{tomdatum}</ext:tomdatum>
      <ext:formansforteckning>{wanted}</ext:formansforteckning></ext:person></ext:informationsfalt>
  </ext:FK.Online.Fraga></soap:Body>
</soap:Envelope>""".encode()


def ask_raw(
    url: str, body: bytes | None = None, path: str = "/ws", headers: dict[str, str] | None = None
) -> requests.Response:
    return requests.post(
        url + path,
        data=body if body is not None else raw_question(),
        headers={"Content-Type": "text/xml; charset=utf-8", **(headers or {})},
        timeout=30,
    )
