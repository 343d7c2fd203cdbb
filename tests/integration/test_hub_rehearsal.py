"""Rehearsal mode against a real hub: fill a draft with sample content, refuse to
go live while it is there, clear it (content gone, set-up kept, every client
resynchronised under a new epoch), and only ever on a draft."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.ops import rehearsal
from server.ops import rehearsal_data as data
from server.settings import Settings
from server.store import keys
from server.store.store import Store
from tests.integration.harness import HubProcess, Moderator
from tests.integration.hub_helpers import Clients, dump, new_viewer, ok, refused, self_moving, twin

pytestmark = pytest.mark.anyio

Json = dict[str, Any]
# What a clear keeps: the set-up, the record, the id counters and moderators'
# command results (a resend after the clear must not apply twice).
KEPT = {"meta", "epoch", "events", "audit", "qseq", "pseq"}


async def _rehearsal(mod: Moderator, bid: str, action: str) -> tuple[int, Json]:
    async with mod.http() as http:
        r = await http.post(f"/api/broadcasts/{bid}/rehearsal", json={"action": action})
        body: Json = r.json()
        return r.status_code, body


async def _left(redis: aioredis.Redis, bid: str) -> set[str]:
    """The names (after the prefix) of the broadcast's keys, but the presence
    bookkeeping (the audience's record, which a clear keeps)."""
    p = keys.prefix(bid)
    names = {k.decode()[len(p) :] async for k in redis.scan_iter(match=p + "*", count=1000)}
    return {n for n in names if not self_moving(n)}


async def test_fill_then_clear_keeps_the_setup_and_resyncs_every_client(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    created = await mod.create_broadcast(settings={"moderation": True, "tags": ["交通", "就业"]})
    bid, okey, join = created["id"], created["overlay_key"], created["join"]
    console = clients.add(mod.client(bid))
    await console.connect()
    viewer = await new_viewer(clients, redis, hub.base, bid)
    away = await new_viewer(clients, redis, hub.base, bid)  # will be offline during the clear
    await console.wait_state(lambda s: bool(s.broadcast))
    assert console.state.broadcast["rehearsal"] is False

    status, filled = await _rehearsal(mod, bid, "fill")
    assert (status, filled) == (200, {"rehearsal": True, "questions": len(data.QUESTIONS)})
    assert await redis.hget(keys.meta(bid), "rehearsal") == b"1"
    async with mod.http() as http:
        assert (await http.get(f"/api/broadcasts/{bid}")).json()["rehearsal"] is True
        listed = (await http.get("/api/broadcasts")).json()["broadcasts"]
        assert [b["rehearsal"] for b in listed if b["id"] == bid] == [True]
    state = await console.wait_state(
        lambda s: len(s.questions) == len(data.QUESTIONS) and s.likes == data.LIKES
        and bool(s.polls) and s.polls[1].get("ballots") == sum(data.POLL_BALLOTS)
    )  # fmt: skip
    assert state.broadcast["rehearsal"] is True
    statuses = {q["status"] for q in state.questions.values()}
    assert statuses == {"pending", "approved", "on_air", "answered", "rejected"}
    assert {q["tag"] for q in state.questions.values()} == {"交通", "就业"}
    assert sum(q["votes"] for q in state.questions.values()) == sum(
        s.votes for s in data.QUESTIONS if s.plan != "pending"
    )
    await viewer.wait_state(lambda s: s.broadcast.get("rehearsal") is True and bool(s.questions))
    public = {q["status"] for q in viewer.state.questions.values()}
    assert public <= {"approved", "on_air", "answered"}
    # One audit entry for the whole fill, none per synthetic write.
    rows = await redis.xrange(keys.audit(bid))
    audit = [(f[b"user"].decode(), f[b"action"].decode()) for _, f in rows]
    assert audit == [(mod.user, "bc.create"), (mod.user, "rehearsal.fill")]

    # Going live is refused while the rehearsal data is there; nothing changes.
    before = await dump(redis, bid, results=False)
    reply = refused(await console.command("bc.state", state="live"), "conflict")
    assert "rehearsal" in reply["message"]
    assert await dump(redis, bid, results=False) == before

    old_epoch = console.state.epoch
    await away.close()
    snapshots = (console.state.snapshots, viewer.state.snapshots)
    status, cleared = await _rehearsal(mod, bid, "clear")
    assert (status, cleared) == (200, {"rehearsal": False, "questions": 0})

    left = await _left(redis, bid)
    assert {k for k in left if not k.startswith("idem:m:")} <= KEPT, left
    assert {"meta", "epoch", "events", "audit"} <= left
    meta = {k.decode(): v.decode() for k, v in (await redis.hgetall(keys.meta(bid))).items()}
    kept = (meta["okey"], meta["join"], meta["rehearsal"], meta["state"])
    assert kept == (okey, join, "0", "draft")
    assert await redis.get(keys.join(join)) == bid.encode()
    new_epoch = (await redis.get(keys.epoch(bid))).decode()
    assert new_epoch != old_epoch

    # Connected clients get a fresh snapshot of the empty broadcast, new epoch.
    for client, seen in zip((console, viewer), snapshots, strict=True):
        state = await client.wait_state(lambda s, n=seen: s.snapshots > n and s.epoch == new_epoch)
        assert (state.questions, state.polls, state.likes, state.on_air) == ({}, {}, 0, None)
        assert state.broadcast["rehearsal"] is False
    assert viewer.state.mine == {} and viewer.state.myvotes == set()
    # One that was away resumes into the new epoch: told so, and given a snapshot.
    back = clients.add(twin(away))
    back.epoch, back.pos = away.epoch, away.pos
    welcome = await back.connect()
    assert welcome["resume"] == "epoch_changed"
    await back.wait_state(lambda s: s.epoch == new_epoch and s.snapshots == 1)
    assert back.state.questions == {} and back.state.broadcast["rehearsal"] is False

    actions = [f[b"action"].decode() for _, f in await redis.xrange(keys.audit(bid))]
    assert actions == ["bc.create", "rehearsal.fill", "rehearsal.clear"]
    # Real content after the clear: new ids, never a rehearsal one reused.
    qid = ok(await viewer.command("ask", text="正式开始后的第一个问题"))["qid"]
    assert qid > len(data.QUESTIONS)
    ok(await console.command("bc.state", state="live"))


async def test_rehearsal_only_on_a_draft(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis
) -> None:
    for final in ("live", "ended"):
        bid = (await mod.create_broadcast())["id"]
        ok(await mod.command(bid, "bc.state", state=final))
        before = await dump(redis, bid)
        for action in ("fill", "clear"):
            status, body = await _rehearsal(mod, bid, action)
            assert (status, body["error"]) == (409, "conflict"), (final, action)
        assert await dump(redis, bid) == before
    status, body = await _rehearsal(mod, "t-nosuch", "fill")
    assert (status, body["error"]) == (404, "not_found")
    status, body = await _rehearsal(mod, "t-nosuch", "clear")
    assert (status, body["error"]) == (404, "not_found")


async def test_clear_of_a_big_broadcast_and_of_strays(
    redis_url: str, redis: aioredis.Redis
) -> None:
    """Thousands of questions span many SCAN batches; a stray of the rehearsal
    (a key a racing write left) is recognised by its id, later items are kept."""
    store = Store(redis, Settings(redis_url=redis_url))
    bid = "t-" + secrets.token_hex(5)
    await store.create_broadcast(bid, title="大场次", topic="", settings={"moderation": False},
                                 overlay_key="k", user="t")  # fmt: skip
    n = 3000
    for start in range(0, n, 500):
        done = await asyncio.gather(*(
            store.ask(bid, f"v:big{i}:a", vid=f"big{i}", text=f"第{i}个问题", name="", tag=None,
                      fp=f"fp{i}")
            for i in range(start, start + 500)
        ))  # fmt: skip
        assert all(d["ok"] is True for d in done)
    assert len(await _left(redis, bid)) > 4 * n  # q:, mine:, dup:, rlq: per question

    assert await rehearsal.clear(store, bid, user="t") == {"rehearsal": False, "questions": 0}
    assert await _left(redis, bid) <= KEPT

    p = keys.prefix(bid)
    await redis.hset(p + "q:7", "text", "一个迟到的排练问题")  # id <= the cut: a stray
    await redis.hset(p + f"q:{n + 1}", "text", "清空之后的新问题")  # written after: kept
    assert await store.rehearsal_strays(bid, [p + "q:7", p + f"q:{n + 1}", p + "meta"],
                                        qcut=n, pcut=0) == 1  # fmt: skip
    assert await _left(redis, bid) == (KEPT - {"pseq"}) | {f"q:{n + 1}"}


async def test_fill_without_moderation_and_a_clear_lifts_bans(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    status, filled = await _rehearsal(mod, bid, "fill")
    assert (status, filled["questions"]) == (200, len(data.QUESTIONS))
    console = clients.add(mod.client(bid))
    await console.connect()
    state = await console.wait_state(lambda s: len(s.questions) == len(data.QUESTIONS))
    statuses = {q["status"] for q in state.questions.values()}
    assert statuses == {"approved", "on_air", "answered", "rejected"}  # nothing waits
    assert sum(q["starred"] for q in state.questions.values()) == sum(
        s.starred for s in data.QUESTIONS
    )
    # A second fill adds another set (new synthetic viewers, no duplicates).
    status, again = await _rehearsal(mod, bid, "fill")
    assert (status, again["questions"]) == (200, 2 * len(data.QUESTIONS))

    # A ban made while rehearsing is rehearsal content too.
    viewer = await new_viewer(clients, redis, hub.base, bid)
    qid = ok(await viewer.command("ask", text="排练时被封禁的观众"))["qid"]
    ok(await console.command("viewer.ban", qid=qid, on=True))
    assert await redis.scard(keys.prefix(bid) + "banned") == 1
    status, cleared = await _rehearsal(mod, bid, "clear")
    assert (status, cleared) == (200, {"rehearsal": False, "questions": 0})
    assert await redis.exists(keys.prefix(bid) + "banned", keys.prefix(bid) + "banq") == 0
    again_viewer = clients.add(twin(viewer))
    await again_viewer.connect()  # no longer refused
    ok(await again_viewer.command("ask", text="清空之后可以再提问"))
