"""Protection of the admin API: its token, as a Bearer header or a cookie set at /_admin/login."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from typing import Any

from aiohttp import web

from simulator.control.admin.common import PREFIX, error

__all__ = ["admin_token_for", "require_token", "TOKEN_COOKIE", "ANONYMOUS"]

TOKEN_COOKIE = "lefi_admin_token"  # a browser page under /_admin/ (same origin) sends the token so
# set on a request let in without the token it should have carried (/_admin/health: liveness probes)
ANONYMOUS = web.RequestKey("admin_anonymous", bool)


def admin_token_for(host: str, given: str | None) -> str | None:
    """The token the admin API requires: the one given; bound to a non-loopback address
    without one, a new one, printed once; on loopback only, none."""
    if given:
        return given
    if _is_loopback(host):
        return None
    token = secrets.token_urlsafe(24)
    print(
        f"LEFI sandbox: the admin API requires a token (bound to {host}): send "
        f"'Authorization: Bearer {token}', or open {PREFIX}/login?token={token} in a browser",
        flush=True,
    )
    return token


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name, or 0.0.0.0 / :: (every address)


def require_token(token: str) -> Any:
    """A middleware: /_admin/ answers 401 unless the request carries ``token`` as
    ``Authorization: Bearer`` or in the ``lefi_admin_token`` cookie."""
    expected = token.encode()

    @web.middleware
    async def protect(request: web.Request, handler: Any) -> web.StreamResponse:
        if not (request.path == PREFIX or request.path.startswith(PREFIX + "/")):
            return await handler(request)
        if request.path == f"{PREFIX}/login":
            return _login(request, expected)
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            sent = request.cookies.get(TOKEN_COOKIE, "")
        if hmac.compare_digest(sent.strip().encode(), expected):
            return await handler(request)
        if request.path == f"{PREFIX}/health" and request.method in ("GET", "HEAD"):
            # liveness probes (the container's HEALTHCHECK) have no token: they are told what /health tells
            request[ANONYMOUS] = True
            return await handler(request)
        response = error(
            401,
            "the admin API requires its token: Authorization: Bearer <token> "
            f"(lefi-sim admin --token, $LEFI_ADMIN_TOKEN) or the {TOKEN_COOKIE} cookie",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="lefi-sandbox-admin"'
        return response

    return protect


def _login(request: web.Request, expected: bytes) -> web.StreamResponse:
    """GET /_admin/login?token=...: sets the cookie for a browser and goes to the dashboard."""
    if not hmac.compare_digest(request.query.get("token", "").encode(), expected):
        return error(401, "wrong or missing ?token=")
    response = web.HTTPSeeOther(PREFIX + "/ui")  # the QA dashboard
    response.set_cookie(
        TOKEN_COOKIE, expected.decode(), httponly=True, samesite="Strict", path=PREFIX, secure=request.secure
    )
    return response
