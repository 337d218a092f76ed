"""Running the application: plain HTTP or TLS, and HTTP that aiohttp's own parser refuses.

The request line may be 64 KiB long (aiohttp's default is 8 190 bytes), so that a path
with an over-long identifier reaches its binding, which refuses it in its own format.
aiohttp answers a request it cannot parse (a header line over 8 KB, more than 128
headers, Content-Length together with Transfer-Encoding, an unknown Content-Encoding,
...) with a text/plain 400 and logs a traceback. Here such a request, when it is a POST
to a binding's address, is handed to that binding as a body that cannot be read: the
partner gets the binding's own error format (SOAP Fault, SSEK fault, SHS error message,
LefiFelsvar), and the journal and metrics see it; any request to the web e-tjänst gets
its HTML error page. Anything else gets a plain 400 that says what was wrong. Either way
the log has one line, not a traceback.

A client that half-closes its side of the connection (shutdown(SHUT_WR)) while its
request is being answered still gets the answer; a body it cut short is a clear 400.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import re
import ssl
from collections.abc import Awaitable, Callable
from typing import Any, cast

import aiohttp
from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler

from simulator.protocols.http_body import MALFORMED, BodyError
from simulator.services import web as web_pages

__all__ = ["run", "start_serving", "KEEPALIVE_SECONDS", "MAX_REQUEST_LINE"]

log = logging.getLogger("simulator.serving")

# aiohttp's private names _Protocol and _Runner use; pyproject.toml pins aiohttp to the minor
# version they were written against: under another, a missing one fails here, at import
AIOHTTP_INTERNALS: dict[type, tuple[str, ...]] = {
    RequestHandler: ("_messages", "_waiter", "_request_handler", "_make_error_handler"),
    web.AppRunner: ("_make_server",),
}


def check_aiohttp(internals: dict[type, tuple[str, ...]]) -> None:
    """Raises ImportError naming each of ``internals`` the installed aiohttp lacks."""
    missing = [
        f"{cls.__name__}.{name}"
        for cls, names in internals.items()
        for name in names
        if not hasattr(cls, name)
    ]
    if missing:
        raise ImportError(
            f"aiohttp {aiohttp.__version__} lacks {', '.join(missing)}, which simulator/server/serving.py "
            "uses: install the aiohttp version pyproject.toml pins"
        )


check_aiohttp(AIOHTTP_INTERNALS)

# an idle connection, or one whose request head has not arrived complete, is closed
# after this long (aiohttp's keep-alive timer also covers the head of the first request)
KEEPALIVE_SECONDS = 30.0
MAX_REQUEST_LINE = 64 * 1024  # a path with a 10 000-character identifier is the binding's to refuse
_REQUEST_LINE = re.compile(rb"([A-Z]{3,10}) (/[^ \r\n]{0,%d})[^\r\n]* HTTP/1\.[01]\r?\n" % MAX_REQUEST_LINE)
_CONTENT_TYPE = re.compile(rb"\r?\ncontent-type:[ \t]*([^\r\n]{1,200})", re.IGNORECASE)


class _Protocol(RequestHandler):
    """aiohttp's connection handler, answering unparseable requests as described above."""

    __slots__ = ("_head", "_payload")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head = b""  # the chunk that began the latest request head: its request line
        self._payload: StreamReader | None = None  # the latest request's body

    def data_received(self, data: bytes) -> None:
        if _REQUEST_LINE.match(data):
            self._head = data
        super().data_received(data)
        if self._messages:
            self._payload = self._messages[-1][1]

    def eof_received(self) -> bool | None:  # type: ignore[override]  # asyncio.Protocol's signature
        """The client half-closed: what it sent is still answered (a body shorter than its
        Content-Length is a clear 400: http_body.read_body), then the connection closes."""
        if self._waiter is not None and not self._messages:
            return None  # idle between requests: nothing to answer, asyncio closes the connection
        if self._payload is not None and not self._payload.is_eof():
            self._payload.feed_eof()  # nothing more will come: its reader stops waiting
        self.close()  # once the requests in hand are answered
        return True  # keep our side open for them

    def _make_error_handler(
        self, err_info: Any
    ) -> Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]:
        status, reason = err_info.status, _reason(err_info)
        head = self._head
        app_handler = self._request_handler

        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            log.warning("malformed HTTP request from %s: %s", request.remote, reason)
            line = _REQUEST_LINE.match(head)
            response: web.StreamResponse | None = None
            if line is not None and app_handler is not None:
                response = await _to_binding(
                    request,
                    app_handler,
                    line.group(1).decode("ascii"),
                    line.group(2).decode("latin-1"),
                    _CONTENT_TYPE.search(head),
                    BodyError(status, reason),
                )
            if response is None:
                response = web.Response(status=status, text=f"{status} Bad Request: {reason}\n")
            response.force_close()  # what follows on this connection cannot be read either
            return response

        return handler


