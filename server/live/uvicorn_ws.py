"""The one adapter between the fan-out and uvicorn's websocket protocol object.

The fan-out writes pre-framed bytes straight to each socket's transport and
never awaits (docs/architecture.md, "Writes never await"): ASGI's ``send`` is
a coroutine that waits while the peer is not reading, and a task or an await
per connection halves the throughput. That needs uvicorn's protocol object
(its transport, its ``writable`` flag, its websockets ``ServerProtocol``),
which is private. Every use of it is in this module:

* ``check()`` runs at start-up: the installed uvicorn must have the
  ``websockets-sansio`` protocol with every member used here, or the hub
  refuses to start (a renamed attribute would otherwise turn every write
  that had to wait into a silent slow-consumer close);
* ``Wire.attach(send)`` wraps one connection's protocol object, or returns
  ``None`` when the socket is not served by it (another ASGI server, an
  in-process test client): ``server.live.conn`` then uses the public
  ``send``, one ASGI message per frame, with a wait counted as a slow
  consumer;
* ``KeepRawSend`` keeps the server's own ``send`` in the scope, since
  starlette's exception middleware wraps ``send`` in a closure per route.

Measured (docs/performance.md, profile note 1): through the public awaited
``send`` the fan-out stayed below the raw websockets library; pre-framed it
reached 1.12-1.22x of it. So an unsupported uvicorn fails the start loudly
instead of silently falling back for every socket.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.protocol import State

log = logging.getLogger("xs.uvicorn")

RAW_SEND = "xs.raw_send"  # scope key of the server's own send
MODULE = "uvicorn.protocols.websockets.websockets_sansio_impl"
CLASS = "WebSocketsSansIOProtocol"
# Members of uvicorn's protocol object this module reads or calls.
MEMBERS = frozenset(
    {
        "transport",
        "writable",
        "conn",
        "close_sent",
        "disconnected",
        "queue",
        "read_paused",
        "close_timer",
        "close_timeout",
        "loop",
        "send",
    }
)
KEEPALIVE_REASON = "keepalive ping timeout"  # uvicorn's reason for a 1011 of its keepalive


class UnsupportedServer(RuntimeError):
    pass


def _protocol_class() -> type[Any]:
    try:
        module = importlib.import_module(MODULE)
    except ImportError as exc:
        raise UnsupportedServer(f"uvicorn without {MODULE}: {exc}") from exc
    cls = getattr(module, CLASS, None)
    if not isinstance(cls, type):
        raise UnsupportedServer(f"{MODULE} has no {CLASS}")
    return cls


def check() -> None:
    """Fail loudly unless uvicorn's sansio protocol has every member used here.

    Members set in methods are found in the methods' code (``self.x = ...``
    names the attribute in ``co_names``), so an instance is not needed."""
    cls = _protocol_class()
    names: set[str] = set(dir(cls))
    for _, fn in inspect.getmembers(cls, inspect.isfunction):
        names.update(fn.__code__.co_names)
    missing = sorted(MEMBERS - names)
    if missing:
        raise UnsupportedServer(f"{MODULE}.{CLASS} lacks {missing}: unsupported uvicorn")


class Wire:
    """Non-blocking writes to one websocket served by uvicorn's sansio protocol."""

    __slots__ = ("_proto",)

    def __init__(self, proto: Any) -> None:
        self._proto = proto

    @classmethod
    def attach(cls, send: Callable[..., Any] | None, *, high_water: int) -> Wire | None:
        proto = getattr(send, "__self__", None)
        if proto is None or type(proto).__name__ != CLASS or type(proto).__module__ != MODULE:
            return None
        wire = cls(proto)
        # Let up to `high_water` bytes queue before the transport pauses; a
        # paused transport is what marks a slow consumer.
        proto.transport.set_write_buffer_limits(high=high_water)
        return wire

    @property
    def open(self) -> bool:
        """Frames may still be written (not closing, not gone)."""
        p = self._proto
        return not (p.disconnected or p.close_sent) and p.conn.state is State.OPEN

    @property
    def gone(self) -> bool:
        return bool(self._proto.disconnected or self._proto.close_sent)

    @property
    def writable(self) -> bool:
        """False once the transport's buffer passed its high-water mark."""
        return bool(self._proto.writable.is_set())

    def write(self, data: bytes) -> None:
        self._proto.transport.write(data)

    def buffered(self) -> int:
        return int(self._proto.transport.get_write_buffer_size())

    def close(self, code: int, reason: str, *, grace_s: float) -> None:
        """Write a close frame now, even behind a full buffer; abort after ``grace_s``.

        What uvicorn's ``send`` does for ``websocket.close``, without waiting for
        the buffer to drain first: the close frame is queued after the frames
        already buffered, so a peer that reads again receives everything and
        then the code. A peer that does not read within ``grace_s`` has its
        transport aborted (a stuck buffer never holds memory for long)."""
        p = self._proto
        if p.close_sent or p.disconnected or p.transport.is_closing():
            return
        p.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        p.conn.send_close(code, reason)
        p.transport.write(b"".join(p.conn.data_to_send()))
        p.close_sent = True
        if p.read_paused:
            p.read_paused = False
            p.transport.resume_reading()
        p.close_timer = p.loop.call_later(min(p.close_timeout, grace_s), p.transport.close)
        p.loop.call_later(grace_s, self._abort_if_open)

    def _abort_if_open(self) -> None:
        if not self._proto.disconnected:
            self._proto.transport.abort()

    def keepalive_timed_out(self) -> bool:
        """uvicorn closed the socket because the peer stopped answering pings."""
        sent = getattr(self._proto.conn, "close_sent", None)
        return sent is not None and sent.code == 1011 and sent.reason == KEEPALIVE_REASON


class KeepRawSend:
    """Keeps the ASGI server's own ``send`` of a websocket in the scope.

    Starlette's exception middleware wraps ``send`` in a closure for every
    route; ``Wire.attach`` needs the server's callable itself (uvicorn's
    protocol object behind it). This middleware runs outside that wrapper."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)
