"""ask.lua, set_status.lua, q_update.lua, upvote.lua, merge.lua, ban.lua through
``Store``: outcome, event, idempotent replay, refusal writing nothing."""

from __future__ import annotations

import secrets
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from server.domain import question as qn
from server.domain.text import fingerprint
from server.domain.transitions import allowed_from
from server.store import keys
from server.store.store import Result, Store
from tests.store.helpers import (
    applied_once,
    ask,
    audit,
    dump,
    events,
    idem,
    new_broadcast,
    refused,
    state,
)

pytestmark = pytest.mark.anyio
S = qn.QuestionStatus


async def move(store: Store, bid: str, qid: int, target: S, cmd: str | None = None,
               **kw: Any) -> Result:  # fmt: skip
    return await store.set_status(
        bid, cmd or idem(), user="mod1", qid=qid, target=target.value,
        allowed_from=allowed_from(qn.QUESTION_TRANSITIONS, target),
        expect=kw.get("expect"), reason=kw.get("reason", ""),
    )  # fmt: skip


# --- ask.lua -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moderation", "screen", "status"),
    [
        (True, "", "pending"),
        (False, "", "approved"),
        (False, "hold", "pending"),
        (True, "block", "rejected"),
        (False, "block", "rejected"),
    ],
)
async def test_ask_starts_where_the_script_decides(
    store: Store, redis: aioredis.Redis, bid: str, moderation: bool, screen: str, status: str
) -> None:
    # The initial status is ask.lua's rule alone (moderation setting, word screen).
    await new_broadcast(store, bid, moderation=moderation)
    cmd = secrets.token_hex(4)
    result, appended = await applied_once(
        redis, bid, lambda: ask(store, bid, cmd=cmd, screen=screen)
    )
    assert result["ok"] and result["status"] == status and result["qid"] == 1
    [event] = appended
    assert event["type"] == "question" and event["asker"] == "v1" and event["prev"] is None
    assert event["q"]["status"] == status and event["pos"] == result["pos"]
    assert event["q"]["reason"] == ("blocked" if screen == "block" else None)
    assert (event["q"]["flags"] is not None) is bool(screen)
    assert await redis.zscore(keys.by_status(bid, status), 1) is not None
    assert await redis.sismember(keys.fingerprints(bid, "v1"), fingerprint("地铁末班车能否延长？"))


