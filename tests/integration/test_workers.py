"""``python -m server run --workers 2``: two hub processes behind one port, one
embedded Redis started by their parent (server/ops/workers.py; docs/scaling.md,
"Several processes on one machine"; docs/reliability.md, "Several processes").

Each test starts the real command in a data dir of its own, so the parent
starts (and stops) its own redis-server; every process is stopped by PID.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.client import HubClient
from server.domain.errors import Code, Rejection
from server.live.hub import Hub
from server.ops.embedded_redis import PID_NAME
from server.settings import Settings
from tests.integration import harness
from tests.integration.hub_helpers import Clients, caught_up, ok
from tests.integration.workers_harness import (
    EXIT_TIMEOUT_S,
    START_TIMEOUT_S,
    WORKERS,
    Workers,
    alive,
    workers_in,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    with workers_in(tmp_path) as running:
        yield running


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].split()[1])


def _gauge(text: str, name: str, role: str) -> float:
    match = re.search(rf'^{name}{{role="{role}"}} (\S+)$', text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def test_two_processes_behind_one_port_serve_as_one(
    workers: Workers, clients: Clients
) -> None:
    workers.start()
    procs = await workers.processes()
    pids = [p["pid"] for p in procs]
    workers.seen.extend(pids)
    assert workers.proc is not None
    # Two distinct hub processes, children of the one parent, one Redis.
    assert len(set(pids)) == WORKERS and len({p["id"] for p in procs}) == WORKERS
    assert all(_ppid(pid) == workers.proc.pid for pid in pids)
    assert alive(workers.redis_pid())

    # HTTP on the shared port: new connections land on both processes.
    answered: set[int] = set()
    for _ in range(60):
        async with httpx.AsyncClient(base_url=workers.base, timeout=5) as http:
            answered.add((await http.get("/readyz")).json()["process"]["pid"])
        if answered == set(pids):
            break
    assert answered == set(pids)

    # Websockets on the shared port land on both too (each process's own
    # /metrics, on its worker port, counts its own sockets).
    mod = await harness.new_moderator(workers.redis_url, workers.base)
    bid = (await mod.create_broadcast(settings={"moderation": True}))["id"]
    viewers: list[HubClient] = []
    counts = [0.0] * WORKERS
    for _ in range(40):
        client = clients.add(await harness.viewer(workers.base, bid))
        await client.connect()
        viewers.append(client)
        async with httpx.AsyncClient(timeout=5) as http:
            texts = [(await http.get(u + "/metrics")).text for u in workers.worker_urls]
        counts = [_gauge(t, "xs_connections", "viewer") for t in texts]
        if len(viewers) >= 8 and all(counts):
            break
    assert sum(counts) == len(viewers) and all(counts), counts

    # A question asked through process 0 reaches a moderator and then a
    # viewer connected to process 1, in order, with one epoch.
    asker = clients.add(await harness.viewer(workers.worker_urls[0], bid))
    watcher = clients.add(await harness.viewer(workers.worker_urls[1], bid))
    console = clients.add(mod.client(bid, base=workers.worker_urls[1]))
    for client in (asker, watcher, console):
        await client.connect()
    assert asker.epoch == watcher.epoch == console.epoch
    asked = ok(await asker.command("ask", text="两个进程一个端口？"))
    assert (await caught_up(console, asked["pos"])).questions[asked["qid"]]["status"] == "pending"
    approved = ok(await console.command("q.status", qid=asked["qid"], status="approved",
                                        expect="pending"))  # fmt: skip
    for client in (watcher, *viewers):
        seen = await caught_up(client, approved["pos"])
        assert seen.questions[asked["qid"]]["text"] == "两个进程一个端口？"
    # Likes through both processes sum exactly (one flush identity per process).
    replies = await asyncio.gather(asker.command("like", n=7), watcher.command("like", n=5))
    assert [ok(r)["accepted"] for r in replies] == [7, 5]
    for client in (asker, watcher, console):
        await client.wait_state(lambda s: s.likes == 12)


async def test_sigterm_stops_every_process_every_time(workers: Workers, clients: Clients) -> None:
    """Start and stop five times: each stop is graceful (no child needed SIGKILL),
    leaves no process behind, and Redis goes last."""
    bid = ""
    for round_ in range(5):
        workers.start()
        procs = await workers.processes()
        pids = [p["pid"] for p in procs]
        redis_pid = workers.redis_pid()
        workers.seen.extend([*pids, redis_pid])
        if not bid:  # the data dir, so the broadcast, outlives each round
            mod = await harness.new_moderator(workers.redis_url, workers.base)
            bid = (await mod.create_broadcast())["id"]
        # An open websocket on each process, a like buffered: the stop has
        # connections to close and a flush to make.
        for url in workers.worker_urls:
            client = clients.add(await harness.viewer(url, bid))
            await client.connect()
            ok(await client.command("like", n=1))
        assert workers.proc is not None
        workers.proc.send_signal(signal.SIGTERM)
        code = await workers.wait_exit()
        assert code == 128 + signal.SIGTERM, (round_, code, workers.log())
        assert [pid for pid in [*pids, redis_pid] if alive(pid)] == [], workers.log()
        assert "did not stop" not in workers.log(), workers.log()
        assert "after the stop signal" not in workers.log(), workers.log()
        assert f"{WORKERS} hub processes stopped" in workers.log()
        await clients.aclose()


async def test_sigint_stops_every_process(workers: Workers) -> None:
    workers.start()
    pids = [p["pid"] for p in await workers.processes()]
    redis_pid = workers.redis_pid()
    workers.seen.extend([*pids, redis_pid])
    assert workers.proc is not None
    workers.proc.send_signal(signal.SIGINT)
    assert await workers.wait_exit() == 128 + signal.SIGINT
    assert [pid for pid in [*pids, redis_pid] if alive(pid)] == []


async def test_a_killed_process_is_restarted_on_its_port(
    workers: Workers, clients: Clients
) -> None:
    workers.start()
    before = await workers.processes()
    workers.seen.extend(p["pid"] for p in before)
    mod = await harness.new_moderator(workers.redis_url, workers.base)
    bid = (await mod.create_broadcast())["id"]
    survivor = clients.add(await harness.viewer(workers.worker_urls[1], bid))
    await survivor.connect()

    os.kill(before[0]["pid"], signal.SIGKILL)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        after = await workers.processes()
        if after[0]["pid"] != before[0]["pid"]:
            break
        assert time.monotonic() < deadline, workers.log()
        await asyncio.sleep(0.05)
    workers.seen.append(after[0]["pid"])
    assert workers.proc is not None and workers.proc.poll() is None
    assert not alive(before[0]["pid"])
    # The other process never stopped; the new one serves the same broadcast.
    assert after[1] == before[1]
    assert _ppid(after[0]["pid"]) == workers.proc.pid
    assert "restarting it in" in workers.log()
    viewer = clients.add(await harness.viewer(workers.worker_urls[0], bid))
    await viewer.connect()
    liked = ok(await viewer.command("like", n=3))
    assert liked["accepted"] == 3
    await survivor.wait_state(lambda s: s.likes == 3)


async def test_a_process_that_cannot_start_stops_the_parent(workers: Workers) -> None:
    """A worker port already taken: that child fails to start, and would again:
    the parent stops the other child and Redis and exits with status 3."""
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", workers.worker_base + 1))
        taken.listen()
        workers.start()
        code = await workers.wait_exit()
    assert code == 3, workers.log()
    assert "could not start" in workers.log()
    assert "cannot bind" in workers.log()
    pid_file = workers.data_dir / PID_NAME
    if pid_file.exists():
        assert not alive(workers.redis_pid()), workers.log()
    started = [int(m) for m in re.findall(r"hub process \d started \(pid (\d+)\)", workers.log())]
    assert started and not [pid for pid in started if alive(pid)]


async def test_children_stop_when_the_parent_is_killed(workers: Workers) -> None:
    """kill -9 of the parent: each child gets SIGTERM from the kernel and stops;
    the embedded Redis keeps running for the next start to reuse."""
    workers.start()
    pids = [p["pid"] for p in await workers.processes()]
    workers.seen.extend(pids)
    assert workers.proc is not None
    workers.proc.kill()
    workers.proc.wait(10)
    deadline = time.monotonic() + EXIT_TIMEOUT_S
    while [pid for pid in pids if alive(pid)]:
        assert time.monotonic() < deadline, workers.log()
        await asyncio.sleep(0.05)
    assert alive(workers.redis_pid())
    assert workers.log().count("hub stopped") == WORKERS


async def test_a_stopping_hub_starts_no_channel(redis_url: str) -> None:
    """A join during the stop must not start a channel (its tail group would
    read on after the tailer ended them all, keeping the process alive): it is
    refused as retryable, and the socket closed with TRY_AGAIN (server/live/ws.py)."""
    hub = Hub(Settings(redis_url=redis_url))
    try:
        hub.stopping = True
        with pytest.raises(Rejection) as refused:
            await hub.channel("t-" + secrets.token_hex(5))
        assert refused.value.code == Code.UNAVAILABLE and refused.value.retryable
        assert hub.channels == {} and hub.tailer.groups == []
    finally:
        await hub.redis.aclose()
