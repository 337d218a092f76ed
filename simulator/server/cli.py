"""The ``lefi-sim`` command: serve a scenario, check or generate a scenario file, make test
certificates, complete a test number's check digit, and control a running sandbox (admin)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import ssl
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.control import cli as admin_cli
from simulator.domain.clock import Clock
from simulator.domain.orgnummer import make_orgnummer
from simulator.domain.personnummer import (
    InvalidPersonnummer,
    Personnummer,
    luhn_check_digit,
)
from simulator.domain.resources import data_dir
from simulator.observability.journal import DEFAULT_SIZE as DEFAULT_JOURNAL_SIZE
from simulator.scenario.loader import ScenarioError, load_scenario

if TYPE_CHECKING:
    import multiprocessing.process

    from aiohttp import web

    from simulator.observability.requestlog import RequestLog
    from simulator.scenario.models import Scenario

__all__ = ["DEFAULT_SCENARIO", "complete_check_digit", "main"]

DEFAULT_SCENARIO = data_dir("scenarios") / "default.yaml"
DEFAULT_CERTS = Path("certs")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return _dispatch(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lefi-sim",
        description="LEFI sandbox: a test simulator of Försäkringskassan's LEFI Online services",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_serve(commands)
    _add_scenario(commands)
    _add_certs(commands)
    _add_nummer(commands)
    admin_cli.add_parser(commands)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "serve":
        return _serve(args)
    if args.command == "admin":
        return admin_cli.run(args)
    if args.command == "certs":
        return _certs(args)
    if args.command == "nummer":
        return _nummer(args)
    if args.scenario_command == "schema":
        print(scenario_json_schema())
        return 0
    if args.scenario_command == "generate":
        return _generate(args)
    return _check(args.file)


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run the simulator")
    _add_serve_scenario_options(serve)
    _add_serve_store_options(serve)
    _add_serve_tls_options(serve)
    serve.add_argument(
        "--admin-token",
        default=os.environ.get("LEFI_ADMIN_TOKEN"),
        metavar="TOKEN",
        help="token the admin API requires (default $LEFI_ADMIN_TOKEN); bound to a non-loopback "
        "host without one, a token is generated and printed",
    )


def _add_serve_scenario_options(serve: argparse.ArgumentParser) -> None:
    """The scenario, the address, the clock, the journal and the SLA."""
    serve.add_argument(
        "--scenario",
        type=Path,
        default=DEFAULT_SCENARIO,
        help="scenario file (default: scenarios/default.yaml)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--clock",
        metavar="ISO|now",
        help="start the simulator clock at this time (e.g. 2026-11-02T09:00), or "
        "'now' for real time; default: the scenario's clock.start",
    )
    serve.add_argument("--freeze-clock", action="store_true", help="let the clock stand still")
    serve.add_argument(
        "--check-answers",
        action="store_true",
        help="developer/QA: validate every XML answer against the published XSDs; failures in the log, "
        "/metrics and /health",
    )
    serve.add_argument("--watch", action="store_true", help="reload the scenario file when it changes")
    serve.add_argument(
        "--journal-size",
        type=int,
        default=DEFAULT_JOURNAL_SIZE,
        metavar="N",
        help=f"request journal entries kept (default {DEFAULT_JOURNAL_SIZE}; 0 = off, for load runs)",
    )
    serve.add_argument(
        "--request-log",
        default="-",
        metavar="-|FILE|off",
        help="JSON line per request to stdout (-), a file, or off (default -)",
    )
    serve.add_argument(
        "--fault-seed",
        type=int,
        metavar="N",
        help="seed for probabilistic fault rules and latency draws (repeatable runs)",
    )
    serve.add_argument(
        "--sla-mode",
        choices=["reject", "record", "off"],
        help="SLA enforcement (default: the scenario's sla.mode, else reject)",
    )
    serve.add_argument(
        "--sla-profile",
        choices=["sla", "classic"],
        help="opening hours (default: the scenario's sla.profile, else sla)",
    )


def _add_serve_store_options(serve: argparse.ArgumentParser) -> None:
    """Where state is kept, and how many processes serve."""
    serve.add_argument(
        "--redis",
        metavar="URL",
        help="keep SLA counts in Redis (redis://host:6379/0), shared by every worker and host using it",
    )
    serve.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data"),
        metavar="DIR",
        help="where subscriptions, orders, deliveries and jobs are kept (SQLite; "
        "with --redis they are kept in Redis); default ./data",
    )
    serve.add_argument(
        "--prenumeration-dir",
        type=Path,
        metavar="DIR",
        help="LEFI Prenumeration's file drop: <DIR>/<orgnummer>/in and out "
        "(default <data-dir>/prenumeration)",
    )
    serve.add_argument("--workers", type=int, default=1, metavar="N", help="server processes on the port")


def _add_serve_tls_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with mutual TLS: the server certificate "
        "and the client CA from --certs (lefi-sim certs init); partners present a client certificate",
    )
    serve.add_argument(
        "--certs",
        type=Path,
        default=DEFAULT_CERTS,
        metavar="DIR",
        help=f"the folder of lefi-sim certs init (default {DEFAULT_CERTS})",
    )
    serve.add_argument(
        "--tls-cert", type=Path, metavar="FILE", help="server certificate (default DIR/server.pem)"
    )
    serve.add_argument("--tls-key", type=Path, metavar="FILE", help="its key (default DIR/server-key.pem)")
    serve.add_argument(
        "--client-ca",
        type=Path,
        metavar="FILE",
        help="CA whose client certificates are accepted (default DIR/ca.pem)",
    )
    serve.add_argument(
        "--no-client-cert", action="store_true", help="with --tls: HTTPS without client certificates"
    )


def _add_scenario(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scenario = commands.add_parser("scenario", help="work with scenario files")
    scenario_commands = scenario.add_subparsers(dest="scenario_command", required=True)
    check = scenario_commands.add_parser("check", help="validate a scenario file")
    check.add_argument("file", type=Path)
    scenario_commands.add_parser("schema", help="print the JSON Schema of scenario files")
    generate = scenario_commands.add_parser("generate", help="write a scenario file of generated persons")
    generate.add_argument("--persons", type=int, required=True, metavar="N")
    generate.add_argument(
        "--seed", type=int, default=0, metavar="S", help="same seed, same people (default 0)"
    )
    generate.add_argument(
        "--as-of",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the day the people's histories lead up to (default 2026-11-02)",
    )
    generate.add_argument(
        "--samordningsnummer-share",
        type=float,
        default=0.02,
        metavar="F",
        help="share of samordningsnummer among the numbers (default 0.02)",
    )
    generate.add_argument(
        "--organisations-from",
        type=Path,
        metavar="FILE",
        help="take the organisations of this scenario (default: scenarios/default.yaml)",
    )
    generate.add_argument("--out", type=Path, metavar="FILE", help="write here (default: standard output)")


def _add_certs(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    certs = commands.add_parser("certs", help="test certificates for TLS and mutual TLS")
    certs_commands = certs.add_subparsers(dest="certs_command", required=True)
    init = certs_commands.add_parser("init", help="create a test CA and a server certificate")
    init.add_argument("--dir", type=Path, default=DEFAULT_CERTS, help=f"write here (default {DEFAULT_CERTS})")
    init.add_argument(
        "--host",
        action="append",
        metavar="NAME",
        help="a host name or IP address the server is reached at (repeatable; "
        "default localhost and 127.0.0.1)",
    )
    issue = certs_commands.add_parser("issue", help="issue a partner's client certificate")
    issue.add_argument("--orgnummer", required=True, metavar="N", help="the organisation's orgnummer")
    issue.add_argument("--name", required=True, metavar="X", help="the organisation's name")
    issue.add_argument(
        "--dir", type=Path, default=DEFAULT_CERTS, help=f"the CA's folder (default {DEFAULT_CERTS})"
    )


def _add_nummer(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    nummer = commands.add_parser(
        "nummer",
        help="complete a test personnummer or orgnummer with its check digit",
        description="Print the number with its check digit (the Luhn digit), e.g. "
        "'lefi-sim nummer personnummer 19850610238' prints 198506102386.",
    )
    nummer.add_argument("kind", choices=["personnummer", "orgnummer"])
    nummer.add_argument(
        "digits",
        help="personnummer: YYYYMMDDNNN or YYMMDD-NNN (samordningsnummer: day + 60); "
        "orgnummer: its first nine digits",
    )


def complete_check_digit(kind: str, digits: str) -> str:
    """``digits`` with the check digit added: a personnummer's 11 (YYYYMMDDNNN) or 9 (YYMMDD-NNN,
    YYMMDD+NNN) digits, an orgnummer's 9. Raises ValueError for what cannot become a valid number."""
    text = digits.strip()
    if kind == "orgnummer":
        return make_orgnummer(text.replace("-", "")).value
    separator = "+" if "+" in text else "-"
    body = text.replace("-", "").replace("+", "")
    if len(body) not in (9, 11) or not body.isdigit():
        raise InvalidPersonnummer(
            f"{digits!r}: expected YYYYMMDDNNN or YYMMDD-NNN (the number without its last digit)"
        )
    check = luhn_check_digit(body[-9:])
    number = f"{body}{check}" if len(body) == 11 else f"{body[:6]}{separator}{body[6:]}{check}"
    Personnummer.parse(number, date.today())  # a date that does not exist, or lies ahead, is refused
    return number


