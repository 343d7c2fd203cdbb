"""The hub of one process: Redis clients, channels, and the background loops.

Everything here is rebuilt from Redis on start; nothing that matters lives
only in a process. Background loops:

* likes: ``LikeDesk.run`` flushes buffered likes every ``likes_flush_ms``;
* presence: every ``presence_interval_s`` each channel reports this process's
  viewer count (an entry that expires after ``presence_ttl_s``, so a killed
  process stops being counted: docs/reliability.md 6);
* sessions: moderator sockets whose session was logged out, reset or removed
  are closed within ``SESSION_CHECK_S`` (docs/reliability.md 20);
* reaper: a channel without clients for ``CHANNEL_IDLE_S`` stops tailing;
* words: the sensitive-word lists are re-read when their version moves
  (``words_refresh_ms``, ``server.live.words``);
* webhooks: the delivery worker (``server.live.webhooks``), when
  ``webhooks_deliver`` is on; one process of the deployment delivers at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis

from server import auth, protocol
from server.domain import wordcloud
from server.domain.broadcast import BroadcastSettings
from server.domain.errors import Code, Rejection
from server.live import poll_commands, uvicorn_ws
from server.live.admission import Admission, pending_budget
from server.live.channel import Channel
from server.live.commands import Actor, execute
from server.live.conn import background
from server.live.deps import LiveDeps
from server.live.flight import Flights
from server.live.followup import FollowDesk
from server.live.likes import LikeDesk
from server.live.memory import MemoryGiveBack
from server.live.tailer import Tailer
from server.live.webhooks import WebhookWorker, WorkerConfig
from server.live.words import WordsDesk
from server.metrics import Metrics
from server.protocol import Role
from server.settings import Settings
from server.store.accounts import Accounts, get_or_create_secret
from server.store.deletion import Deleter
from server.store.health import RedisHealth
from server.store.migrate import migrate
from server.store.redis_client import REDIS_DOWN, command_client
from server.store.store import Result, Store
from server.timezones import resolve_timezone

log = logging.getLogger("xs.hub")
_SCREENED = (protocol.Ask, protocol.AnswerPoll)

SESSION_CHECK_S = 3.0  # how often moderator sockets' sessions are re-checked
CHANNEL_IDLE_S = 30.0  # keep an empty channel's ring warm this long for reconnects
TAILER_STOP_S = 2.0  # at most this long for the tail groups to end at shutdown
PRESENCE_PER_PIPELINE = 32  # presence reports sent together (one pipeline)


class Hub:
    def __init__(self, settings: Settings, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.heartbeat_s = 25.0
        # Resolved once, so a wrong TIMEZONE stops the start, not an export.
        self.timezone = resolve_timezone(settings.timezone)
        self.redis: aioredis.Redis = command_client(settings)
        self.store = Store(self.redis, settings)
        self.accounts = Accounts(self.redis, settings)
        self._tasks: set[asyncio.Task[Any]] = set()
        # Redis failures by kind, one rate-limited log line each; OOM/BUSY mark
        # the store degraded until a write passes (/readyz probes it).
        self.redis_health = RedisHealth(self.metrics, proc=secrets.token_hex(6))
        # What channels, likes and words may use of this process (not the hub).
        self.deps = LiveDeps(settings, self.metrics, self.store, self.spawn, self.redis_health)
        self.likes = LikeDesk(self.deps)
        # Every channel's stream, read with a bounded number of connections.
        self.tailer = Tailer(self.deps, self.redis)
        # Compiled sensitive-word lists, kept fresh.
        self.words = WordsDesk(self.deps, live_bids=lambda: self.channels.keys())
        self.deleter = Deleter(self.store, settings)
        self.followup = FollowDesk(self)  # after the show: 转办, 答复, 公开, 评价
        # Webhook deliveries: reads the event streams, never on the live path.
        self.webhooks = WebhookWorker(self.redis, self.likes.proc, WorkerConfig(
            poll_s=settings.webhook_poll_s, timeout_s=settings.webhook_timeout_s,
            retry_base_s=settings.webhook_retry_base_s, retry_cap_s=settings.webhook_retry_cap_s,
            max_attempts=settings.webhook_max_attempts,
            allow_private=settings.webhooks_allow_private,
        ))  # fmt: skip
        self.secret = b""
        self.channels: dict[str, Channel] = {}
        # bid -> (the live channel's settings mapping, its validated form).
        self._parsed_settings: dict[str, tuple[Any, BroadcastSettings]] = {}
        # Open websockets and half-open connections per client address.
        self.admission = Admission(settings, self.metrics, pending_max=pending_budget(settings))
        self._starting: Flights[str, Channel] = Flights()  # channels being started
        # After a storm of connections: a full collection and malloc_trim.
        self.memory = MemoryGiveBack(
            drop=settings.memory_trim_drop,
            on_trim=self.metrics.memory_trims_total.inc,
        )
        self._loops: list[asyncio.Task[None]] = []
        self.started = False
        self.stopping = False

    # --- life -----------------------------------------------------------------------

    async def start(self) -> None:
        # The fan-out's pre-framed writes need uvicorn's sansio protocol as this
        # code knows it: refuse to start rather than drop every waiting socket.
        uvicorn_ws.check()
        # The secret must be shared by every process: wait for Redis if needed.
        # First, an older deployment's untagged keys take their tagged names.
        for attempt in range(50):
            try:
                await migrate(self.redis)
                self.secret = await get_or_create_secret(self.redis, self.settings.secret_key)
                break
            except REDIS_DOWN:
                if attempt == 49:
                    raise
                await asyncio.sleep(0.2)
        path = self.settings.wordcloud_stopwords
        wordcloud.configure(Path(path) if path else None)
        self._loops = [
            asyncio.create_task(self.likes.run(), name="likes"),
            asyncio.create_task(self._presence_loop(), name="presence"),
            asyncio.create_task(self._session_loop(), name="sessions"),
            asyncio.create_task(self._reaper_loop(), name="reaper"),
            asyncio.create_task(self.words.run(), name="words"),
            asyncio.create_task(self.followup.run(), name="followup"),
            asyncio.create_task(self.memory.run(self.settings.memory_trim_check_s), name="memory"),
        ]
        if self.settings.wordcloud_preload:
            # In a thread, not before serving: a restarted hub takes sockets at once.
            self._loops.append(asyncio.create_task(self._load_segmenter(), name="segmenter"))
        if self.settings.retention_days > 0:
            self._loops.append(asyncio.create_task(self._retention_loop(), name="retention"))
        if self.settings.webhooks_deliver:
            self._loops.append(asyncio.create_task(self.webhooks.run(), name="webhooks"))
        self.started = True

    async def _load_segmenter(self) -> None:
        """jieba's dictionary, loaded once in a thread (about a second and
        ~60 MB: docs/performance.md, "wordcloud"); an answer arriving before it
        is ready waits for it (``poll_commands.segmenter``)."""
        t0 = time.perf_counter()
        await poll_commands.segmenter()
        log.info("word-cloud segmenter ready in %.2f s", time.perf_counter() - t0)

    async def stop(self) -> None:
        # From here no channel starts: one that a socket's join started during
        # the stop would add a tail group after `tailer.stop` ended them all,
        # and that read would keep the process from exiting.
        self.stopping = True
        # Last chance for buffered likes: an accepted tap must not be lost.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.likes.flush(), timeout=2)
        # And for the visits that ended with the closed sockets: unreported, those
        # devices would stay "in" and their next visit would not count as a view.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.report_presence(), timeout=2)
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        # Bounded: under load a tail group's blocked read was seen to survive
        # its cancellation about once in twenty stops, holding the process's
        # exit until it was killed (docs/scaling.md, "Stopping"). Cut off
        # here, the group's connection is closed by `stop` anyway and the task
        # is cancelled again when the event loop closes.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.tailer.stop(), timeout=TAILER_STOP_S)
        self.channels.clear()
        for task in list(self._tasks):
            task.cancel()
        await self.redis.aclose()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        background(coro, self._tasks)

    # --- channels -------------------------------------------------------------------

    async def channel(self, bid: str) -> Channel:
        """The running channel of a broadcast (started on first use)."""
        found = self.channels.get(bid)
        if found is not None:
            return found
        return await self._starting.run(bid, lambda: self._start_channel(bid))

    async def _start_channel(self, bid: str) -> Channel:
        if self.stopping:
            raise Rejection(Code.UNAVAILABLE, "the hub process is stopping", retryable=True)
        channel = Channel(bid, self.deps, pseudonym=self.pseudonym, heartbeat_s=self.heartbeat_s)
        await channel.start()
        if self.stopping:  # the stop began while the channel read Redis
            raise Rejection(Code.UNAVAILABLE, "the hub process is stopping", retryable=True)
        self.tailer.add(channel)
        self.channels[bid] = channel
        return channel

    async def broadcast_settings(self, bid: str) -> BroadcastSettings:
        """Settings used to validate a command (the live channel's copy if any)."""
        channel = self.channels.get(bid)
        raw: Any = channel.broadcast.get("settings") if channel and channel.broadcast else None
        if raw is None:
            meta = await self.store.broadcast_meta(bid)
            if meta is None:
                raise Rejection(Code.NOT_FOUND, "no such broadcast")
            return BroadcastSettings.from_dict(orjson.loads(meta.get("settings", "{}")))
        # Parsed once per version: the channel replaces its settings mapping (a
        # new object) on every broadcast event, and the cache holds that object,
        # so `is` cannot match a newer one.
        seen = self._parsed_settings.get(bid)
        if seen is not None and seen[0] is raw:
            return seen[1]
        parsed = BroadcastSettings.from_dict(raw)
        self._parsed_settings[bid] = (raw, parsed)
        return parsed

    async def delete_broadcast(self, bid: str, *, user: str, force: bool = False) -> dict[str, Any]:
        """Delete a broadcast (server/store/deletion.py) and close this process's
        channel of it at once. Other processes close theirs when their tailer
        reads the ``deleted`` event or, if the sweep removed the stream before
        they read it, when their next presence report is refused."""
        result = await self.deleter.delete(bid, user=user, force=force)
        await self._forget(bid)
        return result

    async def _forget(self, bid: str) -> None:
        """A deleted broadcast: its sockets here close with 4404, its channel stops."""
        channel = self.channels.pop(bid, None)
        self._parsed_settings.pop(bid, None)
        if channel is None:
            return
        for conn in [c for group in channel.conns.values() for c in group]:
            conn.close(protocol.Close.NOT_FOUND, "the broadcast was deleted")
        self.tailer.remove(bid)

    def pseudonym(self, vid: str, bid: str) -> str:
        return auth.pseudonym(self.secret, vid, bid)

    async def execute(self, bid: str, actor: Actor, cmd: protocol.Command) -> Result:
        """Run one command for any transport (websocket, HTTP) with its context.

        The context is assembled here once: the broadcast's settings, the
        sensitive-word lists (read only for a question, the one command
        screened), the length limit of names, and the pseudonyms moderators see.
        Likes never come here: the like desk buffers and acknowledges them;
        the follow-up's commands go to its desk (``server.live.followup``)."""
        if isinstance(cmd, protocol.FollowupCommand):
            return await self.followup.execute(bid, actor, cmd)
        return await execute(
            self.store, bid, actor, cmd,
            settings=await self.broadcast_settings(bid),
            name_max_len=self.settings.name_max_len,
            # Questions and word-cloud answers are screened by the same lists.
            words=await self.words.matchers(bid) if isinstance(cmd, _SCREENED) else (),
            pseudonym=functools.partial(self.pseudonym, bid=bid),
        )  # fmt: skip

    # --- health ---------------------------------------------------------------------

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        # Which process answered: with `run --workers N` one port has N of them
        # (docs/scaling.md); `id` is the process's name in presence and like flushes.
        detail: dict[str, Any] = {"process": {"pid": os.getpid(), "id": self.likes.proc}}
        try:
            started = time.perf_counter()
            await asyncio.wait_for(self.store.ping(), timeout=self.settings.redis_timeout_s)
            self.metrics.redis_latency_seconds.observe(time.perf_counter() - started, op="ping")
            # PING answers while Redis refuses writes (OOM, BUSY): after such a
            # refusal, ready only once a probe write passes.
            writable = await asyncio.wait_for(
                self.redis_health.probe(self.redis), timeout=self.settings.redis_timeout_s
            )
            detail["redis"] = "ok" if writable else "refusing writes"
        except Exception as exc:
            detail["redis"] = "unreachable"
            self.redis_health.failed(exc, op="ping")
        dead = [bid for bid in self.channels if not self.tailer.healthy(bid)]
        detail["tailers"] = {
            "running": len(self.channels),
            "unhealthy": len(dead),
            "connections": self.tailer.connections(),
        }
        return detail["redis"] == "ok" and not dead and self.started, detail

    # --- loops ----------------------------------------------------------------------

    async def _presence_loop(self) -> None:
        # Every channel reports on the heartbeat; a channel where a device came
        # or went reports within presence_prompt_s, so a phone's viewer count
        # agrees with the hub's within seconds, not a heartbeat later.
        interval = self.settings.presence_interval_s
        prompt = min(self.settings.presence_prompt_s, interval)
        # Counted in sleeps, not read off the clock: a sleep that ends a hair
        # early must not skip a heartbeat.
        waited = 0.0
        while True:
            await asyncio.sleep(prompt)
            waited += prompt
            if waited >= interval * 0.999:
                waited = 0.0
                await self.report_presence()
            else:
                moved = [bid for bid, ch in list(self.channels.items()) if ch.visits]
                if moved:
                    await self.report_presence(moved)

    async def report_presence(self, bids: list[str] | None = None) -> None:
        """The viewer count and the visits since the last report of every
        channel (or of ``bids``), ``PRESENCE_PER_PIPELINE`` at a time, which the
        store pipelines (32 round trips for 1,000 channels, not 1,000;
        docs/performance.md, many broadcasts)."""
        ttl_ms = int(self.settings.presence_ttl_s * 1000)
        channels = (
            list(self.channels.items())
            if bids is None
            else [(bid, self.channels[bid]) for bid in bids if bid in self.channels]
        )
        # PRESENCE_PER_PIPELINE at a time: a command arriving meanwhile waits
        # behind one such pipeline at most, not behind a thousand reports.
        for i in range(0, len(channels), PRESENCE_PER_PIPELINE):
            await asyncio.gather(
                *(
                    self._report_one(bid, ch, ttl_ms)
                    for bid, ch in channels[i : i + PRESENCE_PER_PIPELINE]
                )
            )

    async def _report_one(self, bid: str, channel: Channel, ttl_ms: int) -> None:
        visits, channel.visits = channel.visits, []
        try:
            reported = await self.store.report_presence(
                bid, proc=self.likes.proc, count=channel.viewer_count(), ttl_ms=ttl_ms,
                visits=visits,
            )  # fmt: skip
            if reported.get("err") == "not_found":
                # Deleted (the script wrote nothing): let go of the channel.
                await self._forget(bid)
        except REDIS_DOWN as exc:
            channel.visits[:0] = visits  # reported next time, still in order
            self.redis_health.failed(exc, op="presence")
        except Exception:
            log.exception("presence report failed")

    async def _session_loop(self) -> None:
        while True:
            await asyncio.sleep(SESSION_CHECK_S)
            conns = [
                c
                for ch in list(self.channels.values())
                for c in list(ch.conns[Role.MODERATOR])
                if c.session_digest is not None
            ]
            if not conns:
                continue
            try:
                alive = await self.accounts.sessions_alive({str(c.session_digest) for c in conns})
            except REDIS_DOWN:
                continue
            except Exception:
                log.exception("session check failed")
                continue
            for conn in conns:
                if conn.session_digest not in alive:
                    conn.close(protocol.Close.UNAUTHORIZED, "session ended")

    async def _retention_loop(self) -> None:
        """Delete ended broadcasts older than ``retention_days`` (every process
        runs this; a deletion is idempotent, so two processes racing are harmless)."""
        while True:
            await asyncio.sleep(self.settings.retention_check_s)
            try:
                now = int(time.time() * 1000)
                for bid in await self.deleter.expired(now, self.settings.retention_days):
                    await self.delete_broadcast(bid, user="retention", force=True)
                    log.info("deleted an expired broadcast (retention_days=%d)",
                             self.settings.retention_days)  # fmt: skip
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("retention sweep failed; trying again later")

    async def _reaper_loop(self) -> None:
        while True:
            await asyncio.sleep(5)
            now = time.monotonic()
            for bid, channel in list(self.channels.items()):
                if channel.idle_for(now) >= CHANNEL_IDLE_S and bid not in self._starting:
                    del self.channels[bid]
                    self._parsed_settings.pop(bid, None)
                    self.tailer.remove(bid)
