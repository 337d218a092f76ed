"""Benchmark of a generated population: start-up time and memory of one simulator.

    .venv/bin/python loadtests/population_bench.py [--persons 100000] [--seed 1] [--questions 1000] [--make 10000]

Writes a scenario (the default scenario's organisations and persons plus
``population: {count: N, seed: S}``) to a temporary folder, starts the simulator on it
(127.0.0.1, a free port, the clock frozen), and prints the time from process start until
``/health`` answers and the server's resident memory (VmRSS, and its peak VmHWM) after
start and after asking ``--questions`` random population persons over WS
(loadtests/ws-question.xml with the personnummer replaced). The benchmark makes the same
population itself to pick the numbers: same seed, same people. Only loopback traffic.

First, in this process: the generator's own speed, ``--make`` persons made whole (cases,
payments, the scenario model) one after the other, as a batch asks for them: the median of
three rounds, each on a freshly built population (made persons are not kept from the first
time they are asked for).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from harness import free_port, memory_mib, wait_for_health  # noqa: E402

from simulator.scenario.models import Population  # noqa: E402
from simulator.scenario.population import GeneratedPopulation  # noqa: E402

ANCHOR = date(2026, 11, 2)  # the default scenario's clock day, which the population follows
KOD = re.compile(rb"<(?:\w+:)?generelltfalt>.*?<(?:\w+:)?kod>(\d+)</", re.S)


async def ask(url: str, numbers: list[str], concurrency: int) -> tuple[int, dict[str, int]]:
    template = (HERE / "ws-question.xml").read_text(encoding="utf-8")
    codes: dict[str, int] = {}
    queue = list(numbers)

    async def worker(session: aiohttp.ClientSession) -> None:
        while queue:
            number = queue.pop()
            body = template.replace("198506102386", number).encode()
            async with session.post(url, data=body, headers={"Content-Type": "text/xml; charset=utf-8"}) as r:
                text = await r.read()
            m = KOD.search(text)
            key = m.group(1).decode() if r.status == 200 and m else f"HTTP {r.status}"
            codes[key] = codes.get(key, 0) + 1

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return len(numbers), codes


def make_persons(persons: int, seed: int, count: int) -> None:
    """Prints how fast the generator makes ``count`` persons (median of three rounds)."""
    rounds = []
    for _ in range(3):
        pop = GeneratedPopulation.build(Population(count=persons, seed=seed), ROOT, ANCHOR)
        numbers = list(pop.numbers())[:count]
        pop.person(numbers[0])  # the name lists, drawn once per process
        t0 = time.process_time()
        for number in numbers:
            pop.person(number)
        rounds.append(time.process_time() - t0)
    seconds = statistics.median(rounds)
    print(
        f"generator: {len(numbers)} persons made in {seconds:.2f} s CPU, {len(numbers) / seconds:.0f} persons/s "
        f"(median of 3: {', '.join(f'{r:.2f}' for r in rounds)} s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--make", type=int, default=10_000, help="persons made in-process (0: none)")
    args = parser.parse_args()
    if args.make:
        make_persons(args.persons, args.seed, args.make)

    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "population.yaml"
        scenario.write_text(
            (ROOT / "scenarios" / "default.yaml").read_text(encoding="utf-8")
            + f"\npopulation: {{count: {args.persons}, seed: {args.seed}}}\n",
            encoding="utf-8",
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.monotonic()
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
                "--request-log",
                "off",
                "--sla-mode",
                "off",
                "--data-dir",
                tempfile.mkdtemp(prefix="lefi-bench-"),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            ready = wait_for_health(base, server, limit=120)
            print(f"{args.persons} persons: /health answered {ready - started:.2f} s after process start")
            print(
                "after start:    " + "  ".join(f"{k} {v:.0f} MiB" for k, v in memory_mib(server.pid).items())
            )

            pop = GeneratedPopulation.build(Population(count=args.persons, seed=args.seed), ROOT, ANCHOR)
            numbers = random.Random(args.seed).sample(list(pop.numbers()), min(args.questions, len(pop)))
            t0 = time.monotonic()
            asked, codes = asyncio.run(ask(base + "/ws/FK.EXA.Lefi.Fraga", numbers, args.concurrency))
            seconds = time.monotonic() - t0
            print(
                f"{asked} random population persons over WS in {seconds:.1f} s ({asked / seconds:.0f}/s); "
                f"answer codes {dict(sorted(codes.items()))}"
            )
            print(
                "after questions:" + "  ".join(f" {k} {v:.0f} MiB" for k, v in memory_mib(server.pid).items())
            )
            if set(codes) != {"0"}:
                print(
                    "some persons were not answered with code 0: is the population wired into the store?",
                    file=sys.stderr,
                )
                return 1
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
