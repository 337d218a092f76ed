"""Checks of a scenario that need more than one field: identities, benefit names,
references between persons and organisations. Each problem is (location, reason)."""

from __future__ import annotations

from simulator.benefits import BENEFITS, Shape, benefit
from simulator.orgnummer import InvalidOrgnummer, Orgnummer
from simulator.personnummer import InvalidPersonnummer, Personnummer
from simulator.scenario.models import Scenario

__all__ = ["check_scenario"]

Loc = tuple[str | int, ...]
_KNOWN = {b.key for b in BENEFITS}
# What each kind of record may be about: cases only for benefits made of cases, payments
# only for benefits that are paid out.
_WITH_CASES = {b.key for b in BENEFITS if b.shape in (Shape.DAGERSATTNING, Shape.ERSATTNING)}
_PAID = {b.key for b in BENEFITS if b.payment_code}


def check_scenario(scenario: Scenario) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []

    def pnr(value: str, loc: Loc) -> str | None:
        # 12 digits and no "born after today" rule: a scenario may hold people who are not
        # born yet by the simulator clock (they appear as it moves on)
        if len(value) != 12:
            problems.append((loc, f"{value!r}: write personnummer with 12 digits in scenarios"))
            return None
        try:
            return Personnummer(value).value
        except InvalidPersonnummer as exc:
            problems.append((loc, f"{value!r} is not a valid personnummer: {exc}"))
            return None

    def benefit_name(value: str, loc: Loc) -> None:
        if value not in _KNOWN:
            problems.append((loc, f"unknown benefit {value!r} (known: see README, Benefits)"))

    for org_type, keys in scenario.org_type_filters.items():
        for j, key in enumerate(keys):
            benefit_name(key, ("org_type_filters", org_type, j))

    seen_orgs: dict[str, int] = {}
    seen_aktors_ids: dict[str, int] = {}  # one aktör per aktorsId (an orgnummer counts as one)
    for i, org in enumerate(scenario.organisations):
        loc: Loc = ("organisations", i)
        try:
            orgnr = Orgnummer.parse(org.orgnummer).value
        except InvalidOrgnummer as exc:
            problems.append((loc + ("orgnummer",), f"{org.orgnummer!r} is not a valid orgnummer: {exc}"))
        else:
            if orgnr in seen_orgs:
                problems.append((loc + ("orgnummer",),
                                 f"orgnummer {orgnr} is already used by organisations[{seen_orgs[orgnr]}]"))
            seen_orgs[orgnr] = i
        if org.agreement != "all":
            for j, key in enumerate(org.agreement):
                benefit_name(key, loc + ("agreement", j))
        for j, user in enumerate(org.users):
            pnr(user.personnummer, loc + ("users", j, "personnummer"))
        other = seen_aktors_ids.get(org.aktors_id)
        if other is not None and (org.aktorsid or scenario.organisations[other].aktorsid):  # else a twin orgnummer
            problems.append((loc + ("aktorsid",), f"aktorsid {org.aktors_id!r} is already the aktorsid "
                             f"of organisations[{other}]"))
        seen_aktors_ids[org.aktors_id] = i

    seen_persons: dict[str, int] = {}
    for i, person in enumerate(scenario.persons):
        loc = ("persons", i)
        number = pnr(person.personnummer, loc + ("personnummer",))
        if number is not None:
            if number in seen_persons:
                problems.append((loc + ("personnummer",),
                                 f"personnummer {number} is already used by persons[{seen_persons[number]}]"))
            seen_persons[number] = i
        if person.new_personnummer is not None:
            if person.new_personnummer == person.personnummer:
                problems.append((loc + ("new_personnummer",), "the new personnummer is its own personnummer"))
            else:
                pnr(person.new_personnummer, loc + ("new_personnummer",))
        if person.employer is not None:
            try:
                Orgnummer.parse(person.employer)
            except InvalidOrgnummer as exc:
                problems.append((loc + ("employer",), f"{person.employer!r} is not a valid orgnummer: {exc}"))
        for j, rel in enumerate(person.related):
            if rel.personnummer == person.personnummer:
                problems.append((loc + ("related", j, "personnummer"), "a person cannot be related to itself"))
            else:
                pnr(rel.personnummer, loc + ("related", j, "personnummer"))
        for j, case in enumerate(person.cases):
            benefit_name(case.benefit, loc + ("cases", j, "benefit"))
            if case.benefit in _KNOWN and case.benefit not in _WITH_CASES:
                problems.append((loc + ("cases", j, "benefit"),
                                 f"{case.benefit} has no cases; it has its own list "
                                 f"({benefit(case.benefit).shape.value})"))
            if case.child is not None:
                if case.child == person.personnummer:
                    problems.append((loc + ("cases", j, "child"), "the child of a case cannot be the person itself"))
                else:
                    pnr(case.child, loc + ("cases", j, "child"))
        for j, payment in enumerate(person.payments):
            benefit_name(payment.benefit, loc + ("payments", j, "benefit"))
            if payment.benefit in _KNOWN and payment.benefit not in _PAID:
                problems.append((loc + ("payments", j, "benefit"), f"{payment.benefit} has no payments"))
        for j, sgi in enumerate(person.sgi):
            if sgi.decided_from < sgi.case_from:
                problems.append((loc + ("sgi", j, "decided_from"),
                                 "an SGI decision cannot apply before its case starts"))
    return problems
