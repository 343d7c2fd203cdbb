"""A lean receive-only viewer for fan-out measurements: one asyncio Protocol per socket.

Why not ``HubClient`` here: the websockets library's client costs ~40 us of
CPU per received frame (reader task, queue, recv wake-up). At 5,000 viewers x
10 frames/s the generator itself then needs two cores, so on the 2-core bench
machine it, not the hub, would be measured. This client does the minimum a
viewer must: the RFC 6455 handshake, a masked ``hello`` (server.protocol's
shape), answering pings and close, and parsing each text frame with orjson,
all inside ``data_received`` (no task per socket). Everything that sends
commands (likes, questions, the mix) uses ``HubClient``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from typing import Any, cast

import orjson

from server.loadtest.stats import Stats, measure_events, pos_key
from server.protocol import PROTOCOL_VERSION


def _mask(opcode: int, payload: bytes) -> bytes:
    """A client frame (FIN set, masked, as RFC 6455 section 5.3 requires)."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return header + key + masked


class LeanViewer(asyncio.Protocol):
    def __init__(
        self, host: str, port: int, bid: str, cookie: str, stats: Stats, window: list[float]
    ) -> None:
        self.request = (
            f"GET /ws/{bid} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}"
            f"\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{host}:{port}\r\n"
            f"Cookie: xs_vid={cookie}\r\n\r\n"
        ).encode()
        self.stats = stats
        self.window = window
        self.buf = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.welcomed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.last_key: tuple[int, int] = (0, 0)

    # --- asyncio.Protocol -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        transport = self.transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.welcomed.done():
            self.welcomed.set_exception(ConnectionError("closed before welcome"))

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self._abort("handshake refused")
                return
            del buf[: end + 4]
            self.upgraded = True
            hello = {"type": "hello", "role": "viewer", "v": PROTOCOL_VERSION}
            self._send(0x1, orjson.dumps(hello))
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            n, offset = b1 & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, offset = struct.unpack_from("!H", buf, 2)[0], 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, offset = struct.unpack_from("!Q", buf, 2)[0], 10
            if len(buf) < offset + n:
                return
            payload = bytes(buf[offset : offset + n])
            del buf[: offset + n]
            opcode = b0 & 0x0F
            if opcode == 0x1:
                self._message(payload)
            elif opcode == 0x9:
                self._send(0xA, payload)  # pong
            elif opcode == 0x8:
                self._send(0x8, payload[:2])
                self.closed = True
                if self.transport is not None:
                    self.transport.close()
                return

    # --- protocol --------------------------------------------------------------------

    def _message(self, payload: bytes) -> None:
        msg: dict[str, Any] = orjson.loads(payload)
        kind = msg.get("type")
        if kind == "events":
            self.last_key = measure_events(self.stats, self.window, msg, self.last_key)
        elif kind == "snapshot":
            if msg.get("pos"):
                self.last_key = pos_key(msg["pos"])
        elif kind == "welcome" and not self.welcomed.done():
            self.welcomed.set_result(None)

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_mask(opcode, payload))

    def _abort(self, why: str) -> None:
        if not self.welcomed.done():
            self.welcomed.set_exception(ConnectionError(why))
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self._send(0x8, struct.pack("!H", 1000))
            self.transport.close()


async def open_viewer(
    host: str, port: int, bid: str, cookie: str, stats: Stats, window: list[float]
) -> LeanViewer:
    loop = asyncio.get_running_loop()
    _, viewer = await loop.create_connection(
        lambda: LeanViewer(host, port, bid, cookie, stats, window), host, port
    )
    await asyncio.wait_for(viewer.welcomed, 30)
    return viewer
