"""The webhook delivery worker: reads the event streams, sends signed POSTs.

It runs as one background task of a hub process and never touches the live
path: the live scripts only append events, as always; this task reads them
later (one pipelined ``XRANGE`` per pass over the broadcasts it watches),
queues deliveries in Redis (``server/store/webhooks.py``) and sends them with
a bounded number in flight and a timeout each. A slow or failing endpoint
only delays its own retries.

* **One deliverer per deployment**: a lease in Redis, renewed every pass; if
  the holder dies, another hub process takes over when it lapses.
* **At-least-once**: the read position moves in the same script that queues
  the deliveries; a delivery leaves the queue only once it was answered 2xx
  or ran out of attempts. Receivers drop repeats by the delivery id header.
* **Retries** with exponential backoff (``webhook_retry_base_s`` doubling, up
  to ``webhook_retry_cap_s``), ``webhook_max_attempts`` in all; each attempt is
  in the delivery log.
* **No SSRF**: the host is resolved at each attempt and every address checked
  (``server.domain.webhooks.check_addresses``); the connection goes to the
  checked address (the name is not resolved again, so DNS rebinding cannot
  swap it), redirects are not followed.
* **Only what viewers saw**: events of a draft (rehearsal content) are read
  past, never sent; a webhook added during a show starts with the next event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis

from server.domain import webhooks as wh
from server.domain.errors import Rejection
from server.store import keys
from server.store.store import text
from server.store.webhooks import Webhooks

log = logging.getLogger("server.webhooks")

Json = dict[str, Any]


@dataclass(frozen=True)
class WorkerConfig:
    poll_s: float = 1.0  # a pass over the streams and the due queue
    lease_ms: int = 10_000  # the deliverer's lease; another process takes over after it
    timeout_s: float = 5.0  # one attempt: connect, send, read the status line
    retry_base_s: float = 5.0  # the first retry's wait, doubled for each next one
    retry_cap_s: float = 3600.0
    max_attempts: int = 8
    in_flight: int = 16  # deliveries sent at once
    allow_private: bool = False  # let webhooks point at loopback/private addresses
    events_per_pass: int = 500  # events read per broadcast per pass


class DeliveryError(Exception):
    """An attempt failed before an HTTP status (refused target, network, timeout)."""


async def resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DeliveryError(f"cannot resolve {host}: {exc.strerror or exc}") from None
    return [str(info[4][0]) for info in infos]


async def post(target: wh.Target, address: str, body: bytes, headers: Mapping[str, str]) -> int:
    """One HTTP/1.1 POST to ``address`` (already checked) for ``target``; the status."""
    tls = ssl.create_default_context() if target.scheme == "https" else None
    reader, writer = await asyncio.open_connection(
        address, target.port, ssl=tls, server_hostname=target.host if tls else None
    )
    try:
        host = f"[{target.host}]" if ":" in target.host else target.host
        default = 443 if target.scheme == "https" else 80
        if target.port != default:
            host += f":{target.port}"
        lines = [f"POST {target.path} HTTP/1.1", f"Host: {host}",
                 "Content-Type: application/json", f"Content-Length: {len(body)}",
                 "Connection: close", "User-Agent: xieshang-webhooks/1"]  # fmt: skip
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        status_line = await reader.readline()
        parts = status_line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            raise DeliveryError("no HTTP status line in the answer")
        return int(parts[1])
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


class WebhookWorker:
    def __init__(self, redis: aioredis.Redis, proc: str, config: WorkerConfig) -> None:
        self.redis = redis
        self.hooks = Webhooks(redis)
        self.proc = proc
        self.config = config
        self.delivered = 0  # attempts answered 2xx by this process (tests, metrics)

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.pass_once()
                except Exception as exc:  # Redis down or a bug: try again next pass
                    log.warning("webhook pass failed: %s", type(exc).__name__)
                await asyncio.sleep(self.config.poll_s)
        finally:
            await self.release()

    async def release(self) -> None:
        """Give the lease up (a stopping process), so another one delivers at once."""
        with contextlib.suppress(Exception):
            await self.hooks.release(self.proc)

    async def pass_once(self) -> None:
        if not await self.hooks.lease(self.proc, self.config.lease_ms):
            return
        hooks = [h for h in await self.hooks.all() if h.get("enabled", True)]
        if hooks:
            await self.scan(hooks)
        await self.deliver({str(h["id"]): h for h in await self.hooks.all()})

    # --- reading the streams --------------------------------------------------------------

    async def scan(self, hooks: Sequence[Json]) -> None:
        """One pass over the watched broadcasts: three pipelined reads (metas,
        positions, new events), then one enqueue script per broadcast that moved."""
        everywhere = any(not h.get("bid") for h in hooks)
        if everywhere:
            bids = [text(b) for b in await self.redis.zrange(keys.BROADCASTS, 0, -1)]
        else:
            bids = sorted({str(h["bid"]) for h in hooks})
        if not bids:
            return
        pipe = self.redis.pipeline(transaction=False)
        for bid in bids:
            pipe.hmget(keys.meta(bid), "state", "settings", "deleting")
        metas = await pipe.execute()
        positions = await self.hooks.positions(bids)
        watched: list[tuple[str, str, bool, str | None]] = []
        for bid, meta, pos in zip(bids, metas, positions, strict=True):
            if meta[0] is None or meta[2] == b"1":
                if pos is not None:  # deleted: forget its position
                    await self.redis.hdel(keys.HOOKS_POS, bid)
                continue
            settings = orjson.loads(meta[1] or b"{}")
            watched.append((bid, text(meta[0]), bool(settings.get("show_names", True)), pos))
        pipe = self.redis.pipeline(transaction=False)
        for bid, state, _, pos in watched:
            if pos is None and state != "draft":
                pipe.xrevrange(keys.events(bid), count=1)
            else:  # a draft is read from its start: nothing of it is sent
                pipe.xrange(keys.events(bid), min=f"({pos or '0-0'}",
                            count=self.config.events_per_pass)  # fmt: skip
        found: list[Any] = await pipe.execute()
        for (bid, state, show_names, pos), rows in zip(watched, found, strict=True):
            if pos is None and state != "draft":
                # A webhook added during or after a show starts with the next event.
                await self.hooks.enqueue(bid, text(rows[0][0]) if rows else "0-0", [])
            elif rows:
                await self._queue(bid, state, show_names, rows, hooks)

    async def _queue(
        self, bid: str, state: str, show_names: bool, rows: Any, hooks: Sequence[Json]
    ) -> None:
        deliveries: list[tuple[str, str, bytes]] = []
        for rid, fields in rows:
            sid = text(rid)
            event = orjson.loads(fields[b"e"])
            if state == "draft" and event.get("type") != "broadcast":
                continue
            for out in wh.webhook_events(event, show_names=show_names):
                for hook in hooks:
                    if hook.get("bid") not in (None, "", bid) or out.event not in hook["events"]:
                        continue
                    did = wh.delivery_id(bid, sid, out.event, str(hook["id"]))
                    body = {"id": did, "event": out.event.value, "broadcast": bid,
                            "occurred_at": int(sid.split("-", 1)[0]), "data": out.data}  # fmt: skip
                    deliveries.append((did, str(hook["id"]), orjson.dumps(body)))
        await self.hooks.enqueue(bid, text(rows[-1][0]), deliveries)

    # --- sending -----------------------------------------------------------------------------

    async def deliver(self, hooks: Mapping[str, Json]) -> None:
        now = int(time.time() * 1000)
        due = await self.hooks.due(now, self.config.in_flight)
        if due:
            await asyncio.gather(*(self._attempt(d, hooks.get(d["hook"])) for d in due))

    async def _attempt(self, delivery: Json, hook: Json | None) -> None:
        started = time.monotonic()
        status, error = 0, ""
        if hook is None:
            await self._done(delivery, "failed", 0, "the webhook was removed", started)
            return
        body: bytes = delivery["body"]
        try:
            async with asyncio.timeout(self.config.timeout_s):
                target = wh.parse_url(str(hook["url"]))
                addresses = wh.check_addresses(
                    await resolve(target.host, target.port),
                    allow_private=self.config.allow_private,
                )
                now_s = int(time.time())
                headers = {
                    wh.SIGNATURE_HEADER: wh.sign(str(hook["secret"]), now_s, body),
                    wh.ID_HEADER: str(delivery["id"]),
                    wh.EVENT_HEADER: str(orjson.loads(body)["event"]),
                }
                status = await post(target, addresses[0], body, headers)
        except Rejection as exc:
            error = exc.message
        except TimeoutError:
            error = f"no answer within {self.config.timeout_s:g} s"
        except (OSError, DeliveryError, ssl.SSLError) as exc:
            error = str(exc) or type(exc).__name__
        if 200 <= status < 300:
            self.delivered += 1
            await self._done(delivery, "ok", status, "", started)
            return
        attempt = int(delivery["attempts"]) + 1
        final = attempt >= self.config.max_attempts
        await self._done(delivery, "failed" if final else "retry", status,
                         error or f"HTTP {status}", started, attempt)  # fmt: skip

    async def _done(
        self, delivery: Json, outcome: str, status: int, error: str, started: float,
        attempt: int = 1,
    ) -> None:  # fmt: skip
        wait = wh.backoff_s(attempt, self.config.retry_base_s, self.config.retry_cap_s)
        await self.hooks.done(
            str(delivery["id"]), outcome=outcome, status=status, error=error,
            next_due_ms=int((time.time() + wait) * 1000),
            took_ms=int((time.monotonic() - started) * 1000),
        )  # fmt: skip
