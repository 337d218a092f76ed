"""The one error ladder: every binding answers through ``answer``, which runs the work and
maps what it raises to the binding's wire format through a ``Renderer``.

The ladder's rungs are the same for every wire family, in this order:

1. what only this wire family raises (a SOAP fault, an SSEK fault, a refused REST
   request, an SHS error ...): ``Renderer.specific``, which returns None for anything else;
2. a client certificate not the organisation's (``NotCertified``);
3. the SLA gate's refusal (``SlaBreach``), with its Retry-After;
4. a fault rule's injected fault (``InjectedFault``);
5. a tekniskt fel (``TechnicalError``);
6. anything else: logged, and answered as the wire family's "unexpected error" — never a
   stack trace to the caller, and the server keeps serving.

A client that went away (``ConnectionResetError``, cancellation) is not answered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from aiohttp import web

from simulator.domain.errors import TechnicalError
from simulator.runtime.faults import InjectedFault
from simulator.runtime.sandbox import NotCertified
from simulator.runtime.sla.gate import SlaBreach

__all__ = ["Renderer", "answer", "render_error"]

R = TypeVar("R")


class Renderer(Generic[R]):
    """One wire family's answers to the ladder's error kinds. A kind the family does not
    answer in its own way returns None and goes on down the ladder (to ``unexpected`` at last)."""

    def specific(self, exc: Exception) -> R | None:
        """The wire family's own exceptions (SoapFault, SsekFault, Refused, ShsError ...)."""
        return None

    def not_certified(self, exc: NotCertified) -> R | None:
        return None

    def sla(self, breach: SlaBreach) -> R | None:
        return None

    def injected(self, exc: InjectedFault) -> R | None:
        return None

    def technical(self, exc: TechnicalError) -> R | None:
        return None

    def unexpected(self) -> R:
        raise NotImplementedError


def render_error(request: web.Request, renderer: Renderer[R], exc: Exception, log: logging.Logger) -> R:
    """``exc`` answered by the first rung of the ladder that answers it."""
    answered: R | None = renderer.specific(exc)
    if answered is None:
        if isinstance(exc, NotCertified):
            answered = renderer.not_certified(exc)
        elif isinstance(exc, SlaBreach):
            answered = renderer.sla(exc)
        elif isinstance(exc, InjectedFault):
            answered = renderer.injected(exc)
        elif isinstance(exc, TechnicalError):
            answered = renderer.technical(exc)
    if answered is not None:
        return answered
    log.error("unexpected error answering %s", request.path, exc_info=exc)
    return renderer.unexpected()


async def answer(
    request: web.Request, renderer: Renderer[R], work: Callable[[], Awaitable[R]], log: logging.Logger
) -> R:
    """What ``work`` returns, or what it raises as ``renderer`` answers it."""
    try:
        return await work()
    except (ConnectionResetError, asyncio.CancelledError):
        raise  # the client went away: nobody to answer
    except Exception as exc:  # noqa: BLE001 - the ladder answers each kind, and logs the unexpected
        return render_error(request, renderer, exc, log)
