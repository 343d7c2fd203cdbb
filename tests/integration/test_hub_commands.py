"""Acks and idempotency of every command against a real hub (docs/reliability.md 3, 15, 16).

An ack carries the result of the Redis write, which the write script also stored
under the command's idempotency key: a resend of the same id, on the same socket
or after a reconnect, returns that very result and changes nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from server.client import HubClient
from server.store import keys
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import (
    Clients,
    caught_up,
    dump,
    event_at,
    events_of,
    new_viewer,
    ok,
    refused,
    token,
    twin,
    vid_of,
    view,
)

pytestmark = pytest.mark.anyio

Json = dict[str, Any]


async def _stored(redis: aioredis.Redis, bid: str, actor: str, cmd_id: str) -> Json:
    """The result the write script stored for a command (its idempotency record)."""
    raw = await redis.get(f"{keys.prefix(bid)}idem:{actor}:{cmd_id}")
    assert raw is not None, f"no idempotency record for {actor}:{cmd_id}"
    result: Json = orjson.loads(raw)
    return result


async def _send(
    client: HubClient, redis: aioredis.Redis, actor: str, type: str, **fields: Any
) -> Json:
    """Send a command; assert its ack is what the write stored, and return it."""
    cmd_id = token()
    result = ok(await client.command(type, id=cmd_id, **fields))
    stored = await _stored(redis, client.bid, actor, cmd_id)
    assert stored.pop("ok") is True
    assert result == stored
    return result


async def test_every_command_is_acked_with_the_result_of_its_write(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": True, "tags": ["交通"]}))["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    viewer = await new_viewer(clients, redis, hub.base, bid)
    v, m = f"v:{await vid_of(redis, viewer)}", f"m:{mod.user}"
    p = keys.prefix(bid)

    asked = await _send(
        viewer, redis, v, "ask", text="  地铁  几点收班？ ", name="老李", tag="交通"
    )
    # The 查询码 the asker is shown at once: the broadcast's prefix and 5 characters.
    assert asked == {"qid": 1, "status": "pending", "pos": asked["pos"], "code": asked["code"]}
    assert len(asked["code"]) == 8 and await redis.hget(f"{p}q:1", "code") == asked["code"].encode()
    event = await event_at(redis, bid, asked["pos"])
    assert (event["type"], event["q"]["id"], event["q"]["status"]) == ("question", 1, "pending")
    assert event["q"]["text"] == "地铁 几点收班？"  # normalised before it was written
    assert await redis.hget(f"{p}q:1", "status") == b"pending"

    approved = await _send(console, redis, m, "q.status", qid=1, status="approved")
    assert approved == {"qid": 1, "status": "approved", "prev": "pending", "pos": approved["pos"]}
    assert (await event_at(redis, bid, approved["pos"]))["q"]["status"] == "approved"

    # Another viewer upvotes (the asker's own upvote is refused: tests/store).
    supporter = await new_viewer(clients, redis, hub.base, bid)
    s = f"v:{await vid_of(redis, supporter)}"
    upvoted = await _send(supporter, redis, s, "upvote", qid=1, on=True)
    assert upvoted == {"qid": 1, "votes": 1, "on": True, "pos": upvoted["pos"]}
    assert await redis.scard(f"{p}qv:1") == 1
    again = await _send(supporter, redis, s, "upvote", qid=1, on=True)  # a new id: no change
    assert again["votes"] == 1 and again.get("pos") is None

    starred = await _send(console, redis, m, "q.star", qid=1, on=True)
    assert starred == {"qid": 1, "changed": True, "pos": starred["pos"]}
    assert (await event_at(redis, bid, starred["pos"]))["q"]["starred"] is True

    edited = await _send(console, redis, m, "q.edit", qid=1, text="地铁末班车几点？")
    assert edited == {"qid": 1, "changed": True, "pos": edited["pos"]}
    assert await redis.hget(f"{p}q:1", "text") == "地铁末班车几点？".encode()
    assert await redis.hget(f"{p}q:1", "orig") == "地铁 几点收班？".encode()

    created = await _send(console, redis, m, "poll.create", question="哪天?",
                          options=["周一", "周二"], multi=False)  # fmt: skip
    assert created == {"poll": 1, "pos": created["pos"]}
    assert await redis.hget(f"{p}p:1", "state") == b"draft"
    opened = await _send(console, redis, m, "poll.state", poll=1, state="open")
    assert opened == {"poll": 1, "state": "open", "pos": opened["pos"]}

    voted = await _send(viewer, redis, v, "vote", poll=1, choices=[1])
    assert voted == {"poll": 1, "mine": [1], "tallies": [0, 1], "ballots": 1,
                     "results": "after_vote", "pos": voted["pos"]}  # fmt: skip
    assert await redis.hgetall(f"{p}pt:1") == {b"1": b"1"}

    shown = await _send(console, redis, m, "overlay", show="poll", poll=1)
    assert shown == {"pos": shown["pos"]}
    # The one widget shown, outside any scene (docs/obs.md, "Scenes").
    assert await redis.hgetall(f"{p}overlay") == {
        b"show": b"poll",
        b"poll": b"1",
        b"layers": b"poll",
        b"scene": b"",
    }

    updated = await _send(console, redis, m, "bc.update", title="新标题",
                          settings={"max_len": 200})  # fmt: skip
    assert updated == {"state": "draft", "pos": updated["pos"]}
    assert orjson.loads(await redis.hget(f"{p}meta", "settings"))["max_len"] == 200
    live = await _send(console, redis, m, "bc.state", state="live")
    assert live == {"state": "live", "pos": live["pos"]}

    # Likes are written by the next flush and acked after it: the ack's total is in Redis.
    liked = ok(await viewer.command("like", n=7))
    assert liked == {"accepted": 7, "total": 7}
    assert await redis.get(f"{p}likes") == b"7"

    # Every acked write is in the stream, once, in the order of the acks.
    acked = [asked, approved, upvoted, starred, edited, created, opened, voted, shown, updated,
             live]  # fmt: skip
    ours = [pos for pos, e in await events_of(redis, bid, "question", "votes", "poll", "tally",
                                              "overlay", "broadcast")]  # fmt: skip
    assert ours[1:] == [r["pos"] for r in acked]  # [0]: the broadcast's creation


async def test_resending_an_id_returns_the_original_result_and_applies_once(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": True}))["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    viewer = await new_viewer(clients, redis, hub.base, bid)
    p = keys.prefix(bid)

    async def resend(client: HubClient, type: str, **fields: Any) -> Json:
        """Send, resend on the same socket, reconnect and resend: one result, one write."""
        cmd_id = token()
        first = ok(await client.command(type, id=cmd_id, **fields))
        before = await dump(redis, bid)
        assert ok(await client.command(type, id=cmd_id, **fields)) == first
        await client.close()
        await client.connect()
        assert ok(await client.command(type, id=cmd_id, **fields)) == first
        # A second page of the same actor (a new socket, a new tab) too.
        other = twin(client)
        try:
            await other.connect()
            assert ok(await other.command(type, id=cmd_id, **fields)) == first
        finally:
            await other.close()
        assert await dump(redis, bid) == before
        return first

    asked = await resend(viewer, "ask", text="公交卡能用手机吗？")
    assert await redis.get(f"{p}qseq") == b"1"
    # The id is the command: a resend with another body still returns the original.
    cmd_id = token()
    first = ok(await viewer.command("ask", id=cmd_id, text="第一次的内容"))
    assert ok(await viewer.command("ask", id=cmd_id, text="改过的内容")) == first
    assert await redis.get(f"{p}qseq") == b"2"
    assert await redis.zcard(f"{p}mine:{await vid_of(redis, viewer)}") == 2

    await resend(console, "q.status", qid=asked["qid"], status="approved", expect="pending")
    assert len(await events_of(redis, bid, "question")) == 3  # two questions asked, one approved

    supporter = await new_viewer(clients, redis, hub.base, bid)  # not the asker
    await resend(supporter, "upvote", qid=asked["qid"], on=True)
    assert await redis.hget(f"{p}q:{asked['qid']}", "votes") == b"1"

    poll = await resend(console, "poll.create", question="好不好?", options=["好", "不好"],
                        multi=False)  # fmt: skip
    assert await redis.get(f"{p}pseq") == b"1"
    await resend(console, "poll.state", poll=poll["poll"], state="open")
    await resend(viewer, "vote", poll=poll["poll"], choices=[0])
    assert await redis.hlen(f"{p}pb:{poll['poll']}") == 1
    assert await redis.hget(f"{p}p:{poll['poll']}", "ballots") == b"1"

    await resend(console, "q.star", qid=asked["qid"], on=True)
    await resend(console, "q.edit", qid=asked["qid"], text="公交卡能不能用手机？")
    await resend(console, "overlay", show="question")
    await resend(console, "bc.update", topic="交通")
    await resend(console, "bc.state", state="live")
    # The same command over HTTP (same moderator, same id) is the same command.
    cmd_id = token()
    over_ws = ok(await console.command("q.status", id=cmd_id, qid=asked["qid"], status="on_air"))
    over_http = await mod.command(bid, "q.status", id=cmd_id, qid=asked["qid"], status="on_air")
    assert over_http == {"type": "ack", "id": cmd_id, "result": over_ws}
    assert len(await events_of(redis, bid, "question")) == 6  # + star, edit, on_air


async def test_a_like_batch_resent_after_a_reconnect_counts_once(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast())["id"]
    viewer = await new_viewer(clients, redis, hub.base, bid)
    assert ok(await viewer.command("like", id="batch-1", n=5)) == {"accepted": 5, "total": 5}
    await viewer.close()
    await viewer.connect()  # same page: same tab id
    assert ok(await viewer.command("like", id="batch-1", n=5)) == {"accepted": 0,
                                                                  "duplicate": True}  # fmt: skip
    assert ok(await viewer.command("like", id="batch-2", n=2)) == {"accepted": 2, "total": 7}
    assert await redis.get(keys.likes(bid)) == b"7"


async def test_a_like_batch_resent_on_the_same_socket_is_answered(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast())["id"]
    viewer = await new_viewer(clients, redis, hub.base, bid)
    assert ok(await viewer.command("like", id="batch-1", n=5)) == {"accepted": 5, "total": 5}
    # The ack was lost to the page (e.g. its handler threw); it resends, as documented.
    reply = await viewer.command("like", id="batch-1", n=5, timeout=1)
    assert reply["type"] == "ack"
    assert reply["result"]["accepted"] == 0
    assert await redis.get(keys.likes(bid)) == b"5"


async def test_different_actors_using_the_same_id_do_not_collide(
    hub: HubProcess, mod: Moderator, redis_url: str, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    one = await new_viewer(clients, redis, hub.base, bid)
    two = await new_viewer(clients, redis, hub.base, bid)
    first = ok(await one.command("ask", id="same-id", text="第一个人的问题"))
    second = ok(await two.command("ask", id="same-id", text="第二个人的问题"))
    assert first["qid"] != second["qid"]
    assert ok(await two.command("upvote", id="same-id-2", qid=first["qid"], on=True))["votes"] == 1
    assert ok(await one.command("upvote", id="same-id-2", qid=second["qid"], on=True))["votes"] == 1

    other = await new_moderator(redis_url, hub.base)
    consoles = [clients.add(m.client(bid)) for m in (mod, other)]
    for console in consoles:
        await console.connect()
    starred = [
        ok(await c.command("q.star", id="same-id", qid=q["qid"], on=True))
        for c, q in zip(consoles, (first, second), strict=True)
    ]
    assert [s["changed"] for s in starred] == [True, True]
    texts = {q["q"]["text"]: q["q"]["starred"] for _, q in await events_of(redis, bid, "question")}
    assert texts == {"第一个人的问题": True, "第二个人的问题": True}


async def test_the_same_question_twice_is_refused_as_a_duplicate(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    viewer = await new_viewer(clients, redis, hub.base, bid)
    ok(await viewer.command("ask", text="地铁票价会涨吗？"))
    before = await dump(redis, bid, results=False)
    for variant in ("地铁票价会涨吗？", "地铁票价会涨吗?? ", "  地铁 票价 会涨吗！！"):
        refused(await viewer.command("ask", text=variant), "duplicate")
    assert await dump(redis, bid, results=False) == before
    # Another viewer may ask the same thing.
    other = await new_viewer(clients, redis, hub.base, bid)
    ok(await other.command("ask", text="地铁票价会涨吗？"))


async def test_too_many_questions_are_rate_limited_and_retryable(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    viewer = await new_viewer(clients, redis, hub.base, bid)
    for i in range(5):  # questions_burst
        ok(await viewer.command("ask", text=f"第{i}个问题：关于公交线路"))
    before = await dump(redis, bid)
    reply = refused(await viewer.command("ask", id="sixth", text="第六个问题"), "rate_limited",
                    retryable=True)  # fmt: skip
    assert reply["id"] == "sixth"
    # A refusal is not remembered as the command's result: the same id is refused
    # again now (and may pass once the bucket refills).
    refused(await viewer.command("ask", id="sixth", text="第六个问题"), "rate_limited",
            retryable=True)  # fmt: skip
    assert await dump(redis, bid) == before
    # The limit is per viewer: another one asks freely.
    other = await new_viewer(clients, redis, hub.base, bid)
    ok(await other.command("ask", text="第六个问题"))


async def test_second_ballot_conflicts_and_closed_polls_refuse(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast())["id"]
    viewer = await new_viewer(clients, redis, hub.base, bid)
    pid = (await mod.command(bid, "poll.create", question="选哪个?", options=["甲", "乙"],
                             multi=False))["result"]["poll"]  # fmt: skip
    refused(await viewer.command("vote", poll=pid, choices=[0]), "closed")  # still a draft
    ok(await mod.command(bid, "poll.state", poll=pid, state="open"))
    assert ok(await viewer.command("vote", poll=pid, choices=[0]))["tallies"] == [1, 0]

    # One ballot per viewer per poll: another is a conflict (docs/protocol.md), on
    # any page of that viewer.
    before = await dump(redis, bid, results=False)
    second = refused(await viewer.command("vote", poll=pid, choices=[1]), "conflict")
    assert "already voted" in second["message"]
    page = clients.add(twin(viewer))  # the same viewer on another page
    await page.connect()
    refused(await page.command("vote", poll=pid, choices=[1]), "conflict")
    assert await dump(redis, bid, results=False) == before

    ok(await mod.command(bid, "poll.state", poll=pid, state="closed"))
    late = await new_viewer(clients, redis, hub.base, bid)
    before = await dump(redis, bid, results=False)
    refused(await late.command("vote", poll=pid, choices=[1]), "closed")
    refused(await late.command("vote", poll=pid + 1, choices=[0]), "not_found")
    assert await dump(redis, bid, results=False) == before
    assert await redis.hgetall(f"{keys.prefix(bid)}pt:{pid}") == {b"0": b"1"}


async def test_an_ended_broadcast_refuses_questions_and_upvotes_until_live_again(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    viewer = await new_viewer(clients, redis, hub.base, bid)
    qid = ok(await viewer.command("ask", text="结束前的问题"))["qid"]
    ok(await mod.command(bid, "bc.state", state="ended"))
    before = await dump(redis, bid, results=False)
    refused(await viewer.command("ask", text="结束后的问题"), "closed")
    refused(await viewer.command("upvote", qid=qid, on=True), "closed")
    assert await dump(redis, bid, results=False) == before
    # Going live again reopens questions and upvotes (docs/console.md).
    ok(await mod.command(bid, "bc.state", state="live"))
    other = await new_viewer(clients, redis, hub.base, bid)
    ok(await other.command("upvote", qid=qid, on=True))
    ok(await viewer.command("ask", text="重新开播后的问题"))


async def test_conflicting_moderators_one_wins_and_consoles_agree(
    hub: HubProcess, mod: Moderator, redis_url: str, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": True}))["id"]
    other = await new_moderator(redis_url, hub.base)
    consoles = [clients.add(m.client(bid)) for m in (mod, other)]
    for console in consoles:
        await console.connect()
    viewer = await new_viewer(clients, redis, hub.base, bid)
    for i in range(5):
        qid = ok(await viewer.command("ask", text=f"待审核的问题 {i}"))["qid"]
        replies = await asyncio.gather(
            consoles[0].command("q.status", qid=qid, status="approved", expect="pending"),
            consoles[1].command("q.status", qid=qid, status="rejected", expect="pending"),
        )
        wins = [r for r in replies if r["type"] == "ack"]
        assert len(wins) == 1, replies
        loser = next(r for r in replies if r["type"] == "error")
        refused(loser, "conflict")
        final = wins[0]["result"]["status"]
        assert await redis.hget(f"{keys.prefix(bid)}q:{qid}", "status") == final.encode()
        for console in consoles:
            await caught_up(console, wins[0]["result"]["pos"])
            assert console.state.questions[qid]["status"] == final
    assert view(consoles[0].state) == view(consoles[1].state)
    # Exactly one status change per question reached the stream.
    changes = [e for _, e in await events_of(redis, bid, "question") if e["prev"] is not None]
    assert len(changes) == 5


async def test_putting_a_question_on_air_answers_the_previous_one(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    viewer = await new_viewer(clients, redis, hub.base, bid)
    q1 = ok(await viewer.command("ask", text="第一个上屏的问题"))["qid"]
    q2 = ok(await viewer.command("ask", text="第二个上屏的问题"))["qid"]
    ok(await console.command("q.status", qid=q1, status="on_air"))
    second = ok(await console.command("q.status", qid=q2, status="on_air", expect="approved"))
    assert (second["status"], second["prev"]) == ("on_air", "approved")

    p = keys.prefix(bid)
    assert await redis.get(f"{p}onair") == str(q2).encode()
    assert await redis.hget(f"{p}q:{q1}", "status") == b"answered"
    assert await redis.zrange(f"{p}qs:on_air", 0, -1) == [str(q2).encode()]
    # Both changes are one atomic write: q1's event right before q2's.
    tail = [(e["q"]["id"], e["prev"], e["q"]["status"])
            for _, e in (await events_of(redis, bid, "question"))[-2:]]  # fmt: skip
    assert tail == [(q1, "on_air", "answered"), (q2, "approved", "on_air")]

    for client in (console, viewer):
        state = await caught_up(client, second["pos"])
        assert state.questions[q1]["status"] == "answered"
        assert state.on_air is not None and state.on_air["id"] == q2


async def test_two_moderators_editing_at_once_never_lose_an_edit(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    """Both start from the same text; the second to arrive is refused with
    ``conflict`` and the first one's edit stays (never a lost update)."""
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    viewer = await new_viewer(clients, redis, hub.base, bid)
    qid = ok(await viewer.command("ask", text="地铁5号线什么时候开工"))["qid"]
    seen = "地铁5号线什么时候开工"
    first = ok(await mod.command(bid, "q.edit", qid=qid, text="地铁5号线南延段什么时候开工？",
                                 expect=seen))  # fmt: skip
    assert first["changed"] is True
    second = await mod.command(bid, "q.edit", qid=qid, text="5号线何时开工？", expect=seen)
    assert second["error"] == "conflict"
    assert (
        await redis.hget(keys.question(bid, qid), "text")
    ).decode() == "地铁5号线南延段什么时候开工？"
    # Starting from the current text works; no expect keeps the old behaviour.
    ok(await mod.command(bid, "q.edit", qid=qid, text="5号线何时开工？",
                         expect="地铁5号线南延段什么时候开工？"))  # fmt: skip
    ok(await mod.command(bid, "q.edit", qid=qid, text="5号线南延段何时开工？"))
    # The same edit made twice is no conflict: nothing would be lost.
    again = ok(await mod.command(bid, "q.edit", qid=qid, text="5号线南延段何时开工？", expect=seen))
    assert again["changed"] is False
