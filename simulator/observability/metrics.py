"""Prometheus metrics at /metrics: requests by binding, outcome and organisation, latency,
faults injected. One registry per application, so that several sandboxes in one process
(the pytest fixture) keep their own counts."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from simulator.observability.exchange import Exchange
from simulator.observability.outcome import Outcome

__all__ = ["Metrics", "CONTENT_TYPE_LATEST"]

disable_created_metrics()  # *_created series only double the output for our counters

# SLA latency targets are in the hundreds of milliseconds; injected latency goes to minutes
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lefi_requests",
            "Binding requests by binding, outcome and organisation",
            ["binding", "outcome", "organisation"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lefi_request_duration_seconds",
            "Time to answer, by binding",
            ["binding"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.faults = Counter(
            "lefi_faults_injected",
            "Requests a fault rule applied to",
            ["kind", "rule"],
            registry=self.registry,
        )
        self.sla_breaches = Counter(
            "lefi_sla_breaches",
            "SLA breaches by rule, organisation and enforcement mode",
            ["rule", "organisation", "mode"],
            registry=self.registry,
        )
        self.journal_size = Gauge(
            "lefi_journal_entries", "Entries in the request journal", registry=self.registry
        )
        self.persons = Gauge(
            "lefi_scenario_persons", "Persons in the loaded scenario", registry=self.registry
        )
        self._request_counters: dict[tuple[str, Outcome | None, str], Counter] = {}
        self._latency_histograms: dict[str, Histogram] = {}

    def observe(self, exchange: Exchange, org: str) -> None:
        """``org``: the organisation's label (Sandbox.metrics_organisation)."""
        binding = exchange.binding or ""
        key = (binding, exchange.outcome, org)
        counter = self._request_counters.get(key)
        if counter is None:  # labels() locks and builds its key on every call: once per label set
            label = _outcome_label(exchange.outcome)
            counter = self._request_counters[key] = self.requests.labels(binding, label, org)
        counter.inc()
        histogram = self._latency_histograms.get(binding)
        if histogram is None:
            histogram = self._latency_histograms[binding] = self.latency.labels(binding)
        histogram.observe(exchange.duration)
        if exchange.fault_rule is not None:
            self.faults.labels(exchange.fault_kind or "", exchange.fault_rule).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _outcome_label(outcome: Outcome | None) -> str:
    """ok, business:<kod>, technical:<NAME>, injected:<kind>, sla:<rule>: all bounded sets."""
    return str(outcome)[:60] if outcome is not None else ""
