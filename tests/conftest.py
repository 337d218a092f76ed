"""Test fixtures: a real simulator process on a free port, and a zeep client for it.

Tests talk to the running server over HTTP with real clients, as a partner would.
"""

from __future__ import annotations

import copy
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests
import zeep
from lxml import etree
from zeep.plugins import HistoryPlugin

pytest_plugins = ["pytester"]  # tests/test_pytest_plugin.py runs a partner's suite

ROOT = Path(__file__).resolve().parent.parent
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


def start_server(tmp: Path, *args: str, scenario: Path = DEFAULT_SCENARIO,
                 session: requests.Session | None = None) -> Server:
    """A simulator process. The SLA gate is off unless the test asks for it: most tests
    ask many questions in one frozen instant, which the SLA would refuse (test_sla.py).
    With ``--tls`` among ``args`` it is polled over https with ``session`` (its certificates)."""
    if not any(a.startswith("--sla-mode") for a in args):
        args = (*args, "--sla-mode", "off")
    port = free_port()
    if not any(a.startswith("--data-dir") for a in args):  # durable state stays in the test's folder
        args = (*args, "--data-dir", str(tmp / f"data-{port}"))
    log = tmp / f"server-{port}.log"
    handle = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--scenario", str(scenario),
         "--host", "127.0.0.1", "--port", str(port), *args],
        cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
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
    a fault the partner would take for FK's)."""
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, f"the simulator logged an error:\n{log}"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server of our own on a free port (CI installs Debian's redis-server)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
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


@lru_cache(maxsize=None)
def answer_schema(version: int) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / f"lefi-online-v{version}.xsd")))


def assert_valid(element: etree._Element, version: int = 6) -> None:
    """An answer (FK.Online.Svar) or fault detail (TeknisktFel, Valideringsfel) element
    validates against our XSD of ``version``."""
    schema = answer_schema(version)
    assert schema.validate(etree.ElementTree(copy.deepcopy(element))), schema.error_log


@dataclass
class Reply:
    """What a zeep call got back: zeep's object, and the raw FK.Online.Svar element."""

    result: Any
    svar: etree._Element
    version: int

    def find(self, path: str) -> etree._Element | None:
        return self.svar.find(_qualify(path))

    def findall(self, path: str) -> list[etree._Element]:
        return self.svar.findall(_qualify(path))

    def text(self, path: str) -> str | None:
        el = self.find(path)
        return None if el is None else el.text

    @property
    def status(self) -> int:
        return int(self.text("generelltfalt/status/kod") or "-1")

    def benefit(self, key: str) -> etree._Element | None:
        return self.find(f"informationsfalt/person/formansinformation/{key}")

    def delivered(self, key: str) -> bool:
        return self.text(f"informationsfalt/person/formansforteckning/{key}") == "true"


def _qualify(path: str) -> str:
    return "/".join(p if p in (".", "..") else f"{{{NS}}}{p}" for p in path.split("/"))


@dataclass
class Lefi:
    """A zeep client for the WS binding plus the shape of a question."""

    client: zeep.Client
    history: HistoryPlugin

    def ask(self, personnummer: str, benefits: list[str] | None = None, *,
            org: str = "2120000142", fromdatum: str | None = "2025-01-01",
            tomdatum: str | None = "2026-10-31", version: str | None = "6",
            referens: str | None = None) -> Reply:
        """Ask over SOAP; every answer is validated against the answer XSD of its version."""
        generellt: dict[str, Any] = {"organisationsnummer": org}
        if version is not None:
            generellt["versionsnummer"] = version
        if referens is not None:
            generellt["referens"] = referens
        person: dict[str, Any] = {"personnummer": personnummer}
        if fromdatum is not None:
            person["fromdatum"] = fromdatum
        if tomdatum is not None:
            person["tomdatum"] = tomdatum
        if benefits is not None:
            person["formansforteckning"] = {b: True for b in benefits}
        result = self.client.service.HamtaFormansinformation(
            generelltfalt=generellt, informationsfalt={"person": person})
        envelope = self.history.last_received["envelope"]
        svar = envelope.find(f".//{{{NS}}}FK.Online.Svar")
        assert svar is not None, etree.tostring(envelope)
        number = int(version) if version and version.isdigit() else 6
        assert_valid(svar, number)
        return Reply(result, svar, number)


def make_lefi(url: str, path: str = "/ws/FK.EXA.Lefi.Fraga", port: str | None = None) -> Lefi:
    """A zeep client from the served WSDL; ``port`` picks the SOAP 1.2 port by name."""
    history = HistoryPlugin()
    client = zeep.Client(f"{url}{path}?wsdl", plugins=[history],
                         service_name="EXAHamtaFormansinformationService" if port else None,
                         port_name=port)
    return Lefi(client, history)


@pytest.fixture(scope="session")
def lefi(server: Server) -> Lefi:
    return make_lefi(server.url)


def raw_question(personnummer: str = "198506102386", benefits: tuple[str, ...] = ("sjukpenning",), *,
                 org: str = "2120000142", fromdatum: str = "2025-01-01", tomdatum: str = "2026-10-31",
                 version: int = 6) -> bytes:
    """A SOAP 1.1 question as a partner's own XML code would write it (for raw HTTP clients)."""
    wanted = "".join(f"<ext:{b}>true</ext:{b}>" for b in benefits)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ext="{NS}">
  <soap:Body><ext:FK.Online.Fraga>
    <ext:generelltfalt><ext:organisationsnummer>{org}</ext:organisationsnummer>
      <ext:versionsnummer>{version}</ext:versionsnummer></ext:generelltfalt>
    <ext:informationsfalt><ext:person><ext:personnummer>{personnummer}</ext:personnummer>
      <ext:fromdatum>{fromdatum}</ext:fromdatum><ext:tomdatum>{tomdatum}</ext:tomdatum>
      <ext:formansforteckning>{wanted}</ext:formansforteckning></ext:person></ext:informationsfalt>
  </ext:FK.Online.Fraga></soap:Body>
</soap:Envelope>""".encode()


def ask_raw(url: str, body: bytes | None = None, path: str = "/ws",
            headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(url + path, data=body if body is not None else raw_question(),
                         headers={"Content-Type": "text/xml; charset=utf-8", **(headers or {})}, timeout=30)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that needs the real redis-server — through the ``redis_url`` fixture, or
    as the ``redis`` case of a test parametrized over stores — carries the ``redis`` marker,
    so that ``-m "not redis"`` leaves them all out."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        store_case = callspec is not None and "redis" in callspec.params.values()
        if store_case or "redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)
