"""The store tier: ``Store``, ``Accounts`` and deletion called directly against a
real redis-server (the suite's ``redis_url``), each script through the Python
method that runs it.

Every test works under its own random broadcast id (or random user names) and
never flushes the database. What a script wrote is read back from Redis
itself: the keys of the broadcast (:func:`dump`, byte-exact through ``DUMP``)
and the events appended to its stream (:func:`events`).

The session records which scripts the tier ran (by SHA, on every path a
script call takes: ``AsyncScript.__call__`` and the pipelining batcher), so
``test_scripts.py`` can fail on a script no store test exercises.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from server.store.batcher import ScriptBatcher
from server.store.store import Store
from tests.integration.hub_helpers import open_redis
from tests.store.helpers import RAN, SETTINGS


@pytest.fixture(scope="session", autouse=True)
def _record_scripts() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        direct = AsyncScript.__call__
        batched = ScriptBatcher.call

        async def call_direct(self: AsyncScript, *args: Any, **kwargs: Any) -> Any:
            RAN.add(self.sha)
            return await direct(self, *args, **kwargs)

        async def call_batched(
            self: ScriptBatcher, script: AsyncScript, k: list[str], a: list[Any], **kw: Any
        ) -> Any:
            RAN.add(script.sha)
            return await batched(self, script, k, a, **kw)

        mp.setattr(AsyncScript, "__call__", call_direct)
        mp.setattr(ScriptBatcher, "call", call_batched)
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The coverage check runs after every other store test (whatever the order
    plugins did), since it reads what they ran."""
    last = [i for i in items if i.name == "test_every_script_is_exercised_by_a_store_test"]
    items[:] = [i for i in items if i not in last] + last


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    async with open_redis(redis_url) as client:
        yield client


@pytest.fixture
def store(redis: aioredis.Redis) -> Store:
    return Store(redis, SETTINGS)


@pytest.fixture
def bid() -> str:
    return "s-" + secrets.token_hex(5)
