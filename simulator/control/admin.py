"""The admin API under /_admin/ (SPEC §6): scenario, clock, fault rules, journal, health.

Not part of FK's interface: JSON in and out, documented by schemas/admin-openapi.yaml,
served at /_admin/openapi.json. Every refusal is a JSON ``{"error", "problems"?}``.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import secrets
import time
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from simulator import __version__
from simulator.services.leka import subscriptions as leka
from simulator.services.massfraga import jobs as massfraga
from simulator.domain import orgnummer
from simulator.protocols import shs_outbox as shs_delivery
from simulator.domain.clock import STOCKHOLM
from simulator.control.bus import CONTROL
from simulator.observability.journal import JournalFilter
from simulator.domain.personnummer import InvalidPersonnummer, Personnummer
from simulator.observability.rates import KEEP_SECONDS, Tally
from simulator.services.prenumeration.http import PRENUMERATION
from simulator.runtime.sandbox import SANDBOX, Sandbox
from simulator.scenario.checks import check_fault_rule
from simulator.scenario.loader import ScenarioError, load_scenario, parse_scenario
from simulator.scenario.models import FaultRule
from simulator.scenario.store import make_store
from simulator.domain.schemas import SCHEMA_DIR

__all__ = ["setup", "reload_from_disk", "PREFIX", "admin_token_for", "require_token", "TOKEN_COOKIE"]

log = logging.getLogger("simulator.admin")
PREFIX = "/_admin"
MAX_SCENARIO_BYTES = 64 * 1024 * 1024  # a generated scenario file of 100k persons fits
_RULES = TypeAdapter(list[FaultRule])
TOKEN_COOKIE = "lefi_admin_token"  # a browser page under /_admin/ (same origin) sends the token so


# -- protection --------------------------------------------------------------------------
def admin_token_for(host: str, given: str | None) -> str | None:
    """The token the admin API requires: the one given; bound to a non-loopback address
    without one, a new one, printed once; on loopback only, none."""
    if given:
        return given
    if _is_loopback(host):
        return None
    token = secrets.token_urlsafe(24)
    print(f"LEFI sandbox: the admin API requires a token (bound to {host}): send "
          f"'Authorization: Bearer {token}', or open {PREFIX}/login?token={token} in a browser", flush=True)
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
        if request.path == f"{PREFIX}/health" and request.method in ("GET", "HEAD"):
            # liveness probes (the container's HEALTHCHECK) have no token; it tells
            # nothing /health does not
            return await handler(request)
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            sent = request.cookies.get(TOKEN_COOKIE, "")
        if not hmac.compare_digest(sent.strip().encode(), expected):
            response = _error(401, "the admin API requires its token: Authorization: Bearer <token> "
                              f"(lefi-sim admin --token, $LEFI_ADMIN_TOKEN) or the {TOKEN_COOKIE} cookie")
            response.headers["WWW-Authenticate"] = 'Bearer realm="lefi-sandbox-admin"'
            return response
        return await handler(request)

    return protect


def _login(request: web.Request, expected: bytes) -> web.StreamResponse:
    """GET /_admin/login?token=...: sets the cookie for a browser and goes to the dashboard."""
    if not hmac.compare_digest(request.query.get("token", "").encode(), expected):
        return _error(401, "wrong or missing ?token=")
    response = web.HTTPSeeOther(PREFIX + "/ui")  # the QA dashboard
    response.set_cookie(TOKEN_COOKIE, expected.decode(), httponly=True, samesite="Strict", path=PREFIX,
                        secure=request.secure)
    return response


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get(f"{PREFIX}/openapi.json", openapi)
    r.add_get(f"{PREFIX}/health", health)
    r.add_get(f"{PREFIX}/scenario", get_scenario)
    r.add_put(f"{PREFIX}/scenario", put_scenario)
    r.add_post(f"{PREFIX}/scenario/reset", reset_scenario)
    r.add_post(f"{PREFIX}/scenario/reload", reload_scenario)
    r.add_get(f"{PREFIX}/clock", get_clock)
    r.add_put(f"{PREFIX}/clock", put_clock)
    r.add_post(f"{PREFIX}/clock/advance", advance_clock)
    r.add_post(f"{PREFIX}/clock/freeze", freeze_clock)
    r.add_post(f"{PREFIX}/clock/unfreeze", unfreeze_clock)
    r.add_get(f"{PREFIX}/faults", list_faults)
    r.add_post(f"{PREFIX}/faults", add_fault)
    r.add_put(f"{PREFIX}/faults", replace_faults)
    r.add_delete(f"{PREFIX}/faults", clear_faults)
    r.add_delete(f"{PREFIX}/faults/{{id}}", remove_fault)
    r.add_get(f"{PREFIX}/journal", get_journal)
    r.add_delete(f"{PREFIX}/journal", clear_journal)
    r.add_get(f"{PREFIX}/journal/count", count_journal)
    r.add_get(f"{PREFIX}/journal/settings", get_journal_settings)
    r.add_put(f"{PREFIX}/journal/settings", put_journal_settings)
    r.add_get(f"{PREFIX}/journal/{{id}}", get_journal_entry)
    r.add_get(f"{PREFIX}/traffic", get_traffic)
    r.add_post(f"{PREFIX}/prenumeration/batch", run_prenumeration_batch)
    r.add_get(f"{PREFIX}/massfraga/jobb", list_massfraga_jobs)
    r.add_get(f"{PREFIX}/leka/prenumerationer", list_leka_subscriptions)
    r.add_get(f"{PREFIX}/leka/aviseringar", list_leka_notifications)
    r.add_post(f"{PREFIX}/leka/avisera", make_leka_notifications)


# -- helpers ---------------------------------------------------------------------------
def _error(status: int, message: str, problems: list[str] | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if problems is not None:
        body["problems"] = problems
    return web.json_response(body, status=status)


async def _json_body(request: web.Request) -> Any:
    """The request's JSON, or a 400/415 raised as a JSON error."""
    if request.content_type not in ("application/json", ""):
        raise web.HTTPUnsupportedMediaType(text=json.dumps({"error": "send application/json"}),
                                           content_type="application/json")
    try:
        return json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise web.HTTPBadRequest(text=json.dumps({"error": f"not JSON: {exc}"}),
                                 content_type="application/json") from None


