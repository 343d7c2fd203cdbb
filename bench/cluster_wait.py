"""What waiting for a replica costs (``python -m bench --only cluster_wait``).

A local Redis Cluster (3 primaries, a replica each: ``server/ops/local_cluster.py``)
and the store's own write path (``Store.ask``: one script per command through
the batcher, hub process aside), run twice in the same minute on the same
cluster: with Redis's default asynchronous replication, and with
``REDIS_WAIT_REPLICAS=1`` (a marker write and ``WAIT`` per batch and node,
``server/store/replication.py``). ``clients`` concurrent askers, each asking
again as soon as it is answered, for ``duration`` seconds per mode, on
broadcasts spread over the three primaries. The ratio between the two modes
is the figure; absolute numbers depend on the machine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
from pathlib import Path
from typing import Any

from server.ops.local_cluster import LocalCluster
from server.settings import Settings
from server.store.redis_client import command_client
from server.store.store import Store


async def _mode(url: str, wait: int, cfg: dict[str, Any]) -> dict[str, Any]:
    settings = dataclasses.replace(
        Settings(redis_url=url, questions_burst=10**9, questions_per_min=10**9,
                 questions_ip_burst=10**9, questions_ip_per_min=10**9),
        redis_wait_replicas=wait,
    )  # fmt: skip
    redis = command_client(settings)
    store = Store(redis, settings)
    bids = [f"bw-{secrets.token_hex(4)}" for _ in range(6)]
    for bid in bids:
        await store.create_broadcast(bid, title="bench", topic="", settings={"moderation": False},
                                     overlay_key="k" * 32, user="bench")  # fmt: skip
    latencies: list[float] = []
    deadline = time.monotonic() + cfg["duration"]

    async def asker(n: int) -> None:
        bid, i = bids[n % len(bids)], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            await store.ask(bid, f"v:{n}:{i}", vid=f"{n:032d}", text=f"问题{n}-{i}", name="",
                            tag="", fp=f"{n}-{i}", ip="", flags=None)  # fmt: skip
            latencies.append((time.perf_counter() - started) * 1000)
            i += 1

    try:
        await asyncio.gather(*(asker(n) for n in range(cfg["clients"])))
    finally:
        await redis.aclose()
    latencies.sort()
    return {
        "writes_per_s": round(len(latencies) / cfg["duration"]),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)], 2),
    }


async def run(workdir: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    cluster = await asyncio.to_thread(LocalCluster(workdir / "cluster").start)
    try:
        off = await _mode(cluster.url, 0, cfg)
        on = await _mode(cluster.url, 1, cfg)
    finally:
        await asyncio.to_thread(cluster.stop)
    return {
        "clients": cfg["clients"],
        "async": off,
        "wait_1_replica": on,
        "throughput_ratio": round(on["writes_per_s"] / max(off["writes_per_s"], 1), 2),
        "p50_ratio": round(on["p50_ms"] / max(off["p50_ms"], 0.001), 2),
    }
