"""SSBTEK v10 with zeep: a municipality's composite question, FK's part carrying a LEFI v9
JSON question; zeep is built from the WSDL the sandbox serves at /ssbtek?wsdl.

Testkommunen (162120000142, aktorsId 7c0e5a9e-2120-4142-9a1e-000000000142) asks about
Sara Sjöberg (198506102386). Run: .venv/bin/python examples/ssbtek_zeep.py [--url URL]
"""

from __future__ import annotations

import argparse
import json
import sys

import zeep

AKTOR = "7c0e5a9e-2120-4142-9a1e-000000000142"
SARA = "198506102386"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    args = parser.parse_args()
    client = zeep.Client(f"{args.url}/ssbtek?wsdl")
    lefi = {
        "personnummer": SARA,
        "period": {"from": "2025-01-01", "tom": "2026-10-31"},
        "formansinformation": ["FK:SJP"],
        "ovrigInformation": ["FK:GEPI"],
    }
    others = {"inkludera": False}  # only Försäkringskassan's part in this example
    result = client.service.hamtaBastjanstInformation(
        generellaFrageparametrar={
            "korrelationsid": "exempel-1",
            "fraganSkallInkluderasISvaret": False,
            "ingivare": {
                "organisationsnummer": "162120000142",
                "namn": "Testkommunen",
                "handlaggare": "system",
            },
            "personidentitet": SARA,
            "arendeidentitet": "A-1",
            "tidsperiod": {"fromDatum": "2025-01-01", "tomDatum": "2026-10-31"},
            "syfte": "Beslut om ekonomiskt bistånd",
            "lagtext": "11 kap. 11 a § socialtjänstlagen",
        },
        specifikaFrageparametrar={
            "FK": {
                "inkludera": True,
                "fraga": {
                    "aktorsid": AKTOR,
                    "version": "v9",
                    "lefiJsonFraga": json.dumps(lefi).encode(),
                },
            },
            "AF": others,
            "CSN": others,
            "SKV": others,
            "SO": others,
            "TNS": others,
            "MIV": others,
        },
    )
    answer = json.loads(result.svarsdata.FK.data.lefiJsonSvar)
    cases = answer.get("formansinformation", {}).get("sjukpenningarende", [])
    print(f"FK's part: {len(cases)} sjukpenning cases, active: {[c['aktivt'] for c in cases]}")
    return 0 if any(c["aktivt"] for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
