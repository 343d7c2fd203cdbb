"""Every read and write of broadcast state: one Lua script per write.

Contracts kept by every write method:

* atomic: the state change and the event it produces are one script, so a
  client never sees an event whose state is not in Redis, nor the reverse;
* idempotent: the command's id is checked and its result stored inside the same
  script (``xs:{b}:idem:<actor>:<id>``); a resend, or a redis-py retry after a
  lost reply, returns the original result and changes nothing;
* results are plain dicts decoded from the script's JSON: ``{"ok": True, ...}``
  or ``{"err": code, "msg": message, ...}``; :func:`raise_for` turns the latter
  into the domain's typed ``Rejection``.

Redis being unreachable surfaces as ``redis.exceptions.ConnectionError`` or
``TimeoutError`` (see ``REDIS_DOWN``); callers map it to a retryable error.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any, Literal

import orjson
import redis.asyncio as aioredis

from server.domain import paging
from server.domain.errors import Code, Rejection
from server.domain.followup_input import CODE_ALPHABET, CODE_PREFIX_LEN, CODE_SUFFIX_LEN
from server.domain.question import QuestionStatus
from server.domain.report import VISIT_GAP_MS, VISIT_STALE_MS
from server.protocol import PUBLIC_STATUSES
from server.settings import Settings
from server.store import keys, scripts
from server.store.batcher import ScriptBatcher
from server.store.redis_client import scan_slot
from server.store.replication import replica_wait

Result = dict[str, Any]

# The broadcast scripts (``lua/*.lua`` with ``_prelude.lua``) and ``bc_index.lua``.
_SCRIPTS = (
    "ask", "set_status", "q_update", "upvote", "poll_create", "poll_state", "ballot",
    "bc_create", "bc_update", "overlay", "likes_flush", "presence", "snapshot",
    "viewer_state", "rotate_key", "epoch_bump", "rehearsal", "merge", "ban", "words_put",
    "bc_index", "poll_delete", "activity", "ov_scene", "ov_cue", "ov_take", "rundown",
    "poll_answer", "poll_review", "poll_word",
    "questions_page",
)  # fmt: skip


# The rules the scripts are given rather than keep a copy of (docs/architecture.md):
# the statuses a viewer sees and may upvote, and every status (moderators).
_PUBLIC = [s.value for s in QuestionStatus if s in PUBLIC_STATUSES]
_EVERY_STATUS = [s.value for s in QuestionStatus]


def raise_for(result: Result) -> Result:
    """Return an ok result; raise ``Rejection`` for an error result."""
    if "err" in result:
        # Every code a script returns is a Code member (tests/store checks them).
        raise Rejection(Code(str(result["err"])), str(result.get("msg", "")))
    return result


def as_list(value: Any) -> list[Any]:
    """Lua's cjson encodes an empty table as ``{}``; every list field goes through here."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    """Decode a Redis reply (bytes with this client) to str."""
    return value.decode() if isinstance(value, bytes) else str(value)


def new_epoch() -> str:
    return secrets.token_hex(8)


# Join codes are read off a screen or typed from a QR caption: no 0/O, 1/I/L.
JOIN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
JOIN_LENGTH = 6  # 31^6 ~ 8.9e8 codes: collisions are rare and retried


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_LENGTH))


def is_join_code(code: str) -> bool:
    return len(code) == JOIN_LENGTH and all(c in JOIN_ALPHABET for c in code)


# A random byte below the largest multiple of the alphabet's size that a byte
# holds, modulo that size, is a uniform character; the bytes above it are
# dropped (rejection sampling), all in one ``bytes.translate``.
_CODE_TABLE = bytes(
    ord(CODE_ALPHABET[b % len(CODE_ALPHABET)]) if b < 256 - 256 % len(CODE_ALPHABET) else 0
    for b in range(256)
)
_CODE_DROP = bytes(range(256 - 256 % len(CODE_ALPHABET), 256))


def new_code(length: int) -> str:
    """Random characters of the 查询码 alphabet (server/domain/followup_input.py),
    uniform, from one ``os.urandom`` read instead of one ``secrets.choice`` per
    character (docs/performance.md: a question draws 20 of them)."""
    out = b""
    while len(out) < length:
        out += secrets.token_bytes(length + 4).translate(_CODE_TABLE, _CODE_DROP)
    return out[:length].decode("ascii")


