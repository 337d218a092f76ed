"""Checks of a scenario that need more than one field: identities, benefit names,
references between persons and organisations. Each problem is (location, reason)."""

from __future__ import annotations

from datetime import date

from simulator.benefits import BENEFITS
from simulator.orgnummer import InvalidOrgnummer, Orgnummer
from simulator.personnummer import InvalidPersonnummer, Personnummer
from simulator.scenario.models import Scenario

__all__ = ["check_scenario"]

Loc = tuple[str | int, ...]
_KNOWN = {b.key for b in BENEFITS}


def check_scenario(scenario: Scenario, today: date) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []

    def pnr(value: str, loc: Loc) -> str | None:
        if len(value.replace("-", "")) != 12:
            problems.append((loc, f"{value!r}: write personnummer with 12 digits in scenarios"))
            return None
        try:
            return Personnummer.parse(value, today).value
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
    for i, org in enumerate(scenario.organisations):
        loc: Loc = ("organisations", i)
        try:
            number = Orgnummer.parse(org.orgnummer).value
        except InvalidOrgnummer as exc:
            problems.append((loc + ("orgnummer",), f"{org.orgnummer!r} is not a valid orgnummer: {exc}"))
        else:
            if number in seen_orgs:
                problems.append((loc + ("orgnummer",),
                                 f"orgnummer {number} is already used by organisations[{seen_orgs[number]}]"))
            seen_orgs[number] = i
        if org.agreement != "all":
            for j, key in enumerate(org.agreement):
                benefit_name(key, loc + ("agreement", j))
        for j, user in enumerate(org.users):
            pnr(user.personnummer, loc + ("users", j, "personnummer"))

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
            pnr(person.new_personnummer, loc + ("new_personnummer",))
        if person.employer is not None:
            try:
                Orgnummer.parse(person.employer)
            except InvalidOrgnummer as exc:
                problems.append((loc + ("employer",), f"{person.employer!r} is not a valid orgnummer: {exc}"))
        for j, rel in enumerate(person.related):
            pnr(rel.personnummer, loc + ("related", j, "personnummer"))
        for j, case in enumerate(person.cases):
            benefit_name(case.benefit, loc + ("cases", j, "benefit"))
            if case.child is not None:
                pnr(case.child, loc + ("cases", j, "child"))
        for j, payment in enumerate(person.payments):
            benefit_name(payment.benefit, loc + ("payments", j, "benefit"))
        for j, sgi in enumerate(person.sgi):
            if sgi.decided_from < sgi.case_from:
                problems.append((loc + ("sgi", j, "decided_from"),
                                 "an SGI decision cannot apply before its case starts"))
    return problems
