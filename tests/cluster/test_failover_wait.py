"""The wait-for-replica mode (``REDIS_WAIT_REPLICAS=1``) on the suite's
cluster: a primary killed (-9) while questions and likes flow loses no
acknowledged write once its replica is promoted, the hub serves again within
seconds without a restart, and clients end exactly as a fresh page."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from redis.asyncio.cluster import RedisCluster

from server.client import HubClient
from server.ops.local_cluster import LocalCluster
from server.store import keys
from tests.cluster.helpers import connected_viewer
from tests.integration import harness
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import Clients, assert_same_as_fresh

pytestmark = pytest.mark.anyio

WAITING = {"REDIS_WAIT_REPLICAS": "1", "REDIS_WAIT_TIMEOUT_MS": "1000",
           "QUESTIONS_BURST": "10000", "QUESTIONS_PER_MIN": "10000",
           "LIKES_RATE_PER_S": "10000", "LIKES_BURST": "10000"}  # fmt: skip


@pytest.fixture(scope="module")
def waiting_hub(
    redis_cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubProcess]:
    hub = harness.HubProcess(
        redis_cluster.url, tmp_path_factory.mktemp("wait-hub"), **WAITING
    ).start(timeout=40)
    try:
        yield hub
    finally:
        hub.stop()


async def test_no_acknowledged_write_is_lost_when_a_primary_dies(
    redis_cluster: LocalCluster, waiting_hub: HubProcess, clients: Clients,
    cluster_redis: RedisCluster,
) -> None:  # fmt: skip
    mod: Moderator = await new_moderator(redis_cluster.url, waiting_hub.base)
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    watcher = await connected_viewer(clients, waiting_hub.base, bid)
    askers = [await connected_viewer(clients, waiting_hub.base, bid) for _ in range(3)]
    likers = [await connected_viewer(clients, waiting_hub.base, bid) for _ in range(2)]
    acked_q: list[int] = []
    acked_likes = 0
    refused = 0
    failed_over = asyncio.Event()
    after = 0  # acknowledgements after the failover

    async def ask(client: HubClient, n: int) -> None:
        nonlocal refused, after
        i = 0
        while not (failed_over.is_set() and after >= 10):
            reply = await client.command("ask", text=f"提问{n}-{i}", id=f"a{n}-{i}", timeout=30)
            if reply["type"] == "ack":
                acked_q.append(reply["result"]["qid"])
                after += failed_over.is_set()
                i += 1
            else:  # refused as retryable: resent with the same id
                assert reply["retryable"], reply
                refused += 1

    async def like(client: HubClient, n: int) -> None:
        nonlocal acked_likes
        i = 0
        while not (failed_over.is_set() and after >= 10):
            reply = await client.command("like", id=f"l{n}-{i}", n=3, timeout=30)
            if reply["type"] == "ack":
                acked_likes += reply["result"]["accepted"]
                i += 1
            else:
                assert reply["retryable"], reply

    flows = [asyncio.create_task(ask(c, n)) for n, c in enumerate(askers)]
    flows += [asyncio.create_task(like(c, n)) for n, c in enumerate(likers)]
    slot = cluster_redis.keyslot(keys.events(bid))
    primary = redis_cluster.owner(slot)
    replica = redis_cluster.replica_of(primary)
    try:
        await watcher.wait_state(lambda s: len(s.questions) >= 10 and s.likes >= 6, timeout=20)
        redis_cluster.kill(primary)
        await asyncio.to_thread(redis_cluster.failover, replica, force=True)
        failed_over.set()
        # The promoted replica has no replica of its own until the killed node
        # is back (as its supervisor would restart it): until then its writes
        # are refused as retryable, never acknowledged unconfirmed.
        await asyncio.to_thread(redis_cluster.restart, primary)
        # The hub serves again by itself within seconds: ten more acknowledged.
        async with asyncio.timeout(30):
            await asyncio.gather(*flows)
    finally:
        for task in flows:
            task.cancel()
        await asyncio.gather(*flows, return_exceptions=True)
        if not primary.alive():
            await asyncio.to_thread(redis_cluster.restart, primary)

    # Every acknowledged question and like is on the promoted replica.
    assert redis_cluster.owner(slot) is replica
    missing = [q for q in acked_q if not await cluster_redis.exists(keys.question(bid, q))]
    assert missing == []
    assert int(await cluster_redis.get(keys.likes(bid)) or 0) >= acked_likes
    last = (await cluster_redis.xrevrange(keys.events(bid), count=1))[0][0].decode()
    await assert_same_as_fresh(watcher, last)
