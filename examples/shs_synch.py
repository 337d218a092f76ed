"""LEFI Online over SHS 1.2, synchronous: a multipart/mixed message (the shs.label, then the
question as a data part) POSTed to /mt; the reply is an SHS message too.

Kronofogdemyndigheten (2021005489) holds an SHS agreement for LEFI Online's product
045a177d-ca3d-4a66-b222-a7e0ebbaf0b9 and asks about Sara Sjöberg (198506102386).
Run: .venv/bin/python examples/shs_synch.py [--url URL]
(shs_asynch.py and massfraga_shs.py use the functions of this file.)
"""

from __future__ import annotations

import argparse
import email.policy
import sys
import uuid
import xml.etree.ElementTree as ET
from email.message import EmailMessage
from email.parser import BytesParser

import requests

NS = "http://schema.forsakringskassan.se/externa_intressenter"
FK = "2021005521"  # Försäkringskassan, the receiver
KRONOFOGDEN = "2021005489"
LEFI_PRODUCT = "045a177d-ca3d-4a66-b222-a7e0ebbaf0b9"
POLICY = email.policy.SMTP.clone(linesep="\r\n")  # MIME as on the wire: CRLF lines


def question(org: str, personnummer: str = "198506102386") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ext:FK.Online.Fraga xmlns:ext="{NS}">
  <ext:generelltfalt>
    <ext:organisationsnummer>{org}</ext:organisationsnummer>
    <ext:versionsnummer>6</ext:versionsnummer>
  </ext:generelltfalt>
  <ext:informationsfalt>
    <ext:person>
      <ext:personnummer>{personnummer}</ext:personnummer>
      <ext:fromdatum>2025-01-01</ext:fromdatum>
      <ext:tomdatum>2026-10-31</ext:tomdatum>
      <ext:formansforteckning><ext:sjukpenning>true</ext:sjukpenning></ext:formansforteckning>
    </ext:person>
  </ext:informationsfalt>
</ext:FK.Online.Fraga>""".encode()


def label(sender: str, product: str, transfer_type: str, tx_id: str, corr_id: str) -> bytes:
    """An shs.label 1.2 (without a DOCTYPE line: the sandbox refuses DTDs)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<shs.label version="1.2" tx.id="{tx_id}" corr.id="{corr_id}" transfer-type="{transfer_type}"
 message-type="simple" document-type="simple" sequence-type="request" status="test">
  <from commonName="Partner">urn:X-shs:{sender}</from>
  <to>urn:X-shs:{FK}</to>
  <product>urn:X-shs:{product}</product>
  <datetime>2026-11-02T09:00:00</datetime>
  <content content.id="{uuid.uuid4()}"><data datapartType="fraga" filename="fraga.xml"/></content>
</shs.label>""".encode()


def post_shs(url: str, shs_label: bytes, data: bytes) -> requests.Response:
    """POST a multipart/mixed SHS message to /mt: the label first, then one data part."""
    message = EmailMessage(policy=POLICY)
    message["MIME-Version"] = "1.0"
    message.set_type("multipart/mixed")
    label_part = EmailMessage(policy=POLICY)
    label_part.set_content(
        shs_label, maintype="text", subtype="xml", cte="binary", params={"charset": "UTF-8"}
    )
    message.attach(label_part)
    data_part = EmailMessage(policy=POLICY)
    data_part.set_content(
        data,
        maintype="text",
        subtype="xml",
        cte="binary",
        params={"charset": "UTF-8"},
        filename="fraga.xml",
        disposition="attachment",
    )
    message.attach(data_part)
    raw = message.as_bytes(policy=POLICY)
    head, _, body = raw.partition(b"\r\n\r\n")
    content_type = next(
        line.split(b":", 1)[1].strip().decode()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-type:")
    )
    return requests.post(f"{url}/mt", data=body, headers={"Content-Type": content_type}, timeout=30)


def parse_shs(response: requests.Response) -> tuple[ET.Element, list[bytes]]:
    """The label and the data parts of an SHS message that came back."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {response.headers['Content-Type']}\r\n\r\n".encode() + response.content
    )
    parts = [bytes(p.get_payload(decode=True)) for p in message.iter_parts()]
    return ET.fromstring(parts[0]), parts[1:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    args = parser.parse_args()
    response = post_shs(
        args.url,
        label(KRONOFOGDEN, LEFI_PRODUCT, "synch", str(uuid.uuid4()), str(uuid.uuid4())),
        question(KRONOFOGDEN),
    )
    print(f"HTTP {response.status_code}")
    if response.status_code != 200:
        print(response.headers.get("X-shs-errorcode"), response.text[:1000])
        return 1
    reply_label, parts = parse_shs(response)
    svar = ET.fromstring(parts[0])
    status = svar.findtext(f"{{{NS}}}generelltfalt/{{{NS}}}status/{{{NS}}}kod")
    print(f"reply {reply_label.get('tx.id')} ({reply_label.get('sequence-type')}); status {status}")
    return 0 if status == "0" and reply_label.get("sequence-type") == "reply" else 1


if __name__ == "__main__":
    sys.exit(main())