def _sandbox(request: web.Request) -> Sandbox:
    return request.app[SANDBOX]


def _scenario_summary(sandbox: Sandbox) -> dict[str, Any]:
    s = sandbox.scenario
    return {"name": s.name, "description": s.description,
            "source": str(sandbox.source) if sandbox.source else None,
            "generation": sandbox.generation, "persons": sandbox.store.person_count(),
            "organisations": len(s.organisations), "timeline_events": len(s.timeline),
            "fault_rules": len(s.faults),
            "population": s.population.model_dump(mode="json") if s.population else None}


def _clock(sandbox: Sandbox) -> dict[str, Any]:
    now = sandbox.clock.now()
    return {"now": now.isoformat(), "today": now.date().isoformat(), "frozen": sandbox.clock.frozen}


def _rule_json(sandbox: Sandbox, rule: FaultRule) -> dict[str, Any]:
    data = rule.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["used"] = sandbox.faults.used(rule.id)
    return data


async def _share(request: web.Request, op: str, **data: Any) -> None:
    """Tells the other workers sharing this Redis about a change made here (control.py)."""
    bus = request.app.get(CONTROL)
    if bus is not None:
        await bus.publish(op, **data)


async def _share_faults(request: web.Request) -> None:
    bus = request.app.get(CONTROL)
    if bus is not None:
        await bus.faults_changed()


async def _clock_answer(request: web.Request) -> web.Response:
    bus = request.app.get(CONTROL)
    if bus is not None:
        await bus.clock_changed()
    return web.json_response(_clock(_sandbox(request)))


# -- health, OpenAPI ---------------------------------------------------------------------
@lru_cache(maxsize=1)
def _openapi_json() -> bytes:
    with open(SCHEMA_DIR / "admin-openapi.yaml", encoding="utf-8") as f:
        return json.dumps(yaml.safe_load(f), ensure_ascii=False).encode()


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=_openapi_json(), content_type="application/json")


