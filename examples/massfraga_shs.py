"""Massfråga over SHS asynch: many persons in one SHS message to /mt (product
6d3f0a52-8c1e-4f7b-9a2d-5b4e1c7f0a93); the reply (FK.Massfraga.Svar) waits in the delivery
service, where it is listed, fetched and acknowledged as in shs_asynch.py.

Kronofogdemyndigheten (2021005489) asks about Sara Sjöberg (198506102386) and Maja
(198202042399, not in FK's register: status 3).
Run: .venv/bin/python examples/massfraga_shs.py [--url URL]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
import xml.etree.ElementTree as ET

import requests
from shs_synch import KRONOFOGDEN, NS, label, parse_shs, post_shs

MASSFRAGA_PRODUCT = "6d3f0a52-8c1e-4f7b-9a2d-5b4e1c7f0a93"
PERSONS = ["198506102386", "198202042399"]
FRAGA = f"""<?xml version="1.0" encoding="UTF-8"?>
<ext:FK.Massfraga.Fraga xmlns:ext="{NS}">
  <ext:generelltfalt>
    <ext:organisationsnummer>{KRONOFOGDEN}</ext:organisationsnummer>
    <ext:versionsnummer>6</ext:versionsnummer>
  </ext:generelltfalt>
  <ext:informationsfalt>
    <ext:personer>{"".join(f"<ext:personnummer>{p}</ext:personnummer>" for p in PERSONS)}</ext:personer>
    <ext:fromdatum>2025-01-01</ext:fromdatum>
    <ext:tomdatum>2026-10-31</ext:tomdatum>
    <ext:formansforteckning><ext:sjukpenning>true</ext:sjukpenning></ext:formansforteckning>
  </ext:informationsfalt>
</ext:FK.Massfraga.Fraga>""".encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    args = parser.parse_args()
    tx_id, corr_id = str(uuid.uuid4()), str(uuid.uuid4())
    sent = post_shs(args.url, label(KRONOFOGDEN, MASSFRAGA_PRODUCT, "asynch", tx_id, corr_id), FRAGA)
    print(f"sent {tx_id}: HTTP {sent.status_code}")
    if sent.status_code != 202:
        print(sent.headers.get("X-shs-errorcode"), sent.text[:1000])
        return 1
    outbox = f"{args.url}/shs/ds/{KRONOFOGDEN}"
    deadline = time.monotonic() + 60
    messages: list[ET.Element] = []
    while not messages and time.monotonic() < deadline:  # the job runs in the background
        listing = requests.get(
            outbox,
            params={"corrid": corr_id, "producttype": MASSFRAGA_PRODUCT},
            timeout=30,
        )
        listing.raise_for_status()
        messages = ET.fromstring(listing.content).findall("message")
        if not messages:
            time.sleep(0.2)
    if not messages:
        print("no reply in the delivery service")
        return 1
    reply_tx = messages[0].get("tx.id")
    _, parts = parse_shs(requests.get(f"{outbox}/{reply_tx}", timeout=30))
    svar = ET.fromstring(parts[0])
    codes = {
        p.findtext(f"{{{NS}}}personnummer"): p.findtext(f".//{{{NS}}}status/{{{NS}}}kod")
        for p in svar.findall(f"{{{NS}}}personsvar")
    }
    print(f"fetched {reply_tx}: {svar.tag.rpartition('}')[2]}")
    for number, code in codes.items():
        print(f"  {number}: status {code}")
    ack = requests.post(f"{outbox}/{reply_tx}", params={"action": "ack"}, timeout=30)
    print(f"acknowledged: HTTP {ack.status_code}")
    return 0 if codes == {"198506102386": "0", "198202042399": "3"} and ack.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
