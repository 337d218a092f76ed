"""LEFI Online over WS with nothing but HTTP: a raw SOAP 1.1 envelope POSTed to /ws.

Testkommunen (2120000142) asks about Sara Sjöberg (198506102386), who has an ongoing
sjukpenning case. Run: .venv/bin/python examples/ws_raw.py [--url http://127.0.0.1:8080]
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET

import requests

NS = "http://schema.forsakringskassan.se/externa_intressenter"
ENVELOPE = f"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ext="{NS}">
  <soap:Body>
    <ext:FK.Online.Fraga>
      <ext:generelltfalt>
        <ext:organisationsnummer>2120000142</ext:organisationsnummer>
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
</soap:Envelope>"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8080",
        help="the sandbox (default %(default)s)",
    )
    args = parser.parse_args()
    response = requests.post(
        f"{args.url}/ws",
        data=ENVELOPE.encode("utf-8"),
        timeout=30,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
    )
    print(f"HTTP {response.status_code}")
    if response.status_code != 200:
        print(response.text)
        return 1
    svar = ET.fromstring(response.content).find(f".//{{{NS}}}FK.Online.Svar")
    if svar is None:
        print("no FK.Online.Svar in the answer:", response.text[:500])
        return 1
    status = svar.findtext(f"{{{NS}}}generelltfalt/{{{NS}}}status/{{{NS}}}kod")
    delivered = svar.findtext(f".//{{{NS}}}formansforteckning/{{{NS}}}sjukpenning")
    periods = svar.findall(f".//{{{NS}}}formansinformation/{{{NS}}}sjukpenning//{{{NS}}}period")
    print(f"status {status}; sjukpenning delivered: {delivered}; {len(periods)} periods")
    return 0 if status == "0" and delivered == "true" else 1


if __name__ == "__main__":
    sys.exit(main())
