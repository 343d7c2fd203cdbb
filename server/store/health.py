"""How Redis is doing, as the hub's writes see it (docs/reliability.md 32).

Every failed Redis operation is counted by kind (``xs_redis_failures_total``:
oom, busy, pool, timeout, connection) and by operation, and logged as one line
without a traceback, at most once per kind every ``LOG_EVERY_S`` (with how many
were left out), so a full Redis cannot flood the log. A write refused with OOM
or BUSY marks the store *degraded*: PING still answers then, so ``/readyz``
asks ``probe()`` (a one-second key write) until a write passes again.
"""

from __future__ import annotations

import logging
import time

import redis.asyncio as aioredis

from server.metrics import Metrics
from server.store import keys
from server.store.redis_client import failure_kind

log = logging.getLogger("xs.redis")

LOG_EVERY_S = 10.0
_DEGRADING = frozenset({"oom", "busy"})  # Redis answers PING but refuses writes


class RedisHealth:
    """One per hub process."""

    def __init__(self, metrics: Metrics, *, proc: str) -> None:
        self._metrics = metrics
        self._probe_key = keys.probe(proc)
        self._logged: dict[str, float] = {}  # kind -> when last logged (monotonic)
        self._quiet: dict[str, int] = {}  # kind -> failures not logged since
        self.degraded = False

    def failed(self, exc: BaseException, *, op: str) -> str:
        """Count and (rate-limited) log one failure; returns its kind."""
        kind = failure_kind(exc)
        self._metrics.redis_errors_total.inc(op=op)
        self._metrics.redis_failures_total.inc(kind=kind)
        if kind in _DEGRADING:
            self.degraded = True
        now = time.monotonic()
        if now - self._logged.get(kind, -LOG_EVERY_S) >= LOG_EVERY_S:
            left_out = self._quiet.pop(kind, 0)
            self._logged[kind] = now
            log.warning(
                "Redis unavailable (%s) during %s: %s%s", kind, op, str(exc)[:120],
                f" ({left_out} more since the last line)" if left_out else "",
            )  # fmt: skip
        else:
            self._quiet[kind] = self._quiet.get(kind, 0) + 1
        return kind

    def succeeded(self) -> None:
        """A write went through: Redis takes writes again."""
        self.degraded = False

    async def probe(self, redis: aioredis.Redis) -> bool:
        """While degraded: can Redis take a write now? (clears the flag if so)."""
        if not self.degraded:
            return True
        try:
            await redis.set(self._probe_key, "1", px=1000)
        except Exception as exc:  # any failure means "not yet"
            self.failed(exc, op="probe")
            return False
        self.succeeded()
        return True