def _nummer(args: argparse.Namespace) -> int:
    try:
        print(complete_check_digit(args.kind, args.digits))
    except ValueError as exc:  # InvalidPersonnummer and InvalidOrgnummer are ValueErrors
        print(f"lefi-sim nummer: {exc}", file=sys.stderr)
        return 2
    return 0


def scenario_json_schema() -> str:
    """The JSON Schema of a scenario file (for editors; schemas/scenario.schema.json)."""
    import json

    from simulator.scenario.models import Scenario

    schema = Scenario.model_json_schema(by_alias=True)
    schema["$id"] = "https://lefi-sandbox.invalid/schemas/scenario.schema.json"
    schema["title"] = "LEFI sandbox scenario"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True)


def _generate(args: argparse.Namespace) -> int:
    from simulator.scenario.population import (
        DEFAULT_ANCHOR,
        PopulationError,
        write_scenario_yaml,
    )

    if args.persons < 1 or not 0 <= args.samordningsnummer_share <= 1:
        print("--persons: 1 or more; --samordningsnummer-share: between 0 and 1", file=sys.stderr)
        return 2
    try:
        write_scenario_yaml(
            args.out or sys.stdout,
            args.persons,
            args.seed,
            args.as_of or DEFAULT_ANCHOR,
            progress=sys.stderr.isatty(),
            organisations_from=args.organisations_from,
            samordningsnummer_share=args.samordningsnummer_share,
        )
    except (PopulationError, ScenarioError, OSError) as exc:
        print(f"lefi-sim scenario generate: {exc}", file=sys.stderr)
        return 1
    if args.out:
        print(f"{args.out}: {args.persons} generated persons (seed {args.seed})", file=sys.stderr)
    return 0


