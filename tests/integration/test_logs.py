"""What a real hub process writes to its log (server/logging_setup.py).

Each test runs its own ``python -m server run`` at INFO, drives real HTTP and
websocket traffic (with secrets in query strings, and faults a client chose to
make), stops it, and reads the whole log: every line has a time, a level and
a logger; no client address or port appears unless the operator asked; no
query string; a client's fault is one line without a traceback.
"""

from __future__ import annotations

import base64
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from server.client import HubClient
from server.client.connection import fetch_viewer_cookie
from tests.integration.faults import _mask, in_thread
from tests.integration.harness import HubProcess

pytestmark = pytest.mark.anyio

SECRET = "s3cret-token-value"
# 2026-12-04T02:30:00.123Z INFO    xs.app  hub started
TEXT_LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) +(\S+)  (.*)"
)
CLIENT_ADDRESS = re.compile(r"127\.0\.0\.1:(\d+)")


def run_hub(redis_url: str, log_dir: Path, **env: str) -> Iterator[HubProcess]:
    process = HubProcess(redis_url, log_dir, LOG_LEVEL="info", **env).start()
    try:
        yield process
    finally:
        process.stop(timeout=10)
        process.kill()


@pytest.fixture
def hub_log(redis_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[HubProcess]:
    """A hub of this test only, with the settings of ``@pytest.mark.parametrize('env', ...)``."""
    env: dict[str, str] = getattr(request, "param", {})
    yield from run_hub(redis_url, tmp_path, **env)


def upgrade(base: str, path: str, cookies: dict[str, str]) -> socket.socket:
    """A raw websocket to ``path`` (the handshake done by hand), 5 s timeouts."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {base}\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, "closed during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def close_code(sock: socket.socket) -> int | None:
    """Read the server's frames (unmasked, RFC 6455 5.2) until its close frame or EOF."""
    data = b""
    while True:
        while len(data) >= 2:
            opcode, size = data[0] & 0x0F, data[1] & 0x7F
            head = 2 + {126: 2, 127: 8}.get(size, 0)
            if size >= 126:
                if len(data) < head:
                    break
                size = int.from_bytes(data[2:head], "big")
            if len(data) < head + size:
                break
            if opcode == 0x8:
                return int.from_bytes(data[head : head + 2], "big") if size >= 2 else None
            data = data[head + size :]
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            return None
        if not chunk:
            return None
        data += chunk


def invalid_utf8(base: str, cookies: dict[str, str]) -> int | None:
    with upgrade(base, "/ws/nobroadcast", cookies) as sock:
        sock.sendall(_mask(b'{"type": "\xff\xfe"}'))
        return close_code(sock)


def unmasked_frame(base: str, cookies: dict[str, str]) -> int | None:
    with upgrade(base, "/ws/nobroadcast", cookies) as sock:
        sock.sendall(b"\x81\x05hello")  # a client frame must be masked
        return close_code(sock)


def reserved_opcode(base: str, cookies: dict[str, str]) -> int | None:
    with upgrade(base, "/ws/nobroadcast", cookies) as sock:
        sock.sendall(_mask(b"x", opcode=0x3))
        return close_code(sock)


def reset_after_upgrade(base: str, cookies: dict[str, str]) -> int | None:
    sock = upgrade(base, "/ws/nobroadcast", cookies)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()  # RST, no close frame
    return None


def garbage_request(base: str, cookies: dict[str, str]) -> int | None:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not HTTP at all\r\n\r\n")
        while sock.recv(4096):
            pass
    return None


async def traffic(hub: HubProcess) -> None:
    """Requests and sockets whose lines would name 127.0.0.1:<port> and carry a secret."""
    async with httpx.AsyncClient(base_url=hub.base, timeout=10) as http:
        assert (await http.get(f"/healthz?token={SECRET}")).status_code == 200
        assert (await http.get("/api/viewer")).status_code == 200
    cookies = await fetch_viewer_cookie(hub.base)
    # A websocket whose query string carries a secret, then a real viewer.
    await in_thread(lambda: upgrade(hub.base, f"/ws/demo?token={SECRET}", cookies).close())
    client = HubClient(hub.base, "nobroadcast", "viewer", cookies=cookies)
    try:
        await client.connect()
    except Exception:  # refused with its close code: the handshake line was still logged
        pass
    finally:
        await client.close()


def stopped_log(hub: HubProcess) -> list[str]:
    hub.stop(timeout=10)
    text = hub.log()
    assert SECRET not in text
    return text.splitlines()


def client_addresses(lines: list[str], hub: HubProcess) -> list[str]:
    """Lines naming a client's address: 127.0.0.1 with any port but the hub's own."""
    return [
        line
        for line in lines
        if any(int(port) != hub.port for port in CLIENT_ADDRESS.findall(line))
    ]


async def test_default_log_is_structured_without_addresses_or_secrets(hub_log: HubProcess) -> None:
    await traffic(hub_log)
    lines = stopped_log(hub_log)
    parsed = [TEXT_LINE.fullmatch(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed, strict=True) if not m]
    loggers = {(m[1], m[2]) for m in parsed if m}
    # The hub's own logger has a handler, and its INFO lines are kept.
    assert ("INFO", "xs.app") in loggers
    assert any(m[3] == "hub started" for m in parsed if m)
    assert not client_addresses(lines, hub_log)
    # No access log by default: no line per request or per connection.
    per_request = ('"GET ', '"WebSocket ', "connection open", "connection closed")
    assert not [line for line in lines if any(p in line for p in per_request)]


@pytest.mark.parametrize("hub_log", [{"ACCESS_LOG": "1"}], indirect=True)
async def test_access_log_when_asked_still_without_addresses(hub_log: HubProcess) -> None:
    await traffic(hub_log)
    lines = stopped_log(hub_log)
    requests = [line for line in lines if '"GET /' in line]  # the harness polls /healthz too
    assert requests and all(' - - "GET /' in r for r in requests)
    assert any('"GET /healthz?<redacted> HTTP/1.1" 200' in r for r in requests)
    handshakes = [line for line in lines if '"WebSocket /ws/demo' in line]
    assert handshakes and all('- - "WebSocket /ws/demo?<redacted>"' in h for h in handshakes)
    assert not client_addresses(lines, hub_log)


@pytest.mark.parametrize(
    "hub_log", [{"ACCESS_LOG": "1", "LOG_CLIENT_ADDRESSES": "1"}], indirect=True
)
async def test_client_addresses_only_when_the_operator_turns_them_on(hub_log: HubProcess) -> None:
    await traffic(hub_log)
    lines = stopped_log(hub_log)
    named = client_addresses(lines, hub_log)
    assert any('"GET /healthz?<redacted>' in line for line in named)
    assert any('"WebSocket /ws/demo?<redacted>"' in line for line in named)


@pytest.mark.parametrize("hub_log", [{"LOG_FORMAT": "json", "ACCESS_LOG": "1"}], indirect=True)
async def test_json_lines(hub_log: HubProcess) -> None:
    await traffic(hub_log)
    cookies = await fetch_viewer_cookie(hub_log.base)
    assert await in_thread(lambda: invalid_utf8(hub_log.base, cookies)) == 1007
    lines = stopped_log(hub_log)
    entries: list[dict[str, Any]] = [orjson.loads(line) for line in lines]  # each line parses
    for entry in entries:
        assert set(entry) == {"time", "level", "logger", "message"}, entry
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])
    started = {"level": "INFO", "logger": "xs.app", "message": "hub started"}
    assert any(started.items() <= entry.items() for entry in entries)
    faults = [e for e in entries if "UTF-8" in e["message"]]
    assert [(e["level"], e["logger"]) for e in faults] == [("INFO", "uvicorn.error")]
    assert not client_addresses([e["message"] for e in entries], hub_log)


