"""A generated population: N plausible persons made from a seed, the same on any day.

Building makes only the personnummer (generated, or read from a CSV of Skatteverket's
test numbers) and the households (partners, parents and children, found by age);
``person(pnr)`` makes that person on demand from (seed, position) with its own random
generator, so one person is the same whatever order people are asked in, and memory
holds the numbers and a bounded cache of persons only.

Every date is laid out around an anchor day (the scenario clock's start day), never the
wall clock: history goes back some years, some cases still run, payments fall on
monthly dates in the 18-month payment window (and up to two months after the anchor, for
a clock that runs on). Faker gives the names and street names only, from lists made once
from a fixed seed.
"""

from __future__ import annotations

import calendar
import hashlib
import sys
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from random import Random
from typing import Any, TextIO

import yaml

from simulator.domain.clock import STOCKHOLM
from simulator.domain.orgnummer import make_orgnummer
from simulator.domain.personnummer import InvalidPersonnummer, Personnummer, luhn_check_digit
from simulator.scenario.models import Person, Population

__all__ = [
    "DEFAULT_ANCHOR",
    "GeneratedPopulation",
    "PopulationError",
    "write_scenario_yaml",
]

# The default scenario's clock day: used when neither the population nor the caller gives
# a day, so that a population never depends on when it is built.
DEFAULT_ANCHOR = date(2026, 11, 2)
PBB = 59_200  # prisbasbelopp 2026, the yardstick of most amounts below
_MAX_SGI = 10 * PBB
_CACHE_SIZE = 2_000  # generated persons kept; one with its payments is ~30 KB, made again in ~1 ms


class PopulationError(ValueError):
    """A population that cannot be built; ``file`` and ``line`` say where, if in a file."""

    def __init__(self, reason: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(f"{file}:{line}: {reason}" if file else reason)
        self.file, self.line, self.reason = file, line, reason


def _stable(*parts: object) -> int:
    """A seed from the parts that is the same in every process (unlike ``hash()``)."""
    text = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


# --- names and places ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Names:
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]
    streets: tuple[str, ...]


@lru_cache(maxsize=1)
def _names() -> _Names:
    """Name lists drawn once from a Faker seeded with a constant, sorted so that the lists
    (and thus every person) do not depend on the order Faker happens to produce them in."""
    from faker import Faker

    fake = Faker("sv_SE")
    fake.seed_instance(20261102)
    return _Names(
        female=tuple(sorted({fake.first_name_female() for _ in range(4000)})),
        male=tuple(sorted({fake.first_name_male() for _ in range(4000)})),
        last=tuple(sorted({fake.last_name() for _ in range(6000)})),
        streets=tuple(sorted({fake.street_name() for _ in range(3000)})),
    )


# (kommunkod, postort, lowest and highest postnummer, weight): real kommuner with their
# postnummer ranges roughly, weighted by population
_PLACES: tuple[tuple[str, str, int, int, int], ...] = (
    ("0180", "Stockholm", 11120, 12999, 12),
    ("1480", "Göteborg", 41101, 41879, 7),
    ("1280", "Malmö", 21115, 21787, 5),
    ("0380", "Uppsala", 75220, 75758, 3),
    ("0580", "Linköping", 58213, 58758, 2),
    ("1880", "Örebro", 70210, 70594, 2),
    ("1980", "Västerås", 72210, 72595, 2),
    ("1283", "Helsingborg", 25220, 25669, 2),
    ("0581", "Norrköping", 60210, 60597, 2),
    ("0680", "Jönköping", 55302, 55629, 2),
    ("2480", "Umeå", 90325, 90792, 2),
    ("1281", "Lund", 22220, 22738, 2),
    ("1490", "Borås", 50230, 50764, 2),
    ("2281", "Sundsvall", 85230, 85790, 1),
    ("2180", "Gävle", 80250, 80646, 1),
    ("2580", "Luleå", 97231, 97596, 1),
    ("1780", "Karlstad", 65220, 65679, 1),
    ("0780", "Växjö", 35230, 35263, 1),
    ("1380", "Halmstad", 30225, 30295, 1),
    ("2380", "Östersund", 83130, 83175, 1),
    ("2584", "Kiruna", 98131, 98147, 1),
    ("0980", "Visby", 62140, 62158, 1),
    ("2181", "Sandviken", 81131, 81194, 1),
    ("1488", "Trollhättan", 46130, 46167, 1),
    ("0760", "Åseda", 36070, 36073, 1),
    ("2085", "Ludvika", 77130, 77196, 1),
)
_PLACE_CUM_WEIGHTS = list(accumulate(p[4] for p in _PLACES))  # what choices() would add up each time
_ABROAD = ("Spanien", "Finland", "Norge", "Thailand", "Portugal", "Grekland", "Danmark", "USA")

# Share of each age band (years at the anchor) in the generated numbers, roughly Sweden's
_AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (0, 5, 0.065),
    (6, 17, 0.145),
    (18, 29, 0.15),
    (30, 44, 0.20),
    (45, 64, 0.245),
    (65, 79, 0.15),
    (80, 96, 0.045),
)


# --- dates --------------------------------------------------------------------------------


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in_month(year: int, month: int) -> int:
    # calendar.monthrange works out the weekday too: a tenth of a person's making went there
    return 29 if month == 2 and calendar.isleap(year) else _MONTH_DAYS[month - 1]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, _days_in_month(year, month + 1)))


def _month_end(day: date) -> date:
    return day.replace(day=_days_in_month(day.year, day.month))


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _months(first: date, last: date) -> Iterator[date]:
    """The first day of every month from ``first``'s month to ``last``'s."""
    m = first.replace(day=1)
    while m <= last:
        yield m
        m = _add_months(m, 1)


def _workdays(first: date, last: date) -> int:
    """Monday to Friday from ``first`` to ``last``, both included (0 if ``last`` is before)."""
    days = (last - first).days + 1
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    start = first.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (start + i) % 7 < 5)


def _daily_from_sgi(sgi: int) -> int:
    """Sjukpenning-level daily amount: 80 % of SGI (at most 10 pbb) times 0.97, per day."""
    return round(min(sgi, _MAX_SGI) * 0.8 * 0.97 / 365)


# --- numbers ------------------------------------------------------------------------------


