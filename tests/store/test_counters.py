"""likes_flush.lua and presence.lua through ``Store``: the per-process writes."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from server.store import keys
from server.store.store import Store
from tests.store.helpers import dump, events, new_broadcast

pytestmark = pytest.mark.anyio


async def test_likes_flush_counts_a_sequence_once(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    first = await store.flush_likes(bid, proc="hub-a", seq=1, delta=12, last_ids={"v1:t1": "L7"})
    assert first["total"] == 12
    [*_, event] = await events(redis, bid)
    assert event == {"type": "likes", "total": 12, "pos": first["pos"]}
    assert await store.last_like_id(bid, "v1:t1") == "L7"
    # The same (process, sequence) again, e.g. a redis-py retry after a lost
    # reply: the total, no second count, no event, no key touched.
    before = await dump(redis, bid)
    replay = await store.flush_likes(bid, proc="hub-a", seq=1, delta=12, last_ids={})
    assert replay == {"ok": True, "total": 12, "replay": True}
    assert await dump(redis, bid) == before
    # Another process's sequence numbers are its own.
    other = await store.flush_likes(bid, proc="hub-b", seq=1, delta=3, last_ids={})
    assert other["total"] == 15
    assert await redis.hgetall(keys.like_flushes(bid)) == {b"hub-a": b"1", b"hub-b": b"1"}


async def test_presence_sums_the_live_processes(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    # The sum, the expiry and the peak are presence.lua's rules alone.
    await new_broadcast(store, bid)
    a = await store.report_presence(bid, proc="hub-a", count=5, ttl_ms=60_000, seen=["v1", "v2"])
    assert a == {"now": 5, "peak": 5, "unique": 2}
    b = await store.report_presence(bid, proc="hub-b", count=3, ttl_ms=60_000, seen=["v2", "v3"])
    assert b == {"now": 8, "peak": 8, "unique": 3}
    presence = [e for e in await events(redis, bid) if e["type"] == "presence"]
    assert [(e["now"], e["peak"], e["unique"]) for e in presence] == [(5, 5, 2), (8, 8, 3)]
    # Unchanged figures: no event.
    await store.report_presence(bid, proc="hub-b", count=3, ttl_ms=60_000, seen=[])
    assert len([e for e in await events(redis, bid) if e["type"] == "presence"]) == 2
    # A process whose entry expires (ttl 0: expired as soon as written) stops
    # being counted by the next report, and its entry goes; the peak stays.
    await store.report_presence(bid, proc="hub-a", count=5, ttl_ms=0, seen=[])
    after = await store.report_presence(bid, proc="hub-b", count=1, ttl_ms=60_000, seen=[])
    assert after == {"now": 1, "peak": 8, "unique": 3}
    assert not await redis.hexists(keys.presence(bid), "hub-a")
    snap = await store.snapshot(bid, "viewer")
    assert snap is not None and snap["presence"] == after
