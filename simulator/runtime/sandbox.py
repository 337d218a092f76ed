"""What every binding shares at run time: the clock, the scenario, the engine, the
fault rules, the journal and the metrics — and the one way to answer a query."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from simulator.domain import orgnummer
from simulator.domain.clock import Clock
from simulator.domain.errors import BusinessError, TechnicalError, Verksamhetsfel
from simulator.domain.personnummer import InvalidPersonnummer, Personnummer
from simulator.engine.answer import Answer
from simulator.engine.engine import Engine
from simulator.engine.query import Query
from simulator.observability.exchange import Exchange
from simulator.observability.journal import Journal
from simulator.observability.metrics import Metrics
from simulator.observability.outcome import Outcome
from simulator.observability.rates import RecentTraffic
from simulator.observability.requestlog import RequestLog
from simulator.runtime.answer_cache import AnswerCache, CachedAnswer, Key
from simulator.runtime.faults import FaultRules
from simulator.runtime.sla.counters import CounterStore, StoreUnavailable
from simulator.runtime.sla.gate import SlaGate
from simulator.scenario.models import Scenario, SlaMode
from simulator.scenario.store import MemoryScenarioStore, make_store
from simulator.stores.durable import DATA_FILE, Durable, SqliteDurable

__all__ = ["Sandbox", "SANDBOX", "MAX_BODY_BYTES", "NotCertified", "certify"]

log = logging.getLogger("simulator.sandbox")

# FK's questions are a few kilobytes; a megabyte leaves room for massfråga later while
# keeping one hostile request from taking the server's memory.
MAX_BODY_BYTES = 1024 * 1024


class NotCertified(BusinessError):
    """Mutual TLS: the request names an organisation its client certificate was not
    issued to. Each binding refuses it as it refuses an unknown organisation."""

    def __init__(self, certified: str, claimed: str) -> None:
        # ``detail`` names no organisation (LEFI v9's messages never carry an orgnummer); ``text`` does
        detail = (
            "Klientcertifikatet är utfärdat till en annan organisation"
            if certified
            else "Klientcertifikatet anger inget organisationsnummer (subjektets serialNumber)"
        )
        super().__init__(Verksamhetsfel.ORGANISATIONEN_EJ_BEHORIG_ENLIGT_BAD, detail)
        self.text = (
            f"{detail}{' (' + certified + ')' if certified else ''}; det får inte fråga som {claimed[:100]}"
        )


def certify(exchange: Exchange, organisation: str) -> None:
    """Mutual TLS: raises ``NotCertified`` unless ``organisation`` is the client
    certificate's. Without mutual TLS every organisation passes."""
    if exchange.certified is not None and orgnummer.canonical(organisation) != exchange.certified:
        exchange.outcome = Outcome.refused("certificate")
        raise NotCertified(exchange.certified, organisation)


