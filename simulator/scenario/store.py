"""The scenario store: what the engine may ask of the loaded scenario.

The engine sees only this interface, so that a generated population or a shared
backend can replace the in-memory store without touching any rule. Persons are asked
for on a day: the timeline (timeline.py) decides what that day holds.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from simulator.domain.benefits import DEFAULT_ORG_TYPE_FILTERS
from simulator.domain.orgnummer import Orgnummer
from simulator.domain.personnummer import Personnummer
from simulator.scenario.models import EventKind, Organisation, Person, Scenario, TimelineEvent
from simulator.scenario.timeline import by_person, person_on

__all__ = ["ScenarioStore", "MemoryScenarioStore", "make_store"]


class ScenarioStore(Protocol):
    @property
    def name(self) -> str: ...

    def organisation(self, orgnummer: Orgnummer) -> Organisation | None: ...

    def person(self, personnummer: Personnummer, day: date) -> Person | None: ...

    def protected_identity(self, personnummer: Personnummer, day: date) -> bool | None:
        """Whether the person has a protected identity on ``day`` (None: no such person)."""
        ...

    def org_type_filter(self, org_type: str) -> frozenset[str] | None: ...

    def organisations(self) -> tuple[Organisation, ...]: ...

    def timeline(self) -> tuple[TimelineEvent, ...]: ...


class MemoryScenarioStore:
    """A scenario held in memory, indexed by canonical orgnummer and personnummer.

    ``population`` is the scenario's generated population, if it has one (persons listed
    in the file take precedence over generated ones with the same number).
    """

    def __init__(self, scenario: Scenario, population: PopulationSource | None = None) -> None:
        self.scenario = scenario
        self.population = population
        # the models hold canonical numbers (12 and 10 digits), checked by the loader
        self._orgs = {o.orgnummer: o for o in scenario.organisations}
        self._persons = {p.personnummer: p for p in scenario.persons}
        self._filters = {k: frozenset(v) for k, v in DEFAULT_ORG_TYPE_FILTERS.items()}
        self._filters.update({k: frozenset(v) for k, v in scenario.org_type_filters.items()})
        # a new personnummer from the timeline answers for the person from its day on; events
        # written with the new number belong to the person under the old one
        self._renamed = {
            e.new_personnummer: e
            for e in scenario.timeline
            if e.event is EventKind.NEW_PERSONNUMMER and e.new_personnummer not in self._persons
        }
        self._events = by_person(
            e.model_copy(update={"personnummer": self._root(e.personnummer)})
            if e.personnummer in self._renamed
            else e
            for e in scenario.timeline
        )
        self._on = lru_cache(maxsize=4096)(self._person_on)

    def _root(self, number: str) -> str:
        """The person's first number, through every rename (checks.py refuses cycles; the
        seen set keeps a store made without the checks from looping)."""
        seen = {number}
        while number in self._renamed:
            number = self._renamed[number].personnummer
            if number in seen:
                break
            seen.add(number)
        return number

    @property
    def name(self) -> str:
        return self.scenario.name

    def organisation(self, orgnummer: Orgnummer) -> Organisation | None:
        return self._orgs.get(orgnummer.value)

    def person(self, personnummer: Personnummer, day: date) -> Person | None:
        number = personnummer.value
        if self.population is not None and self._generated_as_is(number):
            # the population keeps its own cache: an answer here too would keep every person
            # of a large batch alive for a while, and slow every garbage collection meanwhile
            return self.population.person(number)
        return self._on(number, day)

    def protected_identity(self, personnummer: Personnummer, day: date) -> bool | None:
        number = personnummer.value
        if self.population is not None and self._generated_as_is(number):
            # asked for every related person of every answer: not made whole for this
            return self.population.protected_identity(number)
        person = self._on(number, day)
        return None if person is None else person.protected_identity

    def _generated_as_is(self, number: str) -> bool:
        """Whether ``number`` can only be a generated person that the timeline leaves alone."""
        return number not in self._persons and number not in self._renamed and number not in self._events

    def _person_on(self, number: str, day: date) -> Person | None:
        renamed = self._renamed.get(number)
        if renamed is not None:
            if renamed.date > day:
                return None
            old = self._on(self._root(number), day)
            if old is None:
                return None
            # the newest number answers; an intermediate one of a chain says where it went
            latest = old.new_personnummer if old.new_personnummer != number else None
            return old.model_copy(update={"personnummer": number, "new_personnummer": latest})
        person = self._persons.get(number)
        if person is None and self.population is not None:
            person = self.population.person(number)
        if person is None:
            return None
        events = self._events.get(number)
        return person_on(person, events, day) if events else person

    def has_organisation(self, number: str) -> bool:
        """Whether the scenario holds the organisation with these 10 canonical digits (a
        dictionary lookup: asked on every request, for the SLA and the metrics)."""
        return number in self._orgs

    def person_count(self) -> int:
        extra = len(self.population) if self.population is not None else 0
        return len(self._persons) + extra

    def org_type_filter(self, org_type: str) -> frozenset[str] | None:
        return self._filters.get(org_type)

    def organisations(self) -> tuple[Organisation, ...]:
        return self.scenario.organisations

    def timeline(self) -> tuple[TimelineEvent, ...]:
        return self.scenario.timeline


class PopulationSource(Protocol):
    """A generated population (simulator/scenario/population.py)."""

    def __len__(self) -> int: ...

    def person(self, pnr: str) -> Person | None: ...

    def protected_identity(self, pnr: str) -> bool | None: ...


def make_store(scenario: Scenario, source: Path | None = None, progress: bool = False) -> MemoryScenarioStore:
    """The store for ``scenario`` (read from ``source``), with its population generated."""
    population = None
    if scenario.population is not None:
        from simulator.scenario.loader import ScenarioError, ScenarioProblem
        from simulator.scenario.population import GeneratedPopulation, PopulationError

        spec = scenario.population
        # no as_of and no clock start: the population's own fixed day (never today's date,
        # so that the same seed gives the same people any day)
        anchor = spec.as_of or (scenario.clock.start.date() if scenario.clock.start else None)
        base_dir = source.parent if source is not None else Path.cwd()
        try:
            population = GeneratedPopulation.build(spec, base_dir, anchor, progress=progress)
        except PopulationError as exc:  # e.g. a bad line in the CSV of numbers
            raise ScenarioError(
                [
                    ScenarioProblem(
                        exc.file or str(source or "<scenario>"), exc.line or 1, f"population: {exc.reason}"
                    )
                ]
            ) from exc
    return MemoryScenarioStore(scenario, population)
