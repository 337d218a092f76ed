"""A scenario with many partner organisations, for load profiles of many partners at once.

    .venv/bin/python loadtests/partners.py --count 200 --out /tmp/partners.yaml

The default scenario's persons and organisations, plus ``count`` municipalities
(2129NNNNNC, valid orgnummer) connected over WS, SSEK, SHS and REST v9, each with the
agreement ``all`` and an SHS agreement for LEFI Online. The clock runs (the SLA counts in
simulator time) from a Monday 09:00, when every channel is open.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.orgnummer import make_orgnummer  # noqa: E402

LEFI_PRODUCT = "045a177d-ca3d-4a66-b222-a7e0ebbaf0b9"
CLOCK_START = "2026-11-02T09:00:00+01:00"

__all__ = ["partner_orgnummer", "write_scenario"]


def partner_orgnummer(count: int) -> list[str]:
    """The generated partners' orgnummer, in order."""
    return [make_orgnummer(f"2129{i:05d}").value for i in range(count)]


def write_scenario(count: int, out: Path) -> list[str]:
    import yaml  # here: the locustfile imports this module where only Locust is installed

    scenario = yaml.safe_load((ROOT / "scenarios" / "default.yaml").read_text(encoding="utf-8"))
    scenario["name"] = f"load-{count}-partners"
    scenario["clock"] = {"start": CLOCK_START, "frozen": False}
    partners = partner_orgnummer(count)
    for i, org in enumerate(partners):
        scenario["organisations"].append({
            "orgnummer": org, "name": f"Lastkommun {i + 1}", "type": "kommun",
            "transports": ["ws", "ssek", "shs", "rest"], "agreement": "all",
            "shs_agreements": [{"id": str(uuid.UUID(int=i + 1)), "product": LEFI_PRODUCT}]})
    out.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return partners


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    write_scenario(args.count, args.out)
    print(f"{args.out}: {args.count} partner organisations", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
