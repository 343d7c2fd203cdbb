"""Scripts on the cluster: a node that does not know a script (a promoted
replica, a node that took a slot, here every primary after ``SCRIPT FLUSH``)
answers NOSCRIPT; the store loads it on every primary and resends only those
calls, on the pipelined path (the batcher) and on the direct one."""

from __future__ import annotations

import secrets

import pytest
from redis.asyncio.cluster import RedisCluster

from server.ops.local_cluster import LocalCluster
from server.store import keys
from server.store.redis_client import RedisFull
from server.store.store import Store
from tests.store.helpers import SETTINGS, new_broadcast

pytestmark = pytest.mark.anyio


async def test_noscript_after_a_flush_is_recovered_on_every_primary(
    cluster_redis: RedisCluster,
) -> None:
    store = Store(cluster_redis, SETTINGS)  # type: ignore[arg-type]
    # Broadcasts on every primary: ids until each node serves one.
    bids: dict[str, str] = {}
    while len(bids) < 3:
        bid = "c-" + secrets.token_hex(4)
        bids.setdefault(cluster_redis.get_node_from_key(keys.meta(bid)).name, bid)
    for bid in bids.values():
        await new_broadcast(store, bid, moderation=False)
    await cluster_redis.script_flush()
    for n, bid in enumerate(bids.values()):
        asked = await store.ask(bid, f"v:{n}:1", vid="v" * 32, text="问题", name="", tag="",
                                fp=f"fp{n}", ip="", flags=None)  # fmt: skip
        assert asked["ok"], asked
        flushed = await store.flush_likes(bid, proc="p1", seq=1, delta=3, last_ids={})
        assert flushed["ok"], flushed
        assert int(await cluster_redis.get(keys.likes(bid))) == 3


async def test_a_full_node_is_redis_full_on_the_cluster_too(
    cluster_redis: RedisCluster, redis_cluster: LocalCluster
) -> None:
    """The cluster client's connections use the hub's reply parser: a node at
    maxmemory answers OOM, which is ``RedisFull`` (retryable), as on one Redis."""
    store = Store(cluster_redis, SETTINGS)  # type: ignore[arg-type]
    bid = "c-" + secrets.token_hex(4)
    await new_broadcast(store, bid, moderation=False)
    node = redis_cluster.owner(cluster_redis.keyslot(keys.meta(bid)))
    with node.client() as direct:
        direct.config_set("maxmemory", 1)
        try:
            with pytest.raises(RedisFull):
                await store.ask(bid, "v:f:1", vid="v" * 32, text="问题", name="", tag="",
                                fp="fp", ip="", flags=None)  # fmt: skip
        finally:
            direct.config_set("maxmemory", 0)
