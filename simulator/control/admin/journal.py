"""/_admin/journal: the exchanges kept, filtered, counted, cleared and resized."""

from __future__ import annotations

from datetime import date, datetime

from aiohttp import web

from simulator.control.admin.common import bad, error, json_body, sandbox_of, share
from simulator.control.bus import JournalCleared, JournalResized
from simulator.domain import orgnummer
from simulator.domain.clock import STOCKHOLM
from simulator.domain.personnummer import InvalidPersonnummer, Personnummer
from simulator.observability.journal import JournalFilter

__all__ = [
    "get_journal",
    "count_journal",
    "get_journal_entry",
    "clear_journal",
    "get_journal_settings",
    "put_journal_settings",
]

_FILTERS = ("organisation", "binding", "personnummer", "outcome", "path", "fault_rule", "sla_breach")


def _filter(request: web.Request) -> JournalFilter:
    q = request.query
    unknown = set(q) - {*_FILTERS, "since", "until", "limit", "bodies"}
    if unknown:
        raise bad(f"unknown filter(s) {sorted(unknown)}; known: {[*_FILTERS, 'since', 'until']}")
    times: dict[str, datetime | None] = {}
    for key in ("since", "until"):
        times[key] = None
        if key in q:
            try:
                when = datetime.fromisoformat(q[key])
            except ValueError:
                raise bad(f"{key}: {q[key]!r} is not an ISO date-time") from None
            if when.tzinfo is None:
                when = when.replace(tzinfo=STOCKHOLM)
            times[key] = when
    fields = {k: q[k] for k in _FILTERS if k in q}
    if "organisation" in fields:
        fields["organisation"] = orgnummer.canonical(fields["organisation"])
    if "personnummer" in fields:
        try:  # any accepted form, as the journal holds 12 digits
            fields["personnummer"] = Personnummer.parse(fields["personnummer"], sandbox_today(request)).value
        except InvalidPersonnummer:
            pass  # as sent: it matches what the journal kept of an invalid number
    return JournalFilter(**fields, since=times["since"], until=times["until"])


def sandbox_today(request: web.Request) -> date:
    return sandbox_of(request).clock.today()


async def get_journal(request: web.Request) -> web.Response:
    """Matching entries, newest first; ``limit`` (default 100), ``bodies=false``."""
    sandbox = sandbox_of(request)
    where = _filter(request)
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        return error(400, "limit: a whole number")
    bodies = request.query.get("bodies", "true") != "false"
    entries = sandbox.journal.entries(where, max(limit, 0))
    return web.json_response(
        {
            "entries": [e.as_json(bodies) for e in entries],
            "size": sandbox.journal.size,
            "held": len(sandbox.journal),
        }
    )


async def count_journal(request: web.Request) -> web.Response:
    """The verification query: how many journal entries match the filters."""
    return web.json_response({"count": sandbox_of(request).journal.count(_filter(request))})


async def get_journal_entry(request: web.Request) -> web.Response:
    wanted = request.match_info["id"]
    for entry in sandbox_of(request).journal.entries():
        if entry.id == wanted:
            return web.json_response(entry.as_json())
    return error(404, f"no journal entry with correlation id {wanted!r} (the journal keeps the latest only)")


async def clear_journal(request: web.Request) -> web.Response:
    sandbox_of(request).journal.clear()
    await share(request, JournalCleared())
    return web.Response(status=204)


async def get_journal_settings(request: web.Request) -> web.Response:
    return web.json_response({"size": sandbox_of(request).journal.size})


async def put_journal_settings(request: web.Request) -> web.Response:
    """``{"size": N}``: the ring buffer's size; 0 switches the journal off."""
    body = await json_body(request)
    size = body.get("size") if isinstance(body, dict) else None
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= 1_000_000:
        return error(400, 'send {"size": N} with 0 <= N <= 1000000 (0 switches the journal off)')
    sandbox = sandbox_of(request)
    sandbox.journal.resize(size)
    await share(request, JournalResized(size=size))
    return web.json_response({"size": sandbox.journal.size})
