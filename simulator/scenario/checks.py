"""Checks of a scenario that need more than one field: identities, benefit names,
references between persons and organisations. Each problem is (location, reason)."""

from __future__ import annotations

from simulator.domain.benefits import BENEFITS, Shape, benefit
from simulator.domain.orgnummer import InvalidOrgnummer, Orgnummer
from simulator.domain.personnummer import InvalidPersonnummer, Personnummer
from simulator.scenario.models import Case, FaultRule, Payment, Scenario

__all__ = ["check_scenario", "check_fault_rule"]

Loc = tuple[str | int, ...]
_KNOWN = {b.key for b in BENEFITS}
# What each kind of record may be about: cases only for benefits made of cases, payments
# only for benefits that are paid out.
_WITH_CASES = {b.key for b in BENEFITS if b.shape in (Shape.DAGERSATTNING, Shape.ERSATTNING)}
_PAID = {b.key for b in BENEFITS if b.payment_code}


def check_scenario(scenario: Scenario) -> list[tuple[Loc, str]]:
    """Every problem of ``scenario`` that the model alone cannot see, in file order."""
    checker = _Checker(scenario)
    checker.org_type_filters()
    for i in range(len(scenario.organisations)):
        checker.organisation(i)
    for i in range(len(scenario.persons)):
        checker.person(i)
    checker.renames()
    for i in range(len(scenario.timeline)):
        checker.timeline_event(i)
    checker.faults()
    return checker.problems


