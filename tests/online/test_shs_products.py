"""SHS product types are registered per app (the service registry), not in a module global:
two apps in one process keep their own, and /mt of each app answers by its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from support.partner_clients import fraga, shs_label, shs_message
from support.server import DEFAULT_SCENARIO

from simulator.protocols.answer_check import ANSWER_CHECK
from simulator.runtime.registry import REGISTRY, products_of
from simulator.scenario.loader import load_scenario
from simulator.server.app import create_app
from simulator.services.massfraga.shs import MASSFRAGA_PRODUCT
from simulator.services.online import shs
from simulator.services.prenumeration.http import PRODUCT as PRENUMERATION_PRODUCT

EXTRA = "11111111-2222-4333-8444-555555555555"  # a product type only the first app registers


def _app(tmp_path: Path, name: str) -> web.Application:
    # the answer check on, as on every server of the tests
    return create_app(load_scenario(DEFAULT_SCENARIO), data_dir=tmp_path / name, check_answers=True)


async def _never(request: web.Request, *_: object) -> web.StreamResponse:
    raise AssertionError("the sender has no agreement for the product: never received")


def test_two_apps_keep_separate_products(tmp_path: Path) -> None:
    first, second = _app(tmp_path, "first"), _app(tmp_path, "second")
    assert products_of(first) is not products_of(second)
    for app in (first, second):  # each service registered its product in its own app
        assert set(products_of(app)) == {MASSFRAGA_PRODUCT, PRENUMERATION_PRODUCT}
    shs.register_product(first, EXTRA, shs.Product("online", _never))
    assert EXTRA in products_of(first) and EXTRA not in products_of(second)
    assert not hasattr(shs, "PRODUCTS")  # no module global left to share
    assert first[REGISTRY] is not second[REGISTRY]


def test_each_app_answers_by_its_own_products(tmp_path: Path) -> None:
    """The first app knows the extra product (the sender has no agreement for it); the second
    does not know it at all."""
    first, second = _app(tmp_path, "first"), _app(tmp_path, "second")
    shs.register_product(first, EXTRA, shs.Product("online", _never))
    content_type, body = shs_message(
        shs_label(product=EXTRA), [fraga("198506102386", ["sjukpenning"], org="2021005489").encode()]
    )

    async def error_code(app: web.Application) -> str:
        async with TestClient(TestServer(app)) as client:
            response = await client.post("/mt", data=body, headers={"Content-Type": content_type})
            assert response.status == 400, await response.text()
            return response.headers["X-shs-errorcode"]

    async def both() -> tuple[str, str]:
        return await error_code(first), await error_code(second)

    assert asyncio.run(both()) == ("MissingAgreement", "UnknownProductType")
    for app in (first, second):  # the SHS error answers validated, none failed
        assert app[ANSWER_CHECK].problems == []
