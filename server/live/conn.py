"""One websocket as the fan-out sees it: who it is, where it is, how to write to it.

Writes never await. A frame is handed to uvicorn's websocket protocol and
written to the socket's transport at once; if the transport's buffer is full
(the peer stopped reading), the connection is a slow consumer and is dropped
with 4008 instead of slowing anyone else (docs/reliability.md 10). This is why the
fan-out loop needs no task or queue per connection (measured: a task per
connection halves throughput) and why frames of one connection are always
written in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.websockets import WebSocket
from websockets.protocol import State

from server.domain.resume import ZERO, StreamId
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
    message again per client (measured: the cost is per frame, not per byte).
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
        "_proto",
        "_send",
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

    def __init__(self, ws: WebSocket, *, bid: str, ip: str, high_water: int) -> None:
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
        # The server's own send (server.app.KeepRawSend), not starlette's wrapper.
        self._send: SendFn = ws.scope.get("xs.raw_send") or ws._send  # type: ignore[assignment]
        # uvicorn's websockets-sansio protocol object behind that callable, if it
        # is one: its transport and `writable` flag make non-blocking writes safe.
        proto = getattr(self._send, "__self__", None)
        self._proto = proto if hasattr(proto, "writable") and hasattr(proto, "transport") else None
        if self._proto is not None:
            # Let up to `high_water` bytes queue before the transport pauses; a
            # paused transport is what marks a slow consumer.
            with contextlib.suppress(Exception):
                self._proto.transport.set_write_buffer_limits(high=high_water)

    @property
    def live(self) -> bool:
        return self.state is not ConnState.CLOSED

    def send_text(self, text: str) -> bool:
        """Write one text frame now. False if the connection is gone or was dropped."""
        if self.state is ConnState.CLOSED:
            return False
        proto = self._proto
        if proto is not None and (proto.disconnected or proto.close_sent):
            self._mark_closed(1006)
            return False
        if proto is not None and not proto.writable.is_set():
            self.close(Close.SLOW_CONSUMER, "slow consumer")
            return False
        coro = self._send({"type": "websocket.send", "text": text})
        try:
            coro.send(None)
        except StopIteration:
            return True
        except Exception:  # ClientDisconnected, OSError, InvalidState...
            self._mark_closed(1006)
            return False
        # The ASGI server wanted to wait (not uvicorn's sansio protocol with a
        # writable transport): treat it as a consumer that cannot keep up.
        coro.close()
        self.close(Close.SLOW_CONSUMER, "slow consumer")
        return False

    def send_frame(self, frame: OutFrame) -> bool:
        """Write a shared pre-framed message now (the fan-out's hot path)."""
        proto = self._proto
        if proto is None or self.state is ConnState.CLOSED:
            return self.send_text(frame.text)
        return self._write(proto, frame.wire)

    def send_payload(self, payload: bytes) -> bool:
        """Write one text frame of encoded JSON (UTF-8) now: acks and errors.

        Framed here, like the fan-out's frames, instead of going through
        uvicorn's ``send`` (an ASGI message, a ``str`` encoded again, the
        websockets protocol's own framing): a command's ack is as much a hot
        path as the fan-out when thousands of questions arrive per second."""
        proto = self._proto
        if proto is None or self.state is ConnState.CLOSED:
            return self.send_text(payload.decode())
        return self._write(proto, text_frame(payload))

    def _write(self, proto: Any, wire: bytes) -> bool:
        if proto.disconnected or proto.close_sent or proto.conn.state is not State.OPEN:
            # Closing or gone: nothing more may be written; uvicorn reports the close.
            self._mark_closed(1006)
            return False
        if not proto.writable.is_set():
            self.close(Close.SLOW_CONSUMER, "slow consumer")
            return False
        proto.transport.write(wire)
        return True

    def close(self, code: int, reason: str = "") -> None:
        """Close with a code, without awaiting; idempotent."""
        if self.state is ConnState.CLOSED:
            return
        self._mark_closed(code)
        coro = self._send({"type": "websocket.close", "code": int(code), "reason": reason[:100]})
        try:
            coro.send(None)
        except StopIteration:
            return
        except Exception:
            return
        coro.close()
        if self._proto is not None:
            with contextlib.suppress(Exception):
                self._proto.transport.abort()

    def _mark_closed(self, code: int) -> None:
        self.state = ConnState.CLOSED
        self.close_code = code
        if self.on_close is not None:
            callback, self.on_close = self.on_close, None
            callback(self)

    def buffered(self) -> int:
        if self._proto is None:
            return 0
        try:
            return int(self._proto.transport.get_write_buffer_size())
        except Exception:
            return 0


def background(coro: Coroutine[Any, Any, Any], tasks: set[asyncio.Task[Any]]) -> None:
    """Run a coroutine as a task that is kept referenced until it ends."""
    task = asyncio.ensure_future(coro)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
