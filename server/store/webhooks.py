"""Webhooks in Redis: their configuration, the delivery queue and the delivery log.

Every key is under ``xs:{dep}:hooks:`` (the deployment's hash slot): configs (``HOOKS``: id ->
JSON with url, secret, events, broadcast scope), the worker's read position
per broadcast, the due queue (a zset of delivery ids by due time), one hash
per pending delivery (its body, its attempts) and the log (a capped stream).

Writes are scripts (``lua/hooks_*.lua``): adding or removing a webhook is
audited in the deployment's log in the same step; queuing deliveries moves
the read position in the same step (at-least-once, never lost); an attempt's
end is logged together with its retry or its removal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import redis.asyncio as aioredis

from server.store import keys
from server.store.scripts import decoded, load, text

Json = dict[str, Any]


class Webhooks:
    def __init__(self, redis: aioredis.Redis, log_maxlen: int = 10_000) -> None:
        self.redis = redis
        self.log_maxlen = log_maxlen
        self._put = load(redis, "hooks_put")
        self._enqueue = load(redis, "hooks_enqueue")
        self._done = load(redis, "hooks_done")
        self._lease = load(redis, "hooks_lock")

    # --- configuration (administrators) ---------------------------------------------

    async def put(self, hook: Mapping[str, Any], *, user: str) -> Json:
        detail = {k: hook[k] for k in ("url", "events", "bid") if k in hook}
        raw = await self._put(
            keys=[keys.HOOKS, keys.AUDIT],
            args=[keys.DEPLOYMENT_PREFIX, "put", user, hook["id"], orjson.dumps(dict(hook)),
                  orjson.dumps(detail)],
        )  # fmt: skip
        return decoded(raw)

    async def remove(self, hook_id: str, *, user: str) -> Json:
        raw = await self._put(
            keys=[keys.HOOKS, keys.AUDIT],
            args=[keys.DEPLOYMENT_PREFIX, "remove", user, hook_id, "", "{}"],
        )
        return decoded(raw)

    async def all(self) -> list[Json]:
        """Every webhook with its secret (the worker signs with it), oldest first."""
        raw = await self.redis.hgetall(keys.HOOKS)
        hooks = [orjson.loads(v) for v in raw.values()]
        return sorted(hooks, key=lambda h: (int(h.get("created", 0)), str(h.get("id"))))

    # --- the delivery worker ----------------------------------------------------------

    async def lease(self, proc: str, ttl_ms: int) -> bool:
        """Take or renew the delivery lease (``ttl_ms`` > 0); False while another
        process holds it."""
        return bool(await self._lease(keys=[keys.HOOKS_LEASE], args=[keys.HOOKS_PREFIX, proc,
                                                                    ttl_ms]))  # fmt: skip

    async def release(self, proc: str) -> None:
        await self._lease(keys=[keys.HOOKS_LEASE], args=[keys.HOOKS_PREFIX, proc, 0])

    async def positions(self, bids: Sequence[str]) -> list[str | None]:
        if not bids:
            return []
        found = await self.redis.hmget(keys.HOOKS_POS, list(bids))
        return [text(v) if v is not None else None for v in found]

    async def enqueue(
        self, bid: str, pos: str, deliveries: Sequence[tuple[str, str, bytes]]
    ) -> int:
        """Queue (delivery id, webhook id, body) and move ``bid``'s read position to ``pos``."""
        args: list[Any] = [keys.HOOKS_PREFIX, bid, pos]
        hashes = []
        for delivery, hook, body in deliveries:
            args += (delivery, hook, body)
            hashes.append(keys.hook_delivery(delivery))
        raw = await self._enqueue(keys=[keys.HOOKS_POS, keys.HOOKS_DUE, *hashes], args=args)
        return int(orjson.loads(raw)["queued"])

    async def due(self, now_ms: int, limit: int) -> list[Json]:
        """Deliveries due now, oldest first: id, hook, body (bytes), attempts."""
        ids = [text(i) for i in await self.redis.zrangebyscore(keys.HOOKS_DUE, "-inf", now_ms,
                                                               start=0, num=limit)]  # fmt: skip
        if not ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for delivery in ids:
            pipe.hmget(keys.hook_delivery(delivery), "hook", "body", "attempts")
        found = []
        for delivery, (hook, body, attempts) in zip(ids, await pipe.execute(), strict=True):
            if hook is None:
                await self.redis.zrem(keys.HOOKS_DUE, delivery)  # a stray id: nothing to send
                continue
            found.append({"id": delivery, "hook": text(hook), "body": body,
                          "attempts": int(attempts or 0)})  # fmt: skip
        return found

    async def done(
        self, delivery: str, *, outcome: str, status: int, error: str, next_due_ms: int,
        took_ms: int,
    ) -> int:  # fmt: skip
        """Record an attempt (``ok`` | ``retry`` | ``failed``); returns its number."""
        raw = await self._done(
            keys=[keys.HOOKS_DUE, keys.HOOKS_LOG, keys.hook_delivery(delivery)],
            args=[keys.HOOKS_PREFIX, delivery, outcome, status, error[:300], next_due_ms,
                  self.log_maxlen, took_ms],
        )  # fmt: skip
        return int(orjson.loads(raw).get("attempt", 0))

    async def log(self, limit: int, hook: str | None = None) -> list[Json]:
        """The newest attempts first (the console's delivery log)."""
        rows: Any = await self.redis.xrevrange(keys.HOOKS_LOG, count=limit if not hook else 2000)
        out = []
        for rid, fields in rows:
            f = {text(k): text(v) for k, v in fields.items()}
            if hook and f.get("hook") != hook:
                continue
            out.append({
                "ts": int(text(rid).split("-", 1)[0]), "delivery": f.get("delivery"),
                "hook": f.get("hook"), "event": f.get("event"), "broadcast": f.get("broadcast"),
                "attempt": int(f.get("attempt", "0")), "outcome": f.get("outcome"),
                "status": int(f.get("status", "0") or 0), "error": f.get("error", ""),
                "ms": int(f.get("ms", "0") or 0),
            })  # fmt: skip
            if len(out) >= limit:
                break
        return out

    async def pending(self) -> int:
        return int(await self.redis.zcard(keys.HOOKS_DUE))
