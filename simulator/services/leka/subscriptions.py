"""LEKA (Leverera kundavisering): subscriptions to persons' changed benefit information,
and the notifications (avisering) the simulator clock brings.

A subscription is an organisation's interest in one person, from the day it registers.
When the simulator clock passes a day with a timeline event of a subscribed person
(``simulator/scenario/timeline.py``), a notification is made — for benefits the
organisation may receive (its agreement and org type; personal details count as
``generellPersonInformation``). The subscription's "watched up to" day and the new
notifications are written in one durable write, so that every change is notified once,
also across a kill -9 or a clock moved back and forth.

Notifications are pushed (HTTP POST, JSON, ``Idempotency-Key``) to the organisation's
aviseringsadress, with retries and exponential backoff (bounded), a few at a time per
organisation and apart from the scan (``Pusher``); until pushed they can be fetched and
acknowledged (``HamtaAviseringar``, ``KvitteraAviseringar``). A background task (one per
store: it takes a lease) does both, from start-up on. Every write onto a subscription or a
notification goes onto it only as it was read (``Durable.write_if``): a deregistration, an
acknowledgement or the admin API's reset meanwhile is never undone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from simulator.domain.errors import BusinessError, TechnicalError, Verksamhetsfel
from simulator.domain.personnummer import InvalidPersonnummer, Personnummer
from simulator.engine.visibility import PERSONAL, Subscriber, subject, visible
from simulator.runtime.sandbox import SANDBOX, Sandbox
from simulator.scenario.models import Transport
from simulator.scenario.timeline import changes_between
from simulator.stores.background import Lease, repeat, task_context
from simulator.stores.durable import Delete, Put, is_outage

__all__ = [
    "MAX_ATTEMPTS",
    "PERSONAL",
    "InvalidAddress",
    "Outcome",
    "Pusher",
    "acknowledge",
    "check",
    "deregister",
    "notifications",
    "notifier_context",
    "pending",
    "register",
    "scan",
    "subscriptions",
    "valid_address",
]

log = logging.getLogger("simulator.leka")

SUBSCRIPTIONS = "leka.prenumeration"  # key organisation:personnummer
ADDRESSES = "leka.adress"  # key organisation: {"url": ...}
NOTIFICATIONS = "leka.avisering"  # key organisation:id (id zero-padded: key order is id order)
KINDS = (SUBSCRIPTIONS, ADDRESSES, NOTIFICATIONS)  # what the admin API's reset forgets
LEASE = "leka-notifier"
LEASE_SECONDS = 5.0
TICK_SECONDS = 0.25
# push retries: 0.5 s, 1 s, 2 s ... at most 30 s apart, 8 attempts; then the notification
# waits to be fetched
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
MAX_ATTEMPTS = 8
PUSH_TIMEOUT = 3.0  # short: a partner's address answers a POST at once, or is down
PUSH_PER_ORGANISATION = 4  # POSTs under way to one organisation's address at a time
CLAIM_SECONDS = PUSH_TIMEOUT + 2.0  # a claimed attempt is nobody else's until it has timed out


@dataclass(frozen=True)
class Outcome:
    """One person's result: OK (``status`` None) or a business error."""

    personnummer: str
    status: Verksamhetsfel | None
    text: str
    registered: str | None = None

    @property
    def code(self) -> int:
        return 0 if self.status is None else self.status.code


def allowed(sandbox: Sandbox, organisation: str, transport: Transport) -> frozenset[str]:
    """What the organisation may be notified about; raises ``BusinessError`` (12, 13) or
    ``TechnicalError`` for the request to fail as the onlinefråga fails."""
    return sandbox.engine.allowed_benefits(organisation, transport)


def _person(sandbox: Sandbox, text: str) -> tuple[str, tuple[Verksamhetsfel | None, str]]:
    """(canonical number, OK) or (as sent, the business error): 11 malformed, 3 unknown."""
    today = sandbox.clock.today()
    try:
        pnr = Personnummer.parse(text, today)
    except InvalidPersonnummer as exc:
        return text, (Verksamhetsfel.FELAKTIGT_PERSONNUMMER, f"Felaktigt format på personnummer: {exc}")
    if sandbox.store.person(pnr, today) is None:
        return pnr.value, (Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER, Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER.text)
    return pnr.value, (None, "OK")


class InvalidAddress(ValueError):
    """An aviseringsadress that is no absolute http(s) URL."""


def valid_address(text: str) -> str:
    """``text`` as an absolute http(s) URL to push to, or ``InvalidAddress`` saying why not."""
    try:
        url = URL(text.strip())
    except ValueError:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise InvalidAddress(f"aviseringsadress ska vara en absolut http- eller https-URL, inte {text[:200]!r}")
    return str(url)


