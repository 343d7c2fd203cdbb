"""The viewer budgets and the activity the scripts keep (docs/reliability.md 30):
``viewer_budget()`` in upvote.lua, ``note_activity()`` in ask/upvote/ballot and
``activity.lua``, the ban by viewer id (``ban.lua`` with no question)."""

from __future__ import annotations

import dataclasses

import pytest
import redis.asyncio as aioredis

from server.domain.errors import Rejection
from server.domain.question import QuestionStatus as S
from server.store import keys
from server.store.store import Store
from tests.store.helpers import SETTINGS, applied_once, ask, dump, events, idem, new_broadcast

pytestmark = pytest.mark.anyio


@pytest.fixture
def small(redis: aioredis.Redis) -> Store:
    """A store whose viewers may upvote three times, then one more a minute."""
    return Store(
        redis, dataclasses.replace(SETTINGS, viewer_actions_burst=3, viewer_actions_per_min=1.0)
    )


async def _approved(store: Store, bid: str) -> int:
    await new_broadcast(store, bid, moderation=False)
    qid: int = (await ask(store, bid, vid="asker"))["qid"]
    return qid


async def test_upvotes_spend_a_budget_and_a_refusal_writes_nothing(
    small: Store, redis: aioredis.Redis, bid: str
) -> None:
    qid = await _approved(small, bid)
    for i in range(3):
        assert (await small.upvote(bid, f"v:t:{i}", vid="t", qid=qid, on=i % 2 == 0))["ok"]
    before = await dump(redis, bid)
    limited = await small.upvote(bid, "v:t:9", vid="t", qid=qid, on=True)
    assert limited["err"] == "rate_limited" and limited["retry_after"] >= 1
    assert await dump(redis, bid) == before  # not even the refusal under its id
    # The budget is the viewer's: another viewer upvotes freely; a replay of an
    # accepted command returns its result and spends nothing.
    assert (await small.upvote(bid, "v:u:1", vid="u", qid=qid, on=True))["ok"]
    assert (await small.upvote(bid, "v:t:0", vid="t", qid=qid, on=True))["ok"]
    assert await redis.pttl(keys.viewer_budget(bid, "t")) > 0  # goes away once full again


async def test_refused_upvotes_and_ballots_write_nothing(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    qid = await _approved(store, bid)
    before = await dump(redis, bid)
    for refusal in (
        store.upvote(bid, "v:t:1", vid="t", qid=qid + 50, on=True),
        store.ballot(bid, "v:t:2", vid="t", pid=9, choices=[0]),
    ):
        assert (await refusal)["err"] == "not_found"
    assert await dump(redis, bid) == before


async def test_activity_counts_accepted_actions_and_abuse(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    qid = await _approved(store, bid)
    await store.upvote(bid, "v:fan:1", vid="fan", qid=qid, on=True)
    await store.upvote(bid, "v:fan:2", vid="fan", qid=qid, on=False)
    await store.note_activity(bid, "flooder", 100)
    ranked = await store.active_viewers(bid, minutes=5, limit=10)
    assert ranked[0] == ("flooder", 100)
    assert ("fan", 2) in ranked and ("asker", 1) in ranked
    assert await store.active_viewers(bid, minutes=5, limit=1) == [("flooder", 100)]
    assert {"flooder", "fan", "asker"} <= await store.recent_viewer_ids(bid)
    minute_keys = [k async for k in redis.scan_iter(match=keys.prefix(bid) + "act:*")]
    ttls = [await redis.ttl(k) for k in minute_keys]
    assert ttls and all(0 < t <= keys.ACTIVITY_KEEP_S for t in ttls)


async def test_activity_of_a_missing_broadcast_is_refused(store: Store, bid: str) -> None:
    with pytest.raises(Rejection) as refused:
        await store.note_activity(bid, "v", 1)
    assert refused.value.code == "not_found"


async def test_ban_by_viewer_id_without_a_question(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    qid = await _approved(store, bid)
    await store.upvote(bid, "v:fl:1", vid="fl", qid=qid, on=True)
    cmd = idem()
    result, appended = await applied_once(
        redis, bid,
        lambda: store.ban(bid, cmd, user="mod1", qid=None, on=True, pseudonym="abcdefghij",
                          vid="fl"),
    )  # fmt: skip
    assert result["ok"] and result["asker"] == "abcdefghij" and result["removed"] == []
    assert appended == [{"type": "ban", "asker": "fl", "qid": None, "on": True,
                         "pos": appended[0]["pos"]}]  # fmt: skip
    assert await redis.sismember(keys.banned(bid), "fl")
    snap = await store.snapshot(bid, "moderator")
    assert snap is not None and {"vid": "fl", "qid": None} in snap["banned"]
    assert "fl" in await store.recent_viewer_ids(bid)
    await store.ban(bid, idem(), user="mod1", qid=None, on=False, pseudonym="abcdefghij", vid="fl")
    assert not await redis.sismember(keys.banned(bid), "fl")
    assert [e["type"] for e in await events(redis, bid)][-1] == "ban"
    # Another viewer's question is untouched by a ban by id.
    assert await redis.hget(keys.question(bid, qid), "status") == S.APPROVED.value.encode()
