"""Deleting a broadcast, and the retention sweep that deletes ended ones.

docs/reliability.md 27: deleting a broadcast removes every key it owns. Its keys all
share the hash tag ``{<bid>}`` (one Cluster slot), so they are found with a
bounded ``SCAN MATCH xs:{<bid>}:*`` and deleted per batch by one script; the
two deployment-wide keys that name it (the index ``xs:{dep}:broadcasts`` and its
join code ``xs:{dep}:join:<code>``) live in other slots and are removed by a
script of their own. Steps, each safe to repeat, so a retry after a crash finishes the
job:

1. ``mark`` (one script): ``deleting`` = 1 in the meta hash and a ``deleted``
   event. From then on the broadcast reads as missing everywhere (the prelude's
   ``broadcast_state()``, ``Store.broadcast_meta``): new sockets get 4404,
   commands ``not_found``; every hub process closes the broadcast's open
   sockets with 4404 when it reads the event.
2. ``sweep``: every key but the meta hash, twice (the second pass catches a
   write that raced the first).
3. the join code and the index entry, and one ``bc.delete`` entry in the
   deployment audit log (the broadcast's own log is deleted with it), by one
   script (``lua/bc_unindex.lua``): a retry records nothing twice;
4. ``finish``: the meta hash, last.

A live broadcast is refused (``conflict``: end it first), except by the
retention sweep, which only ever picks ended ones anyway.
"""

from __future__ import annotations

from typing import Any

import orjson
import redis.asyncio as aioredis

from server.settings import Settings
from server.store import keys, scripts
from server.store.store import Result, Store, raise_for, text

DAY_MS = 86_400_000


class Deleter:
    """Deletes broadcasts; one per hub process."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.redis: aioredis.Redis = store.redis
        self._maxlen = settings.stream_maxlen
        found = scripts.register(self.redis, ("bc_delete", "bc_unindex"))
        self._script, self._unindex = found["bc_delete"], found["bc_unindex"]

    async def _step(self, bid: str, *args: Any) -> Result:
        raw = await self._script(
            keys=[keys.meta(bid), keys.events(bid), keys.meta(bid)],
            args=[keys.prefix(bid), *args],
        )
        result: Result = orjson.loads(raw)
        return raise_for(result)

    async def delete(self, bid: str, *, user: str, force: bool = False) -> dict[str, Any]:
        """Delete ``bid`` and everything it owns; ``not_found`` if there is no such
        broadcast, ``conflict`` if it is live (unless ``force``)."""
        marked = await self._step(bid, "mark", "1" if force else "0", self._maxlen)
        deleted = 0
        for _ in range(2):
            async for found in self.store.scan_keys(bid):
                deleted += int((await self._step(bid, "sweep", *found))["deleted"])
        join = keys.join(str(marked["join"])) if marked.get("join") else keys.BROADCASTS
        await self._unindex(
            keys=[keys.BROADCASTS, join, keys.AUDIT],
            args=[bid, user, orjson.dumps({"state": marked.get("state"), "keys": deleted + 1})],
        )
        await self._step(bid, "finish")
        return {"deleted": bid, "keys": deleted + 1}

    async def expired(self, now_ms: int, retention_days: int) -> list[str]:
        """Ended broadcasts whose end is more than ``retention_days`` ago."""
        cutoff = now_ms - retention_days * DAY_MS
        found = []
        for bid in await self.store.broadcast_ids():
            state, ended, created = await self.redis.hmget(
                keys.meta(bid), ["state", "ended", "created"]
            )
            if state is None or text(state) != "ended":
                continue
            # Broadcasts ended before the 'ended' field existed: their creation.
            when = int(text(ended or created or b"0"))
            if when < cutoff:
                found.append(bid)
        return found
