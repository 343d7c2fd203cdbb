"""poll_delete.lua through ``Store``: a draft goes, with its event and audit
entry, once; an open or closed poll, or a draft chosen for the overlay, stays."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from server.domain import poll as pl
from server.store import keys
from server.store.store import Result, Store
from tests.store.helpers import applied_once, audit, idem, new_broadcast, refused
from tests.store.test_polls import new_poll, set_state

pytestmark = pytest.mark.anyio
P = pl.PollState
DELETABLE = sorted(s.value for s in pl.DELETABLE_STATES)


async def delete(store: Store, bid: str, pid: int, cmd: str | None = None) -> Result:
    return await store.delete_poll(bid, cmd or idem(), user="mod1", pid=pid, deletable=DELETABLE)


async def test_a_draft_is_deleted_once_with_its_event_and_audit_entry(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    kept = (await new_poll(store, bid))["poll"]
    pid = (await new_poll(store, bid))["poll"]
    cmd = idem()
    result, [event] = await applied_once(redis, bid, lambda: delete(store, bid, pid, cmd))
    assert result["ok"] and result["poll"] == pid and result["pos"] == event["pos"]
    assert (event["type"], event["poll"]) == ("poll_deleted", pid)
    assert not await redis.exists(
        keys.poll(bid, pid), keys.tallies(bid, pid), keys.ballots(bid, pid)
    )
    assert [int(m) for m in await redis.zrange(keys.polls(bid), 0, -1)] == [kept]
    entry = (await audit(redis, keys.audit(bid)))[-1]
    assert (entry["action"], entry["target"], entry["user"]) == (
        "poll.delete",
        f"poll:{pid}",
        "mod1",
    )
    assert entry["detail"] == '{"question":"哪天更方便？"}'
    # Gone: a second delete (another command) and a state change find nothing.
    await refused(redis, bid, lambda: delete(store, bid, pid), "not_found")
    await refused(redis, bid, lambda: set_state(store, bid, pid, P.OPEN), "not_found")
    # Ids are never reused.
    assert (await new_poll(store, bid))["poll"] == pid + 1


@pytest.mark.parametrize("current", [P.OPEN, P.CLOSED])
async def test_an_open_or_closed_poll_is_refused(
    store: Store, redis: aioredis.Redis, bid: str, current: P
) -> None:
    await new_broadcast(store, bid)
    pid = (await new_poll(store, bid))["poll"]
    for step in {P.OPEN: [P.OPEN], P.CLOSED: [P.OPEN, P.CLOSED]}[current]:
        assert (await set_state(store, bid, pid, step))["ok"]
    result = await refused(redis, bid, lambda: delete(store, bid, pid), "conflict")
    assert result["msg"] == f"poll {pid} is {current}; only a draft poll can be deleted"
    assert result["current"] == current


async def test_a_draft_chosen_for_the_overlay_is_refused(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    pid = (await new_poll(store, bid))["poll"]
    assert (await store.show_overlay(bid, idem(), user="mod1", show="poll", pid=pid))["ok"]
    result = await refused(redis, bid, lambda: delete(store, bid, pid), "conflict")
    assert "chosen for the overlay" in result["msg"]
    assert (await store.show_overlay(bid, idem(), user="mod1", show=None, pid=None))["ok"]
    assert (await delete(store, bid, pid))["ok"]


async def test_unknown_broadcast_or_poll(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await refused(redis, bid, lambda: delete(store, bid, 1), "not_found")
    await new_broadcast(store, bid)
    await refused(redis, bid, lambda: delete(store, bid, 99), "not_found")