def new_code_suffix() -> str:
    return new_code(CODE_SUFFIX_LEN)


class Store:
    """Broadcast state in Redis. One instance per hub process."""

    def __init__(self, redis: aioredis.Redis, settings: Settings) -> None:
        self.redis = redis
        self._ttl = settings.idempotency_ttl_s
        self._maxlen = settings.stream_maxlen
        self._q_burst = settings.questions_burst
        self._q_per_min = settings.questions_per_min
        self._ip_burst = settings.questions_ip_burst
        self._ip_per_min = settings.questions_ip_per_min
        self._act_burst = settings.viewer_actions_burst
        self._act_per_min = settings.viewer_actions_per_min
        self._scripts = scripts.register(redis, _SCRIPTS)
        # Acknowledged writes wait for replicas when asked (REDIS_WAIT_REPLICAS).
        self.replica_wait = replica_wait(redis, settings)
        self._batcher = ScriptBatcher(redis, self.replica_wait)
        self._code_prefixes: dict[str, str] = {}  # bid -> 查询码 prefix (never changes)
        self._code_locks: dict[str, asyncio.Lock] = {}  # bids whose prefix is being read

    async def _run(self, name: str, bid: str, idem: str | None, *args: Any) -> Result:
        """One command's write script, pipelined with the other commands of this turn."""
        script = self._scripts[name]
        idem_key = keys.idem(bid, idem) if idem else keys.meta(bid)
        raw = await self._batcher.call(
            script, [keys.meta(bid), keys.events(bid), idem_key], [keys.prefix(bid), *args]
        )
        result: Result = orjson.loads(raw)
        return result

    # --- broadcasts ---------------------------------------------------------------

    async def create_broadcast(
        self,
        bid: str,
        *,
        title: str,
        topic: str,
        settings: Mapping[str, Any],
        overlay_key: str,
        user: str,
        scheduled_ms: int | None = None,
    ) -> Result:
        """Create a draft broadcast; ``user`` (who created it) goes to both audit logs."""
        epoch = new_epoch()
        raw = await self._scripts["bc_create"](
            keys=[keys.meta(bid), keys.events(bid), keys.epoch(bid)],
            args=[keys.prefix(bid), bid, title, topic, orjson.dumps(dict(settings)),
                  overlay_key, "" if scheduled_ms is None else scheduled_ms, epoch,
                  self._maxlen, user],
        )  # fmt: skip
        result = raise_for(orjson.loads(raw))
        # The index and the deployment's audit log are deployment-wide (other
        # slots): written after, once, by one script.
        await self._scripts["bc_index"](
            keys=[keys.BROADCASTS, keys.AUDIT],
            args=[bid, int(result.get("created", 0)), user, orjson.dumps({"title": title})],
        )
        # The 查询码 prefix is claimed now, so that no later command (a refused
        # ask included) writes it; broadcasts older than the codes claim it on
        # their first question.
        await self.code_prefix(bid)
        return result

    async def update_broadcast(
        self,
        bid: str,
        idem: str,
        *,
        title: str = "",
        topic: str | None = None,
        settings: Mapping[str, Any] | None = None,
        state: str = "",
        allowed_from: Iterable[str] = (),
        scheduled: int | Literal["keep"] | None = "keep",
        user: str,
        detail: Mapping[str, Any] | None = None,
    ) -> Result:
        """Edit the broadcast or change its state. ``scheduled``: "keep" leaves it,
        None clears it. ``detail``: the audit record of an edit (what was sent)."""
        when = "" if scheduled == "keep" else "null" if scheduled is None else str(scheduled)
        return await self._run(
            "bc_update", bid, idem, title, "\0" if topic is None else topic,
            "" if settings is None else orjson.dumps(dict(settings)), state,
            ",".join(allowed_from), self._ttl, self._maxlen, when, user,
            orjson.dumps(dict(detail or {})),
        )  # fmt: skip

    async def join_code(self, bid: str) -> str:
        """The broadcast's join code, made on first use and kept for its life.

        Two keys in two slots, so not one script: the code is claimed first
        (``SET NX``: a collision with another broadcast's code retries with a
        new one), then recorded in the meta with ``HSETNX``. If two callers
        race, the loser's claimed code is released and the winner's returned,
        so a broadcast never has two codes.
        """
        meta = keys.meta(bid)
        current = await self.redis.hget(meta, "join")
        if current is not None:
            return text(current)
        if not await self.redis.exists(meta):  # HSETNX below would create a stray meta
            raise Rejection(Code.NOT_FOUND, "no such broadcast")
        for _ in range(20):
            code = new_join_code()
            if not await self.redis.set(keys.join(code), bid, nx=True):
                continue
            if await self.redis.hsetnx(meta, "join", code):
                return code
            await self.redis.delete(keys.join(code))
            return text(await self.redis.hget(meta, "join"))
        raise RuntimeError("no free join code after 20 tries")  # pragma: no cover

    async def resolve_join_code(self, code: str) -> str | None:
        """The broadcast id of a join code (case-insensitive), or None."""
        code = code.upper()
        if not is_join_code(code):
            return None
        raw = await self.redis.get(keys.join(code))
        return text(raw) if raw is not None else None

    async def broadcast_ids(self) -> list[str]:
        return [text(b) for b in await self.redis.zrange(keys.BROADCASTS, 0, -1)]

    async def broadcast_meta(self, bid: str) -> dict[str, str] | None:
        raw = await self.redis.hgetall(keys.meta(bid))
        if not raw:
            return None
        meta = {text(k): text(v) for k, v in raw.items()}
        # Being deleted (server/store/deletion.py): already gone for everyone.
        return None if meta.get("deleting") == "1" else meta

    async def epoch(self, bid: str) -> str | None:
        raw = await self.redis.get(keys.epoch(bid))
        return text(raw) if raw is not None else None

    async def bump_epoch(self, bid: str, expected: str) -> str:
        raw = await self._scripts["epoch_bump"](
            keys=[keys.meta(bid), keys.events(bid)], args=[keys.prefix(bid), expected, new_epoch()]
        )
        return text(raw)

    async def rotate_overlay_key(
        self, bid: str, new_key: str, *, user: str, host: bool = False
    ) -> Result:
        """Replace the overlay key, or (``host``) the host view's (docs/obs.md)."""
        raw = await self._scripts["rotate_key"](
            keys=[keys.meta(bid), keys.events(bid)],
            args=[keys.prefix(bid), new_key, self._maxlen, user, "hkey" if host else "okey"],
        )
        return raise_for(orjson.loads(raw))

    # --- questions ------------------------------------------------------------------

    async def ask(
        self, bid: str, idem: str, *, vid: str, text: str, name: str, tag: str | None, fp: str,
        ip: str = "", flags: Mapping[str, Any] | None = None,
    ) -> Result:  # fmt: skip
        """``ip``: the client address's key (``auth.hash_ip``; "" = no per-address
        limit). ``flags``: what the sensitive-word screen found, if anything
        (``Flags.to_dict()``): its ``action`` decides hold or block."""
        code_prefix = await self.code_prefix(bid)
        return await self._run(
            "ask", bid, idem, vid, text, name, tag or "", fp, self._ttl, self._maxlen,
            self._q_burst, self._q_per_min, ip, self._ip_burst, self._ip_per_min,
            flags["action"] if flags else "", orjson.dumps(dict(flags)) if flags else "",
            code_prefix or "", ",".join(new_code_suffix() for _ in range(4)),
        )  # fmt: skip

    async def code_prefix(self, bid: str) -> str | None:
        """The broadcast's 查询码 prefix, claimed on first use and kept for its life
        (None for a missing broadcast). Like ``join_code``: claimed first in the
        {qcode} slot (``SET NX``), then recorded in the meta (``HSETNX``); the
        loser of a race releases its claim. Cached: a prefix never changes."""
        known = self._code_prefixes.get(bid)
        if known is not None:
            return known
        # One claim per broadcast at a time in this process: a burst of first
        # questions waits for it instead of each spending connections on it.
        lock = self._code_locks.setdefault(bid, asyncio.Lock())
        async with lock:
            known = self._code_prefixes.get(bid)
            if known is not None:
                return known
            found = await self._claim_code_prefix(bid)
        self._code_locks.pop(bid, None)
        return found

    async def _claim_code_prefix(self, bid: str) -> str | None:
        meta = keys.meta(bid)
        current = await self.redis.hget(meta, "qprefix")
        if current is None:
            if not await self.redis.exists(meta):
                return None
            for _ in range(50):
                candidate = new_code(CODE_PREFIX_LEN)
                if not await self.redis.set(keys.qcode_owner(candidate), bid, nx=True):
                    continue
                if not await self.redis.hsetnx(meta, "qprefix", candidate):
                    await self.redis.delete(keys.qcode_owner(candidate))
                break
            current = await self.redis.hget(meta, "qprefix")
            if current is None:  # pragma: no cover - 50 collisions in a row
                raise RuntimeError("no free code prefix after 50 tries")
        self._code_prefixes[bid] = text(current)
        return self._code_prefixes[bid]

    async def merge(self, bid: str, idem: str, *, user: str, qid: int, into: int,
                    refused_targets: Iterable[str]) -> Result:  # fmt: skip
        """Merge question ``qid`` into ``into`` (``lua/merge.lua``)."""
        return await self._run(
            "merge", bid, idem, user, qid, into, ",".join(refused_targets), self._ttl,
            self._maxlen,
        )  # fmt: skip

    async def question_asker(self, bid: str, qid: int) -> str | None:
        """The viewer id that asked a question (never sent to any client)."""
        raw = await self.redis.hget(keys.question(bid, qid), "asker")
        return text(raw) if raw is not None else None

    async def ban(
        self, bid: str, idem: str, *, user: str, qid: int | None, on: bool, pseudonym: str,
        vid: str = "",
    ) -> Result:  # fmt: skip
        """Ban or unban the asker of ``qid``, or (``qid`` None) the viewer ``vid``
        (``lua/ban.lua``)."""
        return await self._run(
            "ban", bid, idem, user, "" if qid is None else qid, "1" if on else "0", pseudonym,
            self._ttl, self._maxlen, vid,
        )  # fmt: skip

    async def recent_viewer_ids(self, bid: str) -> set[str]:
        """Every viewer id active within ``keys.ACTIVITY_KEEP_S``, and the banned."""
        active = await self.active_viewers(bid, minutes=keys.ACTIVITY_KEEP_S // 60, limit=None)
        return {vid for vid, _ in active} | await self.banned_ids(bid)

    async def note_activity(self, bid: str, vid: str, weight: int) -> Result:
        """Count ``weight`` actions of a viewer that no write script saw
        (``lua/activity.lua``; ``not_found`` for a deleted broadcast)."""
        raw = await self._scripts["activity"](
            keys=[keys.meta(bid), keys.events(bid)], args=[keys.prefix(bid), vid, weight]
        )
        return raise_for(orjson.loads(raw))

    async def active_viewers(
        self, bid: str, *, minutes: int, limit: int | None
    ) -> list[tuple[str, int]]:
        """The most active viewer ids of the last ``minutes`` (with their action
        counts), most active first: one ``ZUNION`` of the per-minute sets. The
        minutes are Redis's (``TIME``), as in the scripts that count them."""
        seconds, _ = await self.redis.time()
        minute = int(seconds) // 60
        found: Any = await self.redis.zunion(
            [keys.activity(bid, m) for m in range(minute - minutes + 1, minute + 1)],
            withscores=True,
        )
        ranked = sorted(((text(v), int(n)) for v, n in found), key=lambda r: (-r[1], r[0]))
        return ranked if limit is None else ranked[:limit]

    async def banned_ids(self, bid: str) -> set[str]:
        return {text(v) for v in await self.redis.smembers(keys.banned(bid))}

    # --- sensitive words ---------------------------------------------------------------

    async def words(self, bid: str | None) -> dict[str, str]:
        """A word list (``bid`` None: the deployment's): word -> stored action
        (``hold``/``block``, ``+pinyin`` when marked: ``WordEntry.from_stored``)."""
        raw = await self.redis.hgetall(keys.WORDS if bid is None else keys.words(bid))
        return {text(k): text(v) for k, v in raw.items()}

    async def put_words(
        self, bid: str | None, *, user: str, entries: Sequence[tuple[str, str]]
    ) -> Result:
        """Replace a word list and audit it, atomically (``lua/words_put.lua``);
        ``entries`` are (word, ``WordEntry.stored()``) pairs."""
        pairs: list[str] = []
        for word, action in entries:
            pairs += (word, action)
        if bid is None:
            script_keys = [keys.WORDS, keys.WORDS, keys.WORDS_VERSION, keys.AUDIT]
            args = [keys.DEPLOYMENT_PREFIX, "global", user, *pairs]
        else:
            script_keys = [
                keys.meta(bid), keys.words(bid), keys.words_version(bid), keys.audit(bid)
            ]  # fmt: skip
            args = [keys.prefix(bid), "broadcast", user, *pairs]
        raw = await self._scripts["words_put"](keys=script_keys, args=args)
        result = raise_for(orjson.loads(raw))
        if bid is not None and result.get("changed"):
            # After the change, never before: a process that sees the epoch move
            # reads versions that include it (server/live/words.py).
            await self.redis.incr(keys.WORDS_EPOCH)
        return result

    async def words_epoch(self) -> tuple[int, int]:
        """The global list's version and the epoch of the broadcasts' lists."""
        version, epoch = await self.redis.mget(keys.WORDS_VERSION, keys.WORDS_EPOCH)
        return int(version or 0), int(epoch or 0)

    async def words_versions(self, bids: Sequence[str]) -> tuple[int, list[int]]:
        """The global list's version and each broadcast list's, in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(keys.WORDS_VERSION)
        for bid in bids:
            pipe.get(keys.words_version(bid))
        found = [int(v or 0) for v in await pipe.execute()]
        return found[0], found[1:]

    async def set_status(
        self,
        bid: str,
        idem: str,
        *,
        user: str,
        qid: int,
        target: str,
        allowed_from: Iterable[str],
        expect: str | None,
        reason: str,
    ) -> Result:
        return await self._run(
            "set_status", bid, idem, user, qid, target, ",".join(allowed_from), expect or "",
            reason, self._ttl, self._maxlen,
        )  # fmt: skip

    async def star(self, bid: str, idem: str, *, user: str, qid: int, on: bool) -> Result:
        return await self._run(
            "q_update", bid, idem, qid, "starred", "1" if on else "0", self._ttl, self._maxlen,
            user,
        )  # fmt: skip

    async def edit(
        self, bid: str, idem: str, *, user: str, qid: int, text: str, expect: str | None = None
    ) -> Result:
        return await self._run(
            "q_update", bid, idem, qid, "text", text, self._ttl, self._maxlen, user, expect or ""
        )

    async def set_tag(self, bid: str, idem: str, *, user: str, qid: int, tag: str) -> Result:
        """File a question under ``tag`` ('' = none), validated by the domain."""
        return await self._run(
            "q_update", bid, idem, qid, "tag", tag, self._ttl, self._maxlen, user
        )  # fmt: skip

    async def upvote(self, bid: str, idem: str, *, vid: str, qid: int, on: bool) -> Result:
        return await self._run(
            "upvote", bid, idem, vid, qid, "1" if on else "0", self._ttl, self._maxlen,
            ",".join(_PUBLIC), self._act_burst, self._act_per_min,
        )  # fmt: skip

    # --- polls ----------------------------------------------------------------------

    async def create_poll(
        self, bid: str, idem: str, *, user: str, question: str, options: Sequence[str],
        multi: bool, results: str, kind: str = "choice", labels: Sequence[str] | None = None,
        max_len: int | None = None, moderated: bool = False,
    ) -> Result:  # fmt: skip
        """A poll of any kind (``server/domain/poll_kinds.py``) in draft."""
        return await self._run(
            "poll_create", bid, idem, question, orjson.dumps(list(options)), "1" if multi else "0",
            results, self._ttl, self._maxlen, user, kind,
            orjson.dumps(list(labels)) if labels is not None else "",
            "" if max_len is None else max_len, "1" if moderated else "0",
        )  # fmt: skip

    async def answer_poll(
        self, bid: str, idem: str, *, vid: str, pid: int, text: str, words: Sequence[str],
        screen: str = "", flags: Mapping[str, Any] | None = None,
    ) -> Result:  # fmt: skip
        """A viewer's word-cloud answer, counted, held or blocked (``lua/poll_answer.lua``)."""
        return await self._run(
            "poll_answer", bid, idem, vid, pid, text, orjson.dumps(list(words)), len(text), screen,
            orjson.dumps(dict(flags)) if flags else "", self._ttl, self._maxlen,
        )  # fmt: skip

    async def review_answer(
        self, bid: str, idem: str, *, user: str, pid: int, answer: int, approve: bool
    ) -> Result:
        """Approve or reject a held word-cloud answer (``lua/poll_review.lua``)."""
        return await self._run(
            "poll_review", bid, idem, pid, answer, "1" if approve else "0", self._ttl,
            self._maxlen, user,
        )  # fmt: skip

    async def hide_word(
        self, bid: str, idem: str, *, user: str, pid: int, word: str, hide: bool
    ) -> Result:
        """Hide or show again a word of a cloud, on every surface (``lua/poll_word.lua``)."""
        return await self._run(
            "poll_word", bid, idem, pid, word, "1" if hide else "0", self._ttl, self._maxlen, user
        )

    async def set_poll_state(
        self, bid: str, idem: str, *, user: str, pid: int, target: str,
        allowed_from: Iterable[str],
    ) -> Result:  # fmt: skip
        return await self._run(
            "poll_state", bid, idem, pid, target, ",".join(allowed_from), self._ttl, self._maxlen,
            user,
        )  # fmt: skip

    async def delete_poll(
        self, bid: str, idem: str, *, user: str, pid: int, deletable: Iterable[str]
    ) -> Result:
        """Delete a poll in one of the ``deletable`` states (``lua/poll_delete.lua``)."""
        return await self._run(
            "poll_delete", bid, idem, pid, ",".join(deletable), self._ttl, self._maxlen, user
        )

    async def ballot(
        self, bid: str, idem: str, *, vid: str, pid: int, choices: Sequence[int]
    ) -> Result:
        return await self._run(
            "ballot", bid, idem, vid, pid, orjson.dumps(list(choices)), self._ttl, self._maxlen,
            self._act_burst, self._act_per_min,
        )  # fmt: skip

    async def show_overlay(
        self, bid: str, idem: str, *, user: str, show: str | None, pid: int | None
    ) -> Result:
        return await self._run(
            "overlay", bid, idem, show or "", "" if pid is None else pid, self._ttl, self._maxlen,
            user,
        )  # fmt: skip

    # --- production: scenes, cue and take, the run-down (docs/obs.md) ------------------

    async def scene(
        self, bid: str, idem: str, *, user: str, op: str, scene: str, name: str = "",
        widgets: Sequence[str] = (), pid: int | None = None, max_scenes: int = 0,
    ) -> Result:  # fmt: skip
        return await self._run(
            "ov_scene", bid, idem, op, scene, name, ",".join(widgets),
            "" if pid is None else pid, max_scenes, self._ttl, self._maxlen, user,
        )  # fmt: skip

    async def cue(
        self, bid: str, idem: str, *, user: str, clear: bool, scene: str | None = None,
        qid: int | None = None, pid: int | None = None,
    ) -> Result:  # fmt: skip
        return await self._run(
            "ov_cue", bid, idem, "clear" if clear else "set", scene or "",
            "" if qid is None else qid, "" if pid is None else pid, self._ttl, self._maxlen, user,
        )  # fmt: skip

    async def take(self, bid: str, idem: str, *, user: str) -> Result:
        return await self._run("ov_take", bid, idem, self._ttl, self._maxlen, user)

    async def rundown(
        self, bid: str, idem: str, *, user: str, op: str, qid: int | None = None,
        after: int | None = None, at_end: bool = True, ver: int | None = None,
        max_items: int = 0,
    ) -> Result:  # fmt: skip
        """``after``: the neighbour (0 = the top); None with ``at_end`` = the end."""
        where = "" if after is None and at_end else str(after or 0)
        return await self._run(
            "rundown", bid, idem, op, "" if qid is None else qid, where,
            "" if ver is None else ver, max_items, self._ttl, self._maxlen, user,
        )  # fmt: skip

    async def list_polls(self, bid: str) -> list[dict[str, Any]]:
        """Every poll of the broadcast, oldest first, without tallies (for copying)."""
        pids = await self.redis.zrange(keys.polls(bid), 0, -1)
        pipe = self.redis.pipeline(transaction=False)
        for pid in pids:
            pipe.hgetall(keys.poll(bid, int(text(pid))))
        found = []
        for raw in await pipe.execute() if pids else []:
            f = {text(k): text(v) for k, v in raw.items()}
            if f:
                found.append({
                    "id": int(f["id"]), "question": f["question"],
                    "options": orjson.loads(f["options"]), "multi": f.get("multi") == "1",
                    "results": f["results"], "state": f["state"], "created": int(f["created"]),
                })  # fmt: skip
        return found

    # --- rehearsal (the steps of server/ops/rehearsal.py) -------------------------------------

    async def _rehearsal(self, bid: str, step: str, user: str, *args: Any) -> Result:
        raw = await self._scripts["rehearsal"](
            keys=[keys.meta(bid), keys.events(bid), keys.meta(bid)],
            args=[keys.prefix(bid), step, user, *args],
        )
        return raise_for(orjson.loads(raw))

    async def rehearsal_on(
        self, bid: str, *, user: str, detail: Mapping[str, Any] | None
    ) -> Result:
        """Mark a draft as holding rehearsal data (going live is refused until it is
        cleared); ``detail`` given: recorded as ``rehearsal.fill`` by ``user``."""
        audit = orjson.dumps(dict(detail)) if detail is not None else ""
        return await self._rehearsal(bid, "on", user, audit, self._maxlen)

    async def rehearsal_sweep(self, bid: str, found: Sequence[str]) -> int:
        """Delete these keys of a draft, protected ones (meta, audit...) excepted."""
        return int((await self._rehearsal(bid, "sweep", "", *found))["deleted"])

    async def rehearsal_reset(
        self, bid: str, *, user: str, detail: Mapping[str, Any]
    ) -> tuple[int, int]:
        """The last step of a clear: new epoch, empty stream, rehearsal off.
        Returns the (question, poll) id counters at that moment."""
        done = await self._rehearsal(
            bid, "reset", user, new_epoch(), self._maxlen, orjson.dumps(dict(detail)),
            *_EVERY_STATUS,
        )  # fmt: skip
        return int(done["qcut"]), int(done["pcut"])

    async def rehearsal_strays(
        self, bid: str, found: Sequence[str], *, qcut: int, pcut: int
    ) -> int:
        """Delete question/poll keys with ids up to the cuts (left by racing writes)."""
        done = await self._rehearsal(bid, "strays", "", qcut, pcut, *found)
        return int(done["deleted"])

    async def scan_keys(self, bid: str, batch: int = 1000) -> AsyncIterator[list[str]]:
        """Every key of the broadcast, in batches: ``SCAN MATCH`` on its hash-tagged
        prefix, so each call does bounded work however big the keyspace."""
        cursor = 0
        while True:
            cursor, found = await scan_slot(self.redis, keys.prefix(bid) + "*", cursor, batch)
            if found:
                yield [text(k) for k in found]
            if cursor == 0:
                return

    async def question_count(self, bid: str) -> int:
        pipe = self.redis.pipeline(transaction=False)
        for status in QuestionStatus:
            pipe.zcard(keys.by_status(bid, status.value))
        return sum(int(n) for n in await pipe.execute())

    # --- likes and presence ---------------------------------------------------------------

    async def flush_likes(
        self, bid: str, *, proc: str, seq: int, delta: int, last_ids: Mapping[str, str]
    ) -> Result:
        """Add one process's buffered likes; idempotent per (proc, seq)."""
        pairs: list[str] = []
        for tab, like_id in last_ids.items():
            pairs += (tab, like_id)
        raw = await self._scripts["likes_flush"](
            keys=[
                keys.meta(bid),
                keys.events(bid),
                keys.likes(bid),
                keys.like_flushes(bid),
                keys.like_last(bid),
            ],
            args=[keys.prefix(bid), proc, seq, delta, self._maxlen, *pairs],
        )
        result = raise_for(orjson.loads(raw))
        if self.replica_wait is not None:
            # The likes are acknowledged after this: only once a replica has them.
            await self.replica_wait.confirm([keys.meta(bid)])
        return result

    async def last_like_id(self, bid: str, tab_key: str) -> str | None:
        raw = await self.redis.hget(keys.like_last(bid), tab_key)
        return text(raw) if raw is not None else None

    async def report_presence(
        self, bid: str, *, proc: str, count: int, ttl_ms: int, visits: Sequence[str] = ()
    ) -> Result:
        """This process's viewer count, and the visits it saw begin (``+<vid>``)
        and end (``-<vid>``) since its last report, in order (``lua/presence.lua``).
        Pipelined with the other scripts of this event-loop turn: a process's
        reports for all its broadcasts go out together (``ScriptBatcher``)."""
        raw = await self._batcher.call(
            self._scripts["presence"],
            [keys.meta(bid), keys.events(bid), keys.presence(bid), keys.visits(bid)],
            [
                keys.prefix(bid),
                proc,
                count,
                ttl_ms,
                self._maxlen,
                VISIT_GAP_MS,
                VISIT_STALE_MS,
                *visits,
            ],
        )
        result: Result = orjson.loads(raw)
        return result

    # --- reads ------------------------------------------------------------------------------

    async def snapshot(self, bid: str, mode: str, limit: int = paging.FIRST_PAGE) -> Result | None:
        """The broadcast's state as one consistent read, with its stream position:
        the first ``limit`` questions of each of the mode's lists (``server/domain/paging.py``)."""
        raw = await self._scripts["snapshot"](
            keys=[keys.meta(bid), keys.events(bid)],
            args=[keys.prefix(bid), mode, limit, ",".join(_PUBLIC), *paging.first_screen(mode)],
        )
        snap: Result = orjson.loads(raw)
        if snap.get("missing"):
            return None
        snap["questions"] = as_list(snap.get("questions"))
        snap["polls"] = as_list(snap.get("polls"))
        for name in ("more", "total"):
            if not isinstance(snap.get(name), dict):
                snap[name] = {}
        return snap

    async def questions_page(
        self, bid: str, statuses: Sequence[str], order: str, after: str | None, limit: int
    ) -> Result | None:
        """One page of the questions of ``statuses`` in ``order`` after the cursor
        ``after`` (``lua/_pages.lua``); None when the broadcast does not exist."""
        raw = await self._batcher.call(
            self._scripts["questions_page"],
            [keys.meta(bid)],
            [keys.prefix(bid), order, after or "", limit, ",".join(statuses)],
        )
        page: Result = orjson.loads(raw)
        if page.get("missing"):
            return None
        page["questions"] = as_list(page.get("questions"))
        return page

    async def viewer_state(self, bid: str, vid: str, limit: int = 200) -> Result:
        # Pipelined with the other calls of this turn: in a reconnect storm a
        # thousand joins read their personal state at once, and one awaited
        # command each would queue them on the pool past its timeout.
        raw = await self._batcher.call(
            self._scripts["viewer_state"],
            [keys.meta(bid), keys.events(bid)],
            [keys.prefix(bid), vid, limit],
            write=False,
        )
        state: Result = orjson.loads(raw)
        for name in ("mine", "myvotes", "ballots"):
            state[name] = as_list(state.get(name))
        return state

    async def read_events(
        self, bid: str, after: str, count: int, *, until: str = "+"
    ) -> list[tuple[str, dict[str, Any]]]:
        """Events with id > after (exclusive), oldest first, at most ``count``."""
        rows: Any = await self.redis.xrange(
            keys.events(bid), min=f"({after}", max=until, count=count
        )
        return [(text(rid), orjson.loads(fields[b"e"])) for rid, fields in rows]

    async def has_event(self, bid: str, pos: str) -> bool:
        return bool(await self.redis.xrange(keys.events(bid), min=pos, max=pos, count=1))

    async def stream_bounds(self, bid: str) -> tuple[str | None, str | None]:
        """(first id, last id) of the event stream, None when empty."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.xrange(keys.events(bid), count=1)
        pipe.xrevrange(keys.events(bid), count=1)
        first, last = await pipe.execute()
        return (text(first[0][0]) if first else None, text(last[0][0]) if last else None)

    async def ping(self) -> bool:
        return bool(await self.redis.ping())
