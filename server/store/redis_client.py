"""Redis clients with the timeouts and retry policy the hub relies on.

redis-py 8 retries ConnectionError/TimeoutError 10 times by default and uses a
5 s socket timeout (FINDINGS). Both are pinned here:

* the command client retries at most twice, quickly: every write script is
  idempotent (an idempotency key, or a per-process flush sequence), so a retry
  after a lost reply cannot apply a command twice, and a Redis that is really
  gone turns into a retryable error for the client within a few seconds;
* the stream tailers read over connections of their own whose socket timeout
  exceeds the XREAD BLOCK time (``server.store.streams``), so an idle stream
  never looks like a dead Redis.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.settings import Settings

# What a caller treats as "Redis unreachable" (retryable for the client).
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


def command_client(settings: Settings) -> aioredis.Redis:
    # A blocking pool: under a burst, commands wait (up to the command timeout)
    # for one of `redis_pool_size` connections instead of failing with "too many
    # connections"; Redis runs scripts one at a time anyway.
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.redis_pool_size,
        timeout=settings.redis_timeout_s,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        health_check_interval=0,
        client_name="xs-hub",
    )
    return aioredis.Redis.from_pool(pool)  # owns the pool: aclose() closes its connections
