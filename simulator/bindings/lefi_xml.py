"""The LEFI Online XML dialect: FK.Online.Fraga → Query and Answer → FK.Online.Svar.

Shared by every binding that carries FK's XML question (WS now; SSEK and SHS later).
Element names and their order follow FK's real answers (see schemas/).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from simulator.bindings.soap import Problem
from simulator.engine.answer import (
    Answer, BenefitSection, CaseSection, LevnadsintygSection, PaymentSection, PensionSection,
    Personuppgifter, PrognosSection, SgiSection,
)
from simulator.engine.errors import TechnicalError
from simulator.engine.query import Query
from simulator.personnummer import Personnummer
from simulator.scenario.models import Amount, Case, Period, Transport
from simulator.schemas import xsd_for_version

__all__ = [
    "NS", "FRAGA", "SVAR", "QuestionInvalid", "question_version", "validate_question",
    "parse_question", "render_answer", "technical_error_detail", "validation_detail",
]

NS = "http://schema.forsakringskassan.se/externa_intressenter"
FRAGA = f"{{{NS}}}FK.Online.Fraga"
SVAR = f"{{{NS}}}FK.Online.Svar"
_NSMAP = {"ext": NS}


class QuestionInvalid(Exception):
    """The question does not validate against the schema of its version."""

    def __init__(self, version: int, problems: list[Problem]) -> None:
        super().__init__(f"Frågan validerar inte mot schemat för version {version}: "
                         + "; ".join(p.message for p in problems[:3]))
        self.version = version
        self.problems = problems


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def question_version(fraga: etree._Element) -> str | None:
    """The versionsnummer as sent, read before validation: it picks the schema."""
    el = fraga.find(f"{_q('generelltfalt')}/{_q('versionsnummer')}")
    return None if el is None else (el.text or "").strip()


def validate_question(fraga: etree._Element, version: int) -> None:
    schema = xsd_for_version(version)
    if not schema.validate(fraga):
        problems = [Problem(e.message, e.line or None, e.column or None) for e in schema.error_log]
        raise QuestionInvalid(version, problems)


def _date(text: str | None, field: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) == 8:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return date.fromisoformat(text)
    except ValueError:
        raise QuestionInvalid(0, [Problem(f"{field}: {text!r} är inget giltigt datum")]) from None


def parse_question(fraga: etree._Element, version: int, transport: Transport) -> Query:
    """A validated FK.Online.Fraga → Query."""
    gen = fraga.find(_q("generelltfalt"))
    person = fraga.find(f"{_q('informationsfalt')}/{_q('person')}")
    assert gen is not None and person is not None  # guaranteed by the schema
    reference = gen.findtext(_q("referens"))
    benefits: set[str] = set()
    lista = person.find(_q("formansforteckning"))
    if lista is not None:
        for el in lista:
            if isinstance(el.tag, str) and (el.text or "").strip() in ("true", "1"):
                benefits.add(etree.QName(el).localname)
    try:
        from_date = _date(person.findtext(_q("fromdatum")), "fromdatum")
        tom_date = _date(person.findtext(_q("tomdatum")), "tomdatum")
    except QuestionInvalid as exc:
        raise QuestionInvalid(version, exc.problems) from None
    return Query(
        orgnummer=(gen.findtext(_q("organisationsnummer")) or "").strip(),
        personnummer=(person.findtext(_q("personnummer")) or "").strip(),
        from_date=from_date, tom_date=tom_date, benefits=frozenset(benefits),
        version=version, transport=transport, reference=reference)


# -- rendering -------------------------------------------------------------------------
def _sub(parent: etree._Element, name: str, value: object = None) -> etree._Element:
    el = etree.SubElement(parent, _q(name))
    if value is not None:
        el.text = _text(value)
    return el


def _opt(parent: etree._Element, name: str, value: object) -> None:
    if value is not None:
        _sub(parent, name, value)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def render_answer(answer: Answer) -> etree._Element:
    svar = etree.Element(SVAR, nsmap=_NSMAP)
    gen = _sub(svar, "generelltfalt")
    _sub(gen, "organisationsnummer", answer.orgnummer)
    _sub(gen, "skapades", answer.created.isoformat(timespec="seconds"))
    _sub(gen, "kundStatus", 1 if answer.person is not None else 0)
    status = _sub(gen, "status")
    _sub(status, "kod", answer.status_code)
    _sub(status, "beskrivning", answer.status_text)
    _opt(gen, "referens", answer.reference)
    if answer.person is None and answer.new_personnummer is None:
        return svar
    person = _sub(_sub(svar, "informationsfalt"), "person")
    pa = answer.person
    if pa is not None:
        if pa.personuppgifter is not None:
            _personuppgifter(person, pa.personuppgifter)
        else:
            _sub(_sub(person, "personuppgifter"), "personnummer", pa.personnummer)
        lista = _sub(person, "formansforteckning")
        delivered = set(pa.delivered)
        for key in answer.benefits_in_version:
            _sub(lista, key, key in delivered)
        info = _sub(person, "formansinformation")
        for section in pa.sections:
            _SECTION_RENDERERS[type(section)](info, section)
    _opt(person, "nyttPersonnummer", answer.new_personnummer)
    return svar


def _personuppgifter(parent: etree._Element, p: Personuppgifter) -> None:
    el = _sub(parent, "personuppgifter")
    _sub(el, "personnummer", p.personnummer)
    _sub(el, "aviseringsnamn", p.name)
    _opt(el, "kommunbeteckning", p.kommunkod)
    _sub(el, "sarskildProvning", p.protected_identity)
    _sub(el, "avregistrerad", 1 if p.deceased else 0)
    _opt(el, "avregistreringsdatum", p.deceased)
    if p.address is not None:
        adr = _sub(el, "folkbokforingsadress")
        _sub(adr, "utdelningsadress", p.address.street)
        _opt(adr, "coadress", p.address.co)
        _sub(adr, "postnummer", p.address.postnummer.replace(" ", ""))
        _sub(adr, "postort", p.address.postort)
        _sub(adr, "land", p.address.land)
    _opt(el, "arbetsgivare", p.employer)
    _sub(el, "civilstand", p.civilstand.code)
    _sub(el, "forsakrad", p.insured)
    for relation in ("samhorig", "barn"):
        for r in p.related:
            if r.relation == relation:
                rel = _sub(el, "samhorigperson" if relation == "samhorig" else "barn")
                _sub(rel, "personnummer", r.personnummer)
                _sub(rel, "fodelsedatum", r.birth_date)
                _sub(rel, "sarskildProvning", r.protected_identity)


def _period(parent: etree._Element, p: Period, with_type: bool = True) -> None:
    el = _sub(parent, "period")
    _sub(el, "from", p.from_)
    _opt(el, "tom", p.tom)
    _sub(el, "omfattning", p.omfattning)
    _opt(el, "antalDagar", p.days)
    if with_type:
        _opt(el, "typ", p.type)
    _opt(el, "karens", p.karens)
    _opt(el, "manadsbelopp", p.monthly_amount)


def _child(parent: etree._Element, case: Case, other_guardian: bool | None = None) -> None:
    if case.child is None:
        return
    barn = _sub(parent, "barn")
    number = case.child.replace("-", "")
    _sub(barn, "personnummer", number)
    _sub(barn, "fodelsedatum", Personnummer(number).birth_date)
    _opt(barn, "annanVardnadshavare", other_guardian)


def _sjp(block: etree._Element, case: Case) -> None:
    el = _sub(block, "sjpArende")
    _opt(el, "sjukpenningtyp", case.type)
    _opt(el, "anmalningsdatum", case.reported)
    _sub(el, "arendestatus", case.status.code)
    for p in case.periods:
        _period(el, p)


def _fp(block: etree._Element, case: Case) -> None:
    el = _sub(block, "fpArende")
    _opt(el, "anmalningsdatum", case.reported)
    for p in case.periods:
        per = _sub(el, "period")
        _sub(per, "from", p.from_)
        _opt(per, "tom", p.tom)
        _sub(per, "omfattning", p.omfattning)
        _opt(per, "antalDagar", p.days)
        _opt(per, "atgardstyp", p.type)
    _sub(el, "arendestatus", case.status.code)
    _child(el, case, other_guardian=False if case.child else None)
    _opt(el, "uttagnaFPdagar", case.days_used)
    _opt(el, "uttagnaFPdagarGarantibelopp", case.days_used_guarantee)


def _tfp(block: etree._Element, case: Case) -> None:
    el = _sub(block, "tfpArende")
    _opt(el, "anmalningsdatum", case.reported)
    _opt(el, "ersattningsslag", case.type)
    _sub(el, "arendestatus", case.status.code)
    _child(el, case)
    for p in case.periods:
        _period(el, p, with_type=False)


def _abb(block: etree._Element, case: Case) -> None:
    el = _sub(block, "abbArende")
    _sub(el, "arendestatus", case.status.code)
    if case.child is not None:
        barn = _sub(el, "egnaBarn")
        _sub(barn, "personnummer", case.child.replace("-", ""))
    for p in case.periods:
        _period(el, p)


def _generic(block: etree._Element, case: Case) -> None:
    el = _sub(block, "arende")
    _opt(el, "anmalningsdatum", case.reported)
    _sub(el, "arendestatus", case.status.code)
    _opt(el, "arendetyp", case.type)
    _child(el, case)
    for p in case.periods:
        _period(el, p)


_CASE_RENDERERS = {"sjukpenning": _sjp, "foraldrapenning": _fp,
                   "tillfalligForaldrapenning": _tfp, "barnbidrag": _abb}


def _cases(info: etree._Element, s: CaseSection) -> None:
    block = _sub(info, s.benefit)
    _sub(block, "meddelande", s.message)
    render = _CASE_RENDERERS.get(s.benefit, _generic)
    for case in s.cases:
        render(block, case)


def _sgi(info: etree._Element, s: SgiSection) -> None:
    block = _sub(info, s.benefit)
    _sub(block, "meddelande", s.message)
    for d in s.decisions:
        el = _sub(block, "sgiArende")
        _sub(el, "arendeFrom", d.case_from)
        _sub(el, "beslutFrom", d.decided_from)
        _sub(el, "sgiTyp", d.type)
        inkomst = _sub(el, "arsinkomst")
        _sub(inkomst, "AInkomst", d.income_a)
        _sub(inkomst, "BInkomst", d.income_b)
        _opt(inkomst, "karenstid", d.karenstid)
        if d.work_days is not None or d.work_hours is not None:
            tid = _sub(el, "arsarbetstid")
            _opt(tid, "dagar", d.work_days)
            _opt(tid, "timmar", d.work_hours)


def _amount(parent: etree._Element, name: str, a: Amount | None) -> None:
    if a is None:
        return
    el = _sub(parent, name)
    _sub(el, "arsbelopp", a.annual)
    _sub(el, "manadsbelopp", a.monthly)
    _sub(el, "from", a.from_)


def _pension(info: etree._Element, s: PensionSection) -> None:
    block = _sub(info, s.benefit)
    _sub(block, "meddelande", s.message)
    poang = _sub(block, "pensionspoang")
    _sub(poang, "meddelande", s.message)
    for pts in s.points:
        b = _sub(poang, "pensionspoangsbeslut")
        _sub(b, "ppoang", pts.points)
        _sub(b, "intjanandear", pts.year)
    premie = _sub(block, "premiepension")
    _sub(premie, "meddelande", s.message)
    for a in s.premiepension:
        _amount(premie, "premiepensionsbeslut", a)
    alder = _sub(block, "alderspension")
    _sub(alder, "meddelande", s.message)
    for d in s.alderspension:
        b = _sub(alder, "alderspensionsbeslut")
        _sub(b, "pensionsandel", d.share)
        _amount(b, "garantipension", d.garantipension)
        _amount(b, "inkomstpension", d.inkomstpension)
        _amount(b, "tillaggspension", d.tillaggspension)


def _prognos(info: etree._Element, s: PrognosSection) -> None:
    block = _sub(info, s.benefit)
    _sub(block, "meddelande", s.message)
    for f in sorted(s.forecasts, key=lambda f: (f.year, f.growth, f.age)):
        el = _sub(block, "prognosantagande")
        _sub(el, "prognosbelopp", f.amount)
        _sub(el, "tillvaxt", f.growth)
        _sub(el, "alder", f.age)
        _sub(el, "utskicksar", f.year)


def _levnadsintyg(info: etree._Element, s: LevnadsintygSection) -> None:
    block = _sub(info, s.benefit)
    _sub(block, "meddelande", s.message)
    for c in s.certificates:
        el = _sub(block, "intyg")
        _sub(el, "inkommet", c.received)
        _opt(el, "giltigtTom", c.valid_until)
        _sub(el, "land", c.country)


def _payments(info: etree._Element, s: PaymentSection) -> None:
    from simulator.benefits import benefit

    block = _sub(info, s.benefit)
    _sub(block, "meddelande", s.message)
    for p in s.payments:
        b = benefit(p.benefit)
        el = _sub(block, "period")
        _sub(el, "forman", b.payment_code or b.key.upper()[:3])
        _sub(el, "from", p.from_)
        _sub(el, "tom", p.tom)
        _sub(el, "utbetalningstyp", p.type)
        _sub(el, "totaltBruttobelopp", p.gross)
        _sub(el, "totaltSkattebelopp", p.tax)
        _sub(el, "totaltAvdragsbelopp", p.deductions)
        _sub(el, "nettobelopp", p.net)
        _sub(el, "utbetalningsdatum", p.date)
        for d in p.details:
            u = _sub(el, "utbetalningen")
            sub = d.subcode or b.payment_subcode or b.payment_code
            _sub(u, "delforman", sub)
            _sub(u, "beloppstyp", d.amount_type or sub)
            _sub(u, "from", d.from_)
            _sub(u, "tom", d.tom)
            _sub(u, "omfattning", d.omfattning)
            _sub(u, "timmar", d.hours)
            _sub(u, "dagar", d.days)
            _sub(u, "bruttobelopp", d.gross)
            _sub(u, "avdragsbelopp", d.deductions)
            _sub(u, "skattebelopp", d.tax)


_SECTION_RENDERERS = {
    CaseSection: _cases, SgiSection: _sgi, PensionSection: _pension,
    PrognosSection: _prognos, LevnadsintygSection: _levnadsintyg, PaymentSection: _payments,
}


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
        _opt(fel, "rad", p.line)
        _opt(fel, "kolumn", p.column)
    return el


def _unused(_: BenefitSection) -> None:  # pragma: no cover - keeps the import for typing
    pass
