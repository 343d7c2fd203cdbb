"""The store's script batcher against a real redis-server of its own.

Scripts go out as bare EVALSHA (no SCRIPT EXISTS round trip per pipeline), so
a script Redis does not know must be loaded and its calls sent again: on first
use, and after Redis lost its script cache (restart, SCRIPT FLUSH).
"""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ResponseError

from server.ops.embedded_redis import EmbeddedRedis
from server.store.batcher import ScriptBatcher
from tests.integration.hub_helpers import open_redis

pytestmark = pytest.mark.anyio


async def test_unknown_scripts_are_loaded_and_only_their_calls_sent_again(
    embedded_redis: EmbeddedRedis,
) -> None:
    async with open_redis(embedded_redis.url) as redis:
        echo = redis.register_script("return ARGV[1]")
        count = redis.register_script("return redis.call('INCR', KEYS[1])")
        batcher = ScriptBatcher(redis)
        await redis.script_load(count.script)  # known to Redis: runs once, not again
        first = await asyncio.gather(
            *(batcher.call(echo, ["k"], [str(i)]) for i in range(5)),
            batcher.call(count, ["n"], []),
        )
        assert first == [b"0", b"1", b"2", b"3", b"4", 1]
        assert await redis.script_exists(echo.sha) == [True]

        await redis.script_flush()  # as after a restart without the cache
        again = await asyncio.gather(*(batcher.call(echo, ["k"], [str(i)]) for i in range(3)))
        assert again == [b"0", b"1", b"2"]
        assert await batcher.call(count, ["n"], []) == 2  # exactly once per call


async def test_a_failing_script_fails_only_its_own_call(embedded_redis: EmbeddedRedis) -> None:
    async with open_redis(embedded_redis.url) as redis:
        fail = redis.register_script("return redis.error_reply('boom')")
        echo = redis.register_script("return ARGV[1]")
        batcher = ScriptBatcher(redis)
        results = await asyncio.gather(
            batcher.call(echo, ["k"], ["a"]),
            batcher.call(fail, ["k"], []),
            batcher.call(echo, ["k"], ["b"]),
            return_exceptions=True,
        )
        assert results[0] == b"a" and results[2] == b"b"
        assert isinstance(results[1], ResponseError) and "boom" in str(results[1])
