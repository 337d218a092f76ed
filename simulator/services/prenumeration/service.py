"""LEFI Prenumeration's state and work: orders taken in, subscriptions, the nightly batch,
answer files published — all kept in the durable store, so that a ``kill -9`` at any point
loses no accepted order and delivers no change twice or never.

How (each step one atomic ``Durable.write``):

- An order is accepted by writing it (with the fingerprint of the file or SHS message it
  came in) before anything is answered or the file is removed from ``in/``; a file seen
  again after a crash is recognised by its fingerprint and only removed.
- The batch of a delivery day handles one organisation at a time: its orders taken in,
  its subscriptions with their "delivered up to" day, the delivery (the whole answer file's
  text), its ``leveransnummer`` (the organisation's own counter, one up) and a "done" mark
  go in ONE write. Killed half-way, the batch resumes with the organisations not yet done;
  the ones done are never delivered again, and no number is used up by a delivery that was
  not kept: each organisation's numbers run 1, 2, 3 ... without a gap, as partners use
  them to see that no file was missed.
- A delivery is published (written to ``out/`` as a temporary file renamed into place, and
  put in the SHS outbox) when its time has come; the "published" mark follows. Killed in
  between, it is published again under the same name: the same file, once.

Several workers share the store; the one holding the lease does the background work.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from simulator.domain.errors import TechnicalError
from simulator.runtime.sandbox import Sandbox
from simulator.scenario.models import Organisation, TimelineEvent
from simulator.scenario.timeline import changes_between
from simulator.services.prenumeration import calendar
from simulator.services.prenumeration.answer_file import (
    AnswerFileWriter,
    Change,
    DeliveryKind,
    PersonRecord,
    changes_for,
    render_error_file,
)
from simulator.services.prenumeration.documents import (
    DELIVERIES,
    DONE,
    KINDS,
    NOW,
    NUMBERS,
    ORDERS,
    RECEIVED,
    STATE,
    SUBS,
    UNPUBLISHED,
    Counter,
    Cursor,
    Delivery,
    Done,
    OrderSource,
    Received,
    StoredOrder,
    Subscription,
    Unpublished,
)
from simulator.services.prenumeration.orders import (
    Cancel,
    Order,
    OrderRefused,
    Problem,
    Refresh,
    Subscribe,
    file_name,
    read_order,
)
from simulator.stores.durable import Delete, Durable, Put, is_outage

__all__ = ["Prenumeration", "Accepted", "AnswerFile", "BatchResult", "LeaseLost", "PAUSE_ENV"]

log = logging.getLogger("simulator.prenumeration")

LEASE = "prenumeration"
# renewed while the work goes on (every RENEW_SECONDS): a process that dies hands it on this soon
LEASE_SECONDS = 3
RENEW_SECONDS = 1
# tests only: seconds to wait after each organisation's delivery is written, after each file
# published and after a file's order is kept (before the file is removed), so that a test can
# kill the server inside each of those steps
PAUSE_ENV = "LEFI_PRENUMERATION_PAUSE"
# a file in in/ is read once it has not changed for this long (real time): a partner's
# client may still be writing it (writing ".name" and renaming it is quicker: dot files wait)
QUIET_SECONDS = 0.5
REJECTED = ".rejected"  # in in/: files that could not be handled at all (a dot folder: never read)
MAX_RUNS_PER_TICK = 400
YIELD_EVERY = 100  # persons  # a clock moved a year ahead catches up over a few ticks


class LeaseLost(Exception):
    """Another worker took over the background work (this one stalled past the lease)."""


@dataclass(frozen=True)
class Accepted:
    key: str
    seq: int
    received: datetime
    intake_day: date
    answered_on: date  # the delivery day whose morning brings the answer
    duplicate: bool = False


@dataclass(frozen=True)
class BatchResult:
    run: str
    upto: date
    deliveries: list[str]  # file names

    def as_json(self) -> dict[str, Any]:
        return {"run": self.run, "avserTom": self.upto.isoformat(), "files": self.deliveries}


@dataclass(frozen=True)
class AnswerFile:
    """A file in an organisation's ``out/``: an answer file or an error file."""

    name: str
    size: int  # bytes


