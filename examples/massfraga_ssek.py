"""Massfråga over SSEK AsynchPull: the question (FK.Massfraga.Fraga) is received with a
receipt (FK.Massfraga.Kvittens); the answer is pulled with FK.Massfraga.Hamta under the same
TxId (a NoResultAvailable fault until it is ready), and acknowledged with kvittera=true.

Försäkringsbolaget Trygghet AB (5566778899) asks about Sara Sjöberg (198506102386) and Maja
(198202042399, not in FK's register: status 3).
Run: .venv/bin/python examples/massfraga_ssek.py [--url URL]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
import xml.etree.ElementTree as ET

import requests

NS = "http://schema.forsakringskassan.se/externa_intressenter"
SSEK = "http://schemas.ssek.org/ssek/2006-05-10/"
PATH = "/ssek/FK.EXA.Lefi.Massfraga"
PERSONS = ["198506102386", "198202042399"]
FRAGA = f"""<ext:FK.Massfraga.Fraga xmlns:ext="{NS}">
  <ext:generelltfalt>
    <ext:organisationsnummer>5566778899</ext:organisationsnummer>
    <ext:versionsnummer>6</ext:versionsnummer>
  </ext:generelltfalt>
  <ext:informationsfalt>
    <ext:personer>{"".join(f"<ext:personnummer>{p}</ext:personnummer>" for p in PERSONS)}</ext:personer>
    <ext:fromdatum>2025-01-01</ext:fromdatum>
    <ext:tomdatum>2026-10-31</ext:tomdatum>
    <ext:formansforteckning><ext:sjukpenning>true</ext:sjukpenning></ext:formansforteckning>
  </ext:informationsfalt>
</ext:FK.Massfraga.Fraga>"""
HAMTA = f'<ext:FK.Massfraga.Hamta xmlns:ext="{NS}"/>'
KVITTERA = (
    f'<ext:FK.Massfraga.Hamta xmlns:ext="{NS}"><ext:kvittera>true</ext:kvittera></ext:FK.Massfraga.Hamta>'
)


def post(url: str, body: str, tx_id: str) -> requests.Response:
    """One SSEK AsynchPull request (the TxId ties the question and its pulls together)."""
    envelope = f"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Header>
    <ssek:SSEK xmlns:ssek="{SSEK}" soap:mustUnderstand="1" AsynchMethod="AsynchPull">
      <ssek:SenderId ssek:Type="ORGNR">5566778899</ssek:SenderId>
      <ssek:ReceiverId ssek:Type="ORGNR">2021005521</ssek:ReceiverId>
      <ssek:TxId>{tx_id}</ssek:TxId>
    </ssek:SSEK>
  </soap:Header>
  <soap:Body>{body}</soap:Body>
</soap:Envelope>"""
    return requests.post(
        url + PATH,
        data=envelope.encode("utf-8"),
        timeout=30,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    args = parser.parse_args()
    tx_id = str(uuid.uuid4())
    sent = post(args.url, FRAGA, tx_id)
    receipt = ET.fromstring(sent.content).find(f".//{{{NS}}}FK.Massfraga.Kvittens")
    if sent.status_code != 200 or receipt is None:
        print(f"HTTP {sent.status_code}: {sent.text[:1000]}")
        return 1
    print(
        f"received: job {receipt.findtext(f'{{{NS}}}jobbId')}, "
        f"{receipt.findtext(f'{{{NS}}}antalPersoner')} persons"
    )
    deadline = time.monotonic() + 60
    while (pulled := post(args.url, HAMTA, tx_id)).status_code != 200:
        if b"NoResultAvailable" not in pulled.content or time.monotonic() > deadline:
            print(f"HTTP {pulled.status_code}: {pulled.text[:1000]}")
            return 1
        time.sleep(0.2)  # NoResultAvailable: not ready yet, pull again
    svar = ET.fromstring(pulled.content).find(f".//{{{NS}}}FK.Massfraga.Svar")
    if svar is None:
        print(f"no FK.Massfraga.Svar: {pulled.text[:1000]}")
        return 1
    codes = {
        p.findtext(f"{{{NS}}}personnummer"): p.findtext(f".//{{{NS}}}status/{{{NS}}}kod")
        for p in svar.findall(f"{{{NS}}}personsvar")
    }
    for number, code in codes.items():
        print(f"  {number}: status {code}")
    acknowledged = post(args.url, KVITTERA, tx_id)
    print(f"acknowledged: HTTP {acknowledged.status_code}")
    return 0 if codes == {"198506102386": "0", "198202042399": "3"} and acknowledged.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
