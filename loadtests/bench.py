"""Benchmark of the simulator: requests/s, p50/p99 latency and memory, per binding, with 1
and N workers, at saturation and at fixed offered loads; prints a README-ready table.

    .venv/bin/python loadtests/bench.py [--workers 1,2] [--seconds 10] [--connections 50]
                                        [--offered 500,1000] [--rounds 3] [--peers]

Starts ``lefi-sim serve`` on the default scenario (frozen clock; SLA gate off, since wrk asks
as one organisation far over its SLA; journal, metrics and the JSON request log on, the
log to /dev/null) for each worker count, warms it up, and drives it with wrk (Debian
package ``wrk``, written in C: not the bottleneck) over loopback:

- ``ws cached``: one WS question over and over (the answer cache; the SLA gate, fault
  rules, journal, metrics and log still see every request);
- ``ws``: WS questions that differ in ``referens``, so each is parsed, validated against
  the XSD, answered by the engine and rendered: the full pipeline;
- ``ssek``, ``shs``: a new TxId / tx.id per question (each a new question);
- ``rest``: LEFI v9 JSON (no answer cache);
- ``ws @ N/s``: the full pipeline at about N requests/s offered (each of the connections
  waits connections/N s before each request).

The ceiling: ``ws cached`` is measured in ``--rounds`` rounds alternating with ``bare
aiohttp`` (``loadtests/bare_aiohttp.py``: aiohttp on the same event loop with the same
worker count, answering every POST with the exact bytes of the sandbox's cached answer,
nothing else), so that the machine's other load hits both alike; each is reported as the
median of its rounds, and the cached path as a ratio of the bare server (the goal: 0.8).

Every question asks for five benefits about the default scenario's sick person (a 7 kB
WS answer). ``--peers`` then compares the best worker count's WS URL and the bare aiohttp
server with nginx and WireMock serving our answer's bytes (``../shared/bench/peers.sh
compare``, WireMock warmed up 90 s) and prints the sandbox's ratio to WireMock and to bare
aiohttp; ``--workers 2 --only x --peers`` runs the comparison alone.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import lefi_requests  # noqa: E402
from harness import free_port  # noqa: E402

PEERS = ROOT.parent / "shared" / "bench" / "peers.sh"
ORGS = {"ws": "2120000142", "ssek": "5566778899", "shs": "2021005489", "rest": "2120000142"}
AKTORSID = {"2120000142": "7c0e5a9e-2120-4142-9a1e-000000000142"}


@dataclass
class Result:
    workers: int
    load: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float  # server CPU time per request
    rss_mib: float


def tree(pid: int) -> list[int]:
    """The server and its worker processes."""
    return [pid] + [
        int(p)
        for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    ]


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the server and its workers have used: per request, a
    measure that other load on the machine disturbs less than requests/s."""
    ticks = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_rss_mib(pid: int) -> float:
    """Resident memory of the server and its worker processes."""
    total = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def body_file(folder: Path, binding: str, vary: bool) -> tuple[Path, str, dict[str, str]]:
    """The request of ``binding`` as a wrk template (``@@ID@@`` where each request differs)."""
    org = ORGS[binding]
    tx = "@@ID@@" if vary else "bench"
    request = lefi_requests.BUILDERS[binding](org, tx=tx, aktorsid=AKTORSID.get(org))
    path = folder / f"{binding}-{'vary' if vary else 'same'}.body"
    path.write_bytes(request.body)
    return path, request.path, request.headers


def wrk(
    url: str, body: Path, headers: dict[str, str], seconds: int, connections: int, delay_ms: int = 0
) -> dict:
    env = {
        "BODYFILE": str(body),
        "CONTENT_TYPE": headers["Content-Type"],
        "DELAY_MS": str(delay_ms),
        "RUN_ID": f"{random.randrange(10**8):08d}",
        "PATH": "/usr/bin:/bin",
    }
    if "SOAPAction" in headers:
        env["SOAPACTION"] = "1"
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(HERE / "wrk-post.lua"),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    match = re.search(r"^RESULT (.*)$", out, re.M)
    if not match:
        raise RuntimeError(out)
    return {k: float(v) for k, v in (kv.split("=") for kv in match.group(1).split())}


def start_server(port: int, workers: int, extra: list[str], checkout: Path = ROOT) -> subprocess.Popen[bytes]:
    """``lefi-sim serve`` from ``checkout`` (another one: a before/after comparison)."""
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
            "--workers",
            str(workers),
            "--data-dir",
            tempfile.mkdtemp(prefix="lefi-bench-"),
            *extra,
        ],
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("the simulator did not start") from None
            time.sleep(0.1)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def bench_workers(workers: int, args: argparse.Namespace, folder: Path) -> list[Result]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, workers, args.server_args.split(), args.checkout)
    results = []
    try:
        loads = [
            ("ws cached", "ws", False, 0),
            ("ws", "ws", True, 0),
            ("ssek", "ssek", True, 0),
            ("shs", "shs", True, 0),
            ("rest", "rest", False, 0),
        ]
        loads += [(f"ws @ {rate}/s", "ws", True, rate) for rate in args.offered]
        if args.only:
            loads = [load for load in loads if load[0] in args.only.split(",")]
        for label, binding, vary, rate in loads:
            body, path, headers = body_file(folder, binding, vary)
            if label == "ws cached":
                results += against_bare_aiohttp(server, base + path, body, headers, workers, args, folder)
                continue
            delay = round(args.connections * 1000 / rate) if rate else 0
            wrk(base + path, body, headers, 3, args.connections, delay)  # warm-up
            result = measure(server, label, base + path, body, headers, workers, args, delay)
            results.append(result)
            show(result)
    finally:
        stop(server)
    return results


