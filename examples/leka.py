"""LEKA over WS with zeep: register, check and deregister subscriptions, and fetch the
notifications (aviseringar) the simulator clock has brought. zeep is built from the WSDL
the sandbox serves at /leka/ws?wsdl (/leka/ssek takes the same with an ssek:SSEK header).

Testkommunen (2120000142) subscribes to Sara Sjöberg (198506102386) and to 198506102387,
a number with a wrong check digit (status 11). Notifications come as the clock passes the changes of a
scenario's timeline; the default scenario has none, so the list is empty here (move the
clock with the admin API on a scenario with a timeline to see some).
Run: .venv/bin/python examples/leka.py [--url URL]
"""

from __future__ import annotations

import argparse
import sys

import zeep

ORG = "2120000142"
SARA, WRONG = "198506102386", "198506102387"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    args = parser.parse_args()
    leka = zeep.Client(f"{args.url}/leka/ws?wsdl").service
    registered = leka.RegistreraPrenumeration(organisationsnummer=ORG, personnummer=[SARA, WRONG])
    statuses = {p.personnummer: p.status.kod for p in registered.person}
    print(f"RegistreraPrenumeration: status {registered.status.kod}; per person {statuses}")
    checked = leka.KontrolleraPrenumeration(organisationsnummer=ORG, personnummer=[SARA])
    subscribed = {p.personnummer: p.prenumererar for p in checked.person}
    print(f"KontrolleraPrenumeration: {subscribed}")
    notifications = leka.HamtaAviseringar(organisationsnummer=ORG)
    print(f"HamtaAviseringar: status {notifications.status.kod}, {len(notifications.avisering)} aviseringar")
    removed = leka.AvregistreraPrenumeration(organisationsnummer=ORG, personnummer=[SARA])
    removed_statuses = {p.personnummer: p.status.kod for p in removed.person}
    print(f"AvregistreraPrenumeration: {removed_statuses}")
    ok = (
        registered.status.kod == 0
        and statuses == {SARA: 0, WRONG: 11}
        and subscribed == {SARA: True}
        and notifications.status.kod == 0
        and removed_statuses == {SARA: 0}
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
