"""Two hub processes (real uvicorn, ``python -m server run``) on the suite's
Redis Cluster serve one broadcast as one: clients on both sides see the same
events in the same order; an account made through one works on the other; a
slot moved while the broadcast is live (CLUSTER SETSLOT IMPORTING/MIGRATING,
MIGRATE, SETSLOT NODE) and clients keep getting every event, once."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from redis.asyncio.cluster import RedisCluster

from server.client import HubClient
from server.ops.local_cluster import LocalCluster
from server.store import keys
from tests.cluster.helpers import connected_viewer
from tests.integration import harness
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import Clients, assert_same_as_fresh, caught_up, ok

pytestmark = pytest.mark.anyio

Json = dict[str, Any]
# One viewer asks through a whole slot migration: no question budget in the way.
ASKERS = {"QUESTIONS_BURST": "10000", "QUESTIONS_PER_MIN": "10000"}


@pytest.fixture(scope="module")
def hubs(
    redis_cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[HubProcess, HubProcess]]:
    logs = tmp_path_factory.mktemp("cluster-hubs")
    a = harness.HubProcess(redis_cluster.url, logs, **ASKERS).start(timeout=40)
    try:
        b = harness.HubProcess(redis_cluster.url, logs, **ASKERS).start(timeout=40)
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()


@pytest.fixture(scope="module")
async def mod(redis_cluster: LocalCluster, hubs: tuple[HubProcess, HubProcess]) -> Moderator:
    return await new_moderator(redis_cluster.url, hubs[0].base)


def _events(client: HubClient) -> list[Json]:
    """The events a client got, in order (snapshots and presence reports aside:
    each process reports its own count on its own clock)."""
    return [e for e in client.log if e.get("type") not in ("snapshot", "presence")]


def _public(event: Json) -> Json:
    """What every viewer gets of an event: an asker's own copy also says
    ``mine`` and the question's ``reason``."""
    out = {k: v for k, v in event.items() if k != "mine"}
    if isinstance(out.get("q"), dict):
        out["q"] = {k: v for k, v in out["q"].items() if k not in ("mine", "reason")}
    return out


async def test_two_processes_on_the_cluster_see_the_same_events_in_the_same_order(
    hubs: tuple[HubProcess, HubProcess], mod: Moderator, clients: Clients
) -> None:
    a, b = hubs
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    viewers = [await connected_viewer(clients, hub.base, bid) for hub in (a, b, a, b)]
    consoles = [clients.add(mod.client(bid, base=hub.base)) for hub in (a, b)]
    for console in consoles:
        await console.connect()
    assert len({c.epoch for c in (*viewers, *consoles)}) == 1

    # Questions asked on both sides at once, upvoted across.
    asked = await asyncio.gather(*(
        v.command("ask", text=f"第{i}个问题，来自{'AB'[i % 2]}进程") for i, v in enumerate(viewers)
    ))  # fmt: skip
    qids = [ok(r)["qid"] for r in asked]
    votes = await asyncio.gather(*(
        viewers[(i + 1) % 4].command("upvote", qid=qid, on=True) for i, qid in enumerate(qids)
    ))  # fmt: skip
    last = max((ok(r)["pos"] for r in votes), key=lambda p: tuple(map(int, p.split("-"))))
    for client in (*viewers, *consoles):
        await caught_up(client, last)
    # Every viewer saw the same, in the same order (each one's own questions
    # are marked as such: compare what is public), and so did both consoles.
    public = [[_public(e) for e in _events(v)] for v in viewers]
    assert len(public[0]) == 8, public[0]  # 4 asked + 4 upvoted
    for p in public[1:]:
        assert p == public[0]
    assert _events(consoles[0]) == _events(consoles[1])
    assert len(_events(consoles[0])) >= 8
    assert all(c.state.duplicates == 0 for c in (*viewers, *consoles))


async def test_an_account_made_on_one_process_works_on_the_other(
    hubs: tuple[HubProcess, HubProcess], mod: Moderator
) -> None:
    a, b = hubs
    user, password = "c" + secrets.token_hex(4), secrets.token_urlsafe(12)
    async with mod.http(a.base) as http:
        r = await http.post("/api/moderators", json={"username": user, "password": password})
        assert r.status_code in (200, 201), r.text
    # Signed in on the other process, the one-time password is changed there,
    # and the new one signs in (docs/console.md, one-time passwords).
    first = await harness.Moderator(b.base, user, password).login()
    own = secrets.token_urlsafe(12)
    async with first.http(b.base) as http:
        r = await http.post("/api/me/password", json={"current": password, "new": own})
        assert r.status_code == 200, r.text
    created = await harness.Moderator(b.base, user, own).login()
    made = await created.create_broadcast(title="另一进程建的")
    async with created.http(a.base) as http:
        r = await http.get(f"/api/broadcasts/{made['id']}")
        assert r.status_code == 200, r.text


