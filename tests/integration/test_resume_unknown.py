"""Resume from a position that was never an event (docs/protocol.md, ``unknown``).

A position inside the stream's range that is not one of its entries means the
client's history is not the stream's: replaying "what came after" would keep
what the client has and the stream lost. Real hub processes, real redis-server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.client import HubClient
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import (
    QUIET,
    Clients,
    assert_same_as_fresh,
    caught_up,
    first_after_welcome,
    new_viewer,
    ok,
    open_redis,
    running_hub,
    sid,
)

pytestmark = pytest.mark.anyio

RING = 4
ASKING = {**QUIET, "QUESTIONS_BURST": "20"}  # one viewer asks the seven questions


@pytest.fixture(scope="module")
def ring_of_4(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A ring of 4 events: a position older than that is answered from Redis."""
    with running_hub(
        redis_url, tmp_path_factory.mktemp("hub"), **QUIET, RING_SIZE=str(RING)
    ) as hub:
        yield hub


@pytest.fixture(scope="module")
async def moderator(redis_url: str, ring_of_4: HubProcess) -> Moderator:
    return await new_moderator(redis_url, ring_of_4.base)


async def open_console(moderator: Moderator, clients: Clients, base: str) -> tuple[str, HubClient]:
    bid = (await moderator.create_broadcast(settings={"moderation": False}))["id"]
    console = clients.add(moderator.client(bid, base=base))
    await console.connect()
    return bid, console


@pytest.mark.parametrize("where", ["ring", "redis"])
async def test_position_that_was_never_an_event_gets_a_snapshot(
    ring_of_4: HubProcess,
    redis_url: str,
    clients: Clients,
    moderator: Moderator,
    where: str,
) -> None:
    hub = ring_of_4
    bid, console = await open_console(moderator, clients, hub.base)
    async with open_redis(redis_url) as redis:
        viewer = await new_viewer(clients, redis, hub.base, bid)
        asked = ok(await viewer.command("ask", text="公交线路会调整吗？"))
        await caught_up(viewer, asked["pos"])
        await viewer.close()
        last = asked["pos"]
        # Within the ring, or enough events for the ring to move past the position.
        for i in range(2 if where == "ring" else RING + 2):
            last = ok(await console.command("bc.update", title=f"标题 {i}"))["pos"]
        await caught_up(console, last)

        ms, _ = sid(asked["pos"])
        viewer.pos = f"{ms}-999"  # after the question, before the titles: never an event
        assert sid(asked["pos"]) < sid(viewer.pos) < sid(last)
        viewer.state.questions[10**9] = {"id": 10**9, "text": "held by the client only"}
        start = len(viewer.received)
        welcome = await viewer.connect()
        assert welcome["resume"] == "unknown"
        assert (await first_after_welcome(viewer, start))["type"] == "snapshot"
        await caught_up(viewer, last)
        assert list(viewer.state.questions) == [asked["qid"]]
        await assert_same_as_fresh(viewer, last)


async def test_rollback_while_no_hub_watched_leaves_no_phantom_question(
    redis_url: str, clients: Clients, moderator: Moderator, tmp_path: Path
) -> None:
    """Redis restored from an older copy while no hub process had the broadcast:
    the epoch is the old one, so only the position tells. A viewer who saw the
    lost questions must get a snapshot, not "recovered" with phantoms kept."""
    async with open_redis(redis_url) as redis:
        with running_hub(redis_url, tmp_path, **ASKING) as first:
            bid, console = await open_console(moderator, clients, first.base)
            viewer = await new_viewer(clients, redis, first.base, bid)
            kept = [ok(await viewer.command("ask", text=f"保留的问题 {i}")) for i in range(4)]
            await caught_up(viewer, kept[-1]["pos"])
            # The older copy: every key of the broadcast as it is now.
            copy = {key: await redis.dump(key) async for key in redis.scan_iter(f"xs:{{{bid}}}:*")}
            lost = [ok(await viewer.command("ask", text=f"将会消失的问题 {i}")) for i in range(3)]
            await caught_up(viewer, lost[-1]["pos"])
            assert len(viewer.state.questions) == 7
            await viewer.close()  # keeps the epoch and the position of the lost data
            await console.close()
        # No process has the broadcast now. Restore the older copy.
        await redis.delete(*[key async for key in redis.scan_iter(f"xs:{{{bid}}}:*")])
        for key, value in copy.items():
            await redis.restore(key, 0, value)

        with running_hub(redis_url, tmp_path, **ASKING) as second:
            other = await new_viewer(clients, redis, second.base, bid)
            reused = ok(await other.command("ask", text="回滚之后的问题"))
            assert reused["qid"] == lost[0]["qid"]  # the lost id is given again
            assert sid(kept[-1]["pos"]) < sid(lost[-1]["pos"]) < sid(reused["pos"])

            moved = HubClient(second.base, bid, "viewer", cookies=viewer.cookies, record=True)
            moved.epoch, moved.pos, moved.state = viewer.epoch, viewer.pos, viewer.state
            clients.add(moved)
            start = len(moved.received)
            welcome = await moved.connect()
            assert welcome["resume"] == "unknown"
            assert (await first_after_welcome(moved, start))["type"] == "snapshot"
            await caught_up(moved, reused["pos"])
            questions = moved.state.questions
            assert sorted(questions) == sorted([q["qid"] for q in kept] + [reused["qid"]])
            assert questions[reused["qid"]]["text"] == "回滚之后的问题"
            await assert_same_as_fresh(moved, reused["pos"])
