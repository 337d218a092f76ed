"""The benefit catalogue: every benefit LEFI Online knows, in one table.

Each benefit is keyed by its legacy XML element name (the names in FK's own
``FK.Online.Svar`` answers, e.g. ``sjukpenning``), carries its label and web group
(seed 001 §2.2 and §5.1), its history limit (seed 001 §2.3), the interface version
that introduced it, its codes in FK's payment records, and the LEFI v9 group codes it
maps to. The v9 side is the table ``V9_GROUPS`` below; the two are one mapping.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from functools import cache

__all__ = [
    "Benefit",
    "BenefitGroup",
    "DEFAULT_ORG_TYPE_FILTERS",
    "HistoryLimit",
    "Shape",
    "V9Group",
    "V9_GROUPS",
    "ALL_KEYS",
    "BENEFITS",
    "FORMANSFORTECKNING_ORDER",
    "FORMANSINFORMATION_ORDER",
    "benefit",
    "benefits_for_version",
    "in_answer_order",
    "keys_for_version",
    "v9_groups_for",
]


class BenefitGroup(enum.Enum):
    """The three groups of the web screen 'Hämta förmånsinformation'."""

    PENSION = "Pensionsförmåner"
    DAGERSATTNING = "Dagersättningsförmåner"
    OVRIGA = "Övriga förmåner"


class Shape(enum.Enum):
    """What kind of data a benefit holds, which decides how it is selected and shown."""

    PERSONUPPGIFTER = "personuppgifter"  # current data only
    DAGERSATTNING = "dagersattning"  # cases with periods of days (sjukpenning, ...)
    ERSATTNING = "ersattning"  # cases with monthly amounts (barnbidrag, livränta, ...)
    SGI = "sgi"  # sjukpenninggrundande inkomst decisions
    PENSION = "pension"  # ålderspension, premiepension, pension points
    PROGNOS = "prognos"  # pension forecasts per mailing year
    LEVNADSINTYG = "levnadsintyg"  # life certificates, current only
    UTBETALNING = "utbetalning"  # payments of every benefit the asker may see


@dataclass(frozen=True, slots=True)
class HistoryLimit:
    """How far back FK holds a benefit's data (seed 001 §2.3).

    ``since`` is the first day data exists; ``since_born_1937_or_earlier`` overrides it
    for people born 1937 or earlier (Ålderspension 37 vs 38); ``months_back`` limits data
    to that many months before today; ``current_only`` means only today's state;
    ``latest_years`` keeps only the latest N years present (pension forecasts);
    ``first_earning_year`` is the first intjänandeår of pension points.
    """

    since: date | None = None
    since_born_1937_or_earlier: date | None = None
    months_back: int | None = None
    current_only: bool = False
    latest_years: int | None = None
    first_earning_year: int | None = None

    def earliest(self, birth_date: date, today: date) -> date | None:
        """The earliest date for which data may be delivered, or None for no limit."""
        candidates: list[date] = []
        if self.since_born_1937_or_earlier is not None and birth_date.year <= 1937:
            candidates.append(self.since_born_1937_or_earlier)
        elif self.since is not None:
            candidates.append(self.since)
        if self.months_back is not None:
            candidates.append(_months_before(today, self.months_back))
        return max(candidates) if candidates else None


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(month_index, 12)
    # clamp the day for short months (31 March minus one month is 28/29 February)
    for dom in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, dom)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class Benefit:
    key: str  # legacy XML element name, also the scenario's name for the benefit
    label: str  # Swedish name as on FK's web screen
    group: BenefitGroup
    shape: Shape
    history: HistoryLimit = HistoryLimit()
    since_version: int = 5  # first XML interface version that carries it
    payment_code: str = ""  # 'forman' in FK's payment records (DAG, ABB, PLV, ...)
    payment_subcode: str = ""  # 'delforman' (SJP, FP, ÅP, ...)

    @property
    def v9_codes(self) -> tuple[str, ...]:
        return tuple(g.code for g in V9_GROUPS if self.key in g.benefits)


# History limits of seed 001 §2.3.
_DAGERSATTNING_OLD = HistoryLimit(since=date(2002, 1, 1))
_PENSION = HistoryLimit(
    since=date(2001, 1, 1), since_born_1937_or_earlier=date(2003, 1, 1), first_earning_year=2003
)
_CURRENT = HistoryLimit(current_only=True)

_P, _D, _O = BenefitGroup.PENSION, BenefitGroup.DAGERSATTNING, BenefitGroup.OVRIGA

BENEFITS: tuple[Benefit, ...] = (
    # Pensionsförmåner
    Benefit(
        "arbetsskadelivranta",
        "Arbetsskadelivränta",
        _P,
        Shape.ERSATTNING,
        HistoryLimit(since=date(2005, 1, 1)),
        payment_code="PLV",
        payment_subcode="ASL",
    ),
    Benefit(
        "efterlevandepension",
        "Efterlevandepension",
        _P,
        Shape.ERSATTNING,
        payment_code="PLV",
        payment_subcode="EP",
    ),
    Benefit("prognos", "Pensionsprognos", _P, Shape.PROGNOS, HistoryLimit(latest_years=2)),
    Benefit(
        "yrkesskadelivranta",
        "Yrkesskadelivränta",
        _P,
        Shape.ERSATTNING,
        payment_code="PLV",
        payment_subcode="YSL",
    ),
    Benefit(
        "bostadstillagg",
        "Bostadstillägg till pensionärer",
        _P,
        Shape.ERSATTNING,
        payment_code="PLV",
        payment_subcode="BTP",
    ),
    Benefit("pension", "Pension", _P, Shape.PENSION, _PENSION, payment_code="PLV", payment_subcode="ÅP"),
    Benefit(
        "sjukOchAktivitetsersattning",
        "Sjukersättning och Aktivitetsersättning",
        _P,
        Shape.ERSATTNING,
        HistoryLimit(since=date(2003, 1, 1)),
        payment_code="PLV",
        payment_subcode="SA",
    ),
    # Dagersättningsförmåner
    Benefit(
        "aktivitetsstod",
        "Aktivitetsstöd",
        _D,
        Shape.DAGERSATTNING,
        _DAGERSATTNING_OLD,
        payment_code="DAG",
        payment_subcode="AKS",
    ),
    Benefit(
        "foraldrapenning",
        "Föräldrapenning",
        _D,
        Shape.DAGERSATTNING,
        _DAGERSATTNING_OLD,
        payment_code="DAG",
        payment_subcode="FP",
    ),
    Benefit(
        "narstaendepenning",
        "Närståendepenning",
        _D,
        Shape.DAGERSATTNING,
        _DAGERSATTNING_OLD,
        payment_code="DAG",
        payment_subcode="NP",
    ),
    Benefit(
        "sjukpenning",
        "Sjukpenning",
        _D,
        Shape.DAGERSATTNING,
        _DAGERSATTNING_OLD,
        payment_code="DAG",
        payment_subcode="SJP",
    ),
    Benefit(
        "smittbararersattning",
        "Smittbärarersättning",
        _D,
        Shape.DAGERSATTNING,
        _DAGERSATTNING_OLD,
        payment_code="DAG",
        payment_subcode="SMB",
    ),
    Benefit(
        "dagpenningTillTotalforsvarspliktiga",
        "Dagpenning till totalförsvarspliktiga",
        _D,
        Shape.DAGERSATTNING,
        _DAGERSATTNING_OLD,
        payment_code="DAG",
        payment_subcode="TFD",
    ),
    Benefit(
        "havandeskapspenning",
        "Havandeskaps-/Graviditetspenning",
        _D,
        Shape.DAGERSATTNING,
        _DAGERSATTNING_OLD,
        payment_code="DAG",
        payment_subcode="GP",
    ),
    Benefit(
        "rehabersattning",
        "Rehabiliteringsersättning",
        _D,
        Shape.DAGERSATTNING,
        payment_code="DAG",
        payment_subcode="RE",
    ),
    Benefit("sjukpenninggrundandeInkomst", "Sjukpenninggrundande inkomst", _D, Shape.SGI),
    Benefit(
        "tillfalligForaldrapenning",
        "Tillfällig föräldrapenning",
        _D,
        Shape.DAGERSATTNING,
        payment_code="DAG",
        payment_subcode="TFP",
    ),
    # Övriga förmåner
    Benefit("barnbidrag", "Barnbidrag", _O, Shape.ERSATTNING, payment_code="ABB", payment_subcode="ABB"),
    Benefit(
        "handikappersattning",
        "Handikappersättning",
        _O,
        Shape.ERSATTNING,
        payment_code="HKE",
        payment_subcode="HKE",
    ),
    Benefit(
        "underhallsstod", "Underhållsstöd", _O, Shape.ERSATTNING, payment_code="UHS", payment_subcode="UHS"
    ),
    Benefit("vardbidrag", "Vårdbidrag", _O, Shape.ERSATTNING, payment_code="VB", payment_subcode="VB"),
    Benefit(
        "bostadsbidrag", "Bostadsbidrag", _O, Shape.ERSATTNING, payment_code="BOB", payment_subcode="BOB"
    ),
    Benefit("levnadsintyg", "Levnadsintyg", _O, Shape.LEVNADSINTYG, _CURRENT),
    Benefit(
        "utbetalning",
        "Utbetalning",
        _O,
        Shape.UTBETALNING,
        HistoryLimit(since=date(2008, 7, 1), months_back=18),
    ),
    Benefit("generellPersonInformation", "Personuppgifter", _O, Shape.PERSONUPPGIFTER, _CURRENT),
    # Benefits introduced after the 2013 documents; carried from interface version 6.
    Benefit(
        "merkostnadsersattning",
        "Merkostnadsersättning",
        _O,
        Shape.ERSATTNING,
        since_version=6,
        payment_code="MEK",
        payment_subcode="MEK",
    ),
    Benefit(
        "omvardnadsbidrag",
        "Omvårdnadsbidrag",
        _O,
        Shape.ERSATTNING,
        since_version=6,
        payment_code="OMV",
        payment_subcode="OMV",
    ),
    Benefit(
        "mottagareAvBarnbidrag",
        "Barnbidrag till barnet självt",
        _O,
        Shape.ERSATTNING,
        since_version=6,
        payment_code="ABB",
        payment_subcode="MABB",
    ),
    Benefit(
        "forebyggandeSjukpenning",
        "Förebyggande sjukpenning",
        _D,
        Shape.DAGERSATTNING,
        since_version=6,
        payment_code="DAG",
        payment_subcode="FSJP",
    ),
    Benefit(
        "etableringsersattning",
        "Etableringsersättning",
        _D,
        Shape.DAGERSATTNING,
        since_version=6,
        payment_code="DAG",
        payment_subcode="ET",
    ),
    Benefit(
        "etableringsjobb",
        "Ersättning vid etableringsjobb",
        _D,
        Shape.DAGERSATTNING,
        since_version=6,
        payment_code="DAG",
        payment_subcode="EJO",
    ),
    Benefit(
        "programersattning",
        "Ersättning i arbetsmarknadspolitiskt program",
        _D,
        Shape.DAGERSATTNING,
        since_version=6,
        payment_code="DAG",
        payment_subcode="PROG",
    ),
    Benefit(
        "programjobdagar",
        "Förbrukade dagar i arbetsmarknadspolitiskt program",
        _D,
        Shape.DAGERSATTNING,
        since_version=6,
    ),
    Benefit(
        "programanvisning",
        "Anvisning till arbetsmarknadspolitiskt program",
        _O,
        Shape.ERSATTNING,
        since_version=6,
    ),
    Benefit("skatteuppgift", "Skatteuppgift", _O, Shape.ERSATTNING, since_version=6),
    Benefit("studiemedelsavisering", "Avisering om studiemedel", _O, Shape.ERSATTNING, since_version=6),
    Benefit("pensionsbehallning", "Pensionsbehållning", _P, Shape.ERSATTNING, since_version=6),
    Benefit("pensionsunderlag", "Pensionsunderlag", _P, Shape.ERSATTNING, since_version=6),
)

_BY_KEY = {b.key: b for b in BENEFITS}


def benefit(key: str) -> Benefit:
    """The benefit with this legacy key; KeyError when there is none."""
    return _BY_KEY[key]


@cache
def benefits_for_version(version: int) -> tuple[Benefit, ...]:
    return tuple(b for b in BENEFITS if b.since_version <= version)


@cache
def keys_for_version(version: int) -> tuple[str, ...]:
    """The benefit keys of a version, in catalogue order (formansforteckning's order)."""
    return tuple(b.key for b in benefits_for_version(version))


ALL_KEYS: frozenset[str] = frozenset(_BY_KEY)

# FK's element order in XML answers (FK.Online.Svar), defined here once; the XML renderer
# writes it and the XSDs' sequences declare it (tests/online/test_answer_order.py checks both).
# FK's three real answers (one generated by XMLSpy from FK's own schema) list
# formansforteckning as below, and their formansinformation blocks in an order of their own
# (föräldrapenning before sjukpenning, utbetalning before bostadstillägg). Benefits FK's
# samples lack come after FK's: in formansforteckning, in catalogue order; in
# formansinformation, in formansforteckning's order.
_FK_FORMANSFORTECKNING = (
    "arbetsskadelivranta",
    "sjukOchAktivitetsersattning",
    "pension",
    "prognos",
    "tillfalligForaldrapenning",
    "sjukpenninggrundandeInkomst",
    "levnadsintyg",
    "sjukpenning",
    "foraldrapenning",
    "rehabersattning",
    "smittbararersattning",
    "havandeskapspenning",
    "narstaendepenning",
    "dagpenningTillTotalforsvarspliktiga",
    "aktivitetsstod",
    "barnbidrag",
    "bostadsbidrag",
    "bostadstillagg",
    "efterlevandepension",
    "handikappersattning",
    "generellPersonInformation",
    "underhallsstod",
    "utbetalning",
    "vardbidrag",
    "yrkesskadelivranta",
)
_FK_FORMANSINFORMATION = (
    "pension",
    "prognos",
    "tillfalligForaldrapenning",
    "sjukpenninggrundandeInkomst",
    "foraldrapenning",
    "sjukpenning",
    "barnbidrag",
    "utbetalning",
    "bostadstillagg",
)
FORMANSFORTECKNING_ORDER: tuple[str, ...] = _FK_FORMANSFORTECKNING + tuple(
    b.key for b in BENEFITS if b.key not in _FK_FORMANSFORTECKNING
)
# generellPersonInformation is answered in personuppgifter, never as a block
FORMANSINFORMATION_ORDER: tuple[str, ...] = _FK_FORMANSINFORMATION + tuple(
    k
    for k in FORMANSFORTECKNING_ORDER
    if k not in _FK_FORMANSINFORMATION and k != "generellPersonInformation"
)
_FORMANSFORTECKNING_RANK = {k: i for i, k in enumerate(FORMANSFORTECKNING_ORDER)}


@cache
def in_answer_order(keys: tuple[str, ...]) -> tuple[str, ...]:
    """``keys`` in formansforteckning's order (FK's)."""
    return tuple(sorted(keys, key=_FORMANSFORTECKNING_RANK.__getitem__))


_FORMANSINFORMATION_RANK = {k: i for i, k in enumerate(FORMANSINFORMATION_ORDER)}


def formansinformation_rank(key: str) -> int:
    """Where the benefit's block stands in formansinformation (FK's order)."""
    return _FORMANSINFORMATION_RANK[key]


@dataclass(frozen=True, slots=True)
class V9Group:
    """A LEFI v9 group code (``FK:SJP``) and the legacy benefits it covers.

    ``kind`` is ``forman`` for förmånsgrupper and ``ovrig`` for övrig information,
    the two lists of the v9 question.
    """

    code: str
    label: str
    kind: str
    benefits: tuple[str, ...]


V9_GROUPS: tuple[V9Group, ...] = (
    V9Group("FK:ABB", "Barnbidrag", "forman", ("barnbidrag",)),
    V9Group("FK:AP", "Ålderspension", "forman", ("pension",)),
    V9Group("FK:AS", "Aktivitetsstöd", "forman", ("aktivitetsstod",)),
    V9Group("FK:BOB", "Bostadsbidrag", "forman", ("bostadsbidrag",)),
    V9Group("FK:BST", "Bostadstillägg", "forman", ("bostadstillagg",)),
    V9Group("FK:BTI", "Bostads- och inkomststöd", "forman", ("bostadstillagg",)),
    V9Group(
        "FK:DPE", "Dagpenning till totalförsvarspliktiga", "forman", ("dagpenningTillTotalforsvarspliktiga",)
    ),
    V9Group("FK:EJO", "Ersättning vid etableringsjobb", "forman", ("etableringsjobb",)),
    V9Group("FK:ET", "Etableringsersättning", "forman", ("etableringsersattning",)),
    V9Group("FK:FP", "Föräldrapenning", "forman", ("foraldrapenning",)),
    V9Group("FK:FSJP", "Förebyggande sjukpenning", "forman", ("forebyggandeSjukpenning",)),
    V9Group("FK:GP", "Graviditetspenning", "forman", ("havandeskapspenning",)),
    V9Group("FK:HE", "Handikappersättning", "forman", ("handikappersattning",)),
    V9Group("FK:MABB", "Mottagare av barnbidrag", "forman", ("mottagareAvBarnbidrag",)),
    V9Group("FK:MEK", "Merkostnadsersättning", "forman", ("merkostnadsersattning",)),
    V9Group("FK:NP", "Närståendepenning", "forman", ("narstaendepenning",)),
    V9Group("FK:OMV", "Omvårdnadsbidrag", "forman", ("omvardnadsbidrag",)),
    V9Group("FK:PJOB", "Programjobbdagar", "forman", ("programjobdagar",)),
    V9Group("FK:PROG", "Programersättning", "forman", ("programersattning",)),
    V9Group("FK:RBE", "Rehabiliteringsersättning", "forman", ("rehabersattning",)),
    V9Group("FK:SA", "Sjuk- och aktivitetsersättning", "forman", ("sjukOchAktivitetsersattning",)),
    V9Group("FK:SBP", "Smittbärarpenning", "forman", ("smittbararersattning",)),
    V9Group("FK:SJP", "Sjukpenning", "forman", ("sjukpenning",)),
    V9Group("FK:TFP", "Tillfällig föräldrapenning", "forman", ("tillfalligForaldrapenning",)),
    V9Group("FK:US", "Underhållsstöd", "forman", ("underhallsstod",)),
    V9Group("FK:VB", "Vårdbidrag", "forman", ("vardbidrag",)),
    V9Group("FK:YL", "Yrkesskadelivränta", "forman", ("yrkesskadelivranta", "arbetsskadelivranta")),
    V9Group("PM:AP", "Allmän pension", "forman", ("pension",)),
    V9Group("PM:BTI", "Bostads- och inkomststöd", "forman", ("bostadstillagg",)),
    V9Group("PM:EF", "Efterlevandeförmåner", "forman", ("efterlevandepension",)),
    V9Group("FK:GEPI", "Generell personinformation", "ovrig", ("generellPersonInformation",)),
    V9Group("FK:PANV", "Programanvisning", "ovrig", ("programanvisning",)),
    V9Group("FK:SGI", "Sjukpenninggrundande inkomst", "ovrig", ("sjukpenninggrundandeInkomst",)),
    V9Group("FK:SKUP", "Skatteuppgift", "ovrig", ("skatteuppgift",)),
    V9Group("FK:STAV", "Studiemedelsavisering", "ovrig", ("studiemedelsavisering",)),
    V9Group("PM:LINT", "Levnadsintyg", "ovrig", ("levnadsintyg",)),
    V9Group("PM:PBH", "Pensionsbehållning", "ovrig", ("pensionsbehallning",)),
    V9Group("PM:PU", "Pensionsunderlag", "ovrig", ("pensionsunderlag",)),
)


def v9_groups_for(keys: frozenset[str]) -> tuple[V9Group, ...]:
    """The v9 groups whose every legacy benefit is among ``keys``."""
    return tuple(g for g in V9_GROUPS if set(g.benefits) <= keys)


_ALL = ALL_KEYS
_PERSON_AND_PAYMENTS = frozenset({"generellPersonInformation", "utbetalning"})

# Which benefits each org type may ever receive (FK's filter per org type), before the
# organisation's own agreement narrows it. A scenario may override or add types; an
# organisation whose type has no filter gets the technical error FILTER_SAKNAS.
DEFAULT_ORG_TYPE_FILTERS: dict[str, frozenset[str]] = {
    # Social services need the whole picture for ekonomiskt bistånd.
    "kommun": _ALL,
    # Insurers: sickness, work injury and income-related information.
    "forsakringsbolag": _PERSON_AND_PAYMENTS
    | {
        "sjukpenning",
        "sjukpenninggrundandeInkomst",
        "sjukOchAktivitetsersattning",
        "arbetsskadelivranta",
        "yrkesskadelivranta",
        "rehabersattning",
        "forebyggandeSjukpenning",
        "smittbararersattning",
        "levnadsintyg",
    },
    # Enforcement: every income that can be distrained, plus family benefits.
    "kronofogden": _PERSON_AND_PAYMENTS
    | {
        b.key
        for b in BENEFITS
        if b.group is not BenefitGroup.OVRIGA and b.key not in {"prognos", "pensionsbehallning"}
    }
    | {"barnbidrag", "bostadsbidrag", "underhallsstod"},
    # Other agencies (Pensionsmyndigheten, Arbetsförmedlingen, CSN ...).
    "statlig_myndighet": _PERSON_AND_PAYMENTS
    | {
        "levnadsintyg",
        "pension",
        "prognos",
        "efterlevandepension",
        "bostadstillagg",
        "sjukOchAktivitetsersattning",
        "aktivitetsstod",
        "sjukpenninggrundandeInkomst",
        "etableringsersattning",
        "programersattning",
        "programanvisning",
        "pensionsbehallning",
        "pensionsunderlag",
    },
}
