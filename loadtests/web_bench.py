"""Benchmark of the web e-tjänst: how long one user waits for each page.

    .venv/bin/python loadtests/web_bench.py [--requests 300]

Starts the simulator on the default scenario (127.0.0.1, a free port, SLA gate off),
logs in as the municipal test user and, one request at a time (a person at a browser),
loads "Hämta förmånsinformation" and submits a full question (Sara Sjöberg, every
benefit of a kommun, two years): p50/p99 and requests/s of each, and the server's memory.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time

import requests
from harness import ROOT, free_port, rss_mib


def timed(call: object, n: int) -> list[float]:
    took = []
    for _ in range(n):
        start = time.perf_counter()
        response = call()  # type: ignore[operator]
        took.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return took


def report(name: str, took: list[float]) -> None:
    took.sort()
    p99 = took[min(len(took) - 1, int(len(took) * 0.99))]
    print(
        f"{name}: {len(took)} requests, {1000 * len(took) / sum(took):.0f} req/s, "
        f"p50 {statistics.median(took):.1f} ms, p99 {p99:.1f} ms",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "serve",
            "--port",
            str(port),
            "--freeze-clock",
            "--sla-mode",
            "off",
            "--request-log",
            "off",
            "--data-dir",
            tempfile.mkdtemp(prefix="lefi-bench-"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(base + "/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        http = requests.Session()
        token = re.search(r'name="csrf" value="([^"]+)"', http.get(base + "/lefi/login").text)[1]  # type: ignore[index]
        page = http.post(
            base + "/lefi/login", data={"csrf": token, "metod": "bankid", "personnummer": "197808072388"}
        )
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]  # type: ignore[index]
        benefits = re.findall(r'name="formaner" id="b-[^"]+" value="([^"]+)"', page.text)
        question = [
            ("csrf", token),
            ("personnummer", "19850610-2386"),
            ("fromdatum", "2024-11-02"),
            ("tomdatum", "2026-11-01"),
            *(("formaner", b) for b in benefits),
        ]
        print(f"idle RSS {rss_mib(server.pid):.1f} MiB; a question of {len(benefits)} benefits")
        timed(lambda: http.get(base + "/lefi/hamta"), 20)  # warm-up
        report("GET  /lefi/hamta (Hämta)", timed(lambda: http.get(base + "/lefi/hamta"), args.requests))
        report(
            "POST /lefi/hamta (Skicka → Visa)",
            timed(lambda: http.post(base + "/lefi/hamta", data=question), args.requests),
        )
        print(f"RSS {rss_mib(server.pid):.1f} MiB")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
