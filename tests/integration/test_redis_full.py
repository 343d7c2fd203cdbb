"""Redis full, busy, or out of free connections, under a running hub
(docs/reliability.md 32).

Each test has a redis-server of its own (``embedded_redis``), turned full with
``CONFIG SET maxmemory`` (noeviction), busy with a long script, or slow with
``CLIENT PAUSE`` against a pool of one connection; and a hub process of its own
with the default timeouts. Writes answer the retryable ``unavailable`` (never
``internal``), HTTP answers the JSON 503 with ``Retry-After``, the counters
move by kind, the log has one line per kind and no traceback, and ``/readyz``
says so and recovers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.client import HubClient
from tests.integration import harness
from tests.integration.faults import eventually, get, redis_client, running_hub, scrape
from tests.integration.hub_helpers import refused

pytestmark = pytest.mark.anyio

Json = dict[str, Any]


async def _failures(base: str, kind: str) -> float:
    return (await scrape(base)).value("xs_redis_failures_total", kind=kind)


def _json_503(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["retry-after"] == "2"
    assert response.json()["error"] == "unavailable"


async def _show(url: str, base: str) -> tuple[harness.Moderator, str, HubClient]:
    mod = await harness.new_moderator(url, base)
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    viewer = await harness.viewer(base, bid)
    await viewer.connect()
    return mod, bid, viewer


async def test_redis_full_is_unavailable_everywhere_and_readyz_says_so(
    embedded_redis: Any, tmp_path: Path
) -> None:
    with running_hub(embedded_redis.url, tmp_path) as hub:
        mod, bid, viewer = await _show(embedded_redis.url, hub.base)
        qid = (await viewer.command("ask", text="垃圾分类点能否多设几个？"))["result"]["qid"]
        assert (await get(hub.base, "/readyz")).status_code == 200
        oom_before = await _failures(hub.base, "oom")
        async with redis_client(embedded_redis.url) as admin:
            await admin.config_set("maxmemory-policy", "noeviction")
            await admin.config_set("maxmemory", 1)  # every write is now refused
            try:
                # Websocket writes: retryable unavailable, never internal.
                for _ in range(5):
                    reply = await viewer.command("ask", text="满了还能提问吗？")
                    refused(reply, "unavailable", retryable=True)
                # (A withdrawal: the asker's own upvote is refused before any write.)
                refused(await viewer.command("upvote", qid=qid, on=False), "unavailable",
                        retryable=True)  # fmt: skip
                # HTTP: the documented JSON error, never a plain 500.
                _json_503(await get(hub.base, "/api/viewer"))
                _json_503(await get(hub.base, f"/b/{bid}"))  # a new visitor
                async with httpx.AsyncClient(base_url=hub.base, timeout=10) as http:
                    login = await http.post(
                        "/api/login", json={"username": mod.user, "password": mod.password}
                    )
                _json_503(login)
                async with mod.http() as http:
                    command = await http.post(
                        f"/api/broadcasts/{bid}/commands",
                        json={"type": "bc.update", "id": "full-1", "title": "满了"},
                    )
                _json_503(command)
                # PING still answers, but /readyz knows writes are refused.
                ready = await get(hub.base, "/readyz")
                assert ready.status_code == 503 and ready.json()["redis"] == "refusing writes"
                assert await _failures(hub.base, "oom") >= oom_before + 9
            finally:
                await admin.config_set("maxmemory", 0)
        # Room again: ready again (the probe write passes), and writes are acked.
        await eventually(lambda: get(hub.base, "/readyz"), lambda r: r.status_code == 200)
        reply = await viewer.command("ask", text="满了还能提问吗？")
        assert reply["type"] == "ack", reply
        await viewer.close()
    log = hub.log()
    assert "Traceback" not in log
    assert "internal" not in log
    # One line per kind, rate-limited: not one per refused command.
    assert 1 <= log.count("Redis unavailable (oom)") <= 3, log


async def test_a_busy_redis_is_unavailable_not_internal(
    embedded_redis: Any, tmp_path: Path
) -> None:
    with running_hub(embedded_redis.url, tmp_path) as hub:
        _, _, viewer = await _show(embedded_redis.url, hub.base)
        async with (
            redis_client(embedded_redis.url) as admin,
            redis_client(embedded_redis.url) as blocker,
        ):
            await admin.config_set("lua-time-limit", 100)  # BUSY after 0.1 s of script
            # A script that runs for 3 s: Redis answers BUSY to everyone meanwhile.
            spin = asyncio.create_task(
                blocker.eval(
                    "local t0 = redis.call('TIME') local s = tonumber(t0[1]) "
                    "while tonumber(redis.call('TIME')[1]) - s < 3 do end return 1",
                    0,
                )
            )
            try:
                await asyncio.sleep(0.5)
                reply = await viewer.command("ask", text="忙的时候提问")
                refused(reply, "unavailable", retryable=True)
            finally:
                assert await spin == 1
        assert await _failures(hub.base, "busy") >= 1
        reply = await viewer.command("ask", text="忙完了再问")
        assert reply["type"] == "ack", reply
        await viewer.close()
    assert "Traceback" not in hub.log()


async def test_a_full_pool_is_unavailable_not_internal(embedded_redis: Any, tmp_path: Path) -> None:
    # One command connection: while Redis holds back writes (CLIENT PAUSE
    # WRITE, longer than the command timeout and its two retries) it is taken,
    # and another caller finds no free connection within REDIS_TIMEOUT_S.
    # No heartbeat during the test (PRESENCE_INTERVAL_S): nothing but the
    # viewers' commands may hold the one connection while writes are paused.
    with running_hub(embedded_redis.url, tmp_path, REDIS_POOL_SIZE="1",
                     PRESENCE_INTERVAL_S="60") as hub:  # fmt: skip
        _, bid, first = await _show(embedded_redis.url, hub.base)
        viewers = [first] + [await harness.viewer(hub.base, bid) for _ in range(3)]
        for client in viewers[1:]:
            await client.connect()
        # The hub's own presence report for these joins is written first, so
        # the one connection is held by a viewer's command, not by it.
        await first.wait_state(lambda s: s.presence.get("now") == 4, timeout=10)
        async with redis_client(embedded_redis.url) as admin:
            await admin.execute_command("CLIENT", "PAUSE", 10000, "WRITE")
            # The first ask takes the one connection (Redis holds it back).
            # Commands of other sockets queue behind it in the script batcher
            # (one pipeline in flight: server/store/batcher.py), so the pool is
            # met by what goes to Redis outside it: a new visitor's viewer id.
            held = asyncio.create_task(viewers[0].command("ask", text="排队的问题0", timeout=30))
            await eventually(
                lambda: admin.info("clients"), lambda info: info["blocked_clients"] >= 1
            )
            _json_503(await get(hub.base, "/api/viewer"))
            refused(await held, "unavailable", retryable=True)
        assert await _failures(hub.base, "pool") >= 1
        # The pause ends; the same commands go through.
        await eventually(lambda: get(hub.base, "/readyz"), lambda r: r.status_code == 200)
        for client in viewers:
            assert (await client.command("ask", text="暂停之后的问题"))["type"] == "ack"
            await client.close()
    assert "Traceback" not in hub.log()
