"""The one error ladder (simulator/protocols/ladder.py), in process: which rung answers
which error, and that a client gone away is not answered."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import make_mocked_request

from simulator.domain.errors import TechnicalError, TeknisktFel, Verksamhetsfel
from simulator.protocols import ladder
from simulator.protocols.ladder import Renderer
from simulator.runtime.sandbox import NotCertified
from simulator.runtime.sla.gate import SlaBreach

log = logging.getLogger("tests.ladder")
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


class Specific(Exception):
    pass


class Recording(Renderer[str]):
    """Names the rung that answered; ``technical`` is left to the ladder's default (None)."""

    def specific(self, exc: Exception) -> str | None:
        return "specific" if isinstance(exc, Specific) else None

    def not_certified(self, exc: NotCertified) -> str:
        return "not_certified"

    def sla(self, breach: SlaBreach) -> str:
        return f"sla:{breach.rule}"

    def unexpected(self) -> str:
        return "unexpected"


def run(work_raises: BaseException) -> str:
    async def work() -> str:
        raise work_raises

    return asyncio.run(ladder.answer(make_mocked_request("POST", "/x"), Recording(), work, log))


def test_each_error_goes_to_its_rung() -> None:
    assert run(Specific()) == "specific"
    assert run(NotCertified("5560000001", "2120000001")) == "not_certified"
    assert run(SlaBreach("per_second", "för många", NOW, NOW)) == "sla:per_second"


def test_a_kind_the_wire_family_does_not_answer_is_unexpected_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, "tests.ladder"):
        assert run(TechnicalError(TeknisktFel.TEKNISKT_FEL)) == "unexpected"
        assert run(KeyError("bug")) == "unexpected"
    assert [r.message for r in caplog.records] == ["unexpected error answering /x"] * 2


def test_the_answer_when_nothing_goes_wrong() -> None:
    async def work() -> str:
        return "answer"

    assert asyncio.run(ladder.answer(make_mocked_request("POST", "/x"), Recording(), work, log)) == "answer"


def test_a_client_gone_away_is_not_answered() -> None:
    with pytest.raises(ConnectionResetError):
        run(ConnectionResetError())


def test_not_certified_is_a_business_error_of_code_13() -> None:
    assert NotCertified("", "x").status is Verksamhetsfel.ORGANISATIONEN_EJ_BEHORIG_ENLIGT_BAD
