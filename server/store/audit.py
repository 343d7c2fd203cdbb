"""The audit logs: who did what, when, to which item. Reads and the shared writer.

Two Redis streams, fields ``user``, ``action``, ``target``, ``detail`` (JSON):

* ``xs:{<bid>}:audit``, one per broadcast: every moderator write, appended by
  the write script itself (``audit()`` in ``lua/_prelude.lua``), so a change and
  its record are one atomic step, and an idempotent replay or a refusal (which
  change nothing) record nothing;
* ``xs:audit`` (``keys.AUDIT``), deployment-wide: moderator accounts, the
  global word list, broadcast creation; appended by the same scripts that make
  those changes (``audit_append()`` in ``lua/_audit.lua``).

Both are capped (``AUDIT_MAXLEN`` in ``lua/_audit.lua``, the only writer) far
above what a deployment writes in years, and are separate from the event
stream, whose trimming (the resume window) never loses a record. The stream id
is the entry's id and time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypedDict

import orjson
import redis.asyncio as aioredis

from server.domain.resume import STREAM_ID

# A stream id as a client may send it back for paging ("<ms>-<seq>").
STREAM_ID_RE = STREAM_ID
_CHUNK = 1000  # entries per XRANGE of a full export


class Entry(TypedDict):
    id: str  # stream id: the entry's identity and paging cursor
    ts: int  # ms since the epoch (the stream id's time part)
    user: str
    action: str
    target: str
    detail: dict[str, Any]


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def entry(rid: Any, fields: dict[Any, Any]) -> Entry:
    """One stream entry as the API returns it."""
    sid = _text(rid)
    got = {_text(k): _text(v) for k, v in fields.items()}
    try:
        detail = orjson.loads(got.get("detail") or "{}")
    except orjson.JSONDecodeError:
        detail = {"raw": got.get("detail", "")}
    if not isinstance(detail, dict):  # Lua's cjson writes an empty object as {} too
        detail = {"value": detail}
    return Entry(
        id=sid, ts=int(sid.split("-", 1)[0]), user=got.get("user", ""),
        action=got.get("action", ""), target=got.get("target", ""), detail=detail,
    )  # fmt: skip


async def page(
    redis: aioredis.Redis, key: str, *, limit: int, before: str | None
) -> tuple[list[Entry], str | None]:
    """Up to ``limit`` entries older than ``before`` (all if None), newest first,
    and the cursor of the next page (None when this one reaches the oldest)."""
    high = f"({before}" if before else "+"
    rows: Any = await redis.xrevrange(key, max=high, min="-", count=limit + 1)
    entries = [entry(rid, fields) for rid, fields in rows[:limit]]
    return entries, (entries[-1]["id"] if len(rows) > limit else None)


async def every_entry(redis: aioredis.Redis, key: str) -> AsyncIterator[Entry]:
    """Every entry, oldest first, read in bounded chunks (for the CSV export)."""
    low = "-"
    while True:
        rows: Any = await redis.xrange(key, min=low, max="+", count=_CHUNK)
        for rid, fields in rows:
            yield entry(rid, fields)
        if len(rows) < _CHUNK:
            return
        low = f"({_text(rows[-1][0])}"
