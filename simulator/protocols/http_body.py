"""Reading a request body the same way in every binding: at most ``MAX_BODY_BYTES``,
within ``BODY_TIMEOUT_SECONDS``, and ``Expect: 100-continue`` refused before a body that
is too large is sent. Each binding renders ``BodyError`` in its own format.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from simulator.protocols.echo import echo
from simulator.runtime.sandbox import MAX_BODY_BYTES
from simulator.runtime.traffic import CORRELATION_HEADER, correlation_id

__all__ = [
    "BODY_TIMEOUT_SECONDS",
    "BodyError",
    "MALFORMED",
    "read_body",
    "too_large",
    "cut_short",
    "expect_handler",
]

BODY_TIMEOUT_SECONDS = 30  # a question is a few kB; a body that trickles in longer is refused


@dataclass
class BodyError(Exception):
    """The body cannot be had: ``status`` is the HTTP status to answer with."""

    status: int
    reason: str

    def __str__(self) -> str:
        return self.reason


# set by simulator.serving on a request whose HTTP head aiohttp could not parse: its body is never read
MALFORMED = web.RequestKey("malformed_http", BodyError)


def too_large(request: web.Request) -> BodyError | None:
    """The error for a body announced larger than the limit, else None."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return BodyError(413, f"The request body is larger than {MAX_BODY_BYTES} bytes")
    return None


async def read_body(request: web.Request) -> bytes:
    """The whole body, or ``BodyError`` saying why not (too large, badly encoded, too slow).

    A body that cannot be decoded is marked finished, so that aiohttp does not read on
    into the same error after the answer is sent (and log it as unhandled).
    """
    error = request.get(MALFORMED) or too_large(request)
    if error is not None:
        raise error
    try:
        if request.content.is_eof():  # it all came with the headers: nothing to wait for
            body = await request.read()
        else:
            async with asyncio.timeout(BODY_TIMEOUT_SECONDS):
                body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BodyError(413, f"The request body is larger than {MAX_BODY_BYTES} bytes") from None
    except TimeoutError:
        raise BodyError(408, f"The request body did not arrive within {BODY_TIMEOUT_SECONDS} s") from None
    except RequestPayloadError as exc:
        request.content.feed_eof()
        raise BodyError(400, f"The request body cannot be read: {exc.__cause__ or exc}") from None
    except ConnectionResetError:
        raise _cut_short() from None
    if cut_short(request, body):
        raise _cut_short()
    return body


def _cut_short() -> BodyError:
    # the client closed (or half-closed, simulator.server.serving) before its Content-Length
    # arrived: a cut-short message, not a sandbox error
    return BodyError(400, "The request body was cut short: the connection closed before all of it arrived")


def cut_short(request: web.Request, body: bytes) -> bool:
    """Whether ``body`` is shorter than the request's Content-Length said."""
    return request.content_length is not None and len(body) < request.content_length


Refuse = Callable[[web.Request, BodyError], web.StreamResponse]


def expect_handler(refuse: Refuse) -> Callable[[web.Request], Awaitable[web.StreamResponse | None]]:
    """An aiohttp ``expect_handler``: ``refuse`` renders a body too large in the binding's format."""

    async def expect(request: web.Request) -> web.StreamResponse | None:
        error = too_large(request)
        if error is not None:
            # aiohttp asks this before the middleware runs: the answer gets its id here
            response = refuse(request, error)
            response.headers[CORRELATION_HEADER] = correlation_id(request)
            return response
        if request.headers.get("Expect", "").lower() != "100-continue":
            raise web.HTTPExpectationFailed(
                text=f"Unknown Expect: {echo(request.headers.get('Expect', ''))}\n"
            )
        if request.version == (1, 1):
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return None

    return expect
