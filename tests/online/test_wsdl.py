"""Every ``?wsdl`` describes what its address answers.

For every address that answers ``GET <path>?wsdl``, a strict zeep client loads the WSDL the
server serves there and, on every port of it, calls an operation at that address, as a partner
working only from the WSDL would. The list of addresses is checked against the application's
routes, so that an address that starts answering ?wsdl without a call here fails this test.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from lxml import etree
from support.lefi import assert_valid
from support.partner_clients import SOAP11, SOAP12, SSEK_NS, ssek_header
from support.server import DEFAULT_SCENARIO, NS, Server, running
from zeep.wsdl.bindings import Soap12Binding

from simulator.scenario.loader import load_scenario
from simulator.server.app import create_app

KOMMUN = "2120000142"  # over WS; agreement: every benefit
INSURER = "5566778899"  # over SSEK
SARA = "198506102386"
FATIMA = "198803182388"
STRICT = zeep.Settings(strict=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(tmp_path_factory.mktemp("wsdl"), "--freeze-clock") as srv:
        yield srv


def _header(xml: str, soap: str = SOAP11) -> etree._Element:
    """An SSEK header block (its mustUnderstand in the envelope's namespace ``soap``)."""
    return etree.fromstring(f'<wrap xmlns:soap="{soap}">{xml}</wrap>')[0]


def _ports(url: str) -> list[tuple[Any, str]]:
    """A strict zeep client's service proxy for every port of the WSDL served at ``url``,
    with the port's SOAP envelope namespace."""
    client = zeep.Client(url + "?wsdl", settings=STRICT)
    proxies = []
    for service in client.wsdl.services.values():
        for port in service.ports.values():
            assert port.binding_options["address"] == url, "the WSDL names another address"
            soap = SOAP12 if isinstance(port.binding, Soap12Binding) else SOAP11
            proxies.append((client.bind(service.name, port.name), soap))
    assert proxies
    return proxies


def _svar(result: Any) -> None:
    """zeep's FK.Online.Svar: an OK answer (status 0) with the asked benefit delivered."""
    assert result.generelltfalt.status.kod == 0
    assert result.informationsfalt.person.formansforteckning.sjukpenning is True


def _ask_online(service: Any, org: str, **kwargs: Any) -> Any:
    return service.HamtaFormansinformation(
        generelltfalt={"organisationsnummer": org, "versionsnummer": "6"},
        informationsfalt={
            "person": {
                "personnummer": SARA,
                "fromdatum": "2025-01-01",
                "tomdatum": "2026-10-31",
                "formansforteckning": {"sjukpenning": True},
            }
        },
        **kwargs,
    )


def call_ws(url: str) -> None:
    for service, _ in _ports(url):
        _svar(_ask_online(service, KOMMUN))


def call_v4(url: str) -> None:
    """The V4 address answers its operation with the WSDL's TeknisktFel: V4 is closed."""
    ssek = "/ssek/" in url
    for service, soap in _ports(url):
        with pytest.raises(zeep.exceptions.Fault) as raised:
            headers = [_header(ssek_header(INSURER, soap=soap), soap)] if ssek else None
            _ask_online(service, INSURER if ssek else KOMMUN, _soapheaders=headers)
        detail = raised.value.detail
        assert detail is not None
        assert detail.findtext(f".//{{{NS}}}TeknisktFel/{{{NS}}}kod") == "VERSIONEN_STODS_EJ"


def call_ssek(url: str) -> None:
    for service, soap in _ports(url):
        _svar(_ask_online(service, INSURER, _soapheaders=[_header(ssek_header(INSURER, soap=soap), soap)]))


def call_massfraga(url: str) -> None:
    """Submit, pull until answered, acknowledge; then the TxId is spent."""
    for service, soap in _ports(url):
        tx_id = str(uuid.uuid4())
        pull = [_header(_pull(tx_id, soap), soap)]
        receipt = service.StallMassfraga(
            generelltfalt={"organisationsnummer": INSURER, "versionsnummer": "6"},
            informationsfalt={
                "personer": {"personnummer": [SARA, FATIMA]},
                "fromdatum": "2025-01-01",
                "tomdatum": "2026-10-31",
                "formansforteckning": {"sjukpenning": True, "utbetalning": True},
            },
            _soapheaders=pull,
        )
        assert receipt.antalPersoner == 2 and receipt.jobbId > 0
        deadline = time.monotonic() + 30
        while True:
            try:
                answers = service.HamtaMassfragesvar(_soapheaders=pull)
                break
            except zeep.exceptions.Fault as fault:
                assert "NoResultAvailable" in _fault_code(fault), fault.message
                assert time.monotonic() < deadline, "the massfråga was not answered in 30 s"
                time.sleep(0.2)
        assert answers.jobbId == receipt.jobbId
        assert sorted(a.personnummer for a in answers.personsvar) == sorted([SARA, FATIMA])
        acknowledged = service.HamtaMassfragesvar(kvittera=True, _soapheaders=pull)
        assert len(acknowledged.personsvar) == 2
        with pytest.raises(zeep.exceptions.Fault) as raised:
            service.HamtaMassfragesvar(_soapheaders=pull)
        assert "TxIdUnknown" in _fault_code(raised.value)


def _pull(tx_id: str, soap: str) -> str:
    return ssek_header(INSURER, tx_id=tx_id, soap=soap).replace(
        "<ssek:SSEK ", '<ssek:SSEK AsynchMethod="AsynchPull" ', 1
    )


def _fault_code(fault: zeep.exceptions.Fault) -> str:
    """The SSEK fault code: the faultcode (SOAP 1.1) or the Subcode (SOAP 1.2)."""
    text = f"{fault.code} {fault.subcodes or ''}"
    if fault.detail is not None:
        text += " " + etree.tostring(fault.detail, encoding="unicode")
    return text


def call_leka(url: str) -> None:
    ssek = url.endswith("/ssek")
    org = INSURER if ssek else KOMMUN  # each connected over that transport
    for service, soap in _ports(url):
        headers = [_header(ssek_header(org, soap=soap), soap)] if ssek else None
        reply = service.KontrolleraPrenumeration(
            organisationsnummer=org, personnummer=[SARA], _soapheaders=headers
        )
        assert reply.status.kod == 0, reply
        assert [p.personnummer for p in reply.person] == [SARA]


def call_ssbtek(url: str) -> None:
    for service, _ in _ports(url):
        assert service.testaBastjanstInformation().FK.anropad is True


ADDRESSES: dict[str, Callable[[str], None]] = {
    "/ws": call_ws,
    "/ws/FK.EXA.Lefi.Fraga": call_ws,
    "/shs2": call_ws,
    "/ws/FK.EXA.Lefi.FragaV4": call_v4,
    "/ssek/FK.EXA.Lefi.Fraga": call_ssek,
    "/ssek/FK.EXA.Lefi.FragaV4": call_v4,
    "/ssek/FK.EXA.Lefi.Massfraga": call_massfraga,
    "/leka/ws": call_leka,
    "/leka/ssek": call_leka,
    "/ssbtek": call_ssbtek,
}


@pytest.mark.parametrize("path", sorted(ADDRESSES))
def test_the_wsdl_loads_strictly_and_its_operations_answer_there(server: Server, path: str) -> None:
    ADDRESSES[path](server.url + path)


def test_every_address_that_answers_wsdl_is_called_above(server: Server, tmp_path: Path) -> None:
    app = create_app(load_scenario(DEFAULT_SCENARIO), data_dir=tmp_path)  # only read for its routes
    paths = {
        r.canonical
        for r in app.router.resources()
        if "{" not in r.canonical and any(route.method == "GET" for route in r)
    }
    answering = set()
    for path in sorted(paths):
        r = requests.get(f"{server.url}{path}?wsdl", timeout=10)
        if r.ok and b"schemas.xmlsoap.org/wsdl/" in r.content[:2000]:
            answering.add(path)
    assert answering == set(ADDRESSES)


def test_the_massfraga_wsdl_is_no_longer_the_onlinefragas(server: Server) -> None:
    wsdl = requests.get(f"{server.url}/ssek/FK.EXA.Lefi.Massfraga?wsdl", timeout=10).text
    assert "HamtaFormansinformation" not in wsdl
    assert "FK.Massfraga.Fraga" in wsdl and "FK.Massfraga.Hamta" in wsdl


def test_answers_through_the_massfraga_wsdl_validate(server: Server) -> None:
    """The persons' answers zeep receives are FK.Online.Svar as the onlinefråga's XSD says."""
    history = zeep.plugins.HistoryPlugin()
    client = zeep.Client(f"{server.url}/ssek/FK.EXA.Lefi.Massfraga?wsdl", settings=STRICT, plugins=[history])
    tx_id = str(uuid.uuid4())
    pull = [_header(_pull(tx_id, SOAP11))]
    client.service.StallMassfraga(
        generelltfalt={"organisationsnummer": INSURER, "versionsnummer": "6"},
        informationsfalt={
            "personer": {"personnummer": [SARA]},
            "fromdatum": "2025-01-01",
            "tomdatum": "2026-10-31",
        },
        _soapheaders=pull,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            client.service.HamtaMassfragesvar(kvittera=True, _soapheaders=pull)
            break
        except zeep.exceptions.Fault:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    svar = history.last_received["envelope"].findall(f".//{{{NS}}}FK.Online.Svar")
    assert len(svar) == 1
    assert_valid(svar[0])
    assert history.last_sent["envelope"].find(f".//{{{SSEK_NS}}}SSEK") is not None
