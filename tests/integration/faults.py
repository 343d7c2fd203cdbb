"""Tools of the fault and limit tests: hub processes, metrics, Redis reads, raw sockets.

The fault tests (``test_fault_*.py``, ``test_limits.py``, ``test_likes.py``) each
run their own hub process, usually on their own embedded Redis, so a counter
delta or a killed Redis belongs to one test only. Everything here is bounded
in time and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import secrets
import socket
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
import orjson
import redis.asyncio as aioredis
from websockets.exceptions import ConnectionClosed

from server.client import Disconnected, HubClient
from server.protocol import PROTOCOL_VERSION
from tests.integration.harness import HubProcess

T = TypeVar("T")
Json = dict[str, Any]

# Metric names docs/reliability.md 28 asks for.
REQUIRED_METRICS = (
    "xs_connections",
    "xs_closes_total",
    "xs_slow_consumer_drops_total",
    "xs_rate_limited_total",
    "xs_resumes_total",
    "xs_redis_errors_total",
)


# --- processes ----------------------------------------------------------------------


@contextlib.contextmanager
def running_hub(redis_url: str, log_dir: Path, **env: str) -> Iterator[HubProcess]:
    """A started hub process that is always stopped (killed if SIGTERM is not enough)."""
    with running_hubs(1, redis_url, log_dir, **env) as (process,):
        yield process


@contextlib.contextmanager
def running_hubs(
    count: int, redis_url: str, log_dir: Path, **env: str
) -> Iterator[list[HubProcess]]:
    """``count`` hub processes on one Redis, started side by side, always stopped."""
    processes = [HubProcess(redis_url, log_dir, **env) for _ in range(count)]
    try:
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(lambda p: p.start(), processes))
        yield processes
    finally:
        for process in processes:
            process.stop(timeout=10)
            process.kill()


async def in_thread(fn: Callable[[], T]) -> T:
    """Run a blocking call (process start/stop, Redis kill) without freezing the clients."""
    return await anyio.to_thread.run_sync(fn)


# --- HTTP -----------------------------------------------------------------------------


async def get(base: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        return await http.get(path)


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Scrape:
    """One reading of ``/metrics``: samples by (name, labels) and the declared names."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.types = set(re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE))
        self.samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for line in text.splitlines():
            match = _SAMPLE.match(line)
            if match:
                name, labels, value = match.groups()
                key = (name, frozenset(_LABEL.findall(labels or "")))
                self.samples[key] = float(value)

    def value(self, name: str, **labels: str) -> float:
        """A sample's value; 0 when the series does not exist yet."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(base: str) -> Scrape:
    response = await get(base, "/metrics")
    assert response.status_code == 200, response.text
    return Scrape(response.text)


async def eventually(
    check: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool],
    *,
    timeout: float = 10,  # noqa: ASYNC109
    interval: float = 0.05,
) -> T:
    """Poll ``check()`` until ``accept`` holds (for state only reachable by polling:
    HTTP endpoints, counters, Redis); fails with the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if accept(value):
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"still {value!r} after {timeout} s")
        await asyncio.sleep(interval)


# --- Redis ------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def redis_client(url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(url)
    try:
        yield client
    finally:
        await client.aclose()


async def stream(redis: aioredis.Redis, bid: str) -> list[tuple[str, Json]]:
    """Every event of a broadcast's stream, oldest first, as (pos, event)."""
    rows = await redis.xrange(f"xs:{{{bid}}}:events")
    return [(rid.decode(), orjson.loads(fields[b"e"])) for rid, fields in rows]


# --- clients ----------------------------------------------------------------------------


def logged(client: HubClient, *types: str, since: int = 0) -> list[Json]:
    """Events of the given types a recording client received, in arrival order."""
    return [e for e in client.log[since:] if e.get("type") in types]


def positions(client: HubClient, *types: str, since: int = 0) -> list[str]:
    return [e["pos"] for e in logged(client, *types, since=since)]


@contextlib.asynccontextmanager
async def closing(*clients: HubClient) -> AsyncIterator[list[HubClient]]:
    """Close every client on the way out, whatever state it is in; clients
    appended to the yielded list later are closed too."""
    opened = list(clients)
    try:
        yield opened
    finally:
        for client in opened:
            with contextlib.suppress(Exception):
                await client.close()


# --- a raw websocket peer that misbehaves -------------------------------------------------


def _mask(payload: bytes, opcode: int = 0x1) -> bytes:
    """One masked client frame (RFC 6455 section 5.2)."""
    key = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + masked


def raw_viewer(
    base: str, bid: str, cookies: dict[str, str], *, rcvbuf: int = 4096
) -> socket.socket:
    """A viewer socket that completes the handshake, says hello, and then never reads.

    Its receive buffer is set small before connecting, so the TCP window stays
    small and the hub's side fills up quickly once it stops reading. Blocking
    calls, but each one is bounded by a 5 s timeout.
    """
    host, port = base.removeprefix("http://").split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    # A small segment size, announced in the SYN: the kernel sizes the hub's send
    # buffer by segments, so it stays small (on loopback it would grow to MBs).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    sock.settimeout(5)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    request = (
        f"GET /ws/{bid} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {base}\r\nCookie: {cookie}\r\n\r\n"
    )
    sock.sendall(request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)  # byte by byte: nothing of the first frame is consumed
        if not chunk:
            raise ConnectionError("closed during the handshake")
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    hello = {"type": "hello", "role": "viewer", "v": PROTOCOL_VERSION, "tab": secrets.token_hex(8)}
    sock.sendall(_mask(orjson.dumps(hello)))
    return sock


def kernel_queued(a: socket.socket) -> int:
    """Bytes the kernel holds between the two ends of a local TCP connection: sent
    by the far end but not yet acknowledged, plus received by ``a`` but not read
    (``/proc/net/tcp``, Linux). This is what the far end's process no longer holds."""
    near = a.getsockname()[1]
    far = a.getpeername()[1]
    held = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(f.rpartition(":")[2], 16) for f in fields[1:3])
        tx, rx = (int(n, 16) for n in fields[4].split(":"))
        if (local, remote) == (far, near):
            held += tx
        elif (local, remote) == (near, far):
            held += rx
    return held


def drained_until_closed(sock: socket.socket, timeout: float) -> bool:
    """Read everything until the peer closes (EOF or reset): True if it did in time."""
    deadline = time.monotonic() + timeout
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            if not sock.recv(1 << 20):
                return True
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True
    return False


async def refused_with(client: HubClient) -> int | None:
    """The close code of a connection the hub refuses (after accepting it)."""
    try:
        welcome = await client.connect()
    except Disconnected as exc:
        return exc.code
    except ConnectionClosed as exc:  # closed before the hello could even be sent
        return exc.rcvd.code if exc.rcvd is not None else None
    await client.close()
    raise AssertionError(f"welcomed: {welcome}")
