"""``lefi-sim admin ...``: the admin API from the command line (SPEC §6), for shell
scripts and CI steps. Prints the API's JSON; exits 1 with the reasons when refused."""

from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import sys
import urllib.error
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simulator.control.client import AdminClient, AdminError

__all__ = ["add_parser", "run"]

_FILTERS = (
    "organisation",
    "binding",
    "personnummer",
    "outcome",
    "path",
    "fault_rule",
    "sla_breach",
    "since",
    "until",
)


def add_parser(commands: Any) -> None:
    admin = commands.add_parser("admin", help="control a running simulator (admin API)")
    admin.add_argument(
        "--url",
        default=os.environ.get("LEFI_URL", "http://127.0.0.1:8080"),
        help="the simulator's base URL (default $LEFI_URL or http://127.0.0.1:8080)",
    )
    admin.add_argument(
        "--token",
        default=os.environ.get("LEFI_ADMIN_TOKEN"),
        help="the admin token of a server bound beyond loopback (default $LEFI_ADMIN_TOKEN)",
    )
    admin.add_argument(
        "--cacert", type=Path, metavar="FILE", help="https: the CA of the server's certificate"
    )
    admin.add_argument(
        "--cert", type=Path, metavar="FILE", help="https with mutual TLS: a client certificate"
    )
    admin.add_argument("--key", type=Path, metavar="FILE", help="its key")
    areas = admin.add_subparsers(dest="area", required=True)
    areas.add_parser("health", help="is it up; scenario, clock, journal")

    clock = areas.add_parser("clock", help="show, set, advance, freeze or unfreeze the clock")
    clock_do = clock.add_subparsers(dest="action")
    set_ = clock_do.add_parser("set", help="jump to a time (naive times are Swedish local time)")
    set_.add_argument("when", help="ISO date-time, e.g. 2026-12-24T08:00")
    set_.add_argument("--freeze", action="store_true")
    advance = clock_do.add_parser("advance", help="move by a duration (negative: back)")
    for unit in ("weeks", "days", "hours", "minutes", "seconds"):
        advance.add_argument(f"--{unit}", type=float)
    clock_do.add_parser("freeze")
    clock_do.add_parser("unfreeze")

    scenario = areas.add_parser("scenario", help="show, load, reset or reload the scenario")
    scenario_do = scenario.add_subparsers(dest="action")
    load = scenario_do.add_parser("load", help="replace the scenario with a YAML file")
    load.add_argument("file", type=Path)
    load.add_argument("--keep-clock", action="store_true")
    scenario_do.add_parser("reset", help="back to the start: clock, fault rules, empty journal")
    scenario_do.add_parser("reload", help="read the scenario file again from disk")

    faults = areas.add_parser("faults", help="list, add, remove or clear fault rules")
    faults_do = faults.add_subparsers(dest="action")
    add = faults_do.add_parser("add", help="add rules: JSON/YAML text, or a file holding a rule or a list")
    add.add_argument("rule", help="e.g. '{id: down, kind: http_status, status: 503}' or rules.yaml")
    remove = faults_do.add_parser("remove")
    remove.add_argument("id")
    faults_do.add_parser("clear")

    journal = areas.add_parser("journal", help="list, count (verify) or clear the request journal")
    journal_do = journal.add_subparsers(dest="action")
    for name in ("list", "count"):
        sub = journal_do.add_parser(name)
        for f in _FILTERS:
            sub.add_argument(f"--{f.replace('_', '-')}", dest=f)
        if name == "list":
            sub.add_argument("--limit", type=int, default=20)
            sub.add_argument("--bodies", action="store_true", help="include request and answer bodies")
        else:
            sub.add_argument("--expect", type=int, metavar="N", help="exit 1 unless exactly N match")
    journal_do.add_parser("clear")

    prenumeration = areas.add_parser("prenumeration", help="LEFI Prenumeration: run the batch now")
    prenumeration_do = prenumeration.add_subparsers(dest="action", required=True)
    prenumeration_do.add_parser("batch", help="every order kept so far, answer files published at once")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BrokenPipeError:
        # stdout's reader left early (``| head``): stop quietly, as a Unix tool killed by
        # SIGPIPE does; stdout goes to /dev/null so that Python's flush at exit cannot fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


