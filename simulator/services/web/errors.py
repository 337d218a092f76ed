"""The e-tjänst's error page for a request its pages never see: an HTTP head that cannot
be read (a 100 KB header), answered by simulator.server.serving with this page rather than
aiohttp's plain text. Nothing of the request is echoed. (A form that cannot be read —
too many fields, too large, cut short — is refused by the page it was posted to.)"""

from __future__ import annotations

from aiohttp import web

from simulator.runtime.sandbox import SANDBOX
from simulator.services.web.etjanst import BASE
from simulator.services.web.pages import render

__all__ = ["owns", "error_page"]

TITLE = "Sidan kunde inte visas"


def owns(path: str) -> bool:
    """Whether ``path`` is the e-tjänst's."""
    return path == BASE or path.startswith(BASE + "/")


def error_page(app: web.Application, status: int) -> web.Response:
    """The HTML page for a request whose head could not be read."""
    today = app[SANDBOX].clock.today()
    message = "Begäran kunde inte läsas. Ladda om sidan och försök igen."
    return render("fel.html", status, today=today, title=TITLE, message=message)
