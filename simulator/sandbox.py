"""What every binding shares at run time: the clock, the scenario, the engine, the
fault rules, the journal and the metrics — and the one way to answer a query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aiohttp import web

from simulator import orgnummer
from simulator.clock import Clock
from simulator.engine.answer import Answer
from simulator.engine.engine import Engine
from simulator.engine.errors import TechnicalError
from simulator.engine.query import Query
from simulator.exchange import Exchange
from simulator.faults import FaultRules
from simulator.journal import Journal
from simulator.metrics import Metrics
from simulator.orgnummer import InvalidOrgnummer, Orgnummer
from simulator.personnummer import InvalidPersonnummer, Personnummer
from simulator.requestlog import RequestLog
from simulator.scenario.models import Scenario
from simulator.scenario.store import MemoryScenarioStore, make_store

__all__ = ["Sandbox", "SANDBOX", "MAX_BODY_BYTES"]

# FK's questions are a few kilobytes; a megabyte leaves room for massfråga later while
# keeping one hostile request from taking the server's memory.
MAX_BODY_BYTES = 1024 * 1024


@dataclass
class Sandbox:
    clock: Clock
    store: MemoryScenarioStore
    engine: Engine
    faults: FaultRules
    journal: Journal = field(default_factory=Journal)
    metrics: Metrics = field(default_factory=Metrics)
    request_log: RequestLog | None = None
    source: Path | None = None  # the scenario file, for reload
    generation: int = 1  # counts scenario loads; caches key on it
    # where reset puts the clock: the start the server was given, or the loaded scenario's
    clock_start: datetime | None = None
    clock_frozen: bool = False
    always_frozen: bool = False  # serve --freeze-clock: every scenario loaded later too

    @classmethod
    def create(cls, scenario: Scenario, clock: Clock | None = None, source: Path | None = None,
               journal: Journal | None = None, request_log: RequestLog | None = None,
               progress: bool = False, always_frozen: bool = False) -> Sandbox:
        """``clock``: as the command line set it (default: the scenario's); reset returns to it."""
        if clock is None:
            clock = Clock.starting_at(scenario.clock.start, scenario.clock.frozen or always_frozen)
        store = make_store(scenario, source, progress=progress)
        sandbox = cls(clock=clock, store=store, engine=Engine(store, clock), faults=FaultRules(scenario.faults),
                      journal=journal or Journal(), request_log=request_log, source=source,
                      clock_start=None if clock.following_real_time else clock.now(),
                      clock_frozen=clock.frozen, always_frozen=always_frozen)
        sandbox.metrics.persons.set(store.person_count())
        return sandbox

    @property
    def scenario(self) -> Scenario:
        return self.store.scenario

    def install(self, store: MemoryScenarioStore, source: Path | None = None, reset_clock: bool = True) -> None:
        """Puts a new scenario's store (made by ``make_store``) in place of the current one:
        its persons, organisations, fault rules and, unless told not to, its clock."""
        self.store, self.engine = store, Engine(store, self.clock)
        self.faults.replace(store.scenario.faults)
        if source is not None:
            self.source = source
        if reset_clock:
            settings = store.scenario.clock
            self.clock_start, self.clock_frozen = settings.start, settings.frozen or self.always_frozen
            self._reset_clock()
        self.generation += 1
        self.metrics.persons.set(store.person_count())

    def reset(self) -> None:
        """Back to the scenario's start: its clock and fault rules, an empty journal."""
        self.faults.replace(self.scenario.faults)
        self._reset_clock()
        self.journal.clear()

    def _reset_clock(self) -> None:
        if self.clock_start is None:
            self.clock.follow_real_time()
        else:
            self.clock.set(self.clock_start)
        self.clock.frozen = self.clock_frozen

    def knows_organisation(self, orgnr: str) -> bool:
        try:
            return self.store.organisation(Orgnummer(orgnr)) is not None
        except InvalidOrgnummer:
            return False

    def identify(self, exchange: Exchange, organisation: str, personnummer: str | None = None,
                 benefits: tuple[str, ...] = ()) -> None:
        """Records who asks about whom on the exchange, then applies the fault rules.

        Bindings that answer without a query (e.g. listing what an aktör may see) call
        this once they know the organisation; ``answer`` calls it for every query. May
        raise ``TechnicalError`` or ``InjectedFault`` for the binding to render.
        """
        exchange.organisation = orgnummer.canonical(organisation)
        if personnummer is not None:
            try:
                exchange.personnummer = Personnummer.parse(personnummer, self.clock.today()).value
            except InvalidPersonnummer:
                exchange.personnummer = personnummer
        exchange.benefits = benefits
        self.faults.apply(exchange)

    def answer(self, query: Query, exchange: Exchange) -> Answer:
        """The engine's answer to ``query``, after the fault rules; the outcome is noted
        on the exchange. Raises ``TechnicalError`` / ``InjectedFault`` like ``identify``."""
        try:
            self.identify(exchange, query.orgnummer, query.personnummer, tuple(sorted(query.benefits)))
            answer = self.engine.answer(query)
        except TechnicalError as exc:
            exchange.outcome = f"technical:{exc.status.name}"
            raise
        exchange.outcome = "ok" if answer.status is None else f"business:{answer.status.code}"
        return answer


SANDBOX = web.AppKey("sandbox", Sandbox)
