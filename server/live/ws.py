"""One websocket's life: admission, hello, resume, then commands until it closes.

Admission happens before ``accept()`` only where the browser must not learn
more than "refused": a foreign Origin is refused with HTTP 403 (RELIABILITY
19). Everything else is accepted first and then closed with a documented code,
because a close before accept reaches a browser as an unreadable 1006
(docs/reliability.md 17).

Per message, the order is: decode (a typed protocol error, nothing written),
authorise the role, validate in the domain, write once, then ack. Messages of
one socket are handled one after another, so its acks come in order.

Budgets (docs/reliability.md 13 and 30): what must survive a reconnect lives
in Redis per viewer (questions, upvotes and ballots: the scripts; likes: the
like desk per viewer id), what a reconnect cannot cheat lives here per
connection: pings, and refused commands (protocol errors, ``forbidden``,
``not_found``, ``rate_limited``...). A connection out of refusals is abusive
and is closed with 4400; a viewer closed so is counted as very active, so
moderators find them in the list of active viewers and can ban them.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from server import auth, protocol
from server.domain.broadcast import validate_broadcast_id
from server.domain.errors import Code, Rejection
from server.domain.ratelimit import TokenBucket
from server.live.commands import Actor, authorize
from server.live.conn import Conn
from server.live.hub import Hub
from server.live.paging import questions_page
from server.protocol import Close, ProtocolError, Role
from server.store.redis_client import REDIS_DOWN

log = logging.getLogger("xs.ws")

# Refusals that do not count against a connection's budget: the service's
# fault, not the client's.
_NOT_ABUSE = frozenset({"unavailable", "internal"})
# What counts against a moderator's refusals: a console of staff meets
# not_found and conflict in normal work (two moderators on one queue, a bulk
# action racing another), so only what no correct console sends counts.
_MODERATOR_ABUSE = frozenset({"invalid", "forbidden"})
# Activity noted for a viewer whose socket was closed for abuse (the console's
# list of active viewers ranks by it): well above what a person does in minutes.
ABUSE_WEIGHT = 100


def _client_ip(ws: WebSocket) -> str:
    return ws.client.host if ws.client else "unknown"


def _send(conn: Conn, message: dict[str, Any]) -> None:
    conn.send_payload(protocol.encode(message))


async def websocket_endpoint(ws: WebSocket) -> None:
    hub: Hub = ws.app.state.hub
    settings, metrics = hub.settings, hub.metrics
    if not auth.origin_allowed(ws.headers.get("origin"), settings.own_origins()):
        metrics.origin_refused_total.inc()
        await ws.close(code=Close.FORBIDDEN)  # before accept: HTTP 403
        return
    ip = _client_ip(ws)
    # Open websockets and, through server.live.admission, this address's
    # connections still sending their request (docs/reliability.md 12, 31).
    counts = hub.admission.open
    if hub.admission.count(ip) >= settings.max_connections_per_ip:
        await ws.accept()
        metrics.rate_limited_total.inc(kind="connections")
        await ws.close(code=Close.TOO_MANY_CONNECTIONS, reason="too many connections")
        metrics.closes_total.inc(code=str(Close.TOO_MANY_CONNECTIONS))
        return
    counts[ip] = counts.get(ip, 0) + 1
    hub.memory.opened()
    try:
        await ws.accept()
        conn = Conn(
            ws, bid=ws.path_params["bid"], ip=ip, high_water=settings.slow_consumer_bytes,
            close_grace_s=settings.close_grace_s,
        )  # fmt: skip
        await _serve(hub, ws, conn)
    finally:
        hub.memory.closed()
        left = counts.get(ip, 1) - 1
        if left > 0:
            counts[ip] = left
        else:
            counts.pop(ip, None)


async def _serve(hub: Hub, ws: WebSocket, conn: Conn) -> None:
    metrics = hub.metrics
    role: Role | None = None
    # How the socket ended when the hub did not close it: the peer's close code,
    # or what uvicorn reports (1009 oversize frame, 1012 shutdown, 1005 dropped).
    ended_by = int(Close.NORMAL)
    try:
        role = await _admit(hub, ws, conn)
        if role is None:
            return
        metrics.connections.inc(role=role.value)
        metrics.connections_total.inc(role=role.value)
        await _receive_loop(hub, ws, conn)
    except WebSocketDisconnect as exc:
        ended_by = exc.code
    finally:
        if role is not None:
            metrics.connections.dec(role=role.value)
        if conn.live:
            conn.close(Close.NORMAL)
            conn.close_code = ended_by
        # A dead peer dropped by the keepalive is no internal error (uvicorn
        # closes it with 1011): counted under its own label.
        code = "ping_timeout" if conn.keepalive_timed_out() else str(conn.close_code)
        metrics.closes_total.inc(code=code)
        if conn.close_code == Close.SLOW_CONSUMER:
            metrics.slow_consumer_drops_total.inc()


async def _receive_text(ws: WebSocket) -> str | bytes:
    """The next frame's data; raises ``WebSocketDisconnect`` (with its code) at the end."""
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", Close.NORMAL), message.get("reason"))
    text = message.get("text")
    return text if text is not None else message.get("bytes") or b""


