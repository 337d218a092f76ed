"""Sessions of the web e-tjänst: who is logged in for which organisation, the form token
(CSRF) of each session, and the idle timeout read on the simulator clock.

Kept in the worker's memory, bounded: the oldest session goes when ``LIMIT`` are held.
The cookie carries only a random id; it is HttpOnly and SameSite=Lax, and every form
carries the session's own token as well.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web

__all__ = ["WebSession", "Sessions", "IDLE_TIMEOUT", "COOKIE", "SESSIONS"]

IDLE_TIMEOUT = timedelta(minutes=120)  # SPEC §2.3
COOKIE = "lefi_session"
LIMIT = 10_000


@dataclass
class WebSession:
    id: str
    last_seen: datetime  # simulator clock
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    user: str | None = None  # the logged-in user's personnummer
    organisation: str | None = None  # the user's organisation (orgnummer)
    method: str | None = None  # the e-legitimation chosen

    def idle_out(self, now: datetime) -> bool:
        """Idle for the timeout or longer (a clock moved back counts as activity)."""
        return now - self.last_seen >= IDLE_TIMEOUT

    def token_ok(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(sent.encode(), self.csrf.encode())


class Sessions:
    def __init__(self) -> None:
        self._held: OrderedDict[str, WebSession] = OrderedDict()
        self._lock = threading.Lock()

    def new(self, now: datetime) -> WebSession:
        session = WebSession(id=secrets.token_urlsafe(32), last_seen=now)
        with self._lock:
            self._held[session.id] = session
            while len(self._held) > LIMIT:
                self._held.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> WebSession | None:
        if not session_id:
            return None
        with self._lock:
            session = self._held.get(session_id)
            if session is not None:
                self._held.move_to_end(session_id)
            return session

    def drop(self, session: WebSession) -> None:
        with self._lock:
            self._held.pop(session.id, None)


SESSIONS = web.AppKey("web_sessions", Sessions)


def set_cookie(request: web.Request, response: web.StreamResponse, session: WebSession) -> None:
    response.set_cookie(
        COOKIE, session.id, path="/lefi", httponly=True, samesite="Lax", secure=request.secure
    )
