"""Limits the hub enforces on its sockets, and the counters that show them
(docs/reliability.md 9-12, 20, 28).

Each test runs a hub process of its own with the limit under test turned down,
so the close codes and the counter deltas it asserts belong to it alone.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Origin

from server.client import HubClient, fetch_viewer_cookie
from server.domain.resume import parse_stream_id
from tests.integration import harness
from tests.integration.faults import (
    REQUIRED_METRICS,
    closing,
    drained_until_closed,
    eventually,
    get,
    in_thread,
    kernel_queued,
    positions,
    raw_viewer,
    refused_with,
    running_hub,
    scrape,
)
from tests.integration.harness import HubProcess

pytestmark = pytest.mark.anyio

Json = dict[str, Any]


async def acked(client: HubClient, type: str, **fields: Any) -> Json:
    reply = await client.command(type, **fields)
    assert reply["type"] == "ack", reply
    result: Json = reply["result"]
    return result


async def show(redis_url: str, base: str, **settings: Any) -> tuple[harness.Moderator, str]:
    """A moderator and a broadcast of their own (questions need no approval)."""
    mod = await harness.new_moderator(redis_url, base)
    created = await mod.create_broadcast(settings={"moderation": False, **settings})
    return mod, str(created["id"])


# --- 9: oversize frame --------------------------------------------------------------------


async def test_oversize_frame_closes_1009_only_that_socket(
    hub: HubProcess, mod: harness.Moderator
) -> None:
    """The default limits (the module's hub): 16 KiB frames, no compression."""
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    big = await harness.viewer(hub.base, bid)
    calm = await harness.viewer(hub.base, bid)
    async with closing(big, calm):
        await big.connect()
        await calm.connect()
        before = await scrape(hub.base)
        # permessage-deflate is refused even when offered: no decompression bomb.
        async with connect(
            hub.base.replace("http", "ws") + f"/ws/{bid}", origin=Origin(hub.base),
            compression="deflate",
        ) as offered:  # fmt: skip
            assert offered.response is not None
            assert "Sec-WebSocket-Extensions" not in offered.response.headers
        # 16 KiB of JSON is still fine (the limit is inclusive) ...
        frame = '{"type":"ping","pad":"' + "x" * (16 * 1024 - 24) + '"}'
        assert len(frame) == 16 * 1024
        await big.send_frame(frame)
        # ... one byte more is not.
        await big.send_frame('{"type":"ping","pad":"' + "x" * (16 * 1024 - 23) + '"}')
        assert await big.wait_closed() == 1009
        # Everyone else is served as before.
        asked = await acked(calm, "ask", text="大消息之后还能提问吗?")
        await calm.wait_for(lambda e: e.get("pos") == asked["pos"])
        after = await scrape(hub.base)
        assert (
            after.value("xs_closes_total", code="1009")
            == before.value("xs_closes_total", code="1009") + 1
        )
        viewers = after.value("xs_connections", role="viewer")
        assert viewers == before.value("xs_connections", role="viewer") - 1


# --- 10: slow consumer --------------------------------------------------------------------


async def test_slow_consumer_dropped_others_unaffected(embedded_redis: Any, tmp_path: Path) -> None:
    """A viewer that stops reading is dropped as soon as more than its queue cap
    (64 KiB) waits in the hub for it; a normal viewer receives every event, in
    order, all along.

    Whatever the kernel buffers is not the hub's: ``/proc/net/tcp`` tells how
    much that is, and the normal viewer (same role, same frames) tells how much
    the hub produced for the slow one, so the test knows when the hub holds more
    than the cap and must have dropped it."""
    cap = 65536
    with running_hub(embedded_redis.url, tmp_path, SLOW_CONSUMER_BYTES=str(cap)) as hub:
        mod, bid = await show(embedded_redis.url, hub.base, max_len=1000)
        console = mod.client(bid, record=False)
        asker = HubClient(hub.base, bid, cookies=await fetch_viewer_cookie(hub.base))
        normal = await harness.viewer(hub.base, bid)
        async with closing(console, asker, normal):
            await console.connect()
            await asker.connect()
            await normal.connect()
            qid = (await acked(asker, "ask", text="一个会被反复编辑的问题"))["qid"]
            await normal.wait_for(lambda e: e.get("type") == "question")
            cookies = await fetch_viewer_cookie(hub.base)
            slow = await in_thread(lambda: raw_viewer(hub.base, bid, cookies))
            try:
                await eventually(
                    lambda: scrape(hub.base),
                    lambda m: m.value("xs_connections", role="viewer") == 3,
                )  # fmt: skip
                before = await scrape(hub.base)
                mark = len(normal.received)  # from here on both get the same frames
                written: list[str] = []
                overdue = False
                while True:
                    replies = await asyncio.gather(*(
                        acked(console, "q.edit", qid=qid, text=f"{len(written)}-{i}" + "😀" * 980)
                        for i in range(25)
                    ))  # fmt: skip
                    written += sorted((r["pos"] for r in replies), key=parse_stream_id)
                    last = written[-1]
                    await normal.wait_for(lambda e, last=last: e.get("pos") == last, timeout=10)
                    drops = (await scrape(hub.base)).value("xs_slow_consumer_drops_total")
                    if drops > before.value("xs_slow_consumer_drops_total"):
                        break
                    assert not overdue, "the hub kept more than its cap for a slow consumer"
                    produced = sum(len(orjson.dumps(m)) + 14 for m in normal.received[mark:])
                    overdue = produced - kernel_queued(slow) > cap + 16 * 1024
                # The hub dropped it: its socket ends (a 4008 close, or a reset).
                assert await in_thread(lambda: drained_until_closed(slow, 5))
            finally:
                slow.close()
            assert positions(normal, "question")[-len(written) :] == written
            assert normal.state.duplicates == 0
            after = await scrape(hub.base)
            for name, labels in (("xs_closes_total", {"code": "4008"}),
                                 ("xs_slow_consumer_drops_total", {})):  # fmt: skip
                assert after.value(name, **labels) == before.value(name, **labels) + 1, name
            assert after.value("xs_connections", role="viewer") == 2


# --- 11: dead peer --------------------------------------------------------------------------


async def test_dead_peer_removed_by_protocol_pings(embedded_redis: Any, tmp_path: Path) -> None:
    """A peer that never answers the hub's websocket pings (its TCP open) is
    removed within interval + timeout; the viewer count follows; it is counted
    under its own label, not as 1011."""
    env = {"WS_PING_INTERVAL_S": "0.5", "WS_PING_TIMEOUT_S": "0.5", "PRESENCE_INTERVAL_S": "0.2"}
    with running_hub(embedded_redis.url, tmp_path, **env) as hub:
        _, bid = await show(embedded_redis.url, hub.base)
        watcher = await harness.viewer(hub.base, bid)
        async with closing(watcher):
            await watcher.connect()
            before = await scrape(hub.base)
            cookies = await fetch_viewer_cookie(hub.base)
            dead = await in_thread(lambda: raw_viewer(hub.base, bid, cookies))
            try:
                await watcher.wait_state(lambda s: s.presence.get("now") == 2)
                joined = time.monotonic()
                await eventually(
                    lambda: scrape(hub.base),
                    lambda m: m.value("xs_connections", role="viewer") == 1, timeout=5,
                )  # fmt: skip
                # One interval until the ping, one timeout until the pong is due.
                assert time.monotonic() - joined < 0.5 + 0.5 + 1.5
                await watcher.wait_state(lambda s: s.presence.get("now") == 1, timeout=2)
            finally:
                dead.close()
            after = await scrape(hub.base)
            closes = sum(v for (n, _), v in after.samples.items() if n == "xs_closes_total")
            closed = sum(v for (n, _), v in before.samples.items() if n == "xs_closes_total")
            assert closes == closed + 1
            for code in ("1000", "1011"):  # neither a normal close nor an internal error
                assert after.value("xs_closes_total", code=code) == before.value(
                    "xs_closes_total", code=code
                ), code
            assert after.value("xs_closes_total", code="ping_timeout") == (
                before.value("xs_closes_total", code="ping_timeout") + 1
            )


# --- 12: connection flood ---------------------------------------------------------------------


async def test_connection_flood_and_silent_sockets(embedded_redis: Any, tmp_path: Path) -> None:
    """Five sockets per address at most: the sixth is closed with 4429 while the
    five are served; a socket that never says hello is closed with 4408."""
    env = {"MAX_CONNECTIONS_PER_IP": "5", "HELLO_TIMEOUT_S": "1"}
    with running_hub(embedded_redis.url, tmp_path, **env) as hub:
        mod, bid = await show(embedded_redis.url, hub.base)
        url = hub.base.replace("http", "ws") + f"/ws/{bid}"
        before = await scrape(hub.base)

        async with connect(url, origin=Origin(hub.base)) as silent:
            opened = time.monotonic()
            await silent.wait_closed()
            assert silent.close_code == 4408
            assert 0.9 <= time.monotonic() - opened < 3

        viewers = [await harness.viewer(hub.base, bid) for _ in range(6)]
        async with closing(*viewers):
            # The silent socket's slot is free again (counted while open only).
            await eventually(
                lambda: scrape(hub.base),
                lambda m: (
                    m.value("xs_closes_total", code="4408")
                    == before.value("xs_closes_total", code="4408") + 1
                ),
            )
            for client in viewers[:5]:
                await client.connect()
            assert await refused_with(viewers[5]) == 4429
            # The five are served as before.
            reply = await mod.command(bid, "bc.update", title="五个连接都还在")
            for client in viewers[:5]:
                await client.wait_for(lambda e: e.get("pos") == reply["result"]["pos"])
            # A slot freed is a slot usable again.
            await viewers[0].close()
            await eventually(
                lambda: scrape(hub.base),
                lambda m: m.value("xs_connections", role="viewer") == 4,
            )  # fmt: skip
            await viewers[5].connect()
            after = await scrape(hub.base)
            for name, labels in (
                ("xs_rate_limited_total", {"kind": "connections"}),
                ("xs_closes_total", {"code": "4429"}),
                ("xs_closes_total", {"code": "4408"}),
            ):
                assert after.value(name, **labels) == before.value(name, **labels) + 1, name


# --- 20: logout and password reset -------------------------------------------------------------


async def test_logout_and_password_reset_close_moderator_sockets(
    hub: HubProcess, redis_url: str, mod: harness.Moderator
) -> None:
    """Sessions are re-checked every 3 s (hub.SESSION_CHECK_S): a logout, or a
    password reset by an administrator, closes that moderator's sockets with 4401."""
    admin = mod
    bid = (await admin.create_broadcast())["id"]
    leaving = await harness.new_moderator(redis_url, hub.base, admin=False)
    reset = await harness.new_moderator(redis_url, hub.base, admin=False)
    staying = admin.client(bid)
    sockets = {m.user: m.client(bid) for m in (leaving, reset)}
    async with closing(staying, *sockets.values()):
        for client in (staying, *sockets.values()):
            await client.connect()
        before = await scrape(hub.base)
        async with leaving.http() as http:
            assert (await http.post("/api/logout")).status_code == 200
        async with admin.http() as http:
            r = await http.post(f"/api/moderators/{reset.user}",
                                json={"password": secrets.token_urlsafe(16)})  # fmt: skip
            assert r.status_code == 200, r.text
        ended = time.monotonic()
        for client in sockets.values():
            assert await client.wait_closed(timeout=6) == 4401
        assert time.monotonic() - ended < 5  # within seconds (3 s session check)
        # The other moderator's socket is untouched and still served.
        reply = await admin.command(bid, "overlay", show="qr")
        await staying.wait_for(lambda e: e.get("pos") == reply["result"]["pos"])
        again = HubClient(hub.base, bid, "moderator", cookies=leaving.cookies)
        assert await refused_with(again) == 4401
        after = await scrape(hub.base)
        assert (
            after.value("xs_closes_total", code="4401")
            == before.value("xs_closes_total", code="4401") + 3
        )


# --- 28: health and metrics ---------------------------------------------------------------------


async def test_health_and_counters_exposed(hub: HubProcess) -> None:
    """Liveness and readiness are separate; every counter docs/reliability.md 28 names is there."""
    assert (await get(hub.base, "/healthz")).status_code == 200
    ready = await get(hub.base, "/readyz")
    assert ready.status_code == 200 and ready.json()["redis"] == "ok"
    metrics = await scrape(hub.base)
    missing = [name for name in REQUIRED_METRICS if name not in metrics.types]
    assert not missing
