"""Test fixtures: a real simulator process on a free port, and a zeep client for it.

Tests talk to the running server over HTTP with real clients, as a partner would.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.lefi import (  # noqa: F401  (re-exported: tests and examples import them from here)
    Lefi,
    Reply,
    answer_schema,
    ask_raw,
    assert_valid,
    make_lefi,
    raw_question,
)
from support.server import (  # noqa: F401
    DEFAULT_SCENARIO,
    NS,
    ROOT,
    SCHEMAS,
    SHARED,
    Server,
    free_port,
    start_server,
    stop_server,
    wait_for,
)

pytest_plugins = ["pytester"]  # tests/test_pytest_plugin.py runs a partner's suite


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server of our own on a free port (CI installs Debian's redis-server)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The default scenario with the clock frozen at its start, 2026-11-02 09:00."""
    srv = start_server(tmp_path_factory.mktemp("server"), "--freeze-clock")
    yield srv
    stop_server(srv)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def make(*args: str, scenario: Path = DEFAULT_SCENARIO) -> Server:
        srv = start_server(tmp_path, *args, scenario=scenario)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        stop_server(srv)


@pytest.fixture(scope="session")
def lefi(server: Server) -> Lefi:
    return make_lefi(server.url)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that needs the real redis-server — through the ``redis_url`` fixture, or
    as the ``redis`` case of a test parametrized over stores — carries the ``redis`` marker,
    so that ``-m "not redis"`` leaves them all out."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        store_case = callspec is not None and "redis" in callspec.params.values()
        if store_case or "redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)