async def health(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    return web.json_response({
        "status": "ok", "version": __version__, "scenario": sandbox.scenario.name,
        "generation": sandbox.generation, "clock": _clock(sandbox),
        "journal": {"size": sandbox.journal.size, "entries": len(sandbox.journal)},
        "fault_rules": len(sandbox.faults.rules()),
    })


# -- scenario ----------------------------------------------------------------------------
async def get_scenario(request: web.Request) -> web.Response:
    return web.json_response(_scenario_summary(_sandbox(request)))


async def put_scenario(request: web.Request) -> web.Response:
    """Replaces the scenario with the YAML body. ``?keep_clock=true`` leaves the clock."""
    sandbox = _sandbox(request)
    if request.content_length is not None and request.content_length > MAX_SCENARIO_BYTES:
        return _error(413, f"a scenario body is at most {MAX_SCENARIO_BYTES} bytes")
    raw = bytearray()
    while chunk := await request.content.read(1024 * 1024):  # read() gives one chunk, not the whole body
        raw += chunk
        if len(raw) > MAX_SCENARIO_BYTES:
            return _error(413, f"a scenario body is at most {MAX_SCENARIO_BYTES} bytes")
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        return _error(400, f"the scenario is not UTF-8: {exc}")
    name = request.query.get("filename", "<request body>")[:200]
    try:
        scenario = await asyncio.to_thread(parse_scenario, text, name)
        await _load(sandbox, scenario, None, keep_clock=request.query.get("keep_clock") == "true")
    except ScenarioError as exc:
        return _error(400, "scenario refused; the running scenario is unchanged",
                      [str(p) for p in exc.problems])
    log.info("scenario %r loaded through the admin API", scenario.name)
    await _share(request, "scenario", text=text, name=name, keep_clock=request.query.get("keep_clock") == "true")
    return web.json_response(_scenario_summary(sandbox))


async def _load(sandbox: Sandbox, scenario: Any, source: Path | None, keep_clock: bool = False) -> None:
    """Builds the new store off the event loop (a large population takes a while), then
    swaps it in; a failure leaves the running scenario as it was."""
    store = await asyncio.to_thread(make_store, scenario, source or sandbox.source)
    sandbox.install(store, source, reset_clock=not keep_clock)


async def reset_scenario(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    await sandbox.reset()
    await request.app[PRENUMERATION].reset()  # its store is shared: once, not per worker
    await sandbox.durable.forget((*massfraga.KINDS, *leka.KINDS))
    await sandbox.durable.forget((shs_delivery.KIND, shs_delivery.BODIES))  # the SHS outbox's answer files and massfråga replies
    await _share(request, "reset")
    return web.json_response(_scenario_summary(sandbox))


async def reload_from_disk(sandbox: Sandbox) -> list[str]:
    """Reads the scenario file again; returns the problems (empty: reloaded)."""
    if sandbox.source is None:
        return ["the scenario was not loaded from a file; PUT /_admin/scenario instead"]
    try:
        scenario = await asyncio.to_thread(load_scenario, sandbox.source)
        await _load(sandbox, scenario, sandbox.source, keep_clock=True)
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    log.info("scenario %s reloaded", sandbox.source)
    return []


async def reload_scenario(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    problems = await reload_from_disk(sandbox)
    if problems:
        return _error(400, "reload refused; the running scenario is unchanged", problems)
    await _share(request, "reload")
    return web.json_response(_scenario_summary(sandbox))


# -- clock -------------------------------------------------------------------------------
async def get_clock(request: web.Request) -> web.Response:
    return web.json_response(_clock(_sandbox(request)))


async def put_clock(request: web.Request) -> web.Response:
    """``{"now": ISO date-time, "frozen": bool}``, either or both."""
    sandbox = _sandbox(request)
    body = await _json_body(request)
    if not isinstance(body, dict) or not set(body) <= {"now", "frozen"} or not body:
        return _error(400, 'send {"now": "2026-11-02T09:00:00+01:00", "frozen": true} (either or both)')
    when = None
    if "now" in body:
        try:
            when = datetime.fromisoformat(str(body["now"]))
        except ValueError:
            return _error(400, f"now: {body['now']!r} is not an ISO date-time")
    if "frozen" in body and not isinstance(body["frozen"], bool):
        return _error(400, "frozen: true or false")
    if when is not None:
        before = sandbox.clock.now()
        try:
            sandbox.clock.set(when)
        except ValueError as exc:
            return _error(400, f"now: {exc}")
        await _forget_the_future(sandbox, before)
    if body.get("frozen") is True:
        sandbox.clock.freeze()
    elif body.get("frozen") is False:
        sandbox.clock.unfreeze()
    return await _clock_answer(request)


_UNITS = {"days", "hours", "minutes", "seconds", "milliseconds", "weeks"}


async def advance_clock(request: web.Request) -> web.Response:
    """``{"days": 1, "hours": 2, ...}``: moves the clock forward (negative: back)."""
    sandbox = _sandbox(request)
    body = await _json_body(request)
    if not isinstance(body, dict) or not body or not set(body) <= _UNITS \
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in body.values()):
        return _error(400, f"send numbers for any of {sorted(_UNITS)}, e.g. {{\"days\": 1}}")
    before = sandbox.clock.now()
    try:
        delta = timedelta(**body)
        sandbox.clock.advance(delta)
    except (OverflowError, ValueError) as exc:
        return _error(400, f"cannot move the clock that far: {exc}")
    await _forget_the_future(sandbox, before)
    return await _clock_answer(request)


async def _forget_the_future(sandbox: Sandbox, before: datetime) -> None:
    """A clock moved back leaves questions "asked" in what is now the future; they would
    count again once the clock reaches them, so the SLA history starts afresh."""
    if sandbox.clock.now() < before:
        await sandbox.gate.counters.clear()


async def freeze_clock(request: web.Request) -> web.Response:
    _sandbox(request).clock.freeze()
    return await _clock_answer(request)


async def unfreeze_clock(request: web.Request) -> web.Response:
    _sandbox(request).clock.unfreeze()
    return await _clock_answer(request)


# -- fault rules -------------------------------------------------------------------------
def _parse_rules(data: Any) -> tuple[list[FaultRule], list[str]]:
    try:
        rules = _RULES.validate_python(data)
    except ValidationError as exc:
        return [], [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
    problems = [f"{i}.{'.'.join(str(x) for x in loc)}: {reason}"
                for i, rule in enumerate(rules) for loc, reason in check_fault_rule(rule)]
    ids = [r.id for r in rules]
    problems += [f"fault rule id {i!r} given twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    return rules, problems


async def list_faults(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    return web.json_response([_rule_json(sandbox, r) for r in sandbox.faults.rules()])


async def add_fault(request: web.Request) -> web.Response:
    """Adds one rule (a rule with the same id is replaced)."""
    sandbox = _sandbox(request)
    rules, problems = _parse_rules([await _json_body(request)])
    if problems:
        return _error(400, "fault rule refused", [p.removeprefix("0.") for p in problems])
    sandbox.faults.add(rules[0])
    await _share_faults(request)
    return web.json_response(_rule_json(sandbox, rules[0]), status=201)


async def replace_faults(request: web.Request) -> web.Response:
    sandbox = _sandbox(request)
    rules, problems = _parse_rules(await _json_body(request))
    if problems:
        return _error(400, "fault rules refused; the active rules are unchanged", problems)
    sandbox.faults.replace(tuple(rules))
    await _share_faults(request)
    return web.json_response([_rule_json(sandbox, r) for r in rules])


async def clear_faults(request: web.Request) -> web.Response:
    _sandbox(request).faults.replace(())
    await _share_faults(request)
    return web.Response(status=204)


async def remove_fault(request: web.Request) -> web.Response:
    rule_id = request.match_info["id"]
    if not _sandbox(request).faults.remove(rule_id):
        return _error(404, f"no fault rule {rule_id!r}")
    await _share_faults(request)
    return web.Response(status=204)


# -- journal -----------------------------------------------------------------------------
_FILTERS = ("organisation", "binding", "personnummer", "outcome", "path", "fault_rule", "sla_breach")


def _filter(request: web.Request) -> JournalFilter:
    q = request.query
    unknown = set(q) - {*_FILTERS, "since", "until", "limit", "bodies"}
    if unknown:
        raise _bad(f"unknown filter(s) {sorted(unknown)}; known: {[*_FILTERS, 'since', 'until']}")
    times: dict[str, datetime | None] = {}
    for key in ("since", "until"):
        times[key] = None
        if key in q:
            try:
                when = datetime.fromisoformat(q[key])
            except ValueError:
                raise _bad(f"{key}: {q[key]!r} is not an ISO date-time") from None
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
    return _sandbox(request).clock.today()


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


async def get_journal(request: web.Request) -> web.Response:
    """Matching entries, newest first; ``limit`` (default 100), ``bodies=false``."""
    sandbox = _sandbox(request)
    where = _filter(request)
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        return _error(400, "limit: a whole number")
    bodies = request.query.get("bodies", "true") != "false"
    entries = sandbox.journal.entries(where, max(limit, 0))
    return web.json_response({"entries": [e.as_json(bodies) for e in entries],
                              "size": sandbox.journal.size, "held": len(sandbox.journal)})


async def count_journal(request: web.Request) -> web.Response:
    """The verification query: how many journal entries match the filters."""
    return web.json_response({"count": _sandbox(request).journal.count(_filter(request))})


async def get_journal_entry(request: web.Request) -> web.Response:
    wanted = request.match_info["id"]
    for entry in _sandbox(request).journal.entries():
        if entry.id == wanted:
            return web.json_response(entry.as_json())
    return _error(404, f"no journal entry with correlation id {wanted!r} (the journal keeps the latest only)")


async def clear_journal(request: web.Request) -> web.Response:
    _sandbox(request).journal.clear()
    await _share(request, "journal_clear")
    return web.Response(status=204)


async def get_journal_settings(request: web.Request) -> web.Response:
    return web.json_response({"size": _sandbox(request).journal.size})


async def put_journal_settings(request: web.Request) -> web.Response:
    """``{"size": N}``: the ring buffer's size; 0 switches the journal off."""
    body = await _json_body(request)
    size = body.get("size") if isinstance(body, dict) else None
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= 1_000_000:
        return _error(400, 'send {"size": N} with 0 <= N <= 1000000 (0 switches the journal off)')
    sandbox = _sandbox(request)
    sandbox.journal.resize(size)
    await _share(request, "journal_size", size=size)
    return web.json_response({"size": sandbox.journal.size})


# -- recent traffic ----------------------------------------------------------------------
async def get_traffic(request: web.Request) -> web.Response:
    """Requests, errors and SLA breaches per organisation over the last ``minutes`` (real
    time), in points of ``step`` seconds, with the last minute's totals and the
    organisation's online limit per minute (the QA dashboard's rates and chart)."""
    sandbox = _sandbox(request)
    try:
        minutes = int(request.query.get("minutes", "5"))
        step = int(request.query.get("step", "10"))
    except ValueError:
        return _error(400, "minutes and step: whole numbers")
    if not 1 <= minutes <= KEEP_SECONDS // 60 or not 1 <= step <= 60 * minutes:
        return _error(400, f"minutes: 1 to {KEEP_SECONDS // 60}; step: 1 second to the whole window")
    now = time.time()
    series = sandbox.recent.series(now, minutes * 60, step)
    last_minute = sandbox.recent.series(now, 60, 60)
    names = {o.orgnummer: o.name for o in sandbox.store.organisations()}
    organisations = []
    for org, points in sorted(series.items()):
        organisations.append({
            "organisation": org, "name": names.get(org),
            "limit_per_minute": sandbox.gate.limits(org, "online").per_minute,
            "last_minute": last_minute.get(org, [Tally()])[0].as_json(),
            "series": [p.as_json() for p in points]})
    return web.json_response({"now": datetime.fromtimestamp(now, STOCKHOLM).isoformat(), "minutes": minutes,
                              "step": step, "organisations": organisations})


# -- LEFI Prenumeration ------------------------------------------------------------------
async def run_prenumeration_batch(request: web.Request) -> web.Response:
    """Runs the subscription batch now: every order kept so far, information up to today,
    the answer files published at once."""
    result = await request.app[PRENUMERATION].run_now()
    if result is None:
        return _error(409, "another worker is running LEFI Prenumeration's batch; try again shortly")
    return web.json_response(result.as_json())


# -- massfråga and LEKA: what the background work holds ----------------------------------
def _organisation_filter(request: web.Request) -> str | None:
    text = request.query.get("organisation")
    if text is None:
        return None
    if not orgnummer.is_valid(text):
        raise _bad(f"organisation={text[:50]!r} is not an orgnummer")
    return orgnummer.canonical(text)


async def list_massfraga_jobs(request: web.Request) -> web.Response:
    """Massfråga jobs not yet acknowledged (every binding), oldest first."""
    found = await massfraga.jobs(_sandbox(request), _organisation_filter(request))
    return web.json_response({"jobb": [j.summary() for j in found]})


async def list_leka_subscriptions(request: web.Request) -> web.Response:
    return web.json_response({"prenumerationer": await leka.subscriptions(_sandbox(request),
                                                                          _organisation_filter(request))})


async def list_leka_notifications(request: web.Request) -> web.Response:
    return web.json_response({"aviseringar": await leka.notifications(_sandbox(request),
                                                                     _organisation_filter(request))})


async def make_leka_notifications(request: web.Request) -> web.Response:
    """Makes the notifications up to the simulator's today now, rather than at the next tick."""
    return web.json_response({"skapade": await leka.scan(_sandbox(request))})