async def _admit(hub: Hub, ws: WebSocket, conn: Conn) -> Role | None:
    """Hello, credentials, join. Returns the role, or None when closed."""
    settings = hub.settings
    try:
        raw = await asyncio.wait_for(_receive_text(ws), timeout=settings.hello_timeout_s)
    except TimeoutError:
        conn.close(Close.HELLO_TIMEOUT, "no hello")
        return None
    try:
        hello = protocol.decode(raw)
    except ProtocolError as exc:
        _send(conn, protocol.error(exc.code, exc.message, id=exc.id, retryable=False))
        conn.close(Close.PROTOCOL_ABUSE, "bad hello")
        return None
    if not isinstance(hello, protocol.Hello):
        _send(conn, protocol.error("bad_type", "the first message must be hello", id=None,
                                   retryable=False))  # fmt: skip
        conn.close(Close.PROTOCOL_ABUSE, "bad hello")
        return None
    try:
        validate_broadcast_id(conn.bid)
        channel = await hub.channel(conn.bid)
    except Rejection as refused:
        if refused.code == Code.UNAVAILABLE:  # this process is stopping: another one serves
            conn.close(Close.TRY_AGAIN, "service unavailable")
        else:
            conn.close(Close.NOT_FOUND, "no such broadcast")
        return None
    except REDIS_DOWN:
        conn.close(Close.TRY_AGAIN, "service unavailable")
        return None
    role = Role(hello.role)
    conn.role = role
    if not await _authenticate(hub, ws, conn, hello, channel.overlay_key, channel.host_key):
        return None
    conn.tab = hello.tab or secrets.token_hex(8)
    try:
        await channel.join(conn, hello.since)
    except REDIS_DOWN:
        conn.close(Close.TRY_AGAIN, "service unavailable")
        return None
    except Rejection as exc:
        code = Close.NOT_FOUND if exc.code == "not_found" else Close.TRY_AGAIN
        if exc.code == "banned":
            code = Close.FORBIDDEN
        conn.close(code, exc.message)
        return None
    return role


async def _authenticate(
    hub: Hub,
    ws: WebSocket,
    conn: Conn,
    hello: protocol.Hello,
    overlay_key: str,
    host_key: str = "",
) -> bool:
    if conn.role is Role.VIEWER:
        signed = ws.cookies.get(auth.VIEWER_COOKIE)
        vid = auth.unsign(hub.secret, signed, "vid") if signed else None
        if vid is None or not auth.is_viewer_id(vid):
            conn.close(Close.UNAUTHORIZED, "no viewer id: load the page or GET /api/viewer")
            return False
        conn.vid = vid
        return True
    if conn.role is Role.MODERATOR:
        try:
            session = await hub.accounts.session(ws.cookies.get(auth.SESSION_COOKIE))
        except REDIS_DOWN:
            conn.close(Close.TRY_AGAIN, "service unavailable")
            return False
        if session is None or session.must_change:
            # A one-time password must be changed first (/login).
            conn.close(Close.UNAUTHORIZED, "login required")
            return False
        conn.user = session.user
        conn.session_digest = session.digest
        return True
    # Overlay: the read-only key of this broadcast, sent in hello (never in the
    # URL), or the host view's (which gets the overlay's projection).
    keys = [k for k in (overlay_key, host_key) if k]
    if not hello.key or not any([auth.same_secret(hello.key, k) for k in keys]):
        conn.close(Close.UNAUTHORIZED, "wrong or rotated overlay key")
        return False
    conn.key = hello.key
    return True


def _now_ms() -> int:
    return int(time.monotonic() * 1000)


