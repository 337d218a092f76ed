"""The engine's answer as the tables of "Visa förmånsinformation" (seed 001 §5.2): one
table per benefit, label and value per row, in Swedish. Only wording lives here; what
is delivered is the engine's business.

One style on a page: dates are labelled as the Hämta form labels them (``Fr.o.m.``,
``T.o.m.``), a personnummer is written ``19850610-2386`` (``dashed``) as the form's example
is, and each period of a case is a group of its own under the case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from simulator.domain.benefits import benefit
from simulator.engine.answer import (
    CaseSection,
    LevnadsintygSection,
    Message,
    PaymentSection,
    PensionSection,
    PersonAnswer,
    PrognosSection,
    SgiSection,
)
from simulator.scenario.models import Amount, Case, Payment, Period

__all__ = ["Row", "RowGroup", "Table", "answer_tables", "dashed", "FROM", "TOM"]

FROM, TOM = "Fr.o.m.", "T.o.m."  # the Hämta form's labels, used for every date of a period

_BEFORE_LIMIT = (
    "En del av sökperioden ligger före den tidpunkt från vilken uppgifter om förmånen "
    "lämnas ut; den delen visas inte."
)


@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass(frozen=True)
class RowGroup:
    heading: str | None  # e.g. "Ärende 2"; None for a table's only group
    rows: tuple[Row, ...]
    periods: tuple[RowGroup, ...] = ()  # a case's periods, each under a heading of its own


def dashed(pnr: str) -> str:
    """198506102386 → 19850610-2386, as the e-tjänst writes personnummer everywhere."""
    return f"{pnr[:8]}-{pnr[8:]}" if len(pnr) == 12 and pnr.isdigit() else pnr


@dataclass(frozen=True)
class Table:
    key: str  # the benefit key (an id for the page and its tests)
    title: str
    groups: tuple[RowGroup, ...]  # none: the benefit holds nothing for the period
    note: str | None = None


def _rows(*pairs: tuple[str, object]) -> tuple[Row, ...]:
    """Rows for the pairs whose value is given (None leaves the row out)."""
    return tuple(Row(label, _text(value)) for label, value in pairs if value is not None)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _sek(value: Decimal | None) -> str | None:
    return None if value is None else f"{_text(value)} SEK"


def _omfattning(percent: int) -> str:
    named = {
        100: "Hel ersättning",
        75: "Tre fjärdedels ersättning",
        50: "Halv ersättning",
        25: "En fjärdedels ersättning",
    }
    return named.get(percent, f"{percent} %")


def answer_tables(person: PersonAnswer) -> tuple[Table, ...]:
    """Personuppgifter first, then each delivered benefit in the catalogue's order."""
    tables = [_personuppgifter(person)]
    for section in person.sections:
        title = benefit(section.benefit).label
        groups = _BUILDERS[type(section)](section)
        note = _BEFORE_LIMIT if section.message == Message.BEFORE_HISTORY_LIMIT else None
        tables.append(Table(section.benefit, title, groups, note))
    return tuple(tables)


def _personuppgifter(person: PersonAnswer) -> Table:
    p = person.personuppgifter
    if p is None:  # the organisation may not receive personuppgifter: the number only
        return Table(
            "personuppgifter",
            "Personuppgifter",
            (RowGroup(None, _rows(("Personnummer / samordningsnummer", dashed(person.personnummer)))),),
        )
    address = p.address
    groups = [
        RowGroup(
            None,
            _rows(
                ("Personnummer / samordningsnummer", dashed(p.personnummer)),
                ("Namn", p.name),
                ("Utdelningsadress 1", address.street if address else None),
                ("C/o-adress", address.co if address else None),
                ("Postkod", address.postnummer.replace(" ", "") if address else None),
                ("Postort", address.postort if address else None),
                ("Land", address.land if address else None),
                ("Kommunbeteckning", p.kommunkod),
                ("Skyddad identitet", p.protected_identity),
                ("Arbetsgivare – organisationsnummer", p.employer),
                ("Civilstånd", p.civilstand.label),
                ("Försäkrad", p.insured),
                ("Avregistrerad (avliden)", p.deceased),
            ),
        )
    ]
    for r in p.related:
        heading = "Barn" if r.relation == "barn" else "Samhörig person"
        groups.append(
            RowGroup(
                heading,
                _rows(
                    ("Personnummer", dashed(r.personnummer)),
                    ("Födelsedatum", r.birth_date),
                    ("Skyddad identitet", r.protected_identity),
                    ("Annan vårdnadshavare", r.other_guardian if r.relation == "barn" else None),
                ),
            )
        )
    return Table("personuppgifter", "Personuppgifter", tuple(groups))


_TYPE_LABEL = {"sjukpenning": "Sjukpenningstyp", "tillfalligForaldrapenning": "Ersättningsslag"}


def _period(p: Period, type_label: str, heading: str) -> RowGroup:
    return RowGroup(
        heading,
        _rows(
            (FROM, p.from_),
            (TOM, p.tom if p.tom is not None else "Pågår"),
            ("Omfattning", _omfattning(p.omfattning)),
            ("Antal dagar", p.days),
            (type_label, p.type),
            ("Karens", p.karens),
            ("Månadsbelopp", _sek(p.monthly_amount)),
        ),
    )


