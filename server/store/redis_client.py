"""Redis clients with the timeouts and retry policy the hub relies on.

redis-py 8 retries ConnectionError/TimeoutError 10 times by default and uses a
5 s socket timeout (measured; see the module's settings). Both are pinned here:

* the command client retries at most twice, quickly: every write script is
  idempotent (an idempotency key, or a per-process flush sequence), so a retry
  after a lost reply cannot apply a command twice, and a Redis that is really
  gone turns into a retryable error for the client within a few seconds;
* the stream tailers read over connections of their own whose socket timeout
  exceeds the XREAD BLOCK time (``server.store.streams``), so an idle stream
  never looks like a dead Redis.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis._parsers.resp3 import _AsyncRESP3Parser
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MaxConnectionsError, OutOfMemoryError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.settings import Settings


class RedisFull(OutOfMemoryError):
    """``OOM command not allowed``: Redis at ``maxmemory`` with noeviction refuses writes."""


class RedisBusy(ResponseError):
    """``BUSY``: a script ran past ``busy-reply-threshold``; Redis answers nothing else."""


# What a caller treats as "Redis unavailable": retryable for the client, never
# an internal error (docs/reliability.md 1 and 32). OOM and BUSY are replies,
# not broken connections: they are not retried by redis-py (a retry would only
# add load) and the connection is kept.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError, RedisFull, RedisBusy)


class ReplyParser(_AsyncRESP3Parser):
    """redis-py's RESP3 parser, raising ``RedisFull`` and ``RedisBusy`` for those
    replies. Redis 6.2 wraps a script's OOM in ``ERR Error running script ...
    -OOM ...``, Redis 7 keeps the code: both are recognised by their text."""

    @classmethod
    def parse_error(cls, response: Any) -> Any:
        found = super().parse_error(response)  # type: ignore[no-untyped-call]
        text = str(response)
        if "OOM command not allowed" in text:
            return RedisFull(text)
        if text.startswith("BUSY") or "-BUSY " in text:
            return RedisBusy(text)
        return found


def failure_kind(exc: BaseException) -> str:
    """The kind of a Redis failure, for counters and logs: ``oom``, ``busy``,
    ``pool`` (no free connection in time), ``timeout`` or ``connection``."""
    if isinstance(exc, RedisFull):
        return "oom"
    if isinstance(exc, RedisBusy):
        return "busy"
    if isinstance(exc, MaxConnectionsError) or "No connection available" in str(exc):
        return "pool"
    if isinstance(exc, RedisTimeoutError) or str(exc).startswith("Timeout"):
        return "timeout"
    return "connection"


# The parser is RESP3's: redis-py 8's default protocol, which both clients use
# (passing protocol=3 explicitly would also turn off redis-py's RESP2-shaped
# replies, which the tailer's XREAD relies on). A URL asking for protocol=2
# would need a RESP2 parser here.


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
        parser_class=ReplyParser,
    )
    return aioredis.Redis.from_pool(pool)  # owns the pool: aclose() closes its connections
