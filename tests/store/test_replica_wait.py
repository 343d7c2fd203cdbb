"""``REDIS_WAIT_REPLICAS``: a write is answered only once that many replicas
have it (``server/store/replication.py``). On a Redis without replicas (a
fresh embedded one of this test's own) no write is ever acknowledged: each is
refused as retryable (``NotReplicated``), and a resend of the same command id
is answered from its idempotency record, not made twice. Reads do not wait."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from server.ops.embedded_redis import EmbeddedRedis
from server.store import keys
from server.store.redis_client import REDIS_DOWN, NotReplicated, failure_kind
from server.store.store import Store
from tests.integration.hub_helpers import open_redis
from tests.store.helpers import SETTINGS, new_broadcast

pytestmark = pytest.mark.anyio

WAITING = dataclasses.replace(SETTINGS, redis_wait_replicas=1, redis_wait_timeout_ms=50)


@pytest.fixture
async def alone(embedded_redis: EmbeddedRedis) -> AsyncIterator[aioredis.Redis]:
    async with open_redis(embedded_redis.url) as client:
        yield client


async def test_without_a_replica_nothing_is_acknowledged(alone: aioredis.Redis) -> None:
    plain, waiting = Store(alone, SETTINGS), Store(alone, WAITING)
    await new_broadcast(plain, "w1", moderation=False)
    args = {"vid": "v" * 32, "text": "问题", "name": "", "tag": "", "fp": "fp", "ip": "",
            "flags": None}  # fmt: skip
    for _ in range(2):  # the first try and its resend
        with pytest.raises(NotReplicated) as refused:
            await waiting.ask("w1", "v:1:1", **args)
        assert isinstance(refused.value, REDIS_DOWN) and failure_kind(refused.value) == "replica"
    with pytest.raises(NotReplicated):
        await waiting.flush_likes("w1", proc="p", seq=1, delta=5, last_ids={})
    # Written once on the primary, as the idempotency record says.
    assert await alone.zcard(keys.by_status("w1", "approved")) == 1
    assert (await plain.ask("w1", "v:1:1", **args))["qid"] == 1
    assert int(await alone.get(keys.likes("w1"))) == 5
    # A read through the same batcher does not wait.
    assert (await waiting.viewer_state("w1", "v" * 32))["mine"]
