"""Tailing every broadcast of one process with a bounded number of Redis connections.

Channels are tailed in groups of ``tail_streams_per_read``: each group is one
task and one ``StreamReader`` (one connection, one ``XREAD BLOCK`` over all
its streams), so 1,000 broadcasts cost 4 connections, not 1,000. A channel
that joins a group is read at once: the group's wait is ended with
``CLIENT UNBLOCK`` from the command connection.

Per group, after a batch: each channel ingests its own events (one frame per
client per tick), then the group sleeps out the rest of the tick
(``fanout_tick_ms``) so that the next tick's events accumulate.

Health: a group is unhealthy after two failed Redis calls in a row (one
failure is retried at once: a read that timed out during a ``CLIENT PAUSE``
is no outage). It retries at most ``RETRY_MAX_S`` apart and, once Redis
answers, checks each of its channels for a lost or rolled-back stream
(``Tailed.revalidate``), then reports healthy at once, without waiting for
the next blocking read to return (``/readyz`` follows Redis within about a
second).

On a Redis Cluster a group's reader polls instead (one non-blocking XREAD per
stream, pipelined per node, MOVED and ASK followed by redis-py:
``server.store.cluster_streams``); everything else here is the same, and a
failed read (a node down, a failover in progress) is retried from the same
positions and followed by the same rollback check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Protocol

import redis.asyncio as aioredis

from server.live.deps import LiveDeps
from server.live.fanout import Entry, entry
from server.store.cluster_streams import ClusterStreamReader
from server.store.redis_client import REDIS_DOWN, cluster_seeds
from server.store.streams import StreamReader, unblock

log = logging.getLogger("xs.tailer")

RETRY_MAX_S = 0.5  # longest pause between two attempts while Redis is unreachable


class Tailed(Protocol):
    """A channel as the tailer sees it."""

    bid: str

    @property
    def tail_pos(self) -> str: ...  # the last stream id it has

    def ingest(self, entries: list[Entry]) -> None: ...

    async def revalidate(self) -> None: ...  # after an outage: reset if the stream went back


class Group:
    """Up to ``size`` channels read by one connection."""

    def __init__(self, tailer: Tailer, number: int) -> None:
        self.tailer = tailer
        self.number = number
        self.members: dict[str, Tailed] = {}
        # On a Redis Cluster, a poller whose pipeline redis-py splits per node.
        self.reader: StreamReader | ClusterStreamReader = (
            ClusterStreamReader(tailer.settings)
            if cluster_seeds(tailer.settings.redis_url)
            else StreamReader(tailer.settings)
        )
        self.healthy = True
        self.gen = 0  # bumped when members change
        self.read_gen = -1  # the members' generation the current read was built from
        self.reading = False
        self.joined = asyncio.Event()  # set when a member joins an empty group
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        deps = self.tailer.deps
        settings, metrics = deps.settings, deps.metrics
        tick = settings.fanout_tick_ms / 1000
        delay = 0.05
        failures = 0  # consecutive failed attempts
        while True:
            if not self.members:
                self.joined.clear()
                await self.joined.wait()
                continue
            try:
                if failures:
                    # Redis answers again (or never left: a read timed out while
                    # it was paused). Check what it holds before reading on.
                    await self._revalidate()
                    self.healthy, failures, delay = True, 0, 0.05
                positions = {bid: m.tail_pos for bid, m in self.members.items()}
                self.read_gen, self.reading = self.gen, True
                try:
                    batches = await self.reader.read(positions)
                finally:
                    self.reading = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                if isinstance(exc, REDIS_DOWN):
                    metrics.redis_errors_total.inc(op="xread")
                else:
                    log.exception("a stream tailer failed; restarting it")
                    metrics.tailer_restarts_total.inc()
                # One failure is retried at once: a read that timed out under a
                # CLIENT PAUSE, or a connection Redis closed, is not an outage.
                # A second one in a row is: unhealthy until Redis answers.
                if failures > 1:
                    self.healthy = False
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX_S)
                continue
            if isinstance(self.reader, ClusterStreamReader):
                # A failover the reader followed by itself: check those streams
                # for events the promoted replica lacks before using the batch.
                moved = self.reader.take_moved()
                if moved:
                    try:
                        await self._revalidate([m for b, m in self.members.items() if b in moved])
                    except REDIS_DOWN:
                        failures = 1
                        continue
            if not batches:
                continue
            started = time.monotonic()
            for bid, rows in batches.items():
                member = self.members.get(bid)
                if member is None or member.tail_pos != positions[bid]:
                    continue  # left, or reset meanwhile: its next read starts over
                try:
                    member.ingest([entry(pos, event) for pos, event in rows])
                except Exception:
                    log.exception("fan-out of a broadcast's events failed")
            spent = time.monotonic() - started
            if spent < tick:
                await asyncio.sleep(tick - spent)

    async def _revalidate(self, members: list[Tailed] | None = None) -> None:
        for member in list(self.members.values()) if members is None else members:
            try:
                await member.revalidate()
            except REDIS_DOWN:
                raise
            except Exception:
                log.exception("checking a broadcast's stream after an outage failed")

    async def wake(self) -> None:
        """End the current read if it was built without the latest members."""
        if isinstance(self.reader, ClusterStreamReader):
            if self.reading and self.read_gen != self.gen:
                self.reader.wake()
            return
        for _ in range(50):
            cid = self.reader.client_id
            if not self.reading or self.read_gen == self.gen or cid is None:
                return
            try:
                if await unblock(self.tailer.command_redis, cid):
                    return
            except REDIS_DOWN:
                return  # the read fails too, and is rebuilt with the members
            # Not blocked yet (the read is on its way): try again shortly.
            await asyncio.sleep(0.01)


class Tailer:
    def __init__(self, deps: LiveDeps, command_redis: aioredis.Redis) -> None:
        self.deps = deps
        self.settings = deps.settings
        self.command_redis = command_redis
        self.size = max(1, self.settings.tail_streams_per_read)
        self.groups: list[Group] = []
        self._where: dict[str, Group] = {}

    def add(self, channel: Tailed) -> None:
        """Tail ``channel`` from its ``tail_pos`` on (read at once, not after a BLOCK)."""
        if channel.bid in self._where:
            return
        group = next((g for g in self.groups if len(g.members) < self.size), None)
        if group is None:
            group = Group(self, len(self.groups))
            group.task = asyncio.create_task(group.run(), name=f"tail-group:{group.number}")
            self.groups.append(group)
        group.members[channel.bid] = channel
        group.gen += 1
        self._where[channel.bid] = group
        group.joined.set()
        self.deps.spawn(group.wake())

    def remove(self, bid: str) -> None:
        group = self._where.pop(bid, None)
        if group is not None:
            group.members.pop(bid, None)
            group.gen += 1  # its events, if read meanwhile, are dropped

    def healthy(self, bid: str) -> bool:
        group = self._where.get(bid)
        return (
            group is not None and group.healthy and group.task is not None and not group.task.done()
        )

    def connections(self) -> int:
        """Redis connections held for tailing (one per group)."""
        return len(self.groups)

    async def stop(self) -> None:
        for group in self.groups:
            if group.task is not None:
                group.task.cancel()
        for group in self.groups:
            if group.task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await group.task
            await group.reader.close()
        self.groups.clear()
        self._where.clear()
