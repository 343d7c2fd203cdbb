"""The production commands through a real hub: scenes, cue and take, the
run-down, and the host view's key and projection (docs/obs.md)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.client import HubClient
from tests.integration.harness import HubProcess, Moderator
from tests.integration.hub_helpers import Clients, dump, new_viewer, ok, refused

pytestmark = pytest.mark.anyio


async def _host_key(mod: Moderator, bid: str) -> str:
    async with mod.http() as http:
        r = await http.get(f"/api/broadcasts/{bid}/host-key")
        assert r.status_code == 200 and r.json() == {"host_key": None, "link": None}, r.text
        r = await http.post(f"/api/broadcasts/{bid}/host-key")
        assert r.status_code == 200, r.text
        key: str = r.json()["host_key"]
        assert r.json()["link"].endswith(f"/host/{bid}?key={key}")
    return key


async def test_the_host_view_sees_no_viewer_identity(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    """The host view connects as an overlay with its own key: public questions
    without askers, no viewer id, no pending question, the run-down as ids."""
    created = await mod.create_broadcast(settings={"moderation": True})
    bid = created["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    key = await _host_key(mod, bid)
    host = clients.add(HubClient(hub.base, bid, "overlay", key=key, record=True))
    await host.connect()
    askers = [await new_viewer(clients, redis, hub.base, bid) for _ in range(3)]
    secret = f"待审核 {secrets.token_hex(4)}"
    pending = ok(await askers[0].command("ask", text=secret, name="不公开的人"))["qid"]
    shown = []
    for i, v in enumerate(askers[1:]):
        qid = ok(await v.command("ask", text=f"公开的问题 {i}", name=f"观众{i}"))["qid"]
        ok(await console.command("q.status", qid=qid, status="approved"))
        ok(await console.command("rundown.add", qid=qid))
        shown.append(qid)
    refused(await console.command("rundown.add", qid=pending), "conflict")  # not approved
    ok(await console.command("rundown.next"))
    await host.wait_state(lambda s: s.on_air is not None and s.on_air["id"] == shown[0])
    await host.wait_state(lambda s: s.overlay.get("rundown", {}).get("items") == [shown[1]])
    # Every frame the host view got, as text: no asker, no viewer id, no pending text.
    text = json.dumps(host.received, ensure_ascii=False)
    assert '"asker"' not in text and secret not in text and "不公开的人" not in text
    for v in askers:
        vid = v.cookies["xs_vid"].rpartition(".")[0]
        assert vid and vid not in text
    # A host view cannot send a moderator's command.
    refused(await host.command("rundown.next"), "forbidden")


async def test_rotating_one_key_keeps_the_other(
    hub: HubProcess, mod: Moderator, clients: Clients
) -> None:
    created = await mod.create_broadcast()
    bid, okey = created["id"], created["overlay_key"]
    hkey = await _host_key(mod, bid)
    overlay = clients.add(HubClient(hub.base, bid, "overlay", key=okey, record=True))
    host = clients.add(HubClient(hub.base, bid, "overlay", key=hkey, record=True))
    await overlay.connect()
    await host.connect()
    async with mod.http() as http:
        r = await http.post(f"/api/broadcasts/{bid}/host-key")
        new = r.json()["host_key"]
    assert await host.wait_closed() == 4401
    # The overlay, on the other key, stays; the new host key works.
    console = clients.add(mod.client(bid))
    await console.connect()
    ok(await console.command("scene", scene="empty"))
    await overlay.wait_state(lambda s: s.overlay.get("scene") == "empty")
    again = clients.add(HubClient(hub.base, bid, "overlay", key=new, record=True))
    await again.connect()
    await again.wait_state(lambda s: s.overlay.get("layers") == [])


async def test_hostile_production_commands_write_nothing(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    created = await mod.create_broadcast()
    bid = created["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    before = await dump(redis, bid)
    bad: list[tuple[str, dict[str, Any], str]] = [
        ("scene", {"scene": "../meta"}, "bad_field"),
        ("scene.put", {"scene": "x", "name": "<script>", "widgets": ["question", "iframe"]},
         "bad_field"),
        ("scene.put", {"scene": "x", "name": "   ", "widgets": []}, "empty"),
        ("cue", {"qid": "1 OR 1=1"}, "bad_field"),
        ("rundown.move", {"qid": 1, "after": 1}, "invalid"),
        ("rundown.add", {"qid": 2**60}, "bad_field"),
        ("take", {"extra": True}, "bad_field"),
    ]  # fmt: skip
    for type_, fields, code in bad:
        refused(await console.command(type_, **fields), code)
    assert await dump(redis, bid) == before
