"""The server reads a few of aiohttp's private names (simulator/server/serving.py): aiohttp is
pinned to the minor version they were written against, and an aiohttp without one of them
fails at import with a message naming it, not on a partner's request."""

from __future__ import annotations

import tomllib
from importlib.metadata import version

import pytest
from packaging.requirements import Requirement
from support.server import ROOT

from simulator.server import serving
from simulator.server.serving import AIOHTTP_INTERNALS, check_aiohttp


def test_aiohttp_is_pinned_to_one_minor_version_and_that_one_is_installed() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    [aiohttp] = [Requirement(d) for d in dependencies if Requirement(d).name == "aiohttp"]
    bounds = {spec.operator: spec.version for spec in aiohttp.specifier}
    assert set(bounds) == {">=", "<"}, aiohttp
    low, high = (tuple(int(p) for p in bounds[op].split(".")) for op in (">=", "<"))
    assert len(low) == len(high) == 2 and high == (low[0], low[1] + 1), aiohttp
    assert aiohttp.specifier.contains(version("aiohttp")), (version("aiohttp"), aiohttp)


def test_an_aiohttp_without_the_names_the_server_uses_fails_loudly() -> None:
    check_aiohttp(AIOHTTP_INTERNALS)  # the installed one has them (serving imported)
    assert "_messages" in AIOHTTP_INTERNALS[serving.RequestHandler]
    older = type("RequestHandler", (), {"_waiter": None})
    with pytest.raises(ImportError) as refused:
        check_aiohttp({older: ("_messages", "_waiter")})
    message = str(refused.value)
    assert "RequestHandler._messages" in message and "_waiter" not in message
    assert "pyproject.toml" in message and serving.aiohttp.__version__ in message
