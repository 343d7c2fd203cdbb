"""Webhooks in Redis (server/store/webhooks.py, lua/hooks_*.lua) on a real redis-server."""

from __future__ import annotations

import secrets
import time

import orjson
import pytest
import redis.asyncio as aioredis

from server.domain.errors import Rejection
from server.store import keys
from server.store.webhooks import Webhooks

pytestmark = pytest.mark.anyio


async def test_put_remove_audited(redis: aioredis.Redis) -> None:
    hooks = Webhooks(redis)
    hid = "h" + secrets.token_hex(4)
    config = {"id": hid, "url": "https://portal.example.gov.cn/h", "secret": "s" * 32,
              "events": ["poll.closed"], "bid": None, "created": 1}  # fmt: skip
    await hooks.put(config, user="admin1")
    assert [h for h in await hooks.all() if h["id"] == hid] == [config]
    await hooks.remove(hid, user="admin1")
    assert not [h for h in await hooks.all() if h["id"] == hid]
    with pytest.raises(Rejection) as refused:
        await hooks.remove(hid, user="admin1")
    assert refused.value.code == "not_found"
    rows = await redis.xrevrange(keys.AUDIT, count=50)
    mine = [
        (f[b"action"], f[b"user"]) for _, f in rows if f[b"target"] == f"webhook:{hid}".encode()
    ]
    assert mine == [(b"webhook.remove", b"admin1"), (b"webhook.add", b"admin1")]
    assert b"s" * 32 not in b"".join(f[b"detail"] for _, f in rows)  # the secret is not audited


async def test_lease_is_held_by_one_process(redis: aioredis.Redis) -> None:
    hooks = Webhooks(redis)
    await redis.delete(keys.HOOKS_LEASE)
    assert await hooks.lease("a", 5000) and await hooks.lease("a", 5000)  # renewed
    assert not await hooks.lease("b", 5000)
    await hooks.release("b")  # not b's to release
    assert not await hooks.lease("b", 5000)
    await hooks.release("a")
    assert await hooks.lease("b", 5000)
    await hooks.release("b")


async def test_enqueue_once_then_retry_then_done(redis: aioredis.Redis) -> None:
    hooks = Webhooks(redis)
    bid = "s-" + secrets.token_hex(5)
    did = f"{bid}.1-0.poll.closed.h1"
    body = orjson.dumps({"event": "poll.closed", "broadcast": bid})
    assert await hooks.enqueue(bid, "1-0", [(did, "h1", body)]) == 1
    assert await hooks.enqueue(bid, "1-0", [(did, "h1", body)]) == 0  # re-read: not twice
    assert await hooks.positions([bid]) == ["1-0"]
    now = int(time.time() * 1000)
    (due,) = [d for d in await hooks.due(now + 1000, 1000) if d["id"] == did]
    assert (due["hook"], due["body"], due["attempts"]) == ("h1", body, 0)
    later = now + 60_000
    assert await hooks.done(did, outcome="retry", status=503, error="HTTP 503",
                            next_due_ms=later, took_ms=5) == 1  # fmt: skip
    assert not [d for d in await hooks.due(now + 1000, 1000) if d["id"] == did]
    (again,) = [d for d in await hooks.due(later, 1000) if d["id"] == did]
    assert again["attempts"] == 1
    assert await hooks.done(did, outcome="ok", status=200, error="", next_due_ms=0, took_ms=3) == 2
    assert not await redis.exists(keys.hook_delivery(did))
    assert not [d for d in await hooks.due(later, 1000) if d["id"] == did]
    log = [e for e in await hooks.log(100, hook="h1") if e["delivery"] == did]
    seen = [(e["outcome"], e["status"], e["attempt"]) for e in log]
    assert seen == [("ok", 200, 2), ("retry", 503, 1)]
    # Gone: a late duplicate of the last attempt is a no-op.
    assert await hooks.done(did, outcome="ok", status=200, error="", next_due_ms=0, took_ms=1) == 0
