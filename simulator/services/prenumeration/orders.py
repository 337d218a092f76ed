"""The order file (beställning): read, validated against schemas/prenumeration-bestallning.xsd
and checked against the organisation's agreement, or refused with its problems (at most
``MAX_PROBLEMS``) and their lines. ``read_order`` is CPU work of up to a few seconds for a
16 MB file: the service runs it in a worker thread."""

from __future__ import annotations

import enum
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar

from lxml import etree

from simulator.domain import orgnummer
from simulator.domain.errors import TechnicalError
from simulator.domain.personnummer import InvalidPersonnummer, Personnummer
from simulator.domain.schemas import SCHEMA_DIR
from simulator.engine.engine import Engine
from simulator.protocols.problem import Problem
from simulator.protocols.xmlsafe import FILE, UnsafeOrBrokenXml, parse_xml
from simulator.scenario.models import Organisation

__all__ = [
    "VERSION",
    "ORDER",
    "Action",
    "ActionKind",
    "Cancel",
    "CancelPerson",
    "NewPerson",
    "Order",
    "Refresh",
    "Subscribe",
    "action_from_document",
    "OrderRefused",
    "Problem",
    "read_order",
    "order_schema",
    "file_name",
    "printable",
]

VERSION = "2.0.4"  # the one version in force; no backward compatibility (seed)
NS = "http://schema.forsakringskassan.se/externa_intressenter"
ORDER = f"{{{NS}}}FK.Prenumeration.Bestallning"
MAX_ORDER_BYTES = 16 * 1024 * 1024
MAX_PROBLEMS = 50  # listed in an error file; a last one says that there are more
DEFAULT_NAME = "bestallning.xml"
# what XML (and a log line) cannot hold: controls, lone surrogates, non-characters
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def file_name(name: str) -> str:
    """An order file's name as text the store and the error file can hold. A name from the file
    system may be any bytes (a Windows client's Latin-1 over SMB arrives undecoded): read as
    UTF-8 if it is, else as Windows-1252; control characters become ``_``."""
    try:
        raw = os.fsencode(name)
    except UnicodeEncodeError:  # not from the file system: a lone surrogate in a query string
        raw = name.encode("utf-8", "replace")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", "replace")
    return printable(text)[:200] or DEFAULT_NAME


def printable(text: str) -> str:
    """``text`` with what XML cannot hold as ``_``."""
    return _UNPRINTABLE.sub("_", text)


class OrderRefused(Exception):
    """``problems``: the first ``MAX_PROBLEMS``; ``more``: the order has others besides."""

    def __init__(self, problems: list[Problem], more: bool = False) -> None:
        super().__init__("; ".join((f"rad {p.line}: " if p.line else "") + p.message for p in problems[:3]))
        if len(problems) > MAX_PROBLEMS:
            problems, more = problems[:MAX_PROBLEMS], True
        if more:
            problems = [*problems, Problem(f"filen har fler fel än de {MAX_PROBLEMS} som står här")]
        self.problems = problems


class ActionKind(enum.StrEnum):
    """An order's action; the text is the ``kind`` the store keeps."""

    NEW = "new"  # nyPrenumeration
    CANCEL = "cancel"  # avslut
    REFRESH = "refresh"  # heluppdatering


@dataclass(frozen=True)
class NewPerson:
    pnr: str
    benefits: dict[str, date]  # benefit → its from-date, in the order's order


@dataclass(frozen=True)
class CancelPerson:
    pnr: str
    benefits: tuple[str, ...]  # the benefits ended; none: every one


@dataclass(frozen=True)
class Subscribe:
    """nyPrenumeration: the persons subscribed to, each from its benefits' from-dates."""

    kind: ClassVar[ActionKind] = ActionKind.NEW
    persons: tuple[NewPerson, ...]

    def to_document(self) -> dict[str, Any]:
        persons = [
            {"pnr": p.pnr, "benefits": {k: v.isoformat() for k, v in p.benefits.items()}}
            for p in self.persons
        ]
        return {"kind": self.kind.value, "persons": persons}


