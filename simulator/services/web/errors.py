"""The e-tjänst's error page for what its pages' handlers never answer themselves: an HTTP
head that cannot be read (a 100 KB header), a form over aiohttp's field limit, a form cut
short, an unknown page. Under /lefi/ every refusal is the e-tjänst's HTML page (fel.html),
with the status it had, never aiohttp's plain text; nothing of the request is echoed."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from simulator.observability.exchange import exchange_of
from simulator.observability.outcome import Outcome
from simulator.protocols.http_body import MALFORMED, cut_short
from simulator.runtime.sandbox import SANDBOX
from simulator.services.web.etjanst import BASE
from simulator.services.web.pages import render

__all__ = ["BASE", "owns", "error_pages", "error_page"]

TITLE = "Sidan kunde inte visas"
_MESSAGES = {
    400: "Begäran kunde inte läsas. Ladda om sidan och försök igen.",
    404: "Sidan finns inte.",
    405: "Sidan kan inte visas på det sättet.",
    408: "Formuläret kom inte fram i tid.",
    413: "Formuläret är för stort eller har för många fält.",
    415: "Formuläret skickades i ett format som e-tjänsten inte läser.",
}


def owns(path: str) -> bool:
    """Whether ``path`` is the e-tjänst's."""
    return path == BASE or path.startswith(BASE + "/")


def error_page(request: web.Request, status: int, message: str | None = None) -> web.Response:
    today = request.app[SANDBOX].clock.today()
    text = message or _MESSAGES.get(status, "Begäran kunde inte besvaras.")
    return render("fel.html", status, today=today, title=TITLE, message=text)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under /lefi/: what would be plain text is the HTML error page."""
    if not owns(request.path):
        return await handler(request)
    if request.get(MALFORMED) is not None:  # the head could not be read (simulator.server.serving)
        exchange_of(request).outcome = Outcome.rejected()
        return error_page(request, 400)
    try:
        if request.method == "POST" and cut_short(request, await request.read()):  # read once, kept
            exchange_of(request).outcome = Outcome.rejected()
            return error_page(request, 400, "Formuläret kom inte fram helt. Skicka det igen.")
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "text/html":
            raise  # a redirect, or one of the pages' own refusals
        return error_page(request, exc.status)
    except ConnectionResetError:  # the client closed before the whole form arrived
        exchange_of(request).outcome = Outcome.rejected()
        return error_page(request, 400, "Formuläret kom inte fram helt. Skicka det igen.")
