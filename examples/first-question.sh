#!/bin/sh
# A first question in a minute: the two curl commands that answer on the default scenario.
# Start the sandbox first (make run, or .venv/bin/lefi-sim serve), then: sh examples/first-question.sh [URL]
set -eu
URL="${1:-http://127.0.0.1:8080}"

# 1. LEFI Online over WS: a raw SOAP 1.1 envelope. Testkommunen (2120000142) asks about
#    Sara Sjöberg (198506102386), who has an ongoing sjukpenning case.
curl -sS --fail-with-body "$URL/ws" -H 'Content-Type: text/xml; charset=utf-8' --data-binary @- <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
               xmlns:ext="http://schema.forsakringskassan.se/externa_intressenter">
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
</soap:Envelope>
XML
echo

# 2. LEFI v9 over REST: the same person, JSON. Testkommunen's aktorsId is in the path.
curl -sS --fail-with-body \
  "$URL/lefi-extern-formansinformation/v9/aktorer/7c0e5a9e-2120-4142-9a1e-000000000142/formansinformation/fraga" \
  -H 'Content-Type: application/json' \
  -d '{"personnummer": "198506102386", "period": {"from": "2025-01-01", "tom": "2026-10-31"},
       "formansinformation": ["FK:SJP"], "ovrigInformation": ["FK:GEPI"]}'
echo
