"""The per-minute record, counted by the write scripts themselves (real redis-server).

Each test builds a broadcast through the Store's real scripts and reads the
figures back with ``Record``: the timeline of the minute Redis was in, the
totals, views by the 30-minute session rule, unique devices, peak and when.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.domain import report
from server.domain.question import QuestionStatus
from server.settings import Settings
from server.store import keys
from server.store.record import Record
from server.store.store import Store
from tests.integration.hub_helpers import open_redis
from tests.integration.record_helpers import move, new_broadcast

pytestmark = pytest.mark.anyio


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    async with open_redis(redis_url) as client:
        yield client


async def minute_now(redis: aioredis.Redis) -> int:
    sec, usec = await redis.time()
    return int((sec * 1000 + usec // 1000) // report.MINUTE_MS)


async def test_questions_likes_votes_are_counted_in_their_minute(redis: aioredis.Redis) -> None:
    store, record = Store(redis, Settings()), Record(redis)
    bid = await new_broadcast(store, moderation=True)
    before = await minute_now(redis)
    for i in range(5):
        done = await store.ask(bid, f"a{i}", vid=f"v{i}", text=f"问题{i}", name="", tag=None,
                               fp=f"fp{i}")  # fmt: skip
        assert done["ok"]
    await move(store, bid, 1, QuestionStatus.APPROVED)
    await move(store, bid, 2, QuestionStatus.ON_AIR)  # pending -> on air: shown once
    await move(store, bid, 1, QuestionStatus.ON_AIR)  # ends 2 as answered
    await move(store, bid, 1, QuestionStatus.APPROVED)  # back: not counted again
    await move(store, bid, 3, QuestionStatus.REJECTED)
    await store.flush_likes(bid, proc="p1", seq=1, delta=40, last_ids={})
    await store.flush_likes(bid, proc="p1", seq=1, delta=40, last_ids={})  # replay: once
    await store.flush_likes(bid, proc="p2", seq=1, delta=2, last_ids={})
    poll = await store.create_poll(bid, "p", user="mod", question="好吗", options=["好", "不好"],
                                   multi=False, results="always")  # fmt: skip
    pid = int(poll["poll"])
    await store.set_poll_state(bid, "o", user="mod", pid=pid, target="open",
                               allowed_from=["draft"])  # fmt: skip
    for i in range(3):
        assert (await store.ballot(bid, f"b{i}", vid=f"v{i}", pid=pid, choices=[i % 2]))["ok"]
    await store.ballot(bid, "b0", vid="v0", pid=pid, choices=[0])  # resend: once
    after = await minute_now(redis)

    figures = await record.figures(bid)
    assert figures.totals.likes == 42

    def total(metric: str) -> int:
        return sum(figures.raw[metric].values())

    assert (total("asked"), total("approved"), total("likes"), total("votes")) == (5, 2, 42, 3)
    assert set(figures.raw["asked"]) <= {before, after}
    q = {k.decode(): v.decode() for k, v in (await redis.hgetall(keys.question(bid, 2))).items()}
    assert int(q["approved_at"]) <= int(q["onair_at"]) <= int(q["answered_at"])
    assert q["status"] == "answered"
    rows = [row async for chunk in record.questions(bid) for row in chunk]
    assert [r[0]["id"] for r in rows] == [1, 2, 3, 4, 5]
    assert all("asker" not in r[0] and "fp" not in r[0] for r in rows)
    line = report.timeline(figures.raw)
    assert sum(m.questions for m in line) == 5 and sum(m.likes for m in line) == 42


async def test_unmoderated_question_is_shown_when_asked(redis: aioredis.Redis) -> None:
    store, record = Store(redis, Settings()), Record(redis)
    bid = await new_broadcast(store, moderation=False)
    await store.ask(bid, "a", vid="v", text="直接上墙", name="", tag=None, fp="f")
    await move(store, bid, 1, QuestionStatus.ON_AIR)
    figures = await record.figures(bid)
    assert sum(figures.raw["approved"].values()) == 1
    assert sum(figures.raw["asked"].values()) == 1


async def test_views_follow_the_thirty_minute_session_rule(redis: aioredis.Redis) -> None:
    """Visits reported by two processes: a reconnect continues a view, a device
    open elsewhere continues it, a return after more than 30 minutes starts a
    new one (the old close time is written into Redis by the test)."""
    store, record = Store(redis, Settings()), Record(redis)
    bid = await new_broadcast(store, moderation=True)

    async def report_(proc: str, count: int, *visits: str) -> dict[str, Any]:
        return await store.report_presence(bid, proc=proc, count=count, ttl_ms=60_000,
                                           visits=visits)  # fmt: skip

    await report_("p1", 2, "+a", "+b")  # two new devices, two views
    await report_("p1", 1, "-a", "+a", "-b")  # a reconnects at once: same view
    await report_("p2", 2, "+a", "+c")  # a opens a second process: still one view; c new
    assert (await record.figures(bid)).totals.views == 3
    sec, _ = await redis.time()
    long_ago = (sec - 31 * 60) * 1000
    await redis.hset(keys.visits(bid), "b", long_ago)  # b left 31 minutes ago
    await redis.hset(keys.visits(bid), "c", (sec - 29 * 60) * 1000)  # c left 29 minutes ago
    await report_("p2", 3, "+b", "+c")  # b's return is a new view, c's is not
    figures = await record.figures(bid)
    assert (figures.totals.views, figures.totals.unique) == (4, 3)
    # a's close was lost (its process was killed) 13 hours ago: a's next visit is new.
    await redis.hset(keys.visits(bid), "a", f"in:{(sec - 13 * 3600) * 1000}")
    await report_("p1", 1, "+a")
    await redis.hset(keys.visits(bid), "c", f"in:{(sec - 3600) * 1000}")  # open an hour
    await report_("p1", 1, "+c")  # still the same visit
    assert (await record.figures(bid)).totals.views == 5
    await redis.hset(keys.visits(bid), "a", (sec - 60) * 1000)
    await report_("p1", 1, "+a")  # back after a minute: the same visit
    figures = await record.figures(bid)
    assert (figures.totals.views, figures.totals.unique) == (5, 3)
    assert sum(figures.raw["views"].values()) == 5
    assert sum(figures.raw["devices"].values()) == 3
    # p1's entry (1) and p2's (3) are summed: the minute's maximum and the peak.
    assert figures.totals.peak == 4 and figures.totals.viewers_now == 4
    assert figures.totals.peak_at is not None
    assert max(figures.raw["viewers"].values()) == 4
    await report_("p1", 0)
    await report_("p2", 0, "-a", "-b", "-c")
    figures = await record.figures(bid)
    assert (figures.totals.peak, figures.totals.viewers_now) == (4, 0)
    assert max(figures.raw["viewers"].values()) == 4  # a minute keeps its highest


async def test_timeline_is_bounded(redis: aioredis.Redis) -> None:
    """A metric that already holds TIMELINE_MINUTES minutes records no new one."""
    store, record = Store(redis, Settings()), Record(redis)
    bid = await new_broadcast(store, moderation=False)
    now = await minute_now(redis)
    old = {str(now - 1 - i): 1 for i in range(report.TIMELINE_MINUTES)}
    await redis.hset(keys.timeline(bid, "asked"), mapping=old)
    await store.ask(bid, "a", vid="v", text="超出", name="", tag=None, fp="f")
    raw = (await record.figures(bid)).raw
    assert len(raw["asked"]) == report.TIMELINE_MINUTES and now not in raw["asked"]
    assert len(report.timeline(raw)) == report.TIMELINE_MINUTES
