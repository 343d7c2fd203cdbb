"""Acknowledging a write only once a replica has it (``REDIS_WAIT_REPLICAS``).

Redis replicates asynchronously: a primary that dies can take the writes it
acknowledged in its last moments with it, and its promoted replica never saw
them. With ``redis_wait_replicas`` = N > 0, every write the hub acknowledges
(each command's script through the store's batcher, each like flush) is
followed by ``WAIT N redis_wait_timeout_ms`` on the node that ran it, and is
acknowledged only if N replicas confirmed; otherwise the caller gets
``NotReplicated``, a retryable failure: the client resends the same command
id, which the script answers from its idempotency record (the write is not
made twice), and the wait is tried again.

``WAIT`` counts the replicas that have this *connection's* last write, and a
replica's copy is one ordered stream per primary. So the wait is preceded,
on the same connection, by a marker write in the same slot (``SET
xs:{<tag>}:ack``, a key of the write's own hash tag, expiring in a minute):
a replica that has the marker has every earlier write of that primary,
whichever connection made it. On a cluster one (marker, WAIT) pair goes to
each node that ran a write, in one pipeline that redis-py splits per node;
a marker redirected to another node (a slot moved meanwhile) counts as not
confirmed.

The cost is one round trip plus the replication delay per batch, not per
command: a batch of concurrent commands shares one wait
(``python -m bench --only cluster_wait``; docs/deploy.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aioredis

from server.settings import Settings
from server.store import keys
from server.store.redis_client import NotReplicated, is_cluster

__all__ = ["NotReplicated", "ReplicaWait", "marker", "replica_wait"]

MARKER_TTL_MS = 60_000
_TAG = re.compile(r"\{([^{}]+)\}")


def marker(key: str) -> str:
    """The marker key in the slot of ``key`` (by its hash tag)."""
    found = _TAG.search(key)
    if found is None:
        raise ValueError(f"{key} has no hash tag")
    return keys.replica_marker(found.group(1))


class ReplicaWait:
    def __init__(self, redis: aioredis.Redis, replicas: int, timeout_ms: int) -> None:
        self._redis = redis
        self.replicas = replicas
        self._timeout_ms = timeout_ms

    async def confirm(self, written: Iterable[str]) -> None:
        """Return once ``replicas`` replicas have every write made so far in the
        slots of the keys ``written`` (one key per write; its hash tag names the
        slot); raise ``NotReplicated`` if they do not within the timeout."""
        markers = sorted({marker(k) for k in written})
        if not markers:
            return
        pipe: Any = self._redis.pipeline(transaction=False)
        if is_cluster(self._redis):
            cluster: Any = self._redis
            by_node: dict[str, tuple[Any, str]] = {}
            for m in markers:
                node = cluster.get_node_from_key(m)
                by_node.setdefault(node.name, (node, m))
            for node, m in by_node.values():
                pipe.set(m, "1", px=MARKER_TTL_MS)
                pipe.execute_command("WAIT", self.replicas, self._timeout_ms, target_nodes=node)
            replies = await pipe.execute(raise_on_error=True)
            moved = [m for node, m in by_node.values() if cluster.get_node_from_key(m) != node]
            if moved:
                raise NotReplicated(f"slot of {moved[0]} moved during the wait")
        else:
            pipe.set(markers[0], "1", px=MARKER_TTL_MS)
            pipe.execute_command("WAIT", self.replicas, self._timeout_ms)
            replies = await pipe.execute(raise_on_error=True)
        confirmed = min(int(r) for r in replies[1::2])
        if confirmed < self.replicas:
            raise NotReplicated(
                f"{confirmed} of {self.replicas} replicas confirmed within {self._timeout_ms} ms"
            )


def replica_wait(redis: aioredis.Redis, settings: Settings) -> ReplicaWait | None:
    """The wait ``settings`` ask for, or None (``redis_wait_replicas`` = 0)."""
    if settings.redis_wait_replicas <= 0:
        return None
    return ReplicaWait(redis, settings.redis_wait_replicas, settings.redis_wait_timeout_ms)