async def _receive_loop(hub: Hub, ws: WebSocket, conn: Conn) -> None:
    metrics, settings = hub.metrics, hub.settings
    now = _now_ms()
    refusals = TokenBucket.full(settings.refusals_per_min / 60, settings.max_protocol_errors, now)
    pings = TokenBucket.full(settings.pings_per_min / 60, settings.pings_burst, now)
    pages = TokenBucket.full(settings.pages_per_min / 60, settings.pages_burst, now)
    # A viewer's address only as a keyed hash: the per-address question limit.
    ip_key = auth.hash_ip(hub.secret, conn.ip) if conn.role is Role.VIEWER else ""
    actor = Actor(conn.role, vid=conn.vid, user=conn.user, ip=ip_key)
    while conn.live:
        raw = await _receive_text(ws)
        metrics.frames_in_total.inc()
        cmd_id: str | None = None
        cmd: object = None
        refused = False
        try:
            cmd = protocol.decode(raw)
            if isinstance(cmd, protocol.Ping):
                if not pings.take(1, _now_ms()):
                    metrics.rate_limited_total.inc(kind="pings")
                    raise Rejection(Code.RATE_LIMITED, "too many pings")
                _send(conn, protocol.pong())
                continue
            if isinstance(cmd, protocol.Hello):
                raise ProtocolError("bad_type", "hello was already received")
            cmd_id = cmd.id
            if isinstance(cmd, protocol.QuestionsPage):
                if not pages.take(1, _now_ms()):
                    metrics.rate_limited_total.inc(kind="pages")
                    raise Rejection(Code.RATE_LIMITED, "too many pages; scroll slower")
                channel = await hub.channel(conn.bid)
                page = await questions_page(hub.store, channel, conn, cmd)
                metrics.acks_total.inc(type=type(cmd).__name__)
                _send(conn, protocol.ack(cmd.id, page))
            elif isinstance(cmd, protocol.Like):
                authorize(actor, cmd)  # who may do what: commands.py's one rule
                # Every tap throttled: answered by the desk, counted as refused.
                refused = not await hub.likes.receive(conn, cmd)
            else:
                result = await hub.execute(conn.bid, actor, cmd)
                if isinstance(cmd, protocol.Vote | protocol.AnswerPoll):
                    conn.voted.add(cmd.poll)
                result.pop("ok", None)
                metrics.acks_total.inc(type=type(cmd).__name__)
                hub.redis_health.succeeded()
                _send(conn, protocol.ack(cmd.id, result))
        except ProtocolError as exc:
            refused = True
            metrics.errors_total.inc(code=exc.code)
            _send(conn, protocol.error(exc.code, exc.message, id=exc.id, retryable=False))
        except Rejection as exc:
            refused = exc.code not in _NOT_ABUSE and (
                conn.role is not Role.MODERATOR or exc.code in _MODERATOR_ABUSE
            )
            if exc.code == "rate_limited" and isinstance(cmd, (protocol.Upvote, protocol.Vote)):
                kind = "upvotes" if isinstance(cmd, protocol.Upvote) else "votes"
                metrics.rate_limited_total.inc(kind=kind)
            if exc.code == "unavailable":
                # execute() and the like desk turn a Redis failure into this
                # code, with the failure as its cause.
                hub.redis_health.failed(exc.__cause__ or exc, op="command")
            metrics.errors_total.inc(code=exc.code)
            retry = exc.retryable or exc.code in protocol.RETRYABLE_CODES
            _send(conn, protocol.error(exc.code, exc.message, id=cmd_id, retryable=retry))
        except REDIS_DOWN as exc:
            metrics.errors_total.inc(code="unavailable")
            hub.redis_health.failed(exc, op="command")
            message = "the service is briefly unavailable; retry with the same id"
            _send(conn, protocol.error("unavailable", message, id=cmd_id, retryable=True))
        except Exception:
            log.exception("command failed")
            metrics.errors_total.inc(code="internal")
            _send(conn, protocol.error("internal", "internal error; retry with the same id",
                                       id=cmd_id, retryable=True))  # fmt: skip
        if refused and not refusals.take(1, _now_ms()):
            if conn.vid is not None:
                hub.spawn(_note_abuse(hub, conn.bid, conn.vid))
            conn.close(Close.PROTOCOL_ABUSE, "too many refused or invalid messages")
            return


async def _note_abuse(hub: Hub, bid: str, vid: str) -> None:
    try:
        await hub.store.note_activity(bid, vid, ABUSE_WEIGHT)
    except REDIS_DOWN as exc:  # the close matters, the note is a hint for moderators
        hub.redis_health.failed(exc, op="activity")
    except Rejection:  # the broadcast was deleted meanwhile
        pass