def _generate_numbers(
    count: int, seed: int, anchor: date, samordning_share: float, progress: bool = False
) -> list[str]:
    from tqdm import tqdm

    bar = tqdm(total=count, desc="personnummer", unit="numbers", disable=not progress, file=sys.stderr)
    rng = Random(_stable(seed, "numbers"))
    bands = [(lo, hi) for lo, hi, _ in _AGE_BANDS]
    cum_weights = list(accumulate(w for _, _, w in _AGE_BANDS))
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        samordning = rng.random() < samordning_share
        # samordningsnummer are mostly people who come to work here
        lo, hi = (18, 64) if samordning else rng.choices(bands, cum_weights=cum_weights)[0]
        born = anchor - timedelta(days=rng.randint(lo * 365 + lo // 4, hi * 365 + hi // 4 + 364))
        serial = rng.randint(1, 999)  # 000 is never issued (and the PyPI library refuses it)
        day = born.day + (60 if samordning else 0)
        body = f"{born.year:04d}{born.month:02d}{day:02d}{serial:03d}"
        number = body + str(luhn_check_digit(body[2:]))
        if number not in seen:
            seen.add(number)
            out.append(number)
            if len(out) % 10_000 == 0:
                bar.update(10_000)
    bar.update(count % 10_000)
    bar.close()
    return out


def _read_numbers(path: Path, count: int) -> list[str]:
    """The first ``count`` numbers of a Skatteverket test-number CSV (header
    ``Testpersonnummer``, one 12-digit number a line)."""
    shown = str(path)
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise PopulationError(f"cannot read the population's numbers: {exc}", shown, 1) from exc
    out: list[str] = []
    seen: dict[str, int] = {}
    with handle:
        for line_no, raw in enumerate(handle, 1):
            text = raw.strip().strip('"')
            if line_no == 1:
                if text != "Testpersonnummer":
                    raise PopulationError(f"expected the header 'Testpersonnummer', found {text!r}", shown, 1)
                continue
            if not text:
                continue
            if len(text) != 12 or not text.isascii() or not text.isdigit():
                raise PopulationError(f"{text!r} is not a 12-digit personnummer", shown, line_no)
            try:
                Personnummer(text)
            except InvalidPersonnummer as exc:
                raise PopulationError(f"not a valid personnummer: {exc}", shown, line_no) from None
            if text in seen:
                raise PopulationError(f"{text} is given twice (first on line {seen[text]})", shown, line_no)
            seen[text] = line_no
            out.append(text)
            if len(out) == count:
                return out
    raise PopulationError(f"the population needs {count} numbers; the file holds {len(out)}", shown)


# --- the population -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Core:
    """What other persons need to know of a person: made from its own small generator."""

    pnr: str
    born: date
    female: bool
    age: int
    first_name: str
    last_name: str
    deceased: date | None
    protected: bool  # the household's
    abroad: str | None  # the country a pensioner household lives in
    address: dict[str, str] | None
    kommunkod: str | None


class GeneratedPopulation:
    """N generated persons; see the module docstring."""

    def __init__(self, numbers: list[str], seed: int, anchor: date, progress: bool = False) -> None:
        self.seed, self.anchor = seed, anchor
        self._window = _add_months(anchor, -18).replace(day=1)  # every person's payment window
        self._horizon = anchor + timedelta(days=62)  # payments a running clock will reach
        self._months = [(m, _month_end(m)) for m in _months(self._window, self._horizon)]
        self._numbers = numbers
        self._index = {n: i for i, n in enumerate(numbers)}
        self._births = [
            Personnummer(n).birth_date if int(n[6:8]) >= 60 else date(int(n[:4]), int(n[4:6]), int(n[6:8]))
            for n in numbers
        ]
        self._households(progress)
        self._employers = tuple(
            make_orgnummer(f"{prefix}{Random(_stable(seed, 'employer', i)).randint(0, 999_999):06d}").value
            for i, prefix in enumerate(["556"] * 40 + ["559"] * 15 + ["212"] * 10 + ["202"] * 5)
        )
        self._core_cache: OrderedDict[int, _Core] = OrderedDict()
        self._person_cache: OrderedDict[int, Person] = OrderedDict()
        self._asked: OrderedDict[int, None] = OrderedDict()  # asked for once, not (yet) kept

    @classmethod
    def build(
        cls, spec: Population, base_dir: Path, anchor: date | None = None, progress: bool = False
    ) -> GeneratedPopulation:
        """The population of a scenario's ``population`` block; ``base_dir`` is the scenario
        file's folder (a CSV path is relative to it), ``anchor`` the clock's start day."""
        day = spec.as_of or anchor or DEFAULT_ANCHOR
        if spec.numbers == "generated":
            numbers = _generate_numbers(spec.count, spec.seed, day, spec.samordningsnummer_share, progress)
        else:
            numbers = _read_numbers(base_dir / spec.numbers, spec.count)
        return cls(numbers, spec.seed, day, progress)

    def __len__(self) -> int:
        return len(self._numbers)

    def __contains__(self, pnr: object) -> bool:
        return pnr in self._index

    def numbers(self) -> Iterator[str]:
        return iter(self._numbers)

    def person(self, pnr: str) -> Person | None:
        pos = self._index.get(pnr)
        return None if pos is None else self._person_at(pos)

    def protected_identity(self, pnr: str) -> bool | None:
        """The person's protected identity (its household's), without making the person."""
        pos = self._index.get(pnr)
        return None if pos is None else self._core(pos).protected

    def persons(self) -> Iterator[Person]:
        for pos in range(len(self._numbers)):
            yield self._person_at(pos)

    def person_data(self, pnr: str) -> dict[str, Any]:
        """The person as plain data, as a scenario file writes it."""
        pos = self._index[pnr]
        return _PersonMaker(self, pos).data()

    # -- households ------------------------------------------------------------------
    def _households(self, progress: bool) -> None:
        """Pair adults of similar age into couples, then give children to couples or
        single adults who were 21-42 when the child was born (at most four each)."""
        from tqdm import tqdm

        n = len(self._numbers)
        rng = Random(_stable(self.seed, "households"))
        years = [b.year for b in self._births]
        ages = [_age(b, self.anchor) for b in self._births]
        female = [int(x[10]) % 2 == 0 for x in self._numbers]
        self._partner = array("i", [-1]) * n
        self._head = array("i", range(n))  # the household a person belongs to
        self._children: dict[int, list[int]] = {}
        bar = tqdm(total=n, desc="population", unit="persons", disable=not progress, file=sys.stderr)
        adults = sorted((i for i in range(n) if ages[i] >= 20), key=lambda i: (years[i], rng.random()))
        i = 0
        while i < len(adults) - 1:
            a, b = adults[i], adults[i + 1]
            if abs(years[a] - years[b]) <= 3 and rng.random() < (0.6 if female[a] != female[b] else 0.05):
                self._partner[a], self._partner[b] = b, a
                self._head[a] = self._head[b] = min(a, b)
                i += 2
            else:
                i += 1
        bar.update(len(adults))
        units: dict[int, list[int]] = {}  # birth year of the head → households with room
        room: dict[int, int] = {}
        for a in adults:
            if 20 <= ages[a] <= 62 and self._head[a] == a:
                units.setdefault(years[a], []).append(a)
                room[a] = rng.choice((1, 2, 2, 2, 3, 3, 4))
        children = [i for i in range(n) if ages[i] < 18]
        rng.shuffle(children)
        for child in children:
            lo, hi = years[child] - 42, years[child] - 21
            start = rng.randint(lo, hi)
            for year in [*range(start, hi + 1), *range(lo, start)]:
                bucket = units.get(year)
                while bucket and room[bucket[-1]] == 0:
                    bucket.pop()
                if bucket:
                    head = bucket[-1]
                    room[head] -= 1
                    self._head[child] = head
                    self._children.setdefault(head, []).append(child)
                    break
        bar.update(n - len(adults))
        bar.close()

    def _parents(self, pos: int) -> list[int]:
        head = self._head[pos]
        if head == pos or pos not in self._children.get(head, ()):
            return []
        return [head] + ([self._partner[head]] if self._partner[head] >= 0 else [])

    def _kids(self, pos: int) -> list[int]:
        return (
            sorted(self._children.get(self._head[pos], ()))
            if self._head[pos] in (pos, self._partner[pos])
            else []
        )

    # -- persons ---------------------------------------------------------------------
    def _core(self, pos: int) -> _Core:
        cached = self._core_cache.get(pos)
        if cached is not None:
            self._core_cache.move_to_end(pos)
            return cached
        core = self._make_core(pos)
        self._core_cache[pos] = core
        if len(self._core_cache) > 4 * _CACHE_SIZE:
            self._core_cache.popitem(last=False)
        return core

    def _make_core(self, pos: int) -> _Core:
        names = _names()
        pnr = self._numbers[pos]
        born = self._births[pos]
        age = _age(born, self.anchor)
        female = int(pnr[10]) % 2 == 0
        own = Random(_stable(self.seed, "core", pos))
        head = self._head[pos]
        home = Random(_stable(self.seed, "home", head))
        family_name = home.choice(names.last)
        protected = home.random() < 0.012
        head_age = _age(self._births[head], self.anchor)
        abroad = home.choice(_ABROAD) if head_age >= 65 and home.random() < 0.05 else None
        place_code, postort, lo, hi, _ = home.choices(_PLACES, cum_weights=_PLACE_CUM_WEIGHTS)[0]
        kommunkod: str | None = place_code
        code = home.randint(lo, hi)
        address: dict[str, str] | None = {
            "street": f"{home.choice(names.streets)} {home.randint(1, 120)}",
            "postnummer": f"{code // 100} {code % 100:02d}",
            "postort": postort,
        }
        if home.random() < 0.03:
            assert address is not None
            address["co"] = f"{home.choice(names.last)}"
        first = own.choice(names.female if female else names.male)
        # a partner keeps their own surname in about a third of couples
        last = (
            family_name
            if pos == head or self._partner[pos] < 0 or own.random() < 0.65
            else own.choice(names.last)
        )
        deceased = None
        if age >= 70 and own.random() < min(0.9, 0.03 + (age - 70) * 0.006):
            deceased = self.anchor - timedelta(days=own.randint(20, 3 * 365))
            deceased = max(deceased, born + timedelta(days=70 * 365))
        samordning = int(pnr[6:8]) >= 60
        if abroad or (samordning and own.random() < 0.5):
            address, kommunkod = None, None
        elif samordning:
            kommunkod = None  # not folkbokförd: no kommun of residence
        return _Core(pnr, born, female, age, first, last, deceased, protected, abroad, address, kommunkod)

    def _person_at(self, pos: int) -> Person:
        cached = self._person_cache.get(pos)
        if cached is not None:
            self._person_cache.move_to_end(pos)
            return cached
        person = Person.model_validate(_PersonMaker(self, pos).data())
        # kept from the second time it is asked for: a batch that asks for each of thousands
        # of persons once would otherwise keep them all alive for a while (the cost is in the
        # garbage collector's passes over them, a fifth of the batch's time)
        if pos in self._asked:
            self._person_cache[pos] = person
            if len(self._person_cache) > _CACHE_SIZE:
                self._person_cache.popitem(last=False)
        else:
            self._asked[pos] = None
            if len(self._asked) > 4 * _CACHE_SIZE:
                self._asked.popitem(last=False)
        return person


class _PersonMaker:
    """Lays out one person's cases, payments and pension data around the anchor."""

    def __init__(self, pop: GeneratedPopulation, pos: int) -> None:
        self.pop, self.pos = pop, pos
        self.core = pop._core(pos)
        self.rng = Random(_stable(pop.seed, "person", pos))
        self.anchor = pop.anchor
        self.window, self.horizon = pop._window, pop._horizon
        self.stop = self.core.deceased  # nothing runs after death
        self.cases: list[dict[str, Any]] = []
        self.pay: dict[tuple[str, date, date, date, str], list[dict[str, Any]]] = {}
        self.sgi: list[dict[str, Any]] = []
        self.distrained = self.rng.random() < 0.02  # Kronofogden takes part of payments

    # -- building blocks -----------------------------------------------------------------
    def _window_months(self, first: date, last: date) -> list[tuple[date, date]]:
        """The first and last day of every month from ``first``'s month to ``last``'s, both
        within the payment window (whose months the population lists once)."""
        start = first.replace(day=1)
        return [(m, end) for m, end in self.pop._months if start <= m <= last]

    def _payment(
        self,
        benefit: str,
        day: date,
        first: date,
        last: date,
        gross: int,
        tax_rate: float,
        kind: str = "M",
        **detail: Any,
    ) -> None:
        if (
            not self.window <= day <= self.horizon
            or gross <= 0
            or (self.stop and day > self.stop + timedelta(40))
        ):
            return
        tax = round(gross * tax_rate)
        line: dict[str, Any] = {"from": first, "tom": last, **detail, "gross": gross}
        if tax:
            line["tax"] = tax
        if self.distrained and tax_rate and kind == "M":
            line["deductions"] = min(1500, (gross - tax) // 4)
        self.pay.setdefault((benefit, day, first, last, kind), []).append(line)

    def _closed_by_death(self, last: date | None) -> date | None:
        if self.stop and (last is None or last > self.stop):
            return self.stop
        return last

    def daily_case(
        self,
        benefit: str,
        periods: Sequence[tuple[date, date | None, int | None]],
        daily: int,
        *,
        reported: date | None = None,
        type_: str | None = None,
        child: str | None = None,
        karens: bool = False,
        workdays: bool = False,
        tax_rate: float = 0.3,
        one_off: bool = False,
        paid: bool = True,
        **extra: Any,
    ) -> None:
        """A case of daily benefit (dagersättning), paid monthly (or once per period)."""
        if self.stop and periods and periods[0][0] > self.stop:
            return
        out = []
        for j, (first, last, omf) in enumerate(periods):
            last = self._closed_by_death(last)
            if self.stop and first > self.stop:
                break
            p: dict[str, Any] = {"from": first}
            if last is not None:
                p["tom"] = last
            p["omfattning"] = omf
            if last is not None:
                p["days"] = _workdays(first, last) if workdays else (last - first).days + 1
            if karens:
                p["karens"] = j == 0
            if benefit == "foraldrapenning":
                p["type"] = "1"
            out.append(p)
            if paid:
                self._daily_payments(
                    benefit, first, last, omf, daily, p.get("days"), workdays, tax_rate, one_off
                )
        ends = [p.get("tom") for p in out]
        running = any(e is None or e >= self.anchor for e in ends)
        case: dict[str, Any] = {"benefit": benefit, "status": "pagaende" if running else "avslutat"}
        if reported is not None:
            case["reported"] = reported
        if type_ is not None:
            case["type"] = type_
        if child is not None:
            case["child"] = child
        case["periods"] = out
        case.update(extra)
        self.cases.append(case)

    def _daily_payments(
        self,
        benefit: str,
        first: date,
        last: date | None,
        omf: int | None,
        daily: int,
        period_days: int | None,
        workdays: bool,
        tax_rate: float,
        one_off: bool,
    ) -> None:
        """The payments of one period: once after it ends (one_off), else month by month."""
        assert omf is not None, "a paid case has an omfattning"
        if one_off:
            if last is not None and period_days is not None:
                self._payment(
                    benefit,
                    last + timedelta(days=self.rng.randint(7, 25)),
                    first,
                    last,
                    round(daily * period_days * omf / 100),
                    tax_rate,
                    "E",
                    days=period_days,
                )
            return
        end = min(last or self.horizon, self.horizon)
        for m, m_end in self._window_months(max(first, self.window), end):
            a, b = max(first, m), min(end, m_end)
            days = _workdays(a, b) if workdays else (b - a).days + 1
            # the 25th for a whole month; a few days after a period that ends in it
            pay_day = m.replace(day=25) if b == m_end else max(m.replace(day=25), b + timedelta(days=5))
            self._payment(
                benefit, pay_day, a, b, round(daily * days * omf / 100), tax_rate, omfattning=omf, days=days
            )

    def monthly_case(
        self,
        benefit: str,
        periods: Sequence[tuple[date, date | None, int | None]],
        *,
        omfattning: int = 100,
        reported: date | None = None,
        type_: str | None = None,
        child: str | None = None,
        tax_rate: float = 0.0,
        pay_day: int = 19,
        in_advance: bool = False,
        paid: bool = True,
        status: str | None = None,
    ) -> None:
        """A case with monthly amounts (ersättning), paid once a month for the month."""
        if self.stop and periods and periods[0][0] > self.stop:
            return
        out = []
        for first, last, amount in periods:
            last = self._closed_by_death(last)
            p: dict[str, Any] = {"from": first}
            if last is not None:
                p["tom"] = last
            if omfattning != 100:
                p["omfattning"] = omfattning
            if amount is not None:
                p["monthly_amount"] = amount
            out.append(p)
            if not paid or not amount:
                continue
            for m, m_end in self._window_months(
                max(first, self.window), min(last or self.horizon, self.horizon)
            ):
                day = _add_months(m, -1).replace(day=pay_day) if in_advance else m.replace(day=pay_day)
                detail: dict[str, Any] = {"omfattning": omfattning} if omfattning != 100 else {}
                self._payment(benefit, day, m, m_end, amount, tax_rate, **detail)
        running = any(p.get("tom") is None or p["tom"] >= self.anchor for p in out)
        case: dict[str, Any] = {
            "benefit": benefit,
            "status": status or ("pagaende" if running else "avslutat"),
        }
        if reported is not None:
            case["reported"] = reported
        if type_ is not None:
            case["type"] = type_
        if child is not None:
            case["child"] = child
        case["periods"] = out
        self.cases.append(case)

    def day_before(self, years: float) -> date:
        """A random day within ``years`` before the anchor."""
        return self.anchor - timedelta(days=self.rng.randint(0, int(years * 365)))

    # -- the person ----------------------------------------------------------------------
    def data(self) -> dict[str, Any]:
        """The person as a scenario's explicit person: identity, relations, then the benefits
        of each stage of life. The parts run in this order, each drawing from the person's
        one random stream, so that the same seed gives the same person."""
        c, pop = self.core, self.pop
        partner = pop._partner[self.pos]
        partner_core = pop._core(partner) if partner >= 0 else None
        widowed = partner_core is not None and partner_core.deceased is not None and c.deceased is None
        kids = [pop._core(k) for k in pop._kids(self.pos)]
        out = self._identity(partner, partner_core, widowed)
        related = self._related(partner_core, kids)
        if related:
            out["related"] = related

        sgi_income = self._working_life("employer" in out) if 18 <= c.age <= 66 else 0
        if c.age < 18:
            self._child()
        if kids:
            self._parent(kids, partner_core, sgi_income)
        if c.age >= 62:
            out.update(self._pensioner(partner_core, widowed))
        elif widowed and partner_core is not None and partner_core.deceased is not None:
            self._omstallningspension(partner_core.deceased)
        elif 30 <= c.age <= 64 and partner_core is None and self.rng.random() < 0.006:
            out["civilstand"] = "anka_ankeman"  # a partner who died outside the population
            self._omstallningspension(self.day_before(1.5))
        if 20 <= c.age <= 64:
            out.update(self._pension_savings(sgi_income))
        if self.cases:
            out["cases"] = self.cases
        if self.pay:
            out["payments"] = self._payments()
        if self.sgi:
            out["sgi"] = self.sgi
        return out

    def _identity(self, partner: int, partner_core: _Core | None, widowed: bool) -> dict[str, Any]:
        """Name, address, civil status, protection, employer, insurance and death."""
        c, rng, pop = self.core, self.rng, self.pop
        out: dict[str, Any] = {"personnummer": c.pnr, "first_name": c.first_name, "last_name": c.last_name}
        if c.address is not None:
            out["address"] = dict(c.address)
        if c.kommunkod is not None:
            out["kommunkod"] = c.kommunkod
        if widowed:
            out["civilstand"] = "anka_ankeman"
        elif partner_core is not None:
            out["civilstand"] = (
                "gift" if _stable(pop.seed, "married", min(self.pos, partner)) % 10 < 7 else "ogift"
            )
        elif c.age >= 35 and rng.random() < 0.3:
            out["civilstand"] = "skild"
        if c.protected:
            out["protected_identity"] = True
        employed = 18 <= c.age <= 66 and c.deceased is None and rng.random() < (0.5 if c.age < 25 else 0.8)
        if employed:
            out["employer"] = rng.choice(pop._employers)
        if c.abroad or rng.random() < 0.004:
            out["insured"] = False
        if c.deceased is not None:
            out["deceased"] = c.deceased
        return out

    def _related(self, partner_core: _Core | None, kids: list[_Core]) -> list[dict[str, Any]]:
        """The living partner and the children, as the person's related persons."""
        related: list[dict[str, Any]] = []
        if partner_core is not None and not (partner_core.deceased and partner_core.deceased <= self.anchor):
            related.append({"personnummer": partner_core.pnr, "relation": "samhorig"})
        for k in kids:
            r: dict[str, Any] = {"personnummer": k.pnr, "relation": "barn"}
            if partner_core is None:
                r["other_guardian"] = True  # the other parent lives elsewhere
            if k.protected:
                r["protected_identity"] = True
            related.append(r)
        return related

    def _omstallningspension(self, death: date) -> None:
        """A year of omställningspension after a partner's death."""
        rng = self.rng
        self.monthly_case(
            "efterlevandepension",
            [
                (
                    _add_months(death, 1).replace(day=1),
                    _add_months(death, 12).replace(day=1) - timedelta(1),
                    rng.randint(80, 160) * 50,
                )
            ],
            reported=death + timedelta(days=rng.randint(5, 30)),
            type_="omställningspension",
            tax_rate=0.3,
        )

    def _payments(self) -> list[dict[str, Any]]:
        out = []
        for (benefit, day, first, last, kind), lines in sorted(
            self.pay.items(), key=lambda kv: (kv[0][1], kv[0][0])
        ):
            gross = tax = deductions = 0
            for x in lines:
                gross += x["gross"]
                tax += x.get("tax", 0)
                deductions += x.get("deductions", 0)
            p: dict[str, Any] = {"benefit": benefit, "date": day, "from": first, "tom": last}
            if kind == "E":
                p["type"] = "E"
            p["gross"] = gross
            if tax:
                p["tax"] = tax
            if deductions:
                p["deductions"] = deductions
            p["net"] = gross - tax - deductions
            p["details"] = lines
            out.append(p)
        return out

    def _child(self) -> None:
        c, rng = self.core, self.rng
        if c.age >= 16 and rng.random() < (0.5 if not self.pop._parents(self.pos) else 0.12):
            # barnbidrag paid to the child itself (e.g. a child in foster care)
            first = _add_months(c.born, 16 * 12 - 10).replace(day=1)
            self.monthly_case(
                "mottagareAvBarnbidrag",
                [(first, None, 1250)],
                reported=first - timedelta(days=rng.randint(10, 40)),
                pay_day=20,
            )

    def _working_life(self, employed: bool) -> int:
        """SGI, sickness and labour-market benefits of a working-age person; their SGI. The
        parts run in this order, each drawing from the person's one random stream."""
        sgi = self._sgi_decisions(employed)
        daily = _daily_from_sgi(sgi) if sgi else 250
        self._sickness(sgi, daily)
        self._short_daily_benefits(sgi, daily)
        if not employed and self.core.age <= 64:
            self._labour_market(daily)
        self._young_adult()
        self._long_term_compensation(employed)
        self._disability_tax_and_housing()
        return sgi

    def _sgi_decisions(self, employed: bool) -> int:
        """SGI decisions of the last years (most who work have one); the latest SGI."""
        c, rng, a = self.core, self.rng, self.anchor
        sgi = 0
        if employed or rng.random() < 0.2:
            base = rng.randint(220, 460 if c.age < 30 else 680) * 1000
            for k in range(rng.randint(1, 3)):
                start = date(a.year - 3 + k, rng.randint(1, 12), 1)
                if _age(c.born, start) < 18 or start > a:
                    continue
                sgi = base + k * rng.randint(5, 25) * 1000
                d: dict[str, Any] = {
                    "case_from": start,
                    "decided_from": start,
                    "income_a": sgi,
                    "karenstid": 1,
                }
                if rng.random() < 0.15:
                    d["income_b"] = rng.randint(10, 60) * 1000
                if rng.random() < 0.6:
                    d["work_days"] = 260
                else:
                    d["work_hours"] = 2080
                self.sgi.append(d)
        return sgi

    def _sickness(self, sgi: int, daily: int) -> None:
        """Sjukpenning, sometimes still running, sometimes followed by rehabilitation."""
        rng, a = self.rng, self.anchor
        if sgi and rng.random() < 0.14:
            for ongoing in [False, True] if rng.random() < 0.3 else [rng.random() < 0.35]:
                start = self.day_before(0.6 if ongoing else 4) + timedelta(days=14)
                if start > a:
                    start = a - timedelta(days=rng.randint(1, 30))
                length = rng.randint(7, 120)
                periods: list[tuple[date, date | None, int | None]] = [
                    (start, start + timedelta(days=length), 100)
                ]
                if ongoing:
                    periods.append((start + timedelta(days=length + 1), None, rng.choice((75, 50, 25))))
                self.daily_case(
                    "sjukpenning",
                    periods,
                    daily,
                    reported=start - timedelta(days=rng.randint(0, 14)),
                    type_="101",
                    karens=True,
                )
                if rng.random() < 0.2:
                    r0 = periods[-1][0] + timedelta(days=rng.randint(10, 60))
                    if r0 < a:
                        self.daily_case(
                            "rehabersattning",
                            [(r0, r0 + timedelta(days=rng.randint(20, 90)), 50)],
                            daily,
                            reported=r0 - timedelta(days=5),
                            workdays=True,
                        )

    def _short_daily_benefits(self, sgi: int, daily: int) -> None:
        """Förebyggande sjukpenning, smittbärarersättning, närståendepenning."""
        c, rng = self.core, self.rng
        if sgi and rng.random() < 0.015:
            s = self.day_before(2)
            periods = [(s, s + timedelta(days=rng.randint(14, 90)), 25 * rng.randint(1, 4))]
            self.daily_case(
                "forebyggandeSjukpenning", periods, daily, reported=s - timedelta(days=rng.randint(5, 20))
            )
        if rng.random() < 0.012:
            s = self.day_before(3)
            self.daily_case(
                "smittbararersattning", [(s, s + timedelta(days=rng.randint(3, 14)), 100)], daily, reported=s
            )
        if c.age >= 25 and rng.random() < 0.02:
            s = self.day_before(3)
            self.daily_case(
                "narstaendepenning",
                [(s, s + timedelta(days=rng.randint(5, 40)), rng.choice((100, 50)))],
                daily,
                reported=s,
            )

    def _young_adult(self) -> None:
        """Totalförsvarsplikt and studiemedel."""
        c, rng, a = self.core, self.rng, self.anchor
        if c.age <= 26 and rng.random() < 0.06:
            s = _add_months(c.born, 19 * 12 + rng.randint(0, 5)).replace(day=1) + timedelta(
                days=rng.randint(0, 20)
            )
            if s < a:
                service = [(s, s + timedelta(days=rng.randint(120, 450)), 100)]
                self.daily_case(
                    "dagpenningTillTotalforsvarspliktiga",
                    service,
                    145,
                    reported=s - timedelta(days=rng.randint(3, 10)),
                    tax_rate=0,
                )
        if c.age <= 35 and rng.random() < 0.15:
            term = date(a.year if a.month >= 8 else a.year - 1, 8, 24)
            self.monthly_case(
                "studiemedelsavisering", [(term, None, None)], reported=term - timedelta(days=9), paid=False
            )

    def _long_term_compensation(self, employed: bool) -> None:
        """Aktivitets- or sjukersättning, and arbetsskadelivränta."""
        c, rng, a = self.core, self.rng, self.anchor
        if 19 <= c.age <= 29 and rng.random() < 0.02:
            s = date(a.year - rng.randint(0, 3), rng.randint(1, 12), 1)
            decided = [(s, _add_months(s, 36) - timedelta(1), rng.randint(100, 140) * 100)]
            self.monthly_case(
                "sjukOchAktivitetsersattning",
                decided,
                reported=s - timedelta(days=rng.randint(30, 90)),
                type_="aktivitetsersättning",
                tax_rate=0.25,
                pay_day=19,
            )
        elif c.age >= 30 and not employed and rng.random() < 0.12:
            s = date(a.year - rng.randint(1, 15), rng.randint(1, 12), 1)
            self.monthly_case(
                "sjukOchAktivitetsersattning",
                [(s, None, rng.randint(100, 190) * 100)],
                omfattning=rng.choice((100, 100, 75, 50)),
                reported=s - timedelta(days=rng.randint(30, 120)),
                type_="sjukersättning",
                tax_rate=0.25,
                pay_day=19,
            )
        if c.age >= 35 and rng.random() < 0.012:
            s = date(a.year - rng.randint(2, 20), rng.randint(1, 12), 1)
            self.monthly_case(
                "arbetsskadelivranta",
                [(s, None, rng.randint(15, 90) * 100)],
                reported=s - timedelta(days=rng.randint(60, 400)),
                tax_rate=0.3,
                pay_day=19,
            )

    def _disability_tax_and_housing(self) -> None:
        """Handikappersättning or merkostnadsersättning, a tax note, bostadsbidrag for the young."""
        c, rng, a = self.core, self.rng, self.anchor
        if 19 <= c.age and c.born.year <= 1997 and rng.random() < 0.012:
            s = date(rng.randint(max(2005, c.born.year + 19), 2016), rng.randint(1, 12), 1)
            # replaced by merkostnadsersättning from 2019: these ended in the transition years
            decided = [(s, date(rng.randint(2019, 2022), 12, 31), rng.randint(20, 45) * 100)]
            self.monthly_case(
                "handikappersattning",
                decided,
                omfattning=rng.choice((36, 53, 69)),
                reported=s - timedelta(days=40),
                tax_rate=0.3,
            )
        elif 19 <= c.age and rng.random() < 0.012:
            s = date(rng.randint(2019, a.year), rng.randint(1, 12), 1)
            if s < a:
                level = rng.choice((30, 40, 50, 60, 80))
                self.monthly_case(
                    "merkostnadsersattning",
                    [(s, None, round(level * PBB / 100 / 12))],
                    omfattning=level,
                    reported=s - timedelta(days=50),
                    pay_day=25,
                )
        if c.age >= 18 and rng.random() < 0.04:
            self.monthly_case(
                "skatteuppgift",
                [(date(a.year, 1, 1), date(a.year, 12, 31), None)],
                type_=rng.choice(("jämkning", "skattetabell", "sjukpenning")),
                paid=False,
                status="avslutat",
            )
        if c.age <= 29 and not self.pop._kids(self.pos) and rng.random() < 0.05:
            self._bostadsbidrag(rng.randint(10, 25) * 100)

    def _labour_market(self, daily: int) -> None:
        c, rng, a = self.core, self.rng, self.anchor
        samordning = int(c.pnr[6:8]) >= 60
        if c.age >= 20 and rng.random() < (0.25 if samordning else 0.06):
            s = self.day_before(3)
            end = s + timedelta(days=rng.randint(180, 730))
            self.daily_case(
                "etableringsersattning",
                [(s, end, 100)],
                308,
                reported=s - timedelta(days=rng.randint(3, 20)),
                workdays=True,
                tax_rate=0,
            )
            job = s + timedelta(days=rng.randint(60, 400))
            if rng.random() < 0.4 and job < a:
                self.daily_case(
                    "etableringsjobb",
                    [(job, None, 100)],
                    330,
                    reported=job - timedelta(days=10),
                    workdays=True,
                )
            return
        if c.age < 20 or rng.random() > 0.3:
            return
        s = self.day_before(2)
        first_end = s + timedelta(days=rng.randint(60, 200))
        periods: list[tuple[date, date | None, int | None]] = [(s, first_end, 100)]
        if rng.random() < 0.5:
            periods.append((first_end + timedelta(days=3), None, 100))
        self.daily_case(
            "aktivitetsstod",
            periods,
            rng.randint(51, 120) * 10,
            reported=s - timedelta(days=7),
            workdays=True,
        )
        if rng.random() < 0.6:
            self.monthly_case(
                "programanvisning",
                [(s, None, None)],
                reported=s - timedelta(days=7),
                paid=False,
                type_="Jobbgarantin för ungdomar" if c.age < 25 else "Jobb- och utvecklingsgarantin",
            )
        if rng.random() < 0.3:
            p0 = s - timedelta(days=rng.randint(200, 500))
            p1 = p0 + timedelta(days=rng.randint(40, 120))
            self.daily_case(
                "programersattning", [(p0, p1, 100)], 161, reported=p0 - timedelta(days=3), workdays=True
            )
            self.daily_case("programjobdagar", [(p0, p1, 100)], 0, workdays=True, paid=False)

    def _bostadsbidrag(self, monthly: int) -> None:
        rng, a = self.rng, self.anchor
        first_year = a.year - rng.randint(0, 2)
        periods = [
            (date(y, 1, 1), date(y, 12, 31), monthly + (y - first_year) * rng.randint(0, 4) * 50)
            for y in range(first_year, a.year + 1)
        ]
        reported = date(first_year - 1, 12, 1) - timedelta(days=rng.randint(0, 20))
        self.monthly_case("bostadsbidrag", periods, reported=reported, pay_day=24, in_advance=True)

    def _parent(self, kids: list[_Core], partner: _Core | None, sgi: int) -> None:
        """The benefits a parent has for each child, oldest child first, then bostadsbidrag.
        The parts run in this order, each drawing from the person's one random stream."""
        c, rng = self.core, self.rng
        single = partner is None
        daily = _daily_from_sgi(sgi) if sgi else 250
        # the mother (or, for two fathers, the household's head) takes the first months
        first_carer = (
            c.female
            if partner is None or partner.female != c.female
            else self.pos == self.pop._head[self.pos]
        )
        for k in sorted(kids, key=lambda k: k.born):
            if k.age < 16:
                self._barnbidrag(k, single)
            if k.age <= 8 and rng.random() < 0.85 and not self._parental_leave(k, first_carer, daily, sgi):
                continue  # a child not born by the horizon has nothing more yet
            if 1 <= k.age <= 11 and rng.random() < 0.45:
                self._care_of_sick_child(k, daily)
            if single and k.age < 18 and rng.random() < 0.5:
                self._underhallsstod(k)
            self._care_allowance(k)
        if kids and rng.random() < (0.3 if single else 0.06):
            self._bostadsbidrag(rng.randint(15, 45) * 100)

    def _barnbidrag(self, k: _Core, single: bool) -> None:
        start = _add_months(k.born, 1).replace(day=1)
        # parents living together get half each
        self.monthly_case(
            "barnbidrag",
            [(start, None, 1250 if single else 625)],
            omfattning=100 if single else 50,
            child=k.pnr,
            pay_day=20,
            status="pagaende",
        )

    def _parental_leave(self, k: _Core, first_carer: bool, daily: int, sgi: int) -> bool:
        """Föräldrapenning for the child, and havandeskapspenning before a young child's birth;
        False when the leave starts after the horizon (not planned yet)."""
        c, rng, a = self.core, self.rng, self.anchor
        if first_carer:
            s, length = k.born, rng.randint(150, 330)
        else:
            s, length = _add_months(k.born, rng.randint(9, 14)), rng.randint(30, 120)
        if s > self.horizon:
            return False
        omf = rng.choice((100, 100, 75))
        periods: list[tuple[date, date | None, int | None]] = [(s, s + timedelta(days=length), omf)]
        if k.age >= 2 and rng.random() < 0.5:
            s2 = _add_months(k.born, rng.randint(24, 60))
            if s2 < self.horizon:
                periods.append((s2, s2 + timedelta(days=rng.randint(10, 60)), rng.choice((100, 50, 25))))
        days = sum(((b or a) - f).days + 1 for f, b, _ in periods)
        self.daily_case(
            "foraldrapenning",
            periods,
            daily,
            reported=s - timedelta(days=rng.randint(10, 40)),
            child=k.pnr,
            days_used=min(480, days),
            days_used_guarantee=rng.choice((0, 0, 20, 40)),
        )
        if c.female and first_carer and k.age <= 3 and sgi and rng.random() < 0.3:
            h0 = k.born - timedelta(days=rng.randint(50, 60))
            self.daily_case(
                "havandeskapspenning",
                [(h0, k.born - timedelta(days=11), 100)],
                daily,
                reported=h0 - timedelta(days=14),
            )
        return True

    def _care_of_sick_child(self, k: _Core, daily: int) -> None:
        """Tillfällig föräldrapenning (vab): one to three short spells in the last two years."""
        rng = self.rng
        for _ in range(rng.randint(1, 3)):
            s = self.day_before(2)
            if s <= k.born + timedelta(days=240):
                continue
            vab = [(s, s + timedelta(days=rng.randint(0, 4)), 100)]
            self.daily_case(
                "tillfalligForaldrapenning", vab, daily, reported=s, type_="1", child=k.pnr, one_off=True
            )

    def _underhallsstod(self, k: _Core) -> None:
        rng, a = self.rng, self.anchor
        amount = 1673 if k.age < 11 else 1823 if k.age < 15 else 2223
        s = date(a.year - rng.randint(0, 5), rng.randint(1, 12), 1)
        s = max(s, _add_months(k.born, 1).replace(day=1))
        self.monthly_case(
            "underhallsstod",
            [(s, None, amount)],
            reported=s - timedelta(days=rng.randint(15, 40)),
            child=k.pnr,
            pay_day=25,
        )

    def _care_allowance(self, k: _Core) -> None:
        """Omvårdnadsbidrag (from 2019), or the vårdbidrag it replaced for an older child."""
        rng, a = self.rng, self.anchor
        if k.age <= 17 and rng.random() < 0.03:
            s = max(date(2019, 1, 1), _add_months(k.born, 6).replace(day=1))
            s = _add_months(s, rng.randint(0, 24))
            if s < a:
                omf = rng.choice((25, 50, 75, 100))
                # full omvårdnadsbidrag is 2.5 prisbasbelopp a year
                monthly = round(omf / 100 * 2.5 * PBB / 12)
                self.monthly_case(
                    "omvardnadsbidrag",
                    [(s, None, monthly)],
                    omfattning=omf,
                    reported=s - timedelta(days=40),
                    child=k.pnr,
                    tax_rate=0.3,
                    pay_day=25,
                )
        elif 7 <= k.age <= 17 and k.born.year <= 2016 and rng.random() < 0.03:
            s = max(_add_months(k.born, 12).replace(day=1), date(2012, 1, 1))
            end = min(date(2019, 12, 31), _add_months(s, rng.randint(12, 60)))
            if end > s:
                self.monthly_case(
                    "vardbidrag",
                    [(s, end, 2631)],
                    omfattning=25,
                    reported=s - timedelta(days=30),
                    child=k.pnr,
                    tax_rate=0.3,
                    pay_day=25,
                )

    def _pensioner(self, partner: _Core | None, widowed: bool) -> dict[str, Any]:
        """Ålderspension since the retirement month, with its payments and points, then the
        benefits that come with age; the person's pension and levnadsintyg data."""
        c, rng, a = self.core, self.rng, self.anchor
        retire_age = 65 if c.born.year <= 1956 else 66
        retired = _add_months(c.born, retire_age * 12 + 1).replace(day=1)
        if retired > a or rng.random() < 0.04:
            return {}
        pension = self._alderspension(retired)
        if pension is None:
            return {}
        out: dict[str, Any] = {"pension": pension}
        self._pensioner_benefits(retired, partner, widowed)
        certificates = self._levnadsintyg()
        if certificates:
            out["levnadsintyg"] = certificates
        return out

    def _alderspension(self, retired: date) -> dict[str, Any] | None:
        """The decided ålderspension (three years at most), its monthly payments and points."""
        c, rng, a = self.core, self.rng, self.anchor
        last_day = self.stop or self.horizon
        ip = rng.randint(60, 260) * 1200  # inkomstpension a year
        gp = max(0, 130_000 - ip) // 12 * 12 if ip < 130_000 else 0
        tp = rng.randint(20, 120) * 1200 if c.born.year <= 1953 else 0
        ppm = rng.randint(0, 40) * 300 if c.born.year >= 1938 else 0
        items: list[dict[str, Any]] = []
        premie: list[dict[str, Any]] = []
        years = [y for y in range(max(retired.year, a.year - 2), a.year + 1) if date(y, 1, 1) <= last_day]
        for y in years:
            start = max(date(y, 1, 1), retired)
            grow = 1 + 0.03 * (y - years[0])
            item: dict[str, Any] = {"from": start, "share": 100}
            for key, annual in (("garantipension", gp), ("inkomstpension", ip), ("tillaggspension", tp)):
                if annual:
                    yearly = round(annual * grow / 12) * 12
                    item[key] = {"from": start, "annual": yearly, "monthly": yearly // 12}
            items.append(item)
            if ppm:
                yearly = round(ppm * grow / 12) * 12
                premie.append({"from": start, "annual": yearly, "monthly": yearly // 12})
        if not items:
            return None
        tax_rate = 0.22 if ip + tp + gp < 200_000 else 0.28
        for m, end in self._window_months(max(self.window, retired), min(last_day, self.horizon)):
            current = [i for i in items if i["from"] <= end]
            if not current:
                continue
            cur = current[-1]
            ap = sum(
                cur[k]["monthly"] for k in ("garantipension", "inkomstpension", "tillaggspension") if k in cur
            )
            day = m.replace(day=19)
            self._payment("pension", day, m, end, ap, tax_rate, subcode="ÅP")
            pp = [p for p in premie if p["from"] <= end]
            if pp:
                self._payment("pension", day, m, end, pp[-1]["monthly"], 0, subcode="PPM")
        first_point = max(2003, c.born.year + 16)
        level = rng.uniform(1.5, 7.0)  # a career's level, a little different each year
        points = [
            {"year": y, "points": round(level + rng.uniform(-0.3, 0.3), 2)}
            for y in range(max(first_point, retired.year - 6), min(retired.year, a.year))
        ]
        pension: dict[str, Any] = {"alderspension": items}
        if points:
            pension["points"] = points
        if premie:
            pension["premiepension"] = premie
        return pension

    def _pensioner_benefits(self, retired: date, partner: _Core | None, widowed: bool) -> None:
        """Bostadstillägg, an old yrkesskadelivränta, änkepension for a widow born before 1945."""
        c, rng, a = self.core, self.rng, self.anchor
        if rng.random() < 0.15:
            s = max(retired, date(a.year - rng.randint(0, 6), rng.randint(1, 12), 1))
            if s < a:
                self.monthly_case(
                    "bostadstillagg",
                    [(s, None, rng.randint(20, 120) * 50)],
                    reported=s - timedelta(days=rng.randint(20, 60)),
                    pay_day=19,
                )
        if c.born.year <= 1958 and rng.random() < 0.02:
            s = date(rng.randint(max(c.born.year + 18, 1960), 1976), rng.randint(1, 12), 1)
            self.monthly_case(
                "yrkesskadelivranta",
                [(s, None, rng.randint(5, 30) * 100)],
                reported=s - timedelta(days=rng.randint(60, 300)),
                tax_rate=0.3,
            )
        if (
            widowed
            and partner is not None
            and partner.deceased is not None
            and c.female
            and c.born.year <= 1944
            and rng.random() < 0.8
        ):
            s = _add_months(partner.deceased, 1).replace(day=1)
            self.monthly_case(
                "efterlevandepension",
                [(s, None, rng.randint(40, 120) * 50)],
                type_="änkepension",
                reported=partner.deceased + timedelta(days=rng.randint(5, 40)),
                tax_rate=0.25,
            )

    def _levnadsintyg(self) -> list[dict[str, Any]]:
        """Life certificates of a living pensioner abroad, one a year."""
        c, rng, a = self.core, self.rng, self.anchor
        certificates: list[dict[str, Any]] = []
        if c.abroad and c.deceased is None:
            for y in range(a.year - 2, a.year + 1):
                got = date(y, rng.randint(1, 12), rng.randint(1, 28))
                if got <= a:
                    certificates.append(
                        {"received": got, "valid_until": _add_months(got, 12), "country": c.abroad}
                    )
        return certificates

    def _pension_savings(self, sgi: int) -> dict[str, Any]:
        """Pension points, forecasts and the v6 pension capital data of a working-age person."""
        c, rng, a = self.core, self.rng, self.anchor
        out: dict[str, Any] = {}
        if sgi and c.age >= 40 and rng.random() < 0.4:
            first = max(2003, c.born.year + 16, a.year - 8)
            base = min(sgi, _MAX_SGI) / PBB * 0.7
            out["pension"] = {
                "points": [
                    {"year": y, "points": round(max(0.0, base + rng.uniform(-0.4, 0.4)), 2)}
                    for y in range(first, a.year)
                ]
            }
        if c.age >= 40 and rng.random() < 0.3:
            amount = rng.randint(90, 280) * 100
            prognoses = []
            for y in range(a.year - 2, a.year + 1 if a.month >= 4 else a.year):
                grown = round(amount * (1.03 ** (y - a.year + 2)))
                prognoses.append(
                    {"year": y, "age": 66 if c.born.year >= 1957 else 65, "growth": 0, "amount": grown}
                )
                if rng.random() < 0.3:
                    prognoses.append({"year": y, "age": 67, "growth": 2, "amount": round(grown * 1.35)})
            out["pensionsprognos"] = prognoses
        if c.age >= 30 and rng.random() < 0.08:
            self.monthly_case("pensionsbehallning", [(date(a.year - 1, 12, 31), None, None)], paid=False)
        if sgi and rng.random() < 0.08:
            self.monthly_case(
                "pensionsunderlag",
                [(date(a.year - 1, 1, 1), date(a.year - 1, 12, 31), None)],
                type_="PGI",
                paid=False,
                status="avslutat",
            )
        return out


# --- scenario files -----------------------------------------------------------------------


def _default_organisations() -> Path:
    from simulator.domain.resources import data_dir

    return data_dir("scenarios") / "default.yaml"


def _clock_start(anchor: date) -> str:
    """09:00 Swedish time on the anchor day, with the UTC offset of that day."""
    return datetime.combine(anchor, time(9), STOCKHOLM).isoformat()


def _header_and_population(
    count: int, seed: int, anchor: date, organisations_from: Path | None, share: float
) -> tuple[dict[str, Any], GeneratedPopulation]:
    source = organisations_from or _default_organisations()
    with source.open(encoding="utf-8") as f:
        organisations = (yaml.safe_load(f) or {}).get("organisations", [])
    spec = Population(count=count, seed=seed, samordningsnummer_share=share, as_of=anchor)
    pop = GeneratedPopulation.build(spec, Path("."), anchor)
    header: dict[str, Any] = {
        "name": f"generated-{count}-seed-{seed}",
        "description": f"{count} generated persons (seed {seed}, dates around {anchor.isoformat()}); "
        f"organisations from {source.name}.",
        "clock": {"start": _clock_start(anchor)},
        "organisations": organisations,
    }
    return header, pop


def _progress(pop: GeneratedPopulation, progress: bool) -> Iterator[str]:
    from tqdm import tqdm

    return iter(
        tqdm(
            pop.numbers(),
            total=len(pop),
            desc="persons",
            unit="persons",
            disable=not progress,
            file=sys.stderr,
        )
    )


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """The fast dumper, without anchors and aliases (shared date objects would get them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # quote every all-digit text (kommunkod 0581): YAML 1.2 tools would read it as a number
    style = "'" if value.isdigit() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def write_scenario_yaml(
    out: TextIO | Path,
    persons: int,
    seed: int,
    as_of: date = DEFAULT_ANCHOR,
    progress: bool = False,
    organisations_from: Path | None = None,
    samordningsnummer_share: float = 0.02,
) -> None:
    """Write a scenario file with ``persons`` explicit generated persons (QA can edit them;
    ``lefi-sim scenario check`` accepts the file). Persons are written one at a time, so
    memory does not grow with the count."""
    if isinstance(out, Path):
        with out.open("w", encoding="utf-8") as f:
            write_scenario_yaml(
                f, persons, seed, as_of, progress, organisations_from, samordningsnummer_share
            )
        return
    dumper = _Dumper
    header, pop = _header_and_population(persons, seed, as_of, organisations_from, samordningsnummer_share)
    out.write(
        f"# Generated by `lefi-sim scenario generate --persons {persons} --seed {seed} "
        f"--as-of {as_of.isoformat()}`.\n"
    )
    out.write(
        yaml.dump(
            header, Dumper=dumper, allow_unicode=True, sort_keys=False, width=120, default_flow_style=None
        )
    )
    out.write("persons:\n")
    for number in _progress(pop, progress):
        out.write(
            yaml.dump(
                [pop.person_data(number)],
                Dumper=dumper,
                allow_unicode=True,
                sort_keys=False,
                width=120,
                default_flow_style=None,
            )
        )
