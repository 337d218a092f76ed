"""The web e-tjänst (SPEC §2.3, seed 001 §5): a simulated e-legitimation login, "Hämta
förmånsinformation" and "Visa förmånsinformation", under /lefi/.

One more binding of the same engine: a question posted from the form goes through
``Sandbox.answer`` (SLA gate, fault rules, engine) and the journal as binding ``web``.
Logging in checks the scenario's behörighetssystem (``users:`` of an organisation) and
the organisation's authority over the web transport, as the engine sees it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from simulator.domain.benefits import BENEFITS, Benefit, BenefitGroup, benefits_for_version
from simulator.domain.errors import BusinessError, TechnicalError, Verksamhetsfel
from simulator.domain.orgnummer import Orgnummer
from simulator.domain.personnummer import Personnummer
from simulator.domain.versions import newest_supported
from simulator.engine.answer import Answer
from simulator.engine.query import Query
from simulator.observability.exchange import binding, exchange_of
from simulator.observability.outcome import Outcome
from simulator.protocols import ladder
from simulator.protocols.echo import echo
from simulator.protocols.http_body import cut_short
from simulator.protocols.ladder import Renderer
from simulator.runtime.faults import InjectedFault
from simulator.runtime.sandbox import SANDBOX, Sandbox
from simulator.runtime.sla.gate import SlaBreach
from simulator.scenario.models import Binding, Organisation, Transport, WebUser
from simulator.services.web.form import BENEFITS_FIELD, FIELDS, HamtaForm, check_personnummer
from simulator.services.web.pages import STATIC_DIR, STATIC_PREFIX, render, render_refusal
from simulator.services.web.sessions import (
    COOKIE,
    IDLE_TIMEOUT,
    SESSIONS,
    Sessions,
    WebSession,
    set_cookie,
)
from simulator.services.web.tables import answer_tables, dashed

__all__ = ["setup", "BASE", "METHODS"]

log = logging.getLogger("simulator.web")

BASE = "/lefi"
# the e-legitimationer of seed 001 §5 (simulated: no identity provider is asked)
METHODS = {"bankid": "BankID", "mobilt_bankid": "Mobilt BankID", "telia": "Telia e-legitimation"}
CUT_SHORT = "Formuläret kom inte fram helt. Skicka det igen."
PERSON_INFORMATION = "generellPersonInformation"  # always asked: "Personuppgifter" heads every answer
_LOGGED_OUT = {
    "1": "Du är nu utloggad.",
    "inaktiv": f"Du har loggats ut eftersom du inte har varit aktiv på "
    f"{int(IDLE_TIMEOUT.total_seconds() // 60)} minuter. Logga in igen.",
}


def setup(app: web.Application) -> None:
    app[SESSIONS] = Sessions()
    r = app.router
    r.add_get(BASE, to_start)
    r.add_get(f"{BASE}/", to_start)
    r.add_get(f"{BASE}/login", login_page)
    r.add_post(f"{BASE}/login", login)
    r.add_post(f"{BASE}/logout", logout)
    r.add_get(f"{BASE}/hamta", hamta_page)
    r.add_post(f"{BASE}/hamta", hamta)
    r.add_post(f"{BASE}/hamta/markera-alla", markera_alla)
    r.add_static(STATIC_PREFIX, STATIC_DIR)


# -- sessions ----------------------------------------------------------------------------
def _now(request: web.Request) -> datetime:
    return request.app[SANDBOX].clock.now()


def _session(request: web.Request) -> WebSession | None:
    return request.app[SESSIONS].get(request.cookies.get(COOKIE))


def _logged_in(request: web.Request) -> WebSession:
    """The session of a logged-in user, now active again; else a redirect to the login
    (after 120 idle minutes by the simulator clock, saying so)."""
    session = _session(request)
    if session is None or session.user is None:
        raise web.HTTPSeeOther(f"{BASE}/login")
    now = _now(request)
    if session.idle_out(now):
        request.app[SESSIONS].drop(session)
        raise web.HTTPSeeOther(f"{BASE}/login?utloggad=inaktiv")
    session.last_seen = now
    return session


class _FormTooLarge(web.HTTPClientError):
    status_code = 413  # aiohttp's HTTPRequestEntityTooLarge wants the sizes, for its own text


async def _form(request: web.Request) -> dict[str, list[str]]:
    """The posted form (our pages post application/x-www-form-urlencoded); anything else
    is refused with a page saying so."""

    def refused(exc_class: type[web.HTTPException], message: str) -> web.HTTPException:
        exchange_of(request).outcome = Outcome.rejected()
        return render_refusal(
            exc_class,
            "fel.html",
            today=_now(request).date(),
            title="Formuläret kunde inte läsas",
            message=message,
        )

    if request.content_type != "application/x-www-form-urlencoded":
        raise refused(
            web.HTTPUnsupportedMediaType,
            "Formuläret ska skickas som "
            f"application/x-www-form-urlencoded, inte {echo(request.content_type)}.",
        )
    try:
        data = await request.post()
    except (ValueError, UnicodeDecodeError):
        raise refused(web.HTTPBadRequest, "Formuläret är inte korrekt kodat (UTF-8).") from None
    except web.HTTPRequestEntityTooLarge:  # over 1 MiB or aiohttp's 1 000 fields
        raise refused(_FormTooLarge, "Formuläret är för stort eller har för många fält.") from None
    except ConnectionResetError:
        raise refused(web.HTTPBadRequest, CUT_SHORT) from None
    if cut_short(request, await request.read()):  # the client half-closed before all of it came
        raise refused(web.HTTPBadRequest, CUT_SHORT)
    form: dict[str, list[str]] = {}
    for key, value in data.items():
        if isinstance(value, str):
            form.setdefault(key, []).append(value)
    return form


async def _posted(request: web.Request, session: WebSession | None) -> dict[str, list[str]]:
    """The posted form, once its token matches the session's (CSRF); else 403."""
    form = await _form(request)
    if session is None or not session.token_ok(_first(form, "csrf")):
        exchange_of(request).outcome = Outcome.rejected()
        raise render_refusal(
            web.HTTPForbidden,
            "fel.html",
            today=_now(request).date(),
            title="Sidan har gått ut",
            message="Formuläret har gått ut eller kom från en annan webbplats, så det skickades inte.",
        )
    return form


