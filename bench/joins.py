"""Joins, storms and growth (docs/performance.md, "Joins, storms and growth").

* ``join``: viewers joining a broadcast of 10,000 questions (2,000 approved,
  ~40 Chinese characters each) at a paced rate: the snapshot's size, the time
  from hello to the welcome and to the snapshot; the moderator's first screen
  and the pages to reach every pending question.
* ``storm``: after a graceful hub restart, clients reconnecting at once, half
  with a position from before the restart, half needing a snapshot of a
  broadcast with 2,000 questions: all served, ``storm_s`` until the last has
  its state, the Redis reads of snapshots and resumes, RSS before and after.
* ``growth``: the cost of one event (ask -> ack, approve -> a viewer's frame)
  and of one join at 100, 1,000 and 10,000 questions in the broadcast.

The broadcast is filled through the store's own scripts (``ask.lua``,
``set_status.lua``), as the hub writes it, not through the sockets: filling is
not what is measured.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from server import auth
from server.client import HubClient
from server.domain import paging
from server.domain import question as qn
from server.domain.text import fingerprint
from server.domain.transitions import allowed_from
from server.protocol import PROTOCOL_VERSION
from server.settings import Settings
from server.store.store import Store

# About 40 Chinese characters, distinct per question (the duplicate check).
STEM = "关于地铁末班车延长运营时间以及夜间公交接驳线路调整的问题，"


def text_of(i: int) -> str:
    tag = "".join(chr(0x4E00 + 10 * n + int(d)) for n, d in enumerate(str(i)))
    return f"{STEM}编号{tag}"


async def fill(redis_url: str, bid: str, n: int, *, approved: int, start: int = 0) -> list[int]:
    """``n`` pending questions from ``n`` viewers, the first ``approved`` approved."""
    r = aioredis.Redis.from_url(redis_url)
    store = Store(r, Settings(redis_url=redis_url, questions_burst=100000))
    qids: list[int] = []
    try:
        for lo in range(start, start + n, 500):
            batch = range(lo, min(start + n, lo + 500))
            results = await asyncio.gather(
                *(
                    store.ask(
                        bid,
                        f"v:f{i}:a",
                        vid=f"f{i}",
                        text=text_of(i),
                        name="市民",
                        tag=None,
                        fp=fingerprint(text_of(i)),
                    )
                    for i in batch
                )
            )
            qids += [res["qid"] for res in results]
        target = qn.QuestionStatus.APPROVED
        allowed = allowed_from(qn.QUESTION_TRANSITIONS, target)
        for lo in range(0, approved, 500):
            await asyncio.gather(
                *(
                    store.set_status(
                        bid,
                        f"m:bench:{secrets.token_hex(6)}",
                        user="bench",
                        qid=qid,
                        target=target.value,
                        allowed_from=allowed,
                        expect=None,
                        reason="",
                    )
                    for qid in qids[lo : min(approved, lo + 500)]
                )
            )
    finally:
        await r.aclose()
    return qids


async def open_viewer(base: str, bid: str, cookie: str) -> ClientConnection:
    return await connect(
        base.replace("http", "ws", 1) + f"/ws/{bid}",
        origin=Origin(base),
        additional_headers={"Cookie": f"{auth.VIEWER_COOKIE}={cookie}"},
        max_size=None,
        compression=None,
        open_timeout=60,
    )


async def hello(
    ws: ClientConnection, since: dict[str, str] | None = None, role: str = "viewer"
) -> tuple[float, float, dict[str, Any], int]:
    """Say hello; (ms to the welcome, ms to the frame after it, welcome, its bytes)."""
    msg: dict[str, Any] = {"type": "hello", "role": role, "v": PROTOCOL_VERSION}
    if since is not None:
        msg["since"] = since
    t0 = time.perf_counter()
    await ws.send(orjson.dumps(msg).decode())
    welcome = orjson.loads(await asyncio.wait_for(ws.recv(), 60))
    t1 = time.perf_counter()
    following = await asyncio.wait_for(ws.recv(), 60)
    t2 = time.perf_counter()
    return (t1 - t0) * 1000, (t2 - t0) * 1000, welcome, len(following)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def labelled(base: str, name: str) -> dict[str, float]:
    """label value -> sample of a one-label metric (``/metrics``)."""
    async with httpx.AsyncClient(base_url=base) as http:
        text = (await http.get("/metrics")).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            label = line.split('"')[1]
            out[label] = float(line.rsplit(" ", 1)[1])
        elif line.startswith(name + " "):
            out[""] = float(line.rsplit(" ", 1)[1])
    return out


async def join(
    base: str, redis_url: str, bid: str, mod: Callable[[], HubClient], secret: bytes,
    cfg: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Viewers joining at ``rate`` per second, each one kept open."""
    await fill(redis_url, bid, cfg["questions"], approved=cfg["approved"])
    rate, joins = cfg["rate"], cfg["joins"]
    cookies = [auth.sign(secret, auth.new_viewer_id(), "vid") for _ in range(joins)]
    opened: list[ClientConnection] = []
    to_welcome: list[float] = []
    to_snapshot: list[float] = []
    sizes: list[int] = []
    errors = 0

    async def one(cookie: str) -> None:
        nonlocal errors
        try:
            ws = await open_viewer(base, bid, cookie)
            opened.append(ws)
            w, s, welcome, size = await hello(ws)
            assert welcome.get("type") == "welcome", welcome
            to_welcome.append(w)
            to_snapshot.append(s)
            sizes.append(size)
        except Exception:
            errors += 1

    started = time.perf_counter()
    tasks = []
    for i, cookie in enumerate(cookies):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(cookie)))
    await asyncio.gather(*tasks)
    offered = joins / (time.perf_counter() - started)
    await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)

    # The moderator: the first screen, then every pending question page by page.
    console = mod()
    await console.connect()
    try:
        state = await console.wait_state(lambda s: s.snapshots == 1, timeout=60)
        snap = next(m for m in console.log if m.get("type") == "snapshot")
        t0 = time.perf_counter()
        pages = 0
        while state.more.get("pending.old") is not None:
            reply = await console.page("pending", "old", limit=paging.MAX)
            assert reply.get("type") == "ack", reply
            pages += 1
        paged_s = time.perf_counter() - t0
        pending = sum(1 for q in state.questions.values() if q["status"] == "pending")
    finally:
        await console.close()
    return {
        "questions": cfg["questions"],
        "approved": cfg["approved"],
        "joins": joins,
        "offered_joins_per_s": round(offered),
        "snapshot_bytes": max(sizes) if sizes else None,
        "p50_welcome_ms": pct(to_welcome, 0.5),
        "p99_welcome_ms": pct(to_welcome, 0.99),
        "p50_snapshot_ms": pct(to_snapshot, 0.5),
        "p99_snapshot_ms": pct(to_snapshot, 0.99),
        "moderator_snapshot_bytes": len(orjson.dumps(snap)),
        "moderator_pages": pages,
        "moderator_paged_s": round(paged_s, 2),
        "moderator_pending_reached": pending,
        "errors": errors,
    }


