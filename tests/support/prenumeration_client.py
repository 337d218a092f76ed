"""A partner's side of LEFI Prenumeration for the tests: order files, the HTTP file
drop, answer files read and checked against the project's answer schema."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import requests
from lxml import etree

from support.server import SCHEMAS

NS = "http://schema.forsakringskassan.se/externa_intressenter"
SVAR_SCHEMA = etree.XMLSchema(etree.parse(str(SCHEMAS / "prenumeration-svar-2.0.4.xsd")))
ORDER_SCHEMA = etree.XMLSchema(etree.parse(str(SCHEMAS / "prenumeration-bestallning.xsd")))


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def order(
    org: str,
    new: dict[str, dict[str, str]] | None = None,
    cancel: dict[str, list[str]] | None = None,
    refresh: Iterable[str] | None = None,
    version: str = "2.0.4",
) -> bytes:
    """An order file: ``new`` personnummer → {benefit: from-date}; ``cancel`` personnummer →
    benefits (empty: all); ``refresh`` personnummer (empty: every subscription)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<ext:FK.Prenumeration.Bestallning xmlns:ext="{NS}" version="{version}">',
        f"  <ext:organisationsnummer>{org}</ext:organisationsnummer>",
    ]
    if new:
        lines.append("  <ext:nyPrenumeration>")
        for pnr, benefits in new.items():
            lines.append(f"    <ext:person><ext:personnummer>{pnr}</ext:personnummer>")
            lines += [
                f"      <ext:forman><ext:namn>{b}</ext:namn><ext:fromdatum>{d}</ext:fromdatum></ext:forman>"
                for b, d in benefits.items()
            ]
            lines.append("    </ext:person>")
        lines.append("  </ext:nyPrenumeration>")
    if cancel:
        lines.append("  <ext:avslut>")
        for pnr, benefits in cancel.items():
            lines.append(
                f"    <ext:person><ext:personnummer>{pnr}</ext:personnummer>"
                + "".join(f"<ext:forman>{b}</ext:forman>" for b in benefits)
                + "</ext:person>"
            )
        lines.append("  </ext:avslut>")
    if refresh is not None:
        lines.append(
            "  <ext:heluppdatering>"
            + "".join(f"<ext:personnummer>{p}</ext:personnummer>" for p in refresh)
            + "</ext:heluppdatering>"
        )
    lines.append("</ext:FK.Prenumeration.Bestallning>")
    return "\n".join(lines).encode("utf-8")


@dataclass
class AnswerFile:
    name: str
    root: etree._Element

    def records(self, pnr: str | None = None) -> list[etree._Element]:
        return [
            p for p in self.root.findall(q("person")) if pnr is None or p.findtext(q("personnummer")) == pnr
        ]

    def count(self, name: str) -> int:
        return int(self.root.findtext(f"{q('slutpost')}/{q(name)}") or -1)

    @property
    def upto(self) -> str:
        return self.root.findtext(f"{q('startpost')}/{q('avserTom')}") or ""

    def changes(self) -> list[tuple[str, str, str, str | None]]:
        """(personnummer, datum, handelse, forman) of every andring."""
        return [
            (
                p.findtext(q("personnummer")) or "",
                a.findtext(q("datum")) or "",
                a.findtext(q("handelse")) or "",
                a.findtext(q("forman")),
            )
            for p in self.records()
            for a in p.findall(q("andring"))
        ]


def parse_answer(name: str, body: bytes) -> AnswerFile:
    """An answer file, which must validate against the answer schema 2.0.4."""
    root = etree.fromstring(body)
    assert SVAR_SCHEMA.validate(root), f"{name}: {SVAR_SCHEMA.error_log}"
    return AnswerFile(name, root)


class Drop:
    """The HTTP side of the file drop for one organisation."""

    def __init__(self, url: str, org: str) -> None:
        self.base = f"{url}/prenumeration/{org}"

    def send(self, body: bytes, name: str = "bestallning.xml") -> requests.Response:
        return requests.post(
            f"{self.base}/bestallningar",
            params={"filnamn": name},
            data=body,
            headers={"Content-Type": "text/xml"},
            timeout=30,
        )

    def orders(self) -> list[dict]:
        return requests.get(f"{self.base}/bestallningar", timeout=10).json()["bestallningar"]

    def subscriptions(self) -> list[dict]:
        return requests.get(f"{self.base}/prenumerationer", timeout=10).json()["prenumerationer"]

    def names(self) -> list[str]:
        return [f["namn"] for f in requests.get(f"{self.base}/svar", timeout=10).json()["filer"]]

    def fetch(self, name: str) -> bytes:
        response = requests.get(f"{self.base}/svar/{name}", timeout=10)
        assert response.status_code == 200, response.text
        return response.content

    def answers(self) -> list[AnswerFile]:
        return [parse_answer(n, self.fetch(n)) for n in self.names() if n.startswith("LEFI-PREN-")]

    def wait_for(self, count: int, prefix: str = "LEFI-PREN-", timeout: float = 20) -> list[str]:
        """The names once ``count`` files with ``prefix`` are there (the background task runs
        every quarter second)."""
        deadline = time.monotonic() + timeout
        while True:
            names = [n for n in self.names() if n.startswith(prefix)]
            if len(names) >= count or time.monotonic() > deadline:
                assert len(names) == count, f"expected {count} files, found {names}"
                return names
            time.sleep(0.1)


def set_clock(url: str, when: str) -> None:
    response = requests.put(f"{url}/_admin/clock", json={"now": when, "frozen": True}, timeout=10)
    assert response.status_code == 200, response.text


def settle(seconds: float = 1.0) -> None:
    """Long enough for the background task to have looked at the clock a few times."""
    time.sleep(seconds)


def folder(data_dir: Path, org: str, which: str) -> Path:
    return data_dir / "prenumeration" / org / which