async def register(sandbox: Sandbox, organisation: str, persons: list[str], transport: Transport,
                   address: str | None) -> list[Outcome]:
    """Subscribes ``organisation`` to each person from today (changes after today are
    notified); a person already subscribed stays as registered first."""
    allowed(sandbox, organisation, transport)
    if address is not None:
        address = valid_address(address)
    now = sandbox.clock.now()
    changes: list[Put | Delete] = []
    results = []
    for text in persons:
        number, (status, reason) = _person(sandbox, text)
        registered = None
        if status is None:
            existing = await sandbox.durable.get(SUBSCRIPTIONS, f"{organisation}:{number}")
            if existing is None:
                existing = {"organisation": organisation, "personnummer": number, "transport": transport.value,
                            "registrerad": now.isoformat(timespec="seconds"), "bevakad_till": now.date().isoformat()}
                changes.append(Put(SUBSCRIPTIONS, f"{organisation}:{number}", existing))
            registered = existing["registrerad"]
        results.append(Outcome(number, status, reason, registered))
    if address is not None:
        changes.append(Put(ADDRESSES, organisation, {"url": address}))
    await sandbox.durable.write(changes)
    return results


async def check(sandbox: Sandbox, organisation: str, persons: list[str], transport: Transport) -> list[Outcome]:
    allowed(sandbox, organisation, transport)
    results = []
    for text in persons:
        number, (status, reason) = _person(sandbox, text)
        doc = await sandbox.durable.get(SUBSCRIPTIONS, f"{organisation}:{number}")
        results.append(Outcome(number, status, reason, None if doc is None else doc["registrerad"]))
    return results


async def deregister(sandbox: Sandbox, organisation: str, persons: list[str], transport: Transport) -> list[Outcome]:
    """Ends the subscriptions; notifications already made stay to be fetched."""
    allowed(sandbox, organisation, transport)
    results, changes = [], []
    for text in persons:
        number, (status, reason) = _person(sandbox, text)
        if status is None and await sandbox.durable.get(SUBSCRIPTIONS, f"{organisation}:{number}") is None:
            status, reason = Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER, "Ingen prenumeration på personen"
        if status is None:
            changes.append(Delete(SUBSCRIPTIONS, f"{organisation}:{number}"))
        results.append(Outcome(number, status, reason))
    await sandbox.durable.write(changes)
    return results


async def subscriptions(sandbox: Sandbox, organisation: str | None = None) -> list[dict[str, Any]]:
    return [doc for _, doc in await sandbox.durable.all(SUBSCRIPTIONS, f"{organisation}:" if organisation else "")]


async def notifications(sandbox: Sandbox, organisation: str | None = None) -> list[dict[str, Any]]:
    return [doc for _, doc in await sandbox.durable.all(NOTIFICATIONS, f"{organisation}:" if organisation else "")]


async def pending(sandbox: Sandbox, organisation: str, transport: Transport, limit: int) -> list[dict[str, Any]]:
    """The organisation's notifications not yet delivered (pushed or acknowledged), oldest first."""
    allowed(sandbox, organisation, transport)
    return [n for n in await notifications(sandbox, organisation) if n["status"] == "ny"][:limit]


async def acknowledge(sandbox: Sandbox, organisation: str, ids: list[int], transport: Transport) -> int:
    """Marks the notifications fetched; how many were waiting."""
    allowed(sandbox, organisation, transport)
    changes: list[Put | Delete] = []
    for nid in ids:
        doc = await sandbox.durable.get(NOTIFICATIONS, f"{organisation}:{nid:010d}")
        if doc is not None and doc["status"] == "ny":
            changes.append(Put(NOTIFICATIONS, f"{organisation}:{nid:010d}", {**doc, "status": "kvitterad"}))
    await sandbox.durable.write(changes)
    return len(changes)


async def scan(sandbox: Sandbox) -> int:
    """Makes the notifications of every subscription up to the simulator's today; how many."""
    today = sandbox.clock.today()
    made = 0
    for key, sub in await sandbox.durable.all(SUBSCRIPTIONS):
        watched = date.fromisoformat(sub["bevakad_till"])
        if watched >= today:
            continue  # nothing new (or the clock was moved back: the days are notified already)
        try:
            may_see = allowed(sandbox, sub["organisation"], Transport(sub["transport"]))
        except (BusinessError, TechnicalError):
            may_see = frozenset()  # no longer authorised: nothing is notified, the days still pass
        events = changes_between(sandbox.store.timeline(), watched, today, {sub["personnummer"]})
        changes: list[Put | Delete] = []
        for event in events.get(sub["personnummer"], ()):
            if not visible(event, may_see, may_see, Subscriber.LEKA):
                continue
            benefit = subject(event)
            nid = await sandbox.durable.next_id(NOTIFICATIONS)
            changes.append(Put(NOTIFICATIONS, f"{sub['organisation']}:{nid:010d}", {
                "aviseringsId": nid, "organisationsnummer": sub["organisation"],
                "personnummer": sub["personnummer"], "datum": event.date.isoformat(), "handelse": event.event.value,
                "forman": benefit, "skapad": sandbox.clock.now().isoformat(timespec="seconds"),
                "status": "ny", "forsok": 0, "nasta_forsok": 0.0, "senaste_fel": None}))
        # the notifications and the day they reach, at once: none lost, none made twice
        changes.append(Put(SUBSCRIPTIONS, key, {**sub, "bevakad_till": today.isoformat()}))
        # only onto the subscription as read: one deregistered or reset meanwhile stays gone
        if await sandbox.durable.write_if(SUBSCRIPTIONS, key, sub, changes):
            made += len(changes) - 1
    return made


