"""Concurrent script calls of one process, sent to Redis as one pipeline.

redis-py costs ~150 us of hub CPU per awaited command, while a pipeline costs
a fraction of that per command (FINDINGS). Commands from many sockets arrive
in the same event-loop turn; the batcher queues their script calls and sends
everything queued as one non-transactional pipeline, one pipeline in flight at
a time, so batches grow exactly when load does and a lone command waits for
no one.

Contracts: each call gets its own script's result or exception; a connection
error fails every call of that pipeline, and since every write script is
idempotent (its command id, or a flush sequence), the retry that follows is
safe whether or not Redis ran it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

Call = tuple[AsyncScript, list[str], list[Any], "asyncio.Future[Any]"]

MAX_BATCH = 256  # scripts per pipeline: bounds the time Redis is busy with one batch


class ScriptBatcher:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._queue: list[Call] = []
        self._draining = False

    async def call(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((script, keys, args, future))
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                await self._send(batch)
        finally:
            self._draining = False

    async def _send(self, batch: list[Call]) -> None:
        try:
            # `async with` gives the connection back (or drops it) even on errors.
            async with self._redis.pipeline(transaction=False) as pipe:
                for script, keys, args, _ in batch:
                    await script(keys=keys, args=args, client=pipe)  # buffered, no round trip
                results = await pipe.execute(raise_on_error=False)
        except BaseException as exc:
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else ConnectionError())
            if not isinstance(exc, Exception):
                raise
            return
        for (*_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
