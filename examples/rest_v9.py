"""LEFI v9 over REST: JSON in, JSON out.

Testkommunen asks with its aktorsId (7c0e5a9e-2120-4142-9a1e-000000000142) in the path:
first which information types it may ask for, then Sara Sjöberg's (198506102386)
sjukpenning, payments and general person information.
Run: .venv/bin/python examples/rest_v9.py [--url URL]
"""

from __future__ import annotations

import argparse
import sys

import requests

V9 = "/lefi-extern-formansinformation/v9/aktorer/7c0e5a9e-2120-4142-9a1e-000000000142"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    args = parser.parse_args()
    types = requests.get(f"{args.url}{V9}/tillgangligaInformationstyper", timeout=30)
    print(
        f"tillgangligaInformationstyper: HTTP {types.status_code}, "
        f"{len(types.json().get('formansinformation', []))} groups of formansinformation"
    )
    response = requests.post(
        f"{args.url}{V9}/formansinformation/fraga",
        timeout=30,
        json={
            "personnummer": "198506102386",
            "period": {"from": "2025-01-01", "tom": "2026-10-31"},
            "formansinformation": ["FK:SJP"],
            "utbetalningar": ["FK:SJP"],
            "ovrigInformation": ["FK:GEPI"],
        },
    )
    print(f"fraga: HTTP {response.status_code}")
    if response.status_code != 200:
        print(response.text)
        return 1
    fk = response.json()["formansinformation"]
    cases = fk.get("sjukpenningarende", [])
    person = fk["generellPersoninformation"][0]
    print(
        f"{person['namn']}: {len(cases)} sjukpenning cases, active: {[c['aktivt'] for c in cases]}; "
        f"{len(fk.get('utbetalningsuppgift', []))} payments"
    )
    return 0 if types.status_code == 200 and any(c["aktivt"] for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
