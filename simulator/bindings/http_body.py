"""Reading a request body within the sandbox's limits, shared by every HTTP binding.

Each binding renders a ``BodyError`` in its own format (a SOAP Fault, a LefiFelsvar ...).
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from simulator.sandbox import MAX_BODY_BYTES

__all__ = ["BodyError", "read_body", "expect_continue", "BODY_TIMEOUT_SECONDS"]

BODY_TIMEOUT_SECONDS = 30  # a question is a few kB; a body that trickles in longer is refused


class BodyError(Exception):
    """Why a body was not read: the HTTP status to answer and a reason for the client."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _too_large() -> BodyError:
    return BodyError(413, f"The request body is larger than {MAX_BODY_BYTES} bytes")


async def read_body(request: web.Request) -> bytes:
    """The whole body, or ``BodyError`` saying why not (too large, badly encoded, too slow).

    A body that cannot be decoded is marked finished, so that aiohttp does not read on
    into the same error after the answer is sent (and log it as unhandled).
    """
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large()
    try:
        async with asyncio.timeout(BODY_TIMEOUT_SECONDS):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large() from None
    except TimeoutError:
        raise BodyError(408, f"The request body did not arrive within {BODY_TIMEOUT_SECONDS} s") from None
    except RequestPayloadError as exc:
        request.content.feed_eof()
        raise BodyError(400, f"The request body cannot be read: {exc.__cause__ or exc}") from None


async def expect_continue(request: web.Request,
                          refuse: Callable[[BodyError], web.StreamResponse | Awaitable[web.StreamResponse]],
                          ) -> web.StreamResponse | None:
    """``Expect: 100-continue``: refuse a body that is too large before it is sent.

    ``refuse`` renders the error in the binding's own format.
    """
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        answer = refuse(_too_large())
        return await answer if asyncio.iscoroutine(answer) else answer  # type: ignore[return-value]
    if request.headers.get("Expect", "").lower() != "100-continue":
        raise web.HTTPExpectationFailed(text=f"Unknown Expect: {request.headers.get('Expect', '')[:100]}\n")
    if request.version == (1, 1):
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    return None
