"""The end of a show: bc_update.lua with _show_end.lua (the air cleared, open
polls closed, nothing else touched, in one script), the refusals of
likes_flush.lua, ask.lua, upvote.lua and ballot.lua after it, and going live
again (docs/console.md, "Ending the show")."""

from __future__ import annotations

import orjson
import pytest
import redis.asyncio as aioredis

from server.domain import broadcast as bc
from server.domain import poll as pl
from server.domain import question as qn
from server.domain.transitions import allowed_from
from server.store import keys
from server.store.store import Result, Store
from tests.store.helpers import applied_once, ask, audit, idem, new_broadcast, refused
from tests.store.test_broadcasts import set_state
from tests.store.test_polls import new_poll, vote
from tests.store.test_polls import set_state as set_poll

pytestmark = pytest.mark.anyio
B = bc.BroadcastState


async def move(store: Store, bid: str, qid: int, target: str) -> Result:
    status = qn.QuestionStatus(target)
    return await store.set_status(
        bid, idem(), user="mod1", qid=qid, target=status.value,
        allowed_from=allowed_from(qn.QUESTION_TRANSITIONS, status), expect=None, reason="",
    )  # fmt: skip


async def _flush(store: Store, bid: str, seq: int, delta: int) -> Result:
    # The script's own result (refusals as {"err": ...}), as refused() reads it.
    raw = await store._scripts["likes_flush"](
        keys=[keys.meta(bid), keys.events(bid), keys.likes(bid), keys.like_flushes(bid),
              keys.like_last(bid)],
        args=[keys.prefix(bid), "proc1", seq, delta, 1000, "v1:t1", f"like-{seq}"],
    )  # fmt: skip
    result: Result = orjson.loads(raw)
    return result


async def live_show(store: Store, bid: str) -> dict[str, int]:
    """A live broadcast with one question of each unsettled kind, one on air,
    an open poll with a ballot shown on the overlay, a closed poll, likes."""
    await new_broadcast(store, bid)
    assert (await set_state(store, bid, B.LIVE))["ok"]
    qids = {}
    for name, vid in (("pending", "v1"), ("approved", "v2"), ("on_air", "v3")):
        qids[name] = (await ask(store, bid, f"问题 {name}", vid=vid))["qid"]
    assert (await move(store, bid, qids["approved"], "approved"))["ok"]
    assert (await move(store, bid, qids["on_air"], "on_air"))["ok"]
    open_pid = (await new_poll(store, bid))["poll"]
    assert (await set_poll(store, bid, open_pid, pl.PollState.OPEN))["ok"]
    assert (await vote(store, bid, open_pid, [1]))["ok"]
    assert (await store.show_overlay(bid, idem(), user="mod1", show="poll", pid=open_pid))["ok"]
    assert (await _flush(store, bid, 1, 7))["ok"]
    return {**qids, "poll": open_pid}


async def test_ending_clears_the_air_and_closes_the_polls_in_one_script(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    show = await live_show(store, bid)
    cmd = idem()
    result, appended = await applied_once(redis, bid, lambda: set_state(store, bid, B.ENDED, cmd))
    assert result["ok"] and result["state"] == "ended"
    # The on-air question answered, the poll closed with its final tallies, the
    # overlay emptied, then the broadcast's own event: one script's events.
    assert [e["type"] for e in appended] == ["question", "poll", "overlay", "broadcast"]
    question, poll, overlay, broadcast = appended
    assert question["q"]["id"] == show["on_air"] and question["q"]["status"] == "answered"
    assert question["prev"] == "on_air"
    assert poll["poll"]["state"] == "closed" and poll["poll"]["tallies"] == [0, 1, 0]
    assert (overlay["show"], overlay["poll"]) == (None, None)
    assert broadcast["b"]["state"] == "ended" and broadcast["prev"] == "live"
    assert await redis.get(keys.on_air(bid)) is None
    assert await redis.hget(keys.question(bid, show["on_air"]), "answered_at") is not None
    # Pending and approved questions are left for the follow-up triage.
    assert await redis.hget(keys.question(bid, show["pending"]), "status") == b"pending"
    assert await redis.hget(keys.question(bid, show["approved"]), "status") == b"approved"
    [entry] = [e for e in await audit(redis, keys.audit(bid)) if e["action"] == "bc.state"][-1:]
    assert orjson.loads(entry["detail"]) == {
        "from": "live",
        "to": "ended",
        "answered": show["on_air"],
        "polls": [show["poll"]],
        "unsettled": 2,
    }


async def test_an_empty_end_changes_only_the_state(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    await set_state(store, bid, B.LIVE)
    cmd = idem()
    result, appended = await applied_once(redis, bid, lambda: set_state(store, bid, B.ENDED, cmd))
    assert result["ok"] and [e["type"] for e in appended] == ["broadcast"]
    entry = (await audit(redis, keys.audit(bid)))[-1]
    assert orjson.loads(entry["detail"]) == {"from": "live", "to": "ended", "unsettled": 0}


async def test_after_the_end_likes_questions_upvotes_and_ballots_are_closed(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    show = await live_show(store, bid)
    assert (await set_state(store, bid, B.ENDED))["ok"]
    # A flush applied before the end, replayed after it (a lost reply): still
    # its ok answer, counted once. A new flush: refused, nothing counted.
    replay = await _flush(store, bid, 1, 7)
    assert replay["ok"] and replay["replay"] and replay["total"] == 7
    refusal = await refused(redis, bid, lambda: _flush(store, bid, 2, 3), "closed")
    assert refusal["msg"] == "the broadcast has ended; likes are closed"
    assert await redis.get(keys.likes(bid)) == b"7"
    await refused(redis, bid, lambda: ask(store, bid, "结束后的问题", vid="v9"), "closed")
    await refused(redis, bid, lambda: store.upvote(
        bid, "v:v9:u1", vid="v9", qid=show["approved"], on=True), "closed")  # fmt: skip
    refusal = await refused(redis, bid, lambda: vote(store, bid, show["poll"], [0], vid="v9"),
                            "closed")  # fmt: skip
    assert refusal["msg"] == "the broadcast has ended; voting is closed"


async def test_going_live_again_reopens_questions_and_likes_not_the_polls(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    show = await live_show(store, bid)
    assert (await set_state(store, bid, B.ENDED))["ok"]
    assert await redis.hget(keys.meta(bid), "ended") is not None
    cmd = idem()
    result, [event] = await applied_once(redis, bid, lambda: set_state(store, bid, B.LIVE, cmd))
    assert result["state"] == "live" and event["b"]["state"] == "live"
    # No longer ended: the retention sweep stops counting; the start time stays the first.
    assert await redis.hget(keys.meta(bid), "ended") is None
    assert (await ask(store, bid, "回来后的问题", vid="v8"))["ok"]
    assert (await _flush(store, bid, 2, 3))["total"] == 10
    assert (await store.upvote(bid, "v:v8:u1", vid="v8", qid=show["approved"], on=True))["ok"]
    # What the end closed stays closed: the poll, the answered question.
    await refused(redis, bid, lambda: vote(store, bid, show["poll"], [0], vid="v8"), "closed")
    assert await redis.hget(keys.question(bid, show["on_air"]), "status") == b"answered"
