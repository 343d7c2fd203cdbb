"""The suite's cluster is a real one: 3 primaries with a replica each, every
slot served, and ``stop`` ends every process it started."""

from __future__ import annotations

import os
from pathlib import Path

import redis

from server.ops.local_cluster import SLOTS, LocalCluster


def test_three_primaries_three_replicas_every_slot(redis_cluster: LocalCluster) -> None:
    primaries, replicas = set(), set()
    for node in redis_cluster.nodes:
        with node.client() as c:
            role = c.info("replication")["role"]
        (primaries if role == "master" else replicas).add(node.port)
    assert len(primaries) == 3 and len(replicas) == 3
    with redis_cluster.nodes[0].client() as c:
        served = sum(end - start + 1 for start, end, *_ in c.execute_command("CLUSTER", "SLOTS"))
    assert served == SLOTS


def test_stop_ends_every_process(tmp_path: Path) -> None:
    cluster = LocalCluster(tmp_path, primaries=3, replicas=0).start()
    pids = [node.pid for node in cluster.nodes]
    with cluster.nodes[0].client() as c:
        assert c.execute_command("CLUSTER", "INFO").startswith(b"cluster_state:ok")
    cluster.stop()
    for pid in pids:
        assert pid is not None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"redis-server {pid} still runs")
    try:
        cluster.nodes[0].client(0.2).ping()
    except redis.ConnectionError:
        return
    raise AssertionError("the cluster still answers")
