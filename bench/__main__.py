"""make bench: the whole benchmark on one machine, bounded in time.

Starts a private embedded Redis and one hub process (``python -m server run``,
the production entry point) on loopback, runs each scenario with the load
generator (``bench.loadtest``), runs the raw websockets baseline with the same
clients right after the hub's fan-out, stops every process it started, and
writes ``bench/results/latest.json``, ``latest.md`` and ``latest.png``.

    python -m bench [--quick] [--only fanout,likes]

``--quick`` shrinks every scenario (a smoke run, used by the test suite to check
that the harness works; its numbers mean nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import redis.asyncio as aioredis

from bench import cluster_wait as cluster_wait_bench
from bench import console5k, report
from bench import export as export_bench
from bench import joins as joins_bench
from bench import scaling as scaling_bench
from bench import wordcloud as wordcloud_bench
from bench import words as words_bench
from bench.loadtest.processes import HubProcess, free_port
from bench.loadtest.run import mint_cookies, run_scenario, star_driver, summarize
from bench.loadtest.stats import pos_ms
from server.client import HubClient
from server.ops.embedded_redis import EmbeddedRedis
from server.settings import Settings
from server.store.accounts import Accounts

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-" + secrets.token_hex(16)

# Per-viewer limits are policy, not capacity: the benchmark lifts them so one
# simulated viewer can stand for many real ones (documented in performance.md).
HUB_ENV = {
    "SECRET_KEY": SECRET,
    "MAX_CONNECTIONS_PER_IP": "100000",
    "LIKES_RATE_PER_S": "100000",
    "LIKES_BURST": "100000",
    "QUESTIONS_BURST": "100000",
    "QUESTIONS_PER_MIN": "6000000",
    # Every simulated viewer connects from 127.0.0.1: one address, lifted too.
    "QUESTIONS_IP_BURST": "100000",
    "QUESTIONS_IP_PER_MIN": "6000000",
    # A moderator reading a 10,000-question queue page by page at once.
    "PAGES_BURST": "100000",
    "LOG_LEVEL": "warning",
}

FULL = {
    "fanout": {"clients": 5000, "hz": 10, "duration": 10},
    # Offered above both servers' capacity on this machine (docs/performance.md).
    "fanout_saturation": {"clients": 5000, "hz": 40, "duration": 10, "questions": 8},
    "batched": {"clients": 5000, "hz": 10, "per_tick": 10, "duration": 10},
    "connections": {"clients": 10000, "hz": 1, "duration": 15},
    "likes": {"clients": 1000, "batch": 100, "duration": 10},
    "questions": {"clients": 300, "duration": 10},
    # The figure as a rate: 2,000 questions/s offered by 300 askers
    # (one every 150 ms each), instead of as many as the acks let through.
    "questions_paced": {"clients": 300, "rate": 2000, "duration": 10},
    "mix": {"clients": 3000, "duration": 15},
    "words": {"words": 10000, "checks": 20000},
    "wordcloud": {"viewers": 3000, "rate": 1500},
    "export": {"questions": 10000},
    # 1,000 broadcasts x 5 viewers: idle for idle_s, then `rate` events/s on
    # random broadcasts for events_s.
    "broadcasts": {"broadcasts": 1000, "viewers": 5, "idle_s": 10, "events_s": 10, "rate": 50},
    # docs/scaling.md: one slot's write ceiling, Redis commands per event, and
    # the fan-out of `run --workers 2` against one process, in the same run.
    "slot": {"processes": 2, "tasks": 64, "duration": 5},
    "redis_ops": {"viewers": 50, "events": 200},
    "fanout_workers": {"clients": 3000, "hz": 10, "duration": 10},
    "console5k": {"sizes": [100, 5000], "presses": 40, "approvals": 10},
    # Joins, storms and growth (bench/joins.py, docs/performance.md).
    "join": {"questions": 10000, "approved": 2000, "rate": 500, "joins": 2500},
    "storm": {"clients": 10000, "questions": 2000},
    "growth": {"sizes": [100, 1000, 10000], "samples": 30},
    "cluster_wait": {"clients": 50, "duration": 5},
}
QUICK = {
    "fanout": {"clients": 40, "hz": 10, "duration": 2},
    "fanout_saturation": {"clients": 40, "hz": 40, "duration": 2},
    "batched": {"clients": 40, "hz": 10, "per_tick": 5, "duration": 2},
    "connections": {"clients": 60, "hz": 1, "duration": 2},
    "likes": {"clients": 20, "batch": 50, "duration": 2},
    "questions": {"clients": 10, "duration": 2},
    "questions_paced": {"clients": 10, "rate": 100, "duration": 2},
    "mix": {"clients": 40, "duration": 3},
    "words": {"words": 500, "checks": 300},
    "wordcloud": {"viewers": 30, "rate": 100},
    "export": {"questions": 200},
    "broadcasts": {"broadcasts": 20, "viewers": 2, "idle_s": 1, "events_s": 2, "rate": 10},
    "slot": {"processes": 1, "tasks": 4, "duration": 1},
    "redis_ops": {"viewers": 3, "events": 5},
    "fanout_workers": {"clients": 40, "hz": 10, "duration": 2},
    "console5k": {"sizes": [20, 200], "presses": 5, "approvals": 2},
    "join": {"questions": 300, "approved": 100, "rate": 50, "joins": 40},
    "storm": {"clients": 40, "questions": 100},
    "growth": {"sizes": [10, 100], "samples": 3},
    "cluster_wait": {"clients": 4, "duration": 1},
}


class Bench:
    def __init__(self, workdir: Path, quick: bool, workers: int) -> None:
        self.workdir = workdir
        self.quick = quick
        self.workers = workers
        self.redis = EmbeddedRedis(workdir / "redis")
        self.redis_url = ""
        self.hub: HubProcess | None = None
        self.mod_cookies: dict[str, str] = {}
        self.csrf = ""

    # --- processes ------------------------------------------------------------------

    def start_hub(self, **env: str) -> HubProcess:
        if self.hub is not None:
            self.hub.stop()
        self.hub = HubProcess(self.redis_url, self.workdir, **HUB_ENV, **env).start()
        return self.hub

    async def fresh(self, **env: str) -> tuple[HubProcess, str]:
        """A new hub process, a moderator session and a live broadcast on it."""
        hub = self.start_hub(**env)
        await self.login()
        return hub, await self.new_broadcast()

    async def login(self) -> None:
        user, password = "bench" + secrets.token_hex(3), secrets.token_urlsafe(16)
        r = aioredis.Redis.from_url(self.redis_url)
        try:
            await Accounts(r, Settings(redis_url=self.redis_url)).create_moderator(
                user, password, admin=True
            )
        finally:
            await r.aclose()
        assert self.hub is not None
        async with httpx.AsyncClient(base_url=self.hub.base) as http:
            resp = await http.post("/api/login", json={"username": user, "password": password})
            resp.raise_for_status()
            self.mod_cookies = {"xs_sess": resp.cookies["xs_sess"]}
            self.csrf = resp.json()["csrf"]

    async def new_broadcast(self, *, moderation: bool = True) -> str:
        assert self.hub is not None
        async with httpx.AsyncClient(
            base_url=self.hub.base, cookies=self.mod_cookies, headers={"X-CSRF-Token": self.csrf}
        ) as http:
            resp = await http.post(
                "/api/broadcasts",
                json={"title": "压测", "settings": {"moderation": moderation, "max_len": 500}},
            )
            resp.raise_for_status()
            bid: str = resp.json()["id"]
            await http.post(
                f"/api/broadcasts/{bid}/commands",
                json={"type": "bc.state", "id": "live", "state": "live"},
            )
        return bid

    async def approved_questions(self, bid: str, n: int) -> list[int]:
        """Ask n questions as one viewer and approve them: the events' subject."""
        assert self.hub is not None
        cookie = mint_cookies(SECRET.encode(), 1)[0]
        asker = HubClient(self.hub.base, bid, cookies={"xs_vid": cookie})
        mod = HubClient(self.hub.base, bid, "moderator", cookies=self.mod_cookies)
        await asker.connect()
        await mod.connect()
        qids = []
        try:
            for i in range(n):
                text = f"压测提问 {i}：地铁新线的换乘站会不会考虑老年人和推婴儿车的家长？"
                ack = await asker.command("ask", text=text, name="张三")
                qid = ack["result"]["qid"]
                await mod.command("q.status", qid=qid, status="approved")
                qids.append(qid)
        finally:
            await asker.close()
            await mod.close()
        return qids

    async def metric(self, name: str) -> float:
        assert self.hub is not None
        async with httpx.AsyncClient(base_url=self.hub.base) as http:
            text = (await http.get("/metrics")).text
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    # --- scenarios ------------------------------------------------------------------

    async def watched(
        self, cfg: dict[str, Any], *, per_tick: int, warmup: float = 1.0, **env: str
    ) -> tuple[HubProcess, list[str], dict[str, Any]]:
        """A fresh hub, broadcast and audience of watchers; a moderator changes
        ``per_tick`` approved questions every tick. Returns (hub, cookies, run)."""
        hub, bid = await self.fresh(**env)
        qids = await self.approved_questions(bid, max(per_tick, cfg.get("questions", 2)))
        await asyncio.sleep(1)
        rss_before = hub.rss_kb()
        cookies = mint_cookies(SECRET.encode(), cfg["clients"])
        driver = star_driver(hub.base, bid, self.mod_cookies, qids, cfg["hz"], per_tick)
        rss_during: list[int] = []

        async def drive(start: float, end: float) -> dict[str, Any]:
            rss_during.append(hub.rss_kb())  # every socket is open by now
            return await driver(start, end)

        run = await run_scenario(
            url=hub.base,
            bid=bid,
            behaviour="watch",
            cookies=cookies,
            workers=self.workers,
            duration=cfg["duration"],
            driver=drive,
            warmup=warmup,
        )
        run["rss_kb"] = (rss_before, rss_during[0])
        return hub, cookies, run

    async def broadcasts(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """Many broadcasts with a few viewers each on one process: the Redis
        connections it holds, its CPU while they are idle, then events on random
        broadcasts (a moderator starring each one's question over HTTP) and
        their delivery latency to those broadcasts' viewers."""
        hub = self.start_hub()
        await self.login()
        n, per = cfg["broadcasts"], cfg["viewers"]
        bids: list[str] = []
        while len(bids) < n:  # 20 at a time: the set-up is not what is measured
            k = min(20, n - len(bids))
            bids += await asyncio.gather(*(self.new_broadcast(moderation=False) for _ in range(k)))
        qids = await self._one_question_each(hub, bids)
        cookies = mint_cookies(SECRET.encode(), n * per)
        watching = [bid for bid in bids for _ in range(per)]
        seen: dict[str, Any] = {}

        async def idle_then_events(start: float, end: float) -> dict[str, Any]:
            seen["connections"] = await self._hub_connections()
            cpu_before = hub_cpu_s(hub)
            await asyncio.sleep(max(0.0, start + cfg["idle_s"] - time.time()))
            seen["idle_cpu"] = (hub_cpu_s(hub) - cpu_before) / cfg["idle_s"]
            driven = await self._star_random(hub, bids, qids, cfg["rate"], end)
            seen["connections_after"] = await self._hub_connections()
            return driven

        run = await run_scenario(
            url=hub.base,
            bid=bids[0],
            bids=watching,
            behaviour="watch",
            cookies=cookies,
            workers=self.workers,
            duration=cfg["idle_s"] + cfg["events_s"],
            driver=idle_then_events,
        )
        stats = run["stats"]
        expected = run["driven"]["events"] * per
        tail, commands = seen["connections"]
        after = seen["connections_after"]
        return {
            "broadcasts": n,
            "viewers": run["clients"],
            "redis_connections": tail + commands,
            "tail_connections": tail,
            "command_connections": commands,
            "redis_connections_after_events": sum(after),
            "idle_cpu_pct": round(100 * seen["idle_cpu"], 1),
            "rss_mb": round(hub.rss_kb() / 1024, 1),
            "events": run["driven"]["events"],
            "events_per_s": round(run["driven"]["events"] / cfg["events_s"], 1),
            "p50_ms": stats.percentile(0.5),
            "p99_ms": stats.percentile(0.99),
            "missing": max(0, expected - stats.events),
            "duplicated": stats.duplicated + max(0, stats.events - expected),
            "driver_errors": run["driven"]["errors"],
            "driver_error_kinds": run["driven"]["error_kinds"],
            "connect_errors": stats.connect_errors,
        }

    async def _one_question_each(self, hub: HubProcess, bids: list[str]) -> list[int]:
        """One public question in each broadcast (the subject of its events)."""
        qids: list[int] = []
        for i in range(0, len(bids), 100):
            chunk = bids[i : i + 100]
            askers = [
                HubClient(hub.base, bid, cookies={"xs_vid": c})
                for bid, c in zip(chunk, mint_cookies(SECRET.encode(), len(chunk)), strict=True)
            ]
            await asyncio.gather(*(a.connect() for a in askers))
            try:
                acks = await asyncio.gather(
                    *(a.command("ask", text="各区的线路都会覆盖吗？") for a in askers)
                )
                qids += [a["result"]["qid"] for a in acks]
            finally:
                await asyncio.gather(*(a.close() for a in askers), return_exceptions=True)
        return qids

    async def _hub_connections(self) -> tuple[int, int]:
        """The hub's Redis connections: (tailing, commands)."""
        async with aioredis.Redis.from_url(self.redis_url) as redis:
            listed = await redis.client_list()
        tail = sum(1 for c in listed if c.get("name") == "xs-tail")
        return tail, sum(1 for c in listed if c.get("name") == "xs-hub")

    async def _star_random(
        self, hub: HubProcess, bids: list[str], qids: list[int], rate: float, end: float
    ) -> dict[str, Any]:
        """Star toggles on random broadcasts at ``rate`` per second until ``end``,
        each over HTTP as a moderator; the positions of those acknowledged."""
        rng = random.Random(7)
        starred = [False] * len(bids)
        positions: list[str] = []
        errors = 0
        kinds: dict[str, int] = {}
        unchanged = [0]
        async with httpx.AsyncClient(
            base_url=hub.base, cookies=self.mod_cookies, headers={"X-CSRF-Token": self.csrf},
            timeout=30,
        ) as http:  # fmt: skip

            async def star(i: int) -> None:
                nonlocal errors
                starred[i] = not starred[i]
                cmd = {"type": "q.star", "id": secrets.token_hex(6), "qid": qids[i],
                       "on": starred[i]}  # fmt: skip
                try:
                    resp = await http.post(f"/api/broadcasts/{bids[i]}/commands", json=cmd)
                    reply = resp.json()
                    kind = reply.get("code") or reply.get("error") if resp.is_error else None
                    if kind is None and reply["result"].get("pos"):
                        positions.append(reply["result"]["pos"])
                    elif kind is None:
                        # Two toggles of one question crossed: no change, no event.
                        unchanged[0] += 1
                        return
                except Exception as exc:
                    kind = type(exc).__name__
                if kind is not None:
                    errors += 1
                    kinds[str(kind)] = kinds.get(str(kind), 0) + 1

            pending: set[asyncio.Task[None]] = set()
            next_at = time.time()
            while next_at < end:
                await asyncio.sleep(max(0.0, next_at - time.time()))
                task = asyncio.create_task(star(rng.randrange(len(bids))))
                pending.add(task)
                task.add_done_callback(pending.discard)
                next_at += 1 / rate
            await asyncio.gather(*pending)
        inside = [p for p in positions if pos_ms(p) <= end * 1000]
        return {"events": len(inside), "errors": errors, "error_kinds": kinds,
                "unchanged": unchanged[0]}  # fmt: skip

    async def fanout(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """One event per tick to every viewer; then the raw baseline with the same clients."""
        hub_part, raw, run = await self._hub_then_raw("fanout", cfg)
        ratio = hub_part["frames_per_s"] / raw["frames_per_s"] if raw["frames_per_s"] else None
        return {
            "clients": hub_part["clients"],
            "hz": cfg["hz"],
            "hub_frames_per_s": hub_part["frames_per_s"],
            "raw_frames_per_s": raw["frames_per_s"],
            "ratio": round(ratio, 3) if ratio else None,
            "hub_events_per_s": hub_part["events_per_s"],
            **_against_raw(hub_part, raw),
            "connect_errors": hub_part["connect_errors"],
            "driver_errors": run["driven"]["errors"],
        }

    async def fanout_saturation(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """The fan-out offered more than either server delivers (one event per
        tick at ``hz``): what each delivers at saturation, with what latency,
        the hub against the raw websockets ``broadcast()`` on the same clients."""
        hub_part, raw, run = await self._hub_then_raw("fanout_saturation", cfg)
        clients, duration = hub_part["clients"], cfg["duration"]
        ratio = hub_part["events_per_s"] / raw["events_per_s"] if raw["events_per_s"] else None
        return {
            "clients": clients,
            "hz": cfg["hz"],
            "ratio": round(ratio, 3) if ratio else None,
            "hub_events_per_s": hub_part["events_per_s"],
            "raw_events_per_s": raw["events_per_s"],
            # Events the drivers caused in the window, times the audience: what
            # each server was asked to deliver per second.
            "offered_per_s": round(run["driven"]["events"] * clients / duration),
            "raw_offered_per_s": round(raw["offered"] * raw["clients"] / duration),
            **_against_raw(hub_part, raw),
            "raw_duplicated": raw["duplicated"],
            "connect_errors": hub_part["connect_errors"],
            "driver_errors": run["driven"]["errors"],
        }

    async def _hub_then_raw(
        self, name: str, cfg: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The hub's fan-out to an audience, then the raw server's to the same."""
        hub, cookies, run = await self.watched(cfg, per_tick=1)
        hub_part = summarize(run, run["driven"]["events"])
        print(f"bench: {name} hub part {hub_part}", flush=True)
        hub.stop()
        self.hub = None
        return hub_part, await self.raw(cfg, cookies), run

    async def raw(self, cfg: dict[str, Any], cookies: list[str]) -> dict[str, Any]:
        port = free_port()
        log_path = self.workdir / f"raw-{port}.txt"
        proc = subprocess.Popen(  # noqa: ASYNC220 - starting a child is instant
            [
                sys.executable,
                "-m",
                "bench.baseline",
                "--port",
                str(port),
                "--hz",
                str(cfg["hz"]),
                "--log",
                str(log_path),
                "--wait-go",
            ],
            cwd=ROOT,
            start_new_session=True,
        )

        async def go(start: float, end: float) -> dict[str, Any]:
            proc.send_signal(signal.SIGUSR1)  # frames from the window's start on
            return {}

        try:
            await _wait_port(port)
            run = await run_scenario(
                url=f"http://127.0.0.1:{port}",
                bid="raw",
                behaviour="watch",
                cookies=cookies,
                workers=self.workers,
                duration=cfg["duration"],
                ready_timeout=600,  # the websockets server's handshakes are slow on a busy machine
                driver=go,
            )
        finally:
            proc.terminate()
            proc.wait(10)
        lo, hi = run["start"] * 1000, run["end"] * 1000
        sent = [p for p in log_path.read_text().split() if lo <= pos_ms(p) <= hi]
        return {**summarize(run, len(sent)), "offered": len(sent)}

    async def batched(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """Several events per tick: one frame per client per tick carries them all."""
        _, _, run = await self.watched(cfg, per_tick=cfg["per_tick"])
        part = summarize(run, run["driven"]["events"])
        return {
            "clients": part["clients"],
            "hz": cfg["hz"],
            "events_per_tick": cfg["per_tick"],
            "hub_frames_per_s": part["frames_per_s"],
            "hub_events_per_s": part["events_per_s"],
            "p50_ms": part["p50_ms"],
            "p99_ms": part["p99_ms"],
            "missing": part["missing"],
            "duplicated": part["duplicated"],
        }

    async def connections(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """Many viewers held by one process, updated at 1 Hz; memory per connection."""
        _, _, run = await self.watched(cfg, per_tick=1, warmup=3.0)
        rss_before, rss_open = run["rss_kb"]
        part = summarize(run, run["driven"]["events"])
        rss_mb = rss_open / 1024
        per_conn = (rss_open - rss_before) / max(1, part["clients"])
        return {
            "clients": part["clients"],
            "hz": cfg["hz"],
            "rss_mb": round(rss_mb, 1),
            "rss_before_mb": round(rss_before / 1024, 1),
            "kb_per_connection": round(per_conn, 1),
            "p50_ms": part["p50_ms"],
            "p99_ms": part["p99_ms"],
            "missing": part["missing"],
            "duplicated": part["duplicated"],
            "connect_errors": part["connect_errors"],
        }

    async def likes(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """Viewers tapping as fast as their acks allow, in batches."""
        _, bid = await self.fresh()
        assert self.hub is not None
        r = aioredis.Redis.from_url(self.redis_url)
        try:
            before = int(await r.get(f"xs:{{{bid}}}:likes") or 0)
            flushes_before = await self.metric("xs_like_flushes_total")
            cookies = mint_cookies(SECRET.encode(), cfg["clients"])
            run = await run_scenario(
                url=self.hub.base,
                bid=bid,
                behaviour="likes",
                cookies=cookies,
                workers=self.workers,
                duration=cfg["duration"],
                extra={"batch": cfg["batch"]},
            )
            await asyncio.sleep(0.5)
            counted = int(await r.get(f"xs:{{{bid}}}:likes") or 0) - before
            flushes = await self.metric("xs_like_flushes_total") - flushes_before
        finally:
            await r.aclose()
        elapsed = run["duration"] + 2.0  # the window plus the drain during which flushes land
        return {
            "clients": run["clients"],
            "taps_sent": run["sent"],
            "taps_acked": run["accepted"],
            "taps_counted": counted,
            "taps_per_s": round(counted / run["duration"]),
            "client_frames_per_s": round(run["messages"] / run["duration"]),
            "redis_writes_per_s": round(flushes / elapsed, 2),
            "errors": run["stats"].errors,
            "error_codes": run["error_codes"],
        }

    async def questions(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """Viewers asking back to back (or at ``rate`` questions/s in all); every
        ack checked against Redis afterwards."""
        _, bid = await self.fresh()
        assert self.hub is not None
        cookies = mint_cookies(SECRET.encode(), cfg["clients"])
        rate = cfg.get("rate")
        cpu_before = hub_cpu_s(self.hub)
        run = await run_scenario(
            url=self.hub.base,
            bid=bid,
            behaviour="ask",
            cookies=cookies,
            workers=self.workers,
            duration=cfg["duration"],
            extra={"interval": cfg["clients"] / rate} if rate else None,
        )
        # Hub CPU (user + system) per acknowledged question, connecting included:
        # moves far less with a busy machine than acks/s do.
        cpu_per_ack = (hub_cpu_s(self.hub) - cpu_before) / max(1, len(run["acked"]))
        acked = set(run["acked"])
        r = aioredis.Redis.from_url(self.redis_url)
        try:
            pipe = r.pipeline(transaction=False)
            for qid in acked:
                pipe.exists(f"xs:{{{bid}}}:q:{qid}")
            present = sum(await pipe.execute()) if acked else 0
            stored = await r.zcard(f"xs:{{{bid}}}:qs:pending")
        finally:
            await r.aclose()
        ack_ms = sorted(run["ack_ms"])
        p99 = ack_ms[int(0.99 * (len(ack_ms) - 1))] if ack_ms else None
        return {
            "clients": run["clients"],
            **({"offered_per_s": rate} if rate else {}),
            "acked": len(run["acked"]),
            # Questions sent inside the window and acknowledged (every ack counts
            # for "lost" below, also those of a paced run's lead-in).
            "acked_per_s": round(run["acked_in_window"] / run["duration"]),
            "p50_ack_ms": round(ack_ms[len(ack_ms) // 2], 1) if ack_ms else None,
            "p99_ack_ms": round(p99, 1) if p99 is not None else None,
            "hub_cpu_us_per_ack": round(cpu_per_ack * 1e6),
            "lost": len(acked) - present,
            "duplicated": (len(run["acked"]) - len(acked)) + max(0, stored - len(acked)),
            "resend_mismatch": run["resend_mismatch"],
            "errors": run["stats"].errors,
            "error_codes": run["error_codes"],
        }

    async def questions_paced(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """Questions at the target's rate: the p99 ack when the hub is not saturated."""
        return await self.questions(cfg)

    async def mix(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """The realistic audience with a moderator approving, airing and running a poll."""
        hub, bid = await self.fresh()
        cookies = mint_cookies(SECRET.encode(), cfg["clients"])

        async def moderate(start: float, end: float) -> dict[str, Any]:
            mod = HubClient(hub.base, bid, "moderator", cookies=self.mod_cookies, record=True)
            await mod.connect()
            on_air = approved = 0
            try:
                poll = await mod.command(
                    "poll.create",
                    question="新线优先建哪一段？",
                    options=["东段", "西段", "同步建设"],
                    multi=False,
                )
                await mod.command("poll.state", poll=poll["result"]["poll"], state="open")
                while time.time() < end:
                    pending = [q for q in mod.state.questions.values() if q["status"] == "pending"]
                    for q in pending[:20]:
                        reply = await mod.command("q.status", qid=q["id"], status="approved")
                        approved += reply.get("type") == "ack"
                    if pending:
                        reply = await mod.command("q.status", qid=pending[0]["id"], status="on_air")
                        on_air += reply.get("type") == "ack"
                    await asyncio.sleep(1.0)
            finally:
                await mod.close()
            return {"events": 0, "approved": approved, "on_air": on_air}

        run = await run_scenario(
            url=hub.base,
            bid=bid,
            behaviour="mix",
            cookies=cookies,
            workers=self.workers,
            duration=cfg["duration"],
            driver=moderate,
        )
        stats = run["stats"]
        return {
            "clients": run["clients"],
            "frames_per_s": round(stats.frames / run["duration"]),
            "p50_ms": stats.percentile(0.5),
            "p99_ms": stats.percentile(0.99),
            "taps_acked": run["accepted"],
            "questions_asked": run["asked"],
            "votes": run["votes"],
            "approved": run["driven"].get("approved"),
            "duplicated": stats.duplicated,
            "errors": stats.errors,
        }

    async def join(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """Viewers joining a broadcast of 10,000 questions at 500 joins/s."""
        hub, bid = await self.fresh()
        mod = lambda: self.moderator(bid)  # noqa: E731
        return await joins_bench.join(hub.base, self.redis_url, bid, mod, SECRET.encode(), cfg)

    async def storm(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """A reconnect storm after a graceful restart."""
        hub, bid = await self.fresh()
        mod = lambda: self.moderator(bid)  # noqa: E731
        return await joins_bench.storm(hub, self.redis_url, bid, mod, SECRET.encode(), cfg)

    async def growth(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """One event and one join at 100, 1,000 and 10,000 questions."""
        hub, _ = await self.fresh()
        return await joins_bench.growth(hub.base, self.redis_url, self.new_broadcast,
                                        self.moderator, SECRET.encode(), cfg)  # fmt: skip

    def moderator(self, bid: str) -> HubClient:
        assert self.hub is not None
        return HubClient(self.hub.base, bid, "moderator", cookies=self.mod_cookies, record=True)

    async def words(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """The sensitive-word screen of one question, with a big deployment list."""
        return await asyncio.to_thread(words_bench.run, cfg["words"], cfg["checks"])

    async def slot(self, cfg: dict[str, Any]) -> dict[str, Any]:
        return await scaling_bench.slot(self, cfg)

    async def redis_ops(self, cfg: dict[str, Any]) -> dict[str, Any]:
        return await scaling_bench.redis_ops(self, cfg, SECRET)

    async def fanout_workers(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """The fanout scenario on one hub process, then on `run --workers 2`."""
        out: dict[str, Any] = {}
        for workers in (1, 2):
            env = {"WORKERS": str(workers), "WORKER_PORT_BASE": str(free_port())}
            hub, _, run = await self.watched(cfg, per_tick=1, **env)
            out[f"workers_{workers}"] = summarize(run, run["driven"]["events"])
            hub.stop()
            self.hub = None
        one, two = out["workers_1"]["frames_per_s"], out["workers_2"]["frames_per_s"]
        out["ratio_2_to_1"] = round(two / one, 3) if one else None
        return out

    async def wordcloud(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """A crowd answering a word-cloud poll (bench/wordcloud.py)."""
        hub, bid = await self.fresh()
        cookies = mint_cookies(SECRET.encode(), cfg["viewers"])
        assert hub.proc is not None
        return await wordcloud_bench.run(hub.base, self.redis_url, bid, self.mod_cookies, cookies,
                                         cfg, hub_pid=hub.proc.pid)  # fmt: skip

    async def cluster_wait(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """Writes on a local Redis Cluster with and without a replica wait."""
        return await cluster_wait_bench.run(self.workdir, cfg)

    async def export(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """10,000 questions to XLSX and CSV through the hub: seconds and peak RSS."""
        hub, bid = await self.fresh()
        assert hub.proc is not None
        return await export_bench.run(hub.base, hub.proc.pid, self.redis_url, bid,
                                      self.mod_cookies, cfg)  # fmt: skip


    async def console5k(self, cfg: dict[str, Any]) -> dict[str, Any]:
        """The console in chromium with 5,000 questions (bench/console5k.py)."""
        hub, _ = await self.fresh()
        return await console5k.run(
            hub.base, self.redis_url, self.new_broadcast, self.mod_cookies, cfg
        )


def _against_raw(hub_part: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "p50_ms": hub_part["p50_ms"],
        "p99_ms": hub_part["p99_ms"],
        "raw_p50_ms": raw["p50_ms"],
        "raw_p99_ms": raw["p99_ms"],
        "missing": hub_part["missing"],
        "duplicated": hub_part["duplicated"],
        "raw_missing": raw["missing"],
    }


async def _wait_port(port: int, within_s: float = 10) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def machine(redis_version: str) -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "redis": redis_version,
        "platform": platform.platform(),
        "cpu": _cpu_model(),
    }


def hub_cpu_s(hub: HubProcess) -> float:
    """User + system CPU seconds of the hub process so far (Linux /proc)."""
    assert hub.proc is not None
    fields = Path(f"/proc/{hub.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


async def main(args: argparse.Namespace) -> int:
    # The storm opens 10,000 sockets each side: the descriptor limit up to its hard cap.
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    plan = QUICK if args.quick else FULL
    only = [s for s in (args.only.split(",") if args.only else plan) if s in plan]
    out_dir = Path(args.out) if args.out else RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xs-bench-") as tmp:
        bench = Bench(Path(tmp), args.quick, args.workers)
        bench.redis_url = bench.redis.start()
        failed: list[str] = []
        results: dict[str, Any] = {
            "machine": machine(bench.redis.version()),
            "quick": args.quick,
            "started": time.time(),
        }
        try:
            for name in only:
                print(f"bench: {name} {plan[name]}", flush=True)
                started = time.monotonic()
                try:
                    results[name] = await getattr(bench, name)(plan[name])
                except Exception as exc:
                    # One scenario that cannot run (a generator that did not get
                    # ready on a loaded machine) must not lose the others' figures.
                    results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                    failed.append(name)
                    if bench.hub is not None:
                        bench.hub.stop()
                        bench.hub = None
                results[name]["wall_s"] = round(time.monotonic() - started, 1)
                print(f"bench: {name} -> {orjson.dumps(results[name]).decode()}", flush=True)
                # Written after every scenario: a run stopped part-way keeps what it measured.
                (out_dir / "latest.json").write_bytes(
                    orjson.dumps(results, option=orjson.OPT_INDENT_2)
                )
        finally:
            if bench.hub is not None:
                bench.hub.stop()
            bench.redis.stop()
    results["finished"] = time.time()
    (out_dir / "latest.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    (out_dir / "latest.md").write_text(report.markdown(results), encoding="utf-8")
    png = await asyncio.to_thread(report.plot, results, out_dir / "latest.png")
    print(report.markdown(results))
    print(f"bench: wrote {out_dir / 'latest.json'}" + (f", {png}" if png else " (no plot)"))
    if failed:
        print(f"bench: FAILED scenarios: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    # A timeout or Ctrl-C must still stop the hub, Redis and the baseline (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="smoke run (numbers mean nothing)")
    parser.add_argument("--only", help="comma-separated scenarios: " + ",".join(FULL))
    parser.add_argument("--workers", type=int, default=2, help="load generator processes")
    parser.add_argument("--out", help="results directory (default bench/results)")
    sys.exit(asyncio.run(main(parser.parse_args())))
