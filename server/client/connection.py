"""A small asyncio client of the hub's websocket protocol.

Used by the integration tests (assert acks, events and close codes against a real
uvicorn) and by the load generator (thousands of instances, so by default it keeps
no history: ``record=True`` turns on ``received``, ``log``, ``events`` and
``wait_for``). The protocol itself is described in docs/protocol.md.

Methods take ``timeout=`` arguments (ruff's ASYNC109 is silenced for them): a
test reads better with ``await c.wait_for(pred, timeout=2)`` than with a wrapper,
and every timeout here is applied with ``asyncio.timeout`` inside.

One background reader task per connection resolves command futures, applies
frames to ``state`` (a :class:`ClientState`) and sends the app-level ``ping``
when the client has been silent for the server's ``heartbeat`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from server.client.state import ClientState
from server.protocol import PROTOCOL_VERSION

__all__ = ["ClientState", "Disconnected", "HubClient", "fetch_viewer_cookie"]

Json = dict[str, Any]

# Server frames are capped by the hub, not here: a moderator's snapshot of a busy
# broadcast can be large, and a test client must never be the one that fails.
CLIENT_MAX_SIZE = 64 * 1024 * 1024


class Disconnected(Exception):
    """The socket closed (before a welcome, or while a command waited for its ack)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(f"connection closed with code {code} {reason!r}")
        self.code = code
        self.reason = reason


