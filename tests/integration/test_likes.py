"""Like storms: the per-viewer budget, exact totals, idempotent batches (docs/reliability.md 14).

The hub runs with a small budget (10 taps/s, burst 20) so a two-second storm
shows the limit; totals are read back from Redis and compared with the acks.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.client import Disconnected, HubClient
from tests.integration import harness
from tests.integration.faults import closing, logged, redis_client, running_hub, scrape
from tests.integration.harness import HubProcess

pytestmark = pytest.mark.anyio

Json = dict[str, Any]

RATE, BURST, FLUSH_MS = 10, 20, 200
BUDGET = {"LIKES_RATE_PER_S": str(RATE), "LIKES_BURST": str(BURST), "LIKES_FLUSH_MS": str(FLUSH_MS)}


@pytest.fixture(scope="module")
def budget_hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """One hub with the small like budget, shared by this module's tests."""
    with running_hub(redis_url, tmp_path_factory.mktemp("likes"), **BUDGET) as hub:
        yield hub


async def like(client: HubClient, n: int, *, id: str | None = None, timeout: float = 5) -> Json:  # noqa: ASYNC109
    reply = await client.command("like", id=id, n=n, timeout=timeout)
    assert reply["type"] == "ack", reply
    result: Json = reply["result"]
    return result


async def likes_total(redis_url: str, bid: str) -> int:
    async with redis_client(redis_url) as redis:
        return int(await redis.get(f"xs:{{{bid}}}:likes") or 0)


async def test_like_flood_within_budget_and_counted_exactly(
    budget_hub: HubProcess, redis_url: str
) -> None:
    """One viewer taps on three sockets for 2 s: what is accepted stays within
    burst + rate * elapsed, reconnecting does not refill the budget, Redis adds
    exactly what was accepted, another viewer is unaffected, and everyone sees
    at most one likes event per flush, never one per tap."""
    url, hub = redis_url, budget_hub
    mod = await harness.new_moderator(url, hub.base)
    bid = (await mod.create_broadcast())["id"]
    first = await harness.viewer(hub.base, bid)
    tabs = [first] + [
        HubClient(hub.base, bid, cookies=first.cookies, record=True) for _ in range(2)
    ]
    other = await harness.viewer(hub.base, bid)
    watcher = await harness.viewer(hub.base, bid)
    async with closing(*tabs, other, watcher):
        for client in (*tabs, other, watcher):
            await client.connect()
        before = await scrape(hub.base)
        sent: list[int] = []
        accepted: list[int] = []

        async def tap(client: HubClient, until: float) -> None:
            # A page: taps pile up (50/s) while one like command is in flight.
            while time.monotonic() < until:
                await asyncio.sleep(0.1)
                sent.append(5)
                accepted.append((await like(client, 5))["accepted"])

        mark = watcher.mark()
        started = time.monotonic()
        await asyncio.gather(*(tap(client, started + 2.0) for client in tabs))
        storm = time.monotonic() - started
        likes_events = len(logged(watcher, "likes", since=mark))

        # Reconnecting does not refill the budget (it is per viewer, not per socket).
        await tabs[0].close()
        await tabs[0].connect(resume=True)
        sent.append(BURST)
        accepted.append((await like(tabs[0], BURST))["accepted"])
        elapsed = time.monotonic() - started
        assert sum(accepted) <= BURST + RATE * elapsed, (accepted, elapsed)
        assert sum(accepted) >= BURST  # the burst itself is granted
        # Another viewer has a budget of its own.
        assert (await like(other, BURST))["accepted"] == BURST

        total = sum(accepted) + BURST
        assert await likes_total(url, bid) == total
        await watcher.wait_state(lambda s: s.likes == total)
        # One likes event per flush at most (the storm had ~35 like commands).
        assert 1 <= likes_events <= storm * (1000 / FLUSH_MS) + 2, likes_events
        assert likes_events < len(sent)

        after = await scrape(hub.base)

        def grew(name: str, **labels: str) -> float:
            return after.value(name, **labels) - before.value(name, **labels)

        assert grew("xs_likes_received_total") == sum(sent) + BURST
        assert grew("xs_likes_flushed_total") == total
        assert grew("xs_likes_throttled_total") == sum(sent) - sum(accepted)
        assert grew("xs_rate_limited_total", kind="likes") >= 1


async def test_like_resent_after_reconnect_counts_once(
    budget_hub: HubProcess, redis_url: str
) -> None:
    """A batch acked, then resent with the same id from a new socket of the same
    tab (its ack was lost): acked as a duplicate, counted once."""
    url, hub = redis_url, budget_hub
    mod = await harness.new_moderator(url, hub.base)
    bid = (await mod.create_broadcast())["id"]
    viewer = await harness.viewer(hub.base, bid)
    async with closing(viewer):
        await viewer.connect()
        assert (await like(viewer, 6, id="batch-1"))["accepted"] == 6
        await viewer.close()
        await viewer.connect(resume=True)  # same HubClient: same tab
        assert await like(viewer, 6, id="batch-1") == {"accepted": 0, "duplicate": True}
        assert (await like(viewer, 2, id="batch-2"))["accepted"] == 2
        assert await likes_total(url, bid) == 8


async def test_like_resent_on_same_socket_is_acked_once(
    budget_hub: HubProcess, redis_url: str
) -> None:
    url, hub = redis_url, budget_hub
    mod = await harness.new_moderator(url, hub.base)
    bid = (await mod.create_broadcast())["id"]
    viewer = await harness.viewer(hub.base, bid)
    async with closing(viewer):
        await viewer.connect()
        assert (await like(viewer, 3, id="once"))["accepted"] == 3
        # A page that missed the ack (say, a timeout) resends the same command.
        again = await like(viewer, 3, id="once", timeout=2)
        assert again == {"accepted": 0, "duplicate": True}
        assert await likes_total(url, bid) == 3


async def test_like_resent_before_flush_counts_once(embedded_redis: Any, tmp_path: Path) -> None:
    """The socket closes while its batch waits for the flush (ack lost); the page
    reconnects and resends the same command: the batch must count once."""
    url = embedded_redis.url
    with running_hub(url, tmp_path, **{**BUDGET, "LIKES_FLUSH_MS": "2000"}) as hub:
        mod = await harness.new_moderator(url, hub.base)
        bid = (await mod.create_broadcast())["id"]
        viewer = await harness.viewer(hub.base, bid)
        async with closing(viewer):
            await viewer.connect()
            # An ack comes right after a flush: the next one is 2 s away, time
            # enough for the batch below to be taken, lost and resent in between.
            assert (await like(viewer, 1))["accepted"] == 1
            batch = secrets.token_hex(6)
            pending = asyncio.ensure_future(viewer.command("like", id=batch, n=4, timeout=5))
            # Answered after the like was taken (commands of a socket run in order).
            assert (await viewer.command("upvote", qid=999, on=True))["code"] == "not_found"
            await viewer.close()
            with pytest.raises(Disconnected):
                await pending  # the ack never came
            await viewer.connect(resume=True)
            resent = await like(viewer, 4, id=batch)
            total = await likes_total(url, bid)
            assert total == 1 + 4, f"counted {total - 1} taps for one batch of 4; ack {resent}"
