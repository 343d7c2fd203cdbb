"""The hub of one process: Redis clients, channels, and the background loops.

Everything here is rebuilt from Redis on start; nothing that matters lives
only in a process. Background loops:

* likes: ``LikeDesk.run`` flushes buffered likes every ``likes_flush_ms``;
* presence: every ``presence_interval_s`` each channel reports this process's
  viewer count (an entry that expires after ``presence_ttl_s``, so a killed
  process stops being counted: RELIABILITY 6);
* sessions: moderator sockets whose session was logged out, reset or removed
  are closed within ``session_check_s`` (RELIABILITY 20);
* reaper: a channel without clients for ``channel_idle_s`` stops tailing;
* words: the sensitive-word lists are re-read when their version moves
  (``words_refresh_ms``, ``server.live.words``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Coroutine
from typing import Any

import orjson
import redis.asyncio as aioredis

from server import auth, protocol
from server.domain.broadcast import BroadcastSettings
from server.domain.errors import Code, Rejection
from server.live.channel import Channel
from server.live.commands import Actor, execute
from server.live.conn import background
from server.live.likes import LikeDesk
from server.live.words import WordsDesk
from server.metrics import Metrics
from server.protocol import Role
from server.settings import Settings
from server.store.accounts import Accounts, get_or_create_secret
from server.store.deletion import Deleter
from server.store.redis_client import REDIS_DOWN, blocking_client, command_client
from server.store.store import Result, Store
from server.timezones import resolve_timezone

log = logging.getLogger("xs.hub")

SESSION_CHECK_S = 3.0  # how often moderator sockets' sessions are re-checked
CHANNEL_IDLE_S = 30.0  # keep an empty channel's ring warm this long for reconnects


class Hub:
    def __init__(self, settings: Settings, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.heartbeat_s = 25.0
        # Resolved once, so a wrong TIMEZONE stops the start, not an export.
        self.timezone = resolve_timezone(settings.timezone)
        self.redis: aioredis.Redis = command_client(settings)
        self.blocking_redis: aioredis.Redis = blocking_client(settings)
        self.store = Store(self.redis, settings)
        self.accounts = Accounts(self.redis, settings)
        self.likes = LikeDesk(self)
        self.words = WordsDesk(self)  # compiled sensitive-word lists, kept fresh
        self.deleter = Deleter(self.store, settings)
        self.secret = b""
        self.channels: dict[str, Channel] = {}
        # bid -> (the live channel's settings mapping, its validated form).
        self._parsed_settings: dict[str, tuple[Any, BroadcastSettings]] = {}
        self.ip_connections: dict[str, int] = {}  # open websockets per client address
        self._starting: dict[str, asyncio.Future[Channel]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self.started = False

    # --- life -----------------------------------------------------------------------

    async def start(self) -> None:
        # The secret must be shared by every process: wait for Redis if needed.
        for attempt in range(50):
            try:
                self.secret = await get_or_create_secret(self.redis, self.settings.secret_key)
                break
            except REDIS_DOWN:
                if attempt == 49:
                    raise
                await asyncio.sleep(0.2)
        self._loops = [
            asyncio.create_task(self.likes.run(), name="likes"),
            asyncio.create_task(self._presence_loop(), name="presence"),
            asyncio.create_task(self._session_loop(), name="sessions"),
            asyncio.create_task(self._reaper_loop(), name="reaper"),
            asyncio.create_task(self.words.run(), name="words"),
        ]
        if self.settings.retention_days > 0:
            self._loops.append(asyncio.create_task(self._retention_loop(), name="retention"))
        self.started = True

    async def stop(self) -> None:
        # Last chance for buffered likes: an accepted tap must not be lost.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.likes.flush(), timeout=2)
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for channel in list(self.channels.values()):
            await channel.stop()
        self.channels.clear()
        for task in list(self._tasks):
            task.cancel()
        await self.redis.aclose()
        await self.blocking_redis.aclose()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        background(coro, self._tasks)

    # --- channels -------------------------------------------------------------------

    async def channel(self, bid: str) -> Channel:
        """The running channel of a broadcast (started on first use)."""
        found = self.channels.get(bid)
        if found is not None:
            return found
        pending = self._starting.get(bid)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Channel] = asyncio.get_running_loop().create_future()
        self._starting[bid] = future
        try:
            channel = Channel(bid, self)
            await channel.start()
            self.channels[bid] = channel
            future.set_result(channel)
            return channel
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()
            raise
        finally:
            del self._starting[bid]

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

    def pseudonym(self, vid: str, bid: str) -> str:
        return auth.pseudonym(self.secret, vid, bid)

    async def execute(self, bid: str, actor: Actor, cmd: protocol.Command) -> Result:
        """Run one command for any transport (websocket, HTTP) with its context.

        The context is assembled here once: the broadcast's settings, the
        sensitive-word lists (read only for a question, the one command
        screened), the length limit of names, and the pseudonyms moderators see.
        Likes never come here: the like desk buffers and acknowledges them."""
        return await execute(
            self.store, bid, actor, cmd,
            settings=await self.broadcast_settings(bid),
            name_max_len=self.settings.name_max_len,
            words=await self.words.matchers(bid) if isinstance(cmd, protocol.Ask) else (),
            pseudonym=functools.partial(self.pseudonym, bid=bid),
        )  # fmt: skip

    # --- health ---------------------------------------------------------------------

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        detail: dict[str, Any] = {}
        try:
            started = time.perf_counter()
            await asyncio.wait_for(self.store.ping(), timeout=self.settings.redis_timeout_s)
            detail["redis"] = "ok"
            self.metrics.redis_latency_seconds.observe(time.perf_counter() - started, op="ping")
        except Exception:
            detail["redis"] = "unreachable"
            self.metrics.redis_errors_total.inc(op="ping")
        dead = [bid for bid, ch in self.channels.items() if not ch.tailer_alive]
        detail["tailers"] = {"running": len(self.channels), "unhealthy": len(dead)}
        return detail["redis"] == "ok" and not dead and self.started, detail

    # --- loops ----------------------------------------------------------------------

    async def _presence_loop(self) -> None:
        ttl_ms = int(self.settings.presence_ttl_s * 1000)
        while True:
            await asyncio.sleep(self.settings.presence_interval_s)
            for bid, channel in list(self.channels.items()):
                seen, channel.seen_vids = channel.seen_vids, set()
                try:
                    await self.store.report_presence(
                        bid, proc=self.likes.proc, count=channel.viewer_count(), ttl_ms=ttl_ms,
                        seen=seen,
                    )  # fmt: skip
                except REDIS_DOWN:
                    channel.seen_vids |= seen
                    self.metrics.redis_errors_total.inc(op="presence")
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
                    await self.deleter.delete(bid, user="retention", force=True)
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
                    await channel.stop()
