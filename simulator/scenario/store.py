"""The scenario store: what the engine may ask of the loaded scenario.

The engine sees only this interface, so that a generated population or a shared
backend can replace the in-memory store without touching any rule.
"""

from __future__ import annotations

from typing import Protocol

from simulator.benefits import DEFAULT_ORG_TYPE_FILTERS
from simulator.orgnummer import Orgnummer
from simulator.personnummer import Personnummer
from simulator.scenario.models import Organisation, Person, Scenario

__all__ = ["ScenarioStore", "MemoryScenarioStore"]


class ScenarioStore(Protocol):
    @property
    def name(self) -> str: ...

    def organisation(self, orgnummer: Orgnummer) -> Organisation | None: ...

    def person(self, personnummer: Personnummer) -> Person | None: ...

    def org_type_filter(self, org_type: str) -> frozenset[str] | None: ...

    def organisations(self) -> tuple[Organisation, ...]: ...


class MemoryScenarioStore:
    """A scenario held in memory, indexed by canonical orgnummer and personnummer."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        # the models hold canonical numbers (12 and 10 digits), checked by the loader
        self._orgs = {o.orgnummer: o for o in scenario.organisations}
        self._persons = {p.personnummer: p for p in scenario.persons}
        self._filters = {k: frozenset(v) for k, v in DEFAULT_ORG_TYPE_FILTERS.items()}
        self._filters.update({k: frozenset(v) for k, v in scenario.org_type_filters.items()})

    @property
    def name(self) -> str:
        return self.scenario.name

    def organisation(self, orgnummer: Orgnummer) -> Organisation | None:
        return self._orgs.get(orgnummer.value)

    def person(self, personnummer: Personnummer) -> Person | None:
        return self._persons.get(personnummer.value)

    def org_type_filter(self, org_type: str) -> frozenset[str] | None:
        return self._filters.get(org_type)

    def organisations(self) -> tuple[Organisation, ...]:
        return self.scenario.organisations
