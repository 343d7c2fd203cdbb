"""Moderator-entered questions and carrying into a later episode, on a real Redis."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from server.domain.errors import Rejection
from server.store import keys
from server.store.intake import Intake
from server.store.seasons import Seasons
from server.store.store import Store, raise_for
from tests.store.followup.helpers import SETTINGS, cid, new_broadcast, rid

pytestmark = pytest.mark.anyio


def intake(redis: aioredis.Redis, store: Store) -> Intake:
    return Intake(redis, SETTINGS, store)


async def last_event(redis: aioredis.Redis, bid: str) -> dict[str, Any]:
    rows = await redis.xrevrange(keys.events(bid), count=1)
    return dict(orjson.loads(rows[0][1][b"e"]))


async def test_a_hotline_question_joins_the_queue(store: Store, redis: aioredis.Redis) -> None:
    bid = await new_broadcast(store)
    entered = raise_for(await intake(redis, store).enter(
        bid, cid(), user="alice", text="小区停车难", name="王女士", tag=None, source="hotline",
        contact="138xxxx0000",
    ))  # fmt: skip
    assert entered["status"] == "approved" and len(entered["code"]) == 8
    event = await last_event(redis, bid)
    assert event["q"]["source"] == "hotline" and "asker" not in event
    # the contact never reaches an event (whole, so a timestamp holding 138 is no match)
    assert "138xxxx0000" not in orjson.dumps(event).decode()
    snap = await store.snapshot(bid, "moderator")
    assert snap is not None
    assert "138xxxx0000" not in orjson.dumps(snap).decode()
    box = intake(redis, store)
    assert await box.contact(bid, entered["qid"]) == "138xxxx0000"
    raise_for(await box.set_contact(bid, cid(), user="alice", qid=entered["qid"], contact=""))
    assert await box.contact(bid, entered["qid"]) == ""
    audit = [f for _, f in await redis.xrange(keys.audit(bid), "-", "+")]
    assert [f[b"action"] for f in audit][-2:] == [b"q.enter", b"q.contact"]
    assert all(b"138xxxx0000" not in f[b"detail"] for f in audit)


async def test_carry_into_a_later_episode(store: Store, redis: aioredis.Redis) -> None:
    seasons = Seasons(redis, SETTINGS)
    sid = rid("s")
    await seasons.create(sid, name="2024 协商在线", year=2024, user="admin")
    first, later = await new_broadcast(store, moderation=False), await new_broadcast(store)
    await seasons.add_broadcast(sid, first)
    await seasons.add_broadcast(sid, later)
    asked = raise_for(await store.ask(first, cid(), vid="v-a", text="学位不够", name="李", tag=None,
                                      fp="xw"))  # fmt: skip
    for fan in ("v-b", "v-c"):
        raise_for(await store.upvote(first, cid(), vid=fan, qid=asked["qid"], on=True))
    box = intake(redis, store)
    with pytest.raises(Rejection) as backwards:
        await box.carry(later, 1, first, user="alice")
    assert backwards.value.code in ("invalid", "not_found")
    moved = await box.carry(first, asked["qid"], later, user="alice")
    again = await box.carry(first, asked["qid"], later, user="alice")  # a retry
    assert again["qid"] == moved["qid"]
    new = {k.decode(): v.decode() for k, v in
           (await redis.hgetall(keys.question(later, moved["qid"]))).items()}  # fmt: skip
    assert new["carried_from"] == f"{first}:{asked['qid']}" and new["asker"] == "v-a"
    assert new["votes"] == "2" and new["status"] == "approved" and new["text"] == "学位不够"
    assert await redis.smembers(keys.prefix(later) + f"qv:{moved['qid']}") == {b"v-b", b"v-c"}
    assert await redis.zscore(keys.mine(later, "v-a"), moved["qid"]) is not None
    old = await redis.hget(keys.question(first, asked["qid"]), "carried_to")
    assert old.decode() == f"{later}:{moved['qid']}"
    assert (await last_event(redis, first))["q"]["carried_to"] == f"{later}:{moved['qid']}"
    # Nowhere else: a second target is a conflict.
    third = await new_broadcast(store)
    await seasons.add_broadcast(sid, third)
    with pytest.raises(Rejection) as twice:
        await box.carry(first, asked["qid"], third, user="alice")
    assert twice.value.code == "conflict"


async def test_only_within_a_season(store: Store, redis: aioredis.Redis) -> None:
    a, b = await new_broadcast(store, moderation=False), await new_broadcast(store)
    asked = raise_for(await store.ask(a, cid(), vid="v", text="问", name="", tag=None, fp="w"))
    with pytest.raises(Rejection) as refused:
        await intake(redis, store).carry(a, asked["qid"], b, user="alice")
    assert refused.value.code == "invalid"
    assert await redis.hget(keys.question(a, asked["qid"]), "carried_to") is None