def measure(
    server: subprocess.Popen[bytes],
    label: str,
    url: str,
    body: Path,
    headers: dict[str, str],
    workers: int,
    args: argparse.Namespace,
    delay: int = 0,
) -> Result:
    """One wrk run of ``args.seconds`` against ``server``, with its CPU time per request."""
    cpu = tree_cpu_seconds(server.pid)
    r = wrk(url, body, headers, args.seconds, args.connections, delay)
    cpu_us = (tree_cpu_seconds(server.pid) - cpu) * 1e6 / max(r["requests"], 1)
    return Result(
        workers,
        label,
        r["rps"],
        r["p50_ms"],
        r["p99_ms"],
        int(r["errors"] + r["non2xx"]),
        cpu_us,
        tree_rss_mib(server.pid),
    )


def show(result: Result, note: str = "") -> None:
    print(
        f"  {result.workers} worker(s) {result.load:<14} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
        f"p99 {result.p99_ms:6.2f} ms  errors {result.errors}  CPU {result.cpu_us:.0f} µs/req  "
        f"RSS {result.rss_mib:.0f} MiB{note}",
        flush=True,
    )


def median_of(runs: list[Result]) -> Result:
    """Each column's median over the runs (as peers.sh reports them)."""

    def med(values: list[float]) -> float:
        return float(statistics.median(values))

    return Result(
        runs[0].workers,
        runs[0].load,
        med([r.rps for r in runs]),
        med([r.p50_ms for r in runs]),
        med([r.p99_ms for r in runs]),
        sum(r.errors for r in runs),
        med([r.cpu_us for r in runs]),
        max(r.rss_mib for r in runs),
    )


def start_bare(port: int, workers: int, answer: Path, content_type: str) -> subprocess.Popen[bytes]:
    """loadtests/bare_aiohttp.py answering every POST with ``answer``'s bytes."""
    bare = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "bare_aiohttp.py"),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--body",
            str(answer),
            "--content-type",
            content_type,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
            return bare
        except OSError:
            if time.monotonic() > deadline or bare.poll() is not None:
                bare.kill()
                raise RuntimeError("the bare aiohttp server did not start") from None
            time.sleep(0.1)


def fetch_answer(url: str, body: Path, headers: dict[str, str], into: Path) -> str:
    """The sandbox's answer to ``body`` written to ``into``; returns its Content-Type."""
    request = urllib.request.Request(url, data=body.read_bytes(), headers=headers)
    with urllib.request.urlopen(request) as answer:
        into.write_bytes(answer.read())
        return str(answer.headers["Content-Type"])


def against_bare_aiohttp(
    server: subprocess.Popen[bytes],
    url: str,
    body: Path,
    headers: dict[str, str],
    workers: int,
    args: argparse.Namespace,
    folder: Path,
) -> list[Result]:
    """``ws cached`` and the bare aiohttp server with the same answer, alternating in
    ``args.rounds`` rounds (who goes first alternates too); the medians of each."""
    answer = folder / f"cached-answer-{workers}w.xml"
    content_type = fetch_answer(url, body, headers, answer)
    port = free_port()
    bare = start_bare(port, workers, answer, content_type)
    bare_url = f"http://127.0.0.1:{port}{urllib.parse.urlsplit(url).path}"
    try:
        served = fetch_answer(bare_url, body, headers, folder / "bare-answer.xml")
        assert (folder / "bare-answer.xml").read_bytes() == answer.read_bytes(), "not the same bytes"
        assert served == content_type, (served, content_type)
        targets = [("ws cached", server, url), ("bare aiohttp", bare, bare_url)]
        for _, _, target in targets:
            wrk(target, body, headers, 3, args.connections)  # warm-up
        runs: dict[str, list[Result]] = {"ws cached": [], "bare aiohttp": []}
        for i in range(args.rounds):
            for label, process, target in targets if i % 2 == 0 else targets[::-1]:
                result = measure(process, label, target, body, headers, workers, args)
                runs[label].append(result)
                show(result, f"  (round {i + 1})")
    finally:
        stop(bare)
    cached, ceiling = median_of(runs["ws cached"]), median_of(runs["bare aiohttp"])
    pairs = [s.rps / b.rps for s, b in zip(runs["ws cached"], runs["bare aiohttp"], strict=True)]
    print(
        f"  {workers} worker(s) ws cached / bare aiohttp: {cached.rps / ceiling.rps:.2f} "
        f"(medians {cached.rps:.0f} / {ceiling.rps:.0f} req/s; per round "
        f"{', '.join(f'{p:.2f}' for p in pairs)}; goal >= 0.80); by server CPU per request "
        f"{ceiling.cpu_us / cached.cpu_us:.2f} ({cached.cpu_us:.0f} / {ceiling.cpu_us:.0f} µs)",
        flush=True,
    )
    return [cached, ceiling]


