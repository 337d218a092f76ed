"""Fault rules: behaviours that match requests of every binding (SPEC §5).

The rules are data (``FaultRule`` in scenario files, or added through the admin API);
this module decides, once per request, whether one applies. A named technical error or
a SOAP fault is raised for the binding to render in its own format; transport effects
(HTTP status, reset, truncation, malformed body, no answer, latency) are left on the
exchange for ``simulator.traffic`` to carry out.
"""

from __future__ import annotations

import fnmatch
import math
import random
import threading
from dataclasses import dataclass

from simulator.domain.errors import TechnicalError
from simulator.observability.exchange import Exchange
from simulator.observability.outcome import Outcome
from simulator.scenario.models import FaultKind, FaultRule, Latency

__all__ = ["FaultRules", "InjectedFault", "Effect", "draw_latency"]


class InjectedFault(Exception):
    """A fault rule of kind soap_fault. SOAP bindings answer a SOAP Fault with this code
    and reason; the others answer their own server error naming the rule."""

    def __init__(self, rule: FaultRule) -> None:
        super().__init__(rule.fault_reason)
        self.rule = rule
        self.code = rule.fault_code
        self.reason = rule.fault_reason


@dataclass(frozen=True)
class Effect:
    """A transport effect for the middleware: what to do and, for latency, how long."""

    kind: FaultKind
    rule: FaultRule
    delay: float = 0.0


def draw_latency(latency: Latency, rng: random.Random) -> float:
    if latency.fixed is not None:
        return latency.fixed
    if latency.uniform is not None:
        return rng.uniform(*latency.uniform)
    assert latency.lognormal is not None
    spec = latency.lognormal
    return min(spec.max, spec.median * math.exp(rng.gauss(0.0, spec.sigma)))


class FaultRules:
    """The active rules, in order; the first rule that matches and fires applies."""

    def __init__(self, rules: tuple[FaultRule, ...] = (), seed: int | None = None) -> None:
        self._rules: dict[str, FaultRule] = {}
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()  # the pytest fixture's admin client may call from another thread
        self.rng = random.Random(seed)
        self.replace(rules)

    def replace(self, rules: tuple[FaultRule, ...]) -> None:
        with self._lock:
            self._rules = {r.id: r for r in rules}
            self._used = {}

    def add(self, rule: FaultRule) -> None:
        """Adds a rule, or replaces the rule with the same id (its count starts again)."""
        with self._lock:
            self._rules[rule.id] = rule
            self._used[rule.id] = 0

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            self._used.pop(rule_id, None)
            return self._rules.pop(rule_id, None) is not None

    def rules(self) -> list[FaultRule]:
        return list(self._rules.values())

    def used(self, rule_id: str) -> int:
        return self._used.get(rule_id, 0)

    def apply(self, exchange: Exchange) -> None:
        """Applies the first firing rule that matches the exchange, if any."""
        if not self._rules or exchange.faults_checked:
            return  # no rules (the usual case), or already drawn for this request
        exchange.faults_checked = True
        with self._lock:
            rule = self._pick(exchange)
        if rule is None:
            return
        exchange.fault_rule = rule.id
        exchange.fault_kind = rule.kind.value
        if rule.kind is FaultKind.TECHNICAL_ERROR:
            assert rule.technical_error is not None
            raise TechnicalError(rule.technical_error, f"Simulerat fel (regel {rule.id})")
        if rule.kind is FaultKind.SOAP_FAULT:
            exchange.outcome = Outcome.injected(FaultKind.SOAP_FAULT.value)
            raise InjectedFault(rule)
        delay = draw_latency(rule.latency, self.rng) if rule.latency is not None else 0.0
        exchange.effects.append(Effect(rule.kind, rule, delay))

    def _pick(self, exchange: Exchange) -> FaultRule | None:
        for rule in self._rules.values():
            if not _matches(rule, exchange):
                continue
            if rule.times is not None and self._used.get(rule.id, 0) >= rule.times:
                continue
            if rule.probability < 1.0 and self.rng.random() >= rule.probability:
                continue
            self._used[rule.id] = self._used.get(rule.id, 0) + 1
            return rule
        return None


def _matches(rule: FaultRule, exchange: Exchange) -> bool:
    if rule.binding is not None and rule.binding != exchange.binding:
        return False
    if rule.organisation is not None and rule.organisation != exchange.organisation:
        return False
    if rule.personnummer is not None and rule.personnummer != exchange.personnummer:
        return False
    if rule.benefit is not None and rule.benefit not in exchange.benefits:
        return False
    if rule.path is not None and not fnmatch.fnmatchcase(exchange.path, rule.path):
        return False
    return True
