"""LEKA (Leverera kundavisering): subscriptions to persons' changed benefit information,
and the notifications (avisering) the simulator clock brings.

A subscription is an organisation's interest in one person, from the day it registers.
When the simulator clock passes a day with a timeline event of a subscribed person
(``simulator/scenario/timeline.py``), a notification is made — for benefits the
organisation may receive (its agreement and org type; personal details count as
``generellPersonInformation``), by the rule LEFI Prenumeration follows too
(``simulator/engine/visibility.py``). The subscription's "watched up to" day and the new
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
import enum
import logging
import time
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from simulator.domain.errors import BusinessError, TechnicalError, Verksamhetsfel
from simulator.domain.personnummer import Personnummer
from simulator.engine.visibility import PERSONAL, subject, visible
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
class Subscription:
    """An organisation's subscription on a person, as the durable store keeps it."""

    organisation: str
    personnummer: str
    transport: Transport
    registered: str  # simulator clock, ISO
    watched_until: date  # the last day whose changes are notified

    @property
    def key(self) -> str:
        return f"{self.organisation}:{self.personnummer}"

    def to_document(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation,
            "personnummer": self.personnummer,
            "transport": self.transport.value,
            "registrerad": self.registered,
            "bevakad_till": self.watched_until.isoformat(),
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Subscription:
        return cls(
            doc["organisation"],
            doc["personnummer"],
            Transport(doc["transport"]),
            doc["registrerad"],
            date.fromisoformat(doc["bevakad_till"]),
        )


class NotificationStatus(enum.StrEnum):
    NEW = "ny"  # waiting: to be pushed or fetched
    ACKNOWLEDGED = "kvitterad"  # fetched and acknowledged over SOAP
    DELIVERED = "levererad"  # pushed to the organisation's address


@dataclass(frozen=True)
class Notification:
    """One change notified to one organisation, as the durable store keeps it."""

    id: int
    organisation: str
    personnummer: str
    day: str  # the day of the change, ISO
    event: str  # the timeline event (handelse)
    benefit: str  # what it is about (forman)
    created: str  # simulator clock, ISO
    status: NotificationStatus = NotificationStatus.NEW
    attempts: int = 0  # pushes tried
    next_attempt: float = 0.0  # real time (epoch seconds) the next push is due
    last_error: str | None = None
    delivered: str | None = None  # simulator clock, ISO, once pushed

    @property
    def key(self) -> str:
        return f"{self.organisation}:{self.id:010d}"

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "aviseringsId": self.id,
            "organisationsnummer": self.organisation,
            "personnummer": self.personnummer,
            "datum": self.day,
            "handelse": self.event,
            "forman": self.benefit,
            "skapad": self.created,
            "status": self.status.value,
            "forsok": self.attempts,
            "nasta_forsok": self.next_attempt,
            "senaste_fel": self.last_error,
        }
        if self.delivered is not None:
            doc["levererad"] = self.delivered
        return doc

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Notification:
        return cls(
            doc["aviseringsId"],
            doc["organisationsnummer"],
            doc["personnummer"],
            doc["datum"],
            doc["handelse"],
            doc["forman"],
            doc["skapad"],
            NotificationStatus(doc["status"]),
            doc["forsok"],
            doc["nasta_forsok"],
            doc["senaste_fel"],
            doc.get("levererad"),
        )


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


def _number(sandbox: Sandbox, text: str) -> tuple[str, BusinessError | None]:
    """(canonical number, None) or (as sent, business error 11)."""
    try:
        return sandbox.engine.personnummer(text, sandbox.clock.today()).value, None
    except BusinessError as err:
        return text, err


def _person(sandbox: Sandbox, text: str) -> tuple[str, tuple[Verksamhetsfel | None, str]]:
    """(canonical number, OK) or (the number, the business error): a person is registered as
    the onlinefråga answers about them (``Engine.person``): 11 malformed, 3 unknown or missing,
    4 a new number (named in the text); a technical error fails the request as it fails the
    question."""
    number, malformed = _number(sandbox, text)
    if malformed is not None:
        return number, (malformed.status, malformed.detail or malformed.status.text)
    try:
        sandbox.engine.person(Personnummer(number), sandbox.clock.today())
    except BusinessError as err:
        text = err.detail or err.status.text
        if err.new_personnummer is not None:
            text = f"{text}: {err.new_personnummer}"
        return number, (err.status, text)
    return number, (None, "OK")


