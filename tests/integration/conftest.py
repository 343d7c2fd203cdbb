"""Fixtures of the integration tests (``hub`` and ``mod`` are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from tests.integration.hub_helpers import Clients, open_redis


@pytest.fixture
async def clients() -> AsyncIterator[Clients]:
    async with Clients() as opened:
        yield opened


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    async with open_redis(redis_url) as client:
        yield client
