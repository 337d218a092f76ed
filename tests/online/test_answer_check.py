"""The answer check (``serve --check-answers``) validates an onlinefråga answer against the
XSD of the version its question asked for: a version 5 answer carrying a benefit only
version 6 has is a failure, though the version 6 XSD admits it.

In-process: no question the server answers can make it write such an answer."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry
from support.lefi import raw_question
from support.partner_clients import fraga, shs_label, shs_message

from simulator.protocols.answer_check import AnswerCheck, Question

NS = "http://schema.forsakringskassan.se/externa_intressenter"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def svar(benefit: str) -> bytes:
    """An answer listing one benefit, in a SOAP envelope."""
    return (
        f'<s:Envelope xmlns:s="{SOAP}"><s:Body><ext:FK.Online.Svar xmlns:ext="{NS}"><ext:generelltfalt>'
        "<ext:organisationsnummer>2120000142</ext:organisationsnummer><ext:skapades>2026-11-02T09:00:00"
        "</ext:skapades><ext:kundStatus>1</ext:kundStatus></ext:generelltfalt><ext:informationsfalt>"
        f"<ext:person><ext:formansforteckning><ext:{benefit}>true</ext:{benefit}></ext:formansforteckning>"
        "</ext:person></ext:informationsfalt></ext:FK.Online.Svar></s:Body></s:Envelope>"
    ).encode()


def checked(answer: bytes, question: Question | None) -> tuple[int, int]:
    check = AnswerCheck(CollectorRegistry())
    check.check("text/xml; charset=utf-8", answer, "POST /ws", question)
    return check.checked, check.failures


def ws_question(version: str) -> Question:
    return Question("text/xml; charset=utf-8", raw_question(version=int(version)))


@pytest.mark.parametrize(("version", "failures"), [("5", 1), ("6", 0)])
def test_a_benefit_of_version_6_only_fails_a_version_5_answer(version: str, failures: int) -> None:
    assert checked(svar("merkostnadsersattning"), ws_question(version)) == (1, failures)


def test_a_benefit_of_both_versions_passes_either() -> None:
    for version in ("5", "6"):
        assert checked(svar("sjukpenning"), ws_question(version)) == (1, 0)


def test_the_version_is_read_from_an_shs_question_too() -> None:
    content_type, body = shs_message(
        shs_label(), [fraga("198506102386", ["sjukpenning"], org="2021005489", version="5").encode()]
    )
    assert checked(svar("merkostnadsersattning"), Question(content_type, body)) == (1, 1)


def test_without_a_question_the_newest_version_checks() -> None:
    """A massfråga's answers are pulled without the question: the newest XSD admits every version."""
    assert checked(svar("merkostnadsersattning"), None) == (1, 0)
    assert checked(svar("merkostnadsersattning"), ws_question("99")) == (1, 0)