def _first(form: dict[str, list[str]], key: str) -> str:
    return form.get(key, [""])[0]


# -- login -------------------------------------------------------------------------------
def _registered(sandbox: Sandbox, pnr: Personnummer) -> tuple[Organisation, WebUser] | None:
    """The organisation the user is registered for in the behörighetssystem (scenario
    ``users:``; checks.py keeps a user to one organisation)."""
    for org in sandbox.store.organisations():
        for user in org.users:
            if user.personnummer == pnr.value:
                return org, user
    return None


def _login_context(request: web.Request, session: WebSession, **extra: Any) -> dict[str, Any]:
    sandbox = request.app[SANDBOX]
    users = [(u, org) for org in sandbox.store.organisations() for u in org.users]
    context: dict[str, Any] = {
        "today": sandbox.clock.today(),
        "csrf": session.csrf,
        "methods": METHODS,
        "users": users,
        "method": "",
        "personnummer": "",
        "errors": {},
        "refusal": None,
        "message": _LOGGED_OUT.get(request.query.get("utloggad", "")),
        "session": None,
        "dashed": dashed,
    }
    context.update(extra)
    return context


def _login_response(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    """The login page, in a new anonymous session (a login then starts from a fresh id)."""
    session = request.app[SESSIONS].new(_now(request))
    response = render("login.html", status, **_login_context(request, session, **extra))
    set_cookie(request, response, session)
    return response


def _logged_out(request: web.Request, session: WebSession, reason: str) -> web.HTTPForbidden:
    """Ends the session; the login page saying why, to raise."""
    request.app[SESSIONS].drop(session)
    exchange_of(request).outcome = Outcome.rejected()
    fresh = request.app[SESSIONS].new(_now(request))
    refusal = render_refusal(
        web.HTTPForbidden,
        "login.html",
        **_login_context(request, fresh, refusal=f"Du har loggats ut: {reason}"),
    )
    set_cookie(request, refusal, fresh)
    return refusal


async def to_start(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther(f"{BASE}/hamta")


async def login_page(request: web.Request) -> web.Response:
    session = _session(request)
    if session is not None:
        if session.user is not None and not session.idle_out(_now(request)):
            raise web.HTTPSeeOther(f"{BASE}/hamta")
        request.app[SESSIONS].drop(session)  # the page starts a new one
    return _login_response(request)


async def login(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    session = _session(request)
    data = await _form(request)
    if session is None or not session.token_ok(_first(data, "csrf")):
        return _login_response(request, 403, refusal="Sidan har gått ut. Försök logga in igen.")
    method = _first(data, "metod")
    typed = _first(data, "personnummer")[:40]
    errors: dict[str, str] = {}
    if method not in METHODS:
        errors["metod"] = "Välj e-legitimation."
    pnr, problem = check_personnummer(typed, sandbox.clock.today())
    if problem:
        errors["personnummer"] = problem
    if errors:
        return _login_response(request, 400, errors=errors, method=method, personnummer=typed)
    assert pnr is not None
    found = _registered(sandbox, pnr)
    if found is None:
        return _login_response(
            request,
            403,
            method=method,
            personnummer=typed,
            refusal=(
                f"Inloggningen nekades: {dashed(pnr.value)} är inte registrerad för någon organisation i "
                "Försäkringskassans behörighetssystem."
            ),
        )
    org, user = found
    try:
        sandbox.engine.allowed_benefits(org.orgnummer, Transport.WEB)
    except (BusinessError, TechnicalError) as exc:
        return _login_response(
            request,
            403,
            method=method,
            personnummer=typed,
            refusal=f"Inloggningen nekades: {_organisation_refusal(org, exc)}",
        )
    request.app[SESSIONS].drop(session)
    fresh = request.app[SESSIONS].new(_now(request))
    fresh.user, fresh.organisation, fresh.method = user.personnummer, org.orgnummer, method
    log.info("web login: %s for %s with %s", user.personnummer, org.orgnummer, METHODS[method])
    response = web.HTTPSeeOther(f"{BASE}/hamta")
    set_cookie(request, response, fresh)
    raise response


def _organisation_refusal(org: Organisation, exc: BusinessError | TechnicalError) -> str:
    if isinstance(exc, BusinessError):
        return f"{org.name} är inte behörig till LEFI Online via webbgränssnittet."
    return f"behörighetskontrollen för {org.name} misslyckades: {_technical_text(exc)}"


async def logout(request: web.Request) -> web.Response:
    session = _session(request)
    await _posted(request, session)
    assert session is not None
    request.app[SESSIONS].drop(session)
    response = web.HTTPSeeOther(f"{BASE}/login?utloggad=1")
    response.del_cookie(COOKIE, path=BASE)
    raise response


# -- Hämta förmånsinformation ------------------------------------------------------------
@dataclass(frozen=True)
class Offer:
    """What the logged-in user's organisation may ask for on the web, grouped as on the page."""

    organisation: Organisation
    user: WebUser
    version: int
    groups: tuple[tuple[str, tuple[Benefit, ...]], ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(b.key for _, members in self.groups for b in members)

    @property
    def all_checked_from_start(self) -> bool:
        return self.organisation.type == "kommun"  # seed 001 §5.1: municipalities all, others none


def _offer(request: web.Request, session: WebSession) -> Offer:
    """The organisation's offer, as the engine allows it now; a user no longer registered
    or an organisation no longer authorised is logged out with the reason."""
    sandbox = request.app[SANDBOX]
    assert session.organisation is not None and session.user is not None
    org = sandbox.store.organisation(Orgnummer(session.organisation))
    user = next((u for u in org.users if u.personnummer == session.user), None) if org else None
    if org is None or user is None:
        raise _logged_out(
            request, session, "du är inte längre registrerad för organisationen i behörighetssystemet."
        )
    try:
        allowed = sandbox.engine.allowed_benefits(org.orgnummer, Transport.WEB)
    except (BusinessError, TechnicalError) as exc:
        raise _logged_out(request, session, _organisation_refusal(org, exc)) from None
    version = newest_supported(sandbox.clock.today())
    offered = [b for b in benefits_for_version(version) if b.key in allowed and b.key != PERSON_INFORMATION]
    groups = tuple((g.value, tuple(b for b in offered if b.group is g)) for g in BenefitGroup)
    return Offer(org, user, version, tuple((label, members) for label, members in groups if members))


def _hamta_response(
    request: web.Request,
    session: WebSession,
    offer: Offer,
    form: HamtaForm,
    status: int = 200,
    alert: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return render(
        "hamta.html",
        status,
        headers,
        **_page(request, session, offer),
        form=form,
        fields=FIELDS,
        benefits_field=BENEFITS_FIELD,
        alert=alert,
    )


def _page(request: web.Request, session: WebSession, offer: Offer) -> dict[str, Any]:
    """What the header of every logged-in page shows."""
    return {
        "today": request.app[SANDBOX].clock.today(),
        "csrf": session.csrf,
        "offer": offer,
        "method": METHODS.get(session.method or "", ""),
        "dashed": dashed,
    }


async def hamta_page(request: web.Request) -> web.Response:
    session = _logged_in(request)
    offer = _offer(request, session)
    form = HamtaForm(benefits=frozenset(offer.keys) if offer.all_checked_from_start else frozenset())
    return _hamta_response(request, session, offer, form)


async def markera_alla(request: web.Request) -> web.Response:
    """ "Markera alla" without script: the form again, as typed, every benefit checked."""
    session = _logged_in(request)
    posted = await _posted(request, session)
    offer = _offer(request, session)
    form = HamtaForm.read(posted, offer.keys)
    form.benefits = frozenset(offer.keys)
    return _hamta_response(request, session, offer, form)


@binding(Binding.WEB)
async def hamta(request: web.Request) -> web.Response:
    """ "Skicka": the form's checks, then the engine's answer as "Visa förmånsinformation"."""
    sandbox = request.app[SANDBOX]
    exchange = exchange_of(request)
    try:
        session = _logged_in(request)
    except web.HTTPSeeOther:
        exchange.outcome = Outcome.rejected()
        raise
    posted = await _posted(request, session)
    offer = _offer(request, session)
    exchange.organisation = offer.organisation.orgnummer
    form = HamtaForm.read(posted, offer.keys)
    question = form.check(sandbox.clock.today())
    if question is None:
        exchange.outcome = Outcome.invalid()
        exchange.personnummer = form.personnummer.strip()[:20] or None
        return _hamta_response(request, session, offer, form, 400)
    query = Query(
        orgnummer=offer.organisation.orgnummer,
        personnummer=question.personnummer.value,
        from_date=question.from_date,
        tom_date=question.tom_date,
        benefits=question.benefits | {PERSON_INFORMATION},
        version=offer.version,
        transport=Transport.WEB,
    )
    try:
        answer = await sandbox.answer(query, exchange)
    except (SlaBreach, TechnicalError, InjectedFault) as exc:  # anything else is the server's 500
        return ladder.render_error(request, _HamtaRenderer(request, session, offer, form), exc, log)
    return render(
        "visa.html",
        **_page(request, session, offer),
        form=form,
        question=question,
        tables=answer_tables(answer.person) if answer.person is not None else (),
        refusal=None if answer.status is None else business_message(answer),
        labels=[b.label for b in BENEFITS if b.key in question.benefits],
    )


class _HamtaRenderer(Renderer[web.Response]):
    """The ladder's errors as the form again, with an alert saying what went wrong."""

    def __init__(self, request: web.Request, session: WebSession, offer: Offer, form: HamtaForm) -> None:
        self.request, self.session, self.offer, self.form = request, session, offer, form

    def _page(self, status: int, alert: str, headers: dict[str, str] | None = None) -> web.Response:
        return _hamta_response(self.request, self.session, self.offer, self.form, status, alert, headers)

    def sla(self, breach: SlaBreach) -> web.Response:
        return self._page(
            503 if breach.closed else 429,
            f"Frågan kan inte tas emot just nu. {breach.text}",
            {"Retry-After": breach.retry_after_header},
        )

    def injected(self, exc: InjectedFault) -> web.Response:
        return self._page(500, f"Tekniskt fel: {_technical_text(exc)} Försök igen senare.")

    def technical(self, exc: TechnicalError) -> web.Response:
        return self._page(500, f"Tekniskt fel: {_technical_text(exc)} Försök igen senare.")


def _technical_text(exc: TechnicalError | InjectedFault) -> str:
    if isinstance(exc, InjectedFault):
        return f"Simulerat fel (regel {exc.rule.id}): {exc.reason}."
    detail = f" {exc.detail}." if exc.detail and exc.detail != exc.status.text else ""
    return f"{exc.status.text} ({exc.status.name}).{detail}"


def business_message(answer: Answer) -> str:
    """A business error as a sentence for the user, with FK's code."""
    assert answer.status is not None
    status = answer.status
    if status is Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER:
        text = "Personen finns inte i Försäkringskassans kundregister."
    elif status is Verksamhetsfel.NYTT_PERSONNUMMER and answer.new_personnummer:
        text = (
            f"Personen har fått ett nytt personnummer: {dashed(answer.new_personnummer)}. "
            "Sök på det nya personnumret."
        )
    elif status is Verksamhetsfel.NYTT_PERSONNUMMER:
        text = "Personen har dubbla kundid hos Försäkringskassan; uppgifterna kan inte lämnas ut."
    elif status is Verksamhetsfel.ORGANISATIONEN_EJ_BEHORIG_ENLIGT_BAD:
        text = "Organisationen är inte behörig till tjänsten."
    else:
        text = f"{answer.status_text.rstrip('.')}."
    return f"{text} (Felkod {status.code}.)"
