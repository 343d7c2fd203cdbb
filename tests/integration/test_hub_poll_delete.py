"""Deleting a draft poll against a real hub: over the socket and over HTTP, the
console's state follows, viewers and the overlay never hear of it, the audit log
records it, and open or closed polls are refused with a typed error."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from server.client import HubClient
from server.store import keys
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import Clients, dump, new_viewer, ok, raw, refused

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
async def mod(hub: HubProcess, redis_url: str) -> Moderator:
    return await new_moderator(redis_url, hub.base)


async def test_a_draft_poll_is_deleted_everywhere_at_once(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    created = await mod.create_broadcast()
    bid = created["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    other = clients.add(mod.client(bid))  # a second console
    await other.connect()
    overlay = clients.add(
        HubClient(hub.base, bid, "overlay", key=created["overlay_key"], record=True)
    )
    await overlay.connect()
    viewer = await new_viewer(clients, redis, hub.base, bid)

    draft = ok(await console.command("poll.create", question="草稿投票？", options=["甲", "乙"],
                                     multi=False))["poll"]  # fmt: skip
    opened = ok(await console.command("poll.create", question="开放投票？", options=["甲", "乙"],
                                      multi=False))["poll"]  # fmt: skip
    ok(await console.command("poll.state", poll=opened, state="open"))
    await other.wait_state(
        lambda s: draft in s.polls and s.polls.get(opened, {}).get("state") == "open"
    )

    # Open (and later closed) polls stay: a typed error, nothing written.
    before = await dump(redis, bid, results=False)
    msg = refused(await console.command("poll.delete", poll=opened), "conflict")["message"]
    assert msg == f"poll {opened} is open; only a draft poll can be deleted"
    refused(await console.command("poll.delete", poll=999), "not_found")
    # Viewers and the overlay may not send it at all.
    refused(await viewer.command("poll.delete", poll=draft), "forbidden")
    refused(await overlay.command("poll.delete", poll=draft), "forbidden")
    assert await dump(redis, bid, results=False) == before

    result = ok(await console.command("poll.delete", poll=draft))
    assert result["poll"] == draft
    for client in (console, other):
        await client.wait_state(lambda s: draft not in s.polls)
    assert opened in other.state.polls
    assert not await redis.exists(keys.poll(bid, draft))
    # Nobody but moderators ever heard of the draft, nor of its deletion.
    ok(await console.command("bc.update", title="删除之后"))
    for client in (viewer, overlay):
        await client.wait_state(lambda s: s.broadcast.get("title") == "删除之后")
        assert "草稿投票" not in raw(client.received)
        assert "poll_deleted" not in raw(client.received)
    # A fresh console's snapshot no longer has it.
    fresh = clients.add(mod.client(bid))
    await fresh.connect()
    await fresh.wait_state(lambda s: opened in s.polls)
    assert draft not in fresh.state.polls

    # Over HTTP too, and the closed poll is refused there as well.
    second = ok(await console.command("poll.create", question="第二个草稿？", options=["甲", "乙"],
                                      multi=False))["poll"]  # fmt: skip
    reply = await mod.command(bid, "poll.delete", poll=second)
    assert reply["type"] == "ack", reply
    ok(await console.command("poll.state", poll=opened, state="closed"))
    reply = await mod.command(bid, "poll.delete", poll=opened)
    assert reply["error"] == "conflict", reply

    rows = await redis.xrange(keys.audit(bid))
    deletes = [
        (f[b"user"].decode(), f[b"target"].decode())
        for _, f in rows
        if f[b"action"] == b"poll.delete"
    ]
    assert deletes == [(mod.user, f"poll:{draft}"), (mod.user, f"poll:{second}")]
