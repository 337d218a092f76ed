"""Benchmark of the WS binding: requests/s, p50/p99 latency and memory of one simulator.

    .venv/bin/python loadtests/ws_bench.py [--seconds 10] [--connections 50]

Starts the simulator on the default scenario (127.0.0.1, a free port), warms it up, drives
it with wrk (Debian package `wrk`) posting loadtests/ws-question.xml (a full answer:
sjukpenning, SGI, payments, personuppgifter), and prints one line per run plus the
server's resident memory. Only loopback traffic, bounded in time.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wrk(url: str, seconds: int, connections: int) -> str:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(HERE / "post-ws.lua"), url],
        env={"BODYFILE": str(HERE / "ws-question.xml"), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    match = re.search(r"^RESULT .*$", out, re.M)
    if not match:
        raise RuntimeError(out)
    return match.group(0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server-args", default="--sla-mode off",
                        help="extra serve options, e.g. '--journal-size 0 --request-log off' (default: "
                             "'--sla-mode off': wrk asks as one organisation, far over its SLA)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--port", str(port), "--freeze-clock",
                               *args.server_args.split()],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        url = base + "/ws/FK.EXA.Lefi.Fraga"
        print(f"idle RSS {rss_mib(server.pid):.1f} MiB")
        wrk(url, 3, args.connections)  # warm-up
        for i in range(args.runs):
            print(f"run {i + 1}: {wrk(url, args.seconds, args.connections)}  RSS {rss_mib(server.pid):.1f} MiB",
                  flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
