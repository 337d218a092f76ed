"""Structured request log: one JSON line per binding request, with the correlation id
that the journal and the X-Correlation-ID header carry too. A request's line is written
out before its answer is sent: whoever has the answer finds the line in the log.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import TextIO

from simulator.observability.exchange import Exchange

__all__ = ["RequestLog"]

_string = json.encoder.encode_basestring  # a JSON string, as JSONEncoder(ensure_ascii=False) writes it


def _text(value: str | None) -> str:
    return "null" if value is None else _string(value)


class RequestLog:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._second = -1  # the wall-clock second whose ISO text is in _second_text
        self._second_text = ""
        self._sim_time: datetime | None = None
        self._sim_text = ""

    def write(self, exchange: Exchange, wall: float) -> None:
        """``wall``: real time, seconds since the epoch."""
        # built by hand: the same keys, order and JSON that json.dumps(ensure_ascii=False) gives
        # the dictionary, at a quarter of the cost (this runs on every request)
        outcome = exchange.outcome
        line = (
            f'{{"ts": "{self._ts(wall)}", "correlation_id": {_string(exchange.id)}, '
            f'"sim_time": "{self._sim(exchange.at)}", "binding": {_text(exchange.binding)}, '
            f'"method": {_string(exchange.method)}, "path": {_string(exchange.path)}, '
            f'"organisation": {_text(exchange.organisation)}, '
            f'"personnummer": {_text(exchange.personnummer)}, '
            f'"outcome": {_text(str(outcome) if outcome is not None else None)}, '
            f'"status": {exchange.status}, "duration_ms": {round(exchange.duration * 1000, 3)!r}, '
            f'"fault_rule": {_text(exchange.fault_rule)}, "sla_breach": {_text(exchange.sla_breach)}}}\n'
        )
        try:
            self.stream.write(line)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed or full log must not fail the answer

    def _ts(self, wall: float) -> str:
        """``wall`` in ISO 8601 UTC with milliseconds: 2026-12-08T10:15:30.123+00:00."""
        second = int(wall)
        micro = round((wall - second) * 1e6)  # as datetime.fromtimestamp rounds, then cut to ms
        if micro >= 1_000_000:
            second, micro = second + 1, micro - 1_000_000
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{micro // 1000:03d}+00:00"

    def _sim(self, at: datetime) -> str:
        if at is not self._sim_time:  # a frozen clock gives the same object every time
            self._sim_time, self._sim_text = at, at.isoformat(timespec="seconds")
        return self._sim_text
