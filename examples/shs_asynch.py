"""LEFI Online over SHS 1.2, asynchronous: the question is received (202), and the reply
waits in the delivery service, where it is listed, fetched and acknowledged:

- ``GET  /shs/ds/{orgnr}?corrid=...``         the message list (shs.message-list XML)
- ``GET  /shs/ds/{orgnr}/{tx.id}``             one message (multipart/mixed)
- ``POST /shs/ds/{orgnr}/{tx.id}?action=ack``  acknowledge it

Kronofogdemyndigheten (2021005489) asks about Sara Sjöberg (198506102386).
Run: .venv/bin/python examples/shs_asynch.py [--url URL]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
import xml.etree.ElementTree as ET

import requests
from shs_synch import (
    KRONOFOGDEN,
    LEFI_PRODUCT,
    NS,
    label,
    parse_shs,
    post_shs,
    question,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    args = parser.parse_args()
    tx_id, corr_id = str(uuid.uuid4()), str(uuid.uuid4())
    sent = post_shs(
        args.url,
        label(KRONOFOGDEN, LEFI_PRODUCT, "asynch", tx_id, corr_id),
        question(KRONOFOGDEN),
    )
    print(f"sent {tx_id}: HTTP {sent.status_code}")
    if sent.status_code != 202:
        print(sent.headers.get("X-shs-errorcode"), sent.text[:1000])
        return 1

    outbox = f"{args.url}/shs/ds/{KRONOFOGDEN}"
    deadline = time.monotonic() + 30
    messages: list[ET.Element] = []
    while not messages and time.monotonic() < deadline:  # the reply is made in the background
        listing = requests.get(outbox, params={"corrid": corr_id, "filter": "noack"}, timeout=30)
        listing.raise_for_status()
        messages = ET.fromstring(listing.content).findall("message")
        if not messages:
            time.sleep(0.2)
    if not messages:
        print("no reply in the delivery service")
        return 1
    reply_tx = messages[0].get("tx.id")
    print(f"listed: {reply_tx} ({messages[0].get('sequence-type')}, {messages[0].get('size')} bytes)")

    fetched = requests.get(f"{outbox}/{reply_tx}", timeout=30)
    fetched.raise_for_status()
    reply_label, parts = parse_shs(fetched)
    status = ET.fromstring(parts[0]).findtext(f"{{{NS}}}generelltfalt/{{{NS}}}status/{{{NS}}}kod")
    print(f"fetched: corr.id {reply_label.get('corr.id')}; status {status}")

    ack = requests.post(f"{outbox}/{reply_tx}", params={"action": "ack"}, timeout=30)
    print(f"acknowledged: HTTP {ack.status_code}")
    return 0 if status == "0" and reply_label.get("corr.id") == corr_id and ack.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