@dataclass(frozen=True)
class Cancel:
    """avslut: subscriptions ended, whole or some of their benefits."""

    kind: ClassVar[ActionKind] = ActionKind.CANCEL
    persons: tuple[CancelPerson, ...]

    def to_document(self) -> dict[str, Any]:
        persons = [{"pnr": p.pnr, "benefits": list(p.benefits)} for p in self.persons]
        return {"kind": self.kind.value, "persons": persons}


@dataclass(frozen=True)
class Refresh:
    """heluppdatering: the persons delivered in full again; none: every subscription."""

    kind: ClassVar[ActionKind] = ActionKind.REFRESH
    persons: tuple[str, ...]

    def to_document(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "persons": list(self.persons)}


Action = Subscribe | Cancel | Refresh


def action_from_document(doc: dict[str, Any]) -> Action:
    kind = ActionKind(doc["kind"])
    if kind is ActionKind.NEW:
        return Subscribe(
            tuple(
                NewPerson(p["pnr"], {k: date.fromisoformat(v) for k, v in p["benefits"].items()})
                for p in doc["persons"]
            )
        )
    if kind is ActionKind.CANCEL:
        return Cancel(tuple(CancelPerson(p["pnr"], tuple(p["benefits"])) for p in doc["persons"]))
    return Refresh(tuple(doc["persons"]))


@dataclass
class Order:
    """What an order asks, in the order of its actions; kept as part of the stored order
    (``to_document``)."""

    orgnummer: str
    reference: str | None
    actions: list[Action] = field(default_factory=list)

    def to_document(self) -> dict[str, Any]:
        return {
            "orgnummer": self.orgnummer,
            "reference": self.reference,
            "actions": [a.to_document() for a in self.actions],
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Order:
        return cls(doc["orgnummer"], doc["reference"], [action_from_document(a) for a in doc["actions"]])

    @property
    def persons(self) -> int:
        return sum(len(a.persons) for a in self.actions)


@lru_cache(maxsize=1)
def order_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "prenumeration-bestallning.xsd"), parser))


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def read_order(data: bytes, org: Organisation, engine: Engine, today: date) -> Order:
    """The order ``org`` sent, or ``OrderRefused`` listing each problem with its line."""
    try:
        return _read_order(data, org, engine, today)
    except OrderRefused as exc:
        refused = exc.with_traceback(None)
    # raised without the frames that hold the tree: it is freed here (a 16 MB order's takes
    # 60-90 ms, holding the GIL), not wherever the exception ends, such as the event loop
    raise refused


def _read_order(data: bytes, org: Organisation, engine: Engine, today: date) -> Order:
    if len(data) > MAX_ORDER_BYTES:
        raise OrderRefused(
            [Problem(f"filen är {len(data)} byte; en beställning får vara högst {MAX_ORDER_BYTES}")]
        )
    try:
        root = parse_xml(data, FILE)
    except UnsafeOrBrokenXml as exc:
        raise OrderRefused(
            [Problem(f"filen är inte en läsbar XML-beställning: {exc.reason}", exc.line)]
        ) from None
    if root.tag != ORDER:
        raise OrderRefused(
            [Problem(f"rotelementet är {root.tag!r}; en beställning är {ORDER!r}", root.sourceline)]
        )
    version = root.get("version")
    if version != VERSION:
        raise OrderRefused(
            [
                Problem(
                    f"version {str(version)[:20]!r} stöds ej: LEFI Prenumeration har en "
                    f"schemaversion i drift, {VERSION}",
                    root.sourceline,
                )
            ]
        )
    schema_problems, more = _schema_problems(data)
    if schema_problems:
        raise OrderRefused(schema_problems, more)
    problems: list[Problem] = []
    org_el = root.find(_q("organisationsnummer"))
    assert org_el is not None  # the schema requires it
    if not orgnummer.is_valid(org_el.text or "") or orgnummer.canonical(org_el.text or "") != org.orgnummer:
        problems.append(
            Problem(
                f"organisationsnummer {org_el.text!r} är inte avsändarens ({org.orgnummer})",
                org_el.sourceline,
            )
        )
    try:
        allowed = engine.receivable(org)
    except TechnicalError as exc:
        raise OrderRefused([Problem(f"organisationens avtal kan inte läsas: {exc.status.name}")]) from None
    order = Order(org.orgnummer, root.findtext(_q("referens")))
    for action in root:
        kind = etree.QName(action).localname
        if kind == "nyPrenumeration":
            order.actions.append(Subscribe(_new(action, allowed, today, problems)))
        elif kind == "avslut":
            order.actions.append(
                Cancel(
                    tuple(
                        CancelPerson(
                            _pnr(p.find(_q("personnummer")), today, problems),
                            tuple((b.text or "").strip() for b in p.findall(_q("forman"))),
                        )
                        for p in action.findall(_q("person"))
                    )
                )
            )
        elif kind == "heluppdatering":
            order.actions.append(
                Refresh(tuple(_pnr(p, today, problems) for p in action.findall(_q("personnummer"))))
            )
    if problems:
        raise OrderRefused(problems)
    return order


