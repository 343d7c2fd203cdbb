"""The record's exports at scale (``python -m bench --only export``).

Fills one broadcast with ``questions`` questions through the real scripts
(a quarter approved, some edited, follow-up records on a tenth, a poll), then
downloads ``export.csv`` and ``export.xlsx`` from the running hub as a
moderator would, one after the other, and reports for each: seconds to the
last byte, size, and the hub process's peak resident memory during the
download (``VmHWM``, reset before each by writing 5 to ``/proc/<pid>/clear_refs``)
next to its resident memory before it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import redis.asyncio as aioredis

from server.settings import Settings
from server.store import keys
from server.store.store import Store

_TEXT = "关于{i}号线换乘站的问题：老年人和推婴儿车的家长怎么上下站台？能否增加无障碍电梯和指引？"


_FOLLOWUP = {
    "state": "replied", "dept": "traffic", "due": "2026-01-31", "rating": "satisfied",
    "reply": "已会同相关部门研究，将在换乘站增设无障碍电梯。",
}  # fmt: skip


def _rows(kind: str, body: bytes) -> int:
    """Question rows in an export (header excluded)."""
    if kind == "csv":
        return len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) - 1
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return int(book["问题"].max_row or 1) - 1


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def ask_many(store: Store, bid: str, n: int, *, viewers: int | None = None) -> None:
    """``n`` questions of ~40 characters, 500 at a time, from ``n`` viewers (or
    ``viewers`` of them in turn); also the console bench's fill (bench/console5k.py)."""
    for start in range(0, n, 500):
        await asyncio.gather(*(
            store.ask(bid, f"bench-ask-{i}", vid=f"bench-v{i % viewers if viewers else i}",
                      text=_TEXT.format(i=i), name=f"市民{i}", tag="交通" if i % 3 else "教育",
                      fp=f"fp{i}")
            for i in range(start, min(start + 500, n))
        ))  # fmt: skip


async def fill(redis_url: str, bid: str, n: int) -> None:
    redis = aioredis.Redis.from_url(redis_url)
    try:
        store = Store(redis, Settings(redis_url=redis_url))
        await ask_many(store, bid, n)
        pipe = redis.pipeline(transaction=False)
        for qid in range(1, n + 1):
            if qid % 4 == 0:
                shown = {"status": "approved", "approved_at": int(time.time() * 1000)}
                pipe.hset(keys.question(bid, qid), mapping=shown)
            if qid % 10 == 0:
                pipe.hset(keys.followup(bid, qid), mapping=_FOLLOWUP)
        await pipe.execute()
    finally:
        await redis.aclose()


async def run(
    base: str, pid: int, redis_url: str, bid: str, cookies: dict[str, str], cfg: dict[str, Any]
) -> dict[str, Any]:
    n = int(cfg["questions"])
    started = time.monotonic()
    await fill(redis_url, bid, n)
    result: dict[str, Any] = {"questions": n, "fill_s": round(time.monotonic() - started, 1)}
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=300) as http:
        for kind in ("csv", "xlsx"):
            await asyncio.to_thread(_reset_peak, pid)
            before = await asyncio.to_thread(_kb, pid, "VmRSS")
            body = bytearray()
            t0 = time.monotonic()
            async with http.stream("GET", f"/api/broadcasts/{bid}/export.{kind}") as resp:
                resp.raise_for_status()
                async for chunk in resp.aiter_bytes():
                    body += chunk
            result[f"{kind}_s"] = round(time.monotonic() - t0, 2)
            result[f"{kind}_mb"] = round(len(body) / 1e6, 1)
            # What came is checked after the clock stopped: one row per question.
            result[f"{kind}_rows"] = await asyncio.to_thread(_rows, kind, bytes(body))
            result[f"{kind}_rss_before_mb"] = round(before / 1024, 1)
            peak = await asyncio.to_thread(_kb, pid, "VmHWM")
            result[f"{kind}_peak_rss_mb"] = round(peak / 1024, 1)
    return result
