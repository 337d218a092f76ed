"""The durable store's conditional write, on SQLite and on Redis: the check and the changes
are one step, so two hosts racing to write the same work end with one write."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from simulator.durable import Delete, Durable, Put, RedisDurable, SqliteDurable


@pytest.fixture(params=["sqlite", "redis"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Durable, Durable]:
    """Two handles on one store, as two processes (or hosts) have."""
    if request.param == "sqlite":
        return SqliteDurable(tmp_path / "a.sqlite3"), SqliteDurable(tmp_path / "a.sqlite3")
    url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/11"
    prefix = f"test:{tmp_path.name}:"
    return RedisDurable(url, prefix), RedisDurable(url, prefix)


def test_write_unless_exists_writes_once(stores: tuple[Durable, Durable]) -> None:
    a, b = stores

    async def main() -> None:
        assert await a.write([Put("x", "old", {"v": 0})])
        guard = ("done", "run1/org")
        first = await a.write([Put("done", "run1/org", {"by": "a"}), Put("x", "k", {"v": 1}), Delete("x", "old")],
                              unless_exists=guard)
        second = await b.write([Put("done", "run1/org", {"by": "b"}), Put("x", "k", {"v": 2})], unless_exists=guard)
        assert (first, second) == (True, False)
        assert await b.get("done", "run1/org") == {"by": "a"}
        assert await b.get("x", "k") == {"v": 1}  # nothing of the refused write
        assert await b.get("x", "old") is None  # the winner's delete happened
        # racing: of many concurrent writers exactly one gets through
        results = await asyncio.gather(*(s.write([Put("done", "run2/org", {"by": n})], unless_exists=("done", "run2/org"))
                                         for n, s in enumerate([a, b] * 5)))
        assert sorted(results) == [False] * 9 + [True]
        for s in (a, b):
            await s.close()

    asyncio.run(main())
