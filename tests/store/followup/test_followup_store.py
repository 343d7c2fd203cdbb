"""server.store.followup: every transition as one script, against a real redis-server."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from server.domain.errors import Rejection
from server.domain.followup import Action, Actor, ExtAction, Rating
from server.domain.followup_input import CODE_ALPHABET, CODE_LEN
from server.store import keys
from server.store.followup import FollowUps, FuActor
from server.store.store import Store, raise_for
from tests.store.followup.helpers import SETTINGS, cid, new_broadcast

pytestmark = pytest.mark.anyio

MOD = FuActor.moderator("alice")
ROADS = FuActor.official("li", "roads")
SCHOOLS = FuActor.official("wang", "schools")
DUE = dt.date(2024, 10, 8)
TODAY = dt.date(2024, 9, 30)


@pytest.fixture
def fu(redis: aioredis.Redis) -> FollowUps:
    return FollowUps(redis, SETTINGS)


async def ask(store: Store, bid: str, vid: str = "v-asker", text: str | None = None) -> Any:
    text = text or f"地铁站什么时候通车？{secrets.token_hex(3)}"
    return raise_for(
        await store.ask(bid, cid(), vid=vid, text=text, name="张三", tag=None, fp=text)
    )


async def published(store: Store, fu: FollowUps) -> tuple[str, int]:
    """A question of a new broadcast, forwarded to roads, replied and published."""
    bid = await new_broadcast(store, moderation=False)
    qid = int((await ask(store, bid))["qid"])
    raise_for(await fu.assign(bid, cid(), MOD, qid, dept="roads", due=DUE))
    raise_for(await fu.transition(bid, cid(), ROADS, qid, Action.ACCEPT))
    raise_for(await fu.transition(bid, cid(), ROADS, qid, Action.REPLY, "答复", ""))
    raise_for(await fu.transition(bid, cid(), MOD, qid, Action.PUBLISH, ""))
    return bid, qid


async def events(redis: aioredis.Redis, bid: str) -> list[dict[str, Any]]:
    rows = await redis.xrange(keys.events(bid), "-", "+")
    return [orjson.loads(f[b"e"]) for _, f in rows]


async def audit(redis: aioredis.Redis, bid: str) -> list[dict[bytes, bytes]]:
    return [f for _, f in await redis.xrange(keys.audit(bid), "-", "+")]


async def dump(redis: aioredis.Redis, bid: str) -> dict[str, Any]:
    """Everything of the broadcast that a refused command must leave unchanged."""
    out: dict[str, Any] = {}
    async for key in redis.scan_iter(match=keys.prefix(bid) + "*"):
        kind = (await redis.type(key)).decode()
        if kind == "hash":
            out[key.decode()] = await redis.hgetall(key)
        elif kind == "stream":
            out[key.decode()] = await redis.xlen(key)
        elif kind == "zset":
            out[key.decode()] = await redis.zrange(key, 0, -1, withscores=True)
    return out


async def test_ask_gives_a_code_unique_in_the_broadcast(
    store: Store, redis: aioredis.Redis
) -> None:
    bid = await new_broadcast(store, moderation=False)
    codes = set()
    for i in range(20):
        done = await ask(store, bid, vid=f"v-{i}")
        code = done["code"]
        assert len(code) == CODE_LEN and all(c in CODE_ALPHABET for c in code)
        assert (await redis.hget(keys.question(bid, done["qid"]), "code")).decode() == code
        codes.add(code)
    assert len(codes) == 20
    assert len({c[:3] for c in codes}) == 1  # the broadcast's own prefix
    other = await new_broadcast(store, moderation=False)
    assert (await ask(store, other))["code"][:3] != next(iter(codes))[:3]
    assert (await redis.get(keys.qcode_owner(next(iter(codes))[:3]))).decode() == bid


async def test_the_whole_road(store: Store, fu: FollowUps, redis: aioredis.Redis) -> None:
    bid = await new_broadcast(store, moderation=False)
    qid = (await ask(store, bid))["qid"]
    asker = FuActor.asker("v-asker")
    steps = [
        (fu.assign(bid, cid(), MOD, qid, dept="roads", due=DUE, qtype="consult"), "assigned"),
        (fu.transition(bid, cid(), ROADS, qid, Action.ACCEPT), "accepted"),
        (fu.transition(bid, cid(), ROADS, qid, Action.REPLY, "预计年底通车。", ""), "replied"),
        (fu.transition(bid, cid(), MOD, qid, Action.PUBLISH, "预计今年年底通车。"), "published"),
        (fu.rate(bid, cid(), asker, qid, Rating.DISSATISFIED, "太慢"), "published"),
        (fu.transition(bid, cid(), MOD, qid, Action.REOPEN, "2024-10-20", "请说明具体时间"),
         "assigned"),
        (fu.transition(bid, cid(), ROADS, qid, Action.ACCEPT), "accepted"),
        (fu.transition(bid, cid(), ROADS, qid, Action.REPLY, "12月28日通车。", "https://x.cn/a"),
         "replied"),
        (fu.transition(bid, cid(), MOD, qid, Action.PUBLISH, ""), "published"),
        (fu.rate(bid, cid(), asker, qid, Rating.DISSATISFIED, ""), "closed"),
    ]  # fmt: skip
    for call, state in steps:
        assert raise_for(await call)["state"] == state
    record = await fu.record(bid, qid)
    assert record is not None
    assert record["reply"] == "12月28日通车。" and record["reply_link"] == "https://x.cn/a"
    assert (
        record["first_reply"] == "预计今年年底通车。" and record["first_rating"] == "dissatisfied"
    )
    assert record["reopened"] == "1" and record["rating"] == "dissatisfied"
    assert record["due"] == "2024-10-20" and record["qtype"] == "consult"
    assert "reply_orig" not in record  # the second reply was published as written
    fu_events = [e for e in await events(redis, bid) if e["type"] == "followup"]
    assert [e["fu"]["state"] for e in fu_events] == [s for _, s in steps]
    assert all(e["asker"] == "v-asker" and e["qid"] == qid for e in fu_events)
    actions = [f[b"action"].decode() for f in await audit(redis, bid)]
    assert actions[-len(steps):] == [
        "fu.assign", "fu.accept", "fu.reply", "fu.publish", "fu.rate", "fu.reopen", "fu.accept",
        "fu.reply", "fu.publish", "fu.rate",
    ]  # fmt: skip
    users = [f[b"user"].decode() for f in (await audit(redis, bid))[-len(steps) :]]
    assert users[:5] == ["alice", "li", "li", "alice", "(asker)"]


async def test_publish_keeps_the_departments_text(store: Store, fu: FollowUps) -> None:
    bid = await new_broadcast(store, moderation=False)
    qid = (await ask(store, bid))["qid"]
    raise_for(await fu.assign(bid, cid(), MOD, qid, dept="roads", due=DUE))
    raise_for(await fu.transition(bid, cid(), ROADS, qid, Action.ACCEPT))
    raise_for(await fu.transition(bid, cid(), ROADS, qid, Action.REPLY, "已安排维修", ""))
    raise_for(await fu.transition(bid, cid(), MOD, qid, Action.RETURN, "请写明日期"))
    assert (await fu.record(bid, qid) or {})["state"] == "accepted"
    raise_for(
        await fu.transition(bid, cid(), ROADS, qid, Action.REPLY, "已安排维修，10月9日完成", "")
    )
    raise_for(
        await fu.transition(bid, cid(), MOD, qid, Action.PUBLISH, "已安排维修，10月9日完成。")
    )
    record = await fu.record(bid, qid) or {}
    assert record["reply"] == "已安排维修，10月9日完成。"
    assert record["reply_orig"] == "已安排维修，10月9日完成"


async def test_an_official_of_another_department_changes_nothing(
    store: Store, fu: FollowUps, redis: aioredis.Redis
) -> None:
    bid = await new_broadcast(store, moderation=False)
    qid = (await ask(store, bid))["qid"]
    raise_for(await fu.assign(bid, cid(), MOD, qid, dept="roads", due=DUE))
    before = await dump(redis, bid)
    for action, extra in [(Action.ACCEPT, ()), (Action.SEND_BACK, ("不是我们的",))]:
        result = await fu.transition(bid, cid(), SCHOOLS, qid, action, *extra)
        assert result["err"] == "forbidden"
    ext = await fu.extension(bid, cid(), SCHOOLS, qid, ExtAction.REQUEST, reason="x",
                             due=dt.date(2024, 10, 30), today=TODAY)  # fmt: skip
    assert ext["err"] == "forbidden"
    after = await dump(redis, bid)
    # Only the remembered refusals (idempotency keys, strings) may differ: none of these.
    assert before == after


async def test_roles_are_refused_before_redis(store: Store, fu: FollowUps) -> None:
    bid = await new_broadcast(store, moderation=False)
    qid = (await ask(store, bid))["qid"]
    with pytest.raises(Rejection) as official_assigns:
        await fu.assign(bid, cid(), ROADS, qid, dept="roads", due=DUE)
    assert official_assigns.value.code == "forbidden"
    with pytest.raises(Rejection) as mod_accepts:
        await fu.transition(bid, cid(), MOD, qid, Action.ACCEPT)
    assert mod_accepts.value.code == "forbidden"
    with pytest.raises(Rejection) as mod_rates:
        await fu.rate(bid, cid(), MOD, qid, Rating.SATISFIED, "")
    assert mod_rates.value.code == "forbidden"
    assert await fu.record(bid, qid) is None


async def test_only_the_asker_rates_and_only_once(store: Store, fu: FollowUps) -> None:
    bid, qid = await published(store, fu)
    other = await fu.rate(bid, cid(), FuActor.asker("v-someone-else"), qid, Rating.SATISFIED, "")
    assert other["err"] == "forbidden"
    assert (await fu.record(bid, qid) or {}).get("rating") is None
    asker = FuActor.asker("v-asker")
    raise_for(await fu.rate(bid, cid(), asker, qid, Rating.DISSATISFIED, "没解决"))
    again = await fu.rate(bid, cid(), asker, qid, Rating.SATISFIED, "")
    assert again["err"] == "conflict"
    assert (await fu.record(bid, qid) or {})["rating"] == "dissatisfied"
    # Reopened once; a second reopening is refused after the next dissatisfied rating
    # closes it.
    raise_for(await fu.transition(bid, cid(), MOD, qid, Action.REOPEN, "2024-10-20", ""))
    raise_for(await fu.transition(bid, cid(), ROADS, qid, Action.ACCEPT))
    raise_for(await fu.transition(bid, cid(), ROADS, qid, Action.REPLY, "再答复", ""))
    raise_for(await fu.transition(bid, cid(), MOD, qid, Action.PUBLISH, ""))
    raise_for(await fu.rate(bid, cid(), asker, qid, Rating.SATISFIED, ""))
    record = await fu.record(bid, qid) or {}
    assert record["state"] == "closed" and record["rating"] == "satisfied"


async def test_reopen_needs_a_dissatisfied_rating(store: Store, fu: FollowUps) -> None:
    bid, qid = await published(store, fu)
    early = await fu.transition(bid, cid(), MOD, qid, Action.REOPEN, "2024-10-20", "")
    assert early["err"] == "conflict"
    raise_for(await fu.transition(bid, cid(), MOD, qid, Action.CLOSE, ""))
    record = await fu.record(bid, qid) or {}
    assert record["state"] == "closed" and "rating" not in record


async def test_rating_window_closes_as_satisfied(store: Store, fu: FollowUps) -> None:
    bid, qid = await published(store, fu)
    system = FuActor(Actor.SYSTEM, "(system)")
    raise_for(await fu.transition(bid, cid(), system, qid, Action.EXPIRE, "1"))
    record = await fu.record(bid, qid) or {}
    assert (record["state"], record["rating"], record["rating_auto"]) == (
        "closed",
        "satisfied",
        "1",
    )


async def test_send_back_then_reassign(store: Store, fu: FollowUps) -> None:
    bid = await new_broadcast(store, moderation=False)
    qid = (await ask(store, bid))["qid"]
    raise_for(await fu.assign(bid, cid(), MOD, qid, dept="roads", due=DUE))
    raise_for(await fu.transition(bid, cid(), ROADS, qid, Action.SEND_BACK, "属教育局职责"))
    record = await fu.record(bid, qid) or {}
    assert record["state"] == "to_assign" and record["last_dept"] == "roads"
    assert "dept" not in record and "due" not in record and record["reason"] == "属教育局职责"
    # The old department can no longer act on it.
    late = await fu.transition(bid, cid(), ROADS, qid, Action.ACCEPT)
    assert late["err"] == "forbidden"
    raise_for(await fu.assign(bid, cid(), MOD, qid, dept="schools", due=DUE))
    raise_for(await fu.transition(bid, cid(), SCHOOLS, qid, Action.ACCEPT))
    assert "reason" not in (await fu.record(bid, qid) or {})


async def test_extension_requested_granted_once(store: Store, fu: FollowUps) -> None:
    bid = await new_broadcast(store, moderation=False)
    qid = (await ask(store, bid))["qid"]
    raise_for(await fu.assign(bid, cid(), MOD, qid, dept="roads", due=DUE))
    new_due = dt.date(2024, 10, 22)
    late = await fu.extension(bid, cid(), ROADS, qid, ExtAction.REQUEST, reason="需现场勘查",
                              due=new_due, today=dt.date(2024, 10, 9))  # fmt: skip
    assert late["err"] == "conflict"  # after the due date
    short = await fu.extension(bid, cid(), ROADS, qid, ExtAction.REQUEST, reason="x",
                               due=dt.date(2024, 10, 8), today=TODAY)  # fmt: skip
    assert short["err"] == "invalid"
    raise_for(await fu.extension(bid, cid(), ROADS, qid, ExtAction.REQUEST, reason="需现场勘查",
                                 due=new_due, today=TODAY))  # fmt: skip
    again = await fu.extension(bid, cid(), ROADS, qid, ExtAction.REQUEST, reason="x",
                               due=new_due, today=TODAY)  # fmt: skip
    assert again["err"] == "conflict"
    with pytest.raises(Rejection):
        await fu.extension(bid, cid(), ROADS, qid, ExtAction.GRANT, today=TODAY)
    raise_for(await fu.extension(bid, cid(), MOD, qid, ExtAction.GRANT, today=TODAY))
    record = await fu.record(bid, qid) or {}
    assert (record["ext_state"], record["due"], record["state"]) == ("granted", "2024-10-22",
                                                                     "assigned")  # fmt: skip


async def test_refused_extension_keeps_the_due_date(store: Store, fu: FollowUps) -> None:
    bid = await new_broadcast(store, moderation=False)
    qid = (await ask(store, bid))["qid"]
    raise_for(await fu.assign(bid, cid(), MOD, qid, dept="roads", due=DUE))
    raise_for(await fu.extension(bid, cid(), ROADS, qid, ExtAction.REQUEST, reason="r",
                                 due=dt.date(2024, 10, 30), today=TODAY))  # fmt: skip
    raise_for(await fu.extension(bid, cid(), MOD, qid, ExtAction.REFUSE, reason="请按期办理",
                                 today=TODAY))  # fmt: skip
    record = await fu.record(bid, qid) or {}
    assert (record["ext_state"], record["due"]) == ("refused", "2024-10-08")


async def test_resend_applies_once_and_expect_is_conflict_safe(
    store: Store, fu: FollowUps, redis: aioredis.Redis
) -> None:
    bid = await new_broadcast(store, moderation=False)
    qid = (await ask(store, bid))["qid"]
    same = cid()
    first = await fu.assign(bid, same, MOD, qid, dept="roads", due=DUE)
    n_events, n_audit = len(await events(redis, bid)), len(await audit(redis, bid))
    again = await fu.assign(bid, same, MOD, qid, dept="roads", due=DUE)
    assert again == first
    assert (len(await events(redis, bid)), len(await audit(redis, bid))) == (n_events, n_audit)
    # Two moderators correcting the department at once: the second one's expect fails.
    ok = await fu.assign(bid, cid(), MOD, qid, dept="schools", due=DUE, expect="assigned")
    assert ok["ok"]
    stale = await fu.transition(bid, cid(), MOD, qid, Action.HOLD, "", expect="none")
    assert stale["err"] == "conflict" and stale["current"] == "assigned"


async def test_triage_dispositions(store: Store, fu: FollowUps, redis: aioredis.Redis) -> None:
    bid = await new_broadcast(store, moderation=False)
    live, no, kept, dup = [(await ask(store, bid))["qid"] for _ in range(4)]
    raise_for(
        await fu.triage(bid, cid(), MOD, live, Action.ANSWER_LIVE, "主持人现场答复：年底通车")
    )
    assert (await redis.hget(keys.question(bid, live), "answer_note")).decode().startswith("主持人")
    raise_for(await fu.triage(bid, cid(), MOD, no, Action.NOT_ADOPT, "与本期主题无关"))
    assert (await fu.record(bid, no) or {})["reason"] == "与本期主题无关"
    not_merged = await fu.triage(bid, cid(), MOD, dup, Action.MERGE)
    assert not_merged["err"] == "conflict"
    raise_for(await store.merge(bid, cid(), user="alice", qid=dup, into=kept,
                                refused_targets=["merged", "rejected"]))  # fmt: skip
    raise_for(await fu.triage(bid, cid(), MOD, dup, Action.MERGE))
    assert (await fu.record(bid, dup) or {})["merged_into"] == str(kept)
    raise_for(await fu.triage(bid, cid(), MOD, no, Action.RECONSIDER))
    assert (await fu.record(bid, no) or {})["state"] == "to_assign"
    with pytest.raises(Rejection):
        await fu.triage(bid, cid(), MOD, kept, Action.ASSIGN)
    missing = await fu.triage(bid, cid(), MOD, 9999, Action.HOLD)
    assert missing["err"] == "not_found"
    items = await fu.items(bid)
    assert [i["q"]["id"] for i in items] == [str(q) for q in (live, no, kept, dup)]
