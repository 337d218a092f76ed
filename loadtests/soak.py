"""Soak test: valid and hostile traffic mixed, for a bounded time; errors by kind, the
server's memory over time, and how long another client waits.

    .venv/bin/python loadtests/soak.py [--seconds 60] [--workers 8] [--hostile-share 0.3]
    .venv/bin/python loadtests/soak.py --url http://host:8080 --pid 1234   # a running server

Without --url it starts the simulator on the default scenario (127.0.0.1, a free port,
SLA off: the traffic asks as a few organisations far over their SLA; an admin token, so that
the admin health check is asked as anonymous partners ask it). Valid traffic asks over WS,
SSEK, SHS and REST v9; hostile traffic is tests/support/hostile.py's corpus (billion laughs,
XXE, 20 MB bodies, 1,000 headers, 100 000 attributes, 200 000 elements, bodies cut short,
29 000 wrong personnummer in an order, ... to every binding). The baseline is the RSS of the
server as it started, after a few valid questions of each kind (before any hostile one).
Every answer is classed: a valid question answered, a hostile one refused (or answered) as
the corpus expects, or an error of a named kind. Meanwhile the prober of
tests/support/hostile.py asks /health and a WS question in turn and keeps its longest wait
(one not answered within 2 s: an endless wait). Prints RSS every --report seconds (needs the
server's pid: its own, or --pid) and a summary; exits 1 when any answer was not what it
should be, the server stopped answering, RSS grew more than --memory-bound MiB over the
baseline, or the prober waited longer than --probe-bound ms or got no answer.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

from harness import free_port, rss_mib  # noqa: E402
from support.hostile import (  # noqa: E402
    CORPUS,
    REST_PATH,
    SSEK_HEADER,
    Hostile,
    Prober,
    Wire,
    envelope,
    fraga_xml,
    send,
)

VALID = ("ws", "ssek", "shs", "rest")
BOUNDARY = "soak-boundary"


def _post(path: str, content_type: str, body: bytes) -> Wire:
    return Wire(
        (
            f"POST {path} HTTP/1.1\r\nHost: soak\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        + body
    )


def _fraga(org: str) -> str:
    return fraga_xml().replace("2120000142", org)


def valid(kind: str) -> Wire:
    """A question the sandbox answers with 200 (or 202 for asynchronous SHS)."""
    tx = f"{random.getrandbits(128):032x}"
    tx = f"{tx[:8]}-{tx[8:12]}-{tx[12:16]}-{tx[16:20]}-{tx[20:]}"
    if kind == "ws":
        return _post("/ws", "text/xml; charset=utf-8", envelope(_fraga("2120000142")))
    if kind == "ssek":
        body = envelope(_fraga("5566778899")).replace(
            b"<soap:Body>", SSEK_HEADER.format(tx=tx).encode() + b"<soap:Body>"
        )
        return _post("/ssek/FK.EXA.Lefi.Fraga", "text/xml; charset=utf-8", body)
    if kind == "shs":
        label = (
            f'<?xml version="1.0" encoding="UTF-8"?><shs.label version="1.2" tx.id="{tx}" corr.id="{tx}" '
            'transfer-type="synch" sequence-type="request" status="test"><from>urn:X-shs:2021005489</from>'
            "<product>urn:X-shs:045a177d-ca3d-4a66-b222-a7e0ebbaf0b9</product>"
            '<datetime>2026-11-02T09:00:00</datetime><content content.id="c-1">'
            '<data datapartType="fraga"/></content></shs.label>'
        ).encode()
        parts = [label, _fraga("2021005489").encode()]
        body = (
            b"".join(
                f"--{BOUNDARY}\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n".encode() + p + b"\r\n"
                for p in parts
            )
            + f"--{BOUNDARY}--\r\n".encode()
        )
        return _post("/mt", f"multipart/mixed; boundary={BOUNDARY}", body)
    assert kind == "rest"
    return _post(
        REST_PATH,
        "application/json",
        b'{"personnummer": "198506102386", "period": {"from": '
        b'"2025-01-01", "tom": "2026-10-31"}, "formansinformation": ["FK:SJP"]}',
    )


def classify_hostile(case: Hostile, status: int) -> str:
    return (
        "hostile refused"
        if status == case.status and status >= 400
        else "hostile answered"
        if status == case.status
        else f"hostile {case.name}: got {status}, not {case.status}"
    )


class Soak:
    def __init__(self, url: str, seconds: float, hostile_share: float) -> None:
        self.url = url
        self.until = time.monotonic() + seconds
        self.hostile_share = hostile_share
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        # built once: making a 1 MB body in Python would hold the client's GIL, and the prober with it
        self.hostile = [(case, case.request("http://127.0.0.1:9/never-fetched")) for case in CORPUS]

    def note(self, kind: str) -> None:
        with self.lock:
            self.counts[kind] += 1

    def worker(self, seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < self.until:
            if rng.random() < self.hostile_share:
                case, wire = rng.choice(self.hostile)
                try:
                    reply = send(self.url, wire, timeout=60)
                    self.note(classify_hostile(case, reply.status))
                except Exception as exc:  # a hang, a reset where an answer was due: each by its kind
                    self.note(f"hostile {case.name}: {type(exc).__name__}")
            else:
                kind = rng.choice(VALID)
                try:
                    reply = send(self.url, valid(kind), timeout=60)
                    self.note(
                        f"valid {kind} answered"
                        if reply.status in (200, 202)
                        else f"valid {kind}: got {reply.status}"
                    )
                except Exception as exc:
                    self.note(f"valid {kind}: {type(exc).__name__}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=8, help="client threads (default 8)")
    parser.add_argument(
        "--hostile-share", type=float, default=0.3, help="share of hostile requests (default 0.3)"
    )
    parser.add_argument("--report", type=float, default=10, help="seconds between memory lines (default 10)")
    parser.add_argument(
        "--memory-bound", type=float, default=50, help="MiB RSS may grow over the baseline (default 50)"
    )
    parser.add_argument(
        "--probe-bound", type=float, default=100, help="ms the prober may wait at most (default 100)"
    )
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--pid", type=int, help="the running server's pid, for its memory")
    parser.add_argument(
        "--server-args",
        default="",
        help="extra serve options for the server started, e.g. '--journal-size 0'",
    )
    args = parser.parse_args()
    server = None
    url, pid = args.url, args.pid
    if url is None:
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
                "--admin-token",
                f"soak-{random.getrandbits(64):x}",
                "--data-dir",
                tempfile.mkdtemp(prefix="lefi-soak-"),
                *args.server_args.split(),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url, pid = f"http://127.0.0.1:{port}", server.pid
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
    try:
        started_rss = rss_mib(pid) if pid else float("nan")
        for kind in VALID * 3:  # the baseline: a server that has answered a few valid questions
            status = send(url, valid(kind), timeout=60).status
            assert status in (200, 202), f"a valid {kind} question got {status}"
        soak = Soak(url, args.seconds, args.hostile_share)
        first_rss = rss_mib(pid) if pid else float("nan")
        prober = Prober(url).start()
        start = time.monotonic()
        print(
            f"{0:6.0f} s  RSS {first_rss:7.1f} MiB  (the baseline, after {len(VALID) * 3} valid "
            f"questions; {started_rss:.1f} MiB at start)"
        )
        threads = [threading.Thread(target=soak.worker, args=(i,), daemon=True) for i in range(args.workers)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            time.sleep(min(args.report, max(0.0, soak.until - time.monotonic()) + 0.1))
            with soak.lock:
                done = sum(soak.counts.values())
            rss = f"RSS {rss_mib(pid):7.1f} MiB" if pid else "RSS ?"
            print(f"{time.monotonic() - start:6.0f} s  {rss}  {done} requests", flush=True)
        for t in threads:
            t.join()
        worst = prober.stop()
        last_rss = rss_mib(pid) if pid else float("nan")
        alive = urllib.request.urlopen(url + "/health", timeout=10).status == 200
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    total = sum(soak.counts.values())
    print(
        f"\n{total} requests in {args.seconds:.0f} s ({total / args.seconds:.0f}/s), server "
        f"{'still answering' if alive else 'NOT answering'}; by kind:"
    )
    for kind, n in sorted(soak.counts.items()):
        print(f"  {n:8d}  {kind}")
    bad = {k: n for k, n in soak.counts.items() if not (k.endswith(" answered") or k == "hostile refused")}
    print(f"errors: {sum(bad.values())}")
    grown = last_rss - first_rss
    print(f"RSS {first_rss:.1f} -> {last_rss:.1f} MiB ({grown:+.1f} MiB; bound {args.memory_bound:.0f})")
    print(
        f"the prober's longest wait: {worst * 1000:.0f} ms ({prober.worst_at}; bound {args.probe_bound:.0f}); "
        f"{prober.answered} answered, {len(prober.failures)} not answered {prober.failures[:3]}"
    )
    within = not grown > args.memory_bound and worst * 1000 <= args.probe_bound and not prober.failures
    return 0 if alive and not bad and within else 1


if __name__ == "__main__":
    raise SystemExit(main())