class HubClient:
    # websockets' own keepalive pings (the hub pings too); load clients turn it off.
    ping_interval: float | None = 20.0

    def __init__(
        self,
        base_url: str,
        bid: str,
        role: str = "viewer",
        *,
        cookies: Mapping[str, str] | None = None,
        key: str | None = None,
        origin: str | None = None,
        tab: str | None = None,
        record: bool = False,
    ) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.url = f"{scheme}://{parts.netloc}{parts.path}/ws/{bid}"
        self.bid = bid
        self.role = role
        self.cookies = dict(cookies or {})
        self.key = key
        self.origin = origin if origin is not None else f"{parts.scheme}://{parts.netloc}"
        # One tab id per client object, like one per page load: it survives reconnects.
        self.tab = tab if tab is not None else secrets.token_urlsafe(12)
        self.record = record

        self.state = ClientState(role=role)
        self.epoch: str | None = None
        self.pos: str | None = None
        self.welcome: Json | None = None
        self.frames = 0
        self.event_count = 0
        self.close_code: int | None = None
        self.close_reason = ""
        # A server message this client could not handle (a hub bug): the reader
        # closes with 1002 and close() re-raises it, so a test cannot miss it.
        self.failure: Exception | None = None
        # Only with record=True: every message, and the flattened event log that
        # wait_for scans (each element of an events frame, and each snapshot).
        self.received: list[Json] = []
        self.log: list[Json] = []
        self.events: asyncio.Queue[Json] = asyncio.Queue()

        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[Json]] = {}
        self._welcome: asyncio.Future[Json] | None = None
        # Replaced after each frame; waiters hold the old one, so none misses a wake-up.
        self._arrived = asyncio.Event()
        self._closed = asyncio.Event()
        self._heartbeat: float | None = None
        self._last_sent = 0.0

    # --- connection ---------------------------------------------------------

    async def connect(self, *, resume: bool = True, timeout: float = 10) -> Json:  # noqa: ASYNC109
        """Open the socket, say hello and return the welcome.

        With ``resume`` and a known position the hello carries ``since``, and the
        server answers with the missed events or a snapshot (read by the reader).
        Raises :class:`Disconnected` if the server closes before welcoming.
        """
        if self._reader is not None and not self._reader.done():
            raise RuntimeError("already connected")
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self._closed.clear()
        self.close_code, self.close_reason = None, ""
        self._ws = await connect(
            self.url,
            origin=Origin(self.origin),
            additional_headers=headers,
            compression=None,  # the hub turns permessage-deflate off; so do browsers' peers
            max_size=CLIENT_MAX_SIZE,
            open_timeout=timeout,
            ping_interval=self.ping_interval,
        )
        hello: Json = {"type": "hello", "role": self.role, "v": PROTOCOL_VERSION, "tab": self.tab}
        if self.key is not None:
            hello["key"] = self.key
        if resume and self.epoch is not None and self.pos is not None:
            hello["since"] = {"epoch": self.epoch, "pos": self.pos}
        self._welcome = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(self._ws), name=f"hub-client-{self.bid}")
        await self.send(hello)
        async with asyncio.timeout(timeout):
            return await self._welcome

    async def close(self) -> None:
        """Close with 1000 and wait for the reader to finish."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def wait_closed(self, timeout: float = 5) -> int | None:  # noqa: ASYNC109
        """Wait until the server closes the socket; return the close code."""
        async with asyncio.timeout(timeout):
            await self._closed.wait()
        return self.close_code

    # --- sending ------------------------------------------------------------

    async def send(self, msg: Mapping[str, Any]) -> None:
        """Send one message as a JSON *text* frame (the hub refuses binary ones)."""
        await self.send_frame(orjson.dumps(msg).decode())

    async def send_frame(self, frame: str | bytes) -> None:
        """Send a raw frame: ``str`` as text, ``bytes`` as binary (to test refusals)."""
        if self._ws is None:
            raise RuntimeError("not connected")
        self._last_sent = time.monotonic()
        await self._ws.send(frame)

    async def command(
        self,
        type: str,
        *,
        id: str | None = None,
        timeout: float = 10,  # noqa: ASYNC109
        **fields: Any,
    ) -> Json:
        """Send a command and return its ``ack`` or ``error`` message (never raises on one).

        Resending with the same ``id`` is how a client retries safely: the hub
        answers with the original result and applies the command once.
        """
        cid = id if id is not None else uuid.uuid4().hex[:16]
        future = self._pending.get(cid)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._pending[cid] = future
        try:
            await self.send({"type": type, "id": cid, **fields})
            async with asyncio.timeout(timeout):
                return await asyncio.shield(future)
        finally:
            if future.done():
                self._pending.pop(cid, None)

    async def page(
        self, list: str, order: str, *, after: str | None = None, limit: int | None = None
    ) -> Json:
        """Read the next page of a list (``questions.page``; ``after`` defaults to
        the state's cursor for it) and add it to ``state``; returns the ack or error."""
        fields: Json = {"list": list, "order": order}
        cursor = after if after is not None else self.state.more.get(f"{list}.{order}")
        if cursor is not None:
            fields["after"] = cursor
        if limit is not None:
            fields["limit"] = limit
        reply = await self.command("questions.page", **fields)
        if reply.get("type") == "ack":
            self.state.apply_page(reply["result"])
        return reply

    # --- waiting ------------------------------------------------------------

    def mark(self) -> int:
        """A cursor into ``log``: pass it as ``since`` to wait only for later events."""
        return len(self.log)

    async def wait_for(
        self,
        predicate: Callable[[Json], bool],
        timeout: float = 5,  # noqa: ASYNC109
        *,
        since: int = 0,
    ) -> Json:
        """Return the first logged event from index ``since`` on that satisfies ``predicate``.

        Events that arrived before the call are found too (the log is scanned, not
        just future arrivals). Needs ``record=True``.
        """
        if not self.record:
            raise RuntimeError("wait_for needs HubClient(record=True)")
        index = since
        async with asyncio.timeout(timeout):
            while True:
                arrived = self._arrived
                while index < len(self.log):
                    event = self.log[index]
                    index += 1
                    if predicate(event):
                        return event
                if self._closed.is_set():
                    raise Disconnected(self.close_code, self.close_reason)
                await arrived.wait()

    async def wait_state(
        self,
        predicate: Callable[[ClientState], bool],
        timeout: float = 5,  # noqa: ASYNC109
    ) -> ClientState:
        """Wait until ``state`` satisfies ``predicate`` (checked after every frame)."""
        async with asyncio.timeout(timeout):
            while True:
                arrived = self._arrived
                if predicate(self.state):
                    return self.state
                if self._closed.is_set():
                    raise Disconnected(self.close_code, self.close_reason)
                await arrived.wait()

    # --- the reader ---------------------------------------------------------

    async def _read(self, ws: ClientConnection) -> None:
        try:
            while True:
                try:
                    async with asyncio.timeout(self._until_ping()):
                        data = await ws.recv(decode=False)  # cancel-safe: nothing is lost
                except TimeoutError:
                    await self.send({"type": "ping"})
                    continue
                self._handle(orjson.loads(data))
        except ConnectionClosed:
            pass
        except Exception as exc:
            self.failure = exc
            await ws.close(1002, "unreadable server message")
            raise
        finally:
            self._on_closed(ws)

    def _until_ping(self) -> float | None:
        if self._heartbeat is None:
            return None
        return max(0.0, self._last_sent + self._heartbeat - time.monotonic())

    def _handle(self, msg: Json) -> None:
        self.frames += 1
        if self.record:
            self.received.append(msg)
        kind = msg.get("type")
        if kind in ("ack", "error"):
            future = self._pending.get(msg.get("id") or "")
            if future is not None and not future.done():
                future.set_result(msg)
        elif kind == "events":
            self.event_count += len(msg["events"])
            self._track(msg)
            if self.record:
                for event in msg["events"]:
                    self._log(event)
        elif kind == "snapshot":
            self._track(msg)
            if self.record:
                self._log(msg)
        elif kind == "welcome":
            self.welcome = msg
            self.epoch = msg.get("epoch")
            heartbeat = msg.get("heartbeat")
            self._heartbeat = float(heartbeat) if heartbeat else None
            if self._welcome is not None and not self._welcome.done():
                self._welcome.set_result(msg)
        self._wake()

    def _track(self, msg: Json) -> None:
        self.state.apply_message(msg)
        self.epoch = msg.get("epoch", self.epoch)
        self.pos = self.state.pos

    def _log(self, item: Json) -> None:
        self.log.append(item)
        self.events.put_nowait(item)

    def _wake(self) -> None:
        self._arrived.set()
        self._arrived = asyncio.Event()

    def _on_closed(self, ws: ClientConnection) -> None:
        # close_code is None until a close frame was exchanged; 1006 = dropped.
        self.close_code = ws.close_code if ws.close_code is not None else 1006
        self.close_reason = ws.close_reason or ""
        gone = Disconnected(self.close_code, self.close_reason)
        for future in [self._welcome, *self._pending.values()]:
            if future is not None and not future.done():
                future.set_exception(gone)
                future.exception()  # retrieved: no "exception never retrieved" warnings
        self._pending.clear()
        self._closed.set()
        self._wake()


async def fetch_viewer_cookie(base_url: str, *, timeout: float = 10) -> dict[str, str]:  # noqa: ASYNC109
    """GET /api/viewer and return ``{"xs_vid": ...}`` (stdlib only, run in a thread)."""

    def fetch() -> dict[str, str]:
        request = urllib.request.Request(base_url.rstrip("/") + "/api/viewer")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            jar: SimpleCookie = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or ():
                jar.load(header)
        if "xs_vid" not in jar:
            raise RuntimeError("GET /api/viewer did not set the xs_vid cookie")
        return {"xs_vid": jar["xs_vid"].value}

    return await asyncio.to_thread(fetch)
