"""Benchmark of loading explicit scenario files: how long ``lefi-sim scenario check`` takes,
how long until a served sandbox answers /health, a reload through the admin API, and the
peak memory (RSS) of each, for N explicit persons.

    .venv/bin/python loadtests/scenario_load_bench.py [--persons 10000,100000] [--repeat 3]
                                                      [--dir /tmp/lefi-scenario-bench]

Each file is written once by ``lefi-sim scenario generate --persons N`` (kept in --dir, so
later runs reuse it) and every measurement is the median of --repeat runs, each in a new
process. Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"


def _lefi(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulator", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _generated(persons: int, folder: Path) -> Path:
    path = folder / f"persons-{persons}.yaml"
    if not path.exists():
        subprocess.run(
            _lefi("scenario", "generate", "--persons", str(persons), "--out", str(path)),
            check=True,
            env=_env(),
            stdin=subprocess.DEVNULL,
        )
    return path


def _check(path: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of ``lefi-sim scenario check``."""
    started = time.perf_counter()
    process = subprocess.Popen(
        _lefi("scenario", "check", str(path)), env=_env(), stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"scenario check {path} failed")
    return seconds, usage.ru_maxrss / 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, method: str = "GET", timeout: float = 1.0) -> int:
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return int(answer.status)


def _peak_rss(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _serve(path: Path) -> tuple[float, float, float]:
    """Seconds until /health answers, seconds of a reload (POST /_admin/scenario/reload),
    and the server's peak RSS (MiB)."""
    port = _free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        _lefi("serve", "--scenario", str(path), "--port", str(port), "--admin-token", TOKEN),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"serve {path} stopped")
            try:
                if _get(f"http://127.0.0.1:{port}/health") == 200:
                    break
            except OSError:
                time.sleep(0.05)
        ready = time.perf_counter() - started
        started = time.perf_counter()
        _get(f"http://127.0.0.1:{port}/_admin/scenario/reload", "POST", timeout=600)
        reload = time.perf_counter() - started
        return ready, reload, _peak_rss(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", default="10000", help="comma-separated person counts")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/lefi-scenario-bench"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(
        "| explicit persons | file | `scenario check` | persons/s | its peak RSS "
        "| served (/health) | reload | server's peak RSS (with the reload) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for persons in (int(n) for n in args.persons.split(",")):
        path = _generated(persons, args.dir)
        checks = [_check(path) for _ in range(args.repeat)]
        serves = [_serve(path) for _ in range(args.repeat)]
        check = statistics.median(s for s, _ in checks)
        ready = statistics.median(s for s, _, _ in serves)
        reload = statistics.median(s for _, s, _ in serves)
        check_rss = max(m for _, m in checks)
        serve_rss = max(m for _, _, m in serves)
        print(
            f"| {persons:,} | {path.stat().st_size / 2**20:.0f} MB | {check:.1f} s | {persons / check:,.0f} "
            f"| {check_rss:,.0f} MiB | {ready:.1f} s | {reload:.1f} s | {serve_rss:,.0f} MiB |",
            flush=True,
        )


if __name__ == "__main__":
    main()
