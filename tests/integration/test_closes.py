"""How the hub ends a socket it gives up on, seen from a raw RFC 6455 peer.

A slow consumer (stops reading, TCP open) gets a real close frame with 4008
behind what was already buffered, then the socket ends: a client that reads
again learns why it was dropped, instead of a reset. One that never reads
again does not hold the hub's buffer: its transport is aborted after
``close_grace_s``. (The dead peer, which stops answering pings, is in
tests/integration/test_limits.py.)
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.client import HubClient, fetch_viewer_cookie
from tests.integration import harness
from tests.integration.faults import closing, eventually, in_thread, raw_viewer, running_hub, scrape

pytestmark = pytest.mark.anyio


def read_until_eof(sock: socket.socket, timeout: float) -> bytes:
    """Everything the hub sends until it closes the TCP connection (bounded)."""
    data = bytearray()
    deadline = time.monotonic() + timeout
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 20)
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


def server_frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each unmasked server frame; stops at a partial frame."""
    out, i = [], 0
    while i + 2 <= len(data):
        opcode, size = data[i] & 0x0F, data[i + 1] & 0x7F
        i += 2
        if size == 126:
            (size,) = struct.unpack("!H", data[i : i + 2])
            i += 2
        elif size == 127:
            (size,) = struct.unpack("!Q", data[i : i + 8])
            i += 8
        if i + size > len(data):
            break
        out.append((opcode, data[i : i + size]))
        i += size
    return out


async def show(redis_url: str, base: str) -> tuple[harness.Moderator, str]:
    mod = await harness.new_moderator(redis_url, base)
    created = await mod.create_broadcast(settings={"moderation": False, "max_len": 1000})
    return mod, str(created["id"])


def hub_side_open(sock: socket.socket) -> bool:
    """The hub process still holds its end of this local TCP connection.

    ``/proc/net/tcp``: a socket a process released but whose unsent bytes the
    kernel still tries to deliver (an orphan) has inode 0."""
    near, far = sock.getsockname()[1], sock.getpeername()[1]
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(f.rpartition(":")[2], 16) for f in fields[1:3])
        if (local, remote) == (far, near) and fields[9] != "0":
            return True
    return False


@contextlib.asynccontextmanager
async def dropped_slow_consumer(redis_url: str, base: str) -> AsyncIterator[socket.socket]:
    """A raw viewer that stops reading, fed edits of a question until the hub drops it."""
    mod, bid = await show(redis_url, base)
    console = mod.client(bid, record=False)
    asker = HubClient(base, bid, cookies=await fetch_viewer_cookie(base))
    async with closing(console, asker):
        await console.connect()
        await asker.connect()
        qid = (await asker.command("ask", text="一个会被反复编辑的问题"))["result"]["qid"]
        cookies = await fetch_viewer_cookie(base)
        slow = await in_thread(lambda: raw_viewer(base, bid, cookies))
        try:
            before = await scrape(base)
            for round_ in range(40):  # bounded: ~40 x 25 x 4 KB at most
                await asyncio.gather(*(
                    console.command("q.edit", qid=qid, text=f"{round_}-{i}" + "😀" * 980)
                    for i in range(25)
                ))  # fmt: skip
                drops = (await scrape(base)).value("xs_slow_consumer_drops_total")
                if drops > before.value("xs_slow_consumer_drops_total"):
                    break
            else:
                raise AssertionError("never dropped as a slow consumer")
            yield slow
        finally:
            slow.close()


async def test_slow_consumer_gets_a_4008_close_frame(embedded_redis: Any, tmp_path: Path) -> None:
    cap = 65536
    with running_hub(embedded_redis.url, tmp_path, SLOW_CONSUMER_BYTES=str(cap)) as hub:
        async with dropped_slow_consumer(embedded_redis.url, hub.base) as slow:
            # It reads again: everything buffered, then the close frame, then EOF.
            data = await in_thread(lambda: read_until_eof(slow, 15))
        frames = server_frames(data)
        closes = [payload for opcode, payload in frames if opcode == 0x8]
        assert closes, f"no close frame in {len(data)} bytes ({len(frames)} frames)"
        (code,) = struct.unpack("!H", closes[0][:2])
        assert code == 4008
        assert closes[0][2:] == b"slow consumer"
        assert frames[-1][0] == 0x8  # nothing after the close frame


async def test_a_slow_consumer_that_never_reads_again_is_aborted(
    embedded_redis: Any, tmp_path: Path
) -> None:
    env = {"SLOW_CONSUMER_BYTES": "65536", "CLOSE_GRACE_S": "1"}
    with running_hub(embedded_redis.url, tmp_path, **env) as hub:
        async with dropped_slow_consumer(embedded_redis.url, hub.base) as slow:
            # It never reads: its bytes cannot drain, so only an abort ends it.
            await eventually(
                lambda: in_thread(lambda: hub_side_open(slow)),
                lambda is_open: not is_open,
                timeout=1 + 4,
            )  # fmt: skip
