"""Reads of a broadcast's record: figures, timeline, every question, every poll.

What the exports and the report read, as plain dicts. Nothing here writes:
the figures are counted by the write scripts themselves (``_prelude.lua``'s
``tl_add``). The questions are read in chunks of ``CHUNK`` ids, one pipeline
per chunk, so an export of 10,000 questions holds at most one chunk in memory
and never runs one long command that would stall Redis for everyone else.

A record read while the show goes on is not one atomic snapshot: each chunk
is consistent in itself, and a question changed between two chunks shows the
state it had when its chunk was read. The figures (one pipeline) are read
first; a question asked after them may be in the question list but not yet
in the figures. Exports say when they were read (``exported_at``).

Never read: the asker's viewer id, the duplicate fingerprint, per-viewer
keys. An export carries no viewer identity.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis

from server.domain.poll_kinds import CLOUD_TOP_N
from server.domain.report import TIMELINE_METRICS, Raw, Totals
from server.store import keys

CHUNK = 500  # question ids per pipeline

# Question hash fields an export may carry. Deliberately absent: the asker's
# viewer id, the text's fingerprint, the word-list flags and the asker's lookup
# code (查询码: whoever holds it reads the asker's follow-up, so it stays with
# the asker). Follow-up fields as the follow-up workflow writes them.
QUESTION_FIELDS = (
    "id", "text", "orig", "name", "tag", "source", "status", "votes", "starred",
    "created", "updated", "approved_at", "onair_at", "answered_at", "answer_note", "reason",
    "merged_into",
)  # fmt: skip
FOLLOWUP_FIELDS = (
    "state", "dept", "due", "assigned_at", "replied_at", "published_at", "reply", "reply_link",
    "rating", "rating_comment", "reopened", "ext_state",
)  # fmt: skip
_INTS = frozenset(
    {"id", "votes", "created", "updated", "approved_at", "onair_at", "answered_at",
     "merged_into", "assigned_at", "replied_at", "published_at"}
)  # fmt: skip

Row = tuple[dict[str, Any], dict[str, Any] | None]  # (question, follow-up record or None)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _typed(fields: Mapping[Any, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    raw = {_text(k): _text(v) for k, v in fields.items()}
    out: dict[str, Any] = {}
    for name in allowed:
        value = raw.get(name)
        if value is None or value == "":
            continue
        if name in _INTS:
            out[name] = int(value) if value.lstrip("-").isdigit() else None
        elif name == "starred":
            out[name] = value == "1"
        else:
            out[name] = value
    return out


@dataclass(frozen=True)
class Figures:
    """The broadcast-wide totals and the raw per-minute counters."""

    totals: Totals
    raw: Raw  # metric -> minute -> value


class Record:
    """Read-only access to one deployment's broadcast records."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def figures(self, bid: str) -> Figures:
        """Totals and the raw timeline, one pipeline."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(keys.likes(bid))
        pipe.hmget(keys.presence(bid), "_views", "_peak", "_peak_at", "_last")
        pipe.hlen(keys.visits(bid))
        for metric in TIMELINE_METRICS:
            pipe.hgetall(keys.timeline(bid, metric))
        likes, pres, unique, *series = await pipe.execute()
        views, peak, peak_at, last = (_text(v) if v is not None else None for v in pres)
        now = int(last.split(":", 1)[0]) if last else 0
        raw = {
            metric: {int(_text(k)): int(_text(v)) for k, v in found.items()}
            for metric, found in zip(TIMELINE_METRICS, series, strict=True)
        }
        totals = Totals(
            likes=int(likes or 0), views=int(views or 0), unique=int(unique),
            peak=int(peak or 0), peak_at=int(peak_at) if peak_at else None, viewers_now=now,
        )  # fmt: skip
        return Figures(totals=totals, raw=raw)

    async def questions(self, bid: str) -> AsyncIterator[list[Row]]:
        """Every question in id order with its follow-up record, ``CHUNK`` at a time."""
        last = int(await self.redis.get(keys.question_seq(bid)) or 0)
        for low in range(1, last + 1, CHUNK):
            ids = range(low, min(low + CHUNK, last + 1))
            pipe = self.redis.pipeline(transaction=False)
            for qid in ids:
                pipe.hgetall(keys.question(bid, qid))
                pipe.hgetall(keys.followup(bid, qid))
            found = await pipe.execute()
            rows: list[Row] = []
            for i in range(0, len(found), 2):
                if not found[i]:
                    continue  # deleted by a rehearsal clear
                fu = _typed(found[i + 1], FOLLOWUP_FIELDS) if found[i + 1] else None
                rows.append((_typed(found[i], QUESTION_FIELDS), fu))
            if rows:
                yield rows

    async def polls(self, bid: str) -> list[dict[str, Any]]:
        """Every poll, oldest first, with its tallies and ballot count."""
        pids = [int(_text(p)) for p in await self.redis.zrange(keys.polls(bid), 0, -1)]
        if not pids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for pid in pids:
            pipe.hgetall(keys.poll(bid, pid))
            pipe.hgetall(keys.tallies(bid, pid))
        found = await pipe.execute()
        polls = []
        for i in range(0, len(found), 2):
            f = {_text(k): _text(v) for k, v in found[i].items()}
            if not f:
                continue
            options = orjson.loads(f["options"])
            tallies = [0] * len(options)
            for k, v in found[i + 1].items():
                index = int(_text(k))
                if 0 <= index < len(tallies):
                    tallies[index] = int(_text(v))
            poll: dict[str, Any] = {
                "id": int(f["id"]), "question": f["question"], "options": options,
                "multi": f.get("multi") == "1", "results": f.get("results", ""),
                "state": f["state"], "created": int(f["created"]), "shown": f.get("shown") == "1",
                "tallies": tallies, "ballots": int(f.get("ballots", "0")),
                "kind": f.get("kind", "choice"),
            }  # fmt: skip
            if "labels" in f:
                poll["labels"] = orjson.loads(f["labels"])
            if poll["kind"] == "words":
                poll["tallies"] = await self._cloud(bid, int(f["id"]))
            polls.append(poll)
        return polls

    async def _cloud(self, bid: str, pid: int) -> list[list[Any]]:
        """A word cloud's {word, answers} pairs as every surface shows them: hidden
        words left out, the most frequent first (``poll_cloud`` in ``_prelude.lua``)."""
        hidden = {_text(w) for w in await self.redis.smembers(keys.cloud_hidden(bid, pid))}
        raw: Any = await self.redis.zrevrange(
            keys.cloud_words(bid, pid), 0, CLOUD_TOP_N + len(hidden) - 1, withscores=True
        )
        pairs: list[tuple[Any, float]] = raw
        words = [[_text(w), int(n)] for w, n in pairs if _text(w) not in hidden]
        return words[:CLOUD_TOP_N]

    async def departments(self, ids: set[str]) -> dict[str, str]:
        """Department id -> name (the follow-up workflow's ``xs:{dept}:<id>``)."""
        if not ids:
            return {}
        ordered = sorted(ids)
        pipe = self.redis.pipeline(transaction=False)
        for dept in ordered:
            pipe.hget(keys.dept(dept), "name")
        names = await pipe.execute()
        return {d: _text(n) for d, n in zip(ordered, names, strict=True) if n is not None}
