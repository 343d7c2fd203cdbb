"""Concurrent script calls of one process, sent to Redis as one pipeline.

redis-py costs ~150 us of hub CPU per awaited command, while a pipeline costs
a fraction of that per command (measured; docs/performance.md). Commands from many sockets arrive
in the same event-loop turn; the batcher queues their script calls and sends
everything queued as one non-transactional pipeline, one pipeline in flight at
a time, so batches grow exactly when load does and a lone command waits for
no one.

Contracts: each call gets its own script's result or exception; a connection
error fails every call of that pipeline, and since every write script is
idempotent (its command id, or a flush sequence), the retry that follows is
safe whether or not Redis ran it.

Scripts go out as bare ``EVALSHA``. redis-py's own script-on-pipeline path
sends ``SCRIPT EXISTS`` as an extra round trip before every pipeline; here a
script Redis does not know (first use, a restarted or flushed Redis) comes back
as ``NOSCRIPT`` (nothing ran), is loaded once, and only those calls are sent
again. On a Redis Cluster the pipeline is split per node by redis-py, and a
script unknown to one node (a promoted replica, a node that took a slot) is
loaded on every primary (``SCRIPT LOAD`` goes to all of them).
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from server.store.replication import NotReplicated, ReplicaWait

# (script, keys, args, future, whether it writes: confirmed by a replica wait)
Call = tuple[AsyncScript, list[str], list[Any], "asyncio.Future[Any]", bool]

MAX_BATCH = 256  # scripts per pipeline: bounds the time Redis is busy with one batch


class ScriptBatcher:
    def __init__(self, redis: aioredis.Redis, wait: ReplicaWait | None = None) -> None:
        self._redis = redis
        # With REDIS_WAIT_REPLICAS: a batch's writes are answered once replicas
        # have them (one wait per batch, server/store/replication.py).
        self._wait = wait
        self._queue: list[Call] = []
        self._draining = False

    async def call(
        self, script: AsyncScript, keys: list[str], args: list[Any], *, write: bool = True
    ) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((script, keys, args, future, write))
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

    async def _pipeline(self, batch: list[Call]) -> list[Any]:
        # `async with` gives the connection back (or drops it) even on errors.
        async with self._redis.pipeline(transaction=False) as pipe:
            for script, keys, args, *_ in batch:
                # Buffered, no round trip. As a plain command: a Redis Cluster
                # pipeline refuses its evalsha() method, but routes EVALSHA by
                # its keys and sends each node its own commands.
                pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
            results: list[Any] = await pipe.execute(raise_on_error=False)
        return results

    async def _send(self, batch: list[Call]) -> None:
        try:
            results = await self._pipeline(batch)
            unknown = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
            if unknown:
                for script in {id(batch[i][0]): batch[i][0] for i in unknown}.values():
                    script.sha = await self._redis.script_load(script.script)
                again = await self._pipeline([batch[i] for i in unknown])
                for i, result in zip(unknown, again, strict=True):
                    results[i] = result
            if self._wait is not None:
                await self._confirm(batch, results)
        except BaseException as exc:
            for *_, future, _write in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else ConnectionError())
            if not isinstance(exc, Exception):
                raise
            return
        for (*_, future, _write), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _confirm(self, batch: list[Call], results: list[Any]) -> None:
        """The replica wait for the batch's writes that ran; those not confirmed
        get ``NotReplicated`` (retryable) instead of their result."""
        assert self._wait is not None
        ran = [i for i, r in enumerate(results) if batch[i][4] and not isinstance(r, Exception)]
        if not ran:
            return
        try:
            await self._wait.confirm(batch[i][1][0] for i in ran)
        except NotReplicated as exc:
            for i in ran:
                results[i] = exc