# -- pushing ------------------------------------------------------------------------------
def push_body(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in ("aviseringsId", "organisationsnummer", "personnummer", "datum", "handelse",
                                "forman", "skapad")}


async def _post(client: aiohttp.ClientSession, url: str, doc: dict[str, Any]) -> str | None:
    """None when the address took the notification, else what went wrong."""
    try:
        async with client.post(url, json=push_body(doc), headers={
                "Idempotency-Key": f"leka-{doc['organisationsnummer']}-{doc['aviseringsId']}"}) as response:
            return f"HTTP {response.status}" if response.status >= 300 else None
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"[:300]


class Pusher:
    """POSTs the due notifications, each on its own task, at most ``PUSH_PER_ORGANISATION``
    at a time per organisation: a slow address delays only its own organisation's
    notifications, never the scan or anyone else's.

    Each attempt is claimed first (one conditional write: counted, and its next attempt not
    due before this one has timed out), so a worker that takes the lease over meanwhile
    does not push the same notification again."""

    def __init__(self, sandbox: Sandbox, client: aiohttp.ClientSession) -> None:
        self.sandbox, self.client = sandbox, client
        self.busy: dict[str, set[str]] = {}  # organisation → keys being pushed
        self.tasks: set[asyncio.Task[None]] = set()

    async def start_due(self) -> None:
        durable = self.sandbox.durable
        addresses = dict(await durable.all(ADDRESSES))
        now = time.time()
        for key, doc in await durable.all(NOTIFICATIONS):
            busy = self.busy.setdefault(doc["organisationsnummer"], set())
            address = addresses.get(doc["organisationsnummer"])
            if (address is None or doc["status"] != "ny" or doc["forsok"] >= MAX_ATTEMPTS
                    or doc["nasta_forsok"] > now or key in busy or len(busy) >= PUSH_PER_ORGANISATION):
                continue
            claimed = {**doc, "forsok": doc["forsok"] + 1, "nasta_forsok": now + CLAIM_SECONDS}
            if not await durable.write_if(NOTIFICATIONS, key, doc, [Put(NOTIFICATIONS, key, claimed)]):
                continue  # fetched, acknowledged or reset meanwhile
            busy.add(key)
            task = asyncio.create_task(self._push(key, claimed, address["url"], busy))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _push(self, key: str, claimed: dict[str, Any], url: str, busy: set[str]) -> None:
        try:
            error = await _post(self.client, url, claimed)
            if error is None:
                update = {"status": "levererad", "levererad": self.sandbox.clock.now().isoformat(timespec="seconds")}
            else:
                update = {"senaste_fel": error, "nasta_forsok": time.time() + min(
                    BACKOFF_MAX, BACKOFF_FIRST * 2 ** (claimed["forsok"] - 1))}
            # onto the claim only: acknowledged by a fetch, or forgotten by a reset, meanwhile stays so
            await self.sandbox.durable.write_if(NOTIFICATIONS, key, claimed,
                                                [Put(NOTIFICATIONS, key, {**claimed, **update})])
        except Exception as exc:  # noqa: BLE001 - a task of its own: say what happened, the notifier goes on
            if is_outage(exc):
                log.warning("LEKA push of %s: the durable store is unreachable (%s); tried again later", key, exc)
            else:
                log.exception("LEKA push of %s failed", key)
        finally:
            busy.discard(key)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def _run(app: web.Application) -> None:
    sandbox = app[SANDBOX]
    lease = Lease(sandbox.durable, LEASE, LEASE_SECONDS)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PUSH_TIMEOUT)) as client:
        pusher = Pusher(sandbox, client)

        async def step() -> None:
            if await lease.held():  # renewed every tick, however long a push takes
                await scan(sandbox)
                await pusher.start_due()

        try:
            await repeat("LEKA notifier", lambda: asyncio.sleep(TICK_SECONDS), step)
        finally:
            await pusher.stop()


# the notifier, from start-up (resuming pending pushes) to shutdown
notifier_context = task_context(_run)
