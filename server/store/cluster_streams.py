"""Reading many broadcasts' event streams on a Redis Cluster.

On a single Redis one ``XREAD BLOCK`` names every stream of a tailer group
(``server.store.streams``). On a cluster that command is refused: every key
of one command must be in one slot, and each broadcast has a slot of its own
(its hash tag), so even two streams on the same node cannot share an
``XREAD``. A blocking read per broadcast would hold a connection per
broadcast, which is what the grouping exists to avoid.

So a ``ClusterStreamReader`` polls: one non-blocking ``XREAD`` per stream, all
of a group's sent as one redis-py cluster pipeline, which splits them by the
node serving each slot (one packed write per node, at most one connection per
node per group in flight, plus the one redis-py keeps to the seed it
discovered the slot map through), follows ``MOVED`` and ``ASK`` (a resharding or a
failover: redis-py refreshes its slot map and sends the command again to the
right node), and answers each stream's rows. Positions are the channels'
own (``Tailed.tail_pos``), so a topology change never moves them: a read that
fails is made again from the same ids. A stream whose node changed between
two polls is reported (``take_moved``), so the tailer checks it for events a
promoted replica lacks before going on (docs/reliability.md 34).

While nothing arrives the poll backs off from ``fanout_tick_ms`` to
``tail_poll_max_ms`` (an idle broadcast's first event waits at most that
long); any event brings the interval back to the tick. ``unblock`` (a channel
joined) ends the wait at once, like ``CLIENT UNBLOCK`` does for a blocking read.
Cost, idle: one pipeline of N cheap ``XREAD`` s per group every
``tail_poll_max_ms`` (docs/deploy.md, "On a Redis Cluster").
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

import orjson

from server.settings import Settings
from server.store import keys
from server.store.redis_client import cluster_client, cluster_seeds

Rows = list[tuple[str, dict[str, Any]]]


class ClusterStreamReader:
    def __init__(self, settings: Settings) -> None:
        seeds = cluster_seeds(settings.redis_url)
        assert seeds is not None, "a cluster reader needs a redis+cluster:// URL"
        self._redis = cluster_client(seeds, settings, client_name="xs-tail")
        self._block_s = settings.tail_block_ms / 1000
        self._count = settings.tail_batch
        self._tick_s = max(settings.fanout_tick_ms, 1) / 1000
        self._idle_max_s = max(settings.tail_poll_max_ms / 1000, self._tick_s)
        self._interval_s = self._tick_s
        self._woken = asyncio.Event()
        # The node that served each broadcast's stream at the last poll, and the
        # broadcasts whose node changed since (a failover, a slot moved).
        self._owners: dict[str, str] = {}
        self._moved: set[str] = set()
        # No Redis client id to unblock: ``wake`` ends the wait in-process.
        self.client_id: int | None = None

    def wake(self) -> None:
        self._woken.set()

    def take_moved(self) -> set[str]:
        """Broadcasts whose stream is served by another node than at their
        previous poll. A failover hides from the reader (redis-py reconnects
        and reads on), and the promoted replica may lack events the hub already
        sent: the caller checks these streams (``Tailed.revalidate``) before
        using what was read."""
        moved, self._moved = self._moved, set()
        return moved

    async def read(self, positions: Mapping[str, str], *, block: bool = True) -> dict[str, Rows]:
        """Events after each broadcast's position: ``{bid: [(pos, event), ...]}``,
        polling for up to BLOCK when ``block`` (empty when none came or on ``wake``)."""
        deadline = time.monotonic() + self._block_s
        self._woken.clear()
        while True:
            found = await self._poll(positions)
            if found:
                self._interval_s = self._tick_s
                return found
            if not block or self._woken.is_set() or time.monotonic() >= deadline:
                return {}
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self._interval_s)
            self._interval_s = min(self._interval_s * 2, self._idle_max_s)
            if self._woken.is_set():
                return {}

    async def _poll(self, positions: Mapping[str, str]) -> dict[str, Rows]:
        bids = list(positions)
        if not bids:
            return {}
        pipe = self._redis.pipeline(transaction=False)
        for bid in bids:
            pipe.execute_command(
                "XREAD", "COUNT", self._count, "STREAMS", keys.events(bid), positions[bid]
            )
        # A failure of any stream fails the read (the group retries it from the
        # same positions and, after a failure, checks each stream for a rollback).
        try:
            replies: list[Any] = await pipe.execute(raise_on_error=True)
        finally:
            self._note_owners(bids)
        out: dict[str, Rows] = {}
        for bid, reply in zip(bids, replies, strict=True):
            streams = reply.items() if isinstance(reply, dict) else (reply or ())
            for _name, rows in streams:
                events = []
                for rid, fields in rows:
                    pairs = fields if isinstance(fields, dict) else dict(
                        zip(fields[::2], fields[1::2], strict=True)
                    )  # fmt: skip
                    rid_text = rid.decode() if isinstance(rid, bytes) else str(rid)
                    events.append((rid_text, orjson.loads(pairs[b"e"])))
                if events:
                    out[bid] = events
        return out

    def _note_owners(self, bids: list[str]) -> None:
        for bid in bids:
            try:
                node = self._redis.get_node_from_key(keys.events(bid))
            except Exception:  # the slot map is being rebuilt: compare next time
                continue
            if node is None:
                continue
            name = node.name
            if self._owners.get(bid, name) != name:
                self._moved.add(bid)
            self._owners[bid] = name
        if len(self._owners) > 2 * len(bids) + 64:  # forget broadcasts that left
            wanted = set(bids)
            self._owners = {b: n for b, n in self._owners.items() if b in wanted}

    async def close(self) -> None:
        await self._redis.aclose()
