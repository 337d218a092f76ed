"""LEFI Online over WS with zeep: the client is built from the WSDL the sandbox serves.

Testkommunen (2120000142) asks about Sara Sjöberg (198506102386): sjukpenning and her
general person information. Run: .venv/bin/python examples/ws_zeep.py [--url URL]
"""

from __future__ import annotations

import argparse
import sys

import zeep


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    args = parser.parse_args()
    client = zeep.Client(f"{args.url}/ws/FK.EXA.Lefi.Fraga?wsdl")
    svar = client.service.HamtaFormansinformation(
        generelltfalt={"organisationsnummer": "2120000142", "versionsnummer": "6"},
        informationsfalt={
            "person": {
                "personnummer": "198506102386",
                "fromdatum": "2025-01-01",
                "tomdatum": "2026-10-31",
                "formansforteckning": {
                    "sjukpenning": True,
                    "generellPersonInformation": True,
                },
            }
        },
    )
    status = svar.generelltfalt.status
    print(f"status {status.kod} {status.beskrivning}")
    person = svar.informationsfalt.person
    delivered = person.formansforteckning.sjukpenning
    print(f"personnummer {person.personuppgifter.personnummer}; sjukpenning delivered: {delivered}")
    return 0 if status.kod == 0 and delivered else 1


if __name__ == "__main__":
    sys.exit(main())
