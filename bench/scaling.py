"""The inputs of the sizing table (docs/scaling.md) that the other scenarios lack.

* ``slot``: how many writes one broadcast's slot sustains. One broadcast's
  keys share a hash tag, so on Redis Cluster they live on one primary, one
  core: this is the ceiling of a viral show's writes however many hub
  processes serve it. The scripts (``ask.lua``, ``upvote.lua``,
  ``likes_flush.lua``) are called directly through ``Store``, from several
  client processes at once, against the bench's redis-server (no hub: only
  writes hit the slot, as in production, where fan-out stays in the hub
  processes). Reported: the rate reached on this machine, and Redis's own CPU
  time per write (``INFO cpu``), whose inverse is the rate one saturated core
  sustains.
* ``redis_ops``: Redis commands per event, by ``INFO commandstats`` deltas
  around N questions, N like batches (the flushes they cause) and N joins
  through one real hub process, with viewers connected. Redis 7 counts the
  commands a script runs in ``commandstats`` too: ``evalsha`` is the number of
  scripts (round trips of writes), the total is the work Redis did.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import secrets
import time
from typing import Any

import redis.asyncio as aioredis

from bench.loadtest.run import mint_cookies
from server.client import HubClient
from server.domain.text import fingerprint
from server.settings import Settings
from server.store import keys
from server.store.store import Store

# Per-viewer and per-address limits are policy, not capacity (as in HUB_ENV).
_UNLIMITED = {
    "questions_burst": 10**9,
    "questions_per_min": 1e9,
    "questions_ip_burst": 10**9,
    "questions_ip_per_min": 1e9,
    "viewer_actions_burst": 10**9,
    "viewer_actions_per_min": 1e9,
}
_TEXT = "压测提问：地铁新线的换乘站会不会考虑老年人和推婴儿车的家长？"


def _settings(redis_url: str) -> Settings:
    known = {f for f in Settings.__dataclass_fields__}
    return Settings(redis_url=redis_url, **{k: v for k, v in _UNLIMITED.items() if k in known})


async def _writer(redis_url: str, bid: str, kind: str, seconds: float, tasks: int) -> int:
    """One client process: ``tasks`` coroutines writing ``kind`` for ``seconds``."""
    redis = aioredis.Redis.from_url(redis_url, max_connections=tasks)
    store = Store(redis, _settings(redis_url))
    tag = secrets.token_hex(4)
    qids: list[int] = []
    if kind == "upvote":  # something to upvote, asked first
        for i in range(tasks):
            r = await store.ask(bid, f"{tag}-q{i}", vid=f"{tag}q{i}", text=f"{_TEXT}{tag}{i}",
                                name="", tag=None, fp=fingerprint(f"{_TEXT}{tag}{i}"))  # fmt: skip
            qids.append(int(r["qid"]))
    done = 0
    end = time.monotonic() + seconds

    async def loop(t: int) -> None:
        nonlocal done
        n = 0
        while time.monotonic() < end:
            n += 1
            who = f"{tag}-{t}-{n}"
            if kind == "ask":
                text = f"{_TEXT} {who}"
                await store.ask(bid, who, vid=who, text=text, name="", tag=None,
                                fp=fingerprint(text))  # fmt: skip
            elif kind == "upvote":
                await store.upvote(bid, who, vid=who, qid=qids[t % len(qids)], on=True)
            else:  # one hub process's like flush: its own (proc, seq)
                await store.flush_likes(bid, proc=f"{tag}{t}", seq=n, delta=10, last_ids={})
            done += 1

    try:
        await asyncio.gather(*(loop(t) for t in range(tasks)))
    finally:
        await redis.aclose()
    return done


def _writer_process(args: tuple[str, str, str, float, int]) -> int:
    return asyncio.run(_writer(*args))


async def _cpu_s(redis: aioredis.Redis) -> float:
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def slot(bench: Any, cfg: dict[str, Any]) -> dict[str, Any]:
    """Writes one broadcast's slot sustains, per write kind."""
    hub, bid = await bench.fresh()
    # Only the writes: the hub's tailer would add its reads to the slot.
    hub.stop()
    bench.hub = None
    out: dict[str, Any] = {"client_processes": cfg["processes"], "tasks": cfg["tasks"]}
    ctx = multiprocessing.get_context("spawn")
    async with aioredis.Redis.from_url(bench.redis_url) as redis:
        for kind in ("ask", "upvote", "likes_flush"):
            await redis.config_resetstat()
            cpu0, t0 = await _cpu_s(redis), time.monotonic()
            args = (bench.redis_url, bid, kind, cfg["duration"], cfg["tasks"])
            with ctx.Pool(cfg["processes"]) as pool:
                jobs = [args] * cfg["processes"]
                counts = await asyncio.to_thread(pool.map, _writer_process, jobs)
            wall, cpu = time.monotonic() - t0, await _cpu_s(redis) - cpu0
            writes = sum(counts)
            stats = (await redis.info("commandstats")).get("cmdstat_evalsha", {})
            us_per_write = 1e6 * cpu / writes if writes else None
            out[kind] = {
                "writes": writes,
                "writes_per_s": round(writes / cfg["duration"]),
                "redis_cpu_pct": round(100 * cpu / wall, 1),
                "redis_cpu_us_per_write": round(us_per_write, 1) if us_per_write else None,
                "evalsha_usec_per_call": stats.get("usec_per_call"),
                # One core fully busy with this write, and nothing else.
                "one_core_writes_per_s": round(1e6 / us_per_write) if us_per_write else None,
            }
            print(f"bench: slot {kind} {out[kind]}", flush=True)
        # What a broadcast's stream holds in Redis, capped at STREAM_MAXLEN.
        events = keys.events(bid)
        length, size = await redis.xlen(events), await redis.memory_usage(events, samples=0)
        out["stream_events"] = length
        out["stream_bytes_per_event"] = round(size / length) if length and size else None
        out["used_memory_mb"] = round((await redis.info("memory"))["used_memory"] / 2**20, 1)
    return out


