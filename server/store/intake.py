"""Questions that did not come through the phone page, and questions carried
from one episode of a season into a later one.

* ``enter`` (``lua/q_enter.lua``): a moderator types a question from the
  hotline, a letter, the studio, another platform or a member, with its
  source, a name as it should be shown and an optional contact note only
  moderators see (``contact``; ``set_contact`` replaces or erases it).
* ``carry`` (``lua/carry_out.lua`` + ``lua/carry_in.lua``): three idempotent
  steps in two slots. The source question is reserved for the target
  broadcast, the target creates its copy (supporters kept, ``carried_from``),
  the source records ``carried_to``; a carry retried after a failure at any
  step completes with the same new question. Only to a later episode of the
  same season, and only a question not answered and not triaged.
"""

from __future__ import annotations

from typing import Any

import orjson
import redis.asyncio as aioredis

from server.domain.errors import Code, Rejection
from server.settings import Settings
from server.store import keys
from server.store.scripts import decoded, load, text
from server.store.store import Store, new_code_suffix

Result = dict[str, Any]


def _candidates() -> str:
    return ",".join(new_code_suffix() for _ in range(4))


class Intake:
    def __init__(self, redis: aioredis.Redis, settings: Settings, store: Store) -> None:
        self.redis = redis
        self._store = store
        self._ttl = settings.idempotency_ttl_s
        self._maxlen = settings.stream_maxlen
        self._enter = load(redis, "q_enter")
        self._contact = load(redis, "q_contact")
        self._out = load(redis, "carry_out")
        self._in = load(redis, "carry_in")

    def _keys(self, bid: str, idem: str) -> list[str]:
        return [keys.meta(bid), keys.events(bid), keys.prefix(bid) + f"idem:{idem}"]

    async def enter(
        self, bid: str, idem: str, *, user: str, text: str, name: str, tag: str | None,
        source: str, contact: str,
    ) -> Result:  # fmt: skip
        """Values validated by the caller (domain: question, followup_input)."""
        prefix = await self._store.code_prefix(bid) or ""
        raw = await self._enter(
            keys=self._keys(bid, idem),
            args=[keys.prefix(bid), user, text, name, tag or "", source, contact, self._ttl,
                  self._maxlen, prefix, _candidates()],
        )  # fmt: skip
        result: Result = orjson.loads(raw)
        return result

    async def set_contact(
        self, bid: str, idem: str, *, user: str, qid: int, contact: str
    ) -> Result:
        raw = await self._contact(
            keys=self._keys(bid, idem), args=[keys.prefix(bid), user, qid, contact, self._ttl]
        )
        result: Result = orjson.loads(raw)
        return result

    async def contact(self, bid: str, qid: int) -> str:
        raw = await self.redis.hget(keys.question(bid, qid), "contact")
        return text(raw) if raw else ""

    async def carry(self, bid: str, qid: int, target: str, *, user: str) -> Result:
        """Carry question ``qid`` of ``bid`` into broadcast ``target``; returns
        ``{"qid": <new qid>, "code": ...}``. Typed refusals: ``not_found``,
        ``invalid`` (not a later episode of the same season), ``conflict``."""
        pipe = self.redis.pipeline(transaction=False)
        for b in (bid, target):
            pipe.hmget(keys.meta(b), ["season", "season_pos", "id"])
        (s1, p1, id1), (s2, p2, id2) = await pipe.execute()
        if id1 is None or id2 is None:
            raise Rejection(Code.NOT_FOUND, "no such broadcast")
        if not s1 or s1 != s2 or int(text(p2 or b"0")) <= int(text(p1 or b"0")):
            raise Rejection(
                Code.INVALID, "a question is carried into a later episode of its season"
            )
        out_keys = [keys.meta(bid), keys.events(bid), keys.meta(bid)]
        got = decoded(await self._out(
            keys=out_keys, args=[keys.prefix(bid), user, "reserve", qid, target, "", self._maxlen]
        ))  # fmt: skip
        supporters = [str(v) for v in got.get("supporters") or []]
        made = decoded(await self._in(
            keys=self._keys(target, f"carry:{bid}:{qid}"),
            args=[keys.prefix(target), user, f"{bid}:{qid}", got["text"], got["name"], got["tag"],
                  got["source"], got["asker"], self._ttl, self._maxlen,
                  await self._store.code_prefix(target) or "", _candidates(), *supporters],
        ))  # fmt: skip
        decoded(await self._out(
            keys=out_keys,
            args=[keys.prefix(bid), user, "link", qid, target, made["qid"], self._maxlen],
        ))  # fmt: skip
        return {"qid": made["qid"], "code": made.get("code"), "bid": target}