class InvalidAddress(ValueError):
    """An aviseringsadress that is no absolute http(s) URL."""


def valid_address(text: str) -> str:
    """``text`` as an absolute http(s) URL to push to, or ``InvalidAddress`` saying why not."""
    try:
        url = URL(text.strip())
    except ValueError:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise InvalidAddress(
            f"aviseringsadress ska vara en absolut http- eller https-URL, inte {text[:200]!r}"
        )
    return str(url)


async def register(
    sandbox: Sandbox, organisation: str, persons: list[str], transport: Transport, address: str | None
) -> list[Outcome]:
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
            stored = await sandbox.durable.get(SUBSCRIPTIONS, f"{organisation}:{number}")
            if stored is None:
                new = Subscription(
                    organisation, number, transport, now.isoformat(timespec="seconds"), now.date()
                )
                changes.append(Put(SUBSCRIPTIONS, new.key, new.to_document()))
                registered = new.registered
            else:
                registered = Subscription.from_document(stored).registered
        results.append(Outcome(number, status, reason, registered))
    if address is not None:
        changes.append(Put(ADDRESSES, organisation, {"url": address}))
    await sandbox.durable.write(changes)
    return results


async def check(
    sandbox: Sandbox, organisation: str, persons: list[str], transport: Transport
) -> list[Outcome]:
    allowed(sandbox, organisation, transport)
    results = []
    for text in persons:
        number, malformed = _number(sandbox, text)
        doc = await sandbox.durable.get(SUBSCRIPTIONS, f"{organisation}:{number}")
        registered = None if doc is None else Subscription.from_document(doc).registered
        if malformed is not None:
            results.append(Outcome(number, malformed.status, malformed.detail or malformed.status.text))
        else:
            results.append(Outcome(number, None, "OK", registered))
    return results


async def deregister(
    sandbox: Sandbox, organisation: str, persons: list[str], transport: Transport
) -> list[Outcome]:
    """Ends the subscriptions; notifications already made stay to be fetched. A subscription
    held is always ended, whatever the person's state in the scenario now."""
    allowed(sandbox, organisation, transport)
    results, changes = [], []
    for text in persons:
        number, malformed = _number(sandbox, text)
        if malformed is not None:
            results.append(Outcome(number, malformed.status, malformed.detail or malformed.status.text))
        elif await sandbox.durable.get(SUBSCRIPTIONS, f"{organisation}:{number}") is None:
            results.append(
                Outcome(
                    number, Verksamhetsfel.PERSON_SAKNAS_I_KUNDREGISTER, "Ingen prenumeration på personen"
                )
            )
        else:
            changes.append(Delete(SUBSCRIPTIONS, f"{organisation}:{number}"))
            results.append(Outcome(number, None, "OK"))
    await sandbox.durable.write(changes)
    return results


async def subscriptions(sandbox: Sandbox, organisation: str | None = None) -> list[Subscription]:
    found = await sandbox.durable.all(SUBSCRIPTIONS, f"{organisation}:" if organisation else "")
    return [Subscription.from_document(doc) for _, doc in found]


async def notifications(sandbox: Sandbox, organisation: str | None = None) -> list[Notification]:
    found = await sandbox.durable.all(NOTIFICATIONS, f"{organisation}:" if organisation else "")
    return [Notification.from_document(doc) for _, doc in found]


async def pending(
    sandbox: Sandbox, organisation: str, transport: Transport, limit: int
) -> list[Notification]:
    """The organisation's notifications not yet delivered (pushed or acknowledged), oldest first."""
    allowed(sandbox, organisation, transport)
    return [n for n in await notifications(sandbox, organisation) if n.status is NotificationStatus.NEW][
        :limit
    ]


async def acknowledge(sandbox: Sandbox, organisation: str, ids: list[int], transport: Transport) -> int:
    """Marks the notifications fetched; how many were waiting."""
    allowed(sandbox, organisation, transport)
    changes: list[Put | Delete] = []
    for nid in ids:
        doc = await sandbox.durable.get(NOTIFICATIONS, f"{organisation}:{nid:010d}")
        if doc is None:
            continue
        waiting = Notification.from_document(doc)
        if waiting.status is NotificationStatus.NEW:
            done = replace(waiting, status=NotificationStatus.ACKNOWLEDGED)
            changes.append(Put(NOTIFICATIONS, done.key, done.to_document()))
    await sandbox.durable.write(changes)
    return len(changes)


