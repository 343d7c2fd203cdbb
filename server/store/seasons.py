"""Seasons: a programme's episodes grouped ("2024 协商在线", 9 broadcasts).

================================  ======  ==========================================
``xs:{season}:<sid>``             hash    id, name, year, created (ms)
``xs:{season}:<sid>:bcs``         zset    broadcast ids by episode position (1, 2, ...)
``xs:{season}:all``               zset    season ids by creation time
``xs:{season}:audit``             stream  season creation (user, action, target, detail)
``xs:{<bid>}:meta`` ``season``    field   the season a broadcast belongs to (at most one)
================================  ======  ==========================================

Contracts:

* Every season key shares the ``{season}`` hash tag: one slot, so a season's
  scripts are single-slot under Redis Cluster. The broadcast's side (its meta
  field, a ``season`` event in its stream, its audit entry) is one script in
  the broadcast's slot.
* ``add_broadcast`` writes the broadcast's side first, then the season's list.
  Both steps are idempotent, so a retry after a crash between them completes
  the second; the indexer (``server/store/indexer.py``) also derives the list
  from the ``season`` events, so a list lost entirely can be rebuilt.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from server.domain.broadcast import validate_broadcast_id
from server.domain.errors import Code, Rejection
from server.domain.season import validate_new_season, validate_season_id
from server.settings import Settings
from server.store import keys
from server.store.scripts import decoded, load, text


class Seasons:
    """Seasons in Redis. One instance per hub process."""

    def __init__(self, redis: aioredis.Redis, settings: Settings) -> None:
        self.redis = redis
        self._maxlen = settings.stream_maxlen
        self._create = load(redis, "season_create")
        self._link = load(redis, "season_link")
        self._add = load(redis, "season_add")

    async def create(self, sid: str, *, name: str, year: int, user: str) -> dict[str, Any]:
        """Create a season (validated here); ``created`` False if it already existed
        with the same name and year. Another season under that id: ``conflict``."""
        new = validate_new_season(sid, name, year)
        raw = await self._create(
            keys=[keys.season(new.sid), keys.SEASONS, keys.SEASON_AUDIT],
            args=[keys.SEASON_PREFIX, new.sid, new.name, new.year, user],
        )
        return decoded(raw)

    async def get(self, sid: str) -> dict[str, Any] | None:
        """``{"id", "name", "year", "created", "broadcasts"}`` or None."""
        try:
            validate_season_id(sid)
        except Rejection:
            return None
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(keys.season(sid))
        pipe.zrange(keys.season_broadcasts(sid), 0, -1)
        raw, bids = await pipe.execute()
        if not raw:
            return None
        f = {text(k): text(v) for k, v in raw.items()}
        return {
            "id": f["id"], "name": f["name"], "year": int(f["year"]),
            "created": int(f["created"]), "broadcasts": [text(b) for b in bids],
        }  # fmt: skip

    async def list_all(self) -> list[dict[str, Any]]:
        """Every season, oldest first, each as ``get`` returns it."""
        found = []
        for sid in await self.redis.zrange(keys.SEASONS, 0, -1):
            season = await self.get(text(sid))
            if season is not None:
                found.append(season)
        return found

    async def broadcasts(self, sid: str) -> list[str]:
        """The season's broadcast ids in episode order."""
        validate_season_id(sid)
        return [text(b) for b in await self.redis.zrange(keys.season_broadcasts(sid), 0, -1)]

    async def add_broadcast(
        self, sid: str, bid: str, *, user: str = "", position: int | None = None
    ) -> int:
        """Add a broadcast as the next episode (or at ``position``); returns its
        position. ``not_found`` for a missing season or broadcast, ``conflict``
        when the broadcast is in another season."""
        validate_season_id(sid)
        validate_broadcast_id(bid)
        if position is not None and (isinstance(position, bool) or not 1 <= position <= 1000):
            raise Rejection(Code.INVALID, "the position must be an integer from 1 to 1000")
        if not await self.redis.exists(keys.season(sid)):
            raise Rejection(Code.NOT_FOUND, "no such season")
        decoded(
            await self._link(
                keys=[keys.meta(bid), keys.events(bid), keys.meta(bid)],
                args=[keys.prefix(bid), sid, user, self._maxlen],
            )
        )
        return await self.list_broadcast(sid, bid, position)

    async def list_broadcast(self, sid: str, bid: str, position: int | None = None) -> int:
        """The season's side of ``add_broadcast`` alone (the indexer replays it)."""
        done = decoded(
            await self._add(
                keys=[keys.season(sid), keys.season_broadcasts(sid)],
                args=[keys.SEASON_PREFIX, bid, "" if position is None else position],
            )
        )
        return int(str(done["position"]))

    async def season_of(self, bid: str) -> str | None:
        raw = await self.redis.hget(keys.meta(bid), "season")
        return text(raw) if raw else None