class Prenumeration:
    def __init__(
        self,
        sandbox: Sandbox,
        root: Path,
        worker: str,
        shs_outbox: Callable[[str, str, str, bytes], Awaitable[None]] | None = None,
    ) -> None:
        """``shs_outbox(orgnummer, key, filename, body)`` puts an answer file in an SHS outbox
        (once: a second put of ``key`` changes nothing). ``worker``: this process's unique
        lease holder name (hosts sharing one Redis must not share it)."""
        self.sandbox, self.root, self.worker = sandbox, root, worker
        self._renewed = 0.0  # time.monotonic() of the last lease renewal
        self.shs_outbox = shs_outbox
        self.pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
        self._lock = asyncio.Lock()  # the background work and the admin's batch, one at a time
        self._accepting = asyncio.Lock()  # a fingerprint looked up and written as one step

    @property
    def durable(self) -> Durable:
        return self.sandbox.durable

    # -- organisations and folders ----------------------------------------------------------
    def organisations(self) -> list[Organisation]:
        return sorted(
            (o for o in self.sandbox.store.organisations() if o.prenumeration), key=lambda o: o.orgnummer
        )

    def folder(self, org: str, which: str) -> Path:
        return self.root / org / which

    def make_folders(self) -> None:
        for org in self.organisations():
            for which in ("in", "out"):
                self.folder(org.orgnummer, which).mkdir(parents=True, exist_ok=True)

    # -- taking orders in -------------------------------------------------------------------------
    async def accept(
        self,
        org: Organisation,
        data: bytes,
        filename: str,
        source: OrderSource,
        fingerprint: str | None = None,
    ) -> Accepted:
        """Reads, checks and durably keeps an order; raises ``OrderRefused``. ``fingerprint``:
        what identifies the file or message, so that one seen again is not a second order."""
        async with self._accepting:
            return await self._accept(org, data, filename, source, fingerprint)

    async def _accept(
        self, org: Organisation, data: bytes, filename: str, source: OrderSource, fingerprint: str | None
    ) -> Accepted:
        now = self.sandbox.clock.now()
        filename = file_name(filename)
        cursor = await self._cursor()
        if fingerprint is not None:
            seen = await self.durable.get(RECEIVED, f"{org.orgnummer}/{fingerprint}")
            if seen is not None:
                key = Received.from_document(seen).order
                doc = await self.durable.get(ORDERS, key)
                if doc is not None:
                    return _accepted(key, StoredOrder.from_document(doc), cursor, duplicate=True)
        order: Order = await asyncio.to_thread(read_order, data, org, self.sandbox.engine, now.date())
        seq = await self.durable.next_id(ORDERS)
        intake = calendar.intake_day(now)
        stored = StoredOrder(seq, org.orgnummer, filename, source, now, intake, order)
        key = stored.key
        changes: list[Put | Delete] = [Put(ORDERS, key, stored.to_document())]
        if fingerprint is not None:
            changes.append(Put(RECEIVED, f"{org.orgnummer}/{fingerprint}", Received(key).to_document()))
        await self.durable.write(changes)
        log.info(
            "order %s from %s (%s, %s persons) taken in for %s",
            seq,
            org.orgnummer,
            filename,
            order.persons,
            intake,
        )
        return _accepted(key, stored, cursor)

    async def _cursor(self) -> date | None:
        """The delivery day whose batch ran last (None before the first look at the clock)."""
        state = await self.durable.get(STATE, "cursor")
        return None if state is None else Cursor.from_document(state).day

    async def take_in_files(self) -> None:
        """Every file in an ``in/`` folder: kept as an order (then removed), or refused with an
        error file in ``out/`` (then removed)."""
        self.make_folders()  # a scenario loaded since may name new organisations
        for org in self.organisations():
            inbox = self.folder(org.orgnummer, "in")
            names = sorted(p.name for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))
            for name in names:
                await self._take_in(org, inbox / name)

    async def _take_in(self, org: Organisation, path: Path) -> None:
        """One file of ``in/``. A file that cannot be handled at all (not an outage of the
        store or the disk, which waits) goes to ``in/.rejected/`` with an error file saying why,
        so that it stops nothing else."""
        # a name in any bytes (a Windows client's Latin-1 over SMB): the bytes identify the
        # file, a clean text of them goes into the store and the error file
        name = file_name(path.name)
        try:
            stat = path.stat()
            data = path.read_bytes()
        except OSError:
            return  # gone already
        if time.time() - stat.st_mtime < QUIET_SECONDS:
            return  # perhaps still being written: next time
        # this very file (a crash between keeping it and removing it shows it again);
        # the same content dropped again later is a new file, and a new order
        identity = os.fsencode(path.name) + f"\0{stat.st_ino}\0{stat.st_mtime_ns}\0".encode() + data
        fingerprint = "file:" + hashlib.sha256(identity).hexdigest()[:32]
        error_file = f"FEL-{_ascii(Path(name).stem)[:80] or 'bestallning'}-{fingerprint[5:13]}.xml"
        try:
            await self.accept(org, data, name, OrderSource.FILE, fingerprint)
            if self.pause:
                await asyncio.sleep(self.pause)
        except OrderRefused as refused:
            self._write_out(
                org.orgnummer, error_file, render_error_file(name, self.sandbox.clock.now(), refused.problems)
            )
            log.info("order file %s from %s refused: %s", name, org.orgnummer, refused)
        except Exception as exc:  # one bad file must not stop the intake
            if is_outage(exc):
                raise  # the store or the disk is away: the file stays, tried again
            problem = (
                f"the file could not be handled ({type(exc).__name__}: {exc}); it is kept in in/.rejected/"
            )
            log.error("order file %s from %s: %s", name, org.orgnummer, problem)
            rejected = path.parent / REJECTED
            rejected.mkdir(exist_ok=True)
            os.replace(path, rejected / f"{fingerprint[5:13]}-{_ascii(name)[:100]}")
            self._write_out(
                org.orgnummer,
                error_file,
                render_error_file(name, self.sandbox.clock.now(), [Problem(problem[:500])]),
            )
            return
        path.unlink(missing_ok=True)

    # -- the batch ----------------------------------------------------------------------------------
    async def run_due(self) -> list[BatchResult]:
        """The batches whose time has come by the simulator clock, oldest first."""
        now = self.sandbox.clock.now()
        cursor = await self._cursor()
        if cursor is None:
            # first start: batches before now had nothing to do
            day = now.date()
            while not (calendar.is_delivery_day(day) and calendar.batch_time(day) <= now):
                day -= timedelta(days=1)
            await self.durable.write([Put(STATE, "cursor", Cursor(day).to_document())])
            cursor = day
        results = []
        for _ in range(MAX_RUNS_PER_TICK):
            day = calendar.next_delivery_day(cursor)
            if calendar.batch_time(day) > now:
                break
            results.append(
                await self.run(
                    day.isoformat(),
                    day - timedelta(days=1),
                    calendar.delivery_time(day),
                    _taken_in_before(day),
                )
            )
            await self.durable.write([Put(STATE, "cursor", Cursor(day).to_document())])
            cursor = day
        return results

    async def run_now(self) -> BatchResult | None:
        """The admin API's batch: every order kept so far (files in ``in/`` too), information
        up to today, the answer files published at once. None: another worker holds the work."""
        async with self._lock:
            if not await self._hold():
                return None
            await self.take_in_files()
            now = self.sandbox.clock.now()
            number = await self.durable.next_id(NOW)
            result = await self.run(f"now-{number}", now.date(), now, lambda order: True)
            await self.publish_due()
        return result

    async def run(
        self, run: str, upto: date, available: datetime, takes: Callable[[StoredOrder], bool]
    ) -> BatchResult:
        """One batch: for each organisation not yet done in ``run``, one atomic write."""
        files = []
        timeline = self.sandbox.store.timeline()
        log.info("batch %s (information up to %s) begins", run, upto)
        for org in self.organisations():
            await self._keep()
            name = await self._deliver(org, run, upto, available, takes, timeline)
            if name is not None:
                files.append(name)
            if self.pause:
                await asyncio.sleep(self.pause)
        log.info("batch %s (information up to %s): %d answer files", run, upto, len(files))
        return BatchResult(run, upto, files)

    async def _deliver(
        self,
        org: Organisation,
        run: str,
        upto: date,
        available: datetime,
        takes: Callable[[StoredOrder], bool],
        timeline: Sequence[TimelineEvent],
    ) -> str | None:
        o = org.orgnummer
        # the counter first, then "done": a holder that delivered meanwhile changed the counter
        # in the same write as its "done" mark, so either "done" is seen here or the write below fails
        read = await self.durable.get(NUMBERS, o)
        if await self.durable.get(DONE, f"{run}/{o}") is not None:
            return None
        last = Counter.from_document(read).last if read is not None else await self._last_number(o)
        kept = [(k, StoredOrder.from_document(d)) for k, d in await self.durable.all(ORDERS, f"{o}/")]
        orders = [(k, order) for k, order in kept if order.applied is None and takes(order)]
        subs = {
            s.pnr: s
            for s in (Subscription.from_document(d) for _, d in await self.durable.all(SUBS, f"{o}/"))
        }
        before = dict(subs)  # the subscriptions are frozen: a change replaces one
        for _, order in orders:
            _apply(order, subs)
        changes: list[Put | Delete] = [Put(DONE, f"{run}/{o}", Done(self.sandbox.clock.now()).to_document())]
        changes += [Put(ORDERS, k, replace(order, applied=run).to_document()) for k, order in orders]
        active = [s for s in subs.values() if s.active]
        name = None
        if active or orders:
            number = last = last + 1
            writer = AnswerFileWriter(o, number, self.sandbox.clock.now(), upto)
            failed = await self._records(org, active, upto, timeline, writer)
            content, counts = writer.finish()
            name = f"LEFI-PREN-{o}-{upto:%Y%m%d}-{number:06d}.xml"
            delivery = Delivery(number, o, run, upto, name, available, counts, content)
            changes.append(Put(DELIVERIES, delivery.key, delivery.to_document()))
            changes.append(Put(UNPUBLISHED, delivery.key, Unpublished(available).to_document()))
            for s in active:
                if s.pnr not in failed:  # a full delivery FK could not make is tried again next time
                    delivered = upto if s.upto is None else max(s.upto, upto)
                    subs[s.pnr] = replace(s, upto=delivered, full=(), refresh=False)
        changes += [
            Put(SUBS, f"{o}/{pnr}", s.to_document()) for pnr, s in subs.items() if s != before.get(pnr)
        ]
        # written with every organisation's write (also without a delivery), so that the guard
        # below sees any write for the organisation since it was read
        changes.append(Put(NUMBERS, o, Counter(last, run).to_document()))
        # only if no one else wrote for the organisation meanwhile (a holder that stalled past its
        # lease, another host): the number, the delivery and the "done" mark in one step
        if not await self.durable.write_if(NUMBERS, o, read, changes):
            log.info("batch %s: %s was delivered by another holder meanwhile", run, o)
            return None
        return name

    async def _last_number(self, o: str) -> int:
        """The organisation's last leveransnummer in a store kept before the per-organisation
        counter (numbers then came from one sequence): the counter goes on from there."""
        return max(
            (Delivery.from_document(d).number for _, d in await self.durable.all(DELIVERIES, f"{o}/")),
            default=0,
        )

    async def _records(
        self,
        org: Organisation,
        active: list[Subscription],
        upto: date,
        timeline: Sequence[TimelineEvent],
        writer: AnswerFileWriter,
    ) -> set[str]:
        """Each subscription's record, added to ``writer`` as it is made; the persons whose full
        delivery FK could not make."""
        engine, store = self.sandbox.engine, self.sandbox.store
        try:
            allowed = engine.receivable(org)
        except TechnicalError:
            allowed = frozenset()
        followed = {s.pnr: s.upto for s in active if s.upto is not None}
        since = min(followed.values(), default=None)
        events = changes_between(timeline, since, upto, set(followed))
        failed = set()
        for n, s in enumerate(sorted(active, key=lambda s: s.pnr)):
            if n % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # a large batch leaves room for the online questions
                await self._keep()  # one large organisation may take longer than the lease
            full = set(s.benefits) if s.upto is None else set(s.full)
            answer = technical = None
            if full:
                try:
                    answer = engine.subscription(
                        org.orgnummer, s.pnr, {k: v for k, v in s.benefits.items() if k in full}, upto
                    )
                except TechnicalError as exc:
                    technical = exc
            news: tuple[Change, ...] = ()
            if s.upto is not None:
                after = s.upto
                news = changes_for(
                    engine,
                    store,
                    org,
                    allowed,
                    set(s.benefits) - full,
                    (e for e in events.get(s.pnr, ()) if e.date > after),
                )
            if not full and not news:
                continue
            kind = (
                DeliveryKind.ANDRING
                if not full
                else DeliveryKind.HELUPPDATERING
                if s.refresh and s.upto
                else DeliveryKind.FORSTA
            )
            writer.add(PersonRecord(s.pnr, kind, answer, technical, news))
            if technical is not None:
                failed.add(s.pnr)
        return failed

    # -- publishing ---------------------------------------------------------------------------------
    async def publish_due(self) -> None:
        now = self.sandbox.clock.now()
        due = [
            key
            for key, doc in await self.durable.all(UNPUBLISHED)
            if Unpublished.from_document(doc).available <= now
        ]
        if not due:
            return
        log.info("publishing %d answer files", len(due))
        for key in due:
            doc = await self.durable.get(DELIVERIES, key)
            if doc is None:
                await self.durable.write([Delete(UNPUBLISHED, key)])
                continue
            delivery = Delivery.from_document(doc)
            await self._publish(delivery)
            if self.pause:
                await asyncio.sleep(self.pause)
            await self.durable.write(
                [
                    Delete(UNPUBLISHED, key),
                    Put(DELIVERIES, key, replace(delivery, published=now).to_document()),
                ]
            )
        log.info("published %d answer files", len(due))

    async def _publish(self, delivery: Delivery) -> None:
        self._write_out(delivery.org, delivery.file, delivery.content)
        if self.shs_outbox is not None:  # durable itself, and put once: a second publication changes nothing
            await self.shs_outbox(
                delivery.org,
                f"{delivery.org}/{delivery.number}",
                delivery.file,
                delivery.content.encode("utf-8"),
            )

    def _write_out(self, org: str, name: str, content: str) -> None:
        """Into ``out/`` whole or not at all: a temporary file, synced, renamed into place."""
        out = self.folder(org, "out")
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / f".{name}.tmp"
        with open(tmp, "wb") as f:
            f.write(content.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out / name)

    # -- the background task ----------------------------------------------------------------------
    async def tick(self) -> None:
        """What is due by the simulator clock: files in ``in/``, batches, publications."""
        async with self._lock:
            if not await self._hold():
                return  # another worker does it
            await self.take_in_files()
            await self.run_due()
            await self.publish_due()

    async def _hold(self) -> bool:
        """Takes or renews the lease on the background work: True when this process holds it."""
        held = await self.durable.lease(LEASE, self.worker, LEASE_SECONDS)
        if held:
            self._renewed = time.monotonic()
        return held

    async def _keep(self) -> None:
        """During the work: the lease renewed when due; ``LeaseLost`` when another holder has it."""
        if time.monotonic() - self._renewed >= RENEW_SECONDS and not await self._hold():
            raise LeaseLost(f"{self.worker} lost the lease on LEFI Prenumeration's work")

    async def reset(self) -> None:
        """The admin API's reset: no orders, subscriptions or deliveries, empty folders, and
        the next batch is the first one after the (reset) clock."""
        async with self._lock:
            await self.durable.forget(KINDS)
            for org in self.organisations():
                for which in ("in", "out"):
                    for path in self.folder(org.orgnummer, which).glob("*"):
                        if path.is_file():
                            path.unlink(missing_ok=True)

    # -- what the HTTP side lists (http.py makes its JSON) ----------------------------------------
    async def orders(self, org: str) -> list[StoredOrder]:
        return [StoredOrder.from_document(d) for _, d in await self.durable.all(ORDERS, f"{org}/")]

    async def subscriptions(self, org: str) -> list[Subscription]:
        return [Subscription.from_document(d) for _, d in await self.durable.all(SUBS, f"{org}/")]

    def answer_files(self, org: str) -> list[AnswerFile]:
        out = self.folder(org, "out")
        if not out.is_dir():
            return []
        files = sorted(
            (p for p in out.iterdir() if p.is_file() and not p.name.startswith(".")), key=lambda p: p.name
        )
        return [AnswerFile(p.name, p.stat().st_size) for p in files]


