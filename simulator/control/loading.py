"""The one way a running sandbox loads a scenario, reloads its file and resets: used by the
admin API, the control bus (a change another worker made) and ``serve --watch``.

A scenario is parsed and its store built off the event loop (a large population takes a
while), then swapped in; a refusal (``ScenarioError``) leaves the running scenario as it was.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiohttp import web

from simulator.runtime.registry import registry_of
from simulator.runtime.sandbox import SANDBOX, Sandbox
from simulator.scenario.loader import ScenarioError, load_scenario, parse_scenario
from simulator.scenario.models import Scenario
from simulator.scenario.store import make_store

__all__ = ["install", "load_text", "file_holding", "reload_from_disk", "reset", "NOT_FROM_A_FILE"]

log = logging.getLogger("simulator.loading")
NOT_FROM_A_FILE = (
    "the running scenario was given as text (a request body), not as a file on the server's disk: "
    "there is nothing to read again; load it again instead (PUT /_admin/scenario, "
    "or lefi-sim admin scenario load FILE)"
)


async def install(
    sandbox: Sandbox, scenario: Scenario, source: Path | None, keep_clock: bool = False
) -> None:
    """Builds ``scenario``'s store off the event loop, then swaps it in. ``source``: the file
    it came from, which reload reads again; None: it was given as text, nothing to reload."""
    store = await asyncio.to_thread(make_store, scenario, source or sandbox.source)
    sandbox.install(store, source, reset_clock=not keep_clock)
    sandbox.source = source  # install keeps an old file; a scenario given as text has none


async def load_text(
    sandbox: Sandbox, text: str, name: str, keep_clock: bool = False, file: Path | None = None
) -> Scenario:
    """Loads the scenario YAML ``text`` (``name`` in its problems). ``file``: the file on
    this machine that holds ``text`` (see ``file_holding``), which becomes the source reload
    reads. Raises ``ScenarioError``."""
    scenario = await asyncio.to_thread(parse_scenario, text, name)
    await install(sandbox, scenario, file, keep_clock=keep_clock)
    return scenario


def file_holding(name: str, text: str) -> Path | None:
    """The file ``name`` names when it is an absolute path on this machine holding exactly
    ``text`` (``lefi-sim admin scenario load`` sends its file's absolute path): the scenario
    came from that file. None when it names none (a bare body, or a client on another machine)."""
    path = Path(name)
    if not path.is_absolute():
        return None
    try:
        return path if path.is_file() and path.read_text(encoding="utf-8") == text else None
    except (OSError, UnicodeDecodeError):
        return None


async def reload_from_disk(sandbox: Sandbox) -> list[str]:
    """Reads the scenario file again, keeping the clock; returns the problems (empty: reloaded)."""
    if sandbox.source is None:
        return [NOT_FROM_A_FILE]
    try:
        scenario = await asyncio.to_thread(load_scenario, sandbox.source)
        await install(sandbox, scenario, sandbox.source, keep_clock=True)
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    log.info("scenario %s reloaded", sandbox.source)
    return []


async def reset(app: web.Application, *, shared: bool) -> None:
    """Back to the scenario's start: the sandbox (clock, fault rules, journal, SLA history) and
    every registered service's in-memory stores, in this worker. ``shared``: also the state the
    workers share (durable kinds, the services' own resets) — once, by the worker the admin call
    reached; a worker told by the bus leaves it."""
    await app[SANDBOX].reset()
    registry = registry_of(app)
    if shared:
        await registry.reset_shared(app[SANDBOX].durable)
    registry.clear_memory()
