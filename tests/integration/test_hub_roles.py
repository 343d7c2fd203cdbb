"""Who may see and do what (docs/reliability.md 17, 18, 20, 21, 25, 26) against a real hub.

Privacy assertions scan every message a client received (re-encoded as the JSON
that went over the wire), not only the state it ended with.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from server import auth
from server.client import Disconnected, HubClient
from server.protocol import PUBLIC_STATUSES
from server.store import keys
from tests.integration import harness
from tests.integration.harness import HubProcess, Moderator
from tests.integration.hub_helpers import (
    Clients,
    assert_same_as_fresh,
    barrier,
    caught_up,
    dump,
    hub_secret,
    new_viewer,
    ok,
    raw,
    refused,
    twin,
)

pytestmark = pytest.mark.anyio

Json = dict[str, Any]

# One of each moderator command, valid in shape, aimed at things that exist.
MODERATOR_COMMANDS: list[tuple[str, Json]] = [
    ("q.status", {"qid": 1, "status": "rejected"}),
    ("q.star", {"qid": 1, "on": True}),
    ("q.edit", {"qid": 1, "text": "被篡改的问题"}),
    ("poll.create", {"question": "偷偷的投票?", "options": ["是", "否"], "multi": False}),
    ("poll.state", {"poll": 1, "state": "closed"}),
    ("overlay", {"show": "qr"}),
    ("bc.update", {"title": "被篡改的标题"}),
    ("bc.state", {"state": "ended"}),
    ("q.merge", {"qid": 1, "into": 2}),
    ("viewer.ban", {"qid": 1, "on": True}),
]
VIEWER_COMMANDS: list[tuple[str, Json]] = [
    ("ask", {"text": "冒充观众的问题"}),
    ("upvote", {"qid": 1, "on": True}),
    ("vote", {"poll": 1, "choices": [0]}),
    ("like", {"n": 3}),
]


async def _broadcast(mod: Moderator, **settings: Any) -> tuple[str, str]:
    """A new broadcast: (id, overlay key)."""
    created = await mod.create_broadcast(settings=settings)
    return created["id"], created["overlay_key"]


async def _overlay(clients: Clients, base: str, bid: str, key: str) -> HubClient:
    overlay = clients.add(HubClient(base, bid, "overlay", key=key, record=True))
    await overlay.connect()
    return overlay


async def _all_see_title(title: str, *watchers: HubClient) -> None:
    """A moderator's visible change reached every watcher: what came before it did too."""
    for client in watchers:
        await client.wait_state(lambda s: s.broadcast.get("title") == title)


def _question_events(client: HubClient) -> list[Json]:
    """Every question-bearing item a client received, snapshots included."""
    found: list[Json] = []
    for msg in client.received:
        if msg["type"] == "snapshot":
            found += [{"type": "question", "q": q} for q in msg.get("questions", [])]
            found += [{"type": "question", "q": q} for q in msg.get("mine", [])]
            if msg.get("on_air"):
                found.append({"type": "question", "q": msg["on_air"]})
        elif msg["type"] == "events":
            found += [e for e in msg["events"] if e["type"] == "question"]
    return found


# --- the moderation gate ----------------------------------------------------------------


