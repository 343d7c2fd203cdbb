"""poll_create.lua, poll_state.lua, ballot.lua and overlay.lua through ``Store``."""

from __future__ import annotations

import secrets

import pytest
import redis.asyncio as aioredis

from server.domain import poll as pl
from server.domain.transitions import allowed_from
from server.store import keys
from server.store.store import Result, Store
from tests.store.helpers import applied_once, audit, events, idem, new_broadcast, refused

pytestmark = pytest.mark.anyio
P = pl.PollState


async def new_poll(
    store: Store, bid: str, *, multi: bool = False, cmd: str | None = None
) -> Result:
    return await store.create_poll(
        bid, cmd or idem(), user="mod1", question="哪天更方便？", options=["周六", "周日", "都行"],
        multi=multi, results="after_vote",
    )  # fmt: skip


async def set_state(store: Store, bid: str, pid: int, target: P, cmd: str | None = None) -> Result:
    return await store.set_poll_state(
        bid,
        cmd or idem(),
        user="mod1",
        pid=pid,
        target=target.value,
        allowed_from=allowed_from(pl.POLL_TRANSITIONS, target),
    )


async def vote(store: Store, bid: str, pid: int, choices: list[int], vid: str = "v1",
               cmd: str | None = None) -> Result:  # fmt: skip
    return await store.ballot(
        bid, cmd or f"v:{vid}:{secrets.token_hex(4)}", vid=vid, pid=pid, choices=choices
    )


async def test_create_poll(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    cmd = idem()
    result, [event] = await applied_once(redis, bid, lambda: new_poll(store, bid, cmd=cmd))
    assert result["ok"] and result["poll"] == 1 and event["type"] == "poll"
    assert event["poll"]["state"] == "draft" and event["poll"]["tallies"] == [0, 0, 0]
    assert [e["action"] for e in await audit(redis, keys.audit(bid))][-1] == "poll.create"
    await refused(redis, "s-none-" + bid, lambda: new_poll(store, "s-none-" + bid), "not_found")


@pytest.mark.parametrize("target", list(P))
@pytest.mark.parametrize("current", list(P))
async def test_poll_state_applies_the_domain_table(
    store: Store, redis: aioredis.Redis, bid: str, current: P, target: P
) -> None:
    await new_broadcast(store, bid)
    pid = (await new_poll(store, bid))["poll"]
    for step in {P.DRAFT: [], P.OPEN: [P.OPEN], P.CLOSED: [P.OPEN, P.CLOSED]}[current]:
        assert (await set_state(store, bid, pid, step))["ok"]
    if target in pl.POLL_TRANSITIONS[current]:
        cmd = idem()
        result, [event] = await applied_once(
            redis, bid, lambda: set_state(store, bid, pid, target, cmd)
        )
        assert result["state"] == target and event["poll"]["state"] == target
        return
    result = await refused(redis, bid, lambda: set_state(store, bid, pid, target), "conflict")
    assert result["msg"] == f"poll {pid} is {current}; it cannot become {target}"


async def test_ballot(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    pid = (await new_poll(store, bid))["poll"]
    await refused(redis, bid, lambda: vote(store, bid, pid, [0]), "closed")  # still a draft
    await set_state(store, bid, pid, P.OPEN)
    cmd = "v:v1:" + secrets.token_hex(4)
    result, [event] = await applied_once(redis, bid, lambda: vote(store, bid, pid, [1], cmd=cmd))
    assert result["tallies"] == [0, 1, 0] and result["ballots"] == 1 and result["mine"] == [1]
    assert event["type"] == "tally" and event["voter"] == "v1" and event["tallies"] == [0, 1, 0]
    await vote(store, bid, pid, [2], vid="v2")
    # The tallies are the script's sums alone: one ballot, one vote per choice.
    assert await redis.hgetall(keys.tallies(bid, pid)) == {b"1": b"1", b"2": b"1"}
    final = await refused(redis, bid, lambda: vote(store, bid, pid, [0]), "conflict")
    assert final["mine"] == [1]  # ballots are final
    await refused(redis, bid, lambda: vote(store, bid, pid, [0, 1], vid="v3"), "invalid")
    await refused(redis, bid, lambda: vote(store, bid, pid, [3], vid="v3"), "invalid")
    await refused(redis, bid, lambda: vote(store, bid, 99, [0], vid="v3"), "not_found")


async def test_multiple_choice_ballot_counts_each_choice(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    pid = (await new_poll(store, bid, multi=True))["poll"]
    await set_state(store, bid, pid, P.OPEN)
    assert (await vote(store, bid, pid, [0, 2]))["tallies"] == [1, 0, 1]
    assert (await vote(store, bid, pid, [0, 1, 2], vid="v2"))["tallies"] == [2, 1, 2]
    await refused(redis, bid, lambda: vote(store, bid, pid, [], vid="v3"), "invalid")


async def test_overlay(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    first, second = (await new_poll(store, bid))["poll"], (await new_poll(store, bid))["poll"]
    cmd = idem()
    result, [event] = await applied_once(
        redis, bid, lambda: store.show_overlay(bid, cmd, user="mod1", show="poll", pid=first)
    )
    assert result["ok"] and (event["show"], event["poll"]) == ("poll", first)
    await store.show_overlay(bid, idem(), user="mod1", show="poll", pid=second)
    assert await redis.hget(keys.poll(bid, first), "shown") == b"0"
    assert await redis.hget(keys.poll(bid, second), "shown") == b"1"
    before = len(await events(redis, bid))
    await refused(
        redis, bid, lambda: store.show_overlay(bid, idem(), user="mod1", show="poll", pid=9),
        "not_found",
    )  # fmt: skip
    assert len(await events(redis, bid)) == before
