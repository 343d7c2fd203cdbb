"""Many broadcasts in one process: every one gets its live events over a few connections.

One viewer each on 85 broadcasts (more than a pool of 64 blocking connections
could ever tail), streams read in groups of 32: three tailer connections.
The XREAD BLOCK is a minute long here, so a broadcast that joined a group
already waiting would hear nothing for a minute unless the wait is ended
for it: every viewer hearing its event within the test's wait shows it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.faults import get, scrape
from tests.integration.harness import HubProcess, new_moderator
from tests.integration.hub_helpers import QUIET, Clients, new_viewer, ok, open_redis, running_hub

pytestmark = pytest.mark.anyio

BROADCASTS = 85
PER_READ = 32
GROUPS = -(-BROADCASTS // PER_READ)


@pytest.fixture
def hub(redis_url: str, tmp_path: Path) -> Iterator[HubProcess]:
    env = {**QUIET, "TAIL_STREAMS_PER_READ": str(PER_READ), "TAIL_BLOCK_MS": "60000"}
    with running_hub(redis_url, tmp_path, **env) as process:
        yield process


async def tail_connections(redis_url: str) -> int:
    async with open_redis(redis_url) as redis:
        listed = await redis.client_list()
    return sum(1 for c in listed if c.get("name") == "xs-tail")


async def test_every_broadcast_gets_its_events(
    hub: HubProcess, redis_url: str, clients: Clients
) -> None:
    before_tail = await tail_connections(redis_url)
    moderator = await new_moderator(redis_url, hub.base)
    bids = [
        (await moderator.create_broadcast(settings={"moderation": False}))["id"]
        for _ in range(BROADCASTS)
    ]
    async with open_redis(redis_url) as redis:
        viewers = [await new_viewer(clients, redis, hub.base, bid) for bid in bids[:-1]]
        await asyncio.sleep(0.5)  # every group is inside its minute-long XREAD now
        # The last broadcast joins a group that is already waiting, and is the
        # only one with an event: it is heard only if that wait is ended for it.
        last = await new_viewer(clients, redis, hub.base, bids[-1])
    first = ok(await last.command("ask", text="最后加入的直播也能收到吗？"))["qid"]
    await last.wait_state(lambda s: first in s.questions, timeout=20)

    # Each viewer asks once; the question reaches it through its broadcast's stream.
    asked = await asyncio.gather(*(v.command("ask", text="这条线路何时开通？") for v in viewers))
    qids = [ok(reply)["qid"] for reply in asked]
    await asyncio.gather(
        *(
            v.wait_state(lambda s, qid=qid: qid in s.questions, timeout=20)
            for v, qid in zip(viewers, qids, strict=True)
        )
    )

    ready = await get(hub.base, "/readyz")
    assert ready.status_code == 200, ready.text
    tailers = ready.json()["tailers"]
    assert tailers == {"running": BROADCASTS, "unhealthy": 0, "connections": GROUPS}
    assert await tail_connections(redis_url) - before_tail == GROUPS
    metrics = await scrape(hub.base)
    assert metrics.value("xs_redis_errors_total", op="xread") == 0
    assert metrics.value("xs_tailer_restarts_total") == 0
