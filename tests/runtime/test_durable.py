"""The durable store's conditional write, on SQLite and on Redis: the check and the changes
are one step, so two hosts racing to write the same work end with one write."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from simulator.stores.durable import Delete, Durable, Put, RedisDurable, SqliteDurable


@pytest.fixture(params=["sqlite", "redis"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Durable, Durable]:
    """Two handles on one store, as two processes (or hosts) have."""
    if request.param == "sqlite":
        return SqliteDurable(tmp_path / "a.sqlite3"), SqliteDurable(tmp_path / "a.sqlite3")
    url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/11"
    prefix = f"test:{tmp_path.name}:"
    return RedisDurable(url, prefix), RedisDurable(url, prefix)


def test_write_if_absent_writes_once(stores: tuple[Durable, Durable]) -> None:
    a, b = stores

    async def main() -> None:
        await a.write([Put("x", "old", {"v": 0})])
        first = await a.write_if(
            "done",
            "run1/org",
            None,
            [Put("done", "run1/org", {"by": "a"}), Put("x", "k", {"v": 1}), Delete("x", "old")],
        )
        second = await b.write_if(
            "done", "run1/org", None, [Put("done", "run1/org", {"by": "b"}), Put("x", "k", {"v": 2})]
        )
        assert (first, second) == (True, False)
        assert await b.get("done", "run1/org") == {"by": "a"}
        assert await b.get("x", "k") == {"v": 1}  # nothing of the refused write
        assert await b.get("x", "old") is None  # the winner's delete happened
        # racing: of many concurrent writers exactly one gets through
        results = await asyncio.gather(
            *(
                s.write_if("done", "run2/org", None, [Put("done", "run2/org", {"by": n})])
                for n, s in enumerate([a, b] * 5)
            )
        )
        assert sorted(results) == [False] * 9 + [True]
        # as read: a document changed meanwhile refuses the write
        assert await a.write_if(
            "done", "run1/org", {"by": "a"}, [Put("done", "run1/org", {"by": "a", "n": 2})]
        )
        assert not await b.write_if("done", "run1/org", {"by": "a"}, [Put("x", "k", {"v": 3})])
        assert await b.get("x", "k") == {"v": 1}
        for s in (a, b):
            await s.close()

    asyncio.run(main())
