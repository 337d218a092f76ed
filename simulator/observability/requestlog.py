"""Structured request log: one JSON line per binding request, with the correlation id
that the journal and the X-Correlation-ID header carry too."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TextIO

from simulator.observability.exchange import Exchange

__all__ = ["RequestLog"]

_encode = json.JSONEncoder(
    ensure_ascii=False
).encode  # json.dumps(..., ensure_ascii=False) makes one per call


class RequestLog:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, exchange: Exchange, wall: datetime) -> None:
        line = _encode(
            {
                "ts": wall.isoformat(timespec="milliseconds"),
                "correlation_id": exchange.id,
                "sim_time": exchange.at.isoformat(timespec="seconds"),
                "binding": exchange.binding,
                "method": exchange.method,
                "path": exchange.path,
                "organisation": exchange.organisation,
                "personnummer": exchange.personnummer,
                "outcome": str(exchange.outcome) if exchange.outcome is not None else None,
                "status": exchange.status,
                "duration_ms": round(exchange.duration * 1000, 3),
                "fault_rule": exchange.fault_rule,
                "sla_breach": exchange.sla_breach,
            }
        )
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed or full log must not fail the answer
