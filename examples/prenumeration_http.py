"""LEFI Prenumeration over HTTP: an order file in, the answer file out.

Försäkringsbolaget Trygghet AB (5566778899) orders sjukpenning, utbetalning and general
person information for Sara Sjöberg (198506102386):

- ``POST /prenumeration/{orgnr}/bestallningar?filnamn=...`` the order file (text/xml): 202
  with a receipt saying the day it is taken in and when it is answered;
- ``GET  /prenumeration/{orgnr}/svar`` the answer files, ``GET .../svar/{name}`` one file.

FK answers the next morning at 07:00 (the sandbox's clock). So that the example does not
wait for a night, it asks the admin API to run the batch now (``POST
/_admin/prenumeration/batch``), as a QA engineer would; with the admin API's token
(``--admin-token``, ``LEFI_ADMIN_TOKEN``) when the sandbox requires one. Moving the clock
(``PUT /_admin/clock``) to 07:00 the next day does the same.
Run: .venv/bin/python examples/prenumeration_http.py [--url URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import xml.etree.ElementTree as ET

import requests

NS = "http://schema.forsakringskassan.se/externa_intressenter"
ORG = "5566778899"
SARA = "198506102386"
ORDER = f"""<?xml version="1.0" encoding="UTF-8"?>
<ext:FK.Prenumeration.Bestallning xmlns:ext="{NS}" version="2.0.4">
  <ext:organisationsnummer>{ORG}</ext:organisationsnummer>
  <ext:nyPrenumeration>
    <ext:person><ext:personnummer>{SARA}</ext:personnummer>
      <ext:forman><ext:namn>sjukpenning</ext:namn><ext:fromdatum>2024-01-01</ext:fromdatum></ext:forman>
      <ext:forman><ext:namn>utbetalning</ext:namn><ext:fromdatum>2025-01-01</ext:fromdatum></ext:forman>
      <ext:forman><ext:namn>generellPersonInformation</ext:namn><ext:fromdatum>2024-01-01</ext:fromdatum></ext:forman>
    </ext:person>
  </ext:nyPrenumeration>
</ext:FK.Prenumeration.Bestallning>""".encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    parser.add_argument(
        "--admin-token",
        default=os.environ.get("LEFI_ADMIN_TOKEN"),
        help="the admin API's token, if the sandbox requires one (default $LEFI_ADMIN_TOKEN)",
    )
    args = parser.parse_args()
    base = f"{args.url}/prenumeration/{ORG}"
    files_before = {f["namn"] for f in requests.get(f"{base}/svar", timeout=30).json()["filer"]}
    receipt = requests.post(
        f"{base}/bestallningar",
        params={"filnamn": "bestallning.xml"},
        data=ORDER,
        headers={"Content-Type": "text/xml"},
        timeout=30,
    )
    print(f"order: HTTP {receipt.status_code} {receipt.text}")
    if receipt.status_code != 202:
        return 1
    headers = {"Authorization": f"Bearer {args.admin_token}"} if args.admin_token else {}
    batch = requests.post(f"{args.url}/_admin/prenumeration/batch", headers=headers, timeout=60)
    print(f"batch (admin API): HTTP {batch.status_code} {batch.text}")
    batch.raise_for_status()
    new = sorted({f["namn"] for f in requests.get(f"{base}/svar", timeout=30).json()["filer"]} - files_before)
    answers = [name for name in new if name.startswith("LEFI-PREN-")]
    if not answers:
        print(f"no new answer file (new files: {new})")
        return 1
    root = ET.fromstring(requests.get(f"{base}/svar/{answers[-1]}", timeout=30).content)
    records = [p for p in root.findall(f"{{{NS}}}person") if p.findtext(f"{{{NS}}}personnummer") == SARA]
    kinds = [r.findtext(f"{{{NS}}}leveranstyp") for r in records]
    print(
        f"answer file {answers[-1]}: {root.findtext(f'{{{NS}}}slutpost/{{{NS}}}antalPoster')} records; "
        f"{SARA}: {kinds}"
    )
    return 0 if root.find(f"{{{NS}}}slutpost") is not None else 1


if __name__ == "__main__":
    sys.exit(main())
