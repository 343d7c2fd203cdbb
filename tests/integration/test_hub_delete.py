"""Deleting a broadcast (docs/reliability.md 27) against a real hub: every key it owns
is gone, its sockets close with 4404, it is refused while live and for anyone
but an administrator; the retention sweep picks only ended broadcasts past
their time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.settings import Settings
from server.store import keys
from server.store.deletion import DAY_MS, Deleter
from server.store.store import Store
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import Clients, new_viewer, ok

pytestmark = pytest.mark.anyio

Json = dict[str, Any]


async def _keys_of(redis: aioredis.Redis, bid: str) -> list[bytes]:
    return [k async for k in redis.scan_iter(match=keys.prefix(bid) + "*", count=1000)]


async def _delete(mod: Moderator, bid: str, *, csrf: bool = True) -> tuple[int, Json]:
    async with mod.http() as http:
        headers = {} if csrf else {"X-CSRF-Token": ""}
        r = await http.delete(f"/api/broadcasts/{bid}", headers=headers)
        return r.status_code, r.json()


async def test_delete_removes_every_key_and_closes_sockets(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    created = await mod.create_broadcast(settings={"moderation": False})
    bid, join = created["id"], created["join"]
    viewer = await new_viewer(clients, redis, hub.base, bid)
    console = clients.add(mod.client(bid))
    await console.connect()
    asked = ok(await viewer.command("ask", text="地铁末班车能否延长到午夜？"))
    supporter = await new_viewer(clients, redis, hub.base, bid)  # not the asker
    ok(await supporter.command("upvote", qid=asked["qid"], on=True))
    ok(await mod.command(bid, "poll.create", question="哪天更方便？", options=["周六", "周日"],
                         multi=False))  # fmt: skip
    assert len(await _keys_of(redis, bid)) > 5
    assert await redis.get(keys.join(join)) is not None

    status, body = await _delete(mod, bid)
    assert status == 200 and body["deleted"] == bid
    assert await viewer.wait_closed() == 4404
    assert await console.wait_closed() == 4404
    assert await _keys_of(redis, bid) == []
    assert await redis.get(keys.join(join)) is None
    assert await redis.zscore(keys.BROADCASTS, bid) is None
    async with mod.http() as http:
        assert (await http.get(f"/api/broadcasts/{bid}")).status_code == 404
        listed = (await http.get("/api/broadcasts")).json()["broadcasts"]
        assert bid not in [b["id"] for b in listed]
        record = (await http.get("/api/audit")).json()["entries"]
        assert any(
            e["action"] == "bc.delete"
            and e["target"] == f"broadcast:{bid}"
            and e["user"] == mod.user
            for e in record
        )
    # Deleting again: nothing there.
    assert (await _delete(mod, bid))[0] == 404


async def test_delete_is_refused_while_live_and_for_non_admins(
    hub: HubProcess, mod: Moderator, redis_url: str, redis: aioredis.Redis
) -> None:
    bid = (await mod.create_broadcast())["id"]
    ok(await mod.command(bid, "bc.state", state="live"))
    before = sorted(await _keys_of(redis, bid))
    status, body = await _delete(mod, bid)
    assert (status, body["error"]) == (409, "conflict")

    ok(await mod.command(bid, "bc.state", state="ended"))
    plain = await new_moderator(redis_url, hub.base, admin=False)
    assert (await _delete(plain, bid))[0] == 403
    assert (await _delete(mod, bid, csrf=False))[0] == 403
    async with mod.http() as http:
        http.cookies.clear()
        assert (await http.delete(f"/api/broadcasts/{bid}")).status_code == 401
    after = {k for k in await _keys_of(redis, bid)}
    assert set(before) <= after and await redis.hget(keys.meta(bid), "deleting") is None
    assert (await _delete(mod, bid))[0] == 200


async def test_retention_picks_only_ended_broadcasts_past_their_time(
    hub: HubProcess, mod: Moderator, redis_url: str, redis: aioredis.Redis
) -> None:
    old = (await mod.create_broadcast())["id"]
    recent = (await mod.create_broadcast())["id"]
    running = (await mod.create_broadcast())["id"]
    for bid in (old, recent):
        ok(await mod.command(bid, "bc.state", state="ended"))
    ended_at = int(await redis.hget(keys.meta(old), "ended") or 0)
    assert abs(ended_at - time.time() * 1000) < 60_000
    await redis.hset(keys.meta(old), "ended", ended_at - 40 * DAY_MS)

    settings = Settings(redis_url=redis_url)
    deleter = Deleter(Store(redis, settings), settings)
    expired = await deleter.expired(int(time.time() * 1000), retention_days=30)
    assert old in expired and recent not in expired and running not in expired
    await deleter.delete(old, user="retention", force=True)
    assert await _keys_of(redis, old) == []
    assert await redis.exists(keys.meta(recent)) and await redis.exists(keys.meta(running))


@pytest.fixture(scope="module")
def quick_presence_hub(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubProcess]:
    """A hub whose presence report runs every 0.2 s, so a test can wait past it."""
    process = HubProcess(
        redis_url, tmp_path_factory.mktemp("hub-presence"), PRESENCE_INTERVAL_S="0.2"
    ).start()
    try:
        yield process
    finally:
        process.stop()


async def test_a_process_holding_the_channel_recreates_nothing_after_delete(
    hub: HubProcess,
    quick_presence_hub: HubProcess,
    mod: Moderator,
    redis: aioredis.Redis,
    clients: Clients,
) -> None:
    """The viewer is served by one process; another deletes the broadcast."""
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    viewer = await new_viewer(clients, redis, quick_presence_hub.base, bid)
    ok(await viewer.command("ask", text="公交夜班线路能否加密？"))
    await viewer.send({"type": "like", "id": "l1", "n": 3})
    assert (await _delete(mod, bid))[0] == 200
    assert await viewer.wait_closed() == 4404
    # The serving process reports presence every 0.2 s (and flushes likes):
    # ten reports later nothing of the broadcast exists.
    await asyncio.sleep(2.0)
    assert await _keys_of(redis, bid) == []