def _check(path: Path) -> int:
    from simulator.scenario.store import make_store

    try:
        scenario = load_scenario(path)
        store = make_store(scenario, path)  # a population is built too: its CSV may be wrong
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    generated = store.person_count() - len(scenario.persons)
    cases = sum(len(p.cases) for p in scenario.persons)
    payments = sum(len(p.payments) for p in scenario.persons)
    print(
        f"{path}: OK: scenario {scenario.name!r}, {len(scenario.organisations)} organisations, "
        f"{len(scenario.persons)} persons, {cases} cases, {payments} payments"
        + (f", {generated} generated persons" if scenario.population else "")
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.clock and args.clock != "now":
        try:
            datetime.fromisoformat(args.clock)
        except ValueError:
            print(f"--clock: {args.clock!r} is not an ISO date-time or 'now'", file=sys.stderr)
            return 2
    if args.journal_size < 0 or args.workers < 1:
        print("--journal-size: 0 or more; --workers: 1 or more", file=sys.stderr)
        return 2
    if args.tls:
        try:
            _tls_context(args)  # fail early and clearly on a missing or broken file
        except (OSError, ValueError) as exc:
            print(f"lefi-sim: --tls: {exc}; create the files with lefi-sim certs init", file=sys.stderr)
            return 2
    from simulator.control.admin import admin_token_for

    args.admin_token = admin_token_for(args.host, args.admin_token)
    if args.workers == 1:
        return _serve_one(args)
    return _serve_workers(args)


def _tls_context(args: argparse.Namespace) -> ssl.SSLContext:
    from simulator.server.tls import CA_CERT, SERVER_CERT, SERVER_KEY, server_context

    client_ca = None if args.no_client_cert else (args.client_ca or args.certs / CA_CERT)
    return server_context(
        args.tls_cert or args.certs / SERVER_CERT, args.tls_key or args.certs / SERVER_KEY, client_ca
    )


def _certs(args: argparse.Namespace) -> int:
    from simulator.server.tls import init_ca, issue_client

    try:
        if args.certs_command == "init":
            ca, server = init_ca(args.dir, args.host or ["localhost", "127.0.0.1"])
            print(
                f"{ca.cert}: test CA (its key {ca.key}); {server.cert}: server certificate (its key {server.key})"
            )
            return 0
        client = issue_client(args.dir, args.orgnummer, args.name)
    except FileNotFoundError as exc:
        print(f"lefi-sim certs: {exc.filename}: not found; run lefi-sim certs init first", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"lefi-sim certs: {exc}", file=sys.stderr)
        return 1
    print(f"{client.cert}: client certificate of {args.name} ({args.orgnummer}); its key {client.key}")
    return 0


def _serve_one(args: argparse.Namespace, worker: str | None = None) -> int:
    """One server process; with ``worker`` set, one of several sharing the port."""
    from simulator.server import serving

    try:
        scenario = load_scenario(args.scenario)
        clock = _clock_for(args, scenario)
        app = _create_app(args, scenario, clock, worker)
    except ScenarioError as exc:
        _print_problems(exc)
        return 1
    if args.watch:
        from simulator.control.watch import watch_scenario

        app.cleanup_ctx.append(watch_scenario)
    if worker is None:
        _print_started(args, app, scenario, clock)
    try:
        serving.run(
            app,
            args.host,
            args.port,
            ssl_context=_tls_context(args) if args.tls else None,
            reuse_port=worker is not None,
            loop_factory=_event_loop,
        )
    except OSError as exc:
        print(f"lefi-sim: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def _print_problems(exc: ScenarioError) -> None:
    for problem in exc.problems:
        print(problem, file=sys.stderr)


def _clock_for(args: argparse.Namespace, scenario: Scenario) -> Clock:
    """The simulator clock: --clock and --freeze-clock, else the scenario's clock."""
    if args.clock:
        start = None if args.clock == "now" else datetime.fromisoformat(args.clock)
        frozen = args.freeze_clock
    else:
        start, frozen = scenario.clock.start, scenario.clock.frozen or args.freeze_clock
    epoch = getattr(args, "clock_epoch", None)
    if start is not None and epoch is not None and not frozen:
        # a worker: the clock runs from the moment the parent fixed, the same for every worker
        start += timedelta(seconds=time.time() - epoch)
    return Clock.starting_at(start, frozen=frozen)


def _request_log(args: argparse.Namespace) -> RequestLog | None:
    from simulator.observability.requestlog import RequestLog

    if args.request_log == "-":
        return RequestLog(sys.stdout)
    if args.request_log != "off":
        return RequestLog(open(args.request_log, "a", encoding="utf-8", buffering=1))
    return None


def _create_app(
    args: argparse.Namespace, scenario: Scenario, clock: Clock, worker: str | None
) -> web.Application:
    from simulator.server.app import create_app

    return create_app(
        scenario,
        clock,
        source=args.scenario,
        journal_size=args.journal_size,
        request_log=_request_log(args),
        fault_seed=args.fault_seed,
        progress=sys.stderr.isatty() and worker is None,
        always_frozen=args.freeze_clock,
        sla_mode=args.sla_mode,
        sla_profile=args.sla_profile,
        redis_url=args.redis,
        data_dir=args.data_dir,
        worker=worker,
        admin_token=args.admin_token,
        prenumeration_dir=args.prenumeration_dir,
        check_answers=args.check_answers,
    )


def _print_started(args: argparse.Namespace, app: web.Application, scenario: Scenario, clock: Clock) -> None:
    from simulator.runtime.sandbox import SANDBOX

    sandbox = app[SANDBOX]
    print(
        f"LEFI sandbox: scenario {scenario.name!r} ({sandbox.store.person_count()} persons) on "
        f"{_origin(args)} (clock {clock.now().isoformat(timespec='seconds')}"
        f"{', frozen' if clock.frozen else ''}; SLA {sandbox.gate.mode}, profile "
        f"{sandbox.gate.settings.profile}{', counts in Redis' if args.redis else ''}); "
        f"admin API at /_admin/, metrics at /metrics",
        flush=True,
    )
    _print_addresses(args)


def _origin(args: argparse.Namespace) -> str:
    return f"{'https' if args.tls else 'http'}://{args.host}:{args.port}"


def _print_addresses(args: argparse.Namespace) -> None:
    """Where a person starts: the e-tjänst, the dashboard, the admin API's description, the docs."""
    # bound to every interface (the container): this machine reaches it at 127.0.0.1
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    base = f"{'https' if args.tls else 'http'}://{host}:{args.port}"
    docs = data_dir("docs")
    print(
        f"  e-tjänst:       {base}/lefi/\n"
        f"  dashboard:      {base}/_admin/ui\n"
        f"  admin API docs: {base}/_admin/openapi.json\n"
        f"  docs:           {docs if docs.is_dir() else 'docs/ in the project source (README.md links every page)'}",
        flush=True,
    )


def _event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (less overhead per request), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _serve_workers(args: argparse.Namespace) -> int:
    """Several processes on one port (SO_REUSEPORT: the kernel spreads connections).

    Each worker has its own journal, fault rules and clock (admin calls reach the worker
    that takes the connection); the SLA counts are shared only with --redis.
    """
    import multiprocessing

    try:
        scenario = load_scenario(args.scenario)  # once here, not a problem list per worker
    except ScenarioError as exc:
        _print_problems(exc)
        return 1
    if not args.clock and scenario.clock.start is not None:
        args.clock = scenario.clock.start.isoformat()
        args.freeze_clock = args.freeze_clock or scenario.clock.frozen
    args.clock_epoch = time.time()  # every worker's clock runs from this one moment
    if not _port_is_free(args):
        return 1
    if not args.redis:
        print("lefi-sim: warning: without --redis each worker keeps its own SLA counts", file=sys.stderr)
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_worker_main, args=(args, i + 1), name=f"lefi-worker-{i + 1}")
        for i in range(args.workers)
    ]
    for w in workers:
        w.start()
    print(
        f"LEFI sandbox: {args.workers} workers on {_origin(args)} "
        f"({'SLA counts in Redis ' + args.redis if args.redis else 'SLA counts per worker'}); "
        f"admin API at /_admin/ (per worker), metrics at /metrics (per worker)",
        flush=True,
    )
    _print_addresses(args)
    return _supervise(workers)


