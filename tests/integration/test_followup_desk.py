"""server.live.followup.FollowDesk's background work, in-process on a real Redis:
the rating window closes unrated replies as satisfied (once), and only one
process at a time holds the indexer's lock."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from server.domain.followup import Action, Rating
from server.live.followup import INDEX_LOCK, FollowDesk
from server.live.hub import Hub
from server.settings import Settings
from server.store import keys
from server.store.followup import FuActor
from server.store.store import raise_for

pytestmark = pytest.mark.anyio
MOD = FuActor.moderator("alice")


def cid() -> str:
    return secrets.token_hex(6)


async def test_the_rating_window_closes_unrated_replies(redis_url: str) -> None:
    hub = Hub(Settings(redis_url=redis_url, fu_rating_window_days=7))
    try:
        desk, store = hub.followup, hub.store
        bid = "w-" + secrets.token_hex(4)
        await store.create_broadcast(bid, title="t", topic="", settings={"moderation": False},
                                     overlay_key="k" * 16, user="admin")  # fmt: skip
        qids = []
        for i in range(3):
            done = raise_for(await store.ask(bid, cid(), vid=f"v{i}", text=f"问题{i}", name="",
                                             tag=None, fp=f"f{i}"))  # fmt: skip
            qid = int(done["qid"])
            qids.append(qid)
            raise_for(await desk.fu.assign(bid, cid(), MOD, qid, dept="d", due=dt.date(2030, 1, 1)))
            official = FuActor.official("li", "d")
            raise_for(await desk.fu.transition(bid, cid(), official, qid, Action.ACCEPT))
            raise_for(await desk.fu.transition(bid, cid(), official, qid, Action.REPLY, "答复", ""))
            raise_for(await desk.fu.transition(bid, cid(), MOD, qid, Action.PUBLISH, ""))
        # Published eight days ago (old, rated), eight days ago (old, unrated), now.
        old = int((dt.datetime.now(dt.UTC) - dt.timedelta(days=8)).timestamp() * 1000)
        for qid in qids[:2]:
            await hub.redis.hset(keys.followup(bid, qid), "published_at", old)
        raise_for(
            await desk.fu.rate(bid, cid(), FuActor.asker("v0"), qids[0], Rating.DISSATISFIED, "")
        )
        assert await desk.sweep_ratings() >= 1
        rated, unrated, fresh = [await desk.fu.record(bid, q) or {} for q in qids]
        assert (rated["state"], rated["rating"]) == ("published", "dissatisfied")
        assert (unrated["state"], unrated["rating"], unrated["rating_auto"]) == (
            "closed",
            "satisfied",
            "1",
        )
        assert fresh["state"] == "published" and "rating" not in fresh
        audit = [f for _, f in await hub.redis.xrange(keys.audit(bid), "-", "+")]
        expired = [f for f in audit if f[b"action"] == b"fu.expire"]
        assert len(expired) == 1 and expired[0][b"user"] == b"(system)"
        # A second sweep finds nothing more to close.
        before = await hub.redis.xlen(keys.audit(bid))
        await desk.sweep_ratings()
        assert await hub.redis.xlen(keys.audit(bid)) == before
    finally:
        await hub.redis.aclose()
        await hub.tailer.stop()


async def test_one_process_holds_the_index_lock(redis_url: str) -> None:
    hubs = [Hub(Settings(redis_url=redis_url)) for _ in range(2)]
    try:
        await hubs[0].redis.delete(INDEX_LOCK)
        one, two = (FollowDesk(h) for h in hubs)
        assert await one.hold_lock() is True
        assert await two.hold_lock() is False
        assert await one.hold_lock() is True  # renewed by its holder
        await hubs[0].redis.delete(INDEX_LOCK)  # the holder died and its lock expired
        assert await two.hold_lock() is True
    finally:
        await hubs[0].redis.delete(INDEX_LOCK)  # held by no live process: free for the next test
        for h in hubs:
            await h.redis.aclose()
            await h.tailer.stop()
