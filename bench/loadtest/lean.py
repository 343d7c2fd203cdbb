"""Lean simulated viewers for the hot scenarios: one asyncio Protocol per socket.

Why not ``HubClient`` here: the websockets library's client costs ~40 us of
CPU per received frame (reader task, queue, recv wake-up). At 5,000 viewers x
10 frames/s the generator itself then needs two cores, so on the 2-core bench
machine it, not the hub, would be measured. ``LeanViewer`` does the minimum a
viewer must: the RFC 6455 handshake, a masked ``hello`` (server.protocol's
shape), answering pings and close, and parsing each text frame with orjson,
all inside ``data_received`` (no task per socket).

``LeanAsker`` is such a viewer asking questions, one in flight (back to back,
or at a set pace): the next question leaves from ``data_received`` as soon as
the ack arrives, with no task, future or timeout per command. With ``HubClient`` the generator
spent about as much CPU per question as the hub, on the same two cores. Likes
and the mix still use ``HubClient``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import secrets
import struct
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

import orjson

from bench.loadtest.stats import Stats, measure_events, pos_key
from server.protocol import PROTOCOL_VERSION

Json = dict[str, Any]
V = TypeVar("V", bound="LeanViewer")


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
    # XOR with the repeated key as one big integer: a loop over bytes in Python
    # cost more than everything else a client does per command.
    stream = (key * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")
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
            self._send(0x1, orjson.dumps(self._hello()))
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

    def _hello(self) -> Json:
        return {"type": "hello", "role": "viewer", "v": PROTOCOL_VERSION}

    def _message(self, payload: bytes) -> None:
        msg: Json = orjson.loads(payload)
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


class LeanAsker(LeanViewer):
    """A viewer asking questions, one in flight (worker behaviour ``ask``).

    Same contract as the ``HubClient`` loop it replaces: one question in
    flight; every 20th is sent again with the same id once acknowledged, and
    must come back with the same question id (``resend_mismatch`` otherwise);
    ``out`` collects ``acked`` question ids, ``error_codes``, and for the
    questions sent inside the measurement window ``ack_ms`` (every reply) and
    ``acked_in_window``. ``done`` resolves after the first reply past ``end``.

    ``interval`` > 0 paces the asker: questions start on a schedule of one per
    ``interval`` seconds (one waits for the previous reply when that comes
    later), so N askers offer about N / ``interval`` questions per second
    instead of as many as the hub can take.
    """

    def __init__(
        self,
        host: str,
        port: int,
        bid: str,
        cookie: str,
        stats: Stats,
        window: list[float],
        *,
        out: Json,
        rng: random.Random,
        interval: float = 0.0,
    ) -> None:
        super().__init__(host, port, bid, cookie, stats, window)
        self.out = out
        self.rng = rng
        self.interval = interval
        self.next_at = 0.0  # time.time() before which the next question waits
        self.tab = secrets.token_urlsafe(12)  # one per page load, as HubClient does
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.end = 0.0
        self.n = 0
        self.cid = ""
        self.text = ""
        self.qid: Any = None  # the first ack's question id, while its resend is in flight
        self.started = 0.0
        self.sent_ms = 0.0

    def _hello(self) -> Json:
        return {**super()._hello(), "tab": self.tab}

    def start(self, end: float) -> None:
        self.end = end
        if self.interval > 0:  # spread the first questions over one interval
            delay = self.rng.uniform(0, self.interval)
            self.next_at = time.time() + delay
            asyncio.get_running_loop().call_later(delay, self._next)
        else:
            self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if not self.done.done():
            self.done.set_result(None)

    def _next(self) -> None:
        now = time.time()
        if self.closed or now >= self.end:
            if not self.done.done():
                self.done.set_result(None)
            return
        if self.next_at - now > 0.002:
            # uvloop's timers have millisecond resolution and may fire a little
            # early: waiting again for the last fraction would spin.
            asyncio.get_running_loop().call_later(self.next_at - now, self._next)
            return
        # On a fixed schedule (no drift from timer lateness); after a reply later
        # than a whole interval the schedule restarts from now (no burst).
        self.next_at = max(self.next_at + self.interval, now)
        self.n += 1
        self.cid = f"{self.tab}-{self.n}"
        n, tab = self.n, self.tab
        self.text = f"压测提问 {tab} 第{n}个：地铁{self.rng.randrange(1_000_000)}号线何时开通？"
        self.qid = None
        self.sent_ms = now * 1000
        self.started = time.perf_counter()
        self._ask()

    def _ask(self) -> None:
        self._send(0x1, orjson.dumps({"type": "ask", "id": self.cid, "text": self.text}))

    def _message(self, payload: bytes) -> None:
        msg: Json = orjson.loads(payload)
        kind = msg.get("type")
        if kind not in ("ack", "error"):
            super()._message(payload)
            return
        if msg.get("id") != self.cid:
            return  # not ours (never expected): the hub answers every command once
        ok = kind == "ack"
        if self.qid is None:  # the reply to a first send
            inside = self.window[0] <= self.sent_ms < self.window[1]
            if inside:
                self.out["ack_ms"].append((time.perf_counter() - self.started) * 1000)
            if ok:
                self.stats.acks += 1
                self.qid = msg["result"]["qid"]
                self.out["acked"].append(self.qid)
                self.out["acked_in_window"] += inside
                if self.n % 20 == 0:  # a resend with the same id must return the same question
                    self._ask()
                    return
            else:
                self._error(msg)
        elif not ok or msg["result"]["qid"] != self.qid:
            self.out["resend_mismatch"] += 1
            self._error(msg)
        self._next()

    def _error(self, msg: Json) -> None:
        self.stats.errors += 1
        codes = self.out["error_codes"]
        code = str(msg.get("code", msg.get("type")))
        codes[code] = codes.get(code, 0) + 1


async def open_lean(host: str, port: int, make: Callable[[], V]) -> V:
    """Connect one lean client made by ``make`` and wait for its welcome."""
    loop = asyncio.get_running_loop()
    _, viewer = await loop.create_connection(make, host, port)
    await asyncio.wait_for(viewer.welcomed, 30)
    return viewer
