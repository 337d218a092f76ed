"""Server-rendered HTML for the web e-tjänst and the QA dashboard: one Jinja environment,
templates and static files shipped inside the package (nothing fetched from elsewhere)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from aiohttp import web

__all__ = ["render", "render_refusal", "STATIC_DIR", "STATIC_PREFIX"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PREFIX = "/lefi/static"

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("simulator.services.web", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def _swedish_day(value: date | datetime) -> str:
    """ "Mån 2 november 2026", as the e-tjänst's header shows the day."""
    days = ["Mån", "Tis", "Ons", "Tors", "Fre", "Lör", "Sön"]
    months = [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ]
    return f"{days[value.weekday()]} {value.day} {months[value.month - 1]} {value.year}"


_ENV.filters["swedish_day"] = _swedish_day
_ENV.globals["static"] = STATIC_PREFIX


def render(
    template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> web.Response:
    html = _ENV.get_template(template).render(**context)
    return _protect(
        web.Response(status=status, text=html, content_type="text/html", charset="utf-8", headers=headers)
    )


E = TypeVar("E", bound=web.HTTPException)


def render_refusal(exc_class: type[E], template: str, **context: Any) -> E:
    """A page to raise: an HTTP error (403, ...) whose body is the rendered template."""
    return _protect(exc_class(text=_ENV.get_template(template).render(**context), content_type="text/html"))


R = TypeVar("R", bound=web.StreamResponse)


def _protect(response: R) -> R:
    # pages hold personal data: never cached, never framed by another site
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    return response
