"""Keeping the queue safe against a real hub: merging questions, banning a
viewer, the per-address question limit (docs/architecture.md, "Keeping the queue safe").

Every assertion is on what really went over the sockets or into Redis.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as aioredis

from server.client import Disconnected, HubClient
from server.settings import Settings
from server.store import keys
from server.store.store import Store
from tests.integration.harness import HubProcess, Moderator
from tests.integration.hub_helpers import (
    Clients,
    dump,
    new_viewer,
    ok,
    raw,
    refused,
    running_hub,
    token,
    twin,
    vid_of,
)

pytestmark = pytest.mark.anyio

Json = dict[str, Any]


async def _seen_by_all(console: HubClient, title: str, *clients: HubClient) -> None:
    """A public change (a title) reached every client, the console included (its
    ack may arrive before its event): what came before it did too."""
    ok(await console.command("bc.update", title=title))
    for client in (console, *clients):
        await client.wait_state(lambda s: s.broadcast.get("title") == title)


async def _members(redis: aioredis.Redis, key: str) -> set[str]:
    return {m.decode() for m in await redis.smembers(key)}


async def _audit(redis: aioredis.Redis, bid: str) -> list[dict[str, str]]:
    rows = await redis.xrange(keys.audit(bid))
    return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in rows]


# --- merge -------------------------------------------------------------------------------


async def test_merge_unites_supporters_exactly_once(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    a, b, c, d, e = [await new_viewer(clients, redis, hub.base, bid) for _ in range(5)]
    vid = {client: await vid_of(redis, client) for client in (a, b, c, d, e)}
    into = ok(await a.command("ask", text="地铁能不能延长运营时间？"))["qid"]
    merged = ok(await b.command("ask", text="地铁晚上能开到几点？"))["qid"]
    for voter, qid in ((c, into), (c, merged), (d, merged), (e, into)):
        ok(await voter.command("upvote", qid=qid, on=True))
    p = keys.prefix(bid)
    assert await _members(redis, f"{p}qv:{into}") == {vid[c], vid[e]}
    assert await _members(redis, f"{p}qv:{merged}") == {vid[c], vid[d]}

    result = ok(await console.command("q.merge", qid=merged, into=into))
    # c upvoted both and counts once; b asked the merged one and now supports into.
    assert result == {"qid": merged, "into": into, "votes": 4, "pos": result["pos"]}
    assert await _members(redis, f"{p}qv:{into}") == {vid[c], vid[e], vid[d], vid[b]}
    assert await redis.hget(f"{p}q:{into}", "votes") == b"4"
    for voter in (b, c, d, e):
        assert str(into).encode() in await redis.smembers(f"{p}myv:{vid[voter]}")
    assert await redis.hget(f"{p}q:{merged}", "status") == b"merged"
    assert await redis.hget(f"{p}q:{merged}", "merged_into") == str(into).encode()
    assert await redis.zscore(f"{p}qs:merged", merged) is not None
    assert await redis.zscore(f"{p}qs:approved", merged) is None

    await _seen_by_all(console, "合并之后", a, b, c, d, e)
    # Viewers: the merged question left the list; its supporters' counts moved.
    for viewer in (a, c, d, e):
        assert merged not in viewer.state.questions
        assert viewer.state.questions[into]["votes"] == 4
        removed = [
            ev
            for m in viewer.received
            if m["type"] == "events"
            for ev in m["events"]
            if ev["type"] == "question_removed"
        ]
        assert [ev["qid"] for ev in removed] == [merged]
    # Its asker keeps it, merged, and learns where it went.
    assert merged not in b.state.questions
    assert b.state.mine[merged]["status"] == "merged"
    assert b.state.mine[merged]["merged_into"] == into
    # Moderators: the question stays, merged, with its asker inside q.
    assert console.state.questions[merged]["status"] == "merged"
    assert console.state.questions[merged]["merged_into"] == into
    assert console.state.questions[into]["votes"] == 4
    # A resend of the merged asker's upvote counts nothing more.
    assert ok(await b.command("upvote", qid=into, on=True))["votes"] == 4

    # A fresh page agrees: the asker's snapshot has it merged, a console's lists it.
    page = clients.add(twin(b))
    await page.connect(resume=False)
    await page.wait_state(lambda s: merged in s.mine)
    assert page.state.mine[merged]["merged_into"] == into
    assert merged not in page.state.questions
    fresh = clients.add(mod.client(bid))
    await fresh.connect()
    await fresh.wait_state(lambda s: merged in s.questions)
    assert fresh.state.questions[merged]["status"] == "merged"
    assert fresh.state.questions[merged]["asker"] == console.state.questions[merged]["asker"]

    entries = [x for x in await _audit(redis, bid) if x["action"] == "q.merge"]
    assert len(entries) == 1
    assert (entries[0]["user"], entries[0]["target"]) == (mod.user, f"q:{merged}")
    assert orjson.loads(entries[0]["detail"])["into"] == into


async def test_merge_refusals_change_nothing(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    viewer = await new_viewer(clients, redis, hub.base, bid)
    q1, q2, q3, q4 = [
        ok(await viewer.command("ask", text=f"第{i}个问题"))["qid"] for i in (1, 2, 3, 4)
    ]
    ok(await console.command("q.status", qid=q3, status="rejected"))
    ok(await console.command("q.merge", qid=q4, into=q1))
    before = await dump(redis, bid, results=False)
    for fields, code in [
        ({"qid": q1, "into": q1}, "invalid"),
        ({"qid": q1, "into": 999}, "not_found"),
        ({"qid": 999, "into": q1}, "not_found"),
        ({"qid": q4, "into": q2}, "conflict"),  # already merged
        ({"qid": q2, "into": q4}, "conflict"),  # into a merged one
        ({"qid": q2, "into": q3}, "conflict"),  # into a rejected one
    ]:
        refused(await console.command("q.merge", **fields), code)
    assert await dump(redis, bid, results=False) == before
    # q.status cannot reach or leave "merged".
    refused(await console.command("q.status", qid=q4, status="approved"), "conflict")
    reply = await console.command("q.status", qid=q2, status="merged")
    assert (reply["type"], reply["code"]) == ("error", "bad_field")


async def test_merging_the_question_on_air_clears_the_air(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    created = await mod.create_broadcast(settings={"moderation": False})
    bid = created["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    overlay = clients.add(HubClient(hub.base, bid, "overlay", key=created["overlay_key"],
                                    record=True))  # fmt: skip
    await overlay.connect()
    viewer = await new_viewer(clients, redis, hub.base, bid)
    into = ok(await viewer.command("ask", text="公园什么时候开放？"))["qid"]
    on_air = ok(await viewer.command("ask", text="公园几点开门？"))["qid"]
    ok(await console.command("q.status", qid=on_air, status="on_air"))
    await overlay.wait_state(lambda s: s.on_air is not None and s.on_air["id"] == on_air)
    ok(await console.command("q.merge", qid=on_air, into=into))
    assert await redis.get(keys.prefix(bid) + "onair") is None
    await overlay.wait_state(lambda s: s.on_air is None)
    await console.wait_state(lambda s: s.questions[on_air]["status"] == "merged")


# --- ban ----------------------------------------------------------------------------------


async def test_a_ban_closes_the_viewers_sockets_and_removes_their_questions(
    hub: HubProcess,
    strict_hub: HubProcess,
    mod: Moderator,
    redis: aioredis.Redis,
    clients: Clients,
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": True}))["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    troll = await new_viewer(clients, redis, hub.base, bid)
    troll_tab = clients.add(twin(troll))  # a second page of the same viewer
    await troll_tab.connect()
    troll_far = clients.add(twin(troll, strict_hub.base))  # and one on another hub process
    await troll_far.connect()
    other = await new_viewer(clients, redis, hub.base, bid)
    troll_vid = await vid_of(redis, troll)
    pending = ok(await troll.command("ask", text="第一条捣乱"))["qid"]
    approved = ok(await troll.command("ask", text="第二条捣乱"))["qid"]
    answered = ok(await troll.command("ask", text="第三条其实是好问题"))["qid"]
    kept = ok(await other.command("ask", text="正常的问题"))["qid"]
    for qid in (approved, answered, kept):
        ok(await console.command("q.status", qid=qid, status="approved"))
    ok(await console.command("q.status", qid=answered, status="on_air"))
    ok(await console.command("q.status", qid=answered, status="answered"))
    await console.wait_state(lambda s: s.questions.get(answered, {}).get("status") == "answered")
    pseudonym = console.state.questions[pending]["asker"]

    cmd_id = token()
    result = ok(await console.command("viewer.ban", id=cmd_id, qid=approved, on=True))
    assert result == {"asker": pseudonym, "on": True, "removed": [pending, approved],
                      "pos": result["pos"]}  # fmt: skip
    # Every socket of that viewer, in every process, is closed with 4403; the others stay.
    for socket in (troll, troll_tab, troll_far):
        assert await socket.wait_closed(timeout=5) == 4403
    p = keys.prefix(bid)
    for qid in (pending, approved):
        assert await redis.hmget(f"{p}q:{qid}", "status", "reason") == [b"rejected", b"banned"]
    assert await redis.hget(f"{p}q:{answered}", "status") == b"answered"
    assert await _members(redis, f"{p}banned") == {troll_vid}

    await _seen_by_all(console, "封禁之后", other)
    assert approved not in other.state.questions and kept in other.state.questions
    # Moderators hear of the ban by pseudonym; no payload names the viewer id.
    bans = [ev for m in console.received if m["type"] == "events" for ev in m["events"]
            if ev["type"] == "ban"]  # fmt: skip
    assert [(b["asker"], b["qid"], b["on"]) for b in bans] == [(pseudonym, approved, True)]
    assert console.state.banned == {pseudonym: {"asker": pseudonym, "qid": approved}}
    fresh = clients.add(mod.client(bid))
    await fresh.connect()
    await fresh.wait_state(lambda s: bool(s.banned))
    assert fresh.state.banned == {pseudonym: {"asker": pseudonym, "qid": approved}}
    for client in (console, fresh, other):
        assert troll_vid not in raw(client.received)
    assert "ban" not in {ev["type"] for m in other.received if m["type"] == "events"
                         for ev in m["events"]}  # fmt: skip

    # A resend is the same answer; coming back is refused with 4403; so is asking.
    again = ok(await console.command("viewer.ban", id=cmd_id, qid=approved, on=True))
    assert again == result
    with pytest.raises(Disconnected) as back:
        await clients.add(twin(troll)).connect()
    assert back.value.code == 4403
    store = Store(redis, Settings())
    asked = await store.ask(bid, f"v:{troll_vid}:{token()}", vid=troll_vid, text="又来了",
                            name="", tag=None, fp=token())  # fmt: skip
    assert asked["err"] == "banned"

    audit = [x for x in await _audit(redis, bid) if x["action"] == "viewer.ban"]
    assert [(x["user"], x["target"]) for x in audit] == [(mod.user, f"viewer:{pseudonym}")]

    # Lifting the ban lets the viewer in and ask again; nothing is restored.
    lifted = ok(await console.command("viewer.ban", qid=pending, on=False))
    assert lifted == {"asker": pseudonym, "on": False, "removed": [], "pos": lifted["pos"]}
    await console.wait_state(lambda s: not s.banned)
    back_again = clients.add(twin(troll))
    await back_again.connect()
    ok(await back_again.command("ask", text="我会好好提问"))
    assert await redis.hget(f"{p}q:{pending}", "status") == b"rejected"


async def test_ban_refusals(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast())["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    refused(await console.command("viewer.ban", qid=404, on=True), "not_found")
    assert await redis.exists(keys.prefix(bid) + "banned") == 0


# --- who may ---------------------------------------------------------------------------------


async def test_merge_and_ban_need_a_moderator_session(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    """Over HTTP without a session (a viewer's cookie is none) and over a
    viewer's websocket: refused, and nothing is written."""
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    viewer = await new_viewer(clients, redis, hub.base, bid)
    q1 = ok(await viewer.command("ask", text="问题一"))["qid"]
    q2 = ok(await viewer.command("ask", text="问题二"))["qid"]
    before = await dump(redis, bid)
    commands: list[Json] = [
        {"type": "q.merge", "id": "x1", "qid": q2, "into": q1},
        {"type": "viewer.ban", "id": "x2", "qid": q1, "on": True},
    ]
    async with httpx.AsyncClient(base_url=hub.base, cookies=viewer.cookies) as http:
        for body in commands:
            r = await http.post(f"/api/broadcasts/{bid}/commands", json=body)
            assert (r.status_code, r.json()["error"]) == (401, "unauthorized")
    async with httpx.AsyncClient(base_url=hub.base, cookies=mod.cookies) as no_csrf:
        for body in commands:
            r = await no_csrf.post(f"/api/broadcasts/{bid}/commands", json=body)
            assert r.status_code == 403
    for body in commands:
        fields = {k: v for k, v in body.items() if k != "type"}
        refused(await viewer.command(body["type"], **fields), "forbidden")
    assert await dump(redis, bid) == before


# --- per-address question limit -------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A hub allowing 3 questions per address and broadcast, refilled very slowly."""
    env = {"QUESTIONS_IP_BURST": "3", "QUESTIONS_IP_PER_MIN": "0.5"}
    with running_hub(redis_url, Path(tmp_path_factory.mktemp("strict")), **env) as process:
        yield process


async def test_questions_per_address_are_limited(
    strict_hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    # Four viewers behind one address (127.0.0.1), each within its own budget.
    viewers = [await new_viewer(clients, redis, strict_hub.base, bid) for _ in range(4)]
    for i, viewer in enumerate(viewers[:3]):
        ok(await viewer.command("ask", text=f"同一网络的第{i}个问题"))
    last = refused(await viewers[3].command("ask", text="第四个"), "rate_limited", retryable=True)
    assert "network" in last["message"]
    assert await redis.zcard(keys.by_status(bid, "approved")) == 3
    # The refusal spent nothing of the viewer's own budget, and the limit is per
    # broadcast: another broadcast takes questions from the same address.
    tokens = await redis.hget(keys.prefix(bid) + "rlq:" + await vid_of(redis, viewers[3]), "tokens")
    assert tokens is None
    other = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    elsewhere = await new_viewer(clients, redis, strict_hub.base, other)
    ok(await elsewhere.command("ask", text="另一场直播的问题"))
