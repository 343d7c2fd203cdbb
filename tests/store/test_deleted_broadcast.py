"""Writes that run late, after a broadcast was deleted, write nothing
(docs/reliability.md 27): every script checks in the same atomic step that the
broadcast still exists, so a hub process that still holds the channel (its
presence report, its like flush, a command already in flight) cannot recreate
``events``, ``presence``, ``visits`` or an idempotency record."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from server.domain.errors import Rejection
from server.settings import Settings
from server.store import keys
from server.store.deletion import Deleter
from server.store.store import Store
from tests.integration.hub_helpers import open_redis

pytestmark = pytest.mark.anyio

VID = "v" + "1" * 31


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[Store]:
    async with open_redis(redis_url) as client:
        yield Store(client, Settings())


async def _keys_of(store: Store, bid: str) -> list[str]:
    return [k for batch in [b async for b in store.scan_keys(bid)] for k in batch]


async def _deleted_broadcast(store: Store, bid: str) -> dict[str, Any]:
    """A broadcast with a question, an upvote and a poll, then deleted."""
    await store.create_broadcast(bid, title="t", topic="", settings={"moderation": False},
                                 overlay_key="k" * 32, user="admin")  # fmt: skip
    asked = await store.ask(bid, "v:x:1", vid=VID, text="问题", name="", tag="", fp="fp", ip="",
                            flags=None)  # fmt: skip
    poll = await store.create_poll(bid, "m:admin:1", user="admin", question="q",
                                   options=["a", "b"], multi=False, results="live")  # fmt: skip
    await store.set_poll_state(bid, "m:admin:2", user="admin", pid=int(poll["poll"]),
                               target="open", allowed_from=["draft"])  # fmt: skip
    await Deleter(store, Settings()).delete(bid, user="admin")
    assert await _keys_of(store, bid) == []
    return {"qid": int(asked["qid"]), "pid": int(poll["poll"])}


LATE_WRITES: dict[str, Callable[[Store, str, dict[str, Any]], Awaitable[Any]]] = {
    "presence": lambda s, bid, ids: s.report_presence(
        bid, proc="p1", count=3, ttl_ms=15_000, visits=["+" + VID]
    ),
    "likes_flush": lambda s, bid, ids: s.flush_likes(
        bid, proc="p1", seq=1, delta=5, last_ids={f"{VID}:tab": "l1"}
    ),
    "upvote": lambda s, bid, ids: s.upvote(bid, "v:x:2", vid=VID, qid=ids["qid"], on=True),
    "upvote_missing": lambda s, bid, ids: s.upvote(bid, "v:x:3", vid=VID, qid=999, on=True),
    "ballot": lambda s, bid, ids: s.ballot(bid, "v:x:4", vid=VID, pid=ids["pid"], choices=[0]),
    "ask": lambda s, bid, ids: s.ask(
        bid, "v:x:5", vid=VID, text="再问", name="", tag="", fp="fp2", ip="", flags=None
    ),
    "set_status": lambda s, bid, ids: s.set_status(
        bid,
        "m:admin:3",
        user="admin",
        qid=ids["qid"],
        target="answered",
        allowed_from=["approved"],
        expect=None,
        reason="",
    ),
    "star": lambda s, bid, ids: s.star(bid, "m:admin:4", user="admin", qid=ids["qid"], on=True),
    "poll_state": lambda s, bid, ids: s.set_poll_state(
        bid, "m:admin:5", user="admin", pid=ids["pid"], target="closed", allowed_from=["open"]
    ),
    "ban": lambda s, bid, ids: s.ban(
        bid, "m:admin:6", user="admin", qid=ids["qid"], on=True, pseudonym="x"
    ),
    "merge": lambda s, bid, ids: s.merge(
        bid, "m:admin:7", user="admin", qid=ids["qid"], into=ids["qid"] + 1, refused_targets=[]
    ),
    "epoch_bump": lambda s, bid, ids: s.bump_epoch(bid, "whatever"),
    "words_put": lambda s, bid, ids: s.put_words(bid, user="admin", entries=[("敏感", "hold")]),
}


@pytest.mark.parametrize("write", sorted(LATE_WRITES))
async def test_a_late_write_to_a_deleted_broadcast_writes_nothing(
    store: Store, unique_bid: str, write: str
) -> None:
    ids = await _deleted_broadcast(store, unique_bid)
    try:
        result = await LATE_WRITES[write](store, unique_bid, ids)
    except Rejection as exc:
        assert exc.code == "not_found"
    else:
        # The scripts whose result is not raised (presence, the epoch) say so.
        assert result in ("", {"err": "not_found", "msg": "no such broadcast"})
    assert await _keys_of(store, unique_bid) == []
    assert await store.redis.exists(keys.meta(unique_bid)) == 0
