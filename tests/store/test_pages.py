"""questions_page.lua and the first screen of snapshot.lua (``lua/_pages.lua``):
every question is reached by paging, once, in its list's order; a snapshot
holds the first page of each list whatever the number of questions; the votes
index (``keys.by_votes``) follows every write that moves a question or its votes."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.domain import paging
from server.domain import question as qn
from server.domain.transitions import allowed_from
from server.store import keys
from server.store.store import Store
from tests.store.helpers import ask, dump, idem, new_broadcast

pytestmark = pytest.mark.anyio
S = qn.QuestionStatus
TOP_SPAN = 2**22


def text_of(i: int) -> str:
    # Distinct texts without digit runs that fold alike (the duplicate check).
    return "问题" + "".join(chr(0x4E00 + 10 * n + int(d)) for n, d in enumerate(str(i)))


async def many(store: Store, bid: str, n: int) -> list[int]:
    """``n`` questions from ``n`` viewers, asked concurrently (several per ms)."""
    results = await asyncio.gather(*(ask(store, bid, text_of(i), vid=f"v{i}") for i in range(n)))
    return [r["qid"] for r in results]


async def move(store: Store, bid: str, qid: int, target: S) -> None:
    result = await store.set_status(
        bid, idem(), user="mod1", qid=qid, target=target.value,
        allowed_from=allowed_from(qn.QUESTION_TRANSITIONS, target), expect=None, reason="",
    )  # fmt: skip
    assert result.get("ok"), result


async def page_all(
    store: Store, bid: str, statuses: tuple[str, ...], order: str, size: int
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = await store.questions_page(bid, statuses, order, after, size)
        assert page is not None
        assert len(page["questions"]) <= size
        out.extend(item["q"] for item in page["questions"])
        after = page["next"]
        if after is None:
            return out


async def test_paging_reaches_the_2001st_oldest_pending_question(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid, moderation=True)
    qids = await many(store, bid, 2101)
    created = {int(m): s for m, s in await redis.zrange(keys.by_status(bid, "pending"), 0, -1,
                                                         withscores=True)}  # fmt: skip
    # Asked concurrently: some share a millisecond, the cursor's ties are exercised.
    assert len(set(created.values())) < len(created)
    before = await dump(redis, bid)
    got = await page_all(store, bid, ("pending",), "old", 200)
    assert await dump(redis, bid) == before  # a read
    oldest_first = sorted(qids, key=lambda q: (created[q], q))
    assert [q["id"] for q in got] == oldest_first
    assert got[2000]["id"] == oldest_first[2000]
    newest = await page_all(store, bid, ("pending",), "new", 137)
    assert [q["id"] for q in newest] == oldest_first[::-1]
    # The snapshot holds the first screen only, with the cursor of the rest.
    snap = await store.snapshot(bid, "moderator")
    assert snap is not None
    ids = [item["q"]["id"] for item in snap["questions"]]
    assert ids == oldest_first[: paging.FIRST_PAGE]
    assert snap["total"]["pending"] == 2101
    cursor = snap["more"]["pending.old"]
    assert cursor is not None
    rest = await store.questions_page(bid, ("pending",), "old", cursor, paging.MAX)
    assert rest is not None
    assert [i["q"]["id"] for i in rest["questions"]] == oldest_first[50:250]


async def test_public_list_by_votes_and_by_time_over_the_public_statuses(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid, moderation=False)
    qids = await many(store, bid, 120)
    await move(store, bid, qids[3], S.ANSWERED)
    await move(store, bid, qids[7], S.ON_AIR)
    await move(store, bid, qids[9], S.REJECTED)  # leaves the public list
    votes = {qids[i]: n for i, n in ((5, 3), (60, 2), (3, 2), (100, 1), (9, 4))}
    for qid, n in votes.items():
        if qid == qids[9]:
            continue  # rejected questions take no upvotes
        for v in range(n):
            up = await store.upvote(bid, f"v:u{v}:{secrets.token_hex(3)}", vid=f"u{v}", qid=qid,
                                    on=True)  # fmt: skip
            assert up.get("ok"), up
    public = tuple(s.value for s in (S.APPROVED, S.ON_AIR, S.ANSWERED))
    top = await page_all(store, bid, public, "top", 25)
    expected = sorted(
        (q for q in qids if q != qids[9]), key=lambda q: (votes.get(q, 0), q), reverse=True
    )
    assert [q["id"] for q in top] == expected
    assert [q["votes"] for q in top[:4]] == [3, 2, 2, 1]
    new = await page_all(store, bid, public, "new", 40)
    created = {q["id"]: q["created"] for q in top}
    assert [q["id"] for q in new] == sorted(expected, key=lambda q: (created[q], q), reverse=True)
    # Withdrawn upvotes move the question back down.
    down = await store.upvote(bid, f"v:u0:{secrets.token_hex(3)}", vid="u0", qid=qids[5], on=False)
    assert down.get("ok")
    first = await store.questions_page(bid, public, "top", None, 1)
    assert first is not None
    assert first["questions"][0]["q"]["id"] == max(qids[60], qids[3])
    # The viewer snapshot: the first page by votes and by time, nothing else.
    snap = await store.snapshot(bid, "viewer", limit=10)
    assert snap is not None
    ids = {item["q"]["id"] for item in snap["questions"]}
    assert qids[9] not in ids
    assert snap["total"] == {"public": 119}
    assert set(snap["more"]) == {"public.top", "public.new"}
    assert len(ids) <= 20


async def test_the_votes_index_follows_every_move(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid, moderation=True)
    a, b, c, d = await many(store, bid, 4)
    await move(store, bid, a, S.APPROVED)
    await move(store, bid, b, S.APPROVED)
    up = await store.upvote(bid, "v:x:1", vid="x", qid=a, on=True)
    assert up.get("ok")
    merged = await store.merge(bid, idem(), user="mod1", qid=a, into=b,
                               refused_targets=["merged", "rejected"])  # fmt: skip
    assert merged.get("ok"), merged
    await store.ban(bid, idem(), user="mod1", qid=c, on=True, pseudonym="p")
    for status in S:
        by_time = await redis.zrange(keys.by_status(bid, status.value), 0, -1)
        by_votes = await redis.zrange(keys.by_votes(bid, status.value), 0, -1, withscores=True)
        assert sorted(by_time) == sorted(m for m, _ in by_votes), status
        for member, score in by_votes:
            q = await redis.hget(keys.question(bid, int(member)), "votes")
            assert score == int(q or 0) * TOP_SPAN + int(member)
    assert await redis.zscore(keys.by_votes(bid, "merged"), a) is not None
    assert await redis.zscore(keys.by_votes(bid, "rejected"), c) is not None
    assert await redis.zscore(keys.by_votes(bid, "pending"), d) is not None


async def test_a_broadcast_written_before_the_votes_index_gets_it_on_first_read(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid, moderation=False)
    qids = await many(store, bid, 30)
    await store.upvote(bid, "v:x:1", vid="x", qid=qids[4], on=True)
    await redis.delete(keys.by_votes(bid, "approved"))
    page = await store.questions_page(bid, ("approved",), "top", None, 5)
    assert page is not None
    assert page["questions"][0]["q"]["id"] == qids[4]
    assert await redis.zcard(keys.by_votes(bid, "approved")) == 30


async def test_paging_a_missing_broadcast_or_past_the_end(store: Store, bid: str) -> None:
    assert await store.questions_page(bid, ("approved",), "new", None, 10) is None
    await new_broadcast(store, bid, moderation=False)
    await many(store, bid, 3)
    page = await store.questions_page(bid, ("approved",), "new", None, 3)
    assert page is not None and len(page["questions"]) == 3 and page["next"] is None
    empty = await store.questions_page(bid, ("approved",), "new", "1:1", 3)
    assert empty is not None and empty["questions"] == [] and empty["next"] is None
