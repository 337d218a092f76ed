"""The LEFI Online XML dialect: FK.Online.Fraga → Query and Answer → FK.Online.Svar.

Shared by every binding that carries FK's XML question (WS, SSEK, SHS, massfråga).
Element names and their order follow FK's real answers: the benefits in the order of
``simulator/domain/benefits.py`` (FORMANSFORTECKNING_ORDER, FORMANSINFORMATION_ORDER), which
the XSDs of schemas/ declare as sequences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache
from typing import Any

from lxml import etree

from simulator.domain.benefits import benefit, formansinformation_rank, in_answer_order
from simulator.domain.errors import TechnicalError
from simulator.domain.personnummer import Personnummer
from simulator.domain.schemas import xsd_for_version
from simulator.engine.answer import (
    Answer,
    BenefitSection,
    CaseSection,
    LevnadsintygSection,
    PaymentSection,
    PensionSection,
    PersonAnswer,
    Personuppgifter,
    PrognosSection,
    SgiSection,
)
from simulator.engine.query import Query
from simulator.protocols.soap import Problem
from simulator.protocols.xmlwriter import XmlWriter
from simulator.scenario.models import Amount, Case, Period, Transport

__all__ = [
    "NS",
    "FRAGA",
    "SVAR",
    "QuestionInvalid",
    "question_version",
    "validate_question",
    "parse_question",
    "render_answer",
    "technical_error_detail",
    "validation_detail",
    "write_person",
    "write_personuppgifter",
    "write_sections",
]

NS = "http://schema.forsakringskassan.se/externa_intressenter"
FRAGA = f"{{{NS}}}FK.Online.Fraga"
SVAR = f"{{{NS}}}FK.Online.Svar"
_NSMAP = {"ext": NS}


class QuestionInvalid(Exception):
    """The question does not validate against the schema of its version."""

    def __init__(self, version: int, problems: list[Problem], against: str | None = None) -> None:
        # ``against``: the schema, when it is not the onlinefråga's of ``version`` (massfråga, LEKA)
        super().__init__(
            f"Frågan validerar inte mot {against or f'schemat för version {version}'}: "
            + "; ".join(p.message for p in problems[:3])
        )
        self.version = version
        self.problems = problems


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def question_version(fraga: etree._Element) -> str | None:
    """The versionsnummer as sent, read before validation: it picks the schema. Raises
    ``QuestionInvalid`` naming the namespace when it is missing because the question's
    elements are in another namespace (or none): that is the mistake, not the version."""
    for part in fraga:  # fraga.find("generelltfalt/versionsnummer"), without its path engine
        if part.tag == _GENERELLTFALT:
            for el in part:
                if el.tag == _VERSIONSNUMMER:
                    return (el.text or "").strip()
    _require_namespace(fraga)
    return None


def _require_namespace(root: etree._Element) -> None:
    for el in root.iterdescendants():
        if isinstance(el.tag, str) and not el.tag.startswith(_NS_PREFIX):
            qname = etree.QName(el)
            where = f"namnrymden {qname.namespace}" if qname.namespace else "ingen namnrymd"
            raise QuestionInvalid(
                0,
                [
                    Problem(
                        f"Elementet {qname.localname} ligger i {where}; elementen i "
                        f"{etree.QName(root).localname} ska ligga i namnrymden {NS}",
                        el.sourceline or None,
                    )
                ],
                against=f"schemat för {etree.QName(root).localname}",
            )


def validate_question(fraga: etree._Element, version: int) -> None:
    schema = xsd_for_version(version)
    if not schema.validate(fraga):
        problems = [Problem(e.message, e.line or None, e.column or None) for e in schema.error_log]
        raise QuestionInvalid(version, problems)


def _date(text: str | None, field: str, version: int) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) == 8:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return date.fromisoformat(text)
    except ValueError:
        raise QuestionInvalid(version, [Problem(f"{field}: {text!r} är inget giltigt datum")]) from None


def parse_question(fraga: etree._Element, version: int, transport: Transport) -> Query:
    """A validated FK.Online.Fraga → Query.

    Reads children by tag rather than with ``find`` paths: the schema has fixed their
    places, and path lookups cost more than the rest of the reading on every question."""
    parts = _by_tag(fraga)
    gen = _by_tag(parts[_GENERELLTFALT])
    person = _by_tag(_by_tag(parts[_INFORMATIONSFALT])[_PERSON])
    reference = _text_of(gen.get(_REFERENS))
    benefits: set[str] = set()
    lista = person.get(_FORMANSFORTECKNING)
    if lista is not None:
        for el in lista:
            if isinstance(el.tag, str) and (el.text or "").strip() in ("true", "1"):
                benefits.add(
                    el.tag[_NS_LENGTH:] if el.tag.startswith(_NS_PREFIX) else etree.QName(el).localname
                )
    from_date = _date(_text_of(person.get(_FROMDATUM)), "fromdatum", version)
    tom_date = _date(_text_of(person.get(_TOMDATUM)), "tomdatum", version)
    return Query(
        orgnummer=(_text_of(gen.get(_ORGANISATIONSNUMMER)) or "").strip(),
        personnummer=(_text_of(person.get(_PERSONNUMMER)) or "").strip(),
        from_date=from_date,
        tom_date=tom_date,
        benefits=frozenset(benefits),
        version=version,
        transport=transport,
        reference=reference,
    )


_NS_PREFIX = f"{{{NS}}}"
_NS_LENGTH = len(_NS_PREFIX)
_GENERELLTFALT, _INFORMATIONSFALT, _PERSON = _q("generelltfalt"), _q("informationsfalt"), _q("person")
_REFERENS, _ORGANISATIONSNUMMER, _VERSIONSNUMMER = (
    _q("referens"),
    _q("organisationsnummer"),
    _q("versionsnummer"),
)
_PERSONNUMMER, _FROMDATUM, _TOMDATUM = _q("personnummer"), _q("fromdatum"), _q("tomdatum")
_FORMANSFORTECKNING = _q("formansforteckning")


def _by_tag(parent: etree._Element) -> dict[Any, etree._Element]:
    """The children by tag; the first of a tag wins, as with ``find``."""
    children: dict[Any, etree._Element] = {}
    for child in parent:
        children.setdefault(child.tag, child)
    return children


def _text_of(el: etree._Element | None) -> str | None:
    """As ``findtext``: None for no element, "" for an element without text."""
    return None if el is None else (el.text or "")


# -- rendering (text, for speed: see simulator/protocols/xmlwriter.py) ---------------------------
def render_answer(answer: Answer) -> str:
    """The FK.Online.Svar element, as text with the ``ext`` prefix declared on it."""
    w = XmlWriter("ext")
    w.raw(f'<ext:FK.Online.Svar xmlns:ext="{NS}">')
    with w.element("generelltfalt"):
        w.leaf("organisationsnummer", answer.orgnummer)
        w.leaf("skapades", answer.created.isoformat(timespec="seconds"))
        w.leaf("kundStatus", 1 if answer.person is not None else 0)
        with w.element("status"):
            w.leaf("kod", answer.status_code)
            w.leaf("beskrivning", answer.status_text)
        w.opt("referens", answer.reference)
    if answer.person is not None or answer.new_personnummer is not None:
        with w.element("informationsfalt"), w.element("person"):
            pa = answer.person
            if pa is not None:
                write_person(w, pa, answer.benefits_in_version)
            w.opt("nyttPersonnummer", answer.new_personnummer)
    w.raw("</ext:FK.Online.Svar>")
    return w.getvalue()


def write_person(w: XmlWriter, pa: PersonAnswer, benefits_in_version: tuple[str, ...]) -> None:
    """personuppgifter, formansforteckning and formansinformation of one person's answer
    (also LEFI Prenumeration's full deliveries)."""
    if pa.personuppgifter is not None:
        write_personuppgifter(w, pa.personuppgifter)
    else:
        with w.element("personuppgifter"):
            w.leaf("personnummer", pa.personnummer)
    w.raw(_formansforteckning(w.namespace_prefix, benefits_in_version, pa.delivered))
    write_sections(w, pa.sections)


@lru_cache(maxsize=1024)
def _formansforteckning(prefix: str, benefits_in_version: tuple[str, ...], delivered: tuple[str, ...]) -> str:
    """The list of every benefit of the version, true for those delivered: a few dozen
    elements, the same few lists in most answers, so written once each."""
    w = XmlWriter(prefix)
    with w.element("formansforteckning"):
        for key in in_answer_order(benefits_in_version):
            w.leaf(key, key in delivered)
    return w.getvalue()


def write_sections(w: XmlWriter, sections: Iterable[BenefitSection]) -> None:
    with w.element("formansinformation"):
        for section in sorted(sections, key=lambda s: formansinformation_rank(s.benefit)):
            _SECTION_RENDERERS[type(section)](w, section)


def write_personuppgifter(w: XmlWriter, p: Personuppgifter) -> None:
    with w.element("personuppgifter"):
        w.leaf("personnummer", p.personnummer)
        w.leaf("aviseringsnamn", p.name)
        w.opt("kommunbeteckning", p.kommunkod)
        w.leaf("sarskildProvning", p.protected_identity)
        w.leaf("avregistrerad", 1 if p.deceased else 0)
        w.opt("avregistreringsdatum", p.deceased)
        if p.address is not None:
            with w.element("folkbokforingsadress"):
                w.leaf("utdelningsadress", p.address.street)
                w.opt("coadress", p.address.co)
                w.leaf("postnummer", p.address.postnummer.replace(" ", ""))
                w.leaf("postort", p.address.postort)
                w.leaf("land", p.address.land)
        w.opt("arbetsgivare", p.employer)
        w.leaf("civilstand", p.civilstand.code)
        w.leaf("forsakrad", p.insured)
        for relation, element in (("samhorig", "samhorigperson"), ("barn", "barn")):
            for r in p.related:
                if r.relation == relation:
                    with w.element(element):
                        w.leaf("personnummer", r.personnummer)
                        w.leaf("fodelsedatum", r.birth_date)
                        w.leaf("sarskildProvning", r.protected_identity)


def _period(w: XmlWriter, p: Period, type_element: str | None = "typ") -> None:
    """A period; ``type_element`` names the element its type goes in (None: left out)."""
    with w.element("period"):
        w.leaf("from", p.from_)
        w.opt("tom", p.tom)
        w.leaf("omfattning", p.omfattning)
        w.opt("antalDagar", p.days)
        if type_element == "atgardstyp":
            w.opt("atgardstyp", p.type)
        elif type_element == "typ":
            w.opt("typ", p.type)
        w.opt("karens", p.karens)
        w.opt("manadsbelopp", p.monthly_amount)


def _child(w: XmlWriter, case: Case) -> None:
    if case.child is None:
        return
    with w.element("barn"):
        w.leaf("personnummer", case.child)
        w.leaf("fodelsedatum", Personnummer(case.child).birth_date)


def _sjp(w: XmlWriter, case: Case) -> None:
    with w.element("sjpArende"):
        w.opt("sjukpenningtyp", case.type)
        w.opt("anmalningsdatum", case.reported)
        w.leaf("arendestatus", case.status.code)
        for p in case.periods:
            _period(w, p)


def _fp(w: XmlWriter, case: Case) -> None:
    with w.element("fpArende"):
        w.opt("anmalningsdatum", case.reported)
        for p in case.periods:
            _period(w, p, type_element="atgardstyp")
        w.leaf("arendestatus", case.status.code)
        _child(w, case)
        w.opt("uttagnaFPdagar", case.days_used)
        w.opt("uttagnaFPdagarGarantibelopp", case.days_used_guarantee)


def _tfp(w: XmlWriter, case: Case) -> None:
    with w.element("tfpArende"):
        w.opt("anmalningsdatum", case.reported)
        w.opt("ersattningsslag", case.type)
        w.leaf("arendestatus", case.status.code)
        _child(w, case)
        for p in case.periods:
            _period(w, p, type_element=None)


def _abb(w: XmlWriter, case: Case) -> None:
    with w.element("abbArende"):
        w.leaf("arendestatus", case.status.code)
        if case.child is not None:
            with w.element("egnaBarn"):
                w.leaf("personnummer", case.child)
        for p in case.periods:
            _period(w, p)


def _generic(w: XmlWriter, case: Case) -> None:
    with w.element("arende"):
        w.opt("anmalningsdatum", case.reported)
        w.leaf("arendestatus", case.status.code)
        w.opt("arendetyp", case.type)
        _child(w, case)
        for p in case.periods:
            _period(w, p)


# FK's own answers give these benefits their own case elements; the rest share one shape.
_CASE_RENDERERS = {
    "sjukpenning": _sjp,
    "foraldrapenning": _fp,
    "tillfalligForaldrapenning": _tfp,
    "barnbidrag": _abb,
}


def _cases(w: XmlWriter, s: CaseSection) -> None:
    render = _CASE_RENDERERS.get(s.benefit, _generic)
    with w.element(s.benefit):
        w.leaf("meddelande", s.message)
        for case in s.cases:
            render(w, case)


def _sgi(w: XmlWriter, s: SgiSection) -> None:
    with w.element(s.benefit):
        w.leaf("meddelande", s.message)
        for d in s.decisions:
            with w.element("sgiArende"):
                w.leaf("arendeFrom", d.case_from)
                w.leaf("beslutFrom", d.decided_from)
                w.leaf("sgiTyp", d.type)
                with w.element("arsinkomst"):
                    w.leaf("AInkomst", d.income_a)
                    w.leaf("BInkomst", d.income_b)
                    w.opt("karenstid", d.karenstid)
                if d.work_days is not None or d.work_hours is not None:
                    with w.element("arsarbetstid"):
                        w.opt("dagar", d.work_days)
                        w.opt("timmar", d.work_hours)


def _amount(w: XmlWriter, name: str, a: Amount | None) -> None:
    if a is not None:
        with w.element(name):
            w.leaf("arsbelopp", a.annual)
            w.leaf("manadsbelopp", a.monthly)
            w.leaf("from", a.from_)


def _pension(w: XmlWriter, s: PensionSection) -> None:
    with w.element(s.benefit):
        w.leaf("meddelande", s.message)
        with w.element("pensionspoang"):
            w.leaf("meddelande", s.points_message)
            for pts in s.points:
                with w.element("pensionspoangsbeslut"):
                    w.leaf("ppoang", pts.points)
                    w.leaf("intjanandear", pts.year)
        with w.element("premiepension"):
            w.leaf("meddelande", s.message)
            for a in s.premiepension:
                _amount(w, "premiepensionsbeslut", a)
        with w.element("alderspension"):
            w.leaf("meddelande", s.message)
            for d in s.alderspension:
                with w.element("alderspensionsbeslut"):
                    w.leaf("pensionsandel", d.share)
                    _amount(w, "garantipension", d.garantipension)
                    _amount(w, "inkomstpension", d.inkomstpension)
                    _amount(w, "tillaggspension", d.tillaggspension)


def _prognos(w: XmlWriter, s: PrognosSection) -> None:
    with w.element(s.benefit):
        w.leaf("meddelande", s.message)
        for f in sorted(s.forecasts, key=lambda f: (f.year, f.growth, f.age)):
            with w.element("prognosantagande"):
                w.leaf("prognosbelopp", f.amount)
                w.leaf("tillvaxt", f.growth)
                w.leaf("alder", f.age)
                w.leaf("utskicksar", f.year)


def _levnadsintyg(w: XmlWriter, s: LevnadsintygSection) -> None:
    with w.element(s.benefit):
        w.leaf("meddelande", s.message)
        for c in s.certificates:
            with w.element("intyg"):
                w.leaf("inkommet", c.received)
                w.opt("giltigtTom", c.valid_until)
                w.leaf("land", c.country)


def _payments(w: XmlWriter, s: PaymentSection) -> None:
    with w.element(s.benefit):
        w.leaf("meddelande", s.message)
        for p in s.payments:
            b = benefit(p.benefit)
            with w.element("period"):
                w.leaf("forman", b.payment_code)
                w.leaf("from", p.from_)
                w.leaf("tom", p.tom)
                w.leaf("utbetalningstyp", p.type)
                w.leaf("totaltBruttobelopp", p.gross)
                w.leaf("totaltSkattebelopp", p.tax)
                w.leaf("totaltAvdragsbelopp", p.deductions)
                w.leaf("nettobelopp", p.net)
                w.leaf("utbetalningsdatum", p.date)
                for d in p.details:
                    sub = d.subcode or b.payment_subcode or b.payment_code
                    with w.element("utbetalningen"):
                        w.leaf("delforman", sub)
                        w.leaf("beloppstyp", d.amount_type or sub)
                        w.leaf("from", d.from_)
                        w.leaf("tom", d.tom)
                        w.leaf("omfattning", d.omfattning)
                        w.leaf("timmar", d.hours)
                        w.leaf("dagar", d.days)
                        w.leaf("bruttobelopp", d.gross)
                        w.leaf("avdragsbelopp", d.deductions)
                        w.leaf("skattebelopp", d.tax)


_SECTION_RENDERERS: dict[type, Callable[[XmlWriter, Any], None]] = {
    CaseSection: _cases,
    SgiSection: _sgi,
    PensionSection: _pension,
    PrognosSection: _prognos,
    LevnadsintygSection: _levnadsintyg,
    PaymentSection: _payments,
}


def _sub(parent: etree._Element, name: str, text: object = None) -> etree._Element:
    el = etree.SubElement(parent, _q(name))
    if text is not None:
        el.text = str(text)
    return el


def technical_error_detail(err: TechnicalError) -> etree._Element:
    el = etree.Element(_q("TeknisktFel"), nsmap=_NSMAP)
    _sub(el, "kod", err.status.name)
    _sub(el, "beskrivning", err.detail or err.status.text)
    return el


def validation_detail(problems: list[Problem]) -> etree._Element:
    el = etree.Element(_q("Valideringsfel"), nsmap=_NSMAP)
    for p in problems[:20]:
        fel = _sub(el, "fel")
        _sub(fel, "meddelande", p.message)
        if p.line:
            _sub(fel, "rad", p.line)
        if p.column:
            _sub(fel, "kolumn", p.column)
    return el