async def storm(
    hub: Any, redis_url: str, bid: str, mod: Callable[[], HubClient], secret: bytes,
    cfg: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """``clients`` reconnecting within one second after a graceful restart."""
    await fill(redis_url, bid, cfg["questions"], approved=cfg["questions"])
    r = aioredis.Redis.from_url(redis_url)
    try:
        last = await r.xrevrange(f"xs:{{{bid}}}:events", count=1)
        epoch = (await r.get(f"xs:{{{bid}}}:epoch")).decode()
    finally:
        await r.aclose()
    since = {"epoch": epoch, "pos": last[0][0].decode()}
    # Every client connects from 127.0.0.1 within one second: the half-open
    # cap (max_pending_connections, at most a quarter of the descriptor
    # limit) is a deployment's setting, lifted here as for a large audience.
    hub.env["MAX_PENDING_CONNECTIONS"] = str(4 * cfg["clients"])
    hub.env["REQUEST_DEADLINE_S"] = "30"
    hub.restart()
    console = mod()
    await console.connect()
    try:
        for i in range(5):
            await console.command("bc.update", title=f"重启之后 {i}")
        await asyncio.sleep(1.0)
        rss_before = hub.rss_kb()
        reads0 = await labelled(hub.base, "xs_snapshot_reads_total")
        resumes0 = await labelled(hub.base, "xs_resume_reads_total")
        trims0 = (await labelled(hub.base, "xs_memory_trims_total")).get("", 0.0)
        n = cfg["clients"]
        cookies = [auth.sign(secret, auth.new_viewer_id(), "vid") for _ in range(n)]
        opened: list[ClientConnection] = []
        outcomes: dict[str, int] = {}
        kinds: dict[str, int] = {}  # errors by exception type
        errors = 0

        async def one(i: int, cookie: str) -> None:
            nonlocal errors
            await asyncio.sleep(i / n)  # all of them within one second
            try:
                ws = await open_viewer(hub.base, bid, cookie)
                opened.append(ws)
                _, _, welcome, _ = await hello(ws, since if i % 2 == 0 else None)
                outcomes[welcome["resume"]] = outcomes.get(welcome["resume"], 0) + 1
            except Exception as exc:
                errors += 1
                kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i, c) for i, c in enumerate(cookies)))
        storm_s = time.perf_counter() - t0
        reads = await labelled(hub.base, "xs_snapshot_reads_total")
        resumes = await labelled(hub.base, "xs_resume_reads_total")
        rss_peak = hub.rss_kb()
        await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)
        if n >= Settings().memory_trim_drop:  # the hub gives memory back after a burst
            await until(
                lambda: labelled(hub.base, "xs_memory_trims_total"),
                lambda m: m.get("", 0.0) > trims0,
                60,
            )
        rss_after = hub.rss_kb()
    finally:
        await console.close()
    return {
        "clients": n,
        "questions": cfg["questions"],
        "served": sum(outcomes.values()),
        "outcomes": outcomes,
        "errors": errors,
        "error_kinds": kinds,
        "storm_s": round(storm_s, 2),
        "redis_snapshot_reads": reads.get("redis", 0) - reads0.get("redis", 0),
        "shared_snapshot_reads": reads.get("shared", 0) - reads0.get("shared", 0),
        "redis_resume_reads": resumes.get("redis", 0) - resumes0.get("redis", 0),
        "shared_resume_reads": resumes.get("shared", 0) - resumes0.get("shared", 0),
        "rss_before_kb": rss_before,
        "rss_peak_kb": rss_peak,
        "rss_after_kb": rss_after,
        "rss_after_ratio": round(rss_after / rss_before, 3),
    }