def _reason(err_info: Any) -> str:
    text = " ".join(str(err_info.message or err_info.exc).split())
    text = re.split(r":? (?:b'|b\"|bytearray\()", text, maxsplit=1)[0].rstrip(
        " .:"
    )  # not the bytes themselves
    return f"the request cannot be read as HTTP: {text[:200]}"


async def _to_binding(
    request: web.BaseRequest,
    app_handler: Any,
    method: str,
    path: str,
    content_type: re.Match[bytes] | None,
    error: BodyError,
) -> web.StreamResponse | None:
    """The answer to a request whose head cannot be read: a POST to a binding gets the
    binding's, anything to the web e-tjänst its error page; else None."""
    headers = {"Content-Type": content_type.group(1).decode("latin-1")} if content_type else {}
    try:
        clone = request.clone(method=method, rel_url=path, headers=headers)
    except ValueError:
        return None
    app: web.Application = app_handler.__self__
    if web_pages.owns(clone.path):
        return web_pages.error_page(app, error.status)
    match = await app.router.resolve(cast(web.Request, clone))  # a clone of the app's own request
    if method != "POST" or getattr(match.handler, "lefi_binding", None) is None:
        return None  # admin, health, ...: never run on a request that was not read
    clone[MALFORMED] = error
    response: web.StreamResponse = await app_handler(clone)
    return response


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        return _Protocol(self, loop=self._loop, **self._kwargs)


class _Runner(web.AppRunner):
    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _Server  # the same server, making our connection handler
        return server


def _return_large_blocks() -> None:
    """glibc raises its mmap threshold once large blocks are freed; after that 1 MiB bodies
    and documents come from the heap, and the memory they held stays with the process.
    Fixed at 128 KiB, such blocks go back to the system when freed (hostile traffic then
    leaves RSS about 15 MiB lower)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return  # not glibc (musl, macOS): its own policy
    m_mmap_threshold = -3  # malloc.h
    libc.mallopt(m_mmap_threshold, 128 * 1024)
    # each thread that parses large documents off the event loop got an arena of its own,
    # which kept what it freed: two arenas leave RSS after concurrent hostile traffic ~12 MiB lower
    m_arena_max = -8  # malloc.h
    libc.mallopt(m_arena_max, 2)


async def start_serving(
    app: web.Application,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ssl_context: ssl.SSLContext | None = None,
    reuse_port: bool = False,
    handle_signals: bool = False,
) -> web.AppRunner:
    """``app`` served on ``host``:``port`` (0: a free port, ``runner.addresses`` says which)
    as described above; ``runner.cleanup()`` stops it. The one way the sandbox is served:
    by ``lefi-sim serve`` (``run``) and by the pytest plugin's sandboxes alike."""
    runner = _Runner(
        app,
        handle_signals=handle_signals,
        access_log=None,
        keepalive_timeout=KEEPALIVE_SECONDS,
        max_line_size=MAX_REQUEST_LINE,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context, reuse_port=reuse_port or None)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


def run(
    app: web.Application,
    host: str,
    port: int,
    *,
    ssl_context: ssl.SSLContext | None = None,
    reuse_port: bool = False,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
) -> None:
    """Serve ``app`` until SIGINT or SIGTERM. Raises OSError when the address cannot be bound."""

    _return_large_blocks()

    async def serve() -> None:
        runner = await start_serving(
            app, host, port, ssl_context=ssl_context, reuse_port=reuse_port, handle_signals=True
        )
        try:
            while True:
                await asyncio.sleep(3600)
        finally:
            await runner.cleanup()

    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(serve())
    except (web.GracefulExit, KeyboardInterrupt):
        pass