async def test_a_pending_question_reaches_only_its_asker_and_moderators(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, key = await _broadcast(mod, moderation=True)
    console = clients.add(mod.client(bid))
    await console.connect()
    asker = await new_viewer(clients, redis, hub.base, bid)
    other = await new_viewer(clients, redis, hub.base, bid)
    overlay = await _overlay(clients, hub.base, bid, key)

    secret = f"待审核 {secrets.token_hex(4)}"
    waiting = ok(await asker.command("ask", text=f"{secret} 一"))
    dropped = ok(await asker.command("ask", text=f"{secret} 二"))
    assert waiting["status"] == dropped["status"] == "pending"
    rejected = ok(await console.command("q.status", qid=dropped["qid"], status="rejected",
                                        reason="与主题无关"))  # fmt: skip

    # The asker follows its own questions, with the reason, marked as its own.
    own = await asker.wait_for(lambda e: (e.get("q") or {}).get("id") == waiting["qid"])
    assert (own["type"], own["mine"], own["q"]["status"]) == ("question", True, "pending")
    gone = await caught_up(asker, rejected["pos"])
    assert gone.mine[dropped["qid"]]["status"] == "rejected"
    assert gone.mine[dropped["qid"]]["reason"] == "与主题无关"
    assert dropped["qid"] not in gone.questions and waiting["qid"] not in gone.questions
    # Moderators see both, in every status.
    await caught_up(console, rejected["pos"])
    assert {q: console.state.questions[q]["status"] for q in (waiting["qid"], dropped["qid"])} == {
        waiting["qid"]: "pending", dropped["qid"]: "rejected",
    }  # fmt: skip

    ok(await console.command("bc.update", title="哨兵"))
    late = await new_viewer(clients, redis, hub.base, bid)  # joins after: a snapshot
    await _all_see_title("哨兵", other, overlay, late)
    for client in (other, overlay, late):
        assert secret not in raw(client.received)
        assert not any(
            e.get("qid") in (waiting["qid"], dropped["qid"])
            or (e.get("q") or {}).get("id") in (waiting["qid"], dropped["qid"])
            for msg in client.received if msg["type"] == "events" for e in msg["events"]
        )  # fmt: skip
        assert client.state.questions == {}

    # The asker's own snapshot (a new page) still has both, with the reason.
    page = clients.add(twin(asker))
    await page.connect()
    await caught_up(page, rejected["pos"])
    assert {q["id"]: (q["status"], q["reason"]) for q in page.state.mine.values()} == {
        waiting["qid"]: ("pending", None), dropped["qid"]: ("rejected", "与主题无关"),
    }  # fmt: skip
    assert page.state.questions == {}


async def test_rejecting_an_approved_question_removes_it_for_viewers(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, _ = await _broadcast(mod, moderation=True)
    console = clients.add(mod.client(bid))
    await console.connect()
    asker = await new_viewer(clients, redis, hub.base, bid)
    other = await new_viewer(clients, redis, hub.base, bid)
    qid = ok(await asker.command("ask", text="会议纪要会公开吗？"))["qid"]
    approved = ok(await console.command("q.status", qid=qid, status="approved"))
    assert qid in (await caught_up(other, approved["pos"])).questions

    rejected = ok(await console.command("q.status", qid=qid, status="rejected", reason="重复"))
    removed = await other.wait_for(lambda e: e.get("type") == "question_removed")
    assert removed == {"type": "question_removed", "qid": qid, "pos": rejected["pos"]}
    assert qid not in (await caught_up(other, rejected["pos"])).questions
    # The asker learns why; the others learn nothing but that it left.
    own = await asker.wait_for(lambda e: e.get("pos") == rejected["pos"])
    assert own["mine"] is True
    assert (own["q"]["status"], own["q"]["reason"]) == ("rejected", "重复")
    assert "重复" not in raw(other.received)
    # A viewer joining now does not have it.
    late = await new_viewer(clients, redis, hub.base, bid)
    await caught_up(late, rejected["pos"])
    assert qid not in late.state.questions


async def test_a_viewer_joining_after_a_rejection_never_receives_its_text(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, _ = await _broadcast(mod, moderation=True)
    early = await new_viewer(clients, redis, hub.base, bid)  # the channel caches its snapshot
    qid = ok(await early.command("ask", text="一句后来被拒绝的粗话"))["qid"]
    ok(await mod.command(bid, "q.status", qid=qid, status="approved"))
    rejected = ok(await mod.command(bid, "q.status", qid=qid, status="rejected"))
    await caught_up(early, rejected["pos"])

    late = await new_viewer(clients, redis, hub.base, bid)
    await caught_up(late, rejected["pos"])
    assert qid not in late.state.questions
    assert "粗话" not in raw(late.received)


async def test_the_overlay_gets_viewer_text_only_after_a_moderator_acted(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, key = await _broadcast(mod, moderation=True)
    console = clients.add(mod.client(bid))
    await console.connect()
    overlay = await _overlay(clients, hub.base, bid, key)
    asker = await new_viewer(clients, redis, hub.base, bid)
    first = ok(await asker.command("ask", text="第一个问题上屏吗？"))["qid"]
    second = ok(await asker.command("ask", text="第二个问题上屏吗？"))["qid"]
    never = ok(await asker.command("ask", text="永远不会通过的问题"))["qid"]
    ok(await console.command("q.status", qid=never, status="rejected"))
    ok(await console.command("q.status", qid=first, status="on_air"))  # straight from pending
    ok(await console.command("q.status", qid=second, status="approved"))
    ok(await console.command("q.status", qid=second, status="on_air"))  # first -> answered
    ok(await console.command("q.status", qid=second, status="answered"))
    ok(await console.command("bc.update", title="结束"))
    await _all_see_title("结束", overlay)

    assert "永远不会通过" not in raw(overlay.received)
    items = _question_events(overlay)
    assert all(e["q"]["status"] in PUBLIC_STATUSES for e in items), items
    # The viewers' shape: first on air, answered as second replaces it; second
    # answered in turn.
    seen = {
        qid: [e["q"]["status"] for e in items if e["q"]["id"] == qid] for qid in (first, second)
    }
    assert seen == {first: ["on_air", "answered"], second: ["approved", "on_air", "answered"]}
    assert overlay.state.on_air is None


async def test_live_results_of_an_always_poll_reach_every_viewer(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, _ = await _broadcast(mod)
    watcher = await new_viewer(clients, redis, hub.base, bid)  # has not voted
    voter = await new_viewer(clients, redis, hub.base, bid)
    pid = ok(await mod.command(bid, "poll.create", question="实时结果?", options=["是", "否"],
                               multi=False, results="always"))["poll"]  # fmt: skip
    opened = ok(await mod.command(bid, "poll.state", poll=pid, state="open"))
    assert (await caught_up(watcher, opened["pos"])).polls[pid]["tallies"] == [0, 0]
    voted = ok(await voter.command("vote", poll=pid, choices=[0]))
    await watcher.wait_state(lambda s: s.polls[pid]["tallies"] == [1, 0], timeout=2)
    await assert_same_as_fresh(watcher, voted["pos"])


# --- privacy ---------------------------------------------------------------------------


async def test_no_payload_carries_another_viewers_id(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, key = await _broadcast(mod, moderation=False)
    console = clients.add(mod.client(bid))
    await console.connect()
    overlay = await _overlay(clients, hub.base, bid, key)
    # Real cookies from GET /api/viewer, unsigned with the deployment's secret.
    one = clients.add(await harness.viewer(hub.base, bid))
    two = clients.add(await harness.viewer(hub.base, bid))
    secret = await hub_secret(redis)
    vids = {}
    for client in (one, two):
        cookie = client.cookies[auth.VIEWER_COOKIE]
        vid = auth.unsign(secret, cookie, "vid")
        assert vid is not None and cookie.startswith(vid + ".")
        vids[client] = vid
        await client.connect()

    a1 = ok(await one.command("ask", text="我家门口能设站吗？", name="一号"))
    a2 = ok(await one.command("ask", text="我家门口的路灯呢？"))
    b1 = ok(await two.command("ask", text="学校门口的斑马线？"))
    ok(await two.command("upvote", qid=a1["qid"], on=True))
    ok(await one.command("upvote", qid=b1["qid"], on=True))
    pid = ok(await console.command("poll.create", question="哪个先修?", options=["站", "灯"],
                                   multi=False, results="always"))["poll"]  # fmt: skip
    ok(await console.command("poll.state", poll=pid, state="open"))
    ok(await one.command("vote", poll=pid, choices=[0]))
    ok(await two.command("vote", poll=pid, choices=[1]))
    ok(await one.command("like", n=3))
    ok(await two.command("like", n=4))
    ok(await console.command("q.status", qid=a1["qid"], status="on_air"))
    ok(await console.command("q.status", qid=b1["qid"], status="rejected", reason="无关"))
    ok(await console.command("overlay", show="poll", poll=pid))
    ok(await console.command("bc.update", title="哨兵"))
    # And everyone's snapshot, from new pages.
    pages = [clients.add(twin(c)) for c in (one, two, overlay, console)]
    for page in pages:
        await page.connect()
    watchers = [one, two, overlay, console, *pages]
    await _all_see_title("哨兵", *watchers)

    for client in watchers:
        wire = raw(client.received)
        cookie = client.cookies.get(auth.VIEWER_COOKIE)
        own = auth.unsign(secret, cookie, "vid") if cookie else None
        for vid in set(vids.values()) - {own}:
            assert vid not in wire, f"{client.role} received another viewer's id"
        assert '"voter"' not in wire

    # Moderators tell askers apart by a stable pseudonym that is not the id: the
    # same in every event and snapshot, on every console.
    seen: dict[int, set[str]] = {}
    for msg in console.received + pages[3].received:
        if msg["type"] == "snapshot":
            for q in msg["questions"]:
                seen.setdefault(q["id"], set()).add(q["asker"])
        elif msg["type"] == "events":
            for e in msg["events"]:
                if e["type"] == "question":
                    assert "asker" not in e, "the pseudonym is inside q, as in snapshots"
                    seen.setdefault(e["q"]["id"], set()).add(e["q"]["asker"])
    askers = {qid: names.pop() for qid, names in seen.items() if len(names) == 1}
    assert askers.keys() == seen.keys() == {a1["qid"], a2["qid"], b1["qid"]}
    assert askers[a1["qid"]] == askers[a2["qid"]] != askers[b1["qid"]]
    assert set(askers.values()).isdisjoint(vids.values())
    assert all(len(a) == 10 for a in askers.values())


# --- role escalation -----------------------------------------------------------------


async def test_moderator_commands_from_viewers_and_overlays_are_forbidden(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, key = await _broadcast(mod, moderation=True)
    viewer = await new_viewer(clients, redis, hub.base, bid)
    ok(await viewer.command("ask", text="一个待审核的问题"))
    ok(await mod.command(bid, "poll.create", question="开着的?", options=["是", "否"],
                         multi=False))  # fmt: skip
    ok(await mod.command(bid, "poll.state", poll=1, state="open"))
    overlay = await _overlay(clients, hub.base, bid, key)
    console = clients.add(mod.client(bid))
    await console.connect()
    before = await dump(redis, bid)  # command results included: none may be stored

    attempts = [(viewer, t, f) for t, f in MODERATOR_COMMANDS]
    attempts += [(overlay, t, f) for t, f in MODERATOR_COMMANDS + VIEWER_COMMANDS]
    attempts += [(console, t, f) for t, f in VIEWER_COMMANDS]
    for client, type, fields in attempts:
        reply = refused(await client.command(type, id=f"x-{type}", **fields), "forbidden")
        assert reply["id"] == f"x-{type}"
    for client in (viewer, overlay, console):
        await barrier(client)  # still open and answering
    assert await dump(redis, bid) == before
    ok(await viewer.command("ask", text="被拒之后照常提问"))  # and the viewer is still served


# --- HTTP ------------------------------------------------------------------------------------


async def test_http_moderator_routes_need_session_csrf_and_own_origin(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis
) -> None:
    bid, _ = await _broadcast(mod)
    command = {"type": "bc.update", "id": "h1", "title": "被篡改"}
    writes = [
        (f"/api/broadcasts/{bid}/commands", command),
        (f"/api/broadcasts/{bid}/overlay-key", {}),
        ("/api/broadcasts", {"title": "不该存在"}),
    ]
    reads = ["/api/broadcasts", f"/api/broadcasts/{bid}"]
    before = await dump(redis, bid)
    count = await redis.zcard(keys.BROADCASTS)

    async with httpx.AsyncClient(base_url=hub.base, timeout=10) as anonymous:
        for path, body in writes:
            assert (await anonymous.post(path, json=body)).status_code == 401, path
        for path in reads:
            assert (await anonymous.get(path)).status_code == 401, path
        # A CSRF token without the session cookie is nothing.
        r = await anonymous.post(writes[0][0], json=command, headers={"X-CSRF-Token": mod.csrf})
        assert r.status_code == 401

    async with httpx.AsyncClient(base_url=hub.base, cookies=mod.cookies, timeout=10) as no_csrf:
        for path, body in writes:
            r = await no_csrf.post(path, json=body)
            assert (r.status_code, r.json()["error"]) == (403, "forbidden"), path
            r = await no_csrf.post(path, json=body, headers={"X-CSRF-Token": "wrong"})
            assert r.status_code == 403, path
        for path in reads:  # reads need the session only
            assert (await no_csrf.get(path)).status_code == 200, path

    foreign = [f"http://127.0.0.1:{hub.port}.evil.example", "http://evil.example", "null"]
    async with mod.http() as session:
        for origin in foreign:
            for path, body in writes:
                r = await session.post(path, json=body, headers={"Origin": origin})
                assert (r.status_code, r.json()["error"]) == (403, "forbidden"), (origin, path)
    assert await dump(redis, bid) == before
    assert await redis.zcard(keys.BROADCASTS) == count

    async with mod.http() as session:  # and with all three, it works
        r = await session.post(writes[0][0], json=command, headers={"Origin": hub.base})
        assert r.status_code == 200 and r.json()["type"] == "ack"


# --- isolation and overlay keys ----------------------------------------------------------------


async def test_a_broadcast_never_leaks_into_another(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid_a, key_a = await _broadcast(mod, moderation=False)
    bid_b, key_b = await _broadcast(mod, moderation=False)
    viewer_a = await new_viewer(clients, redis, hub.base, bid_a)
    overlay_a = await _overlay(clients, hub.base, bid_a, key_a)
    console_a = clients.add(mod.client(bid_a))
    await console_a.connect()

    viewer_b = await new_viewer(clients, redis, hub.base, bid_b)
    qid = ok(await viewer_b.command("ask", text="只属于B的问题"))["qid"]
    ok(await viewer_b.command("like", n=9))
    pid = ok(await mod.command(bid_b, "poll.create", question="B的投票", options=["x", "y"],
                               multi=False))["poll"]  # fmt: skip
    ok(await mod.command(bid_b, "poll.state", poll=pid, state="open"))
    ok(await mod.command(bid_b, "q.status", qid=qid, status="on_air"))
    ok(await mod.command(bid_b, "bc.update", title="B的标题"))
    await _all_see_title("B的标题", viewer_b)

    ok(await console_a.command("bc.update", title="A的标题"))
    await _all_see_title("A的标题", viewer_a, overlay_a, console_a)
    epoch_a = viewer_a.epoch
    for client in (viewer_a, overlay_a, console_a):
        wire = raw(client.received)
        assert "B的" not in wire and "只属于B" not in wire
        assert {m.get("epoch") for m in client.received if "epoch" in m} == {epoch_a}
        assert client.state.likes == 0 and client.state.polls == {}

    # A's overlay key opens nothing of B's (and B's nothing of A's).
    for bid, wrong in ((bid_b, key_a), (bid_a, key_b)):
        stranger = clients.add(HubClient(hub.base, bid, "overlay", key=wrong, record=True))
        with pytest.raises(Disconnected) as refused_key:
            await stranger.connect()
        assert refused_key.value.code == 4401


async def test_rotating_the_overlay_key_closes_open_overlays(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, old = await _broadcast(mod)
    overlay = await _overlay(clients, hub.base, bid, old)
    other_bid, other_key = await _broadcast(mod)
    bystander = await _overlay(clients, hub.base, other_bid, other_key)

    async with mod.http() as session:
        r = await session.post(f"/api/broadcasts/{bid}/overlay-key")
        assert r.status_code == 200
        new = r.json()["overlay_key"]
    assert new != old
    assert await overlay.wait_closed(timeout=5) == 4401
    assert (await redis.hget(keys.meta(bid), "okey")) == new.encode()

    again = clients.add(HubClient(hub.base, bid, "overlay", key=old, record=True))
    with pytest.raises(Disconnected) as refused_key:
        await again.connect()
    assert refused_key.value.code == 4401
    fresh = clients.add(HubClient(hub.base, bid, "overlay", key=new, record=True))
    assert (await fresh.connect())["role"] == "overlay"
    await barrier(bystander)  # another broadcast's overlay is untouched


async def test_names_hidden_from_viewers_and_overlay_when_the_broadcast_hides_them(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    """show_names off: viewers and the overlay read 匿名; moderators and the asker see the name."""
    b = await mod.create_broadcast(settings={"moderation": True, "show_names": False})
    bid = b["id"]
    asker = await new_viewer(clients, redis, hub.base, bid)
    other = await new_viewer(clients, redis, hub.base, bid)
    overlay = clients.add(HubClient(hub.base, bid, "overlay", key=b["overlay_key"], record=True))
    console = clients.add(mod.client(bid))
    await overlay.connect()
    await console.connect()
    ack = await asker.command("ask", text="换乘站会有无障碍电梯吗？", name="李阿姨")
    qid = ack["result"]["qid"]
    for status in ("approved", "on_air"):
        assert (await mod.command(bid, "q.status", qid=qid, status=status))["type"] == "ack"
    await other.wait_state(lambda s: qid in s.questions and s.on_air is not None)
    await overlay.wait_state(lambda s: s.on_air is not None and s.on_air["id"] == qid)
    late = await new_viewer(clients, redis, hub.base, bid)  # a snapshot
    await late.wait_state(lambda s: qid in s.questions)
    for c in (other, overlay, late):
        assert "李阿姨" not in str(c.received), c.role
    assert other.state.questions[qid]["name"] == "匿名"
    assert late.state.questions[qid]["name"] == "匿名"
    await asker.wait_state(lambda s: s.mine.get(qid, {}).get("status") == "on_air")
    assert asker.state.mine[qid]["name"] == "李阿姨"
    await console.wait_state(lambda s: s.questions.get(qid, {}).get("status") == "on_air")
    assert console.state.questions[qid]["name"] == "李阿姨"
