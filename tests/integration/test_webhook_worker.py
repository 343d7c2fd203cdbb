"""The webhook delivery worker against a real redis-server and a local receiver.

The receiver (127.0.0.1, allowed by the operator's ``allow_private``) answers
503 to the first two deliveries and 200 after: the worker retries with
backoff, the third attempt lands, every attempt is in the delivery log, each
retry carries the same delivery id, and every signature verifies.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator

import orjson
import pytest
import redis.asyncio as aioredis

from server.domain import webhooks as wh
from server.domain.question import QuestionStatus
from server.live.webhooks import WebhookWorker, WorkerConfig
from server.settings import Settings
from server.store.store import Store
from server.store.webhooks import Webhooks
from tests.integration.hub_helpers import open_redis
from tests.integration.record_helpers import Receiver, go_live, move, new_broadcast

pytestmark = pytest.mark.anyio

SECRET = "k" * 32


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    async with open_redis(redis_url) as client:
        yield client


async def test_failing_receiver_gets_the_delivery_on_the_third_attempt(
    redis: aioredis.Redis,
) -> None:
    store = Store(redis, Settings())
    bid = await new_broadcast(store, moderation=True)
    async with Receiver(fail=2) as receiver:
        hooks = Webhooks(redis)
        hook_id = secrets.token_hex(4)
        await hooks.put({"id": hook_id, "url": receiver.url,
                         "secret": SECRET, "events": ["question.approved"], "bid": bid,
                         "created": 1}, user="admin")  # fmt: skip
        config = WorkerConfig(poll_s=0.05, retry_base_s=0.2, allow_private=True, lease_ms=2000)
        worker = WebhookWorker(redis, "proc-" + secrets.token_hex(3), config)
        await worker.pass_once()  # a draft: its events are read past
        await store.ask(bid, "a1", vid="asker-vid", text="社区停车难", name="王", tag=None,
                        fp="f")  # fmt: skip
        await move(store, bid, 1, QuestionStatus.APPROVED)
        await worker.pass_once()
        assert receiver.requests == []  # approved in a draft (a rehearsal): never sent
        await go_live(store, bid)
        await store.ask(bid, "a2", vid="asker-vid", text="公交线路调整", name="王", tag=None,
                        fp="g")  # fmt: skip
        await move(store, bid, 2, QuestionStatus.APPROVED)
        task = asyncio.create_task(worker.run())
        try:
            for _ in range(200):
                if worker.delivered:
                    break
                await asyncio.sleep(0.05)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    assert len(receiver.requests) == 3
    ids = {r["headers"][wh.ID_HEADER.lower()] for r in receiver.requests}
    assert len(ids) == 1  # the same idempotency id on every attempt
    for r in receiver.requests:
        assert r["line"] == "POST /hook HTTP/1.1"
        assert wh.verify(SECRET, r["headers"][wh.SIGNATURE_HEADER.lower()], r["body"],
                         int(time.time()))  # fmt: skip
        body = orjson.loads(r["body"])
        assert body["event"] == "question.approved" and body["data"]["question"]["id"] == 2
        assert b"asker-vid" not in r["body"]
    gaps = [
        b["at"] - a["at"] for a, b in zip(receiver.requests, receiver.requests[1:], strict=False)
    ]
    assert gaps[0] >= 0.15 and gaps[1] >= 0.35  # 0.2 s, then 0.4 s: exponential
    entries = await hooks.log(50, hook=hook_id)
    assert [e["outcome"] for e in reversed(entries)] == ["retry", "retry", "ok"]
    assert [e["status"] for e in reversed(entries)] == [503, 503, 200]
    later = await hooks.due(int(time.time() * 1000) + 10**9, 1000)
    assert not [d for d in later if d["id"].startswith(bid)]  # delivered: left the queue


async def test_loopback_target_is_refused_without_the_allowance(redis: aioredis.Redis) -> None:
    store = Store(redis, Settings())
    bid = await new_broadcast(store, moderation=False)
    async with Receiver(fail=0) as receiver:
        hooks = Webhooks(redis)
        hook_id = secrets.token_hex(4)
        await hooks.put({"id": hook_id, "url": f"http://localhost:{receiver.port}/",
                         "secret": SECRET, "events": ["broadcast.started"], "bid": bid,
                         "created": 1}, user="admin")  # fmt: skip
        worker = WebhookWorker(redis, "p-" + secrets.token_hex(3),
                               WorkerConfig(max_attempts=1, lease_ms=2000))  # fmt: skip
        await worker.pass_once()
        await go_live(store, bid)
        await worker.pass_once()
        await worker.pass_once()
        await worker.release()
    assert receiver.requests == []
    (entry,) = await hooks.log(5, hook=hook_id)
    assert entry["outcome"] == "failed" and "loopback" in entry["error"]