async def test_ask_refusals_write_nothing(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    assert (await ask(store, bid, "bus 111"))["ok"]
    await refused(redis, bid, lambda: ask(store, bid, "BUS 111!!"), "duplicate")
    # Digits are significant: another number is another question.
    assert (await ask(store, bid, "bus 11"))["ok"]
    assert (await ask(store, bid, "bus 1111"))["ok"]
    limited = await refused(redis, bid, lambda: ask(store, bid, "bus 2"), "rate_limited")
    assert limited["retry_after"] > 0
    await redis.sadd(keys.banned(bid), "v2")
    await refused(redis, bid, lambda: ask(store, bid, "新问题", vid="v2"), "banned")
    await refused(redis, "s-nobody-" + bid, lambda: ask(store, "s-nobody-" + bid), "not_found")


async def test_a_rate_limited_ask_is_not_remembered(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    for i in range(3):
        assert (await ask(store, bid, f"问题{i}"))["ok"]
    assert (await ask(store, bid, "再问", cmd="later"))["err"] == "rate_limited"
    assert await redis.get(keys.idem(bid, "v:v1:later")) is None


async def test_asking_an_ended_broadcast_is_closed(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    await store.update_broadcast(bid, idem(), state="ended", allowed_from=["draft"], user="mod1")
    await refused(redis, bid, lambda: ask(store, bid), "closed")


# --- set_status.lua: the domain's table, applied by the script -------------------------


@pytest.mark.parametrize("target", [s for s in S if s is not S.MERGED])
@pytest.mark.parametrize("current", [s for s in S if s is not S.MERGED])
async def test_set_status_applies_the_domain_table(
    store: Store, redis: aioredis.Redis, bid: str, current: S, target: S
) -> None:
    await new_broadcast(store, bid)
    qid = (await ask(store, bid))["qid"]
    path = {S.PENDING: [], S.APPROVED: [S.APPROVED], S.REJECTED: [S.REJECTED],
            S.ON_AIR: [S.ON_AIR], S.ANSWERED: [S.ON_AIR, S.ANSWERED]}[current]  # fmt: skip
    for step in path:
        assert (await move(store, bid, qid, step))["ok"]
    if target in qn.QUESTION_TRANSITIONS[current]:
        cmd = idem()
        result, appended = await applied_once(
            redis, bid, lambda: move(store, bid, qid, target, cmd)
        )
        assert result == {"ok": True, "qid": qid, "status": target.value, "prev": current.value,
                          "pos": appended[-1]["pos"]}  # fmt: skip
        assert appended[-1]["q"]["status"] == target and appended[-1]["prev"] == current
        [entry] = [e for e in await audit(redis, keys.audit(bid)) if e["action"] == "q.status"][-1:]
        assert entry["user"] == "mod1" and entry["target"] == f"q:{qid}"
        return
    result = await refused(redis, bid, lambda: move(store, bid, qid, target), "conflict")
    assert result["current"] == current.value
    if current == target:
        assert result["msg"] == f"question {qid} is already {current}"
    else:
        assert result["msg"] == f"question {qid} is {current}; it cannot become {target}"


async def test_on_air_answers_the_previous_one_in_the_same_step(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid, moderation=False)
    first, second = (await ask(store, bid, "一"))["qid"], (await ask(store, bid, "二"))["qid"]
    await move(store, bid, first, S.ON_AIR)
    before = len(await events(redis, bid))
    assert (await move(store, bid, second, S.ON_AIR))["ok"]
    appended = (await events(redis, bid))[before:]
    assert [(e["q"]["id"], e["prev"], e["q"]["status"]) for e in appended] == [
        (first, "on_air", "answered"), (second, "approved", "on_air")
    ]  # fmt: skip
    assert await redis.get(keys.on_air(bid)) == str(second).encode()


async def test_set_status_refusals(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    qid = (await ask(store, bid))["qid"]
    await refused(redis, bid, lambda: move(store, bid, 99, S.APPROVED), "not_found")
    stale = await refused(
        redis, bid, lambda: move(store, bid, qid, S.APPROVED, expect="approved"), "conflict"
    )
    assert stale["current"] == "pending"


# --- q_update.lua ------------------------------------------------------------------------


async def test_star_and_edit(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    qid = (await ask(store, bid, "原来的问题"))["qid"]
    cmd = idem()
    result, [event] = await applied_once(
        redis, bid, lambda: store.star(bid, cmd, user="mod1", qid=qid, on=True)
    )
    assert result["changed"] is True and event["q"]["starred"] is True
    cmd = idem()
    result, [event] = await applied_once(
        redis, bid,
        lambda: store.edit(bid, cmd, user="mod1", qid=qid, text="改过的问题", expect="原来的问题"),
    )  # fmt: skip
    assert event["q"]["text"] == "改过的问题" and event["q"]["edited"] is True
    assert await redis.hget(keys.question(bid, qid), "orig") == "原来的问题".encode()
    # The same value again: ok, unchanged, no event.
    same, appended = await applied_once(
        redis, bid, lambda: store.star(bid, "m:x:same", user="mod1", qid=qid, on=True)
    )
    assert same == {"ok": True, "qid": qid, "changed": False} and appended == []
    lost = await refused(
        redis, bid,
        lambda: store.edit(bid, idem(), user="mod1", qid=qid, text="第三版", expect="原来的问题"),
        "conflict",
    )  # fmt: skip
    assert lost["current"] == "改过的问题"
    await refused(
        redis, bid, lambda: store.star(bid, idem(), user="mod1", qid=42, on=True), "not_found"
    )


# --- upvote.lua: public statuses only (passed by the store) -----------------------------


async def test_upvote(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    qid = (await ask(store, bid))["qid"]
    hidden = await refused(
        redis, bid, lambda: store.upvote(bid, "v:v2:a", vid="v2", qid=qid, on=True), "not_found"
    )
    assert hidden["msg"] == f"question {qid} is not open for upvotes"
    for target in (S.APPROVED, S.ON_AIR, S.ANSWERED):
        await move(store, bid, qid, target)
        cmd = "v:v2:" + secrets.token_hex(4)
        result, [event] = await applied_once(
            redis, bid, lambda cmd=cmd: store.upvote(bid, cmd, vid="v2", qid=qid, on=True)
        )
        assert result["votes"] == 1 and event["type"] == "votes" and event["voter"] == "v2"
        await store.upvote(bid, "v:v2:" + secrets.token_hex(4), vid="v2", qid=qid, on=False)
    # Already off: ok, no event.
    _, appended = await applied_once(
        redis, bid, lambda: store.upvote(bid, "v:v2:off", vid="v2", qid=qid, on=False)
    )
    assert appended == []
    await refused(
        redis, bid, lambda: store.upvote(bid, "v:v2:x", vid="v2", qid=7, on=True), "not_found"
    )


async def test_the_asker_cannot_upvote_their_own_question(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid, moderation=False)
    qid = (await ask(store, bid, vid="v1"))["qid"]
    own = await refused(
        redis, bid, lambda: store.upvote(bid, "v:v1:a", vid="v1", qid=qid, on=True), "conflict"
    )
    assert own["msg"] == "this is your own question: asking it already counts as your support"
    # Another viewer's upvote counts; the figure is the other supporters.
    assert (await store.upvote(bid, "v:v2:a", vid="v2", qid=qid, on=True))["votes"] == 1
    # A withdrawal stays possible (an upvote from before the rule): ok, nothing to remove.
    assert (await store.upvote(bid, "v:v1:b", vid="v1", qid=qid, on=False))["votes"] == 1


# --- merge.lua and ban.lua ---------------------------------------------------------------


async def test_merge(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid, moderation=False)
    keep = (await ask(store, bid, "保留", vid="a"))["qid"]
    gone = (await ask(store, bid, "合并", vid="b"))["qid"]
    await store.upvote(bid, "v:c:1", vid="c", qid=gone, on=True)
    refused_targets = sorted(s.value for s in qn.MERGE_REFUSED_TARGETS)
    cmd = idem()
    result, appended = await applied_once(
        redis, bid,
        lambda: store.merge(bid, cmd, user="mod1", qid=gone, into=keep,
                            refused_targets=refused_targets),
    )  # fmt: skip
    assert result["ok"] and result["into"] == keep
    assert [e["type"] for e in appended] == ["question", "votes", "question"]
    assert appended[0]["q"]["status"] == "merged" and appended[0]["q"]["merged_into"] == keep
    assert appended[1]["votes"] == 2  # the asker of the merged question and its upvoter
    again = await refused(
        redis, bid,
        lambda: store.merge(bid, idem(), user="mod1", qid=keep, into=gone,
                            refused_targets=refused_targets),
        "conflict",
    )  # fmt: skip
    assert "merged" in again["msg"]


async def test_ban(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid, moderation=False)
    qid = (await ask(store, bid, "一", vid="bad"))["qid"]
    await ask(store, bid, "二", vid="bad")
    cmd = idem()
    result, appended = await applied_once(
        redis, bid,
        lambda: store.ban(bid, cmd, user="mod1", qid=qid, on=True, pseudonym="访客-7"),
    )  # fmt: skip
    assert result["ok"]
    assert [e["type"] for e in appended] == ["question", "question", "ban"]
    assert all(e["q"]["reason"] == "banned" for e in appended[:2])
    assert appended[2]["asker"] == "bad" and await redis.sismember(keys.banned(bid), "bad")
    await refused(redis, bid, lambda: ask(store, bid, "三", vid="bad"), "banned")
    await refused(
        redis, bid,
        lambda: store.ban(bid, idem(), user="mod1", qid=99, on=True, pseudonym="x"),
        "not_found",
    )  # fmt: skip


async def test_dumps_see_every_write(store: Store, redis: aioredis.Redis, bid: str) -> None:
    # The refusal checks above rely on dump() seeing a change: it must.
    await new_broadcast(store, bid)
    before = await dump(redis, bid)
    await redis.hset(keys.question(bid, 1), "text", "x")
    assert await dump(redis, bid) != before
    before = await state(redis, bid)
    await redis.sadd(keys.banned(bid), "v9")
    assert await state(redis, bid) != before


async def test_set_tag(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    qid = (await ask(store, bid))["qid"]  # asked without a tag
    cmd = idem()
    result, [event] = await applied_once(
        redis, bid, lambda: store.set_tag(bid, cmd, user="mod1", qid=qid, tag="交通")
    )
    assert result["changed"] and event["type"] == "question" and event["q"]["tag"] == "交通"
    entry = (await audit(redis, keys.audit(bid)))[-1]
    assert (entry["action"], entry["target"]) == ("q.tag", f"q:{qid}")
    assert orjson.loads(entry["detail"]) == {"from": None, "to": "交通"}
    # The same tag again: ok, nothing changed, nothing recorded.
    same = await store.set_tag(bid, idem(), user="mod1", qid=qid, tag="交通")
    assert same["changed"] is False
    cleared = await store.set_tag(bid, idem(), user="mod1", qid=qid, tag="")
    assert cleared["changed"] and (await events(redis, bid))[-1]["q"]["tag"] is None
    await refused(
        redis, bid, lambda: store.set_tag(bid, idem(), user="mod1", qid=99, tag="交通"), "not_found"
    )
