"""One load worker process: many simulated clients on one event loop.

A worker connects its clients (``HubClient`` subclasses with a lean frame
handler: no state reducer, no history), tells the parent it is ready, waits
for the measurement window, runs its behaviour until the window ends, lets
in-flight frames drain, and sends its merged ``Stats`` back.

Behaviours:

* ``watch``: idle viewers that only receive (most of a real audience);
* ``likes``: viewers tapping in bursts, one like batch in flight each;
* ``ask``: viewers asking questions back to back (one in flight each), some
  resent with the same id to exercise idempotency (``lean.LeanAsker``);
* ``mix``: the realistic audience: most watch, some tap likes, a few ask and
  upvote, and everyone votes when a poll opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import resource
import time
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

import orjson

from bench.loadtest.lean import LeanAsker, LeanViewer, open_lean
from bench.loadtest.stats import Stats, empty_totals, measure_events, pos_key
from server.client import HubClient

Json = dict[str, Any]


class LoadClient(HubClient):
    """A HubClient that only counts: frames, measured events, latency, order."""

    ping_interval = None  # thousands of clients per process: the hub's pings suffice

    def __init__(self, *args: Any, stats: Stats, window: list[float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stats = stats
        self.window = window  # [start_ms, end_ms], shared by the worker's clients
        self.last_key: tuple[int, int] = (0, 0)
        self.polls: list[Json] = []

    def _handle(self, msg: Json) -> None:
        kind = msg.get("type")
        if kind == "events":
            self.last_key = measure_events(self.stats, self.window, msg, self.last_key)
            for event in msg["events"]:
                if event.get("type") == "poll" and event["poll"].get("state") == "open":
                    self.polls.append(event["poll"])
            self.pos = msg.get("pos", self.pos)
            return
        if kind == "snapshot":
            self.pos = msg.get("pos", self.pos)
            self.last_key = pos_key(msg["pos"]) if msg.get("pos") else self.last_key
            self.polls.extend(p for p in msg.get("polls", []) if p.get("state") == "open")
        super()._handle(msg)


async def _connect_all(clients: list[LoadClient], stats: Stats, concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(client: LoadClient) -> None:
        async with gate:
            for attempt in range(5):
                try:
                    await client.connect(timeout=30)
                    return
                except Exception:
                    await asyncio.sleep(0.2 * (attempt + 1))
            stats.connect_errors += 1

    await asyncio.gather(*(one(c) for c in clients))


def _error(client: LoadClient, reply: Json, out: Json) -> None:
    client.stats.errors += 1
    code = str(reply.get("code", reply.get("type")))
    out["error_codes"][code] = out["error_codes"].get(code, 0) + 1


async def _likes(client: LoadClient, end: float, batch: int, out: Json) -> None:
    while time.time() < end and client.close_code is None:
        reply = await client.command("like", n=batch, timeout=30)
        out["sent"] += batch
        if reply.get("type") == "ack":
            client.stats.acks += 1
            out["accepted"] += int(reply["result"].get("accepted", 0))
            out["messages"] += 1
        else:
            _error(client, reply, out)


async def _asked(askers: list[LeanAsker], end: float) -> None:
    """Until every asker got its last reply (at most 30 s late, as HubClient.command)."""
    waiting = [a.done for a in askers]
    if waiting:
        await asyncio.wait(waiting, timeout=max(0.0, end - time.time()) + 30)


async def _mix(client: LoadClient, index: int, end: float, out: Json, rng: random.Random) -> None:
    """Realistic viewer: 85% watch, 10% tap likes in bursts, 5% ask and upvote; all vote."""
    voted: set[int] = set()
    kind = "watch" if index % 20 < 17 else ("likes" if index % 20 < 19 else "ask")
    n = 0
    while time.time() < end and client.close_code is None:
        for poll in list(client.polls):
            if poll["id"] not in voted:
                voted.add(poll["id"])
                choice = rng.randrange(len(poll["options"]))
                reply = await client.command("vote", poll=poll["id"], choices=[choice], timeout=30)
                out["votes"] += reply.get("type") == "ack"
        if kind == "likes":
            taps = rng.randint(1, 30)
            reply = await client.command("like", n=taps, timeout=30)
            out["sent"] += taps
            if reply.get("type") == "ack":
                out["accepted"] += int(reply["result"].get("accepted", 0))
            await asyncio.sleep(rng.uniform(0.2, 2.0))
        elif kind == "ask":
            n += 1
            reply = await client.command(
                "ask", text=f"市民提问 {client.tab}-{n}：换乘站设计如何考虑老人？", timeout=30
            )
            out["asked"] += reply.get("type") == "ack"
            await asyncio.sleep(rng.uniform(2.0, 6.0))
        else:
            await asyncio.sleep(0.5)


async def _open_lean(
    spec: Json, stats: Stats, window: list[float], out: Json | None = None
) -> list[LeanViewer]:
    """Lean clients (see bench.loadtest.lean): receive-only viewers for the
    fan-out scenarios, or askers (``out`` given) for the questions scenario."""
    parts = urlsplit(spec["url"])
    host, port, bid = parts.hostname or "127.0.0.1", parts.port or 80, spec["bid"]
    gate = asyncio.Semaphore(spec.get("concurrency", 100))
    viewers: list[LeanViewer] = []
    rng = random.Random(spec.get("seed", 1))

    # Many broadcasts: the i-th cookie watches the i-th of ``bids``.
    bid_of = dict(zip(spec["cookies"], spec.get("bids") or [], strict=False))

    def make(cookie: str) -> LeanViewer:
        if out is None:
            return LeanViewer(host, port, bid_of.get(cookie, bid), cookie, stats, window)
        interval = float(spec.get("interval", 0.0))
        return LeanAsker(
            host, port, bid, cookie, stats, window, out=out, rng=rng, interval=interval
        )

    async def one(cookie: str) -> None:
        async with gate:
            for attempt in range(5):
                try:
                    viewers.append(await open_lean(host, port, lambda: make(cookie)))
                    return
                except (OSError, ConnectionError, TimeoutError):
                    await asyncio.sleep(0.2 * (attempt + 1))
            stats.connect_errors += 1

    await asyncio.gather(*(one(c) for c in spec["cookies"]))
    return viewers


async def _run(spec: Json, pipe: Connection) -> Json:
    stats = Stats()
    window = [0.0, 0.0]
    cookies: list[str] = spec["cookies"]
    behaviour = spec["behaviour"]
    clients: list[LoadClient] = []
    lean: list[LeanViewer] = []
    out: Json = {**empty_totals(), "error_codes": {}}
    if behaviour == "watch":
        lean = await _open_lean(spec, stats, window)
    elif behaviour == "ask":
        lean = await _open_lean(spec, stats, window, out)
    else:
        clients = [
            LoadClient(
                spec["url"],
                spec["bid"],
                "viewer",
                cookies={"xs_vid": c},
                stats=stats,
                window=window,
            )
            for c in cookies
        ]
        await _connect_all(clients, stats, spec.get("concurrency", 100))
    pipe.send({"ready": len(cookies) - stats.connect_errors})
    loop = asyncio.get_running_loop()
    start, end = await loop.run_in_executor(None, pipe.recv)
    window[0], window[1] = start * 1000, end * 1000
    # Paced askers start one interval early, so they ask at their steady rate
    # from the window's first moment (their first questions are spread over
    # one interval); only questions sent inside the window are counted.
    lead = float(spec.get("interval", 0.0)) if behaviour == "ask" else 0.0
    await asyncio.sleep(max(0.0, start - lead - time.time()))
    rng = random.Random(spec.get("seed", 1))
    if behaviour == "likes":
        tasks = [_likes(c, end, spec.get("batch", 100), out) for c in clients]
    elif behaviour == "ask":
        askers = [a for a in lean if isinstance(a, LeanAsker)]
        for asker in askers:
            asker.start(end)
        tasks = [_asked(askers, end)]
    elif behaviour == "mix":
        tasks = [_mix(c, i, end, out, rng) for i, c in enumerate(clients)]
    else:
        tasks = [asyncio.sleep(max(0.0, end - time.time()))]
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(spec.get("drain_s", 1.5))  # let frames of the window arrive
    stats.closed = sum(1 for c in clients if c.close_code is not None)
    stats.closed += sum(1 for v in lean if v.closed)
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    for viewer in lean:
        viewer.close()
    await asyncio.sleep(0.2)
    result = stats.to_dict()
    result.update(out)
    return result


def main(spec: Json, pipe: Connection) -> None:
    """Entry point of a worker process (multiprocessing, spawn)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    try:
        result = runner(_run(spec, pipe))
    except BaseException as exc:  # report, never hang the parent
        result = {"failed": repr(exc)}
    pipe.send(orjson.loads(orjson.dumps(result)))
    pipe.close()
