"""Each fault and abuse moves its counter on ``/metrics``, by exactly its amount.

A counter nobody checks can stay at zero through the very fault it is for.
Here every scenario runs against a real hub process (on an embedded Redis of
this module, so per-address budgets start empty) and ``moves()`` reads
``/metrics`` before and after: each listed series must have grown by exactly
the amount given, nothing more, nothing less.

To cover a new counter: add a row to ``SCENARIOS`` (a driver and the series
it moves), or add the series to an existing row's moves, e.g.
``s("xs_redis_errors_total", kind="oom"): 1``; ``total(name)`` checks a
metric summed over its labels (every close, whatever its code).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from server.client import Disconnected, HubClient, fetch_viewer_cookie
from server.ops.embedded_redis import EmbeddedRedis
from tests.integration import harness
from tests.integration.faults import (
    Scrape,
    closing,
    drained_until_closed,
    in_thread,
    raw_viewer,
    running_hub,
    scrape,
)
from tests.integration.harness import HubProcess, Moderator

pytestmark = pytest.mark.anyio

# The module hub's limits: small enough that a scenario reaches them in a few
# frames, and a like budget that does not refill during a test.
HUB_ENV = {
    "MAX_CONNECTIONS_PER_IP": "8",
    "LIKES_BURST": "200",
    "LIKES_RATE_PER_S": "0.001",
    "RESUME_MAX_EVENTS": "5",
    "SLOW_CONSUMER_BYTES": "65536",
    "QUESTIONS_BURST": "5",
    "LOGIN_FAILURES_MAX": "10",
    "MAX_PROTOCOL_ERRORS": "20",
    "WS_MAX_SIZE": "16384",
}

Series = tuple[str, frozenset[tuple[str, str]]]


def s(name: str, **labels: str) -> Series:
    """One series of ``/metrics``: a name and its labels."""
    return (name, frozenset(labels.items()))


_ALL = frozenset({("*", "*")})


def total(name: str) -> Series:
    """A metric summed over all its series: ``total("xs_closes_total")`` is every close."""
    return (name, _ALL)


def _value(scrape: Scrape, key: Series) -> float:
    name, labels = key
    if labels == _ALL:
        return sum(v for (n, _), v in scrape.samples.items() if n == name)
    return scrape.samples.get(key, 0.0)


def _show(series: Mapping[Series, float]) -> str:
    def one(key: Series) -> str:
        name, labels = key
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels))
        return f"{name}{{{inner}}}" if inner else name

    return ", ".join(f"{one(k)} +{v:g}" for k, v in sorted(series.items()))


def grown(before: Scrape, after: Scrape, series: Mapping[Series, float]) -> dict[Series, float]:
    return {k: _value(after, k) - _value(before, k) for k in series}


@contextlib.asynccontextmanager
async def moves(
    base: str,
    expected: Mapping[Series, float],
    *,
    timeout: float = 10,  # noqa: ASYNC109
) -> AsyncIterator[None]:
    """The block must move each series by exactly its amount (counters that
    follow a close or a flush may lag the block a little: they are polled)."""
    before = await scrape(base)
    yield
    deadline = time.monotonic() + timeout
    while True:
        got = grown(before, await scrape(base), expected)
        if got == dict(expected):
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"moved {_show(got)}; expected {_show(expected)}")
        await asyncio.sleep(0.05)


# --- the module's hub -----------------------------------------------------------------------


@dataclass
class World:
    hub: HubProcess
    mod: Moderator
    redis_url: str

    @property
    def base(self) -> str:
        return self.hub.base

    async def broadcast(self, **settings: Any) -> str:
        """A broadcast of the scenario's own; questions need no approval."""
        created = await self.mod.create_broadcast(settings={"moderation": False, **settings})
        return str(created["id"])

    async def viewer(self, bid: str) -> HubClient:
        return await harness.viewer(self.base, bid)


