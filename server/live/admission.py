"""Admission of TCP connections: a deadline for the request head, per-address caps.

uvicorn closes an idle keep-alive connection, but has no deadline for a
connection that never completes its first request: a silent TCP connection or
a slowloris one (a header line every few seconds) stays open for ever, and a
few hundred of them exhaust the process's file descriptors (docs/reliability.md
31). ``DeadlineHttpToolsProtocol`` is uvicorn's own httptools protocol with a
timer: armed when a connection opens and when a request begins, disarmed when
the request is complete or upgraded to a websocket; when it fires the
connection is closed. ``Admission`` counts the connections that have not yet
finished their request (half-open) per address and in all: one address may
hold at most ``max_connections_per_ip`` of them (beyond, a new connection is
closed at once), and the websocket endpoint adds them to the address's open
sockets, so a websocket is refused with 4429 once the two together reach the
cap. (An address whose open websockets alone fill the cap still gets its new
sockets up to the endpoint, so the browser reads 4429 rather than a bare
connection failure.)

The protocol finds the ``Admission`` in the lifespan state (``app_state``, the
ASGI lifespan's shared state, filled by ``server.app``). Only connection set-up
goes through it; once upgraded, a websocket's frames never touch this code.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.metrics import Metrics
from server.settings import Settings

log = logging.getLogger("xs.admission")

STATE_KEY = "admission"  # where server.app puts the Admission in the lifespan state


def pending_budget(settings: Settings) -> int:
    """``max_pending_connections``, and at most a quarter of the descriptor limit."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return settings.max_pending_connections
    return max(1, min(settings.max_pending_connections, soft // 4))


class Admission:
    """Per-address counts of half-open connections and open websockets, one per process."""

    def __init__(self, settings: Settings, metrics: Metrics, *, pending_max: int) -> None:
        self.deadline_s = settings.request_deadline_s
        self.per_ip = settings.max_connections_per_ip
        # In all, across addresses: a flood from many addresses must not reach
        # the file-descriptor limit either (server.cli derives it from that limit).
        self.pending_max = pending_max
        # Behind a trusted reverse proxy every connection comes from the proxy:
        # counting it per address would cap everyone at once. The proxy guards
        # its clients (docs/deploy.md: limit_conn, client_header_timeout).
        self._proxies = frozenset(settings.trusted_proxies)
        self._metrics = metrics
        self.pending: dict[str, int] = {}
        self.pending_total = 0
        self.open: dict[str, int] = {}  # open websockets per address (server.live.ws)

    def count(self, ip: str) -> int:
        """Connections of one address: open websockets and half-open connections."""
        return self.open.get(ip, 0) + self.pending.get(ip, 0)

    def begin(self, ip: str) -> bool:
        """A new TCP connection; False when it must be closed at once."""
        if self.pending_total >= self.pending_max:
            self._metrics.half_open_closed_total.inc(reason="total")
            return False
        if ip not in self._proxies and self.pending.get(ip, 0) >= self.per_ip:
            self._metrics.half_open_closed_total.inc(reason="per_address")
            return False
        self.pending[ip] = self.pending.get(ip, 0) + 1
        self.pending_total += 1
        return True

    def end(self, ip: str) -> None:
        """The connection finished its request, was upgraded, or went away."""
        left = self.pending.get(ip, 0) - 1
        if left > 0:
            self.pending[ip] = left
        else:
            self.pending.pop(ip, None)
        self.pending_total = max(0, self.pending_total - 1)

    def timed_out(self) -> None:
        self._metrics.half_open_closed_total.inc(reason="deadline")


class DeadlineHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        found = self.app_state.get(STATE_KEY)
        self._admission: Admission | None = found if isinstance(found, Admission) else None
        self._deadline: asyncio.TimerHandle | None = None
        self._ip = ""
        self._counted = False  # counted as half-open in the Admission

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self._admission is None:  # lifespan not started (never in production)
            return
        self._ip = self.client[0] if self.client else "unknown"
        if not self._admission.begin(self._ip):
            transport.abort()
            return
        self._counted = True
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._admission is not None and self._deadline is None:
            self._arm()  # the next request on a keep-alive connection

    def on_message_complete(self) -> None:
        self._disarm()
        self._uncount()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        # The socket now belongs to the websocket protocol; the endpoint counts
        # it as open (Admission.open) once it is accepted.
        self._disarm()
        self._uncount()
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._uncount()
        super().connection_lost(exc)

    def _arm(self) -> None:
        assert self._admission is not None
        self._deadline = self.loop.call_later(self._admission.deadline_s, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _uncount(self) -> None:
        if self._counted and self._admission is not None:
            self._counted = False
            self._admission.end(self._ip)

    def _expired(self) -> None:
        self._deadline = None
        if self._admission is not None:
            self._admission.timed_out()
        # Nothing to answer: the request never arrived whole. Abort, so the
        # descriptor is freed now rather than after a lingering close.
        self.transport.abort()