def _port_is_free(args: argparse.Namespace) -> bool:
    """Fail early and clearly when the port is taken (said on stderr)."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(
            socket.SOL_SOCKET, socket.SO_REUSEADDR, 1
        )  # as aiohttp binds: TIME_WAIT is no obstacle
        try:
            probe.bind((args.host, args.port))
        except OSError as exc:
            print(
                f"lefi-sim: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr
            )
            return False
    return True


def _supervise(workers: Sequence[multiprocessing.process.BaseProcess]) -> int:
    """Wait while every worker runs; when one ends (or a signal comes), stop them all."""
    import signal

    def stop(signum: int, _frame: object) -> None:
        for w in workers:
            if w.is_alive():
                w.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while all(w.is_alive() for w in workers):
        workers[0].join(timeout=0.5)
    stop(signal.SIGTERM, None)  # one worker ended: take the rest down with it
    for w in workers:
        w.join(timeout=10)
        if w.is_alive():  # still finishing a held answer (no_answer, latency): no longer
            w.kill()
            w.join(timeout=5)
    return 0 if all(w.exitcode in (0, -signal.SIGTERM) for w in workers) else 1


def _worker_main(args: argparse.Namespace, number: int) -> None:
    import os

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(_serve_one(args, worker=f"{number}:{os.getpid()}"))
