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

A ``REDIS_URL`` of the form ``redis+cluster://host:port,host:port`` (seed
nodes; ``rediss+cluster://`` for TLS, user and password as in ``redis://``)
selects redis-py's asyncio ``RedisCluster`` instead (docs/deploy.md, "On a
Redis Cluster"): the same timeouts, retries, client name and reply parser, set
on each node's connections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
from redis._parsers.resp3 import _AsyncRESP3Parser
from redis.asyncio.cluster import ClusterNode, RedisCluster
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


class NotReplicated(RedisTimeoutError):
    """With ``redis_wait_replicas``: fewer replicas than asked confirmed a write
    in time (server/store/replication.py). Retryable, as a timeout is."""


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
    ``replica`` (a write no replica confirmed in time), ``pool`` (no free
    connection in time), ``timeout`` or ``connection``."""
    if isinstance(exc, RedisFull):
        return "oom"
    if isinstance(exc, RedisBusy):
        return "busy"
    if isinstance(exc, NotReplicated):
        return "replica"
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
    """The hub's command client for ``settings.redis_url`` (a cluster URL gets
    :func:`cluster_client`)."""
    seeds = cluster_seeds(settings.redis_url)
    if seeds is not None:
        return cluster_client(seeds, settings, client_name="xs-hub")  # type: ignore[return-value]
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


# --- Redis Cluster ------------------------------------------------------------------

CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}  # scheme -> TLS


@dataclass(frozen=True)
class ClusterSeeds:
    """What a ``redis+cluster://`` URL says: seed nodes and credentials."""

    nodes: tuple[tuple[str, int], ...]
    username: str | None = None
    password: str | None = None
    ssl: bool = False

    def node_kwargs(self) -> dict[str, Any]:
        """Connection arguments every node shares (credentials, TLS)."""
        out: dict[str, Any] = {"username": self.username, "password": self.password}
        if self.ssl:
            out["connection_class"] = aioredis.SSLConnection
        return out


def cluster_seeds(url: str) -> ClusterSeeds | None:
    """The seeds of a cluster URL, or None for a single-node URL.

    ``redis+cluster://[user:password@]host:port[,host:port...]``; the port
    defaults to 6379. Query options are refused rather than silently ignored."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in CLUSTER_SCHEMES:
        return None
    creds, at, hosts = rest.rpartition("@")
    hosts = hosts.rstrip("/")
    if "?" in hosts or "/" in hosts:
        raise ValueError("a redis+cluster:// URL takes no database, path or options")
    nodes = []
    for part in hosts.split(","):
        parsed = urlsplit("//" + part.strip())
        if not parsed.hostname:
            raise ValueError(f"no host in the cluster seed {part!r}")
        nodes.append((parsed.hostname, parsed.port or 6379))
    user, _, password = creds.partition(":") if at else ("", "", "")
    return ClusterSeeds(
        tuple(nodes), unquote(user) or None, unquote(password) or None, CLUSTER_SCHEMES[scheme]
    )


def is_cluster(client: object) -> bool:
    return isinstance(client, RedisCluster)


def cluster_client(seeds: ClusterSeeds, settings: Settings, *, client_name: str) -> RedisCluster:
    """redis-py's ``RedisCluster`` with the command client's policy.

    Every keyword is one ``RedisCluster`` takes (it refuses ``parser_class``
    and has no blocking pool): ``max_connections`` is per node, a command
    waits for nothing but raises when a node's connections are all busy (the
    batcher keeps one pipeline in flight, so that takes a burst of reads far
    above the pool size). The retry covers a node that moved or failed over:
    redis-py refreshes the slot map on MOVED and on a connection error and
    tries again. The reply parser that tells OOM and BUSY apart is set on the
    connection arguments the nodes are built from.
    """
    extra = seeds.node_kwargs()
    client = RedisCluster(
        startup_nodes=[ClusterNode(host, port, **extra) for host, port in seeds.nodes],
        require_full_coverage=True,
        max_connections=settings.redis_pool_size,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        health_check_interval=0,
        client_name=client_name,
        username=seeds.username,
        password=seeds.password,
        ssl=seeds.ssl,
    )
    # Nodes discovered from the slot map are built from these arguments; the
    # seeds were built before, so they get it too.
    client.connection_kwargs["parser_class"] = ReplyParser
    for node in client.startup_nodes:
        node.connection_kwargs["parser_class"] = ReplyParser
    return client


async def scan_slot(
    redis: aioredis.Redis, match: str, cursor: int, count: int
) -> tuple[int, list[Any]]:
    """One ``SCAN`` step over the keys matching ``match``, a pattern whose hash
    tag names one slot (``xs:{<bid>}:*``). On a cluster only the node serving
    that slot is scanned (redis-py's own scan walks every node); a slot that
    moves during the scan ends it early, which the callers' second pass covers."""
    if not is_cluster(redis):
        found_cursor, found = await redis.scan(cursor, match=match, count=count)
        return int(found_cursor), list(found)
    cluster: Any = redis
    node = cluster.get_node_from_key(match)
    cursors, found = await cluster.execute_command(
        "SCAN", cursor, "MATCH", match, "COUNT", count, target_nodes=node
    )
    return int(next(iter(cursors.values()))), list(found)