async def scan(sandbox: Sandbox) -> int:
    """Makes the notifications of every subscription up to the simulator's today; how many."""
    today = sandbox.clock.today()
    made = 0
    for key, doc in await sandbox.durable.all(SUBSCRIPTIONS):
        sub = Subscription.from_document(doc)
        if sub.watched_until >= today:
            continue  # nothing new (or the clock was moved back: the days are notified already)
        try:
            may_see = allowed(sandbox, sub.organisation, sub.transport)
        except (BusinessError, TechnicalError):
            may_see = frozenset()  # no longer authorised: nothing is notified, the days still pass
        events = changes_between(sandbox.store.timeline(), sub.watched_until, today, {sub.personnummer})
        changes: list[Put | Delete] = []
        for event in events.get(sub.personnummer, ()):
            if not visible(event, may_see, may_see):  # subscribed to the person: to all it may see
                continue
            made_now = Notification(
                await sandbox.durable.next_id(NOTIFICATIONS),
                sub.organisation,
                sub.personnummer,
                event.date.isoformat(),
                event.event.value,
                subject(event),
                sandbox.clock.now().isoformat(timespec="seconds"),
            )
            changes.append(Put(NOTIFICATIONS, made_now.key, made_now.to_document()))
        # the notifications and the day they reach, at once: none lost, none made twice
        changes.append(Put(SUBSCRIPTIONS, key, replace(sub, watched_until=today).to_document()))
        # only onto the subscription as read: one deregistered or reset meanwhile stays gone
        if await sandbox.durable.write_if(SUBSCRIPTIONS, key, doc, changes):
            made += len(changes) - 1
    return made


# -- pushing ------------------------------------------------------------------------------
def push_body(notification: Notification) -> dict[str, Any]:
    """What a pushed (JSON) or fetched (SOAP) notification says."""
    doc = notification.to_document()
    return {
        k: doc[k]
        for k in (
            "aviseringsId",
            "organisationsnummer",
            "personnummer",
            "datum",
            "handelse",
            "forman",
            "skapad",
        )
    }


async def _post(client: aiohttp.ClientSession, url: str, notification: Notification) -> str | None:
    """None when the address took the notification, else what went wrong."""
    try:
        async with client.post(
            url,
            json=push_body(notification),
            headers={"Idempotency-Key": f"leka-{notification.organisation}-{notification.id}"},
        ) as response:
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
            due = Notification.from_document(doc)
            busy = self.busy.setdefault(due.organisation, set())
            address = addresses.get(due.organisation)
            if (
                address is None
                or due.status is not NotificationStatus.NEW
                or due.attempts >= MAX_ATTEMPTS
                or due.next_attempt > now
                or key in busy
                or len(busy) >= PUSH_PER_ORGANISATION
            ):
                continue
            claimed = replace(due, attempts=due.attempts + 1, next_attempt=now + CLAIM_SECONDS)
            if not await durable.write_if(
                NOTIFICATIONS, key, doc, [Put(NOTIFICATIONS, key, claimed.to_document())]
            ):
                continue  # fetched, acknowledged or reset meanwhile
            busy.add(key)
            task = asyncio.create_task(self._push(key, claimed, address["url"], busy))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _push(self, key: str, claimed: Notification, url: str, busy: set[str]) -> None:
        try:
            error = await _post(self.client, url, claimed)
            if error is None:
                after = replace(
                    claimed,
                    status=NotificationStatus.DELIVERED,
                    delivered=self.sandbox.clock.now().isoformat(timespec="seconds"),
                )
            else:
                after = replace(
                    claimed,
                    last_error=error,
                    next_attempt=time.time() + min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (claimed.attempts - 1)),
                )
            # onto the claim only: acknowledged by a fetch, or forgotten by a reset, meanwhile stays so
            await self.sandbox.durable.write_if(
                NOTIFICATIONS, key, claimed.to_document(), [Put(NOTIFICATIONS, key, after.to_document())]
            )
        except Exception as exc:  # noqa: BLE001 - a task of its own: say what happened, the notifier goes on
            if is_outage(exc):
                log.warning(
                    "LEKA push of %s: the durable store is unreachable (%s); tried again later", key, exc
                )
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
