"""LEFI v9's JSON question and answer (FK's contract "LEFI extern: Förmånsinformation" 9.0.0).

Shared by the REST binding and SSBTEK v10, which carries the same JSON base64-encoded.
The question names v9 group codes (``FK:SJP``, ``PM:AP``, ``FK:GEPI``) in six lists; each
code maps to legacy benefit keys (``simulator.benefits.V9_GROUPS``) and the engine answers
as for every binding. This module only turns a question into a ``Query`` and an
``Answer`` into the v9 shapes: Försäkringskassan's information model under
``formansinformation``, Pensionsmyndigheten's model under ``ansprak``, ``beslut``,
``utbetalningar`` and ``ovrigInformation``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulator.domain.benefits import V9_GROUPS, V9Group, benefit
from simulator.domain.errors import BusinessError, TechnicalError, TeknisktFel, Verksamhetsfel
from simulator.domain.personnummer import Personnummer
from simulator.engine.answer import (
    Answer,
    BenefitSection,
    CaseSection,
    LevnadsintygSection,
    PaymentSection,
    PensionSection,
    Personuppgifter,
    SgiSection,
)
from simulator.engine.query import Query
from simulator.runtime.faults import InjectedFault
from simulator.runtime.sandbox import Sandbox
from simulator.scenario.models import Case, CaseStatus, Civilstand, Payment, Period, Transport

__all__ = [
    "Fraga",
    "FragaInvalid",
    "LefiReply",
    "LISTS",
    "parse_question",
    "to_query",
    "render_answer",
    "render_available",
    "render_source_failure",
    "felsvar",
    "technical_answer",
    "technical_reply",
    "business_reply",
    "dumps",
]

GROUPS: dict[str, V9Group] = {g.code: g for g in V9_GROUPS}
_FK_FORMAN = tuple(g.code for g in V9_GROUPS if g.kind == "forman" and g.code.startswith("FK:"))
_PM_FORMAN = tuple(g.code for g in V9_GROUPS if g.kind == "forman" and g.code.startswith("PM:"))
_OVRIG = tuple(g.code for g in V9_GROUPS if g.kind == "ovrig")

FkCode = Literal[_FK_FORMAN]  # type: ignore[valid-type]
PmCode = Literal[_PM_FORMAN]  # type: ignore[valid-type]
ExternCode = Literal[_FK_FORMAN + _PM_FORMAN]  # type: ignore[valid-type]
OvrigCode = Literal[_OVRIG]  # type: ignore[valid-type]

# The question's six lists, in the contract's order.
LISTS = (
    "formansinformation",
    "ansprak",
    "beslut",
    "preliminaraUtbetalningar",
    "utbetalningar",
    "ovrigInformation",
)
_PAYMENT_LISTS = ("preliminaraUtbetalningar", "utbetalningar")
PERSONNUMMER_PATTERN = r"^([0-9]{2})?([0-9]{10})$"

# The source systems behind FK whose failure the contract reports as an avvikelse
# (INTERNT_FEL) for the groups asked, rather than failing the whole call.
SOURCE_FAILURES = frozenset(
    {
        TeknisktFel.ANROP_MOT_KUF_MISSLYCKADES,
        TeknisktFel.ANROP_MOT_KUND_MISSLYCKADES,
        TeknisktFel.FEL_PA_PERSONINFORMATION,
    }
)


# -- the question ----------------------------------------------------------------------
class _Period(BaseModel):
    model_config = ConfigDict(extra="ignore")
    from_: date = Field(alias="from")
    tom: date


class Fraga(BaseModel):
    """LefiExternFormansinformationFraga. Unknown fields are ignored, as the contract
    does not forbid them."""

    model_config = ConfigDict(extra="ignore")
    personnummer: str = Field(pattern=PERSONNUMMER_PATTERN)
    period: _Period
    formansinformation: list[FkCode] = []
    ansprak: list[PmCode] = []
    beslut: list[PmCode] = []
    preliminaraUtbetalningar: list[ExternCode] = []  # type: ignore[valid-type]
    utbetalningar: list[ExternCode] = []  # type: ignore[valid-type]
    ovrigInformation: list[OvrigCode] = []

    @field_validator(*LISTS)
    @classmethod
    def _unique(cls, codes: list[str]) -> list[str]:
        if len(set(codes)) != len(codes):
            raise ValueError("a code is named twice (uniqueItems)")
        return codes

    def asked(self, name: str) -> list[str]:
        return list(getattr(self, name))


class FragaInvalid(Exception):
    """The body is not a question the contract accepts (the caller gets 400)."""


MAX_MEMBERS = 1000  # a question has about thirty


def parse_question(data: bytes) -> Fraga:
    """Raises ``FragaInvalid`` with a reason that names fields, never their values (the
    contract forbids personnummer in error messages)."""
    if data.count(b":") > MAX_MEMBERS:  # at least its members: bounds the work before parsing
        raise FragaInvalid(f"Felaktig fråga: fler än {MAX_MEMBERS} fält")
    try:
        json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FragaInvalid(f"Frågan är inte JSON: {exc}"[:300]) from None
    except RecursionError:  # a question is three levels deep
        raise FragaInvalid("Frågan är för djupt nästlad") from None
    try:
        return Fraga.model_validate_json(data, strict=True)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or '(frågan)'}: {e['msg']}" for e in exc.errors()[:5]
        ]
        raise FragaInvalid("Felaktig fråga: " + "; ".join(problems)[:1000]) from None


def to_query(fraga: Fraga, orgnummer: str, transport: Transport, version: int) -> Query:
    """Every legacy benefit behind the codes asked; ``utbetalning`` when payments are asked
    (the group's own benefit too, so that the engine says whether the asker may see it)."""
    keys: set[str] = set()
    for name in LISTS:
        for code in fraga.asked(name):
            keys.update(GROUPS[code].benefits)
            if name in _PAYMENT_LISTS:
                keys.add("utbetalning")
    return Query(
        orgnummer=orgnummer,
        personnummer=fraga.personnummer,
        from_date=fraga.period.from_,
        tom_date=fraga.period.tom,
        benefits=frozenset(keys),
        version=version,
        transport=transport,
    )


# -- answers and errors ----------------------------------------------------------------
@dataclass(frozen=True)
class LefiReply:
    """An HTTP status and the JSON body the contract gives it."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] | None = None  # e.g. Location of a massfråga job


def dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def felsvar(status: int, meddelande: str, at: datetime) -> LefiReply:
    """LefiFelsvar: the message in Swedish, without personnummer or orgnummer."""
    return LefiReply(status, {"meddelande": meddelande, "timestamp": at.isoformat(timespec="seconds")})


_UTLAMNARE = {"FK": "Försäkringskassan", "PM": "Pensionsmyndigheten"}


def _utlamnare(code: str) -> dict[str, Any]:
    return {
        "utlamnare": {"kod": code, "namn": _UTLAMNARE[code]},
        "tillstand": {"kod": "OK", "beskrivning": "Tillgänglig"},
    }


def _asks_pm(fraga: Fraga) -> bool:
    return any(code.startswith("PM:") for name in LISTS for code in fraga.asked(name))


# Business errors: which ones fail the whole call, and with what status. 3 and 11 are
# answered as a person with no information (FK's own SSBTEK example answers a well-formed
# number nobody has so); see docs/rest-v9.md.
_BUSINESS_STATUS = {
    Verksamhetsfel.NYTT_PERSONNUMMER: 400,
    Verksamhetsfel.PERIODSTART_EFTER_PERIODSLUT: 400,
    Verksamhetsfel.SOKPERIODEN_FOR_LANG: 400,
    Verksamhetsfel.FROM_SAKNAS: 400,
    Verksamhetsfel.TOM_SAKNAS: 400,
    Verksamhetsfel.FORMANSLISTA_SAKNAS: 400,
    Verksamhetsfel.FELAKTIGT_ORGNUMMER: 403,
    Verksamhetsfel.ORGANISATIONEN_EJ_BEHORIG_ENLIGT_BAD: 403,
}


def business_reply(status: Verksamhetsfel, detail: str, at: datetime) -> LefiReply | None:
    """The LefiFelsvar for a business error that fails the call, or None when the call is
    answered as a person without information."""
    http = _BUSINESS_STATUS.get(status)
    if http is None:
        return None
    # the engine's text for code 4 may name the new personnummer: FK's rule forbids it here
    text = status.text if status is Verksamhetsfel.NYTT_PERSONNUMMER else (detail or status.text)
    return felsvar(http, f"{text} (verksamhetsfel {status.code} {status.name})", at)


def render_answer(answer: Answer, fraga: Fraga) -> LefiReply:
    """The engine's answer as LefiExternFormansinformationSvar, or the LefiFelsvar of its
    business error. Every group asked that the asker may see is there, ``[]`` when it holds
    nothing; what was not asked is left out; no value is ``null`` (the contract's arrays are
    optional and none is nullable; docs/rest-v9.md)."""
    if answer.status is not None:
        failed = business_reply(answer.status, answer.status_detail, answer.created)
        if failed is not None:
            return failed
        return LefiReply(200, {"utlamnare": [_utlamnare("FK")]})
    assert answer.person is not None
    delivered = frozenset(answer.person.delivered)
    body: dict[str, Any] = {"utlamnare": [_utlamnare("FK")] + ([_utlamnare("PM")] if _asks_pm(fraga) else [])}
    avvikelser = _avvikelser(
        fraga,
        lambda name, g: _may_see(name, g, delivered),
        "OBEHORIG",
        "Frågeställaren är inte behörig till informationstypen",
    )
    if avvikelser:
        body["avvikelser"] = avvikelser
    sections = {s.benefit: s for s in answer.person.sections}
    shown = {name: [c for c in fraga.asked(name) if _may_see(name, GROUPS[c], delivered)] for name in LISTS}
    fk = _fk_information(answer, sections, shown)
    if fk:
        body["formansinformation"] = fk
    body.update(_pm_information(sections, shown))
    return LefiReply(200, body)


def render_source_failure(fraga: Fraga, allowed: frozenset[str], reason: str) -> LefiReply:
    """A source system behind FK failed: every group asked that the asker may see is an
    avvikelse INTERNT_FEL (the rest OBEHORIG); FK itself answered."""
    entries = _avvikelser(
        fraga,
        lambda name, g: _may_see(name, g, allowed),
        "OBEHORIG",
        "Frågeställaren är inte behörig till informationstypen",
    )
    failed = _avvikelser(fraga, lambda name, g: not _may_see(name, g, allowed), "INTERNT_FEL", reason)
    for name, items in failed.items():
        entries.setdefault(name, []).extend(items)
    body: dict[str, Any] = {"utlamnare": [_utlamnare("FK")] + ([_utlamnare("PM")] if _asks_pm(fraga) else [])}
    if entries:
        body["avvikelser"] = entries
    return LefiReply(200, body)


def render_available(allowed: frozenset[str]) -> LefiReply:
    """LefiExternTillgangligaInformationstyper for what an aktör may receive."""

    def groups(kind: str, prefix: str = "") -> list[dict[str, str]]:
        return [
            _group(g)
            for g in V9_GROUPS
            if g.kind == kind and g.code.startswith(prefix) and set(g.benefits) <= allowed
        ]

    payments = groups("forman") if "utbetalning" in allowed else []
    return LefiReply(
        200,
        {
            "utlamnare": [_utlamnare("FK"), _utlamnare("PM")],
            "formansinformation": groups("forman", "FK:"),
            "ansprak": groups("forman", "PM:"),
            "beslut": groups("forman", "PM:"),
            "preliminaraUtbetalningar": payments,
            "utbetalningar": payments,
            "ovrigInformation": groups("ovrig"),
        },
    )


def _group(g: V9Group) -> dict[str, str]:
    return {"kod": g.code, "beskrivning": g.label}


def _may_see(list_name: str, g: V9Group, keys: frozenset[str]) -> bool:
    if list_name in _PAYMENT_LISTS and "utbetalning" not in keys:
        return False
    return set(g.benefits) <= keys


def _avvikelser(
    fraga: Fraga, fine: Callable[[str, V9Group], bool], kod: str, text: str
) -> dict[str, list[Any]]:
    """LefiExternFormansinformationAvvikelser: one entry per code asked that is not ``fine``."""
    out: dict[str, list[Any]] = {}
    for name in LISTS:
        for code in fraga.asked(name):
            g = GROUPS[code]
            if fine(name, g):
                continue
            key = "ovrigInformationstyp" if name == "ovrigInformation" else "formansgrupp"
            out.setdefault(name, []).append({"avvikelse": {"kod": kod, "beskrivning": text}, key: _group(g)})
    return out


# -- Försäkringskassan's information model ---------------------------------------------
def _day(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _belopp(amount: Decimal) -> dict[str, Any]:
    return {"summa": float(amount), "valuta": "SEK"}


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _fran_till(start: date | None, end: date | None) -> dict[str, str]:
    return _drop_none({"fran": _day(start), "till": _day(end)})


@dataclass(frozen=True)
class _CaseShape:
    """Where a benefit's cases go in LefiFormansinformation and which fields its schema has."""

    key: str  # the array in LefiFormansinformation
    header: tuple[str, ...]  # of startades, aktivt, avslaget
    decision: tuple[str, ...]  # of omfattning, dagar, karens, belopp
    single: bool = False  # ``beslut`` is one object, not a list (merkostnad, omvårdnad)


_H3 = ("startades", "aktivt", "avslaget")
_H2 = ("startades", "aktivt")
_DAYS = ("omfattning", "dagar", "karens")
_DAYS_NO_KARENS = ("omfattning", "dagar")
_AMOUNT = ("belopp",)
_AMOUNT_SHARE = ("belopp", "omfattning")

_CASES: dict[str, _CaseShape] = {
    "aktivitetsstod": _CaseShape("aktivitetsstodsarende", _H3, ("dagar", "karens", "belopp")),
    "arbetsskadelivranta": _CaseShape("arbetsskadeegenlivrantearende", _H3, _AMOUNT),
    "yrkesskadelivranta": _CaseShape("yrkesskadeegenlivrantearende", _H3, _AMOUNT),
    "barnbidrag": _CaseShape("barnbidragsarende", (), _AMOUNT),
    "bostadsbidrag": _CaseShape("bostadsbidragsarende", _H3, _AMOUNT),
    "bostadstillagg": _CaseShape("bostadstillaggsarende", _H3, _AMOUNT),
    "efterlevandepension": _CaseShape("efterlevandepensionsarende", (), _AMOUNT),
    "mottagareAvBarnbidrag": _CaseShape("mottagareavbarnbidrag", (), _AMOUNT),
    "foraldrapenning": _CaseShape("foraldrapenningarende", _H3, _DAYS_NO_KARENS),
    "forebyggandeSjukpenning": _CaseShape("forebyggandeSjukpenningsarende", _H2, _DAYS),
    "handikappersattning": _CaseShape("handikappersattningsarende", _H3, _AMOUNT_SHARE),
    "havandeskapspenning": _CaseShape("graviditetspenningsarende", _H3, _DAYS_NO_KARENS),
    "narstaendepenning": _CaseShape("narstaendepenningarende", _H3, _DAYS),
    "rehabersattning": _CaseShape("rehabersattningsarende", _H2, _DAYS),
    "sjukOchAktivitetsersattning": _CaseShape("sjukOchAktivitetsersattningsarende", _H3, _AMOUNT_SHARE),
    "sjukpenning": _CaseShape("sjukpenningarende", _H2, _DAYS),
    "smittbararersattning": _CaseShape("smittbararersattningsarende", _H3, _DAYS_NO_KARENS),
    "tillfalligForaldrapenning": _CaseShape("tillfalligForaldrapenningarende", _H3, _DAYS_NO_KARENS),
    "dagpenningTillTotalforsvarspliktiga": _CaseShape("totalforsvarspliktsarende", _H3, _DAYS_NO_KARENS),
    "underhallsstod": _CaseShape("underhallsstodsmottag", _H3, _AMOUNT),
    "vardbidrag": _CaseShape("vardbidragsarende", _H3, _AMOUNT_SHARE),
    # The contract has no arrays of their own for etablering: they are programme benefits.
    "programersattning": _CaseShape("programersattningsarende", (), _AMOUNT),
    "etableringsersattning": _CaseShape("programersattningsarende", (), _AMOUNT),
    "etableringsjobb": _CaseShape("programersattningsarende", (), _AMOUNT),
    "merkostnadsersattning": _CaseShape("merkostnadsersattningsarende", _H3, _AMOUNT, single=True),
    "omvardnadsbidrag": _CaseShape("omvardnadsbidragsarende", _H3, _AMOUNT, single=True),
}


def _decision(b_key: str, p: Period, fields: tuple[str, ...]) -> dict[str, Any]:
    b = benefit(b_key)
    d: dict[str, Any] = {
        "forman": {"id": b.payment_subcode or b.payment_code or b_key, "beskrivning": b.label},
        "period": _fran_till(p.from_, p.tom),
    }
    if "omfattning" in fields:
        d["omfattning"] = {"taljare": p.omfattning, "namnare": 100}
    if "dagar" in fields and p.days is not None:
        d["dagar"] = p.days
    if "karens" in fields and p.karens is not None:
        d["karens"] = p.karens
    if "belopp" in fields and p.monthly_amount is not None:
        d["beslutatBruttobelopp"] = _belopp(p.monthly_amount)
        d["periodicitet"] = {"id": 1, "beskrivning": "Månad"}
    return d


def _case(b_key: str, case: Case, shape: _CaseShape) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "startades" in shape.header and case.start is not None:
        out["startades"] = case.start.isoformat()
    if "aktivt" in shape.header:
        out["aktivt"] = case.status in (CaseStatus.PAGAENDE, CaseStatus.ANMALT)
    if "avslaget" in shape.header:
        out["avslaget"] = case.status is CaseStatus.AVSLAG
    decisions = [_decision(b_key, p, shape.decision) for p in case.periods]
    if not shape.single:
        out["beslut"] = decisions
    elif decisions:
        # one decision per case in the contract: the latest, spanning the case, with each
        # period as a periodbeslut
        first, last = case.periods[0], case.periods[-1]
        out["beslut"] = {
            **decisions[-1],
            "period": _fran_till(first.from_, last.tom),
            "periodbeslut": [
                {
                    "period": _fran_till(p.from_, p.tom),
                    "omfattning": {"taljare": p.omfattning, "namnare": 100},
                }
                for p in case.periods
            ],
        }
    return out


def _fk_information(
    answer: Answer, sections: dict[str, BenefitSection], shown: dict[str, list[str]]
) -> dict[str, Any]:
    """LefiFormansinformation for the FK codes shown (and FK:AP), keys in the contract's order."""
    fk_codes = [c for c in shown["formansinformation"] + shown["ovrigInformation"] if c.startswith("FK:")]
    out: dict[str, Any] = {}
    person = answer.person
    assert person is not None
    done: set[str] = set()  # FK:BST and FK:BTI are the same benefit: shown once
    for code in fk_codes:
        for key in GROUPS[code].benefits:
            if key in done:
                continue
            done.add(key)
            section = sections.get(key)
            if key == "generellPersonInformation" and person.personuppgifter is not None:
                out["generellPersoninformation"] = [_personinformation(person.personuppgifter)]
            elif isinstance(section, CaseSection):
                _fk_cases(out, key, section)
            elif isinstance(section, SgiSection):
                out["sjukpenninggrundandeInkomstuppgift"] = [
                    _drop_none(
                        {
                            "faststalldes": d.decided_from.isoformat(),
                            "typ": {"id": d.type},
                            "anstallning": _belopp(d.income_a),
                            "verksamhet": _belopp(d.income_b),
                            "karens": d.karenstid,
                            "dagar": d.work_days,
                            "timmar": d.work_hours,
                        }
                    )
                    for d in section.decisions
                ]
            elif isinstance(section, PensionSection):
                out["allmanpensionsarende"] = [
                    {
                        "beslut": [
                            _drop_none(
                                {
                                    "forman": {"id": "AP", "beskrivning": "Ålderspension"},
                                    "period": _fran_till(a.from_, None),
                                    "omfattning": {"taljare": a.share, "namnare": 100},
                                    "beslutatBruttobelopp": _belopp(_monthly_total(a)),
                                }
                            )
                            for a in section.alderspension
                        ]
                    }
                ]
                out["intjanandeuppgift"] = [
                    {"ar": p.year, "poang": [float(p.points)]} for p in section.points
                ]
    fk_payment_keys = {k for c in shown["utbetalningar"] if c.startswith("FK:") for k in GROUPS[c].benefits}
    payments = sections.get("utbetalning")
    if fk_payment_keys and isinstance(payments, PaymentSection):
        out["utbetalningsuppgift"] = [
            _fk_payment(p) for p in payments.payments if p.benefit in fk_payment_keys
        ]
    if any(c.startswith("FK:") for c in shown["preliminaraUtbetalningar"]):
        out["preliminarautbetalningar"] = []  # the sandbox holds no payment decided but not yet made
    return out


def _fk_cases(out: dict[str, Any], key: str, section: CaseSection) -> None:
    if key == "programanvisning":
        out["programanvisning"] = [
            {"period": _fran_till(p.from_, p.tom), "omfattning": {"taljare": p.omfattning, "namnare": 100}}
            for c in section.cases
            for p in c.periods
        ]
    elif key == "studiemedelsavisering":
        out["studiemedelsavisering"] = [
            {"period": _fran_till(p.from_, p.tom)} for c in section.cases for p in c.periods
        ]
    elif key == "programjobdagar":
        out["programjobdagar"] = [
            {
                "antalForbrukade": c.days_used
                if c.days_used is not None
                else sum(p.days or 0 for p in c.periods)
            }
            for c in section.cases
        ]
    elif key == "skatteuppgift":
        out["skatteuppgift"] = [_drop_none({"skatteredovisningsnummer": c.type}) for c in section.cases]
    elif key in _CASES:
        shape = _CASES[key]
        out.setdefault(shape.key, []).extend(_case(key, c, shape) for c in section.cases)


def _monthly_total(a: Any) -> Decimal:
    return sum((x.monthly for x in (a.garantipension, a.inkomstpension, a.tillaggspension) if x), Decimal(0))


def _fk_payment(p: Payment) -> dict[str, Any]:
    b = benefit(p.benefit)
    return {
        "typ": {"id": 1 if p.type == "M" else 2, "beskrivning": "Månadsvis" if p.type == "M" else "Engång"},
        "formansfamilj": {"id": b.payment_code, "beskrivning": b.label},
        "datum": p.date.isoformat(),
        "period": _fran_till(p.from_, p.tom),
        "bruttobelopp": _belopp(p.gross),
        "skattebelopp": _belopp(p.tax),
        "avdragsbelopp": _belopp(p.deductions),
        "nettobelopp": _belopp(p.net),
        "utbetalningsdetalj": [
            {
                "forman": {"id": d.subcode or b.payment_subcode or b.payment_code},
                "beloppstyp": {"id": d.amount_type or d.subcode or b.payment_subcode or b.payment_code},
                "period": _fran_till(d.from_, d.tom),
                "omfattning": {"taljare": d.omfattning, "namnare": 100},
                "dagar": d.days,
                "timmar": d.hours,
                "bruttobelopp": _belopp(d.gross),
                "skattebelopp": _belopp(d.tax),
                "avdragsbelopp": _belopp(d.deductions),
            }
            for d in p.details
        ],
    }


# v9 numbers civilstånd differently from the XML interface (LefiPersoninformation).
_CIVILSTAND_V9 = {
    Civilstand.OGIFT: (1, "Ogift"),
    Civilstand.GIFT: (2, "Gift"),
    Civilstand.REGISTRERAD_PARTNER: (3, "Registrerat partnerskap"),
    Civilstand.EFTERLEVANDE_PARTNER: (4, "Efterlevande partner"),
    Civilstand.SKILD: (5, "Skild"),
    Civilstand.SKILD_PARTNER: (6, "Skild partner"),
    Civilstand.ANKA_ANKEMAN: (7, "Änka/Änkeman"),
}


def _personinformation(p: Personuppgifter) -> dict[str, Any]:
    """Protected identity: the engine has already withheld address, kommun and employer."""
    number, label = _CIVILSTAND_V9[p.civilstand]
    out: dict[str, Any] = {
        "personnummer": p.personnummer,
        "foddes": Personnummer(p.personnummer).birth_date.isoformat(),
        "namn": p.name,
        "skyddad": p.protected_identity,
        "avled": [p.deceased.isoformat()] if p.deceased else [],
        "civilstand": {"id": number, "beskrivning": label},
    }
    if p.address is not None:
        a = p.address
        out["adress"] = [
            _drop_none(
                {
                    "roller": [{"id": 1, "beskrivning": "Folkbokföringsadress"}],
                    "utdelningadress": [line for line in (a.co, a.street) if line],
                    "postnummer": a.postnummer.replace(" ", ""),
                    "postort": a.postort,
                    "land": {"namn": a.land},
                }
            )
        ]
    if p.kommunkod is not None:
        out["folkbokford"] = [{"lan": p.kommunkod[:2], "kommun": p.kommunkod[2:]}]
    if p.employer is not None:
        out["arbetsstallen"] = [{"arbetsgivare": {"organisationsnummer": p.employer}}]
    for relation in ("barn", "samhorig"):
        out[relation] = [
            {
                "personnummer": r.personnummer,
                "foddes": r.birth_date.isoformat(),
                "skyddad": r.protected_identity,
            }
            for r in p.related
            if r.relation == relation
        ]
    return out


# -- Pensionsmyndighetens information model --------------------------------------------
_PM_AMOUNT_TYPES = (
    ("garantipension", "PM:GARP", "Garantipension"),
    ("inkomstpension", "PM:IP", "Inkomstpension"),
    ("tillaggspension", "PM:TP", "Tilläggspension"),
)


def _pm_group(code: str) -> dict[str, str]:
    return _group(GROUPS[code])


def _pm_information(sections: dict[str, BenefitSection], shown: dict[str, list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if shown["ansprak"]:
        out["ansprak"] = [item for c in shown["ansprak"] for item in _pm_claims(c, sections)]
    if shown["beslut"]:
        out["beslut"] = [item for c in shown["beslut"] for item in _pm_decisions(c, sections)]
    pm_payments = [c for c in shown["utbetalningar"] if c.startswith("PM:")]
    payments = sections.get("utbetalning")
    if pm_payments:
        out["utbetalningar"] = [
            _pm_payment(c, p)
            for c in pm_payments
            if isinstance(payments, PaymentSection)
            for p in payments.payments
            if p.benefit in GROUPS[c].benefits
        ]
    if any(c.startswith("PM:") for c in shown["preliminaraUtbetalningar"]):
        out["preliminaraUtbetalningar"] = []
    ovrig = [c for c in shown["ovrigInformation"] if c.startswith("PM:")]
    if ovrig:
        out["ovrigInformation"] = [item for c in ovrig for item in _pm_other(c, sections)]
    return out


def _pm_claims(code: str, sections: dict[str, BenefitSection]) -> list[dict[str, Any]]:
    out = []
    for key in GROUPS[code].benefits:
        section = sections.get(key)
        if isinstance(section, CaseSection):
            for c in section.cases:
                if c.start is None:
                    continue
                period = _drop_none({"from": c.start.isoformat(), "tom": _day(c.end)})
                out.append(
                    _drop_none(
                        {
                            "ankomstdatum": _day(c.reported),
                            "formansgrupp": _pm_group(code),
                            "yrkadPeriod": period,
                        }
                    )
                )
    return out


def _pm_decisions(code: str, sections: dict[str, BenefitSection]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    status = {"kod": "SLUTLIGT", "beskrivning": "Slutligt"}
    for key in GROUPS[code].benefits:
        section = sections.get(key)
        if isinstance(section, PensionSection):
            for a in section.alderspension:
                ersattning = [
                    {
                        "beslutatBelopp": {
                            "belopp": int(amount.monthly),
                            "beloppsfrekvens": {"kod": "MANAD", "beskrivning": "Månad"},
                        },
                        "period": {"from": a.from_.isoformat()},
                        "ersattningstyp": {"kod": kod, "beskrivning": label},
                        "omfattning": a.share / 100,
                    }
                    for attr, kod, label in _PM_AMOUNT_TYPES
                    if (amount := getattr(a, attr)) is not None
                ]
                out.append(
                    {
                        "beslutsdatum": a.from_.isoformat(),
                        "formansgrupp": _pm_group(code),
                        "beslutsstatus": status,
                        "beslutsutfall": {"kod": "BIFALL", "beskrivning": "Bifall"},
                        "beslutadErsattning": ersattning,
                    }
                )
        elif isinstance(section, CaseSection):
            for c in section.cases:
                if c.start is None:
                    continue
                utfall = ("AVSLAG", "Avslag") if c.status is CaseStatus.AVSLAG else ("BIFALL", "Bifall")
                ersattning = [
                    _drop_none(
                        {
                            "beslutatBelopp": {
                                "belopp": int(p.monthly_amount),
                                "beloppsfrekvens": {"kod": "MANAD", "beskrivning": "Månad"},
                            }
                            if p.monthly_amount is not None
                            else None,
                            "period": _drop_none({"from": p.from_.isoformat(), "tom": _day(p.tom)}),
                            "omfattning": p.omfattning / 100,
                        }
                    )
                    for p in c.periods
                ]
                out.append(
                    {
                        "beslutsdatum": c.start.isoformat(),
                        "formansgrupp": _pm_group(code),
                        "beslutsstatus": status,
                        "beslutsutfall": {"kod": utfall[0], "beskrivning": utfall[1]},
                        "beslutadErsattning": ersattning,
                    }
                )
    return out


def _pm_payment(code: str, p: Payment) -> dict[str, Any]:
    return {
        "utbetalningsdatum": p.date.isoformat(),
        "utbetalningsperiod": {"from": p.from_.isoformat(), "tom": p.tom.isoformat()},
        "bruttobelopp": int(p.gross),
        "nettobelopp": int(p.net),
        "utbetalningsrader": [{"formansgrupp": _pm_group(code), "belopp": int(p.gross)}],
    }


_LEVNADSINTYG_COMPLETE = {"kod": 2, "beskrivning": "Intyg komplett"}


def _pm_other(code: str, sections: dict[str, BenefitSection]) -> list[dict[str, Any]]:
    typ = {"kod": code, "beskrivning": GROUPS[code].label}
    section = sections.get(GROUPS[code].benefits[0])
    if isinstance(section, LevnadsintygSection):
        return [
            {
                "informationstyp": typ,
                "levnadsintyg": {
                    "senastUppdaterad": c.received.isoformat(),
                    "levnadsintygsstatus": _LEVNADSINTYG_COMPLETE,
                },
            }
            for c in section.certificates
        ]
    if isinstance(section, CaseSection) and section.cases:
        # the sandbox keeps no pension accounts: the type is named, its content left empty
        field = "pensionsbehallning" if code == "PM:PBH" else "pensionsunderlag"
        return [{"informationstyp": typ, field: {}}]
    return []


# -- technical errors as v9 answers them (the onlinefråga and massfråga's per person) ----------
def technical_answer(
    sandbox: Sandbox, orgnummer: str, fraga: Fraga, transport: Transport, exc: TechnicalError
) -> LefiReply:
    """A technical error as v9 answers it: a failing source system behind FK is a 200 with
    INTERNT_FEL avvikelser, any other error a 500 LefiFelsvar (also massfråga's per person)."""
    if exc.status not in SOURCE_FAILURES:
        return technical_reply(exc, sandbox.clock.now())
    try:
        allowed = sandbox.engine.allowed_benefits(orgnummer, transport)
    except (BusinessError, TechnicalError):
        allowed = frozenset()
    return render_source_failure(fraga, allowed, f"{exc.status.text} ({exc.status.name})")


def technical_reply(exc: TechnicalError | InjectedFault, at: datetime) -> LefiReply:
    if isinstance(exc, InjectedFault):
        return felsvar(500, f"Simulerat fel (regel {exc.rule.id}): {exc.reason}", at)
    return felsvar(500, f"{exc.status.text} ({exc.status.name}){': ' + exc.detail if exc.detail else ''}", at)
