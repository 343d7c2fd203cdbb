"""A word-cloud poll answered by a crowd (``python -m bench --only wordcloud``).

``viewers`` lean viewers (``bench.loadtest.lean``) connect to one hub and each
sends one ``poll.answer`` on a schedule of ``rate`` answers per second (3,000 at
1,500/s: all within 2 s, well inside the 30 s the figure allows); the ack
latency of each answer is measured from its send. A console (moderator) and an
overlay watch the poll: the frames that carry its cloud are counted per second
(the hub coalesces a tick's tallies, so at most one cloud per 20 ms tick
survives, each with at most ``CLOUD_TOP_N`` words). The poll's results are
``after_close``, so phones receive no cloud during the run: what is measured is
the answer path and the moderators' and overlay's cloud, not the phones'
fan-out (measured by the ``fanout`` rows). Afterwards Redis is read: every
acknowledged answer must be there (one per viewer), counted once in the
poll's ballots and in its words' tallies.

Also measured, in a fresh Python process: the time and memory jieba takes to
load its dictionary (``server/domain/wordcloud.py``, done once at start-up).
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import redis.asyncio as aioredis

from bench.loadtest.lean import LeanViewer
from bench.loadtest.stats import Stats
from server.client import HubClient
from server.domain.poll_kinds import CLOUD_TOP_N
from server.store import keys

Json = dict[str, Any]

_WORDS = ["地铁", "公交", "太挤", "方便", "换乘", "太远", "准点", "拥堵", "便宜", "安全", "干净",
          "太慢", "舒服", "人多", "等车", "骑行", "步行", "堵车", "高峰", "晚点"]  # fmt: skip
_TAILS = ["", "了", "！", "啊", "。"]
_CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 800)]


def _answer(rng: random.Random) -> str:
    """A short answer: one or two common words (they meet in the cloud), now and
    then a rare one (so the cloud has more words than it shows)."""
    if rng.random() < 0.15:
        return "".join(rng.choices(_CJK, k=2)) + rng.choice(_WORDS)
    return "".join(rng.sample(_WORDS, rng.randint(1, 2))) + rng.choice(_TAILS)


class Answerer(LeanViewer):
    """A lean viewer that sends one ``poll.answer`` when told and times its ack."""

    def __init__(self, host: str, port: int, bid: str, cookie: str, out: Json) -> None:
        super().__init__(host, port, bid, cookie, Stats(), [0.0, 0.0])
        self.out = out
        self.cid = ""
        self.sent = 0.0

    def answer(self, pid: int, text: str, cid: str) -> None:
        self.cid = cid
        self.sent = time.perf_counter()
        self._send(0x1, orjson.dumps({"type": "poll.answer", "id": cid, "poll": pid, "text": text}))

    def _message(self, payload: bytes) -> None:
        msg: Json = orjson.loads(payload)
        kind = msg.get("type")
        if kind in ("ack", "error") and msg.get("id") == self.cid and self.cid:
            now = time.perf_counter()
            self.out["ack_ms"].append((now - self.sent) * 1000)
            self.out["last_ack"] = max(self.out["last_ack"], now)
            if kind == "ack":
                self.out["acked"] += 1
            else:
                code = str(msg.get("code", "?"))
                self.out["errors"][code] = self.out["errors"].get(code, 0) + 1
            self.cid = ""
        elif kind == "events":
            self.out["viewer_tallies"] += sum(1 for e in msg["events"] if e.get("type") == "tally")
        else:
            super()._message(payload)


class _Stamped(list[Any]):
    """A HubClient's received messages with the time each arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: Any) -> None:
        self.times.append(time.perf_counter())
        super().append(item)


