"""Many broadcasts of one process on the cluster: every one gets its events,
and the tailers hold a bounded number of connections per node (at most two
per group of ``TAIL_STREAMS_PER_READ`` streams, whatever the number of broadcasts),
although a cluster refuses one XREAD over streams of two slots."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.ops.local_cluster import LocalCluster
from tests.integration.faults import get, scrape
from tests.integration.harness import HubProcess, new_moderator
from tests.integration.hub_helpers import QUIET, Clients, new_viewer, ok, open_redis, running_hub

pytestmark = pytest.mark.anyio

BROADCASTS = 24
PER_READ = 8
GROUPS = BROADCASTS // PER_READ


@pytest.fixture
def hub(redis_cluster: LocalCluster, tmp_path: Path) -> Iterator[HubProcess]:
    env = {**QUIET, "TAIL_STREAMS_PER_READ": str(PER_READ)}
    with running_hub(redis_cluster.url, tmp_path, **env) as process:
        yield process


def tail_connections(cluster: LocalCluster) -> dict[int, int]:
    """Tailer connections (``xs-tail``) on each primary."""
    counts = {}
    for node in cluster.serving():
        with node.client() as c:
            counts[node.port] = sum(1 for x in c.client_list() if x.get("name") == "xs-tail")
    return counts


async def test_every_broadcast_gets_its_events_over_few_connections_per_node(
    hub: HubProcess, redis_cluster: LocalCluster, clients: Clients
) -> None:
    before = await asyncio.to_thread(tail_connections, redis_cluster)
    moderator = await new_moderator(redis_cluster.url, hub.base)
    bids = [
        (await moderator.create_broadcast(settings={"moderation": False}))["id"]
        for _ in range(BROADCASTS)
    ]
    async with open_redis(redis_cluster.url) as redis:
        viewers = [await new_viewer(clients, redis, hub.base, bid) for bid in bids]
    asked = await asyncio.gather(*(v.command("ask", text="集群上也能收到吗？") for v in viewers))
    qids = [ok(reply)["qid"] for reply in asked]
    await asyncio.gather(*(
        v.wait_state(lambda s, qid=qid: qid in s.questions, timeout=20)
        for v, qid in zip(viewers, qids, strict=True)
    ))  # fmt: skip

    ready = await get(hub.base, "/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["tailers"] == {"running": BROADCASTS, "unhealthy": 0,
                                       "connections": GROUPS}  # fmt: skip
    after = await asyncio.to_thread(tail_connections, redis_cluster)
    # Per node and group: the polls' connection, and the one redis-py keeps
    # from discovering the slot map through that seed. Never per broadcast.
    for port, count in after.items():
        assert 0 < count - before.get(port, 0) <= 2 * GROUPS < BROADCASTS, (port, before, after)
    metrics = await scrape(hub.base)
    assert metrics.value("xs_redis_errors_total", op="xread") == 0