CLIENT_FAULTS = {
    "invalid UTF-8 in a text frame": (invalid_utf8, 1007),
    "an unmasked client frame": (unmasked_frame, 1002),
    "a reserved opcode": (reserved_opcode, 1002),
    "a reset right after the upgrade": (reset_after_upgrade, None),
    "TLS bytes to the plain-HTTP port": (garbage_request, None),
}


async def test_client_faults_log_no_traceback(hub_log: HubProcess) -> None:
    cookies = await fetch_viewer_cookie(hub_log.base)
    for what, (fault, code) in CLIENT_FAULTS.items():
        assert await in_thread(lambda f=fault: f(hub_log.base, cookies)) == code, what  # type: ignore[misc]
    # The hub still serves after the faults.
    async with httpx.AsyncClient(base_url=hub_log.base, timeout=10) as http:
        assert (await http.get("/readyz")).status_code == 200
    lines = stopped_log(hub_log)
    assert not [line for line in lines if "Traceback" in line or not TEXT_LINE.fullmatch(line)]
    assert not [line for line in lines if " ERROR " in line or " CRITICAL " in line]
    utf8 = [line for line in lines if "Invalid UTF-8" in line]
    assert len(utf8) == 1 and " INFO " in utf8[0]
    assert not client_addresses(lines, hub_log)
