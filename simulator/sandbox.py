"""What every binding shares at run time: the clock, the scenario store and the engine."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from simulator.clock import Clock
from simulator.engine.engine import Engine
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


SANDBOX = web.AppKey("sandbox", Sandbox)
