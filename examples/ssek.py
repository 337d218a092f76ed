"""LEFI Online over SSEK: a SOAP 1.1 envelope with an ssek:SSEK header (SenderId, ReceiverId, TxId).

Försäkringsbolaget Trygghet AB (5566778899, connected over SSEK) asks about Sara Sjöberg
(198506102386); Försäkringskassan's orgnummer 2021005521 is the receiver.
Run: .venv/bin/python examples/ssek.py [--url URL]
"""

from __future__ import annotations

import argparse
import sys
import uuid
import xml.etree.ElementTree as ET

import requests

NS = "http://schema.forsakringskassan.se/externa_intressenter"
SSEK = "http://schemas.ssek.org/ssek/2006-05-10/"


def envelope(tx_id: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ext="{NS}">
  <soap:Header>
    <ssek:SSEK xmlns:ssek="{SSEK}" soap:mustUnderstand="1">
      <ssek:SenderId ssek:Type="ORGNR">5566778899</ssek:SenderId>
      <ssek:ReceiverId ssek:Type="ORGNR">2021005521</ssek:ReceiverId>
      <ssek:TxId>{tx_id}</ssek:TxId>
    </ssek:SSEK>
  </soap:Header>
  <soap:Body>
    <ext:FK.Online.Fraga>
      <ext:generelltfalt>
        <ext:organisationsnummer>5566778899</ext:organisationsnummer>
        <ext:versionsnummer>6</ext:versionsnummer>
      </ext:generelltfalt>
      <ext:informationsfalt>
        <ext:person>
          <ext:personnummer>198506102386</ext:personnummer>
          <ext:fromdatum>2025-01-01</ext:fromdatum>
          <ext:tomdatum>2026-10-31</ext:tomdatum>
          <ext:formansforteckning><ext:sjukpenning>true</ext:sjukpenning></ext:formansforteckning>
        </ext:person>
      </ext:informationsfalt>
    </ext:FK.Online.Fraga>
  </soap:Body>
</soap:Envelope>""".encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    args = parser.parse_args()
    tx_id = str(uuid.uuid4())
    response = requests.post(
        f"{args.url}/ssek/FK.EXA.Lefi.Fraga",
        data=envelope(tx_id),
        timeout=30,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
    )
    print(f"HTTP {response.status_code}")
    if response.status_code != 200:
        print(response.text)
        return 1
    root = ET.fromstring(response.content)
    echoed = root.findtext(f".//{{{SSEK}}}SSEK/{{{SSEK}}}TxId")
    status = root.findtext(f".//{{{NS}}}FK.Online.Svar/{{{NS}}}generelltfalt/{{{NS}}}status/{{{NS}}}kod")
    print(f"TxId {echoed}; status {status}")
    return 0 if status == "0" and echoed == tx_id else 1


if __name__ == "__main__":
    sys.exit(main())
