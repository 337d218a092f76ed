"""A scenario with many partner organisations, for load profiles of many partners at once.

    .venv/bin/python loadtests/partners.py --count 200 --out /tmp/partners.yaml

The default scenario's persons and organisations, plus ``count`` municipalities
(2129NNNNNC, valid orgnummer) connected over WS, SSEK, SHS and REST v9, each with the
agreement ``all`` and an SHS agreement for LEFI Online, and a generated population of
``--persons`` more persons (their numbers from ``population_numbers``, in a CSV beside
the scenario) for the massfråga profile's jobs. The clock runs (the SLA counts in simulator
time) from a Monday 09:00, when every channel is open, massfråga included.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.domain.orgnummer import make_orgnummer
from simulator.domain.personnummer import make_personnummer

LEFI_PRODUCT = "045a177d-ca3d-4a66-b222-a7e0ebbaf0b9"
CLOCK_START = "2026-11-02T09:00:00+01:00"

POPULATION = 1000  # persons the massfråga jobs ask about
__all__ = ["POPULATION", "partner_orgnummer", "population_numbers", "write_scenario"]


def partner_orgnummer(count: int) -> list[str]:
    """The generated partners' orgnummer, in order."""
    return [make_orgnummer(f"2129{i:05d}").value for i in range(count)]


def population_numbers(count: int = POPULATION) -> list[str]:
    """The generated population's personnummer, in order: computed, not read, so that a
    Locust worker on another host knows them. Born 1950-2009 (adults and children), serial
    800-999, which the default scenario's persons do not use."""
    return [
        make_personnummer(date(1950 + i % 60, 1 + i // 60 % 12, 1 + i // 720 % 28), 800 + i // 20160).value
        for i in range(count)
    ]


def write_scenario(count: int, out: Path, persons: int = POPULATION) -> list[str]:
    import yaml  # here: the locustfile imports this module where only Locust is installed

    scenario = yaml.safe_load((ROOT / "scenarios" / "default.yaml").read_text(encoding="utf-8"))
    scenario["name"] = f"load-{count}-partners"
    scenario["clock"] = {"start": CLOCK_START, "frozen": False}
    if persons:
        numbers = out.with_name(out.stem + "-persons.csv")
        numbers.write_text(
            "Testpersonnummer\n" + "\n".join(population_numbers(persons)) + "\n", encoding="utf-8"
        )
        scenario["population"] = {"count": persons, "numbers": numbers.name, "seed": 1}
    partners = partner_orgnummer(count)
    for i, org in enumerate(partners):
        scenario["organisations"].append(
            {
                "orgnummer": org,
                "name": f"Lastkommun {i + 1}",
                "type": "kommun",
                "transports": ["ws", "ssek", "shs", "rest"],
                "agreement": "all",
                "shs_agreements": [{"id": str(uuid.UUID(int=i + 1)), "product": LEFI_PRODUCT}],
            }
        )
    out.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return partners


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument(
        "--persons", type=int, default=POPULATION, help="generated persons for massfråga jobs"
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    write_scenario(args.count, args.out, args.persons)
    print(
        f"{args.out}: {args.count} partner organisations, {args.persons} generated persons", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