class _Chunks(io.RawIOBase):
    """``data`` read in small pieces until ``stop()`` says enough."""

    def __init__(self, data: bytes, stop: Callable[[], bool]) -> None:
        self.data, self.at, self.stop, self.stopped = data, 0, stop, False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.at < len(self.data) and self.stop():
            self.stopped = True
            return b""
        chunk = self.data[self.at : self.at + 1024]
        self.at += len(chunk)
        return chunk


def _schema_problems(data: bytes) -> tuple[list[Problem], bool]:
    """The first schema errors (at most ``MAX_PROBLEMS``) with their lines, and whether there
    are more. Validating the whole tree would cost time quadratic in the errors (lxml gives each
    error the path of its element, counting the siblings before it: 20,000 wrong personnummer
    took 6 s), so libxml2 validates as it reads, a kilobyte at a time, and stops after
    ``MAX_PROBLEMS``; the tree read so far is then validated for the errors' lines. ``data``
    has passed ``parse_xml``: the parser's options are its."""
    schema = order_schema()
    root: etree._Element | None = None
    reader = _Chunks(data, lambda: len(events.error_log) > MAX_PROBLEMS)
    events = etree.iterparse(
        reader,
        events=("start",),
        tag=ORDER,  # the root, the one event: no Python per element
        schema=schema,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for _, element in events:
            root = element
    except etree.XMLSyntaxError:
        pass  # the schema's errors, or the end of what was read
    if root is None or not (reader.stopped or len(events.error_log)):
        return [], False
    schema.validate(root)
    errors = list(schema.error_log)
    problems = [Problem(e.message, e.line or None) for e in errors[:MAX_PROBLEMS]]
    return problems, reader.stopped or len(errors) > MAX_PROBLEMS


def _new(
    action: etree._Element, allowed: frozenset[str], today: date, problems: list[Problem]
) -> tuple[NewPerson, ...]:
    persons: list[NewPerson] = []
    seen: set[str] = set()
    for p in action.findall(_q("person")):
        pnr_el = p.find(_q("personnummer"))
        pnr = _pnr(pnr_el, today, problems)
        if pnr in seen:
            problems.append(
                Problem(
                    f"personnummer {pnr} står två gånger i samma nyPrenumeration",
                    pnr_el.sourceline if pnr_el is not None else None,
                )
            )
        seen.add(pnr)
        benefits: dict[str, date] = {}
        for f in p.findall(_q("forman")):
            name, text = (f.findtext(_q("namn")) or "").strip(), (f.findtext(_q("fromdatum")) or "").strip()
            if name in benefits:
                problems.append(Problem(f"förmånen {name} står två gånger för {pnr}", f.sourceline))
            if name not in allowed:
                problems.append(Problem(f"förmånen {name} ingår inte i organisationens avtal", f.sourceline))
            try:
                benefits[name] = (
                    date.fromisoformat(text)
                    if "-" in text
                    else date(int(text[:4]), int(text[4:6]), int(text[6:]))
                )
            except ValueError:
                problems.append(Problem(f"fromdatum {text!r} är inget giltigt datum", f.sourceline))
        persons.append(NewPerson(pnr, benefits))
    return tuple(persons)


def _pnr(el: etree._Element | None, today: date, problems: list[Problem]) -> str:
    text = (el.text or "").strip() if el is not None else ""
    try:
        return Personnummer.parse(text, today).value
    except InvalidPersonnummer as exc:
        problems.append(Problem(f"personnummer {exc}", el.sourceline if el is not None else None))
        return text
