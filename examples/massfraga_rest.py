"""Massfråga over REST: one job, many persons, each answered as its v9 onlinefråga would be.

Testkommunen (aktorsId 7c0e5a9e-2120-4142-9a1e-000000000142) submits three persons: Sara
Sjöberg (198506102386: her information), Niklas (199102162394, who has a new personnummer:
400 NYTT_PERSONNUMMER) and Maja (198202042399, not in FK's register: 200 without
information); then polls the job, reads the answers and acknowledges the job.
Run: .venv/bin/python examples/massfraga_rest.py [--url URL]
"""

from __future__ import annotations

import argparse
import sys
import time

import requests

JOBS = "/massfraga/v1/aktorer/7c0e5a9e-2120-4142-9a1e-000000000142/jobb"
PERSONS = ["198506102386", "199102162394", "198202042399"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    args = parser.parse_args()
    submitted = requests.post(
        f"{args.url}{JOBS}",
        timeout=30,
        json={
            "personnummer": PERSONS,
            "period": {"from": "2025-01-01", "tom": "2026-10-31"},
            "formansinformation": ["FK:SJP", "FK:FP"],
            "ovrigInformation": ["FK:GEPI"],
        },
    )
    print(f"submitted: HTTP {submitted.status_code}, Location {submitted.headers.get('Location')}")
    if submitted.status_code != 202:
        print(submitted.text)
        return 1
    job = f"{args.url}{submitted.headers['Location']}"
    deadline = time.monotonic() + 60
    while (status := requests.get(job, timeout=30).json())["status"] != "klart":
        if time.monotonic() > deadline:
            print(f"the job is not done: {status}")
            return 1
        time.sleep(0.2)
    print(
        f"job {status['id']}: {status['status']}, {status['besvarade']} of {status['antalPersoner']} answered"
    )
    page = requests.get(f"{job}/svar", params={"fran": 0, "antal": 100}, timeout=30).json()
    statuses = {a["personnummer"]: a["status"] for a in page["svar"]}
    with_information = {a["personnummer"] for a in page["svar"] if "formansinformation" in a["svar"]}
    for answer in page["svar"]:
        print(
            f"  {answer['personnummer']}: HTTP {answer['status']}, "
            f"{'with' if answer['personnummer'] in with_information else 'without'} formansinformation"
        )
    acknowledged = requests.delete(job, timeout=30)
    print(f"acknowledged: HTTP {acknowledged.status_code}")
    expected = {"198506102386": 200, "199102162394": 400, "198202042399": 200}
    return 0 if statuses == expected and with_information == {"198506102386"} and acknowledged.ok else 1


if __name__ == "__main__":
    sys.exit(main())
