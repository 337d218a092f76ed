"""Massfråga in XML (``schemas/lefi-massfraga.xsd``), for the SSEK and SHS bindings: the
question read into an onlinefråga template and its persons, and the answers written."""

from __future__ import annotations

from functools import lru_cache
from xml.sax.saxutils import escape

from lxml import etree

from simulator.domain import orgnummer
from simulator.domain.schemas import SCHEMA_DIR
from simulator.domain.versions import require_supported
from simulator.protocols import lefi_xml
from simulator.protocols.soap import Problem
from simulator.runtime.sandbox import Sandbox
from simulator.scenario.models import Organisation
from simulator.services.massfraga import jobs as massfraga

__all__ = [
    "HAMTA",
    "MASSFRAGA",
    "NS",
    "SCHEMA_FILE",
    "question_template",
    "receipt",
    "render_answers",
    "schema",
]

NS = lefi_xml.NS
MASSFRAGA = f"{{{NS}}}FK.Massfraga.Fraga"
HAMTA = f"{{{NS}}}FK.Massfraga.Hamta"
SCHEMA_FILE = "lefi-massfraga.xsd"


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / SCHEMA_FILE), parser))


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def question_template(
    fraga: etree._Element, sandbox: Sandbox, sender: Organisation
) -> tuple[int, str, list[str]]:
    """(version, an FK.Online.Fraga to fill in per person, the persons) of a massfråga.
    Raises ``QuestionInvalid`` for a message the schema rejects, ``TechnicalError`` for an
    unserved version and ``PermissionError`` for a question asking as another organisation."""
    asked = sum(1 for _ in fraga.iterfind(f"{_q('informationsfalt')}/{_q('personer')}/{_q('personnummer')}"))
    if asked > massfraga.MAX_PERSONS:  # said plainly, not as the schema's maxOccurs
        raise lefi_xml.QuestionInvalid(
            0,
            [Problem(f"{asked} personer; en massfråga har högst {massfraga.MAX_PERSONS}")],
            against=SCHEMA_FILE,
        )
    if not schema().validate(fraga):
        raise lefi_xml.QuestionInvalid(
            0,
            [Problem(e.message, e.line or None, e.column or None) for e in schema().error_log],
            against=SCHEMA_FILE,
        )
    version = require_supported(lefi_xml.question_version(fraga), sandbox.clock.today())
    asker = (fraga.findtext(f"{_q('generelltfalt')}/{_q('organisationsnummer')}") or "").strip()
    if orgnummer.is_valid(asker) and orgnummer.canonical(asker) != sender.orgnummer:
        raise PermissionError(f"{sender.orgnummer} cannot ask as organisation {asker}")
    info = fraga.find(_q("informationsfalt"))
    assert info is not None  # the schema says so
    persons = [(el.text or "").strip() for el in info.iterfind(f"{_q('personer')}/{_q('personnummer')}")]
    template = etree.Element(lefi_xml.FRAGA, nsmap={"ext": NS})
    generellt = fraga.find(_q("generelltfalt"))
    assert generellt is not None
    template.append(generellt)
    person = etree.SubElement(etree.SubElement(template, _q("informationsfalt")), _q("person"))
    etree.SubElement(person, _q("personnummer"))
    for el in list(info):
        if el.tag != _q("personer"):
            person.append(el)
    return version, etree.tostring(template, encoding="unicode"), persons


def render_answers(job: massfraga.Job, answers: list[dict[str, str]]) -> str:
    """FK.Massfraga.Svar: every person's answer as the onlinefråga gave it."""
    parts = [
        (
            f'<ext:FK.Massfraga.Svar xmlns:ext="{NS}"><ext:jobbId>{job.id}</ext:jobbId>'
            f"<ext:antalPersoner>{len(job.persons)}</ext:antalPersoner><ext:mottaget>{job.received}</ext:mottaget>"
            f"<ext:klart>{job.finished}</ext:klart>"
        )
    ]
    for a in answers:
        parts.append(
            f"<ext:personsvar><ext:personnummer>{escape(a['personnummer'])}</ext:personnummer>"
            f"{a['svar']}</ext:personsvar>"
        )
    parts.append("</ext:FK.Massfraga.Svar>")
    return "".join(parts)


def receipt(job: massfraga.Job) -> str:
    return (
        f'<ext:FK.Massfraga.Kvittens xmlns:ext="{NS}"><ext:jobbId>{job.id}</ext:jobbId>'
        f"<ext:antalPersoner>{len(job.persons)}</ext:antalPersoner>"
        f"<ext:mottaget>{job.received}</ext:mottaget></ext:FK.Massfraga.Kvittens>"
    )
