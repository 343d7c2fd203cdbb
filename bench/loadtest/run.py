"""The parent side of a load run: workers, the measurement window, drivers, merging.

Timeline of one scenario:

1. spawn ``workers`` processes, each connecting its share of the viewers;
2. when all are ready, pick a window ``[start, start + duration]`` (wall clock)
   and send it to every worker;
3. run the driver (a moderator, in this process) inside the window;
4. workers keep receiving for ``drain_s`` after the window, then report;
5. merge: frames/s and events/s over the window, latency percentiles, and
   missing = what every connected client should have received minus what it did.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bench.loadtest import worker
from bench.loadtest.stats import Stats, empty_totals, pos_ms
from server import auth
from server.client import HubClient

Json = dict[str, Any]
Driver = Callable[[float, float], Awaitable[Json]]


def mint_cookies(secret: bytes, n: int) -> list[str]:
    """Signed viewer ids, as GET /api/viewer would set them (bench knows the secret)."""
    return [auth.sign(secret, auth.new_viewer_id(), "vid") for _ in range(n)]


async def run_scenario(
    *,
    url: str,
    bid: str,
    behaviour: str,
    cookies: Sequence[str],
    workers: int = 2,
    duration: float = 10.0,
    warmup: float = 1.0,
    drain_s: float = 1.5,
    driver: Driver | None = None,
    extra: Json | None = None,
    ready_timeout: float = 180.0,
    bids: Sequence[str] | None = None,
) -> Json:
    """``bids``: one broadcast per cookie (many broadcasts), instead of ``bid`` for all."""
    ctx = multiprocessing.get_context("spawn")
    shares = [list(cookies[i::workers]) for i in range(workers)]
    pipes, procs = [], []
    for i, share in enumerate(shares):
        parent, child = ctx.Pipe()
        spec = {
            "url": url,
            "bid": bid,
            "behaviour": behaviour,
            "cookies": share,
            **({"bids": list(bids[i::workers])} if bids is not None else {}),
            "drain_s": drain_s,
            "seed": i + 1,
            **(extra or {}),
        }
        proc = ctx.Process(target=worker.main, args=(spec, child), daemon=True)
        proc.start()
        child.close()
        pipes.append(parent)
        procs.append(proc)
    loop = asyncio.get_running_loop()
    try:
        ready = 0
        for pipe in pipes:
            if not await loop.run_in_executor(None, pipe.poll, ready_timeout):
                raise RuntimeError("a load worker did not get ready in time")
            msg = pipe.recv()
            if "failed" in msg:
                raise RuntimeError(f"load worker failed: {msg['failed']}")
            ready += int(msg["ready"])
        print(f"loadtest: {ready} clients ready", flush=True)
        start = time.time() + warmup
        end = start + duration
        for pipe in pipes:
            pipe.send((start, end))
        driven: Json = {}
        if driver is not None:
            await asyncio.sleep(max(0.0, start - time.time()))
            driven = await driver(start, end)
        results = []
        for pipe in pipes:
            if not await loop.run_in_executor(None, pipe.poll, duration + drain_s + 120):
                raise RuntimeError("a load worker did not report in time")
            results.append(pipe.recv())
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
    failed = [r["failed"] for r in results if "failed" in r]
    if failed:
        raise RuntimeError(f"load worker failed: {failed[0]}")
    stats = Stats()
    errors: dict[str, int] = {}
    merged: Json = empty_totals()
    for r in results:
        stats.merge(r)
        for key in merged:
            merged[key] += r[key]
        for code, n in r["error_codes"].items():
            errors[code] = errors.get(code, 0) + n
    return {
        "clients": ready,
        "duration": duration,
        "start": start,
        "end": end,
        "stats": stats,
        "driven": driven,
        "error_codes": errors,
        **merged,
    }


def summarize(run: Json, expected_per_client: int) -> Json:
    """The common figures of a receive-side scenario."""
    stats: Stats = run["stats"]
    clients, duration = run["clients"], run["duration"]
    expected = expected_per_client * clients
    return {
        "clients": clients,
        "frames_per_s": round(stats.frames / duration),
        "events_per_s": round(stats.events / duration),
        "p50_ms": stats.percentile(0.50),
        "p99_ms": stats.percentile(0.99),
        "missing": max(0, expected - stats.events),
        "duplicated": stats.duplicated + max(0, stats.events - expected),
        "connect_errors": stats.connect_errors,
        "closed_early": stats.closed,
    }


def star_driver(
    url: str,
    bid: str,
    mod_cookies: dict[str, str],
    qids: Sequence[int],
    hz: float,
    per_tick: int,
) -> Driver:
    """A moderator toggling stars at ``hz`` ticks/s, ``per_tick`` changes per tick.

    Each change is one question event every viewer may see (the questions are
    approved). Returns the stream positions of the events inside the window.
    """

    async def drive(start: float, end: float) -> Json:
        # One moderator socket per question: the hub handles one socket's
        # commands in order, so parallel sockets let a tick's changes land together.
        mods = [HubClient(url, bid, "moderator", cookies=mod_cookies) for _ in qids]
        await asyncio.gather(*(m.connect() for m in mods))
        starred = dict.fromkeys(qids, False)
        positions: list[str] = []
        errors = 0
        tick = 1.0 / hz
        next_at = start

        async def toggle(mod: HubClient, qid: int, times: int) -> None:
            nonlocal errors
            for _ in range(times):
                starred[qid] = not starred[qid]
                reply = await mod.command("q.star", qid=qid, on=starred[qid], timeout=30)
                if reply.get("type") == "ack" and reply["result"].get("pos"):
                    positions.append(reply["result"]["pos"])
                else:
                    errors += 1

        ticks = 0
        # A tick's toggles are sent on time whether or not the previous tick's
        # acks came back (each socket keeps its commands in order): on a loaded
        # machine awaiting them made the offered rate the acks' rate, far below
        # ``hz`` (docs/performance.md, fan-out at saturation).
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while next_at < end:
                await asyncio.sleep(max(0.0, next_at - time.time()))
                # The tick's changes go to the next questions in turn: each
                # moderator socket's commands are handled in order, so at a high
                # rate one socket alone would set the pace.
                per_question = [0] * len(qids)
                for i in range(per_tick):
                    per_question[(ticks * per_tick + i) % len(qids)] += 1
                ticks += 1
                for m, q, n in zip(mods, qids, per_question, strict=True):
                    if n:
                        task = asyncio.create_task(toggle(m, q, n))
                        in_flight.add(task)
                        task.add_done_callback(in_flight.discard)
                next_at += tick
            await asyncio.gather(*in_flight)
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*(m.close() for m in mods))
        lo, hi = start * 1000, end * 1000
        inside = [p for p in positions if lo <= pos_ms(p) <= hi]
        return {"events": len(inside), "errors": errors}

    return drive
