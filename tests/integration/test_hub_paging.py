"""Paging through a real hub (docs/protocol.md, "Paging"): a snapshot holds the
first screen only, whatever the number of questions, and ``questions.page``
reaches every other one: a moderator the 2,001st oldest pending question, a
viewer every public one but never a pending one; a socket paging too fast is
refused by its budget."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from bench.joins import fill
from server.domain import paging
from tests.integration.harness import HubProcess, new_moderator
from tests.integration.hub_helpers import (
    Clients,
    new_viewer,
    ok,
    open_redis,
    refused,
    running_hub,
)

pytestmark = pytest.mark.anyio
PENDING = 2101


async def seed(redis_url: str, bid: str, n: int) -> list[int]:
    """``n`` questions from ``n`` viewers, through ask.lua as the hub writes them."""
    return await fill(redis_url, bid, n, approved=0)


async def test_a_moderator_pages_to_the_2001st_oldest_pending_question(
    hub: HubProcess, redis_url: str
) -> None:
    moderator = await new_moderator(redis_url, hub.base)
    bid = (await moderator.create_broadcast(settings={"moderation": True}))["id"]
    qids = await seed(redis_url, bid, PENDING)
    async with open_redis(redis_url) as redis, Clients() as clients:
        console = clients.add(moderator.client(bid))
        await console.connect()
        state = await console.wait_state(lambda s: s.snapshots == 1)
        # The first screen: the first page of each list, not 2,101 questions.
        assert len(state.questions) <= len(paging.MODERATOR_LISTS) * paging.FIRST_PAGE
        assert state.total["pending"] == PENDING
        assert state.more["pending.old"] is not None
        snap = next(m for m in console.log if m.get("type") == "snapshot")
        assert len(orjson.dumps(snap)) < 200_000
        oldest = sorted(qids)[: paging.FIRST_PAGE]
        assert sorted(q["id"] for q in state.questions.values()) == oldest
        pages = 0
        while state.more.get("pending.old") is not None:
            reply = ok(await console.page("pending", "old", limit=paging.MAX))
            assert len(reply["questions"]) <= paging.MAX
            assert all("asker" in q for q in reply["questions"])  # pseudonyms, as in events
            pages += 1
        assert pages == -(-(PENDING - paging.FIRST_PAGE) // paging.MAX)
        pending = {q["id"] for q in state.questions.values() if q["status"] == "pending"}
        assert pending == set(qids)
        the_2001st = sorted(qids)[2000]  # ids follow the order they were asked in
        assert the_2001st in pending
        # ... and a moderator acts on it like on any other.
        moved = ok(await console.command("q.status", qid=the_2001st, status="approved"))
        await console.wait_for(lambda e: e.get("pos") == moved["pos"])
        assert state.questions[the_2001st]["status"] == "approved"
        assert state.total["approved"] == 1 and state.total["pending"] == PENDING - 1

        # A viewer: the public list only, and the new question in it.
        viewer = await new_viewer(clients, redis, hub.base, bid)
        vstate = await viewer.wait_state(lambda s: s.snapshots == 1)
        assert set(vstate.questions) == {the_2001st}
        refused(await viewer.page("pending", "old", after="1:1"), "forbidden")
        refused(await viewer.page("rejected", "new"), "forbidden")
        assert ok(await viewer.page("public", "top"))["next"] is None


async def test_viewers_page_every_public_question_in_both_orders(
    hub: HubProcess, redis_url: str
) -> None:
    moderator = await new_moderator(redis_url, hub.base)
    bid = (await moderator.create_broadcast(settings={"moderation": False}))["id"]
    qids = await seed(redis_url, bid, 260)
    async with open_redis(redis_url) as redis, Clients() as clients:
        viewer = await new_viewer(clients, redis, hub.base, bid)
        state = await viewer.wait_state(lambda s: s.snapshots == 1)
        assert state.total == {"public": 260}
        # The first screen: the 50 most upvoted (all at 0: the newest) and the 50 newest.
        assert set(state.questions) == set(sorted(qids)[-paging.FIRST_PAGE :])
        seen_new: list[int] = []
        while state.more.get("public.new") is not None:
            seen_new += [q["id"] for q in ok(await viewer.page("public", "new"))["questions"]]
        assert seen_new == sorted(qids, reverse=True)[paging.FIRST_PAGE :]
        assert set(state.questions) == set(qids)
        # Questions carry the public fields only.
        assert all("asker" not in q and "flags" not in q for q in state.questions.values())


@pytest.fixture
def slow_pages_hub(redis_url: str, tmp_path: Path) -> Iterator[HubProcess]:
    with running_hub(redis_url, tmp_path, PAGES_BURST="3", PAGES_PER_MIN="0.01") as process:
        yield process


async def test_a_socket_paging_faster_than_its_budget_is_refused(
    slow_pages_hub: HubProcess, redis_url: str
) -> None:
    hub = slow_pages_hub
    moderator = await new_moderator(redis_url, hub.base)
    bid = (await moderator.create_broadcast(settings={"moderation": False}))["id"]
    await seed(redis_url, bid, 10)
    async with open_redis(redis_url) as redis, Clients() as clients:
        viewer = await new_viewer(clients, redis, hub.base, bid)
        for _ in range(3):
            ok(await viewer.page("public", "new", limit=1))
        refused(await viewer.page("public", "new", limit=1), "rate_limited", retryable=True)
