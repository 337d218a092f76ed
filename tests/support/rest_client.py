"""Test helpers for LEFI v9 (REST) and SSBTEK v10: FK's official contracts and a client.

FK's contracts are read from ``../shared/reference`` (never copied into the project);
tests that need them skip with a reason when that folder is absent (CI has it).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "reference"
OFFICIAL_V9 = REFERENCE / "lefi-v9" / "lefi-formansinformation-v9.openapi.yaml"
OFFICIAL_SSBTEK = REFERENCE / "ssbtek-v10"
OWN_V9 = ROOT / "schemas" / "lefi-v9-openapi.yaml"

V9 = "/lefi-extern-formansinformation/v9"
FRAGA = V9 + "/aktorer/{aktorsId}/formansinformation/fraga"
TYPER = V9 + "/aktorer/{aktorsId}/tillgangligaInformationstyper"

KOMMUN_AKTOR = "7c0e5a9e-2120-4142-9a1e-000000000142"  # Testkommunen (2120000142): agreement all
INSURER_AKTOR = "5566778899"  # Försäkringsbolaget Trygghet AB: no aktorsid, its orgnummer serves
SUNDSVALL_AKTOR = "026-51"  # Sundsvalls kommun (2120002411), as in FK's SSBTEK example


def need_reference(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"FK's official contract {path} is not here (../shared/reference is absent; CI has it)")


@cache
def _contract(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def official_v9() -> dict[str, Any]:
    need_reference(OFFICIAL_V9)
    return _contract(OFFICIAL_V9)


def validate_against(
    contract: dict[str, Any], template: str, method: str, response: requests.Response
) -> None:
    """The response's status is one the contract lists for the operation, it is JSON, and
    its body validates against the contract's schema for that status.

    OpenAPI 3.0 schema objects are a JSON Schema draft 4 dialect; the schema is checked
    with the whole document as root, so that its ``#/components/...`` references resolve.
    """
    operation = contract["paths"][template][method.lower()]
    declared = operation["responses"]
    assert str(response.status_code) in declared, (
        f"{method} {template}: status {response.status_code} is not in the contract ({sorted(declared)}): "
        f"{response.text[:300]}"
    )
    assert response.headers.get("Content-Type", "").startswith("application/json"), response.headers
    declared_response = declared[str(response.status_code)]
    if "$ref" in declared_response:  # '#/components/responses/...'
        declared_response = contract["components"]["responses"][declared_response["$ref"].rsplit("/", 1)[1]]
    schema = declared_response["content"]["application/json"]["schema"]
    root = dict(contract)
    root["$ref"] = schema["$ref"] if "$ref" in schema else None
    if root["$ref"] is None:
        root = {**schema, "components": contract["components"]}
    validator = jsonschema.Draft4Validator(root, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def assert_conforms(template: str, method: str, response: requests.Response) -> None:
    """Against FK's official v9 contract (when ../shared is here: CI has it), and against
    the project's own OpenAPI document (always), so that the REST tests run without ../shared."""
    if OFFICIAL_V9.exists():
        validate_against(_contract(OFFICIAL_V9), template, method, response)
    validate_against(_contract(OWN_V9), template, method, response)


@dataclass
class Rest:
    """A plain HTTP client of the v9 REST binding; every answer is checked against the contracts."""

    url: str
    session: requests.Session

    def ask(
        self,
        personnummer: str,
        aktor: str = KOMMUN_AKTOR,
        *,
        period: tuple[str, str] | None = ("2025-01-01", "2026-10-31"),
        **lists: list[str],
    ) -> requests.Response:
        body: dict[str, Any] = {"personnummer": personnummer, **lists}
        if period is not None:
            body["period"] = {"from": period[0], "tom": period[1]}
        return self.post_json(aktor, body)

    def post_json(self, aktor: str, body: Any) -> requests.Response:
        response = self.session.post(self.url + FRAGA.format(aktorsId=aktor), json=body, timeout=30)
        assert_conforms(FRAGA, "post", response)
        return response

    def post_raw(
        self, aktor: str, data: bytes, content_type: str = "application/json", **headers: str
    ) -> requests.Response:
        response = self.session.post(
            self.url + FRAGA.format(aktorsId=aktor),
            data=data,
            timeout=30,
            headers={"Content-Type": content_type, **headers},
        )
        assert_conforms(FRAGA, "post", response)
        return response

    def available(self, aktor: str) -> requests.Response:
        response = self.session.get(self.url + TYPER.format(aktorsId=aktor), timeout=30)
        assert_conforms(TYPER, "get", response)
        return response


# -- SSBTEK v10 -------------------------------------------------------------------------
# FK's XSD imports five other agencies' schemas that are not published with it. A copy of
# FK's two files, unchanged, goes in a temporary folder with stand-ins at the imported
# paths, each declaring the one type FK's XSD uses from it (open content).
_STANDINS = {
    "rsv/zg/bs/service/ws/beskattningws/ZgBsBeskattningWSService_schema.xsd": (
        "http://beskattningws.ws.service.bs.zg.rsv.se/",
        "BeskattningsuppgifterResponseTYPE",
    ),
    "arbetsformedlingen/api/arbetssokande/ersattningsstod/v2/ers_stod.xsd": (
        "http://api.arbetsformedlingen.se/arbetssokande/ersattningsstod/v2",
        "SvarMeddelande",
    ),
    "../schemas/ubpservice/int014/UnemploymentBenefitPaymentService.xsd": (
        "http://INT014.UBPService.Schemas",
        "GetUnemploymentBenefitPaymentResponseType",
    ),
    "transportstyrelsen/schema/ssbtek/hamtauppgifterresponder/_1/HamtaUppgifterResponder_1.0.xsd": (
        "http://schema.transportstyrelsen.se/ssbtek/hamtauppgifterresponder/1",
        "HamtaUppgifterResponseType",
    ),
    "migrationsverket/schema/ssbtek/_1/SSBTEKWebService_schema1.xsd": (
        "http://schema.migrationsverket.se/ssbtek/1/",
        "findByPersonnummerResponse",
    ),
}
_DEPTH = 5  # FK's imports climb five folders ("../../../../../")


def official_ssbtek_dir(tmp: Path) -> Path:
    """A folder where FK's WSDL and XSD load: returns the folder holding the two files."""
    need_reference(OFFICIAL_SSBTEK / "Sammansatt_Bastjanst_v10.wsdl")
    here = tmp.joinpath(*[f"d{i}" for i in range(_DEPTH + 1)])
    here.mkdir(parents=True, exist_ok=True)
    for name in ("Sammansatt_Bastjanst_v10.wsdl", "sammansatt_bastjanst_v10.xsd"):
        shutil.copyfile(OFFICIAL_SSBTEK / name, here / name)
    top = here.parents[_DEPTH - 1]
    for rel, (ns, type_name) in _STANDINS.items():
        path = (top / rel).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{ns}">'
            f'<xs:complexType name="{type_name}"><xs:sequence>'
            f'<xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>'
            f'<xs:anyAttribute processContents="lax"/></xs:complexType></xs:schema>',
            encoding="utf-8",
        )
    return here


def official_ssbtek_schema(folder: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(folder / "sammansatt_bastjanst_v10.xsd"), parser))
