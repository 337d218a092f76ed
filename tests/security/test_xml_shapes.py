"""A property test (hypothesis) of the work one XML message may cost: documents of hostile
shapes — many attributes on one element, many namespace declarations, deep nesting, many
elements, long texts, and these together — sent to every binding that reads XML (WS, SSEK,
SSBTEK, SHS as label and as data part, LEKA, massfråga over SSEK and SHS, LEFI Prenumeration
over HTTP and SHS) are each answered within 2 s
(a generous bound: the refusals take milliseconds; 100 000 attributes over SSEK took 30-50 s
before), in the binding's own format, and the server's log has no traceback."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.hostile import XML_BINDINGS, send, shaped, wrap
from support.server import Server, running

TIME_BOUND = 2.0  # seconds for one request
CONTENT_TYPES = {
    "shs": {"multipart/mixed"},
    "shs-data": {"multipart/mixed"},
    "massfraga-shs": {"multipart/mixed"},
    "prenumeration-shs": {"multipart/mixed"},
    "prenumeration": {"application/xml", "application/json"},
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(tmp_path_factory.mktemp("shapes"), "--freeze-clock", "--request-log", "off") as server:
        yield server


def counts(most: int) -> st.SearchStrategy[int]:
    """Up to ``most``, each order of magnitude as likely: small shapes as likely as huge ones."""
    magnitudes = [m for m in (0, 1, 10, 100, 1_000, 10_000, 100_000) if m <= most]
    return st.sampled_from(magnitudes).flatmap(lambda m: st.integers(m, min(most, max(1, m * 10))))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    binding=st.sampled_from(XML_BINDINGS),
    attributes=counts(100_000),
    namespaces=counts(10_000),
    depth=counts(400),
    elements=counts(200_000),
    text=counts(900_000),
)
@example(binding="ssek", attributes=100_000, namespaces=0, depth=0, elements=0, text=0)
@example(binding="ws", attributes=100_000, namespaces=0, depth=0, elements=0, text=0)
@example(binding="leka", attributes=100_000, namespaces=0, depth=0, elements=0, text=0)
@example(binding="ssek", attributes=6_000, namespaces=0, depth=0, elements=0, text=0)
@example(binding="ws", attributes=0, namespaces=5_000, depth=0, elements=0, text=0)
@example(binding="prenumeration", attributes=0, namespaces=0, depth=0, elements=200_000, text=0)
def test_each_xml_binding_answers_a_hostile_shape_quickly_in_its_format(
    srv: Server, binding: str, attributes: int, namespaces: int, depth: int, elements: int, text: int
) -> None:
    wire = wrap(binding, shaped(attributes, namespaces, depth, elements, text))
    start = time.perf_counter()
    reply = send(srv.url, wire, timeout=120)
    took = time.perf_counter() - start
    assert took < TIME_BOUND, f"{binding}: {len(wire.data)} bytes answered in {took:.1f} s"
    assert reply.content_type in CONTENT_TYPES.get(binding, {"text/xml"}), (binding, reply.headers)
    assert reply.status in (200, 400, 403, 413, 500), (
        binding,
        reply.status,
        reply.body[:300],
    )  # 200: a harmless shape
    assert b"Traceback" not in reply.body
