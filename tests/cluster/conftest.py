"""The local Redis Cluster of the suite: 3 primaries and 3 replicas on loopback
ports (``server/ops/local_cluster.py``), started once per session, from the
redis-server the embedded launcher uses, and stopped by PID at the end.

Tests that change the topology (a failover, a slot moved) leave it whole
again: a killed node is restarted and rejoins as a replica.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio.cluster import RedisCluster

from server.ops.local_cluster import LocalCluster
from server.settings import Settings
from server.store.redis_client import command_client
from tests.integration.hub_helpers import Clients


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster")).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
async def cluster_redis(redis_cluster: LocalCluster) -> AsyncIterator[RedisCluster]:
    """The hub's own command client on the cluster (``server.store.redis_client``)."""
    client = command_client(Settings(redis_url=redis_cluster.url))
    assert isinstance(client, RedisCluster)
    await client.initialize()  # the slot map, before a test asks which node serves a key
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def clients() -> AsyncIterator[Clients]:
    async with Clients() as opened:
        yield opened