async def until(
    check: Callable[[], Awaitable[Any]], accept: Callable[[Any], bool], within_s: float
) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if accept(await check()):
            return
        await asyncio.sleep(0.2)


async def growth(
    base: str, redis_url: str, new_bid: Callable[[], Awaitable[str]],
    mod: Callable[[str], HubClient], secret: bytes, cfg: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Per size: median ask -> ack, approve -> viewer frame, hello -> snapshot."""
    out: dict[str, Any] = {}
    for size in cfg["sizes"]:
        bid = await new_bid()
        await fill(redis_url, bid, size, approved=size // 5)
        cookies = [auth.sign(secret, auth.new_viewer_id(), "vid") for _ in range(cfg["samples"])]
        joins, sizes = [], []
        for cookie in cookies:
            ws = await open_viewer(base, bid, cookie)
            _, s, _, size_b = await hello(ws)
            joins.append(s)
            sizes.append(size_b)
            await ws.close()
        viewer = HubClient(
            base, bid, "viewer", cookies={auth.VIEWER_COOKIE: cookies[0]}, record=True
        )
        console = mod(bid)
        await viewer.connect()
        await console.connect()
        asks, fanout = [], []
        try:
            await viewer.wait_state(lambda s: s.snapshots == 1, timeout=30)
            await console.wait_state(lambda s: s.snapshots == 1, timeout=30)
            for i in range(cfg["samples"]):
                t0 = time.perf_counter()
                reply = await viewer.command("ask", text=text_of(10_000_000 + size + i))
                asks.append((time.perf_counter() - t0) * 1000)
                qid = reply["result"]["qid"]
                t0 = time.perf_counter()
                moved = await console.command("q.status", qid=qid, status="approved")
                await viewer.wait_for(lambda e, p=moved["result"]["pos"]: e.get("pos") == p)
                fanout.append((time.perf_counter() - t0) * 1000)
        finally:
            await viewer.close()
            await console.close()
        out[str(size)] = {
            "ask_ack_ms": round(statistics.median(asks), 2),
            "approve_to_frame_ms": round(statistics.median(fanout), 2),
            "join_ms": round(statistics.median(joins), 2),
            "snapshot_bytes": max(sizes),
        }
    first, last = out[str(cfg["sizes"][0])], out[str(cfg["sizes"][-1])]
    out["ratio_last_to_first"] = {
        k: round(last[k] / first[k], 2) for k in ("ask_ack_ms", "approve_to_frame_ms", "join_ms")
    }
    return out
