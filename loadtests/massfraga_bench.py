"""Benchmark of massfråga: how long one simulator takes to answer a job of N persons.

    .venv/bin/python loadtests/massfraga_bench.py [--persons 10000] [--jobs 3] [--binding rest|ssek|both] [--redis URL]

Writes a scenario (the default scenario plus ``population: {count: N, seed: 1}``) to a
temporary folder, starts the simulator on it (127.0.0.1, a free port, the clock frozen,
the SLA off, the durable store in that folder, or Redis), submits ``--jobs`` jobs of all N
population persons over the REST job resource and over SSEK AsynchPull one after the other,
and prints, per binding, the time from the submission's 202/receipt until the job is done
(polled every 50 ms: each poll reads the job, whose document holds all its persons, so a
faster poll takes the worker's time) and until every answer is fetched, the server's CPU
time over the job and its fetching,
and (REST) the median time of one 1,000-answer page; medians of the ``--jobs`` runs. The
target (issue 18): a 10,000-person job answered in under 5 s. Only loopback traffic.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import requests
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from harness import free_port  # noqa: E402

from simulator.scenario.models import Population  # noqa: E402
from simulator.scenario.population import GeneratedPopulation  # noqa: E402

AKTOR = "7c0e5a9e-2120-4142-9a1e-000000000142"
NS = "http://schema.forsakringskassan.se/externa_intressenter"
SSEK = "http://schemas.ssek.org/ssek/2006-05-10/"
POLL = 0.05  # seconds between two looks at the job
BENEFITS = ("sjukpenning", "foraldrapenning", "barnbidrag", "utbetalning", "generellPersonInformation")


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rest_job(url: str, persons: list[str]) -> tuple[float, float, float]:
    jobs = f"{url}/massfraga/v1/aktorer/{AKTOR}/jobb"
    started = time.perf_counter()
    r = requests.post(
        jobs,
        json={
            "personnummer": persons,
            "period": {"from": "2025-01-01", "tom": "2026-10-31"},
            "formansinformation": ["FK:SJP", "FK:FP", "FK:ABB"],
            "utbetalningar": ["FK:SJP"],
            "ovrigInformation": ["FK:GEPI"],
        },
        timeout=60,
    )
    location = url + r.headers["Location"]
    while requests.get(location, timeout=60).json()["status"] != "klart":
        time.sleep(POLL)
    done = time.perf_counter() - started
    nxt: str | None = "/svar?fran=0&antal=1000"
    pages = []
    while nxt:
        fetch = time.perf_counter()
        page = requests.get(location + nxt if nxt.startswith("/svar") else url + nxt, timeout=60).json()
        pages.append(time.perf_counter() - fetch)
        nxt = page["nasta"]
    requests.delete(location, timeout=60)
    return done, time.perf_counter() - started, statistics.median(pages)


def ssek_job(url: str, persons: list[str]) -> tuple[float, float, float | None]:
    tx_id = str(uuid.uuid4())
    header = (
        f'<ssek:SSEK xmlns:ssek="{SSEK}" AsynchMethod="AsynchPull"><ssek:SenderId ssek:Type="ORGNR">'
        f'5566778899</ssek:SenderId><ssek:ReceiverId ssek:Type="ORGNR">2021005521</ssek:ReceiverId>'
        f"<ssek:TxId>{tx_id}</ssek:TxId></ssek:SSEK>"
    )
    numbers = "".join(f"<ext:personnummer>{p}</ext:personnummer>" for p in persons)
    wanted = "".join(f"<ext:{b}>true</ext:{b}>" for b in BENEFITS)
    question = (
        f'<ext:FK.Massfraga.Fraga xmlns:ext="{NS}"><ext:generelltfalt><ext:organisationsnummer>5566778899'
        "</ext:organisationsnummer><ext:versionsnummer>6</ext:versionsnummer></ext:generelltfalt>"
        f"<ext:informationsfalt><ext:personer>{numbers}</ext:personer><ext:fromdatum>2025-01-01"
        "</ext:fromdatum><ext:tomdatum>2026-10-31</ext:tomdatum>"
        f"<ext:formansforteckning>{wanted}</ext:formansforteckning></ext:informationsfalt>"
        "</ext:FK.Massfraga.Fraga>"
    )

    def post(body: str) -> requests.Response:
        envelope = (
            f'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>{header}'
            f"</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"
        )
        return requests.post(
            f"{url}/ssek/FK.EXA.Lefi.Massfraga",
            data=envelope.encode(),
            headers={"Content-Type": "text/xml; charset=utf-8"},
            timeout=60,
        )

    started = time.perf_counter()
    assert post(question).status_code == 200
    done = None
    while True:
        r = post(
            f'<ext:FK.Massfraga.Hamta xmlns:ext="{NS}"><ext:kvittera>true</ext:kvittera></ext:FK.Massfraga.Hamta>'
        )
        if r.status_code == 200:
            break
        done = time.perf_counter() - started
        time.sleep(POLL)
    total = time.perf_counter() - started
    return (done or total), total, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument(
        "--checkout", type=Path, default=ROOT, help="serve the simulator of this checkout (a before figure)"
    )
    parser.add_argument("--binding", choices=("rest", "ssek", "both"), default="both")
    parser.add_argument("--redis", metavar="URL", help="keep the durable store in this Redis")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lefi-massfraga-bench-"))
    data = yaml.safe_load((ROOT / "scenarios" / "default.yaml").read_text(encoding="utf-8"))
    data["population"] = {"count": args.persons, "seed": 1}
    scenario = folder / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    persons = list(
        GeneratedPopulation.build(Population(count=args.persons, seed=1), folder, date(2026, 11, 2)).numbers()
    )
    port = free_port()
    store = ["--redis", args.redis] if args.redis else ["--data-dir", str(folder / "data")]
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
            "--freeze-clock",
            "--sla-mode",
            "off",
            "--request-log",
            "off",
            *store,
        ],
        cwd=args.checkout,
        env={**os.environ, "PYTHONPATH": str(args.checkout)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(url + "/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        for name, run in (("rest", rest_job), ("ssek", ssek_job)):
            if args.binding not in (name, "both"):
                continue
            runs, cpus = [], []
            for _ in range(args.jobs):
                cpu0 = cpu_seconds(server.pid)
                runs.append(run(url, persons))
                cpus.append(cpu_seconds(server.pid) - cpu0)
            done = statistics.median(r[0] for r in runs)
            total = statistics.median(r[1] for r in runs)
            pages = [r[2] for r in runs if r[2] is not None]
            print(
                f"{name}: {args.persons} persons answered in {done:.2f} s (median of {args.jobs}: "
                f"{', '.join(f'{r[0]:.2f}' for r in runs)}), fetched by {total:.2f} s; "
                f"{args.persons / done:.0f} persons/s; server CPU {statistics.median(cpus):.2f} s a job"
                + (f"; a 1,000-answer page in {statistics.median(pages):.3f} s" if pages else "")
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
