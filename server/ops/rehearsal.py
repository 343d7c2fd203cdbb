"""Rehearsal mode: fill a draft broadcast with sample content, clear it again.

``fill`` writes through the store's real scripts, as synthetic viewers and an
unnamed moderator, exactly what the public and a moderator would (questions,
moderation, upvotes, a poll with ballots, likes), so every page can be tried
on a busy broadcast. The broadcast's meta says ``rehearsal`` = 1 first, and
going live is refused until ``clear`` has removed it all: rehearsal questions
never reach a real audience.

``clear`` deletes the broadcast's content and keeps what the moderators set
up (meta with the join code and overlay key, word lists, the audit log, the id
counters). Order of the steps, each one script:

1. ``on``: rehearsal = 1 (a draft only; also blocks going live meanwhile);
2. ``sweep`` per ``SCAN MATCH xs:{<bid>}:*`` batch: bounded work per call, so a
   broadcast with many questions, or a Redis holding many broadcasts, is
   cleared without blocking Redis;
3. ``reset``: re-deletes the index keys a write racing step 2 may have
   re-created, empties the event stream, sets a new epoch and rehearsal = 0,
   appends a ``reset`` event: every hub process resynchronises its clients
   with a fresh snapshot (as after a Redis rollback, ``Channel._reset``);
4. ``strays``: a second scan deletes question/poll items with ids at or below
   the counters of step 3, which a write racing step 2 may have left. Ids are
   never reused, so nothing written after the clear is touched and no cached
   page can mistake a rehearsal question for a new one with the same number.

Each fill and clear is one entry of the broadcast's audit log
(``rehearsal.fill``, ``rehearsal.clear``); the writes of a fill are not
recorded one by one (they pass no user name).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Iterable
from typing import Any

from server.domain import broadcast as bc
from server.domain import poll as pl
from server.domain import question as qn
from server.domain.errors import Rejection
from server.domain.transitions import allowed_from
from server.ops import rehearsal_data as data
from server.store import keys
from server.store.store import Result, Store

_PUBLIC = frozenset({"approved", "on_air", "answered"})
_GATHER = 100  # concurrent script calls of a fill (pipelined by the store's batcher)
_STRAY_KINDS = ("q:", "qv:", "p:", "pt:", "pb:", "pw:", "ph:", "pa:", "pav:", "pq:")


async def _gather(calls: Iterable[Awaitable[Result]]) -> None:
    batch: list[Awaitable[Result]] = []
    for call in calls:
        batch.append(call)
        if len(batch) == _GATHER:
            await asyncio.gather(*batch)
            batch = []
    await asyncio.gather(*batch)


async def fill(
    store: Store, bid: str, *, user: str, settings: bc.BroadcastSettings, name_max_len: int
) -> dict[str, Any]:
    """Write the sample content into draft ``bid``; ``conflict`` unless a draft."""
    # This fill's synthetic viewers and command ids. Its idempotency keys are
    # "rh:<run>:..." or the viewers' own: a clear deletes them all.
    run = secrets.token_hex(4)
    detail = {"questions": len(data.QUESTIONS), "ballots": sum(data.POLL_BALLOTS),
              "likes": data.LIKES}  # fmt: skip
    await store.rehearsal_on(bid, user=user, detail=detail)

    def vid(n: int) -> str:
        return f"rehearsal-{run}-{n}"

    async def status(qid: int, target: str, reason: str = "") -> None:
        # "" as the user: covered by the one rehearsal.fill audit entry.
        await store.set_status(
            bid, f"rh:{run}:{qid}-{target}", user="", qid=qid, target=target,
            allowed_from=allowed_from(qn.QUESTION_TRANSITIONS, qn.QuestionStatus(target)),
            expect=None, reason=reason,
        )  # fmt: skip

    asked: list[tuple[int, data.Sample]] = []
    for n, sample in enumerate(data.QUESTIONS):
        tag = settings.tags[n % len(settings.tags)] if settings.tags else None
        try:
            new = qn.validate_new_question(sample.text, sample.name, tag, settings, name_max_len)
        except Rejection:
            continue  # e.g. longer than this broadcast's max_len
        result = await store.ask(
            bid, f"v:{vid(n)}:rh-ask", vid=vid(n), text=new.text, name=new.name, tag=new.tag,
            fp=new.fingerprint,
        )  # fmt: skip
        if "qid" in result:
            asked.append((int(result["qid"]), sample))

    for qid, sample in asked:
        if sample.plan == "rejected":
            await status(qid, "rejected", data.REJECT_REASON)
        elif sample.plan != "pending" and settings.moderation:
            await status(qid, "approved")
        if sample.starred:
            await store.star(bid, f"rh:{run}:{qid}-star", user="", qid=qid, on=True)
    # On the air in turn: each one answers the one before (set_status.lua).
    aired = [q for q, s in asked if s.plan == "answered"]
    aired += [q for q, s in asked if s.plan == "on_air"]
    for qid in aired:
        await status(qid, "on_air")

    await _gather(
        store.upvote(bid, f"v:{vid(1000 + i)}:rh-up-{qid}", vid=vid(1000 + i), qid=qid, on=True)
        for qid, sample in asked
        if sample.plan in _PUBLIC
        for i in range(sample.votes)
    )

    poll = await store.create_poll(
        bid, f"rh:{run}:poll", user="", question=data.POLL_QUESTION,
        options=data.POLL_OPTIONS, multi=False, results=pl.ResultsVisibility.AFTER_VOTE.value,
    )  # fmt: skip
    pid = int(poll["poll"])
    await store.set_poll_state(
        bid, f"rh:{run}:open", user="", pid=pid, target=pl.PollState.OPEN.value,
        allowed_from=allowed_from(pl.POLL_TRANSITIONS, pl.PollState.OPEN),
    )  # fmt: skip
    voters = [
        (2000 + sum(data.POLL_BALLOTS[:option]) + i, option)
        for option, count in enumerate(data.POLL_BALLOTS)
        for i in range(count)
    ]
    await _gather(
        store.ballot(bid, f"v:{vid(n)}:rh-vote", vid=vid(n), pid=pid, choices=[option])
        for n, option in voters
    )
    await store.flush_likes(bid, proc=f"rehearsal-{run}", seq=1, delta=data.LIKES, last_ids={})
    return {"rehearsal": True, "questions": await store.question_count(bid)}


async def clear(store: Store, bid: str, *, user: str) -> dict[str, Any]:
    """Delete the content of draft ``bid`` (see the module docstring)."""
    await store.rehearsal_on(bid, user=user, detail=None)
    deleted = 0
    async for found in store.scan_keys(bid):
        deleted += await store.rehearsal_sweep(bid, found)
    qcut, pcut = await store.rehearsal_reset(bid, user=user, detail={"keys": deleted})
    start = len(keys.prefix(bid))
    async for found in store.scan_keys(bid):
        strays = [k for k in found if k[start:].startswith(_STRAY_KINDS)]
        if strays:
            await store.rehearsal_strays(bid, strays, qcut=qcut, pcut=pcut)
    return {"rehearsal": False, "questions": await store.question_count(bid)}