class _Checker:
    """One pass over a scenario: the problems found, and what was seen so far (each
    identity names one thing)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.problems: list[tuple[Loc, str]] = []
        self.seen_orgs: dict[str, int] = {}
        self.seen_sender_ids: dict[tuple[str, str], int] = {}
        self.seen_agreements: dict[str, int] = {}
        self.seen_aktors_ids: dict[str, int] = {}  # one aktör per aktorsId (an orgnummer counts as one)
        self.seen_users: dict[str, tuple[int, int]] = {}
        self.seen_persons: dict[str, int] = {}
        self.renamed = {e.new_personnummer for e in scenario.timeline if e.new_personnummer is not None}
        # each organisation by its orgnummer, made once (per organisation it was quadratic)
        self.own_orgs = {o.orgnummer: k for k, o in enumerate(scenario.organisations)}

    # -- values ---------------------------------------------------------------------------
    def pnr(self, value: str, loc: Loc) -> str | None:
        # 12 digits and no "born after today" rule: a scenario may hold people who are not
        # born yet by the simulator clock (they appear as it moves on)
        if len(value) != 12:
            self.problems.append((loc, f"{value!r}: write personnummer with 12 digits in scenarios"))
            return None
        try:
            return Personnummer(value).value
        except InvalidPersonnummer as exc:
            self.problems.append((loc, f"{value!r} is not a valid personnummer: {exc}"))
            return None

    def benefit_name(self, value: str, loc: Loc) -> None:
        if value not in _KNOWN:
            self.problems.append((loc, f"unknown benefit {value!r} (known: see docs/scenarios.md, Benefits)"))

    def new_number(self, old: str, new: str, loc: Loc) -> None:
        if new == old:
            self.problems.append((loc, "the new personnummer is its own personnummer"))
        else:
            self.pnr(new, loc)

    def employer(self, value: str, loc: Loc) -> None:
        try:
            Orgnummer.parse(value)
        except InvalidOrgnummer as exc:
            self.problems.append((loc, f"{value!r} is not a valid orgnummer: {exc}"))

    # -- organisations --------------------------------------------------------------------
    def org_type_filters(self) -> None:
        for org_type, keys in self.scenario.org_type_filters.items():
            for j, key in enumerate(keys):
                self.benefit_name(key, ("org_type_filters", org_type, j))

    def organisation(self, i: int) -> None:
        org = self.scenario.organisations[i]
        loc: Loc = ("organisations", i)
        try:
            orgnr = Orgnummer.parse(org.orgnummer).value
        except InvalidOrgnummer as exc:
            self.problems.append((loc + ("orgnummer",), f"{org.orgnummer!r} is not a valid orgnummer: {exc}"))
        else:
            if orgnr in self.seen_orgs:
                self.problems.append(
                    (
                        loc + ("orgnummer",),
                        f"orgnummer {orgnr} is already used by organisations[{self.seen_orgs[orgnr]}]",
                    )
                )
            self.seen_orgs[orgnr] = i
        if org.agreement != "all":
            for j, key in enumerate(org.agreement):
                self.benefit_name(key, loc + ("agreement", j))
        for j, user in enumerate(org.users):
            self.user(i, j, user.personnummer)
        self.problems.extend(
            _check_ssek_and_shs(self.scenario, i, self.own_orgs, self.seen_sender_ids, self.seen_agreements)
        )
        other = self.seen_aktors_ids.get(org.aktors_id)
        if other is not None and (
            org.aktorsid or self.scenario.organisations[other].aktorsid
        ):  # else a twin orgnummer
            self.problems.append(
                (
                    loc + ("aktorsid",),
                    f"aktorsid {org.aktors_id!r} is already the aktorsid of organisations[{other}]",
                )
            )
        self.seen_aktors_ids[org.aktors_id] = i

    def user(self, i: int, j: int, personnummer: str) -> None:
        loc: Loc = ("organisations", i, "users", j, "personnummer")
        if self.pnr(personnummer, loc) is None:
            return
        # one organisation per user: the web login knows whom a user asks for
        where = self.seen_users.get(personnummer)
        if where is not None:
            self.problems.append(
                (
                    loc,
                    f"user {personnummer} is already "
                    f"registered for organisations[{where[0]}] (users[{where[1]}])",
                )
            )
        self.seen_users[personnummer] = (i, j)

    # -- persons --------------------------------------------------------------------------
    def person(self, i: int) -> None:
        person = self.scenario.persons[i]
        loc: Loc = ("persons", i)
        number = self.pnr(person.personnummer, loc + ("personnummer",))
        if number is not None:
            if number in self.seen_persons:
                self.problems.append(
                    (
                        loc + ("personnummer",),
                        f"personnummer {number} is already used by persons[{self.seen_persons[number]}]",
                    )
                )
            self.seen_persons[number] = i
        if person.new_personnummer is not None:
            self.new_number(person.personnummer, person.new_personnummer, loc + ("new_personnummer",))
        if person.employer is not None:
            self.employer(person.employer, loc + ("employer",))
        for j, rel in enumerate(person.related):
            if rel.personnummer == person.personnummer:
                self.problems.append(
                    (loc + ("related", j, "personnummer"), "a person cannot be related to itself")
                )
            else:
                self.pnr(rel.personnummer, loc + ("related", j, "personnummer"))
        for j, case in enumerate(person.cases):
            self.case(case, person.personnummer, loc + ("cases", j))
        for j, payment in enumerate(person.payments):
            self.payment(payment, loc + ("payments", j))
        for j, sgi in enumerate(person.sgi):
            if sgi.decided_from < sgi.case_from:
                self.problems.append(
                    (loc + ("sgi", j, "decided_from"), "an SGI decision cannot apply before its case starts")
                )

    def case(self, case: Case, owner: str, loc: Loc) -> None:
        self.benefit_name(case.benefit, loc + ("benefit",))
        if case.benefit in _KNOWN and case.benefit not in _WITH_CASES:
            self.problems.append(
                (
                    loc + ("benefit",),
                    f"{case.benefit} has no cases; it has its own list ({benefit(case.benefit).shape.value})",
                )
            )
        if case.child is not None:
            if case.child == owner:
                self.problems.append((loc + ("child",), "the child of a case cannot be the person itself"))
            else:
                self.pnr(case.child, loc + ("child",))

    def payment(self, payment: Payment, loc: Loc) -> None:
        self.benefit_name(payment.benefit, loc + ("benefit",))
        if payment.benefit in _KNOWN and payment.benefit not in _PAID:
            self.problems.append((loc + ("benefit",), f"{payment.benefit} has no payments"))

    # -- the timeline ---------------------------------------------------------------------
    def renames(self) -> None:
        """Each new personnummer leads back, through earlier renames, to a person."""
        renames = {
            e.new_personnummer: (i, e.personnummer)
            for i, e in enumerate(self.scenario.timeline)
            if e.new_personnummer is not None and e.new_personnummer not in self.seen_persons
        }
        for new, (i, old) in renames.items():
            chain = {new}
            while old in renames and old not in chain:
                chain.add(old)
                old = renames[old][1]
            if old in chain or old not in self.seen_persons:
                self.problems.append(
                    (
                        ("timeline", i, "new_personnummer"),
                        f"{new} must lead back to one of the scenario's persons through earlier renames"
                        + (" (the renames go round in a circle)" if old in chain else ""),
                    )
                )

    def timeline_event(self, i: int) -> None:
        event = self.scenario.timeline[i]
        loc: Loc = ("timeline", i)
        number = self.pnr(event.personnummer, loc + ("personnummer",))
        if number is not None and number not in self.seen_persons and number not in self.renamed:
            self.problems.append((loc + ("personnummer",), f"{number} is not one of the scenario's persons"))
        if event.case is not None:
            self.case(event.case, event.personnummer, loc + ("case",))
        if event.payment is not None:
            self.payment(event.payment, loc + ("payment",))
        if event.benefit is not None:
            self.benefit_name(event.benefit, loc + ("benefit",))
        if event.new_personnummer is not None:
            self.new_number(event.personnummer, event.new_personnummer, loc + ("new_personnummer",))

    # -- fault rules ----------------------------------------------------------------------
    def faults(self) -> None:
        seen_rules: dict[str, int] = {}
        for i, rule in enumerate(self.scenario.faults):
            loc: Loc = ("faults", i)
            if rule.id in seen_rules:
                self.problems.append(
                    (
                        loc + ("id",),
                        f"fault rule id {rule.id!r} is already used by faults[{seen_rules[rule.id]}]",
                    )
                )
            seen_rules[rule.id] = i
            self.problems.extend(check_fault_rule(rule, loc))


def check_fault_rule(rule: FaultRule, loc: Loc = ()) -> list[tuple[Loc, str]]:
    """What the model alone cannot see in a fault rule (also for rules added at run time)."""
    problems: list[tuple[Loc, str]] = []
    if rule.benefit is not None and rule.benefit not in _KNOWN:
        problems.append(
            (loc + ("benefit",), f"unknown benefit {rule.benefit!r} (known: see docs/scenarios.md, Benefits)")
        )
    if rule.personnummer is not None:
        try:
            Personnummer(rule.personnummer)
        except InvalidPersonnummer as exc:
            problems.append(
                (loc + ("personnummer",), f"{rule.personnummer!r} is not a valid personnummer: {exc}")
            )
    if rule.organisation is not None:
        try:
            Orgnummer.parse(rule.organisation)
        except InvalidOrgnummer as exc:
            problems.append(
                (loc + ("organisation",), f"{rule.organisation!r} is not a valid orgnummer: {exc}")
            )
    return problems


def _check_ssek_and_shs(
    scenario: Scenario,
    i: int,
    own: dict[str, int],
    seen_sender_ids: dict[tuple[str, str], int],
    seen_agreements: dict[str, int],
) -> list[tuple[Loc, str]]:
    """An SSEK SenderId and an SHS agreement id each name one organisation (``own``: each
    organisation's index by its orgnummer)."""
    problems: list[tuple[Loc, str]] = []
    org = scenario.organisations[i]
    for j, sender in enumerate(org.ssek_sender_ids):
        loc: Loc = ("organisations", i, "ssek_sender_ids", j)
        key = (sender.type, sender.id.strip())
        if sender.type == "ORGNR":
            try:
                key = (sender.type, Orgnummer.parse(sender.id).value)
            except InvalidOrgnummer as exc:
                problems.append((loc + ("id",), f"{sender.id!r} is not a valid orgnummer: {exc}"))
                continue
            if own.get(key[1], i) != i:
                problems.append((loc + ("id",), f"orgnummer {key[1]} is organisations[{own[key[1]]}]'s own"))
                continue
        if key in seen_sender_ids:
            problems.append(
                (
                    loc + ("id",),
                    f"SenderId {sender.type} {sender.id!r} is already used by "
                    f"organisations[{seen_sender_ids[key]}]",
                )
            )
        seen_sender_ids.setdefault(key, i)
    for j, agreement in enumerate(org.shs_agreements):
        loc = ("organisations", i, "shs_agreements", j)
        if agreement.id in seen_agreements:
            problems.append(
                (
                    loc + ("id",),
                    f"agreement {agreement.id} is already used by "
                    f"organisations[{seen_agreements[agreement.id]}]",
                )
            )
        seen_agreements.setdefault(agreement.id, i)
    return problems
