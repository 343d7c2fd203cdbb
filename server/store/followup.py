"""The follow-up of a broadcast's questions: one Lua script per transition.

Every write here keeps the contracts of ``server/store/store.py`` (atomic,
idempotent under the command id, a ``followup`` event appended to the
broadcast's stream in the same script, refusals remembered under the id) and
is audited in the same script with the acting user. What may happen is the
domain's table (``server/domain/followup.py``): the actor's role is checked
here before anything is sent, the row's sources and target travel to the
script, which checks them against the stored state, atomically, together with
what needs the record (the official's department, the asker, "once" guards).

Keys (all in the broadcast's slot):

==========================  ====  ==============================================
``xs:{b}:fu:<qid>``         hash  the follow-up record (fields: docs/followup.md)
``xs:{b}:fus``              zset  qids with a record, score = last change (ms)
==========================  ====  ==============================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from server.domain.errors import Code, Rejection
from server.domain.followup import (
    EXT_TRANSITIONS,
    FU_TRANSITIONS,
    WITH_DEPARTMENT,
    Action,
    Actor,
    ExtAction,
    FuState,
    Rating,
    check_fu_transition,
    ext_sources_of,
    rate_action,
    sources_of,
)
from server.settings import Settings
from server.store import keys
from server.store.batcher import ScriptBatcher
from server.store.replication import replica_wait
from server.store.scripts import load, text

Result = dict[str, Any]

# Which script carries which action.
_SCRIPT_OF: dict[Action, str] = {
    Action.ANSWER_LIVE: "fu_triage", Action.NOT_ADOPT: "fu_triage", Action.MERGE: "fu_triage",
    Action.HOLD: "fu_triage", Action.RECONSIDER: "fu_triage", Action.ASSIGN: "fu_assign",
    Action.ACCEPT: "fu_accept", Action.SEND_BACK: "fu_send_back", Action.REPLY: "fu_reply",
    Action.RETURN: "fu_return", Action.PUBLISH: "fu_publish", Action.RATE_OK: "fu_rate",
    Action.RATE_UNHAPPY: "fu_rate", Action.RATE_FINAL: "fu_rate", Action.REOPEN: "fu_reopen",
    Action.CLOSE: "fu_close", Action.EXPIRE: "fu_close",
}  # fmt: skip
TRIAGE_ACTIONS = frozenset(a for a, s in _SCRIPT_OF.items() if s == "fu_triage")
ASKER = "(asker)"  # the audit log's user for a rating: never the viewer's id
SYSTEM = "(system)"  # ... and for the hub's own close at the end of the rating window


@dataclass(frozen=True)
class FuActor:
    role: Actor
    user: str  # the audit log's user name
    who: str = ""  # the official's department id, or the asker's viewer id

    @classmethod
    def moderator(cls, user: str) -> FuActor:
        return cls(Actor.MODERATOR, user)

    @classmethod
    def official(cls, user: str, dept: str) -> FuActor:
        return cls(Actor.OFFICIAL, user, dept)

    @classmethod
    def asker(cls, vid: str) -> FuActor:
        return cls(Actor.ASKER, ASKER, vid)


def _decode_record(raw: dict[Any, Any]) -> dict[str, str]:
    return {text(k): text(v) for k, v in raw.items()}


class FollowUps:
    """The follow-up scripts and reads of every broadcast. One per hub process."""

    def __init__(self, redis: aioredis.Redis, settings: Settings) -> None:
        self.redis = redis
        self._ttl = settings.idempotency_ttl_s
        self._maxlen = settings.stream_maxlen
        self._scripts: dict[str, AsyncScript] = {
            name: load(redis, name, "_followup") for name in {*_SCRIPT_OF.values(), "fu_extension"}
        }
        self._batcher = ScriptBatcher(redis, replica_wait(redis, settings))

    async def _run(
        self, bid: str, idem: str, actor: FuActor, qid: int, action: str, expect: str | None,
        script: str, target: str, sources: str, *extra: Any,
    ) -> Result:  # fmt: skip
        idem_key = keys.prefix(bid) + f"idem:{idem}"
        raw = await self._batcher.call(
            self._scripts[script],
            [keys.meta(bid), keys.events(bid), idem_key],
            [keys.prefix(bid), actor.user, actor.role.value, actor.who, qid, action,
             sources, target, expect or "", self._ttl, self._maxlen, *extra],
        )  # fmt: skip
        result: Result = orjson.loads(raw)
        return result

    async def transition(
        self, bid: str, idem: str, actor: FuActor, qid: int, action: Action, *extra: Any,
        expect: str | None = None,
    ) -> Result:  # fmt: skip
        """Run ``action`` on question ``qid``; ``extra`` are the script's own
        arguments (ARGV 12..). A role the table does not allow is refused here,
        with nothing sent to Redis."""
        if action in (Action.RATE_OK, Action.RATE_UNHAPPY, Action.RATE_FINAL):
            raise ValueError("ratings go through rate()")
        row = FU_TRANSITIONS[action]
        # The role check needs no state: any source of the row will do.
        check_fu_transition(qid, action, next(iter(row.sources)), actor.role)
        return await self._run(bid, idem, actor, qid, action.value, expect, _SCRIPT_OF[action],
                               row.target.value, sources_of(action), *extra)  # fmt: skip

    # --- the typed moves ----------------------------------------------------------------

    async def triage(self, bid: str, idem: str, actor: FuActor, qid: int, action: Action,
                     text_: str = "", *, expect: str | None = None) -> Result:  # fmt: skip
        if action not in TRIAGE_ACTIONS:
            raise Rejection(Code.INVALID, f"{action} is not a triage disposition")
        return await self.transition(bid, idem, actor, qid, action, text_, expect=expect)

    async def assign(
        self, bid: str, idem: str, actor: FuActor, qid: int, *, dept: str, due: dt.date,
        qtype: str = "", expect: str | None = None,
    ) -> Result:  # fmt: skip
        """转办 (or a correction of the department before it accepted). ``dept``
        must exist: the caller checks (departments live in another slot)."""
        return await self.transition(
            bid, idem, actor, qid, Action.ASSIGN, dept, due.isoformat(), qtype, expect=expect
        )

    async def rate(
        self, bid: str, idem: str, actor: FuActor, qid: int, rating: Rating, comment: str
    ) -> Result:
        """The asker's rating; the script picks the row for an item reopened before."""
        first, again = rate_action(rating, False), rate_action(rating, True)
        check_fu_transition(qid, first, FuState.PUBLISHED, actor.role)
        return await self._run(
            bid, idem, actor, qid, "rate", None, "fu_rate", FU_TRANSITIONS[first].target.value,
            sources_of(first), rating.value, comment, FU_TRANSITIONS[again].target.value,
        )  # fmt: skip

    async def extension(
        self, bid: str, idem: str, actor: FuActor, qid: int, action: ExtAction, *,
        reason: str = "", due: dt.date | None = None, today: dt.date,
    ) -> Result:  # fmt: skip
        row = EXT_TRANSITIONS[action]
        if actor.role not in row.actors:
            raise Rejection(Code.FORBIDDEN, f"a {actor.role} may not {action} an extension")
        if action is ExtAction.REQUEST and due is None:
            raise Rejection(Code.INVALID, "an extension names the due date asked for")
        return await self._run(
            bid, idem, actor, qid, f"ext_{action.value}", None, "fu_extension", "",
            ",".join(sorted(WITH_DEPARTMENT)), action.value, ext_sources_of(action),
            row.target.value, reason, "" if due is None else due.isoformat(), today.isoformat(),
        )  # fmt: skip

    # --- reads ---------------------------------------------------------------------------

    async def record(self, bid: str, qid: int) -> dict[str, str] | None:
        raw = await self.redis.hgetall(keys.followup(bid, qid))
        return _decode_record(raw) if raw else None

    async def items(self, bid: str, qids: Sequence[int] | None = None) -> list[Result]:
        """Questions with their follow-up records (``fu`` {} when none), in qid
        order: every question of the broadcast when ``qids`` is None."""
        if qids is None:
            last = int(await self.redis.get(keys.prefix(bid) + "qseq") or 0)
            qids = range(1, last + 1)
        pipe = self.redis.pipeline(transaction=False)
        for qid in qids:
            pipe.hgetall(keys.question(bid, qid))
            pipe.hgetall(keys.followup(bid, qid))
        found = await pipe.execute() if qids else []
        out = []
        for i in range(0, len(found), 2):
            q = _decode_record(found[i])
            if q:
                out.append({"q": q, "fu": _decode_record(found[i + 1])})
        return out