async def test_a_slot_moved_while_live_keeps_every_event_flowing(
    redis_cluster: LocalCluster, hubs: tuple[HubProcess, HubProcess], mod: Moderator,
    clients: Clients,
) -> None:  # fmt: skip
    a, b = hubs
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    watchers = [await connected_viewer(clients, hub.base, bid) for hub in (a, b)]
    asker = await connected_viewer(clients, b.base, bid)
    client = RedisCluster(host="127.0.0.1", port=redis_cluster.nodes[0].port)
    slot = client.keyslot(keys.events(bid))
    await client.aclose()
    source = redis_cluster.owner(slot)
    target = next(n for n in redis_cluster.serving() if n is not source)

    acked: list[str] = []
    refused: list[str] = []

    async def ask(i: int) -> None:
        reply = await asker.command("ask", text=f"迁移中的问题{i}")
        # A command that meets the slot half-moved may be refused as
        # retryable (nothing written); what was acknowledged must arrive.
        if reply.get("type") == "ack":
            acked.append(reply["result"]["qid"])
        else:
            assert reply["retryable"], reply
            refused.append(reply["code"])

    for i in range(3):
        await ask(i)
    moving = asyncio.create_task(
        asyncio.to_thread(redis_cluster.migrate_slot, slot, target, batch=2)
    )
    i = 3
    while not moving.done():
        await ask(i)
        i += 1
    await moving
    assert i > 3  # commands were made while the slot was moving
    for j in range(5):
        await ask(i + j)
    assert redis_cluster.owner(slot) is target
    done = ok(await asker.command("ask", text="迁移之后"))
    for watcher in watchers:
        await caught_up(watcher, done["pos"])
        got = [e["q"]["id"] for e in watcher.log if e.get("type") == "question"]
        assert got == [*acked, done["qid"]]
        assert watcher.state.duplicates == 0


async def test_a_primary_killed_and_its_replica_promoted_mid_show(
    redis_cluster: LocalCluster, hubs: tuple[HubProcess, HubProcess], mod: Moderator,
    clients: Clients,
) -> None:  # fmt: skip
    """Default mode (no wait for a replica): the hubs follow the new primary by
    themselves, commands are refused as retryable while it is being promoted,
    and every client ends with exactly what a fresh page gets (the events it
    missed, or a snapshot when the promoted replica lacked some)."""
    a, b = hubs
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    watchers = [await connected_viewer(clients, hub.base, bid) for hub in (a, b)]
    asker = await connected_viewer(clients, a.base, bid)
    for i in range(3):
        ok(await asker.command("ask", text=f"切换前的问题{i}"))
    probe = RedisCluster(host="127.0.0.1", port=redis_cluster.serving()[0].port)
    slot = probe.keyslot(keys.events(bid))
    await probe.aclose()
    primary = redis_cluster.owner(slot)
    replica = redis_cluster.replica_of(primary)
    redis_cluster.kill(primary)
    try:
        await asyncio.to_thread(redis_cluster.failover, replica, force=True)
        # The hub serves again by itself, without a restart: the same command,
        # resent while it is refused as retryable, is acknowledged (once).
        async with asyncio.timeout(30):
            while True:
                reply = await asker.command("ask", text="切换之后的问题", id="after-failover")
                if reply.get("type") == "ack":
                    break
                assert reply["retryable"], reply
        done = reply["result"]
        for watcher in watchers:
            await assert_same_as_fresh(watcher, done["pos"])
    finally:
        await asyncio.to_thread(redis_cluster.restart, primary)


async def test_a_promoted_replica_that_lacks_events_is_a_rollback(
    redis_cluster: LocalCluster, hubs: tuple[HubProcess, HubProcess], mod: Moderator,
    clients: Clients, cluster_redis: RedisCluster,
) -> None:  # fmt: skip
    """Default mode: the replica is stopped (SIGSTOP) while a large write fills
    its link, so the questions acknowledged after it never leave the primary,
    which is then killed; the replica is promoted without them. Every process
    notices that an event it had sent is gone: a new epoch, and every client
    ends with a snapshot of what the new primary holds (no phantom question)."""
    a, b = hubs
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    watchers = [await connected_viewer(clients, hub.base, bid) for hub in (a, b)]
    asker = await connected_viewer(clients, a.base, bid)
    kept = ok(await asker.command("ask", text="复制过的问题"))
    slot = cluster_redis.keyslot(keys.events(bid))
    primary = redis_cluster.owner(slot)
    replica = redis_cluster.replica_of(primary)
    with primary.client() as direct:
        # The replica has everything so far, then stops reading its link.
        assert direct.execute_command("WAIT", 1, 5000) == 1
    epoch = watchers[0].epoch
    redis_cluster.pause(replica)
    try:
        # Far more than the socket buffers hold: what follows stays in the
        # primary's memory and dies with it.
        await cluster_redis.set(keys.prefix(bid) + "pad", b"x" * (64 << 20))
        lost = [ok(await asker.command("ask", text=f"没复制的问题{i}")) for i in range(3)]
        for watcher in watchers:
            await caught_up(watcher, lost[-1]["pos"])
        redis_cluster.kill(primary)
    finally:
        redis_cluster.resume(replica)
    try:
        await asyncio.to_thread(redis_cluster.failover, replica, force=True)
        for watcher in watchers:
            await watcher.wait_state(lambda s: s.epoch != epoch, timeout=30)
            assert kept["qid"] in watcher.state.questions
            assert not {q["qid"] for q in lost} & set(watcher.state.questions)
        after = ok(await asker.command("ask", text="切换之后"))
        for watcher in watchers:
            await assert_same_as_fresh(watcher, after["pos"])
    finally:
        await cluster_redis.delete(keys.prefix(bid) + "pad")
        await asyncio.to_thread(redis_cluster.restart, primary)