@pytest.fixture(scope="module")
def module_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("metrics-redis"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def metrics_hub(
    module_redis: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubProcess]:
    with running_hub(module_redis.url, tmp_path_factory.mktemp("metrics-hub"), **HUB_ENV) as hub:
        yield hub


@pytest.fixture(scope="module")
async def world(metrics_hub: HubProcess, module_redis: EmbeddedRedis) -> World:
    mod = await harness.new_moderator(module_redis.url, metrics_hub.base)
    return World(metrics_hub, mod, module_redis.url)


# --- drivers: each does one fault or abuse ----------------------------------------------------


async def refused(client: HubClient) -> int | None:
    """The close code of a socket the hub refuses after accepting it."""
    try:
        await client.connect()
    except Disconnected as exc:
        return exc.code
    except ConnectionClosed as exc:  # closed before the hello could even be sent
        return exc.rcvd.code if exc.rcvd is not None else None
    finally:
        await client.close()
    raise AssertionError("welcomed")


async def cross_site_origin(w: World) -> None:
    bid = await w.broadcast()
    url = w.base.replace("http", "ws") + f"/ws/{bid}"
    with pytest.raises(InvalidStatus):
        async with connect(url, origin=Origin("https://evil.example")):
            pass


async def forged_session(w: World) -> None:
    bid = await w.broadcast()
    forged = HubClient(w.base, bid, "moderator", cookies={"xs_sess": secrets.token_urlsafe(32)})
    assert await refused(forged) == 4401


async def no_such_broadcast(w: World) -> None:
    client = await w.viewer("nosuch" + secrets.token_hex(4))
    assert await refused(client) == 4404


async def bad_json_until_closed(w: World) -> None:
    client = await w.viewer(await w.broadcast())
    async with closing(client):
        await client.connect()
        for _ in range(int(HUB_ENV["MAX_PROTOCOL_ERRORS"]) + 1):
            await client.send_frame('{"type": "ask",')
        assert await client.wait_closed(timeout=5) == 4400


async def oversize_frame(w: World) -> None:
    client = await w.viewer(await w.broadcast())
    async with closing(client):
        await client.connect()
        await client.send_frame("x" * (int(HUB_ENV["WS_MAX_SIZE"]) + 1))
        assert await client.wait_closed(timeout=5) == 1009


async def leaves(w: World) -> None:
    client = await w.viewer(await w.broadcast())
    await client.connect()
    await client.close()


async def questions_over_budget(w: World) -> None:
    client = await w.viewer(await w.broadcast())
    async with closing(client):
        await client.connect()
        replies = [
            await client.command("ask", text=f"第 {i} 个问题：票价会调整吗") for i in range(7)
        ]
        assert [r["type"] for r in replies] == ["ack"] * 5 + ["error"] * 2, replies
        assert {r["code"] for r in replies[5:]} == {"rate_limited"}


async def likes_over_budget(w: World) -> None:
    client = await w.viewer(await w.broadcast())
    async with closing(client):
        await client.connect()
        replies = [await client.command("like", n=50) for _ in range(5)]
        accepted = [r["result"]["accepted"] if r["type"] == "ack" else 0 for r in replies]
        assert sum(accepted) == 200, replies


async def sockets_over_the_address_cap(w: World) -> None:
    bid = await w.broadcast()
    cap = int(HUB_ENV["MAX_CONNECTIONS_PER_IP"])
    clients = [await w.viewer(bid) for _ in range(cap + 1)]
    async with closing(*clients):
        for client in clients[:cap]:
            await client.connect()
        assert await refused(clients[cap]) == 4429


async def logins_past_the_failure_limit(w: World) -> None:
    body = {"username": "nobody" + secrets.token_hex(3), "password": "wrong password"}
    async with httpx.AsyncClient(base_url=w.base, timeout=10) as http:
        codes = [(await http.post("/api/login", json=body)).status_code for _ in range(12)]
    assert codes == [401] * 10 + [429] * 2, codes


async def resumed(
    w: World, *, missed: int = 0, pos: str | None = None, epoch: str | None = None
) -> None:
    """A viewer that joins, leaves, misses ``missed`` events and comes back
    with its position (or with the ``pos`` and ``epoch`` given instead)."""
    bid = await w.broadcast()
    client = await w.viewer(bid)
    async with closing(client):
        await client.connect()
        await client.close()
        for i in range(missed):
            reply = await w.mod.command(bid, "bc.update", title=f"标题 {i}")
            assert reply["type"] == "ack", reply
        client.pos = client.pos if pos is None else pos
        client.epoch = client.epoch if epoch is None else epoch
        await client.connect()


async def rejoined_without_position(w: World) -> None:
    client = await w.viewer(await w.broadcast())
    async with closing(client):
        await client.connect()
        await client.close()
        await client.connect(resume=False)


Drive = Callable[[World], Awaitable[None]]
RESUME_MAX = int(HUB_ENV["RESUME_MAX_EVENTS"])

# name: (driver, {series: exact growth})
SCENARIOS: dict[str, tuple[Drive, dict[Series, float]]] = {
    "a cross-site Origin is refused": (
        cross_site_origin,
        {s("xs_origin_refused_total"): 1, total("xs_closes_total"): 0},
    ),
    "a forged moderator session: 4401": (
        forged_session,
        {s("xs_closes_total", code="4401"): 1, total("xs_closes_total"): 1},
    ),
    "a broadcast that does not exist: 4404": (
        no_such_broadcast,
        {s("xs_closes_total", code="4404"): 1, total("xs_closes_total"): 1},
    ),
    "malformed frames past the limit: 4400": (
        bad_json_until_closed,
        {
            s("xs_errors_total", code="bad_json"): int(HUB_ENV["MAX_PROTOCOL_ERRORS"]) + 1,
            s("xs_closes_total", code="4400"): 1,
            total("xs_closes_total"): 1,
            s("xs_connections_total", role="viewer"): 1,
        },
    ),
    "a frame over the size limit: 1009": (
        oversize_frame,
        {s("xs_closes_total", code="1009"): 1, total("xs_closes_total"): 1},
    ),
    "a viewer leaves: 1000": (
        leaves,
        {
            s("xs_closes_total", code="1000"): 1,
            total("xs_closes_total"): 1,
            s("xs_connections_total", role="viewer"): 1,
        },
    ),
    "questions over the viewer's budget": (
        questions_over_budget,
        {s("xs_acks_total", type="Ask"): 5, s("xs_errors_total", code="rate_limited"): 2},
    ),
    "likes over the viewer's budget": (
        likes_over_budget,
        {
            s("xs_likes_received_total"): 250,
            s("xs_likes_throttled_total"): 50,
            s("xs_likes_flushed_total"): 200,
            s("xs_rate_limited_total", kind="likes"): 1,
        },
    ),
    "sockets over the per-address cap: 4429": (
        sockets_over_the_address_cap,
        {
            s("xs_rate_limited_total", kind="connections"): 1,
            s("xs_closes_total", code="4429"): 1,
            # and the cap's sockets leaving normally at the end
            s("xs_closes_total", code="1000"): int(HUB_ENV["MAX_CONNECTIONS_PER_IP"]),
            total("xs_closes_total"): int(HUB_ENV["MAX_CONNECTIONS_PER_IP"]) + 1,
        },
    ),
    "logins past the failure limit": (
        logins_past_the_failure_limit,
        {s("xs_rate_limited_total", kind="login"): 2},
    ),
    "resume: no position": (
        rejoined_without_position,
        {s("xs_resumes_total", outcome="fresh"): 2},  # the first join has none either
    ),
    "resume: nothing missed": (
        lambda w: resumed(w),
        {s("xs_resumes_total", outcome="fresh"): 1, s("xs_resumes_total", outcome="current"): 1},
    ),
    "resume: missed events recovered": (
        lambda w: resumed(w, missed=3),
        {s("xs_resumes_total", outcome="fresh"): 1, s("xs_resumes_total", outcome="recovered"): 1},
    ),
    "resume: too many missed": (
        lambda w: resumed(w, missed=RESUME_MAX + 1),
        {s("xs_resumes_total", outcome="fresh"): 1, s("xs_resumes_total", outcome="too_many"): 1},
    ),
    "resume: a position past the stream": (
        lambda w: resumed(w, pos=f"{int(time.time() * 1000) + 86_400_000}-0"),
        {s("xs_resumes_total", outcome="fresh"): 1, s("xs_resumes_total", outcome="future"): 1},
    ),
    "resume: another epoch": (
        lambda w: resumed(w, epoch="e-" + secrets.token_hex(4)),
        {
            s("xs_resumes_total", outcome="fresh"): 1,
            s("xs_resumes_total", outcome="epoch_changed"): 1,
        },
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_scenario_moves_its_counters(world: World, name: str) -> None:
    drive, expected = SCENARIOS[name]
    async with moves(world.base, expected):
        await drive(world)


async def test_slow_consumer_moves_drops_and_4008(world: World) -> None:
    """A viewer that never reads while a moderator edits a long question: one drop, one 4008."""
    bid = await world.broadcast(max_len=1000)
    asker = await world.viewer(bid)
    async with closing(asker):
        await asker.connect()
        qid = (await asker.command("ask", text="一个会被反复编辑的问题"))["result"]["qid"]
        cookies = await fetch_viewer_cookie(world.base)
        expected = {
            s("xs_slow_consumer_drops_total"): 1,
            s("xs_closes_total", code="4008"): 1,
            total("xs_closes_total"): 1,
        }
        async with moves(world.base, expected):
            slow = await in_thread(lambda: raw_viewer(world.base, bid, cookies))
            try:
                for round in range(40):  # 40 x 25 x ~4 KB: far past the 64 KiB cap
                    before = await scrape(world.base)
                    if before.value("xs_slow_consumer_drops_total") and round:
                        break
                    # At most 4 requests at once: this hub allows 8 connections
                    # per address, half-open HTTP ones included.
                    gate = asyncio.Semaphore(4)

                    async def edit(
                        i: int, round: int = round, gate: asyncio.Semaphore = gate
                    ) -> Any:
                        async with gate:
                            text = f"{round}-{i}" + "😀" * 980
                            return await world.mod.command(bid, "q.edit", qid=qid, text=text)

                    replies = await asyncio.gather(*(edit(i) for i in range(25)))
                    assert all(r["type"] == "ack" for r in replies), replies[0]
                assert await in_thread(lambda: drained_until_closed(slow, 5))
            finally:
                slow.close()


async def test_redis_down_moves_command_errors(tmp_path: Path) -> None:
    """Commands while Redis is gone: each one an ``unavailable`` error and a Redis error."""
    redis = EmbeddedRedis(tmp_path / "redis")
    redis.start()
    try:
        with running_hub(redis.url, tmp_path, **HUB_ENV) as hub:
            mod = await harness.new_moderator(redis.url, hub.base)
            bid = str((await mod.create_broadcast(settings={"moderation": False}))["id"])
            client = await harness.viewer(hub.base, bid)
            async with closing(client):
                await client.connect()
                expected = {
                    s("xs_errors_total", code="unavailable"): 3,
                    s("xs_redis_errors_total", op="command"): 3,
                }
                await in_thread(redis.kill)
                async with moves(hub.base, expected):
                    for i in range(3):
                        reply: dict[str, Any] = await client.command(
                            "ask", text=f"停机时的问题 {i}"
                        )
                        assert reply["code"] == "unavailable", reply
    finally:
        redis.stop()