def table(results: list[Result], connections: int) -> str:
    lines = [
        f"| workers | load (wrk -t1 -c{connections}) | req/s | p50 ms | p99 ms | errors | server CPU µs/req "
        "| RSS MiB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.workers} | {r.load} | {r.rps:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} | "
            f"{r.cpu_us:.0f} | {r.rss_mib:.0f} |"
        )
    return "\n".join(lines)


def compare_with_peers(workers: int, args: argparse.Namespace, folder: Path) -> None:
    """peers.sh compare: nginx and WireMock serving our own answer's bytes, beside us and
    beside the bare aiohttp server serving them too; then the sandbox's ratio to each.

    The question asks for personuppgifter only: a 3.3 kB answer, the size of the peers'
    baseline answer (nginx takes at most 4 kB in its ``return``)."""
    port = free_port()
    server = start_server(port, workers, args.server_args.split(), args.checkout)
    bare: subprocess.Popen[bytes] | None = None
    try:
        question = lefi_requests.ws(ORGS["ws"], benefits=("generellPersonInformation",))
        body, path, headers = folder / "peers-question.xml", question.path, question.headers
        body.write_bytes(question.body)
        url = f"http://127.0.0.1:{port}{path}"
        content_type = fetch_answer(url, body, headers, folder / "response.xml")
        bare_port = free_port()
        bare = start_bare(bare_port, workers, folder / "response.xml", content_type)
        sandbox, ceiling = f"sandbox-{workers}w", f"bare-aiohttp-{workers}w"
        env = {**os.environ, "BODYFILE": str(body), "RESPONSE_FILE": str(folder / "response.xml")}
        report = subprocess.run(
            [
                "bash",
                str(PEERS),
                "compare",
                f"{sandbox}={url}",
                f"{ceiling}=http://127.0.0.1:{bare_port}{path}",
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        ).stdout
    finally:
        if bare is not None:
            stop(bare)
        stop(server)
    print(report)
    rps = peer_medians(report)
    for peer in ("wiremock", "nginx", ceiling):
        if rps.get(sandbox) and rps.get(peer):
            print(
                f"{sandbox} / {peer}: {rps[sandbox] / rps[peer]:.2f} (median req/s {rps[sandbox]:.0f} / {rps[peer]:.0f})"
            )


def peer_medians(report: str) -> dict[str, float]:
    """Median req/s per target from peers.sh compare's markdown table."""
    rows = re.findall(r"^\| ([\w.-]+) \| ([0-9.]+) \|", report, re.M)
    return {name: float(value) for name, value in rows}


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, nproc {os.cpu_count()}, "
        f"{args.seconds} s per run after 3 s of warm-up (ws cached and bare aiohttp: medians "
        f"of {args.rounds} alternating rounds)"
        f"{'' if args.checkout == ROOT else f'; the simulator of {args.checkout}'}:\n"
    )
    print(table(results, args.connections))
    one = {r.load: r.rps for r in results if r.workers == 1}
    for r in results:
        if r.workers > 1 and one.get(r.load):
            print(f"{r.workers} workers / 1 worker, {r.load}: {r.rps / one[r.load]:.2f}x")
    bare = {r.workers: r.rps for r in results if r.load == "bare aiohttp"}
    for r in results:
        if r.load == "ws cached" and bare.get(r.workers):
            print(
                f"ws cached / bare aiohttp, {r.workers} worker(s): {r.rps / bare[r.workers]:.2f} "
                f"(medians of {args.rounds} alternating rounds; goal >= 0.80)"
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", default="1,2", help="worker counts to measure (default 1,2)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--offered", default="500,1000", help="fixed offered loads of the full WS pipeline, req/s"
    )
    parser.add_argument("--server-args", default="", help="extra serve options, e.g. '--journal-size 0'")
    parser.add_argument(
        "--checkout",
        type=Path,
        default=ROOT,
        help="serve the simulator from this checkout (e.g. the commit before a change)",
    )
    parser.add_argument("--only", help="comma-separated loads to run, e.g. 'ws cached,ws' (default: all)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds of ws cached and bare aiohttp (default 3)"
    )
    parser.add_argument(
        "--peers", action="store_true", help="then compare with nginx and WireMock (peers.sh)"
    )
    args = parser.parse_args()
    args.offered = [int(x) for x in args.offered.split(",") if x]
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="lefi-bench-") as tmp:
        for workers in (int(w) for w in args.workers.split(",")):
            results += bench_workers(workers, args, Path(tmp))
        if results:
            report(results, args)
        if args.peers:
            cached = [r for r in results if r.load == "ws cached"]
            best = max(cached, key=lambda r: r.rps).workers if cached else int(args.workers.split(",")[-1])
            compare_with_peers(best, args, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
