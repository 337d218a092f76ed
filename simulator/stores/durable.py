"""The durable store: what must survive a crash of the simulator.

Subscriptions, orders, deliveries, massfråga jobs and notifications are kept as JSON
documents under (kind, key), in SQLite (a file under the data folder, the default) or in
Redis (``serve --redis``). A ``write`` is atomic — every change in it is kept, or none — so
that a feature can record "this delivery is made" and "the subscription has been served
up to this day" in one step, and a ``kill -9`` between two writes loses neither or both.

Several workers (``serve --workers N``) share one store; background work that must run in
one place takes a ``lease`` first.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

__all__ = ["Durable", "Put", "Delete", "SqliteDurable", "RedisDurable", "open_durable", "DATA_FILE"]

DATA_FILE = "lefi-sandbox.sqlite3"
Document = dict[str, Any]


@dataclass(frozen=True)
class Put:
    kind: str
    key: str
    doc: Document


@dataclass(frozen=True)
class Delete:
    kind: str
    key: str


class Durable(Protocol):
    async def get(self, kind: str, key: str) -> Document | None: ...

    async def all(self, kind: str, prefix: str = "") -> list[tuple[str, Document]]:
        """Every document of ``kind`` whose key starts with ``prefix``, in key order."""
        ...

    async def write(self, changes: Sequence[Put | Delete]) -> None:
        """All of ``changes`` at once, or none of them."""
        ...

    async def next_id(self, kind: str) -> int:
        """1, 2, 3, ... per ``kind``, never the same number twice, across restarts."""
        ...

    async def lease(self, name: str, holder: str, seconds: float) -> bool:
        """True when ``holder`` now holds ``name`` for ``seconds`` (taken, or renewed)."""
        ...

    async def forget(self, kinds: Sequence[str]) -> None:
        """Every document of ``kinds``, gone at once (the admin API's reset)."""
        ...

    async def close(self) -> None: ...

    async def write_if(
        self, kind: str, key: str, expected: Document | None, changes: Sequence[Put | Delete]
    ) -> bool:
        """``changes`` at once, only while (kind, key) is still ``expected`` — as read, not
        reset, deleted or changed meanwhile; None: still absent (two hosts racing to do the
        same work: one wins). The check and the write are one step. False, and nothing
        written, otherwise."""
        ...

    async def get_many(self, kind: str, keys: Sequence[str]) -> list[Document | None]:
        """The documents of ``keys`` (None where there is none), in the order of ``keys``."""
        ...


class SqliteDurable:
    """One SQLite file. WAL with ``synchronous=NORMAL``: a committed transaction survives
    the process being killed (not a power cut, which a sandbox need not survive)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # autocommit mode (RETURNING rows are read with fetchall, which ends the statement);
        # transactions are explicit, so a write is one BEGIN..COMMIT
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS documents (kind TEXT, key TEXT, doc TEXT NOT NULL,"
            " PRIMARY KEY (kind, key))"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sequences (kind TEXT PRIMARY KEY, value INTEGER NOT NULL)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT, until REAL)")
        # the event loop is single-threaded; the lock keeps a write whole if a feature
        # ever hands the store to a thread
        self._lock = asyncio.Lock()

    async def get(self, kind: str, key: str) -> Document | None:
        row = self._db.execute("SELECT doc FROM documents WHERE kind=? AND key=?", (kind, key)).fetchone()
        return None if row is None else json.loads(row[0])

    async def all(self, kind: str, prefix: str = "") -> list[tuple[str, Document]]:
        rows = self._db.execute(
            "SELECT key, doc FROM documents WHERE kind=? AND substr(key, 1, ?)=? ORDER BY key",
            (kind, len(prefix), prefix),
        ).fetchall()
        return [(key, json.loads(doc)) for key, doc in rows]

    async def write(self, changes: Sequence[Put | Delete]) -> None:
        async with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._apply(changes)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    async def next_id(self, kind: str) -> int:
        async with self._lock:
            row = self._db.execute(
                "INSERT INTO sequences VALUES (?, 1) ON CONFLICT(kind) DO UPDATE"
                " SET value = value + 1 RETURNING value",
                (kind,),
            ).fetchall()
        return int(row[0][0])

    async def lease(self, name: str, holder: str, seconds: float) -> bool:
        now = time.time()
        async with self._lock:
            row = self._db.execute(
                "INSERT INTO leases VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET holder=excluded.holder,"
                " until=excluded.until WHERE leases.holder=excluded.holder OR leases.until < ? RETURNING holder",
                (name, holder, now + seconds, now),
            ).fetchall()
        return bool(row)

    async def forget(self, kinds: Sequence[str]) -> None:
        async with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM documents WHERE kind=?", [(kind,) for kind in kinds])
            self._db.execute("COMMIT")

    async def close(self) -> None:
        self._db.close()

    async def write_if(
        self, kind: str, key: str, expected: Document | None, changes: Sequence[Put | Delete]
    ) -> bool:
        async with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # the check and the write under one lock on the file
            try:
                row = self._db.execute(
                    "SELECT doc FROM documents WHERE kind=? AND key=?", (kind, key)
                ).fetchone()
                if (None if row is None else json.loads(row[0])) != expected:
                    self._db.execute("ROLLBACK")
                    return False
                self._apply(changes)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return True

    def _apply(self, changes: Sequence[Put | Delete]) -> None:
        for change in changes:
            if isinstance(change, Put):
                self._db.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?, ?, ?)",
                    (change.kind, change.key, json.dumps(change.doc, ensure_ascii=False)),
                )
            else:
                self._db.execute("DELETE FROM documents WHERE kind=? AND key=?", (change.kind, change.key))

    async def get_many(self, kind: str, keys: Sequence[str]) -> list[Document | None]:
        found: dict[str, str] = {}
        for i in range(0, len(keys), 500):  # well below SQLite's limit on parameters
            part = keys[i : i + 500]
            found.update(
                self._db.execute(
                    f"SELECT key, doc FROM documents WHERE kind=? AND key IN ({','.join('?' * len(part))})",
                    (kind, *part),
                ).fetchall()
            )
        return [None if key not in found else json.loads(found[key]) for key in keys]


class RedisDurable:
    """A hash per kind under ``prefix``; a write is one MULTI/EXEC transaction. How long
    the data outlives Redis itself is Redis's persistence configuration."""

    def __init__(self, url: str, prefix: str = "lefi:durable:") -> None:
        import redis.asyncio as redis  # only with --redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self.prefix = prefix

    def _hash(self, kind: str) -> str:
        return f"{self.prefix}doc:{kind}"

    async def get(self, kind: str, key: str) -> Document | None:
        raw = await self._redis.hget(self._hash(kind), key)
        return None if raw is None else json.loads(raw)

    async def all(self, kind: str, prefix: str = "") -> list[tuple[str, Document]]:
        items = cast(dict[str, str], await self._redis.hgetall(self._hash(kind)))  # decode_responses: str
        return [(key, json.loads(items[key])) for key in sorted(items) if key.startswith(prefix)]

    async def write(self, changes: Sequence[Put | Delete]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            self._queue(pipe, changes)
            await pipe.execute()

    def _queue(self, pipe: Any, changes: Sequence[Put | Delete]) -> None:
        for change in changes:
            if isinstance(change, Put):
                pipe.hset(self._hash(change.kind), change.key, json.dumps(change.doc, ensure_ascii=False))
            else:
                pipe.hdel(self._hash(change.kind), change.key)

    async def next_id(self, kind: str) -> int:
        return int(await self._redis.incr(f"{self.prefix}seq:{kind}"))

    async def lease(self, name: str, holder: str, seconds: float) -> bool:
        key = f"{self.prefix}lease:{name}"
        ms = max(1, int(seconds * 1000))
        if await self._redis.set(key, holder, nx=True, px=ms):
            return True
        # renew only our own lease; the check and the renewal in one script
        renewed = await self._redis.eval(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end"
            " return 0",
            1,
            key,
            holder,
            ms,
        )
        return bool(renewed)

    async def forget(self, kinds: Sequence[str]) -> None:
        if kinds:
            await self._redis.delete(*(self._hash(kind) for kind in kinds))

    async def close(self) -> None:
        await self._redis.aclose()

    async def write_if(
        self, kind: str, key: str, expected: Document | None, changes: Sequence[Put | Delete]
    ) -> bool:
        from redis.exceptions import WatchError

        while True:  # optimistic: WATCH the hash, compare, MULTI/EXEC; again if the hash changed meanwhile
            async with self._redis.pipeline(transaction=True) as pipe:
                await pipe.watch(self._hash(kind))
                raw = await pipe.hget(self._hash(kind), key)
                if (None if raw is None else json.loads(raw)) != expected:
                    return False
                pipe.multi()
                self._queue(pipe, changes)
                try:
                    await pipe.execute()
                except WatchError:
                    continue
                return True

    async def get_many(self, kind: str, keys: Sequence[str]) -> list[Document | None]:
        raws = await self._redis.hmget(self._hash(kind), list(keys)) if keys else []
        return [None if raw is None else json.loads(raw) for raw in raws]


# KEYS[1] the guard's hash, ARGV[1] its field; then per change i: KEYS[i+1], ARGV op, field, value
def open_durable(data_dir: Path, redis_url: str | None = None) -> Durable:
    """Redis when the server shares one, else the SQLite file in ``data_dir``."""
    if redis_url:
        return RedisDurable(redis_url)
    return SqliteDurable(data_dir / DATA_FILE)


def is_outage(exc: BaseException) -> bool:
    """The store is unreachable for now (Redis away, the SQLite file locked or gone): background
    work waits and tries again, and says so in the log without a traceback."""
    return isinstance(exc, (OSError, sqlite3.OperationalError)) or type(exc).__module__.startswith("redis.")
