"""server.store.seasons against a real redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from server.domain.errors import Rejection
from server.store import keys
from server.store.seasons import Seasons
from server.store.store import Store
from tests.store.fu_helpers import SETTINGS, new_broadcast, open_redis, rid

pytestmark = pytest.mark.anyio


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    async with open_redis(redis_url) as client:
        yield client


@pytest.fixture
def store(redis: aioredis.Redis) -> Store:
    return Store(redis, SETTINGS)


@pytest.fixture
def seasons(redis: aioredis.Redis) -> Seasons:
    return Seasons(redis, SETTINGS)


async def test_create_get_and_list(seasons: Seasons) -> None:
    sid = rid("s")
    made = await seasons.create(sid, name=" 2024 协商在线 ", year=2024, user="admin")
    assert made["created"] is True
    again = await seasons.create(sid, name="2024 协商在线", year=2024, user="admin")
    assert again["created"] is False
    got = await seasons.get(sid)
    assert got is not None
    assert (got["id"], got["name"], got["year"], got["broadcasts"]) == (
        sid, "2024 协商在线", 2024, [],
    )  # fmt: skip
    assert sid in [s["id"] for s in await seasons.list_all()]
    with pytest.raises(Rejection) as refused:
        await seasons.create(sid, name="另一个", year=2024, user="admin")
    assert refused.value.code == "conflict"


async def test_creation_is_audited_once(seasons: Seasons, redis: aioredis.Redis) -> None:
    sid = rid("s")
    for _ in range(2):
        await seasons.create(sid, name="第一季", year=2025, user="alice")
    rows = await redis.xrange(keys.SEASON_AUDIT, "-", "+")
    mine = [f for _, f in rows if f[b"target"] == f"season:{sid}".encode()]
    assert len(mine) == 1
    assert mine[0][b"user"] == b"alice" and mine[0][b"action"] == b"season.create"


@pytest.mark.parametrize(
    ("sid", "name", "year"),
    [("all", "x", 2024), ("audit", "x", 2024), ("Bad", "x", 2024), ("ok", "", 2024),
     ("ok", "x", 1999), ("ok", "x", True), ("ok", 5, 2024)],
)  # fmt: skip
async def test_bad_input_writes_nothing(
    seasons: Seasons, redis: aioredis.Redis, sid: str, name: object, year: object
) -> None:
    before = await redis.zcard(keys.SEASONS)
    with pytest.raises(Rejection):
        await seasons.create(sid, name=name, year=year, user="admin")  # type: ignore[arg-type]
    assert await redis.zcard(keys.SEASONS) == before


async def test_episodes_in_order_and_idempotent(
    seasons: Seasons, store: Store, redis: aioredis.Redis
) -> None:
    sid = rid("s")
    await seasons.create(sid, name="2024 协商在线", year=2024, user="admin")
    first, second = await new_broadcast(store), await new_broadcast(store)
    assert await seasons.add_broadcast(sid, first, user="admin") == 1
    assert await seasons.add_broadcast(sid, second, user="admin") == 2
    assert await seasons.add_broadcast(sid, first, user="admin") == 1  # a retry
    assert await seasons.broadcasts(sid) == [first, second]
    assert await seasons.season_of(first) == sid
    # The broadcast's side: one season event and one audit entry, however often retried.
    events = [f[b"e"] for _, f in await redis.xrange(keys.events(first), "-", "+")]
    assert sum(b'"type":"season"' in e for e in events) == 1
    audit = [f[b"action"] for _, f in await redis.xrange(keys.audit(first), "-", "+")]
    assert audit.count(b"season.add") == 1


async def test_a_broadcast_belongs_to_one_season(seasons: Seasons, store: Store) -> None:
    one, other = rid("s"), rid("s")
    for sid in (one, other):
        await seasons.create(sid, name="季", year=2024, user="admin")
    bid = await new_broadcast(store)
    await seasons.add_broadcast(one, bid)
    with pytest.raises(Rejection) as refused:
        await seasons.add_broadcast(other, bid)
    assert refused.value.code == "conflict"
    assert await seasons.broadcasts(other) == []


async def test_missing_season_or_broadcast(seasons: Seasons, store: Store) -> None:
    bid = await new_broadcast(store)
    with pytest.raises(Rejection) as no_season:
        await seasons.add_broadcast(rid("s"), bid)
    assert no_season.value.code == "not_found"
    assert await seasons.season_of(bid) is None
    sid = rid("s")
    await seasons.create(sid, name="季", year=2024, user="admin")
    with pytest.raises(Rejection) as no_bc:
        await seasons.add_broadcast(sid, rid("b"))
    assert no_bc.value.code == "not_found"
    assert await seasons.get("no-such-season-x") is None
