"""A real simulator process on a free port, as the tests start it: the paths of the
checkout, ``start_server``/``stop_server`` and ``running`` (the two as a context)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from simulator.protocols.answer_check import LOG_MARK as ANSWER_CHECK_MARK

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SCHEMAS = ROOT / "schemas"
NS = "http://schema.forsakringskassan.se/externa_intressenter"
DEFAULT_SCENARIO = ROOT / "scenarios" / "default.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None


def start_server(
    tmp: Path, *args: str, scenario: Path = DEFAULT_SCENARIO, session: requests.Session | None = None
) -> Server:
    """A simulator process. The SLA gate is off unless the test asks for it: most tests
    ask many questions in one frozen instant, which the SLA would refuse (test_sla.py).
    Every XML answer it sends is validated against the published XSDs (``--check-answers``);
    ``stop_server`` fails the test on any that did not validate.
    With ``--tls`` among ``args`` it is polled over https with ``session`` (its certificates)."""
    if not any(a.startswith("--sla-mode") for a in args):
        args = (*args, "--sla-mode", "off")
    if "--check-answers" not in args:
        args = (*args, "--check-answers")
    port = free_port()
    if not any(a.startswith("--data-dir") for a in args):  # durable state stays in the test's folder
        args = (*args, "--data-dir", str(tmp / f"data-{port}"))
    log = tmp / f"server-{port}.log"
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "serve",
            "--scenario",
            str(scenario),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *args,
        ],
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    url = f"{'https' if '--tls' in args else 'http'}://127.0.0.1:{port}"
    poll = session or requests.Session()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"simulator exited early:\n{log.read_text()}")
        try:
            if poll.get(f"{url}/health", timeout=1).ok:
                return Server(url, process, log)
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"simulator did not start:\n{log.read_text()}")


def wait_for(predicate: Callable[[], Any], timeout: float = 20) -> Any:
    """What ``predicate`` returns once it is true (background work: workers, the clock's tasks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def stop_server(server: Server) -> None:
    """Stop the server; a traceback in its log fails the run (a sandbox bug hidden behind
    a fault the partner would take for FK's), and so does an answer that did not validate
    against the published XSDs (the answer check logs each with its problems)."""
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, f"the simulator logged an error:\n{log}"
    failed = [line for line in log.splitlines() if ANSWER_CHECK_MARK in line]
    assert not failed, "answers that do not validate against the published XSDs:\n" + "\n".join(failed)


@contextlib.contextmanager
def running(tmp: Path, *args: str, scenario: Path = DEFAULT_SCENARIO) -> Iterator[Server]:
    """A server for the length of a ``with`` block (a module's fixture); stopping it
    fails the test if its log holds a traceback."""
    server = start_server(tmp, *args, scenario=scenario)
    try:
        yield server
    finally:
        stop_server(server)
