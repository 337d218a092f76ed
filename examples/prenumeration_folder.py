"""LEFI Prenumeration over the file drop: an order file dropped in the organisation's in/
folder, the answer file picked up from its out/ folder.

The sandbox keeps one folder per organisation under its file drop (``lefi-sim serve
--prenumeration-dir DIR``, default ``data/prenumeration``): ``DIR/<orgnummer>/in`` and
``DIR/<orgnummer>/out``; pass that DIR as ``--folder``. Pensionsmyndigheten (2021005299)
orders pension and general person information for Klara (193602199188), a pensioner. The sandbox takes the file in within a
second (it leaves in/); FK answers the next morning at 07:00 by the sandbox's clock, so the
example then asks the admin API to run the batch now (``POST /_admin/prenumeration/batch``),
as a QA engineer would, and waits for the answer file in out/.
Run: .venv/bin/python examples/prenumeration_folder.py --folder data/prenumeration [--url URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import requests

NS = "http://schema.forsakringskassan.se/externa_intressenter"
ORG = "2021005299"
KLARA = "193602199188"
ORDER = f"""<?xml version="1.0" encoding="UTF-8"?>
<ext:FK.Prenumeration.Bestallning xmlns:ext="{NS}" version="2.0.4">
  <ext:organisationsnummer>{ORG}</ext:organisationsnummer>
  <ext:nyPrenumeration>
    <ext:person><ext:personnummer>{KLARA}</ext:personnummer>
      <ext:forman><ext:namn>pension</ext:namn><ext:fromdatum>2024-01-01</ext:fromdatum></ext:forman>
      <ext:forman><ext:namn>generellPersonInformation</ext:namn><ext:fromdatum>2024-01-01</ext:fromdatum></ext:forman>
    </ext:person>
  </ext:nyPrenumeration>
</ext:FK.Prenumeration.Bestallning>""".encode()


def wait_until(done: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    parser.add_argument(
        "--folder",
        type=Path,
        default=Path("data/prenumeration"),
        help="the sandbox's file drop, its --prenumeration-dir (default %(default)s)",
    )
    parser.add_argument(
        "--admin-token",
        default=os.environ.get("LEFI_ADMIN_TOKEN"),
        help="the admin API's token, if the sandbox requires one (default $LEFI_ADMIN_TOKEN)",
    )
    args = parser.parse_args()
    inbox, outbox = args.folder / ORG / "in", args.folder / ORG / "out"
    if not inbox.is_dir():
        print(f"{inbox}: no such folder; is --folder the sandbox's --prenumeration-dir?")
        return 1
    before = {p.name for p in outbox.iterdir()}
    dropped = inbox / f"bestallning-{uuid.uuid4().hex[:8]}.xml"
    # written under a dot name (which the sandbox skips), then renamed: never read half-written
    partial = inbox / f".{dropped.name}.part"
    partial.write_bytes(ORDER)
    partial.rename(dropped)
    print(f"dropped {dropped}")
    if not wait_until(lambda: not dropped.exists(), 20):
        print("the sandbox did not take the file in")
        return 1
    refused = [p for p in outbox.iterdir() if p.name.startswith(f"FEL-{dropped.stem}")]
    if refused:  # an order the sandbox refuses is answered with an error file naming line and reason
        print(f"refused: {refused[0].read_text(encoding='utf-8')}")
        return 1
    print("taken in")
    headers = {"Authorization": f"Bearer {args.admin_token}"} if args.admin_token else {}
    batch = requests.post(f"{args.url}/_admin/prenumeration/batch", headers=headers, timeout=60)
    print(f"batch (admin API): HTTP {batch.status_code} {batch.text}")
    batch.raise_for_status()

    def new_answers() -> list[Path]:
        return sorted(p for p in outbox.iterdir() if p.name not in before and p.name.startswith("LEFI-PREN-"))

    if not wait_until(lambda: bool(new_answers()), 20):
        print(f"no answer file in {outbox}: {sorted(p.name for p in outbox.iterdir())}")
        return 1
    answer = new_answers()[-1]
    root = ET.fromstring(answer.read_bytes())
    records = [p for p in root.findall(f"{{{NS}}}person") if p.findtext(f"{{{NS}}}personnummer") == KLARA]
    print(
        f"answer file {answer}: {root.findtext(f'{{{NS}}}slutpost/{{{NS}}}antalPoster')} records; "
        f"{KLARA}: {[r.findtext(f'{{{NS}}}leveranstyp') for r in records]}"
    )
    return 0 if root.find(f"{{{NS}}}slutpost") is not None else 1


if __name__ == "__main__":
    sys.exit(main())
