"""pytest plugin shipped with the package: the sandbox in-process for partners' suites.

Installed with the package (entry point ``pytest11``), it gives two fixtures:

    def test_my_integration(lefi_sandbox):
        my_system.fk_url = lefi_sandbox.url + "/ws"
        lefi_sandbox.admin.advance(days=1)
        ...
        assert lefi_sandbox.admin.count(binding="ws", outcome="ok") == 1

    @pytest.mark.lefi_scenario("tests/my-scenario.yaml", freeze_clock=True)
    def test_with_my_people(lefi_sandbox): ...

    def test_two(lefi_sandbox_factory):
        a = lefi_sandbox_factory("a.yaml"); b = lefi_sandbox_factory("b.yaml")

Each sandbox runs on a free port of 127.0.0.1 in a thread of the test process and is
stopped after the test. It is served as ``lefi-sim serve`` serves (``serving.start_serving``:
the 64 KiB request line, a half-closed client still answered, unreadable requests answered
in the binding's format). The scenario defaults to the packaged default scenario, or the
``lefi_scenario`` ini option.

``check_answers`` (off by default; ``lefi_check_answers = true`` in pytest.ini, or the
marker's or the factory's ``check_answers=True``) validates every XML answer the sandbox
sends against the published XSDs, as ``serve --check-answers`` does; a test whose sandbox
sent one that does not validate fails at teardown, with the problems.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from simulator.control.client import AdminClient
from simulator.domain.clock import Clock
from simulator.domain.resources import data_dir
from simulator.protocols.answer_check import ANSWER_CHECK, AnswerCheck
from simulator.runtime.sandbox import SANDBOX, Sandbox
from simulator.scenario.loader import load_scenario, parse_scenario
from simulator.scenario.models import Scenario

__all__ = ["RunningSandbox", "start_sandbox", "lefi_sandbox", "lefi_sandbox_factory"]


@dataclass
class RunningSandbox:
    url: str  # http://127.0.0.1:<port>; bindings at /ws, ..., admin at /_admin/
    admin: AdminClient
    sandbox: Sandbox  # the live objects, for assertions a test cannot make over HTTP
    answer_check: AnswerCheck | None  # with check_answers: the answers that did not validate
    _loop: asyncio.AbstractEventLoop
    _runner: web.AppRunner
    _thread: threading.Thread

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)


def start_sandbox(
    scenario: str | Path | Scenario | None = None,
    *,
    freeze_clock: bool = False,
    journal_size: int = 5000,
    sla_mode: str = "record",
    check_answers: bool = False,
) -> RunningSandbox:
    """Starts a sandbox in a background thread. ``scenario``: a path, YAML text, a
    ``Scenario``, or None for the packaged default scenario. ``sla_mode`` defaults to
    record: a suite's quick questions are served, and its SLA breaches are in the journal
    (``admin.count(sla_breach="any")``) for a test to assert on; "reject" to be refused.
    ``check_answers``: validate every XML answer against the published XSDs
    (``answer_check`` counts and keeps the failures)."""
    from simulator.server.app import create_app
    from simulator.server.serving import start_serving

    source: Path | None = None
    if scenario is None:
        scenario = Path(data_dir("scenarios") / "default.yaml")
    if isinstance(scenario, Path) or (isinstance(scenario, str) and "\n" not in scenario):
        source = Path(scenario)
        scenario = load_scenario(source)
    elif isinstance(scenario, str):
        scenario = parse_scenario(scenario, "<lefi_sandbox scenario>")
    clock = Clock.starting_at(scenario.clock.start, scenario.clock.frozen or freeze_clock)
    app = create_app(
        scenario,
        clock,
        source=source,
        journal_size=journal_size,
        sla_mode=sla_mode,
        data_dir=Path(tempfile.mkdtemp(prefix="lefi-sandbox-")),
        check_answers=check_answers,
    )
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    started: list[web.AppRunner] = []
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            started.append(loop.run_until_complete(start_serving(app)))  # as `lefi-sim serve` serves
        except BaseException as exc:  # reported to the starting thread below
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=run, name="lefi-sandbox", daemon=True)
    thread.start()
    if not ready.wait(timeout=60):
        raise RuntimeError("the LEFI sandbox did not start within 60 s")
    if failure:
        raise RuntimeError("the LEFI sandbox did not start") from failure[0]
    runner = started[0]
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}"
    return RunningSandbox(url, AdminClient(url), app[SANDBOX], app.get(ANSWER_CHECK), loop, runner, thread)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "lefi_scenario(scenario, freeze_clock=False, sla_mode='record', check_answers=False): "
        "the scenario (path or YAML text) the lefi_sandbox fixture serves",
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("lefi_scenario", "default scenario file for the lefi_sandbox fixture", default="")
    parser.addini(
        "lefi_check_answers",
        "validate every XML answer of the lefi_sandbox fixtures against the published XSDs",
        type="bool",
        default=False,
    )


@pytest.fixture
def lefi_sandbox_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., RunningSandbox]]:
    started: list[RunningSandbox] = []
    check_answers = bool(request.config.getini("lefi_check_answers"))

    def make(scenario: str | Path | Scenario | None = None, **options: object) -> RunningSandbox:
        options.setdefault("check_answers", check_answers)
        running = start_sandbox(scenario, **options)  # type: ignore[arg-type]
        started.append(running)
        return running

    yield make
    problems: list[str] = []
    for running in started:
        running.stop()
        if running.answer_check is not None:
            problems += running.answer_check.problems
    if problems:
        pytest.fail(
            "the sandbox sent answers that do not validate against the published XSDs:\n"
            + "\n".join(problems),
            pytrace=False,
        )


@pytest.fixture
def lefi_sandbox(
    request: pytest.FixtureRequest, lefi_sandbox_factory: Callable[..., RunningSandbox]
) -> RunningSandbox:
    marker = request.node.get_closest_marker("lefi_scenario")
    if marker is not None:
        scenario = marker.args[0] if marker.args else marker.kwargs.get("scenario")
        if isinstance(scenario, str) and "\n" not in scenario and not Path(scenario).is_absolute():
            scenario = Path(request.config.rootpath, scenario)  # as the ini option: from the rootdir
        options = {
            k: v for k, v in marker.kwargs.items() if k in ("freeze_clock", "sla_mode", "check_answers")
        }
        return lefi_sandbox_factory(scenario, **options)
    configured = request.config.getini("lefi_scenario")
    return lefi_sandbox_factory(Path(request.config.rootpath, configured) if configured else None)
