"""/readyz follows Redis, with the default timeouts (XREAD BLOCK 5 s, command timeout 2 s).

A tailer that reported healthy only after its next blocking read returned kept
an idle broadcast's process at 503 for up to a BLOCK after Redis was back, and
a read that timed out under a ``CLIENT PAUSE`` turned into a false 503 after
the pause. Here ``/readyz`` must be 200 again within ``BACK_S`` of Redis
answering (less than one BLOCK), and never 503 once a pause is over.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration import harness
from tests.integration.faults import closing, get, in_thread, redis_client, running_hub

pytestmark = pytest.mark.anyio

BACK_S = 3.0  # below the default tail_block_ms (5 s) the old tailer needed, plus slack


async def ready(base: str) -> int:
    return (await get(base, "/readyz")).status_code


async def first_200_after(base: str, start: float, limit: float) -> float:
    while time.monotonic() - start < limit:
        if await ready(base) == 200:
            return time.monotonic() - start
        await asyncio.sleep(0.05)
    raise AssertionError(f"/readyz still not 200 {limit} s after Redis answered")


async def test_readyz_recovers_soon_after_redis_returns(
    embedded_redis: Any, tmp_path: Path
) -> None:
    with running_hub(embedded_redis.url, tmp_path) as hub:
        mod = await harness.new_moderator(embedded_redis.url, hub.base)
        bid = (await mod.create_broadcast())["id"]
        viewer = await harness.viewer(hub.base, bid)
        async with closing(viewer):
            await viewer.connect()  # an idle broadcast with a tailer
            assert await ready(hub.base) == 200
            for _ in range(2):
                await in_thread(embedded_redis.kill)
                response = await get(hub.base, "/readyz")
                assert response.status_code == 503
                await asyncio.sleep(1.0)  # the tailer notices too
                detail = (await get(hub.base, "/readyz")).json()
                assert detail["tailers"]["unhealthy"] == 1, detail
                await in_thread(embedded_redis.restart)
                back = time.monotonic()
                await first_200_after(hub.base, back, BACK_S)


async def test_no_false_503_after_a_client_pause(embedded_redis: Any, tmp_path: Path) -> None:
    # No presence reports: nothing but the test's own events ends a read early.
    with running_hub(embedded_redis.url, tmp_path, PRESENCE_INTERVAL_S="3600") as hub:
        mod = await harness.new_moderator(embedded_redis.url, hub.base)
        bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
        viewer = await harness.viewer(hub.base, bid)
        async with closing(viewer):
            await viewer.connect()
            # Phase: the tailer starts a new blocking read right after it delivers
            # an event. Pause Redis shortly before that read's BLOCK ends, so the
            # next read is held by the pause and outlives its socket timeout.
            asked = await viewer.command("ask", text="暂停之前的问题")
            await viewer.wait_state(lambda s: asked["result"]["qid"] in s.questions)
            await asyncio.sleep(4.5)
            async with redis_client(embedded_redis.url) as redis:
                await redis.execute_command("CLIENT", "PAUSE", 5000, "ALL")
                paused_until = time.monotonic() + 5.0
            await asyncio.sleep(max(0.0, paused_until - time.monotonic()))
            await first_200_after(hub.base, time.monotonic(), BACK_S)
            # Past the pause, through the moments the reads the pause held time
            # out (BLOCK + command timeout after they began): 200 throughout.
            statuses = []
            until = time.monotonic() + 7.0
            while time.monotonic() < until:
                statuses.append(await ready(hub.base))
                await asyncio.sleep(0.05)
            assert set(statuses) == {200}, statuses