def _accepted(key: str, order: StoredOrder, cursor: date | None, duplicate: bool = False) -> Accepted:
    """``cursor``: the last batch's day. The clock moved back before it, the next batch is
    still the one after it: the receipt says so (not "tomorrow")."""
    intake = order.intake_day
    answered = calendar.next_delivery_day(max(intake, cursor) if cursor is not None else intake)
    return Accepted(key, order.seq, order.received, intake, answered, duplicate)


def _ascii(text: str) -> str:
    """``text`` as a file name any client can ask for (the HTTP side serves only these)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip("._-")


def _taken_in_before(day: date) -> Callable[[StoredOrder], bool]:
    """The orders a scheduled batch takes: those of the working days before its day."""
    return lambda order: order.intake_day < day


def _apply(order: StoredOrder, subs: dict[str, Subscription]) -> None:
    """An order's actions on the organisation's subscriptions (``pnr`` → subscription), in
    order; a subscription changed is replaced in ``subs``."""
    for action in order.order.actions:
        if isinstance(action, Subscribe):
            for new in action.persons:
                sub = subs.get(new.pnr)
                if sub is None or not sub.active:
                    sub = Subscription(order.org, new.pnr, {})
                changed = {b: start for b, start in new.benefits.items() if sub.benefits.get(b) != start}
                if changed:  # one new subscription, not one per benefit: orders name thousands of persons
                    sub = replace(
                        sub, benefits={**sub.benefits, **changed}, full=tuple(sorted({*sub.full, *changed}))
                    )
                subs[new.pnr] = sub
        elif isinstance(action, Cancel):
            for gone in action.persons:
                sub = subs.get(gone.pnr)
                if sub is None or not sub.active:
                    continue  # nothing to cancel
                left = {k: v for k, v in sub.benefits.items() if gone.benefits and k not in gone.benefits}
                subs[gone.pnr] = replace(
                    sub, benefits=left, full=tuple(k for k in sub.full if k in left), active=bool(left)
                )
        elif isinstance(action, Refresh):
            for pnr in action.persons or [s.pnr for s in subs.values()]:
                sub = subs.get(pnr)
                if sub is not None and sub.active:
                    subs[pnr] = replace(sub, full=tuple(sorted(sub.benefits)), refresh=True)