@dataclass
class Sandbox:
    clock: Clock
    store: MemoryScenarioStore
    engine: Engine
    faults: FaultRules
    gate: SlaGate
    journal: Journal = field(default_factory=Journal)
    metrics: Metrics = field(default_factory=Metrics)
    recent: RecentTraffic = field(default_factory=RecentTraffic)  # rates for the dashboard
    answers: AnswerCache = field(default_factory=AnswerCache)  # rendered answers for repeated questions
    request_log: RequestLog | None = None
    source: Path | None = None  # the scenario file, for reload
    generation: int = 1  # counts scenario loads; caches key on it
    # where reset puts the clock: the start the server was given, or the loaded scenario's
    clock_start: datetime | None = None
    clock_frozen: bool = False
    always_frozen: bool = False  # serve --freeze-clock: every scenario loaded later too
    # subscriptions, orders, deliveries, jobs, notifications: what must survive a crash
    # (a sandbox made without one keeps it in a temporary folder of its own)
    durable: Durable = field(
        default_factory=lambda: SqliteDurable(Path(tempfile.mkdtemp(prefix="lefi-")) / DATA_FILE)
    )

    @classmethod
    def create(
        cls,
        scenario: Scenario,
        clock: Clock | None = None,
        source: Path | None = None,
        journal: Journal | None = None,
        request_log: RequestLog | None = None,
        progress: bool = False,
        always_frozen: bool = False,
        sla_counters: CounterStore | None = None,
        sla_mode: str | None = None,
        sla_profile: str | None = None,
        durable: Durable | None = None,
    ) -> Sandbox:
        """``clock``: as the command line set it (default: the scenario's); reset returns to it."""
        if clock is None:
            clock = Clock.starting_at(scenario.clock.start, scenario.clock.frozen or always_frozen)
        store = make_store(scenario, source, progress=progress)
        gate = SlaGate(scenario.sla, clock, sla_counters, mode=sla_mode, profile=sla_profile)
        durable_arg: dict[str, Any] = {} if durable is None else {"durable": durable}  # else the default
        sandbox = cls(
            clock=clock,
            store=store,
            engine=Engine(store, clock),
            faults=FaultRules(scenario.faults),
            gate=gate,
            journal=journal if journal is not None else Journal(),  # Journal(0) is off, not absent
            request_log=request_log,
            source=source,
            clock_start=None if clock.following_real_time else clock.now(),
            clock_frozen=clock.frozen,
            always_frozen=always_frozen,
            **durable_arg,
        )
        sandbox.metrics.persons.set(store.person_count())
        return sandbox

    @property
    def scenario(self) -> Scenario:
        return self.store.scenario

    def install(
        self, store: MemoryScenarioStore, source: Path | None = None, reset_clock: bool = True
    ) -> None:
        """Puts a new scenario's store (made by ``make_store``) in place of the current one:
        its persons, organisations, fault rules and, unless told not to, its clock."""
        self.store, self.engine = store, Engine(store, self.clock)
        self.faults.replace(store.scenario.faults)
        self.gate.configure(store.scenario.sla)
        if source is not None:
            self.source = source
        if reset_clock:
            settings = store.scenario.clock
            self.clock_start, self.clock_frozen = settings.start, settings.frozen or self.always_frozen
            self._reset_clock()
        self.generation += 1
        self.answers.clear()
        self.metrics.persons.set(store.person_count())

    async def reset(self) -> None:
        """Back to the scenario's start: its clock and fault rules, an empty journal, no
        SLA history."""
        self.faults.replace(self.scenario.faults)
        self._reset_clock()
        self.journal.clear()
        await self.gate.counters.clear()

    def _reset_clock(self) -> None:
        if self.clock_start is None:
            self.clock.follow_real_time()
        else:
            self.clock.set(self.clock_start)
        self.clock.frozen = self.clock_frozen

    def knows_organisation(self, orgnr: str) -> bool:
        """``orgnr`` as the exchange holds it: canonical when it was valid, else as sent."""
        return self.store.has_organisation(orgnr)

    async def identify(
        self,
        exchange: Exchange,
        organisation: str,
        personnummer: str | None = None,
        benefits: tuple[str, ...] = (),
        *,
        faults: bool = True,
    ) -> None:
        """Records who asks about whom on the exchange, passes the SLA gate (once per
        request), then draws the fault rules (once per request).

        The organisation is the one the binding identified first: bindings that know the
        asker before the question (SSEK SenderId, SHS from) call this early with
        ``faults=False`` — the SLA counts that identity — and ``answer`` later fills in the
        person and benefits and draws the rules. Bindings that answer without a query
        (e.g. listing what an aktör may see) call it once. May raise ``NotCertified`` (mutual
        TLS: not the client certificate's organisation), ``SlaBreach``,
        ``TechnicalError`` or ``InjectedFault`` for the binding to render.
        """
        if exchange.organisation is None:
            exchange.organisation = orgnummer.canonical(organisation)
        certify(exchange, organisation)
        if personnummer is not None:
            try:
                exchange.personnummer = Personnummer.parse(personnummer, self.clock.today()).value
            except InvalidPersonnummer:
                exchange.personnummer = personnummer
        if benefits:
            exchange.benefits = benefits
        if not exchange.sla_checked:
            exchange.sla_checked = True
            await self._pass_gate(exchange)
        if faults:
            self.faults.apply(exchange)

    async def _pass_gate(self, exchange: Exchange) -> None:
        assert exchange.organisation is not None
        if not self.knows_organisation(exchange.organisation):
            return  # refused anyway; and random ids from a hostile client must not grow the counts
        try:
            admission, breach = await self.gate.admit(exchange.organisation, exchange.channel)
        except StoreUnavailable as exc:
            # the shared store (Redis) is unreachable: serve unchecked rather than fail
            # every partner for the sandbox's own trouble, and say so in the log
            log.warning("SLA gate skipped for %s: counter store unreachable: %s", exchange.organisation, exc)
            return
        exchange.sla_admission = admission
        if breach is None:
            return
        exchange.sla_breach = breach.rule
        self.metrics.sla_breaches.labels(
            breach.rule, self.metrics_organisation(exchange.organisation), self.gate.mode
        ).inc()
        if self.gate.mode is SlaMode.REJECT:
            exchange.outcome = Outcome.sla(breach.rule)
            raise breach

    async def release(self, exchange: Exchange) -> None:
        """The answer has gone: the SLA's in-flight count and answer time move on."""
        if exchange.sla_admission is not None:
            admission, exchange.sla_admission = exchange.sla_admission, None
            await self.gate.release(admission)

    def metrics_organisation(self, org: str | None) -> str:
        """The organisation as a metrics label: only the scenario's own, so that random
        numbers from a hostile client cannot grow the label set without bound."""
        return org if org is not None and self.knows_organisation(org) else "unknown"

    async def answer(self, query: Query, exchange: Exchange) -> Answer:
        """The engine's answer to ``query``, after the SLA gate and the fault rules; the
        outcome is noted on the exchange. Raises like ``identify``, except that an
        organisation not the client certificate's is answered with business error 13."""
        try:
            await self.identify(exchange, query.orgnummer, query.personnummer, tuple(sorted(query.benefits)))
            answer = self.engine.answer(query)
        except NotCertified as refusal:
            exchange.outcome = Outcome.business(refusal.status)
            return self.engine.refused(query, refusal)
        except TechnicalError as exc:
            exchange.outcome = Outcome.technical(exc.status)
            raise
        exchange.outcome = _outcome(answer)
        return answer

    async def replay(self, cached: CachedAnswer, exchange: Exchange) -> bytes:
        """A cached answer's body for this request, after the SLA gate and the fault rules
        exactly as ``answer`` passes them. Raises like ``identify``."""
        try:
            await self.identify(exchange, cached.organisation, cached.personnummer, cached.benefits)
        except NotCertified:  # the cached answer is the refusal (the key holds the certificate)
            exchange.outcome = cached.outcome
            return cached.body_at(self.clock.now())
        except TechnicalError as exc:  # a fault rule's
            exchange.outcome = Outcome.technical(exc.status)
            raise
        exchange.outcome = cached.outcome
        return cached.body_at(self.clock.now())

    def remember(self, key: Key, query: Query, answer: Answer, body: bytes) -> None:
        """Keeps ``body``, the rendered ``answer`` to ``query``, for ``replay``."""
        self.answers.put(
            key,
            CachedAnswer(
                query.orgnummer,
                query.personnummer,
                tuple(sorted(query.benefits)),
                _outcome(answer),
                body,
                answer.created.isoformat(timespec="seconds").encode(),
                answer.created,
            ),
        )


def _outcome(answer: Answer) -> Outcome:
    return Outcome.ok() if answer.status is None else Outcome.business(answer.status)


SANDBOX = web.AppKey("sandbox", Sandbox)
