"""Reading many broadcasts' event streams over one Redis connection.

A blocking ``XREAD`` holds its connection for the whole BLOCK time, so one
connection per broadcast exhausts any pool (65 broadcasts with a socket were
enough). A ``StreamReader`` is one dedicated connection that reads any number
of streams with one ``XREAD BLOCK`` (on a single Redis; a Redis Cluster would
need one reader per slot). Its Redis client id is known, so another
connection can end the wait at once (``CLIENT UNBLOCK``) when the set of
streams changes: a new broadcast does not wait out a BLOCK.

The connection's socket timeout is BLOCK + ``redis_timeout_s``: an idle
stream never looks like a dead Redis, a dead one is noticed within that time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import redis.asyncio as aioredis

from server.settings import Settings
from server.store import keys


class StreamReader:
    def __init__(self, settings: Settings) -> None:
        self._block_ms = settings.tail_block_ms
        self._count = settings.tail_batch
        pool = aioredis.ConnectionPool.from_url(
            settings.redis_url,
            socket_timeout=settings.tail_block_ms / 1000 + settings.redis_timeout_s,
            socket_connect_timeout=settings.redis_timeout_s,
            health_check_interval=0,
            client_name="xs-tail",
        )
        self._conn: Any = pool.make_connection()  # type: ignore[no-untyped-call]
        self._conn.register_connect_callback(self._on_connect)
        # CLIENT ID of the connection, learnt at every (re)connect; None while down.
        self.client_id: int | None = None

    async def _on_connect(self, conn: Any) -> None:
        await conn.send_command("CLIENT", "ID")
        self.client_id = int(await conn.read_response())

    async def read(
        self, positions: Mapping[str, str], *, block: bool = True
    ) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """Events after each broadcast's position: ``{bid: [(pos, event), ...]}``.

        Waits up to BLOCK for the first event when ``block`` (an empty dict when
        none came or the wait was ended by ``unblock``)."""
        conn = self._conn
        if not conn.is_connected:
            await conn.connect()
        names = {keys.events(bid): bid for bid in positions}
        args: list[Any] = ["XREAD", "COUNT", self._count]
        if block:
            args += ["BLOCK", self._block_ms]
        args += ["STREAMS", *names, *positions.values()]
        try:
            await conn.send_command(*args)
            reply: Any = await conn.read_response()
        except BaseException:
            self.client_id = None
            await conn.disconnect(nowait=True)
            raise
        out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        # RESP3 answers a map of stream -> entries, RESP2 a list of pairs.
        streams = reply.items() if isinstance(reply, dict) else (reply or ())
        for name, rows in streams:
            events = []
            for rid, fields in rows:
                pairs = dict(zip(fields[::2], fields[1::2], strict=True))
                events.append((rid.decode(), orjson.loads(pairs[b"e"])))
            out[names[name.decode()]] = events
        return out

    async def close(self) -> None:
        self.client_id = None
        await self._conn.disconnect(nowait=True)


async def unblock(redis: aioredis.Redis, client_id: int) -> bool:
    """End another connection's blocking read now (it returns as if timed out)."""
    reply = await redis.execute_command("CLIENT", "UNBLOCK", client_id)  # type: ignore[no-untyped-call]
    return bool(reply)
