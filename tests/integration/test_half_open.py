"""Half-open handshakes (docs/reliability.md 31) against a real hub, with raw sockets.

A TCP connection that never completes its HTTP request (silent) or sends it a
header line at a time (slowloris) is closed after ``request_deadline_s``, and
counts against ``max_connections_per_ip`` meanwhile (a new websocket from that
address is refused with 4429, and beyond the cap a new connection is closed at
once); ``/healthz`` and a websocket keep working throughout.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from server.client import HubClient
from tests.integration import harness
from tests.integration.faults import get, refused_with, running_hub, scrape

pytestmark = pytest.mark.anyio

SILENT = 50
SLOWLORIS = 50
CAP = SILENT + SLOWLORIS + 10
ENV = {"REQUEST_DEADLINE_S": "2", "MAX_CONNECTIONS_PER_IP": str(CAP)}


async def _open(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def _slowloris(writer: asyncio.StreamWriter) -> None:
    """A request head that never ends: one header line every half second."""
    with contextlib.suppress(OSError):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for i in range(100):
            await asyncio.sleep(0.5)
            writer.write(f"X-Slow-{i}: 1\r\n".encode())
            await writer.drain()


async def _closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    """True when the hub closed (or reset) the connection within ``within`` s."""
    try:
        async with asyncio.timeout(within):
            return await reader.read() == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


async def test_silent_and_slowloris_connections_are_closed_after_the_deadline(
    embedded_redis: Any, tmp_path: Path
) -> None:
    with running_hub(embedded_redis.url, tmp_path, **ENV) as hub:
        port = int(hub.base.rsplit(":", 1)[1])
        mod = await harness.new_moderator(embedded_redis.url, hub.base)
        bid = (await mod.create_broadcast())["id"]
        before = await scrape(hub.base)

        live = HubClient(hub.base, bid, "moderator", cookies=mod.cookies)
        await live.connect()
        opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        silent = [await _open(port) for _ in range(SILENT)]
        slow = [await _open(port) for _ in range(SLOWLORIS)]
        opened += silent + slow
        senders = [asyncio.create_task(_slowloris(w)) for _, w in slow]
        try:
            # While they hang: the hub answers HTTP and serves a websocket.
            assert (await get(hub.base, "/healthz")).status_code == 200
            assert (await live.command("bc.update", title="仍在服务"))["type"] == "ack"

            # They count against the address's cap: with the open websocket and
            # nine more half-open ones the cap is reached, and a new websocket
            # is refused with 4429.
            more = [await _open(port) for _ in range(CAP - SILENT - SLOWLORIS - 1)]
            opened += more
            refused = HubClient(hub.base, bid, "moderator", cookies=mod.cookies)
            assert await refused_with(refused) == 4429
            # Half-open ones alone at the cap: the next connection is closed at
            # once, long before any deadline.
            opened.append(await _open(port))
            more.append(opened[-1])
            extra = await _open(port)
            opened.append(extra)
            assert await _closed_by_server(extra[0], within=1.0)

            # Every half-open one is closed after the deadline (2 s).
            for reader, _ in [*silent, *slow, *more]:
                assert await _closed_by_server(reader, within=8.0)
            # The address's slots are free again; the hub kept serving.
            assert (await get(hub.base, "/healthz")).status_code == 200
            assert (await live.command("bc.update", title="依然在线"))["type"] == "ack"
            await live.close()
        finally:
            for task in senders:
                task.cancel()
            for _, writer in opened:
                writer.close()

        after = await scrape(hub.base)
        timed_out = after.value("xs_half_open_closed_total", reason="deadline") - before.value(
            "xs_half_open_closed_total", reason="deadline"
        )
        assert timed_out >= SILENT + SLOWLORIS
        assert after.value("xs_half_open_closed_total", reason="per_address") >= 1


async def test_a_deadline_does_not_cut_a_normal_request_or_a_keep_alive_connection(
    embedded_redis: Any, tmp_path: Path
) -> None:
    with running_hub(embedded_redis.url, tmp_path, **ENV) as hub:
        port = int(hub.base.rsplit(":", 1)[1])
        reader, writer = await _open(port)
        try:
            for _ in range(3):  # three requests on one connection, 1 s apart
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200")
                assert await reader.readexactly(2) == b"ok"
                await asyncio.sleep(1.0)
        finally:
            writer.close()


async def test_half_open_connections_in_all_stay_under_their_cap(
    embedded_redis: Any, tmp_path: Path
) -> None:
    """Beyond ``max_pending_connections`` half-open connections (in all, from
    any address; at most a quarter of the descriptor limit) a new connection is
    closed at once, so they can never use up the process's descriptors; the
    open websocket is not affected and, after the deadline, new ones come in."""
    env = {**ENV, "MAX_PENDING_CONNECTIONS": "40"}
    with running_hub(embedded_redis.url, tmp_path, **env) as hub:
        port = int(hub.base.rsplit(":", 1)[1])
        mod = await harness.new_moderator(embedded_redis.url, hub.base)
        bid = (await mod.create_broadcast())["id"]
        live = HubClient(hub.base, bid, "moderator", cookies=mod.cookies)
        await live.connect()
        opened = [await _open(port) for _ in range(60)]
        try:
            at_once = await asyncio.gather(
                *(_closed_by_server(reader, within=0.5) for reader, _ in opened)
            )
            assert at_once.count(True) == 20  # the forty first wait for their deadline
            assert (await live.command("bc.update", title="连接数受控"))["type"] == "ack"
            for reader, _ in opened:
                assert await _closed_by_server(reader, within=8.0)
            assert (await get(hub.base, "/healthz")).status_code == 200
        finally:
            for _, writer in opened:
                writer.close()
            await live.close()
        after = await scrape(hub.base)
        assert after.value("xs_half_open_closed_total", reason="total") == 20
