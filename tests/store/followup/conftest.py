"""Fixtures of the follow-up store tests: a real Redis (the suite's), a Store.

Every test works under random ids; the suite's Redis may be shared, so nothing
here flushes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from server.store.store import Store
from tests.integration.hub_helpers import open_redis
from tests.store.followup.helpers import SETTINGS


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    async with open_redis(redis_url) as client:
        yield client


@pytest.fixture
def store(redis: aioredis.Redis) -> Store:
    return Store(redis, SETTINGS)
