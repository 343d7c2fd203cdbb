"""A reconnect storm after a graceful hub restart (bounded: 1,000 sockets on 127.0.0.1).

The broadcast holds 2,000 approved questions (a viewer snapshot holds the
first screen of them, docs/protocol.md "Paging"). The hub restarts; while it
is back, a moderator changes a few things, then 1,000 viewers reconnect at
once: half were up to date before the restart and resume (they missed only
those changes; one Redis read of them, shared: ``xs_resume_reads_total``),
half are new pages that need a snapshot. Every one is served, with exactly
its outcome; the snapshot is read from Redis once and shared
(``xs_snapshot_reads_total``). Twice: once the storm is over the hub gives
memory back (``xs_memory_trims_total``, server/live/memory.py), and a second
storm of as many clients leaves the hub's memory where the first did
(CPython's allocator keeps partly used arenas: docs/performance.md, "Joins,
storms and growth", says how much and why).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from server import auth
from server.domain.paging import FIRST_PAGE
from server.protocol import PROTOCOL_VERSION
from tests.integration.faults import closing, eventually, scrape
from tests.integration.harness import HubProcess, new_moderator
from tests.integration.hub_helpers import (
    QUIET,
    Clients,
    hub_secret,
    last_pos,
    new_viewer,
    ok,
    open_redis,
    running_hub,
)

pytestmark = pytest.mark.anyio

QUESTIONS = 2000
CLIENTS = 1000
CHANGES = 10  # events made after the restart: what the positioned half missed
ENV = {**QUIET, "QUESTIONS_BURST": str(QUESTIONS + 10)}


@pytest.fixture
def hub(redis_url: str, tmp_path: Path) -> Iterator[HubProcess]:
    with running_hub(redis_url, tmp_path, **ENV) as process:
        yield process


async def rejoin(
    base: str, bid: str, cookie: str, since: dict[str, str] | None
) -> tuple[ClientConnection, dict[str, Any], dict[str, Any]]:
    """Connect, say hello (with ``since`` if given), read the welcome and what follows."""
    url = base.replace("http", "ws", 1) + f"/ws/{bid}"
    ws = await connect(
        url,
        origin=Origin(base),
        additional_headers={"Cookie": f"{auth.VIEWER_COOKIE}={cookie}"},
        max_size=None,
        compression=None,
        open_timeout=60,
    )
    hello: dict[str, Any] = {
        "type": "hello",
        "role": "viewer",
        "v": PROTOCOL_VERSION,
        "tab": secrets.token_hex(4),
    }
    if since is not None:
        hello["since"] = since
    await ws.send(orjson.dumps(hello).decode())
    welcome = orjson.loads(await asyncio.wait_for(ws.recv(), 60))
    following = orjson.loads(await asyncio.wait_for(ws.recv(), 60))
    # Keep only what the assertions need: 500 snapshots of 2,000 questions each
    # would otherwise hold hundreds of MB in the test process.
    if following.get("type") == "snapshot":
        following = {
            "type": "snapshot", "questions": len(following["questions"]),
            "total": following["total"], "more": following["more"],
        }  # fmt: skip
    return ws, welcome, following


async def test_reconnect_storm_after_a_graceful_restart(hub: HubProcess, redis_url: str) -> None:
    moderator = await new_moderator(redis_url, hub.base)
    bid = (await moderator.create_broadcast(settings={"moderation": False}))["id"]
    async with open_redis(redis_url) as redis:
        async with Clients() as clients:
            asker = await new_viewer(clients, redis, hub.base, bid)
            for i in range(QUESTIONS):
                # No digits or repeated characters: the duplicate check folds both.
                tag = "".join(chr(0x4E00 + 10 * n + int(d)) for n, d in enumerate(str(i)))
                ok(await asker.command("ask", text=f"问题{tag}：公交线路调整以后，老人怎么换乘？"))
        before_restart = await last_pos(redis, bid)
        epoch = (await redis.get(f"xs:{{{bid}}}:epoch")).decode()
        secret = await hub_secret(redis)

    hub.restart()
    console = moderator.client(bid, base=hub.base)
    async with closing(console):
        await console.connect()  # the channel is running: the changes enter its ring
        for i in range(CHANGES):
            last = ok(await console.command("bc.update", title=f"重启之后的标题 {i}"))["pos"]
        await console.wait_for(lambda e: e.get("pos") == last, timeout=10)
        baseline_kb = hub.rss_kb()  # the channel warm, the moderator's snapshot cached
        since = {"epoch": epoch, "pos": before_restart}
        after_kb = []
        for _storm in range(2):
            reads_before = await scrape(hub.base)
            cookies = [auth.sign(secret, auth.new_viewer_id(), "vid") for _ in range(CLIENTS)]
            joined = await asyncio.gather(
                *(
                    rejoin(hub.base, bid, cookie, since if i % 2 == 0 else None)
                    for i, cookie in enumerate(cookies)
                )
            )
            try:
                reads_after = await scrape(hub.base)
            finally:
                await asyncio.gather(*(ws.close() for ws, _, _ in joined))
            served(joined, last, reads_before, reads_after)
            # Memory is given back once the burst is over (server/live/memory.py).
            trims = reads_before.value("xs_memory_trims_total")
            await eventually(
                lambda: scrape(hub.base),
                lambda m, trims=trims: m.value("xs_connections", role="viewer") == 0
                and m.value("xs_memory_trims_total") > trims,
            )  # fmt: skip
            after_kb.append(hub.rss_kb())

    # Memory: a storm's sockets and frames are given back, not kept per client:
    # the second storm of as many clients leaves the process where the first did.
    print(f"rss kB: baseline {baseline_kb}, after each storm {after_kb}")
    assert after_kb[0] - baseline_kb <= 40 * 1024
    assert after_kb[1] - after_kb[0] <= 8 * 1024


def served(joined: list[Any], last: str, before: Any, after: Any) -> None:
    """Every client got exactly its outcome; the snapshot read was shared."""
    resumed = [(w, f) for i, (_, w, f) in enumerate(joined) if i % 2 == 0]
    fresh = [(w, f) for i, (_, w, f) in enumerate(joined) if i % 2 == 1]
    assert {w["resume"] for w, _ in resumed} == {"recovered"}
    for _, frame in resumed:
        assert frame["type"] == "events"
        # The viewer count moved with the restart: presence events may ride
        # along, and come after the last change.
        changes = [e for e in frame["events"] if e["type"] != "presence"]
        assert [e["type"] for e in changes] == ["broadcast"] * CHANGES
        assert changes[-1]["pos"] == last and frame["pos"] >= last
    assert {w["resume"] for w, _ in fresh} == {"fresh"}
    assert {f["type"] for _, f in fresh} == {"snapshot"}
    # The first screen of the 2,000 questions (all without votes: the 50 newest
    # head both lists), with the cursors of the rest (docs/protocol.md, "Paging").
    assert {f["questions"] for _, f in fresh} == {FIRST_PAGE}
    assert all(f["total"] == {"public": QUESTIONS} for _, f in fresh)
    assert all(None not in f["more"].values() for _, f in fresh)

    def delta(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    reads = {kind: delta("xs_snapshot_reads_total", kind=kind) for kind in ("redis", "shared")}
    assert reads["redis"] + reads["shared"] == CLIENTS // 2
    assert reads["redis"] <= 2, f"snapshot reads were not shared: {reads}"
    # The positioned half resumes from before the restarted process's ring (the
    # stop's last presence report came after their position): one Redis read
    # of what they missed, shared by all of them (server/live/channel.py).
    resumes = {kind: delta("xs_resume_reads_total", kind=kind) for kind in ("redis", "shared")}
    assert resumes["redis"] + resumes["shared"] == CLIENTS // 2
    assert resumes["redis"] <= 2, f"resume reads were not shared: {resumes}"
    assert delta("xs_resumes_total", outcome="recovered") == CLIENTS // 2
    assert delta("xs_resumes_total", outcome="fresh") == CLIENTS // 2
