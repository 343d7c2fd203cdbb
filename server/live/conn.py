"""One websocket as the fan-out sees it: who it is, where it is, how to write to it.

Writes never await. A frame is written to the socket's transport at once
(through ``server.live.uvicorn_ws``, the only module that knows uvicorn's
protocol object); if the transport's buffer is full (the peer stopped
reading), the connection is a slow consumer: it gets a close frame with 4008
behind what is already buffered, and its transport is aborted if that cannot
be written within ``close_grace_s``, instead of slowing anyone else. This is
why the fan-out loop needs no task or queue per connection (a task per
connection halves throughput) and why frames of one connection are always
written in order.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.websockets import WebSocket

from server.domain.resume import ZERO, StreamId
from server.live.uvicorn_ws import RAW_SEND, Wire
from server.protocol import Close, Role


def text_frame(payload: bytes) -> bytes:
    """A complete server-to-client text frame (RFC 6455 section 5.2: FIN, no mask)."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return bytes((0x81, 126)) + n.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + n.to_bytes(8, "big") + payload


class OutFrame:
    """One encoded frame shared by many connections: encoded and framed once.

    Server frames are not masked, so the same bytes are valid on every socket:
    the fan-out writes them straight to each transport instead of framing the
    message again per client (the cost is per frame, not per byte: docs/performance.md).
    """

    __slots__ = ("_text", "payload", "wire")

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.wire = text_frame(payload)
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.payload.decode()
        return self._text


class ConnState(enum.Enum):
    HELLO = "hello"  # accepted, waiting for the hello message
    JOINING = "joining"  # hello accepted, catch-up not yet written
    LIVE = "live"  # registered with its channel, receiving frames
    CLOSED = "closed"


SendFn = Callable[[Any], Coroutine[Any, Any, None]]


class Conn:
    __slots__ = (
        "_grace_s",
        "_send",
        "_wire",
        "bid",
        "close_code",
        "ip",
        "key",
        "last_like_id",
        "on_close",
        "pos",
        "role",
        "session_digest",
        "state",
        "tab",
        "user",
        "vid",
        "voted",
        "ws",
    )

    def __init__(
        self, ws: WebSocket, *, bid: str, ip: str, high_water: int, close_grace_s: float = 5.0
    ) -> None:
        self.ws = ws
        self.bid = bid
        self.ip = ip
        self.state = ConnState.HELLO
        self.role: Role = Role.VIEWER
        self.vid: str | None = None  # viewer id (signed cookie); never sent to anyone else
        self.tab = ""  # per-page-load id: key of like-batch idempotency
        self.user: str | None = None  # moderator username
        self.session_digest: str | None = None
        self.key: str | None = None  # overlay key the connection was opened with
        self.pos: StreamId = ZERO  # last stream position written to this connection
        self.voted: set[int] = set()  # polls this viewer has a ballot in (tally visibility)
        self.last_like_id: str | None = None
        self.close_code: int | None = None
        self.on_close: Callable[[Conn], None] | None = None
        # The server's own send (uvicorn_ws.KeepRawSend), not starlette's wrapper.
        self._send: SendFn = ws.scope.get(RAW_SEND) or ws._send  # type: ignore[assignment]
        # Pre-framed non-blocking writes, when uvicorn's sansio protocol serves
        # this socket; else None and the public send is used.
        self._wire = Wire.attach(self._send, high_water=high_water)
        self._grace_s = close_grace_s  # a close frame behind a full buffer: abort after this

    @property
    def live(self) -> bool:
        return self.state is not ConnState.CLOSED

    def send_text(self, text: str) -> bool:
        """Write one text frame now. False if the connection is gone or was dropped."""
        if self.state is ConnState.CLOSED:
            return False
        wire = self._wire
        if wire is not None:
            return self._write(wire, text_frame(text.encode()))
        coro = self._send({"type": "websocket.send", "text": text})
        try:
            coro.send(None)
        except StopIteration:
            return True
        except Exception:  # ClientDisconnected, OSError, InvalidState...
            self._mark_closed(1006)
            return False
        # The ASGI server wanted to wait (its buffer is full): a consumer that
        # cannot keep up.
        coro.close()
        self.close(Close.SLOW_CONSUMER, "slow consumer")
        return False

    def send_frame(self, frame: OutFrame) -> bool:
        """Write a shared pre-framed message now (the fan-out's hot path)."""
        wire = self._wire
        if wire is None or self.state is ConnState.CLOSED:
            return self.send_text(frame.text)
        return self._write(wire, frame.wire)

    def send_payload(self, payload: bytes) -> bool:
        """Write one text frame of encoded JSON (UTF-8) now: acks and errors.

        Framed here, like the fan-out's frames, instead of going through
        uvicorn's ``send`` (an ASGI message, a ``str`` encoded again, the
        websockets protocol's own framing): a command's ack is as much a hot
        path as the fan-out when thousands of questions arrive per second."""
        wire = self._wire
        if wire is None or self.state is ConnState.CLOSED:
            return self.send_text(payload.decode())
        return self._write(wire, text_frame(payload))

    def _write(self, wire: Wire, data: bytes) -> bool:
        if not wire.open:
            # Closing or gone: nothing more may be written; uvicorn reports the close.
            self._mark_closed(1006)
            return False
        if not wire.writable:
            self.close(Close.SLOW_CONSUMER, "slow consumer")
            return False
        wire.write(data)
        return True

    def close(self, code: int, reason: str = "") -> None:
        """Close with a code, without awaiting; idempotent."""
        if self.state is ConnState.CLOSED:
            return
        self._mark_closed(code)
        reason = reason[:100]
        if self._wire is not None:
            # A real close frame, also behind a full buffer (a slow consumer
            # learns its 4008); aborted if it cannot be written in time.
            self._wire.close(int(code), reason, grace_s=self._grace_s)
            return
        coro = self._send({"type": "websocket.close", "code": int(code), "reason": reason})
        try:
            coro.send(None)
        except StopIteration:
            return
        except Exception:
            return
        coro.close()

    def _mark_closed(self, code: int) -> None:
        self.state = ConnState.CLOSED
        self.close_code = code
        if self.on_close is not None:
            callback, self.on_close = self.on_close, None
            callback(self)

    def keepalive_timed_out(self) -> bool:
        """The server closed it because the peer stopped answering pings."""
        return self._wire is not None and self._wire.keepalive_timed_out()

    def buffered(self) -> int:
        if self._wire is None:
            return 0
        try:
            return self._wire.buffered()
        except Exception:
            return 0


def background(coro: Coroutine[Any, Any, Any], tasks: set[asyncio.Task[Any]]) -> None:
    """Run a coroutine as a task that is kept referenced until it ends."""
    task = asyncio.ensure_future(coro)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
