"""server.store.indexer: the cross-broadcast indexes, followed and rebuilt."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.domain.followup import Action
from server.store import keys
from server.store.departments import Departments
from server.store.followup import FollowUps, FuActor
from server.store.indexer import Indexer
from server.store.seasons import Seasons
from server.store.store import Store, raise_for
from tests.store.followup.helpers import SETTINGS, cid, new_broadcast, rid

pytestmark = pytest.mark.anyio
MOD = FuActor.moderator("alice")


async def derived(redis: aioredis.Redis, ix: Indexer, bids: tuple[str, ...] = ()) -> dict[str, Any]:
    """What the indexer derived, as far as it concerns ``bids`` (all if empty):
    the suite's Redis is shared, and other tests' broadcasts are indexed too."""

    def ours(value: bytes | str) -> bool:
        s = value.decode() if isinstance(value, bytes) else value
        return not bids or any(s.startswith(b + ":") or s == b for b in bids)

    out: dict[str, Any] = {}
    for key in await ix.derived_keys():
        kind = (await redis.type(key)).decode()
        if kind == "zset":
            found = [m for m in await redis.zrange(key, 0, -1, withscores=True) if ours(m[0])]
        elif kind == "hash":
            found = {f: v for f, v in (await redis.hgetall(key)).items() if ours(f)}
        elif kind == "string":
            value = await redis.get(key)
            found = value if value is not None and ours(value) else None
        else:
            continue
        if found:
            out[key] = found
    return out


async def test_follow_then_rebuild_from_scratch_is_equal(redis: aioredis.Redis) -> None:
    store, fu, ix = Store(redis, SETTINGS), FollowUps(redis, SETTINGS), Indexer(redis)
    seasons, depts = Seasons(redis, SETTINGS), Departments(redis)
    roads, schools = rid("roads"), rid("schools")
    for d in (roads, schools):
        await depts.put(d, name=f"区{d}局", short=None, contact="", user="admin")
    sid = rid("s")
    await seasons.create(sid, name="2024 协商在线", year=2024, user="admin")
    one, two = (
        await new_broadcast(store, moderation=False),
        await new_broadcast(store, moderation=False),
    )
    await seasons.add_broadcast(sid, one)
    await seasons.add_broadcast(sid, two)
    asked = {}
    for bid in (one, two):
        for i in range(4):
            text = f"问题{i}{secrets.token_hex(2)}"
            done = raise_for(
                await store.ask(bid, cid(), vid=f"v{i}", text=text, name="", tag=None, fp=text)
            )
            asked[(bid, i)] = done
    off_roads = FuActor.official("li", roads)
    # one: q1 assigned to roads (due 10-08), q2 accepted by roads then sent back,
    #      q3 replied and published by roads; two: q1 assigned to schools (due 10-10),
    #      q2 assigned to roads then moved to schools.
    q = {k: v["qid"] for k, v in asked.items()}
    raise_for(await fu.assign(one, cid(), MOD, q[(one, 0)], dept=roads, due=dt.date(2024, 10, 8)))
    raise_for(await fu.assign(one, cid(), MOD, q[(one, 1)], dept=roads, due=dt.date(2024, 10, 9)))
    raise_for(await fu.transition(one, cid(), off_roads, q[(one, 1)], Action.ACCEPT))
    raise_for(await fu.transition(one, cid(), off_roads, q[(one, 1)], Action.SEND_BACK, "非本单位"))
    raise_for(await fu.assign(one, cid(), MOD, q[(one, 2)], dept=roads, due=dt.date(2024, 10, 9)))
    raise_for(await fu.transition(one, cid(), off_roads, q[(one, 2)], Action.ACCEPT))
    raise_for(await fu.transition(one, cid(), off_roads, q[(one, 2)], Action.REPLY, "答复", ""))
    raise_for(await fu.transition(one, cid(), MOD, q[(one, 2)], Action.PUBLISH, ""))
    raise_for(
        await fu.assign(two, cid(), MOD, q[(two, 0)], dept=schools, due=dt.date(2024, 10, 10))
    )
    raise_for(await fu.assign(two, cid(), MOD, q[(two, 1)], dept=roads, due=dt.date(2024, 10, 7)))
    raise_for(await fu.assign(two, cid(), MOD, q[(two, 1)], dept=schools, due=dt.date(2024, 10, 7)))

    await ix.run_once()
    assert await depts.queue(roads) == [(one, q[(one, 0)])]
    assert await depts.queue(schools) == [(two, q[(two, 1)]), (two, q[(two, 0)])]
    assert set(await depts.history(roads)) == {(one, q[(one, 1)]), (one, q[(one, 2)])}
    for (bid, _), done in asked.items():
        assert (await redis.get(keys.qcode(done["code"]))).decode() == f"{bid}:{done['qid']}"
    assert await seasons.broadcasts(sid) == [one, two]
    # Following again reads nothing new and changes nothing.
    followed = await derived(redis, ix, (one, two))
    assert await ix.run_once() == 0
    assert await derived(redis, ix, (one, two)) == followed

    for key in await ix.derived_keys():
        await redis.delete(key)
    assert await depts.queue(roads) == [] and await seasons.broadcasts(sid) == []
    await ix.rebuild()
    assert await derived(redis, ix, (one, two)) == followed


async def test_a_trimmed_stream_falls_back_to_resync(redis: aioredis.Redis) -> None:
    store, fu, ix, depts = (
        Store(redis, SETTINGS),
        FollowUps(redis, SETTINGS),
        Indexer(redis),
        Departments(redis),
    )
    dept = rid("d")
    await depts.put(dept, name="区城管局", short="城管", contact="", user="admin")
    bid = await new_broadcast(store, moderation=False)
    done = raise_for(
        await store.ask(bid, cid(), vid="v", text="路灯坏了", name="", tag=None, fp="lu")
    )
    await ix.follow(bid)
    raise_for(await fu.assign(bid, cid(), MOD, done["qid"], dept=dept, due=dt.date(2024, 10, 8)))
    # The stream loses everything up to now but one later event.
    raise_for(
        await fu.transition(bid, cid(), MOD, done["qid"], Action.ASSIGN, dept, "2024-10-09", "")
    )
    last = (await redis.xrevrange(keys.events(bid), count=1))[0][0]
    await redis.xtrim(keys.events(bid), minid=last)
    await ix.follow(bid)
    assert await depts.queue(dept) == [(bid, done["qid"])]
    assert await redis.zscore(keys.dept_queue(dept), f"{bid}:{done['qid']}") == 20241009


async def test_a_round_follows_only_the_streams_that_moved(redis: aioredis.Redis) -> None:
    store, ix = Store(redis, SETTINGS), Indexer(redis)
    still, busy, new = [await new_broadcast(store, moderation=False) for _ in range(3)]
    for bid in (still, busy):
        raise_for(await store.ask(bid, cid(), vid="v", text="路灯坏了", name="", tag=None, fp="lu"))
        await ix.follow(bid)
    assert await ix.moved([still, busy, new]) == [new]  # never followed: resynced
    await ix.follow(new)
    assert await ix.moved([still, busy, new]) == []
    asked = raise_for(
        await store.ask(busy, cid(), vid="w", text="公交站台太远", name="", tag=None, fp="gj")
    )
    assert await ix.moved([still, busy, new]) == [busy]
    # A stream trimmed past the applied position still counts as moved (and
    # follow() falls back to a resync).
    last = (await redis.xrevrange(keys.events(busy), count=1))[0][0]
    await redis.xtrim(keys.events(busy), minid=last)
    assert await ix.moved([still, busy, new]) == [busy]
    await redis.delete(keys.qcode(asked["code"]))  # set again by the resync below
    await ix.run_once()  # every broadcast of the suite's Redis, ours among them
    assert (await redis.get(keys.qcode(asked["code"]))).decode() == f"{busy}:{asked['qid']}"
    assert await ix.moved([still, busy, new]) == []
    # A new question in one of them: applied by the round, position moved on.
    later = raise_for(
        await store.ask(still, cid(), vid="w", text="学校门口的红绿灯", name="", tag=None, fp="xx")
    )
    await ix.run_once()
    assert (await redis.get(keys.qcode(later["code"]))).decode() == f"{still}:{later['qid']}"
    last = (await redis.xrevrange(keys.events(still), count=1))[0][0]
    assert await redis.hget(keys.IX_POS, still) == last
    assert await ix.moved([still, busy, new]) == []


async def test_the_lock_is_released_only_by_its_owner(redis: aioredis.Redis) -> None:
    ix, other = Indexer(redis), Indexer(redis)
    me, you = "me" + secrets.token_hex(4), "you" + secrets.token_hex(4)
    await redis.delete(keys.IX_LOCK)
    assert await ix.hold_lock(me, 10_000)
    assert not await other.hold_lock(you, 10_000), "held by another owner"
    assert not await other.release_lock(you), "only the owner releases it"
    assert (await redis.get(keys.IX_LOCK)) == me.encode()
    assert await ix.release_lock(me)
    assert await redis.get(keys.IX_LOCK) is None
    assert await other.hold_lock(you, 10_000), "free at once after a release"
    await other.release_lock(you)
