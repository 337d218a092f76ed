"""What every binding shares at run time: the clock, the scenario, the engine, the
fault rules, the journal and the metrics — and the one way to answer a query."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from simulator import orgnummer
from simulator.clock import Clock
from simulator.engine.answer import Answer
from simulator.engine.engine import Engine
from simulator.engine.errors import TechnicalError
from simulator.engine.query import Query
from simulator.exchange import Exchange
from simulator.faults import FaultRules
from simulator.personnummer import InvalidPersonnummer, Personnummer
from simulator.scenario.store import ScenarioStore

__all__ = ["Sandbox", "SANDBOX", "MAX_BODY_BYTES"]

# FK's questions are a few kilobytes; a megabyte leaves room for massfråga later while
# keeping one hostile request from taking the server's memory.
MAX_BODY_BYTES = 1024 * 1024


@dataclass
class Sandbox:
    clock: Clock
    store: ScenarioStore
    engine: Engine
    faults: FaultRules

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
