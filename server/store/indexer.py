"""The indexes that span broadcasts, derived from the broadcasts' own data.

A question's write stays one script in its broadcast's slot; what spans
broadcasts lives under hash tags of its own and is derived here:

* a department's queue and history (``xs:{dept}:<id>:queue`` / ``:done``), by
  ``server/domain/followup_index.placement`` of each follow-up record;
* the 查询码 lookup (``xs:{qcode}:<code>`` -> "<bid>:<qid>");
* a season's episode list (``xs:{season}:<sid>:bcs``) from the broadcasts'
  meta fields ``season`` / ``season_pos``.

Contracts:

* **Idempotent.** Every step re-reads the current record (never trusts an
  old event's copy) and writes absolute values, so applying an event twice,
  or out of order with a concurrent indexer, ends in the same indexes.
* **Follows the streams.** ``follow(bid)`` reads the broadcast's event stream
  from the last position it applied (``xs:{ix}:pos``) and syncs the items the
  events name (``followup``, a new ``question``, ``season``); a position the
  stream no longer holds (trimmed) falls back to ``resync(bid)``. A round
  (``run_once``) reads every broadcast's position at once and only the
  streams that moved since (one ``XREAD`` per ``_STREAMS_PER_READ``), so an
  idle deployment of 1,000 broadcasts costs a few commands a second.
* **Rebuildable.** ``rebuild()`` deletes every derived key and resyncs every
  broadcast from its records; the result equals what following produced
  (``tests/store/test_followup_indexer.py`` checks it).
* Where an item was placed is remembered in ``xs:{ix}:where`` so a change of
  department removes it from the old queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import redis.asyncio as aioredis

from server.domain.followup_index import NOWHERE, Placement, placement
from server.store import keys, scripts
from server.store.redis_client import is_cluster
from server.store.scripts import text

_BATCH = 500  # events per XRANGE while following a stream
_STREAMS_PER_READ = 256  # streams per XREAD of a round (as the live tailer's groups)


def _member(bid: str, qid: int) -> str:
    return f"{bid}:{qid}"


def _encode(p: Placement) -> bytes:
    return orjson.dumps({"q": list(p.queue) if p.queue else None, "h": sorted(p.history)})


def _decode(raw: Any) -> Placement:
    if not raw:
        return NOWHERE
    d = orjson.loads(raw)
    queue = (str(d["q"][0]), int(d["q"][1])) if d.get("q") else None
    return Placement(queue, frozenset((str(a), int(b)) for a, b in d.get("h", [])))


class Indexer:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._release = scripts.register(redis, ["lock_release"])["lock_release"]

    # --- the lock: one process follows at a time ------------------------------------

    async def hold_lock(self, owner: str, ms: int) -> bool:
        """Take the indexer's lock for ``ms``, or extend it if ``owner`` holds it."""
        if await self.redis.set(keys.IX_LOCK, owner, nx=True, px=ms):
            return True
        if await self.redis.get(keys.IX_LOCK) == owner.encode():
            await self.redis.pexpire(keys.IX_LOCK, ms)
            return True
        return False

    async def release_lock(self, owner: str) -> bool:
        """Give the lock up if ``owner`` still holds it (a process that stops)."""
        return bool(await self._release(keys=[keys.IX_LOCK], args=[owner]))

    # --- one item ------------------------------------------------------------------

    async def sync_item(self, bid: str, qid: int) -> None:
        """Place one question's follow-up record in the department indexes."""
        member = _member(bid, qid)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(keys.followup(bid, qid))
        pipe.hget(keys.IX_WHERE, member)
        raw, was = await pipe.execute()
        now = placement({text(k): text(v) for k, v in raw.items()}) if raw else NOWHERE
        before = _decode(was)
        pipe = self.redis.pipeline(transaction=False)
        if before.queue and before.queue != now.queue:
            pipe.zrem(keys.dept_queue(before.queue[0]), member)
        for dept, _ in before.history - now.history:
            if dept not in {d for d, _ in now.history}:
                pipe.zrem(keys.dept_history(dept), member)
        if now.queue:
            pipe.zadd(keys.dept_queue(now.queue[0]), {member: now.queue[1]})
        for dept, score in now.history:
            pipe.zadd(keys.dept_history(dept), {member: score})
        if now == NOWHERE:
            pipe.hdel(keys.IX_WHERE, member)
        else:
            pipe.hset(keys.IX_WHERE, member, _encode(now))
        await pipe.execute()

    async def sync_codes(self, bid: str, qids: Iterable[int]) -> None:
        wanted = list(qids)
        if not wanted:
            return
        pipe = self.redis.pipeline(transaction=False)
        for qid in wanted:
            pipe.hget(keys.question(bid, qid), "code")
        found = await pipe.execute()
        pipe = self.redis.pipeline(transaction=False)
        for qid, code in zip(wanted, found, strict=True):
            if code:
                pipe.set(keys.qcode(text(code)), _member(bid, qid))
        await pipe.execute()

    async def sync_season(self, bid: str) -> None:
        sid, pos = await self.redis.hmget(keys.meta(bid), ["season", "season_pos"])
        if sid and pos and await self.redis.exists(keys.season(text(sid))):
            await self.redis.zadd(keys.season_broadcasts(text(sid)), {bid: int(text(pos))})

    # --- one broadcast ---------------------------------------------------------------

    async def follow(self, bid: str) -> int:
        """Apply the broadcast's events since the last applied position; returns
        how many events were read."""
        pos = await self.redis.hget(keys.IX_POS, bid)
        if not pos:
            # Never followed (a new indexer, or a broadcast older than it): its
            # stream may be trimmed already, so derive it from its records.
            await self.resync(bid)
            return 0
        after = text(pos)
        first: Any = await self.redis.xrange(keys.events(bid), count=1)
        if first and _older(after, text(first[0][0])):
            await self.resync(bid)
            return 0
        read = 0
        while True:
            rows: Any = await self.redis.xrange(
                keys.events(bid), min=f"({after}", max="+", count=_BATCH
            )
            if not rows:
                return read
            after = await self._apply(bid, rows)
            await self.redis.hset(keys.IX_POS, bid, after)
            read += len(rows)

    async def _apply(self, bid: str, rows: Any) -> str:
        """Sync what ``rows`` (stream entries) name; returns the last entry's id."""
        items: set[int] = set()
        new_questions: set[int] = set()
        season = False
        for _, fields in rows:
            event = orjson.loads(fields[b"e"])
            kind = event.get("type")
            if kind == "followup":
                items.add(int(event["qid"]))
            elif kind == "question" and event.get("prev") is None:
                new_questions.add(int(event["q"]["id"]))
            elif kind == "season":
                season = True
        for qid in sorted(items):
            await self.sync_item(bid, qid)
        await self.sync_codes(bid, sorted(new_questions))
        if season:
            await self.sync_season(bid)
        return text(rows[-1][0])

    async def resync(self, bid: str) -> None:
        """Everything of one broadcast from its records, then its position set to
        the stream's end."""
        last: Any = await self.redis.xrevrange(keys.events(bid), count=1)
        for qid in sorted(
            int(text(q)) for q in await self.redis.zrange(keys.followups(bid), 0, -1)
        ):
            await self.sync_item(bid, qid)
        codes = await self.redis.hgetall(keys.codes(bid))
        await self.sync_codes(bid, sorted(int(text(q)) for q in codes.values()))
        await self.sync_season(bid)
        if last:
            await self.redis.hset(keys.IX_POS, bid, text(last[0][0]))

    # --- the deployment ----------------------------------------------------------------

    async def run_once(self) -> int:
        """Follow every broadcast whose stream moved once; returns the events read.

        One ``HMGET`` of the applied positions, then one non-blocking ``XREAD``
        per ``_STREAMS_PER_READ`` broadcasts: Redis answers only for the streams
        with events after their position, with those events. A round costs a
        few commands whatever the number of broadcasts, instead of three reads
        per broadcast (docs/performance.md, many broadcasts). A broadcast never
        followed, trimmed past its position, or with more than ``_BATCH`` new
        events goes through ``follow`` / ``resync``."""
        bids = [text(b) for b in await self.redis.zrange(keys.BROADCASTS, 0, -1)]
        if not bids:
            return 0
        positions = await self.redis.hmget(keys.IX_POS, bids)
        total = 0
        followed: list[tuple[str, str]] = []
        for bid, pos in zip(bids, positions, strict=True):
            if pos:
                followed.append((bid, text(pos)))
            else:
                await self.resync(bid)
        for i in range(0, len(followed), _STREAMS_PER_READ):
            total += await self._follow_many(dict(followed[i : i + _STREAMS_PER_READ]))
        return total

    async def moved(self, bids: list[str]) -> list[str]:
        """The broadcasts of ``bids`` with an event after their applied position,
        or never followed (what ``run_once`` applies)."""
        if not bids:
            return []
        positions = await self.redis.hmget(keys.IX_POS, bids)
        moved = {bid for bid, pos in zip(bids, positions, strict=True) if not pos}
        followed = [(bid, text(pos)) for bid, pos in zip(bids, positions, strict=True) if pos]
        for i in range(0, len(followed), _STREAMS_PER_READ):
            moved.update(await self._newer(dict(followed[i : i + _STREAMS_PER_READ]), 1))
        return [bid for bid in bids if bid in moved]

    async def _newer(self, after: dict[str, str], count: int) -> dict[str, Any]:
        """``{bid: entries after its position}`` for the streams that have any."""
        names = {keys.events(bid): bid for bid in after}
        if is_cluster(self.redis):
            # A cluster refuses one XREAD over streams of different slots (each
            # broadcast is its own): one XREAD per stream, all in one pipeline
            # that redis-py splits per node.
            pipe = self.redis.pipeline(transaction=False)
            for bid, pos in after.items():
                pipe.xread({keys.events(bid): pos}, count=count)
            found: dict[str, Any] = {}
            for bid, one in zip(after, await pipe.execute(), strict=True):
                found_streams = one.items() if isinstance(one, dict) else (one or ())
                for _, rows in found_streams:
                    if rows:
                        found[bid] = rows
            return found
        reply: Any = await self.redis.xread(
            {keys.events(bid): pos for bid, pos in after.items()}, count=count
        )
        streams = reply.items() if isinstance(reply, dict) else (reply or ())
        return {names[text(name)]: rows for name, rows in streams if rows}

    async def _follow_many(self, after: dict[str, str]) -> int:
        newer = await self._newer(after, _BATCH)
        if not newer:
            return 0
        moved = list(newer)
        pipe = self.redis.pipeline(transaction=False)
        for bid in moved:
            pipe.xrange(keys.events(bid), count=1)
        firsts = await pipe.execute()
        applied: dict[Any, Any] = {}  # bid -> the last entry applied
        read = 0
        for bid, first in zip(moved, firsts, strict=True):
            rows = newer[bid]
            if first and _older(after[bid], text(first[0][0])):
                await self.resync(bid)  # trimmed past the position: from the records
                continue
            applied[bid] = await self._apply(bid, rows)
            read += len(rows)
        if applied:
            await self.redis.hset(keys.IX_POS, mapping=applied)
        for bid in [b for b in applied if len(newer[b]) == _BATCH]:
            read += await self.follow(bid)  # more than one batch behind: the rest
        return read

    async def derived_keys(self) -> list[str]:
        """Every key this module derives (the 查询码 prefix claims are not derived:
        they are what makes codes unique)."""
        found: list[str] = [keys.IX_WHERE, keys.IX_POS]
        for pattern in (
            keys.DEPT_PREFIX + "*:queue", keys.DEPT_PREFIX + "*:done",
            keys.QCODE_PREFIX + "*", keys.SEASON_PREFIX + "*:bcs",
        ):  # fmt: skip
            async for key in self.redis.scan_iter(match=pattern, count=1000):
                name = text(key)
                if not name.startswith(keys.qcode_owner("")):
                    found.append(name)
        return sorted(set(found))

    async def rebuild(self) -> None:
        """Delete every derived index and derive it again from the broadcasts."""
        for key in await self.derived_keys():
            await self.redis.delete(key)
        for bid in await self.redis.zrange(keys.BROADCASTS, 0, -1):
            await self.resync(text(bid))


def _older(a: str, b: str) -> bool:
    """Stream id ``a`` is before ``b``: the stream no longer starts after ``a``,
    so events after ``a`` may have been trimmed away."""

    def parts(sid: str) -> tuple[int, int]:
        ms, _, seq = sid.partition("-")
        return int(ms), int(seq or 0)

    return parts(a) < parts(b)