def _case_group(s: CaseSection, case: Case, heading: str | None) -> RowGroup:
    type_label = _TYPE_LABEL.get(s.benefit, "Ärendetyp")
    rows = _rows(
        ("Ärendestatus", case.status.label),
        ("Anmälningsdatum", case.reported),
        (type_label, case.type),
        ("Barnets personnummer", dashed(case.child) if case.child else None),
        ("Uttagna dagar", case.days_used),
        ("Uttagna dagar på garantinivå", case.days_used_guarantee),
    )
    period_type = "Åtgärdstyp" if s.benefit == "foraldrapenning" else "Typ"
    periods = []
    for i, p in enumerate(case.periods, 1):
        name = f"Period {i}" if len(case.periods) > 1 else "Period"
        periods.append(_period(p, period_type, f"{heading}, {name.lower()}" if heading else name))
    return RowGroup(heading, rows, tuple(periods))


def _cases(s: CaseSection) -> tuple[RowGroup, ...]:
    several = len(s.cases) > 1
    return tuple(_case_group(s, c, f"Ärende {i}" if several else None) for i, c in enumerate(s.cases, 1))


def _sgi(s: SgiSection) -> tuple[RowGroup, ...]:
    several = len(s.decisions) > 1
    groups = []
    for i, d in enumerate(s.decisions, 1):
        karens = (
            None
            if d.karenstid is None
            else (
                "Ingen karens"
                if d.karenstid == 0
                else f"{d.karenstid} {'dag' if d.karenstid == 1 else 'dagar'}"
            )
        )
        groups.append(
            RowGroup(
                f"Beslut {i}" if several else None,
                _rows(
                    (f"Ärende {FROM.lower()}", d.case_from),
                    (f"Beslut {FROM.lower()}", d.decided_from),
                    ("SGI-typ", "A- eller B-inkomst (vanligt SGI)" if d.type == 0 else d.type),
                    ("Årsinkomst A", _sek(d.income_a)),
                    ("Årsinkomst B", _sek(d.income_b)),
                    ("Karenstid", karens),
                    ("Årsarbetstid dagar", d.work_days),
                    ("Årsarbetstid timmar", d.work_hours),
                ),
            )
        )
    return tuple(groups)


def _amount(a: Amount | None) -> str | None:
    if a is None:
        return None
    return f"{_text(a.monthly)} SEK per månad ({_text(a.annual)} SEK per år) från {a.from_.isoformat()}"


def _pension(s: PensionSection) -> tuple[RowGroup, ...]:
    groups = []
    if s.points:
        groups.append(
            RowGroup("Pensionspoäng", tuple(Row(f"Intjänandeår {p.year}", _text(p.points)) for p in s.points))
        )
    for a in s.premiepension:
        groups.append(RowGroup("Premiepension", _rows(("Belopp", _amount(a)))))
    for d in s.alderspension:
        groups.append(
            RowGroup(
                "Ålderspension",
                _rows(
                    (FROM, d.from_),
                    ("Pensionsandel", f"{d.share} %"),
                    ("Garantipension", _amount(d.garantipension)),
                    ("Inkomstpension", _amount(d.inkomstpension)),
                    ("Tilläggspension", _amount(d.tillaggspension)),
                ),
            )
        )
    return tuple(groups)


def _prognos(s: PrognosSection) -> tuple[RowGroup, ...]:
    forecasts = sorted(s.forecasts, key=lambda f: (f.year, f.growth, f.age))
    return tuple(
        RowGroup(
            f"Utskicksår {f.year}" if len(forecasts) > 1 else None,
            _rows(
                ("Belopp", _sek(f.amount)),
                ("Uttagsålder", f"{f.age} år"),
                ("Antagen tillväxt", f"{f.growth} %"),
                ("Utskicksår", f.year),
            ),
        )
        for f in forecasts
    )


def _levnadsintyg(s: LevnadsintygSection) -> tuple[RowGroup, ...]:
    return tuple(
        RowGroup(
            None,
            _rows(("Inkommet", c.received), (f"Giltigt {TOM.lower()}", c.valid_until), ("Land", c.country)),
        )
        for c in s.certificates
    )


def _payment_group(p: Payment) -> RowGroup:
    b = benefit(p.benefit)
    rows = _rows(
        ("Förmån", b.label),
        ("Utbetalningsdatum", p.date),
        (FROM, p.from_),
        (TOM, p.tom),
        ("Utbetalningstyp", "Månadsvis" if p.type == "M" else "Engångsbelopp"),
        ("Bruttobelopp", _sek(p.gross)),
        ("Skatt", _sek(p.tax)),
        ("Avdrag", _sek(p.deductions)),
        ("Nettobelopp", _sek(p.net)),
    )
    for d in p.details:
        part = d.subcode or b.payment_subcode or b.payment_code
        rows += (
            Row(
                f"Delförmån {part}",
                f"{d.from_.isoformat()} – {d.tom.isoformat()}, "
                f"{_omfattning(d.omfattning).lower()}, {d.days} dagar, brutto {_sek(d.gross)}",
            ),
        )
    return RowGroup(f"Utbetalning {p.date.isoformat()}", rows)


def _payments(s: PaymentSection) -> tuple[RowGroup, ...]:
    return tuple(_payment_group(p) for p in s.payments)


_BUILDERS: dict[type, Callable[..., tuple[RowGroup, ...]]] = {
    CaseSection: _cases,
    SgiSection: _sgi,
    PensionSection: _pension,
    PrognosSection: _prognos,
    LevnadsintygSection: _levnadsintyg,
    PaymentSection: _payments,
}
