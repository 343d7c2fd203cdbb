"""Likes of one hub process: rate-limited, summed in memory, written every ~200 ms.

A like storm must not cost one Redis command per tap (measured: that caps a
process near 4k/s). Clients send batched tap counts; this process adds them to
a per-broadcast delta and writes each delta with one idempotent script call per
flush interval, so Redis sees at most ``1000 / likes_flush_ms`` like writes per
second per broadcast per process, whatever the tap rate.

Contracts:

* a like command is acknowledged only after the flush that carries it returned
  from Redis, so an acknowledged tap is never lost;
* a flush that failed (Redis down, reply lost) is retried with the same
  sequence number and the same delta until it succeeds: the script applies a
  (process, sequence) once, so a retry never counts a batch twice;
* a like command id is remembered per (viewer, tab) in memory and, with the
  flush, in Redis: a client resending an unacknowledged batch after a
  reconnect, to any process, is acknowledged without counting it again;
* per-viewer token buckets (in memory, keyed by viewer id, so a reconnect does
  not refill them) cap what one viewer can add (docs/reliability.md 14).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from collections import defaultdict

from server import protocol
from server.domain.errors import Code, Rejection
from server.domain.likes import LikeBuffer
from server.domain.ratelimit import BucketMap
from server.live.conn import Conn
from server.live.deps import LiveDeps
from server.store.redis_client import REDIS_DOWN

log = logging.getLogger("xs.likes")


@dataclasses.dataclass(slots=True)
class _Flush:
    seq: int
    delta: int
    last_ids: dict[str, str]
    acks: list[tuple[Conn, str, int]]


class LikeDesk:
    def __init__(self, deps: LiveDeps) -> None:
        self._deps = deps
        settings = deps.settings
        self._max_batch = settings.likes_max_batch
        self._interval = settings.likes_flush_ms / 1000
        self._buckets = BucketMap(settings.likes_rate_per_s, settings.likes_burst)
        self._buffer = LikeBuffer()
        self._acks: dict[str, list[tuple[Conn, str, int]]] = defaultdict(list)
        self._last_ids: dict[str, dict[str, str]] = defaultdict(dict)
        self._inflight: dict[str, _Flush] = {}
        self._seq = 0
        self._lock = asyncio.Lock()
        self.proc = secrets.token_hex(6)  # this process's flush identity

    async def receive(self, conn: Conn, cmd: protocol.Like) -> bool:
        """Take one like command; its ack follows the flush that writes it.

        False when the viewer's budget granted none of its taps (the caller
        counts that as a refused command of the connection)."""
        store, metrics = self._deps.store, self._deps.metrics
        if cmd.n > self._max_batch:
            raise Rejection(Code.INVALID, f"at most {self._max_batch} taps per like message")
        tab_key = f"{conn.vid}:{conn.tab}"
        if cmd.id == conn.last_like_id or self._adopt(conn, tab_key, cmd.id):
            # A resend: a batch still waiting for its flush is answered by that
            # flush (now on this socket); one already acknowledged is re-acked.
            if not self._pending(conn.bid, tab_key, cmd.id):
                conn.send_text(_encode(protocol.ack(cmd.id, {"accepted": 0, "duplicate": True})))
            conn.last_like_id = cmd.id
            return True
        if conn.last_like_id is None:
            # First like on this socket: it may resend one counted before a reconnect.
            try:
                counted = await store.last_like_id(conn.bid, tab_key)
            except REDIS_DOWN as exc:
                raise Rejection(
                    Code.UNAVAILABLE, "likes are briefly unavailable", retryable=True
                ) from exc
            if counted == cmd.id:
                conn.last_like_id = cmd.id
                conn.send_text(_encode(protocol.ack(cmd.id, {"accepted": 0, "duplicate": True})))
                return True
        conn.last_like_id = cmd.id
        metrics.likes_received_total.inc(cmd.n)
        granted = self._buckets.take(str(conn.vid), cmd.n, int(time.monotonic() * 1000))
        if granted < cmd.n:
            metrics.likes_throttled_total.inc(cmd.n - granted)
            metrics.rate_limited_total.inc(kind="likes")
        if granted == 0:
            conn.send_text(_encode(protocol.ack(cmd.id, {"accepted": 0, "throttled": cmd.n})))
            return False
        self._buffer.add(conn.bid, granted)
        self._acks[conn.bid].append((conn, cmd.id, granted))
        self._last_ids[conn.bid][tab_key] = cmd.id
        return True

    def _waiting(self, bid: str) -> list[list[tuple[Conn, str, int]]]:
        lists = [self._acks[bid]] if bid in self._acks else []
        if bid in self._inflight:
            lists.append(self._inflight[bid].acks)
        return lists

    def _pending(self, bid: str, tab_key: str, cmd_id: str) -> bool:
        return any(
            cid == cmd_id and f"{c.vid}:{c.tab}" == tab_key
            for acks in self._waiting(bid)
            for c, cid, _ in acks
        )

    def _adopt(self, conn: Conn, tab_key: str, cmd_id: str) -> bool:
        """A batch of this tab still waiting for its flush, resent on a new socket:
        its ack is redirected here instead of counting it again."""
        found = False
        for acks in self._waiting(conn.bid):
            for i, (old, cid, granted) in enumerate(acks):
                if cid == cmd_id and f"{old.vid}:{old.tab}" == tab_key:
                    acks[i] = (conn, cid, granted)
                    found = True
        return found

    async def run(self) -> None:
        """Flush forever (a hub background task)."""
        while True:
            started = time.monotonic()
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("like flush failed; retrying")
            await asyncio.sleep(max(0.0, self._interval - (time.monotonic() - started)))

    async def flush(self) -> None:
        # One flush at a time: the loop's and the final one at shutdown.
        async with self._lock:
            await self._flush()

    async def _flush(self) -> None:
        for bid, delta in self._buffer.drain().items():
            if bid in self._inflight:
                # The previous batch is still being retried: keep accumulating.
                self._buffer.restore({bid: delta})
                continue
            self._seq += 1
            self._inflight[bid] = _Flush(
                self._seq, delta, self._last_ids.pop(bid, {}), self._acks.pop(bid, [])
            )
        if self._inflight:
            await asyncio.gather(*(self._write(bid, f) for bid, f in list(self._inflight.items())))

    async def _write(self, bid: str, batch: _Flush) -> None:
        metrics = self._deps.metrics
        started = time.perf_counter()
        try:
            result = await self._deps.store.flush_likes(
                bid, proc=self.proc, seq=batch.seq, delta=batch.delta, last_ids=batch.last_ids
            )
        except REDIS_DOWN as exc:
            self._deps.health.failed(exc, op="likes_flush")
            return  # kept in flight: retried next interval with the same sequence
        except Rejection as exc:
            # The broadcast was deleted meanwhile: the script wrote nothing, and
            # the batch is dropped with an answer to each like it carried.
            del self._inflight[bid]
            for conn, cmd_id, _ in batch.acks:
                conn.send_text(_encode(protocol.error(exc.code, exc.message, id=cmd_id,
                                                      retryable=False)))  # fmt: skip
            return
        metrics.redis_latency_seconds.observe(time.perf_counter() - started, op="likes_flush")
        self._deps.health.succeeded()
        del self._inflight[bid]
        metrics.like_flushes_total.inc()
        metrics.likes_flushed_total.inc(batch.delta)
        total = int(result.get("total", 0))
        for conn, cmd_id, granted in batch.acks:
            conn.send_text(_encode(protocol.ack(cmd_id, {"accepted": granted, "total": total})))

    def pending(self) -> int:
        """Taps accepted but not yet written (for shutdown and tests)."""
        return sum(f.delta for f in self._inflight.values()) + sum(
            self._buffer.pending(bid) for bid in list(self._acks)
        )


def _encode(message: dict[str, object]) -> str:
    return protocol.encode(message).decode()
