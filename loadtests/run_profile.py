"""Runs one Locust load profile against a fresh sandbox and prints its capacity report.

    .venv/bin/python loadtests/run_profile.py online            # 4 partners at the SLA rate, WS/SSEK/SHS/REST
    .venv/bin/python loadtests/run_profile.py partners          # 200 partners at once, each at its SLA rate
    .venv/bin/python loadtests/run_profile.py over-sla          # 4 partners at 5x the SLA: must be refused
    .venv/bin/python loadtests/run_profile.py massfraga         # 4 partners' massfråga jobs at its SLA, REST/SSEK
    .venv/bin/python loadtests/run_profile.py massfraga-over-sla  # the same at 5x the SLA: must be refused
    options: --run-time 30s --partners N --bindings ws,rest --locust-workers 2 --out DIR --check-answers

Writes a scenario with the partners (loadtests/partners.py), starts the simulator on it
(SLA mode reject, running clock from a Monday 09:00, when massfråga is open too, request
log off, the durable store in ``--out``), runs Locust headless and bounded —
one process, or a master and ``--locust-workers`` workers — and keeps Locust's HTML report,
the capacity report (JSON) and the simulator's log in ``--out``. Exit status: Locust's,
1 when the capacity report fails. ``--check-answers`` (the tests' setting) runs the server
with its answer check: failures are logged as ``ANSWER CHECK FAILED`` in simulator.log, and
the check's counts (``GET /health``'s ``answer_check``) are kept in answer-check.json. Off
by default: a capacity measurement should not pay for the check.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import lefi_requests  # noqa: E402
from harness import free_port  # noqa: E402
from partners import population_numbers, write_scenario  # noqa: E402

__all__ = ["PROFILES", "Profile", "run_profile"]


@dataclass(frozen=True)
class Profile:
    user_class: str
    partners: int
    bindings: str
    expect_pass: bool


PROFILES = {
    "online": Profile("OnlineAtSla", 4, "ws,ssek,shs,rest", True),
    "partners": Profile("OnlineAtSla", 200, "ws,ssek,shs,rest", True),
    "over-sla": Profile("OverSla", 4, "ws,ssek,shs,rest", False),
    "massfraga": Profile("MassfragaAtSla", 4, "rest,ssek", True),
    "massfraga-over-sla": Profile("MassfragaOverSla", 4, "rest,ssek", False),
}


def wait_healthy(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url + "/health", timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def warm_up(url: str, organisations: list[str]) -> None:
    """One question per binding, each from an organisation of its own that the profile does
    not use: the first question loads schemas and code, and a slow first answer would
    otherwise shift when the gate sees a partner's next question. They ask about a person of
    the generated population, which the first such question builds (about a second)."""
    person = population_numbers(1)[0]
    for org, build in zip(
        organisations, lefi_requests.BUILDERS.values(), strict=False
    ):  # one each, as far as both go
        request = build(org, person)
        urllib.request.urlopen(
            urllib.request.Request(url + request.path, data=request.body, headers=request.headers), timeout=30
        ).close()


def run_profile(
    name: str,
    out: Path,
    run_time: str = "30s",
    partners: int | None = None,
    bindings: str | None = None,
    locust_workers: int = 0,
    locust_log: Path | None = None,
    check_answers: bool = False,
) -> int:
    """Locust's exit status for profile ``name``; the reports land in ``out``.
    ``locust_log``: Locust's output (the master's), stdout and stderr, goes there, not to the terminal.
    ``check_answers``: the server validates every XML answer (see the module's text)."""
    profile = PROFILES[name]
    count = partners or profile.partners
    out.mkdir(parents=True, exist_ok=True)
    scenario = out / f"partners-{count}.yaml"
    warm_up_orgs = write_scenario(count + len(lefi_requests.BUILDERS), scenario)[count:]
    shutil.rmtree(out / "data", ignore_errors=True)  # a run before's massfråga jobs are not this run's
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(out / "simulator.log", "w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "simulator",
                "serve",
                "--scenario",
                str(scenario),
                "--port",
                str(port),
                "--sla-mode",
                "reject",
                "--request-log",
                "off",
                "--data-dir",
                str(out / "data"),
                *(["--check-answers"] if check_answers else []),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    processes: list[subprocess.Popen[bytes]] = []
    output: dict[str, Any] = {}
    if locust_log is not None:
        output = {"stdout": locust_log.open("wb"), "stderr": subprocess.STDOUT}
    try:
        wait_healthy(url)
        warm_up(url, warm_up_orgs)
        locust = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "--lefi-partners",
            str(count),
            "--lefi-bindings",
            bindings or profile.bindings,
            "--lefi-workers",
            str(max(locust_workers, 1)),
        ]
        run = [
            "-H",
            url,
            "-u",
            str(count),
            "-r",
            str(min(count, 50)),
            "--run-time",
            run_time,
            "--stop-timeout",
            "5",
            "--html",
            str(out / f"{name}.html"),
            "--only-summary",
            "--capacity-report",
            str(out / f"{name}-capacity.json"),
            profile.user_class,
        ]
        if locust_workers:
            master_port = free_port()
            command = [
                *locust,
                "--master",
                "--master-bind-host",
                "127.0.0.1",
                "--master-bind-port",
                str(master_port),
                "--expect-workers",
                str(locust_workers),
                *run,
            ]
            master = subprocess.Popen(command, cwd=ROOT, **output)
            processes = [
                subprocess.Popen(
                    [
                        *locust,
                        "--worker",
                        "--master-host",
                        "127.0.0.1",
                        "--master-port",
                        str(master_port),
                        profile.user_class,
                    ],
                    cwd=ROOT,
                )
                for _ in range(locust_workers)
            ]
            status = master.wait()
        else:
            status = subprocess.run([*locust, *run], cwd=ROOT, **output).returncode
        if check_answers:
            with urllib.request.urlopen(url + "/health", timeout=10) as health:
                (out / "answer-check.json").write_text(
                    json.dumps(json.loads(health.read())["answer_check"]), encoding="utf-8"
                )
    finally:
        for p in [*processes, server]:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in [*processes, server]:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        if output:
            output["stdout"].close()
    return status


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("profile", choices=sorted(PROFILES))
    parser.add_argument("--run-time", default="30s")
    parser.add_argument("--partners", type=int, help="partner organisations (one Locust user each)")
    parser.add_argument("--bindings", help="comma-separated: ws, ssek, shs, rest (massfråga: rest, ssek)")
    parser.add_argument("--locust-workers", type=int, default=0, help="distributed: a master and N workers")
    parser.add_argument("--out", type=Path, help="where the reports go (default: a new temporary folder)")
    parser.add_argument(
        "--check-answers", action="store_true", help="validate every XML answer against the published XSDs"
    )
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix=f"lefi-{args.profile}-"))
    status = run_profile(
        args.profile,
        out,
        args.run_time,
        args.partners,
        args.bindings,
        args.locust_workers,
        check_answers=args.check_answers,
    )
    print(
        f"reports in {out}: {args.profile}.html, {args.profile}-capacity.json, simulator.log", file=sys.stderr
    )
    return status


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