@dataclass(frozen=True)
class _Count:
    """``journal count``'s answer: printed, then checked against ``--expect``."""

    count: int
    expect: int | None


def _run(args: argparse.Namespace) -> int:
    context = None
    if args.cacert or args.cert:
        context = ssl.create_default_context(cafile=args.cacert)
        if args.cert:
            context.load_cert_chain(args.cert, args.key)
    client = AdminClient(args.url, token=args.token, context=context)
    try:
        result = _dispatch(client, args)
    except AdminError as exc:
        print(f"lefi-sim admin: refused: {exc}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"lefi-sim admin: cannot reach {args.url}: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return 1
    except (ValueError, yaml.YAMLError) as exc:
        print(f"lefi-sim admin: {exc}", file=sys.stderr)
        return 2
    # printed only here, outside the handlers above: a reader leaving early is not "cannot reach"
    if isinstance(result, _Count):
        print(result.count, flush=True)
        if result.expect is not None and result.count != result.expect:
            print(
                f"lefi-sim admin: expected {result.expect} matching requests, found {result.count}",
                file=sys.stderr,
            )
            return 1
        return 0
    if result is not None:
        print(json.dumps(result, indent=2, ensure_ascii=False), flush=True)
    return 0


def _dispatch(client: AdminClient, args: argparse.Namespace) -> Any:
    area, action = args.area, getattr(args, "action", None)
    if area == "health":
        return client.health()
    if area == "clock":
        if action == "set":
            return client.set_clock(args.when, frozen=True if args.freeze else None)
        if action == "advance":
            units = {
                u: getattr(args, u)
                for u in ("weeks", "days", "hours", "minutes", "seconds")
                if getattr(args, u) is not None
            }
            if not units:
                raise ValueError("advance by something, e.g. --days 1")
            return client.advance(**units)
        if action == "freeze":
            return client.freeze()
        if action == "unfreeze":
            return client.unfreeze()
        return client.clock()
    if area == "scenario":
        if action == "load":
            return client.load_scenario(args.file, keep_clock=args.keep_clock)
        if action == "reset":
            return client.reset()
        if action == "reload":
            return client.reload()
        return client.scenario()
    if area == "faults":
        if action == "add":
            text = args.rule
            if not text.lstrip().startswith(("{", "[")):  # else a file holding a rule or a list
                try:
                    text = Path(text).read_text(encoding="utf-8")
                except OSError as exc:
                    raise ValueError(
                        f"{args.rule[:100]!r} is neither a rule ({{id: ..., kind: ...}}) "
                        f"nor a readable file: {exc.strerror or exc}"
                    ) from None
            data = yaml.safe_load(text)
            rules = data if isinstance(data, list) else [data]
            if not all(isinstance(rule, dict) for rule in rules):
                raise ValueError("a rule is a mapping, e.g. {id: down, kind: http_status, status: 503}")
            # all or nothing: the new rules join the active ones in one call the API checks whole
            added = {rule.get("id") for rule in rules}
            current = [
                {k: v for k, v in r.items() if k != "used"} for r in client.faults() if r["id"] not in added
            ]
            return client.replace_faults(current + rules)[len(current) :]
        if action == "remove":
            client.remove_fault(args.id)
            return None
        if action == "clear":
            client.clear_faults()
            return None
        return client.faults()
    if area == "prenumeration":
        return client.prenumeration_batch()
    # journal
    if action == "clear":
        client.clear_journal()
        return None
    filters = {f: getattr(args, f) for f in _FILTERS if getattr(args, f, None) is not None}
    if action == "count":
        return _Count(client.count(**filters), args.expect)
    return client.journal(limit=args.limit, bodies=args.bodies, **filters)
