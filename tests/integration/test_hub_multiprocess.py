"""Two hub processes on one Redis serve one broadcast as one (docs/architecture.md:
every process serves every broadcast from Redis).

Process A is the module's hub; process B is started by the test. Every write
goes through Redis and reaches the other process through its stream tailer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from server.client import HubClient
from server.store import keys
from tests.integration import harness
from tests.integration.harness import HubProcess, Moderator
from tests.integration.hub_helpers import Clients, caught_up, ok, view

pytestmark = pytest.mark.anyio


@pytest.fixture
async def other_hub(redis_url: str, tmp_path: Path) -> AsyncIterator[HubProcess]:
    """Process B, on the same Redis as the module's hub (process A)."""
    process = harness.HubProcess(redis_url, tmp_path)
    await asyncio.to_thread(process.start)
    try:
        yield process
    finally:
        await asyncio.to_thread(process.stop)


async def _viewer(clients: Clients, base: str, bid: str) -> HubClient:
    """A viewer with a cookie minted by that process's GET /api/viewer."""
    client = clients.add(await harness.viewer(base, bid))
    await client.connect()
    return client


async def test_two_processes_serve_one_broadcast(
    hub: HubProcess,
    other_hub: HubProcess,
    mod: Moderator,
    redis: aioredis.Redis,
    clients: Clients,
) -> None:
    a, b = hub, other_hub
    bid = (await mod.create_broadcast(settings={"moderation": True}))["id"]
    viewer_a = await _viewer(clients, a.base, bid)
    viewer_b = await _viewer(clients, b.base, bid)
    console_a = clients.add(mod.client(bid, base=a.base))
    console_b = clients.add(mod.client(bid, base=b.base))
    for console in (console_a, console_b):
        await console.connect()
    # One epoch, whichever process answered.
    assert viewer_a.epoch == viewer_b.epoch == console_a.epoch == console_b.epoch

    # A question asked on B, approved by a moderator on B, reaches a viewer on A.
    asked = ok(await viewer_b.command("ask", text="两个进程都能看到吗？"))
    pending = await caught_up(console_a, asked["pos"])
    assert pending.questions[asked["qid"]]["status"] == "pending"
    assert asked["qid"] not in viewer_a.state.questions
    approved = ok(await console_b.command("q.status", qid=asked["qid"], status="approved",
                                          expect="pending"))  # fmt: skip
    seen = await caught_up(viewer_a, approved["pos"])
    assert seen.questions[asked["qid"]]["text"] == "两个进程都能看到吗？"
    # The asker on B follows it too, marked as its own.
    assert (await caught_up(viewer_b, approved["pos"])).mine[asked["qid"]]["status"] == "approved"

    # An upvote on A moves the count on B.
    upvoted = ok(await viewer_a.command("upvote", qid=asked["qid"], on=True))
    assert (await caught_up(viewer_b, upvoted["pos"])).questions[asked["qid"]]["votes"] == 1

    # Likes from viewers on both processes sum exactly, for everyone.
    more_a = await _viewer(clients, a.base, bid)
    replies = await asyncio.gather(
        viewer_a.command("like", n=7),
        more_a.command("like", n=11),
        viewer_b.command("like", n=5),
    )
    assert [ok(r)["accepted"] for r in replies] == [7, 11, 5]
    for client in (viewer_a, more_a, viewer_b, console_a, console_b):
        await client.wait_state(lambda s: s.likes == 23)
    assert await redis.get(keys.likes(bid)) == b"23"

    # A poll made and opened on B appears, open, on A; ballots on A and B count
    # everywhere (each voter sees the results once it voted: "after_vote").
    created = await console_b.command(
        "poll.create", question="哪条线先修？", options=["三号线", "五号线"], multi=False
    )
    pid = ok(created)["poll"]
    opened = ok(await console_b.command("poll.state", poll=pid, state="open"))
    poll = (await caught_up(viewer_a, opened["pos"])).polls[pid]
    assert (poll["state"], poll["options"], poll["tallies"]) == ("open", ["三号线", "五号线"], None)
    voted_a = ok(await viewer_a.command("vote", poll=pid, choices=[1]))
    tally = (await caught_up(console_b, voted_a["pos"])).polls[pid]
    assert (tally["tallies"], tally["ballots"]) == ([0, 1], 1)
    voted_b = ok(await viewer_b.command("vote", poll=pid, choices=[0]))
    for client in (viewer_a, viewer_b, console_a, console_b):
        tally = (await caught_up(client, voted_b["pos"])).polls[pid]
        assert (tally["tallies"], tally["ballots"]) == ([1, 1], 2)

    # In the end each process's clients know the same as each other's.
    final = voted_b["pos"]
    for client in (viewer_a, viewer_b, console_a, console_b):
        await caught_up(client, final)
        assert client.state.duplicates == 0
    assert view(console_a.state) == view(console_b.state)
    shared = {"questions", "likes", "broadcast", "on_air", "epoch"}
    assert {k: v for k, v in view(viewer_a.state).items() if k in shared} == {
        k: v for k, v in view(viewer_b.state).items() if k in shared
    }
    assert [viewer_a.state.polls[pid]["mine"], viewer_b.state.polls[pid]["mine"]] == [[1], [0]]