def _cloud_frames(client: HubClient, pid: int, start: float) -> dict[str, Any]:
    received: _Stamped = client.received  # type: ignore[assignment]
    stamps: list[float] = []
    longest = 0
    for at, msg in zip(received.times, received, strict=True):
        if msg.get("type") != "events" or at < start:
            continue
        tallies = [e for e in msg["events"] if e.get("type") == "tally" and e.get("pid") == pid]
        if tallies:
            stamps.append(at)
            longest = max(longest, max(len(e.get("tallies") or []) for e in tallies))
    per_s: dict[int, int] = {}
    for at in stamps:
        per_s[int(at - start)] = per_s.get(int(at - start), 0) + 1
    return {"frames": len(stamps), "max_per_s": max(per_s.values(), default=0),
            "max_words": longest}  # fmt: skip


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def segmenter_load() -> dict[str, Any]:
    """jieba's dictionary load in a fresh interpreter: seconds and RSS added."""
    code = (
        "import json, time\n"
        "from server.domain import wordcloud\n"
        "def rss_kb():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS:'):\n"
        "            return int(line.split()[1])\n"
        "r0 = rss_kb()\n"
        "t0 = time.perf_counter()\n"
        "seg = wordcloud.Segmenter()\n"
        "t1 = time.perf_counter()\n"
        "seg.words('地铁太挤')\n"
        "added = round((rss_kb() - r0) / 1024, 1)\n"
        "print(json.dumps({'load_s': round(t1 - t0, 2), 'rss_added_mb': added}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          timeout=120)  # fmt: skip
    result: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return result


async def run(
    base: str, redis_url: str, bid: str, mod_cookies: dict[str, str], cookies: list[str],
    cfg: dict[str, Any], *, hub_pid: int,
) -> dict[str, Any]:  # fmt: skip
    r = aioredis.Redis.from_url(redis_url)
    try:
        overlay_key = (await r.hget(keys.meta(bid), "okey") or b"").decode()
    finally:
        await r.aclose()
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    rng = random.Random(16)
    mod = HubClient(base, bid, "moderator", cookies=mod_cookies, record=True)
    mod.received = _Stamped()
    overlay = HubClient(base, bid, "overlay", key=overlay_key, record=True)
    overlay.received = _Stamped()
    await mod.connect()
    await overlay.connect()
    created = await mod.command("poll.create", question="用一个词形容你的通勤", kind="words",
                                max_len=20, results="after_close")  # fmt: skip
    pid = int(created["result"]["poll"])
    await mod.command("poll.state", poll=pid, state="open")
    await mod.command("overlay", show="poll", poll=pid)

    out: Json = {"ack_ms": [], "acked": 0, "errors": {}, "last_ack": 0.0, "viewer_tallies": 0}
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(200)
    viewers: list[Answerer] = []

    async def join(cookie: str) -> None:
        async with gate:
            _, v = await loop.create_connection(lambda: Answerer(host, port, bid, cookie, out),
                                                host, port)  # fmt: skip
            await asyncio.wait_for(v.welcomed, 30)
            viewers.append(v)

    t_connect = time.perf_counter()
    await asyncio.gather(*(join(c) for c in cookies[: cfg["viewers"]]))
    connect_s = time.perf_counter() - t_connect
    await asyncio.sleep(1.0)  # snapshots delivered, the hub quiet again

    cpu_hub, cpu_self = _cpu_s(hub_pid), time.process_time()
    start = time.perf_counter()
    interval = 1.0 / cfg["rate"]
    for i, v in enumerate(viewers):
        delay = start + i * interval - time.perf_counter()
        if delay > 0.001:
            await asyncio.sleep(delay)
        v.answer(pid, _answer(rng), f"a{i}")
    sent_s = time.perf_counter() - start
    deadline = time.perf_counter() + 30
    while out["acked"] + sum(out["errors"].values()) < len(viewers):
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.05)  # poll interval of an observable count
    await asyncio.sleep(0.5)  # the last clouds reach the console and the overlay
    answered_s = out["last_ack"] - start
    cpu_hub, cpu_self = _cpu_s(hub_pid) - cpu_hub, time.process_time() - cpu_self

    r = aioredis.Redis.from_url(redis_url)
    try:
        stored = await r.hlen(keys.cloud_answerers(bid, pid))
        ballots = int(await r.hget(keys.poll(bid, pid), "ballots") or 0)
        answers = [orjson.loads(a) for a in await r.hvals(keys.cloud_answers(bid, pid))]
        scores = await r.zrange(keys.cloud_words(bid, pid), 0, -1, withscores=True)
    finally:
        await r.aclose()
    counted = [a for a in answers if a["status"] == "counted"]
    word_total = sum(int(s) for _, s in scores)
    for v in viewers:
        v.close()
    console, screen = _cloud_frames(mod, pid, start), _cloud_frames(overlay, pid, start)
    await mod.close()
    await overlay.close()

    ack_ms = sorted(out["ack_ms"])
    return {
        "viewers": len(viewers),
        "offered_per_s": cfg["rate"],
        "connect_s": round(connect_s, 1),
        "sent_s": round(sent_s, 2),
        "answered_s": round(answered_s, 2),
        "acked": out["acked"],
        "acked_per_s": round(out["acked"] / answered_s) if answered_s > 0 else None,
        "p50_ack_ms": round(ack_ms[len(ack_ms) // 2], 1) if ack_ms else None,
        "p99_ack_ms": round(ack_ms[int(0.99 * (len(ack_ms) - 1))], 1) if ack_ms else None,
        "errors": out["errors"],
        # Nothing lost: every ack is one stored answer, counted once.
        "stored": stored,
        "ballots": ballots,
        "lost": out["acked"] - stored,
        "words_counted_match": word_total == sum(len(a["words"]) for a in counted),
        "distinct_words": len(scores),
        "cloud_top_n": CLOUD_TOP_N,
        "console_cloud_frames": console["frames"],
        "console_clouds_max_per_s": console["max_per_s"],
        "overlay_cloud_frames": screen["frames"],
        "overlay_clouds_max_per_s": screen["max_per_s"],
        "cloud_max_words": max(console["max_words"], screen["max_words"]),
        "own_tally_frames": out["viewer_tallies"],  # each answerer's own ack event
        # CPU seconds over the answering window: the hub, and this load generator.
        "hub_cpu_s": round(cpu_hub, 1),
        "generator_cpu_s": round(cpu_self, 1),
        "segmenter": segmenter_load(),
    }