def _calls(stats: dict[str, Any]) -> dict[str, int]:
    return {
        name.removeprefix("cmdstat_"): int(v["calls"])
        for name, v in stats.items()
        if name.startswith("cmdstat_") and not name.startswith(("cmdstat_info", "cmdstat_config"))
    }


async def redis_ops(bench: Any, cfg: dict[str, Any], secret: str) -> dict[str, Any]:
    """Redis commands per question, per like batch and per join, one hub process."""
    hub, bid = await bench.fresh(PRESENCE_INTERVAL_S="3600")
    n, watchers = cfg["events"], cfg["viewers"]
    cookies = mint_cookies(secret.encode(), watchers + n + 1)
    viewers = [HubClient(hub.base, bid, cookies={"xs_vid": c}) for c in cookies[:watchers]]
    asker = HubClient(hub.base, bid, cookies={"xs_vid": cookies[watchers]})
    await asyncio.gather(*(v.connect() for v in [*viewers, asker]))
    out: dict[str, Any] = {"viewers": watchers, "events": n}
    async with aioredis.Redis.from_url(bench.redis_url) as redis:

        async def measured(what: str, run: Any) -> None:
            await asyncio.sleep(0.5)  # the joins' and acks' tails settle
            await redis.config_resetstat()
            await run()
            await asyncio.sleep(0.5)  # the last flush and the tailers' reads land
            calls = _calls(await redis.info("commandstats"))
            out[what] = {
                "commands_per_event": round(sum(calls.values()) / n, 2),
                "by_command": {k: round(v / n, 2) for k, v in sorted(calls.items())},
            }
            print(f"bench: redis_ops {what} {out[what]}", flush=True)

        async def asks() -> None:
            for i in range(n):
                await asker.command("ask", text=f"{_TEXT} {i}")

        async def likes() -> None:
            # One batch per flush interval, as one busy page sends them.
            for _ in range(n):
                await asker.command("like", n=5)

        joined: list[HubClient] = []

        async def joins() -> None:
            for c in cookies[watchers + 1 :]:
                client = HubClient(hub.base, bid, cookies={"xs_vid": c})
                await client.connect()
                joined.append(client)

        try:
            await measured("question", asks)
            await measured("like_batch", likes)
            await measured("join", joins)
        finally:
            await asyncio.gather(
                *(v.close() for v in [*viewers, asker, *joined]), return_exceptions=True
            )
    return out
