"""Benchmark of LEFI Prenumeration's batch: one organisation subscribing to N persons.

    .venv/bin/python loadtests/prenumeration_bench.py [--persons 10000] [--seed 1] [--runs 3] [--redis URL]

Writes a scenario (tests/scenarios/prenumeration.yaml: its organisations, persons and
timeline, plus a generated population of N persons) to a temporary folder and starts the simulator on it (127.0.0.1, a free port, the clock frozen on Monday
2026-11-02 09:00). Then, timing each step from the outside:

1. an order file naming all N persons (sjukpenning, utbetalning, personuppgifter) is
   dropped into the organisation's ``in/`` folder: time until the order is listed;
2. ``POST /_admin/prenumeration/batch``: the first deliveries, the whole history of every
   person (time of the call, size of the answer file);
3. the clock moves to Wednesday, and the batch runs again: only the changes (the N
   subscriptions are each looked at; the timeline changes a few of them).

Prints the server's resident memory and CPU time after each step, and at the end the median
of ``--runs`` fresh runs of step 2 (the target, issue 18: at least 3,000 persons/s for
10,000 persons). Only loopback traffic.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from harness import free_port, memory_mib, wait_for_health  # noqa: E402

from simulator.scenario.models import Population  # noqa: E402
from simulator.scenario.population import GeneratedPopulation  # noqa: E402

ORG = "5566778899"
NS = "http://schema.forsakringskassan.se/externa_intressenter"


def call(method: str, url: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system): the work done, whatever else the
    machine runs meanwhile."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def order_file(numbers: list[str]) -> bytes:
    forman = "".join(
        f"<ext:forman><ext:namn>{b}</ext:namn><ext:fromdatum>2025-01-01</ext:fromdatum></ext:forman>"
        for b in ("sjukpenning", "utbetalning", "generellPersonInformation")
    )
    persons = "\n".join(
        f"<ext:person><ext:personnummer>{n}</ext:personnummer>{forman}</ext:person>" for n in numbers
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ext:FK.Prenumeration.Bestallning xmlns:ext="{NS}" '
        f'version="2.0.4"><ext:organisationsnummer>{ORG}</ext:organisationsnummer>'
        f"<ext:nyPrenumeration>\n{persons}\n</ext:nyPrenumeration></ext:FK.Prenumeration.Bestallning>"
    ).encode()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--checkout", type=Path, default=ROOT, help="serve the simulator of this checkout (a before figure)"
    )
    parser.add_argument("--runs", type=int, default=3, help="fresh servers, one after the other (median)")
    parser.add_argument("--redis", metavar="URL", help="keep the durable state in Redis (flushed first)")
    args = parser.parse_args()

    numbers = list(
        GeneratedPopulation.build(
            Population(count=args.persons, seed=args.seed), ROOT, date(2026, 11, 2)
        ).numbers()
    )
    scenario = yaml.safe_load(
        (ROOT / "tests" / "scenarios" / "prenumeration.yaml").read_text(encoding="utf-8")
    )
    numbers += [p["personnummer"] for p in scenario["persons"]]  # the timeline's persons
    scenario["population"] = {"count": args.persons, "seed": args.seed, "as_of": "2026-11-02"}
    firsts = [run(args, numbers, scenario) for _ in range(args.runs)]
    seconds = statistics.median(f[0] for f in firsts)
    print(
        f"first deliveries, median of {args.runs} runs: {seconds:.2f} s "
        f"({args.persons / seconds:.0f} persons/s; each run {', '.join(f'{f[0]:.2f}' for f in firsts)} s); "
        f"server CPU {statistics.median(f[1] for f in firsts):.2f} s "
        f"({args.persons / statistics.median(f[1] for f in firsts):.0f} persons per CPU-second)"
    )
    return 0


def run(args: argparse.Namespace, numbers: list[str], scenario: dict) -> tuple[float, float]:
    """One fresh server through the three steps; (seconds, server CPU seconds) of the first
    deliveries."""
    if args.redis:
        import redis

        redis.Redis.from_url(args.redis).flushdb()
    first = (0.0, 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "simulator",
                "serve",
                "--scenario",
                str(path),
                "--port",
                str(port),
                "--freeze-clock",
                "--request-log",
                "off",
                "--data-dir",
                str(Path(tmp) / "data"),
                *(["--redis", args.redis] if args.redis else []),
            ],
            cwd=args.checkout,
            env={**os.environ, "PYTHONPATH": str(args.checkout)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_health(base, server, limit=120)
            memory = lambda: "  ".join(f"{k} {v:.0f} MiB" for k, v in memory_mib(server.pid).items())  # noqa: E731
            body = order_file(numbers)
            inbox = Path(tmp) / "data" / "prenumeration" / ORG / "in"
            while not inbox.is_dir():
                time.sleep(0.05)
            t0 = time.monotonic()
            (inbox / ".order.xml").write_bytes(body)
            (inbox / ".order.xml").rename(inbox / "order.xml")  # whole, as a partner's client should
            while not call("GET", f"{base}/prenumeration/{ORG}/bestallningar")["bestallningar"]:
                time.sleep(0.05)
            print(
                f"order file of {args.persons} persons ({len(body) / 1e6:.1f} MB) taken in after "
                f"{time.monotonic() - t0:.2f} s (incl. 0.5 s quiet period and the 0.25 s tick); {memory()}"
            )
            for label, clock in (
                ("first deliveries (all history)", None),
                ("two days later (only the changes)", "2026-11-04T09:00:00+01:00"),
            ):
                if clock:
                    call("PUT", f"{base}/_admin/clock", {"now": clock, "frozen": True})
                    # the nightly batches of Tuesday and Wednesday run by themselves first
                    while len(call("GET", f"{base}/prenumeration/{ORG}/svar")["filer"]) < 3:
                        time.sleep(0.1)
                t0, cpu0 = time.monotonic(), cpu_seconds(server.pid)
                result = call("POST", f"{base}/_admin/prenumeration/batch")
                seconds, cpu = time.monotonic() - t0, cpu_seconds(server.pid) - cpu0
                files = call("GET", f"{base}/prenumeration/{ORG}/svar")["filer"]
                size = sum(f["storlek"] for f in files if f["namn"] in result["files"])
                if clock is None:
                    first = (seconds, cpu)
                print(
                    f"{label}: batch {seconds:.2f} s ({args.persons / seconds:.0f} persons/s; server CPU "
                    f"{cpu:.2f} s), "
                    f"answer file {size / 1e6:.1f} MB; {memory()}"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return first


if __name__ == "__main__":
    raise SystemExit(main())
