"""``lefi-sim serve --watch``: reload the scenario file when it changes on disk.

A reload that fails keeps the running scenario and logs each problem as file:line.
The folder is watched rather than the file, because editors save by writing a new file
and renaming it over the old one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from watchfiles import awatch

from simulator.control.loading import reload_from_disk
from simulator.runtime.sandbox import SANDBOX

__all__ = ["watch_scenario"]

log = logging.getLogger("simulator.watch")


async def watch_scenario(app: web.Application) -> AsyncIterator[None]:
    """An aiohttp cleanup context: a task that reloads on change while the app runs."""
    sandbox = app[SANDBOX]
    task = asyncio.create_task(_watch(app)) if sandbox.source is not None else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _watch(app: web.Application) -> None:
    sandbox = app[SANDBOX]
    assert sandbox.source is not None
    target = sandbox.source.resolve()
    log.info("watching %s for changes", target)
    async for _ in awatch(
        target.parent,
        watch_filter=lambda _change, path: Path(path).resolve() == target,
        debounce=300,
        step=100,
    ):
        if sandbox.source is None or sandbox.source.resolve() != target:
            continue  # another scenario was loaded since through the admin API: not ours to reload
        try:
            problems = await reload_from_disk(sandbox)
        except Exception:  # the watch must outlive any file; the running scenario stays
            log.exception("reloading %s failed; the running scenario is unchanged", target)
            continue
        if problems:
            log.warning(
                "scenario %s changed but was refused; the running scenario is unchanged:\n  %s",
                target,
                "\n  ".join(problems),
            )
        else:
            print(f"LEFI sandbox: scenario {target} reloaded (generation {sandbox.generation})", flush=True)
