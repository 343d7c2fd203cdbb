"""The follow-up of one hub process: commands, reads for the pages, background work.

``execute`` is the follow-up's twin of ``server.live.commands.execute``, shared
by the websocket handler and the HTTP API: role first (a command of another
role is ``forbidden`` and nothing is sent to Redis), then the domain's
validation (typed errors, nothing written), then one store call (the script
checks the state, the official's department and the asker atomically).

Background (``run``): one process at a time (a short Redis lock) follows the
broadcasts' streams into the cross-broadcast indexes, and closes replies whose
rating window ended without a rating.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any, Protocol

import redis.asyncio as aioredis

from server import protocol as p
from server.domain import question as qn
from server.domain.broadcast import BroadcastSettings, validate_broadcast_id
from server.domain.errors import Code, Rejection
from server.domain.followup import (
    REPLY_PUBLIC,
    WITH_DEPARTMENT,
    Action,
    ExtAction,
    FuState,
    needs_triage,
    parse_state,
)
from server.domain.followup import Actor as FuRole
from server.domain.followup_figures import FigureItem, followup_figures, item_from_hashes
from server.domain.followup_input import (
    Source,
    validate_contact,
    validate_dept_id,
    validate_link,
    validate_note,
    validate_qtype,
    validate_rating,
    validate_reason,
    validate_reply,
    validate_source,
)
from server.domain.projection import owner_fu, public_fu
from server.domain.workdays import QuestionType, WorkCalendar, due_date, due_level, parse_date
from server.live.commands import Actor
from server.protocol import PUBLIC_STATUSES as PUBLIC_QUESTION_STATUSES
from server.protocol import Role
from server.settings import Settings
from server.store import keys
from server.store.departments import Departments
from server.store.followup import SYSTEM, FollowUps, FuActor
from server.store.indexer import Indexer
from server.store.intake import Intake
from server.store.redis_client import REDIS_DOWN
from server.store.scripts import text
from server.store.seasons import Seasons
from server.store.store import Result, Store, raise_for


class Host(Protocol):
    """What the follow-up desk needs of its process (the hub is one), and no
    more: the desk does not import the hub, so they make no circle."""

    redis: aioredis.Redis
    settings: Settings
    store: Store
    timezone: tzinfo

    async def broadcast_settings(self, bid: str) -> BroadcastSettings: ...


log = logging.getLogger("xs.followup")

INDEX_LOCK = keys.IX_LOCK
SWEEP_EVERY_S = 300.0  # the rating window is counted in days: minutes are precise enough
_MODERATOR_ONLY = frozenset(p.MODERATOR_COMMANDS) & p.FOLLOWUP_COMMANDS
_TRIAGE = {"answer_live": Action.ANSWER_LIVE, "not_adopt": Action.NOT_ADOPT,
           "merge": Action.MERGE, "hold": Action.HOLD, "reconsider": Action.RECONSIDER}  # fmt: skip


def calendar_of(settings: Any) -> WorkCalendar:
    return WorkCalendar.from_strings(settings.fu_extra_holidays, settings.fu_extra_workdays)


def limits_of(settings: Any) -> dict[QuestionType, int]:
    return {
        QuestionType.CONSULT: settings.fu_days_consult,
        QuestionType.HELP: settings.fu_days_help,
        QuestionType.SUGGEST: settings.fu_days_suggest,
        QuestionType.COMPLAIN: settings.fu_days_complain,
    }


class FollowDesk:
    def __init__(self, hub: Host) -> None:
        self.hub = hub
        settings = hub.settings
        self.fu = FollowUps(hub.redis, settings)
        self.depts = Departments(hub.redis)
        self.seasons = Seasons(hub.redis, settings)
        self.intake = Intake(hub.redis, settings, hub.store)
        self.indexer = Indexer(hub.redis)
        self.calendar = calendar_of(settings)
        self.limits = limits_of(settings)
        self._owner = secrets.token_hex(8)  # this process's name on the index lock

    def today(self) -> dt.date:
        return dt.datetime.now(self.hub.timezone).date()

    def local_date(self, ms: int) -> dt.date:
        return dt.datetime.fromtimestamp(ms / 1000, self.hub.timezone).date()

    # --- commands ------------------------------------------------------------------

    async def execute(self, bid: str, actor: Actor, cmd: Any, *,
                      settings: BroadcastSettings | None = None) -> Result:  # fmt: skip
        """A moderator's or viewer's follow-up command; ok result or ``Rejection``."""
        if type(cmd) in _MODERATOR_ONLY:
            if actor.role is not Role.MODERATOR or not actor.user:
                raise Rejection(Code.FORBIDDEN, "only moderators may do this")
            who = FuActor.moderator(actor.user)
        elif isinstance(cmd, p.FuRate):
            if actor.role is not Role.VIEWER or not actor.vid:
                raise Rejection(Code.FORBIDDEN, "only the asker may rate a reply")
            who = FuActor.asker(actor.vid)
        else:
            raise Rejection(Code.FORBIDDEN, "only a department's account may do this")
        idem = f"{actor.idem_prefix}:{cmd.id}"
        return await self._guarded(self._run(bid, who, idem, cmd, settings))

    async def execute_official(self, user: str, dept: str, bid: str, cmd: Any) -> Result:
        """A department's command (HTTP, an official's session)."""
        if type(cmd) not in p.OFFICIAL_COMMANDS:
            raise Rejection(Code.FORBIDDEN, "a department's account may not do this")
        validate_broadcast_id(bid)
        return await self._guarded(
            self._run(bid, FuActor.official(user, dept), f"o:{user}:{cmd.id}", cmd, None)
        )

    async def _guarded(self, work: Any) -> Result:
        try:
            return raise_for(await work)
        except REDIS_DOWN:
            raise Rejection(
                Code.UNAVAILABLE, "the service is briefly unavailable; retry with the same id",
                retryable=True,
            ) from None  # fmt: skip

    def _due(self, qtype: QuestionType | None, raw: str | None) -> dt.date:
        if raw:
            due = parse_date(raw)
            if due < self.today():
                raise Rejection(Code.INVALID, "the due date is in the past")
            return due
        return due_date(self.calendar, self.today(), qtype, self.limits,
                        self.hub.settings.fu_days_default)  # fmt: skip

    async def _run(self, bid: str, who: FuActor, idem: str, cmd: Any,
                   settings: BroadcastSettings | None) -> Result:  # fmt: skip
        fu = self.fu
        match cmd:
            case p.FuTriage():
                action = _TRIAGE[cmd.action]
                note = ""
                if action is Action.ANSWER_LIVE:
                    note = validate_note(cmd.text)
                elif action is Action.NOT_ADOPT:
                    note = validate_reason(cmd.text, required=True)
                return await fu.triage(bid, idem, who, cmd.qid, action, note, expect=cmd.expect)
            case p.FuAssign():
                dept = validate_dept_id(cmd.dept)
                qtype = validate_qtype(cmd.qtype)
                due = self._due(qtype, cmd.due)
                if await self.depts.get(dept) is None:
                    raise Rejection(Code.NOT_FOUND, f"no department {dept!r}")
                return await fu.assign(
                    bid, idem, who, cmd.qid, dept=dept, due=due,
                    qtype=qtype.value if qtype else "", expect=cmd.expect,
                )  # fmt: skip
            case p.FuReview():
                if cmd.action == "publish":
                    edited = validate_reply(cmd.text) if cmd.text else ""
                    return await fu.transition(bid, idem, who, cmd.qid, Action.PUBLISH, edited)
                reason = validate_reason(cmd.text, required=True)
                return await fu.transition(bid, idem, who, cmd.qid, Action.RETURN, reason)
            case p.FuReopen():
                record = await fu.record(bid, cmd.qid) or {}
                qtype = validate_qtype(record.get("qtype"))
                due = self._due(qtype, None)
                reason = validate_reason(cmd.reason, required=False)
                return await fu.transition(bid, idem, who, cmd.qid, Action.REOPEN,
                                           due.isoformat(), reason)  # fmt: skip
            case p.FuClose():
                return await fu.transition(bid, idem, who, cmd.qid, Action.CLOSE, "")
            case p.FuExtension():
                granted = parse_date(cmd.due) if cmd.due else None
                decision = ExtAction.GRANT if cmd.action == "grant" else ExtAction.REFUSE
                return await fu.extension(
                    bid, idem, who, cmd.qid, decision, due=granted, today=self.today(),
                    reason=validate_reason(cmd.reason, required=False),
                )  # fmt: skip
            case p.EnterQuestion():
                bs = settings or await self.hub.broadcast_settings(bid)
                new = qn.validate_new_question(cmd.text, cmd.name, cmd.tag, bs,
                                               self.hub.settings.name_max_len)  # fmt: skip
                source = validate_source(cmd.source)
                if source is Source.PHONE:
                    raise Rejection(
                        Code.INVALID, "a question typed by a moderator names its source"
                    )
                return await self.intake.enter(
                    bid, idem, user=who.user, text=new.text, name=new.name, tag=new.tag,
                    source=source.value, contact=validate_contact(cmd.contact),
                )  # fmt: skip
            case p.SetContact():
                return await self.intake.set_contact(
                    bid, idem, user=who.user, qid=cmd.qid, contact=validate_contact(cmd.contact)
                )
            case p.Carry():
                done = await self.intake.carry(bid, cmd.qid, validate_broadcast_id(cmd.to),
                                               user=who.user)  # fmt: skip
                return {"ok": True, **done}
            case p.FuRate():
                rating, comment = validate_rating(cmd.rating, cmd.comment)
                return await fu.rate(bid, idem, who, cmd.qid, rating, comment)
            case p.FuAccept():
                return await fu.transition(bid, idem, who, cmd.qid, Action.ACCEPT)
            case p.FuSendBack():
                reason = validate_reason(cmd.reason, required=True)
                return await fu.transition(bid, idem, who, cmd.qid, Action.SEND_BACK, reason)
            case p.FuReply():
                body, link = validate_reply(cmd.text), validate_link(cmd.link)
                return await fu.transition(bid, idem, who, cmd.qid, Action.REPLY, body, link)
            case p.FuRequestExtension():
                return await fu.extension(
                    bid, idem, who, cmd.qid, ExtAction.REQUEST, due=parse_date(cmd.due),
                    reason=validate_reason(cmd.reason, required=True), today=self.today(),
                )  # fmt: skip
        raise Rejection(Code.INVALID, "unknown command")  # pragma: no cover

    # --- background ------------------------------------------------------------------

    async def run(self) -> None:
        """Follow the streams into the indexes and sweep the rating windows, while
        this process holds the lock (another process takes over within fu_index_lock_ms,
        or at once when this one stops: the lock is released on the way out)."""
        last_sweep = 0.0
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    if await self.hold_lock():
                        await self.indexer.run_once()
                        if loop.time() - last_sweep > SWEEP_EVERY_S:
                            last_sweep = loop.time()
                            await self.sweep_ratings()
                except REDIS_DOWN:
                    pass  # the next round retries; the indexes only lag meanwhile
                except Exception:
                    log.exception("follow-up background round failed")
                await asyncio.sleep(self.hub.settings.fu_index_interval_s)
        finally:
            with contextlib.suppress(*REDIS_DOWN, asyncio.CancelledError):
                await self.indexer.release_lock(self._owner)

    async def hold_lock(self) -> bool:
        return await self.indexer.hold_lock(self._owner, self.hub.settings.fu_index_lock_ms)

    async def sweep_ratings(self) -> int:
        """Close published replies whose rating window ended unrated; returns how many."""
        days = self.hub.settings.fu_rating_window_days
        if days <= 0:
            return 0
        cutoff = int((dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).timestamp() * 1000)
        closed = 0
        system = FuActor(FuRole.SYSTEM, SYSTEM)
        for bid in await self.hub.store.broadcast_ids():
            for item in await self.fu.items(bid, await self._recorded(bid)):
                rec = item["fu"]
                if rec.get("state") != FuState.PUBLISHED or rec.get("rating"):
                    continue
                if int(rec.get("published_at") or 0) > cutoff:
                    continue
                qid = int(item["q"]["id"])
                done = await self.fu.transition(
                    bid, f"sys:expire:{qid}:{rec.get('published_at')}", system, qid,
                    Action.EXPIRE, "1",
                )  # fmt: skip
                closed += "ok" in done
        return closed

    async def _recorded(self, bid: str) -> list[int]:
        return [int(text(q)) for q in await self.hub.redis.zrange(keys.followups(bid), 0, -1)]

    # --- reads for the pages --------------------------------------------------------------

    async def dept_names(self) -> dict[str, dict[str, str]]:
        return {d.id: {"name": d.name, "short": d.short} for d in await self.depts.list_all()}

    def _level(self, fu: Mapping[str, str]) -> str | None:
        """yellow/red of an item with a department, None otherwise."""
        if fu.get("state") not in WITH_DEPARTMENT or not fu.get("due"):
            return None
        return due_level(self.calendar, parse_date(fu["due"]), self.today(),
                         soon_days=self.hub.settings.fu_due_soon_days).value  # fmt: skip

    def _figure_items(self, items: list[Result]) -> list[FigureItem]:
        return [item_from_hashes(i["q"], i["fu"], self.local_date) for i in items]

    async def moderator_view(self, bid: str) -> Result:
        """Every question of the broadcast with its follow-up, for the console's
        triage and review (moderators: everything but viewer ids and contacts)."""
        items = await self.fu.items(bid)
        rows = []
        left = 0
        for item in items:
            q, fu = item["q"], item["fu"]
            state = parse_state(fu.get("state"))
            triage = needs_triage(q.get("status", ""), state, carried=bool(q.get("carried_to")))
            left += triage
            rows.append({"q": _question(q, moderator=True), "fu": _numbers(fu),
                         "needs_triage": triage, "level": self._level(fu)})  # fmt: skip
        figures = followup_figures(self._figure_items(items), self.today())
        return {"items": rows, "left": left, "figures": figures.to_dict(),
                "departments": await self.dept_names()}  # fmt: skip

    async def public_replies(self, bid: str) -> Result | None:
        """The public replies page of one broadcast: published replies of public
        questions and the figures over every question. Nothing private."""
        meta = await self.hub.store.broadcast_meta(validate_broadcast_id(bid))
        if meta is None:
            return None
        items = await self.fu.items(bid)
        return {
            "broadcast": {"id": bid, "title": meta.get("title", ""),
                          "season": meta.get("season") or None},
            "items": [_public_item(bid, i) for i in items if _is_public(i)],
            "figures": followup_figures(self._figure_items(items), self.today()).to_dict(),
            "departments": await self.dept_names(),
        }  # fmt: skip

    async def season_replies(self, sid: str) -> Result | None:
        season = await self.seasons.get(sid)
        if season is None:
            return None
        every: list[Result] = []
        figure_items: list[FigureItem] = []
        episodes = []
        for bid in season["broadcasts"]:
            meta = await self.hub.store.broadcast_meta(bid)
            if meta is None:
                continue
            items = await self.fu.items(bid)
            every += [_public_item(bid, i) for i in items if _is_public(i)]
            figure_items += self._figure_items(items)
            episodes.append({"id": bid, "title": meta.get("title", "")})
        return {
            "season": {"id": season["id"], "name": season["name"], "year": season["year"]},
            "episodes": episodes, "items": every,
            "figures": followup_figures(figure_items, self.today()).to_dict(),
            "departments": await self.dept_names(),
        }  # fmt: skip

    async def lookup(self, code: str | None) -> Result | None:
        """One question by its 查询码: its text, state and published reply only."""
        if code is None:
            return None
        raw = await self.hub.redis.get(keys.qcode(code))
        found = await self._by_code(code, text(raw) if raw else None)
        if found is None:
            return None
        bid, item = found
        q, fu = item["q"], item["fu"]
        meta = await self.hub.store.broadcast_meta(bid) or {}
        state = parse_state(fu.get("state"))
        out: Result = {
            "code": code, "broadcast": {"id": bid, "title": meta.get("title", "")},
            "q": {"text": q.get("text", ""), "tag": q.get("tag") or None,
                  "status": q.get("status"), "created": int(q.get("created") or 0)},
            "fu": _numbers(owner_fu(fu)) if fu else {"state": state.value},
        }  # fmt: skip
        if q.get("status") == "rejected" and q.get("reason") and q.get("reason") != "blocked":
            out["q"]["reason"] = q["reason"]
        return out

    async def _by_code(self, code: str, where: str | None) -> tuple[str, Result] | None:
        """The item a code names; the indexer may lag a new question by a second,
        so a miss falls back to the code's prefix owner and that broadcast's codes."""
        if where is None:
            owner = await self.hub.redis.get(keys.qcode_owner(code[:3]))
            if owner is None:
                return None
            bid = text(owner)
            qid_raw = await self.hub.redis.hget(keys.codes(bid), code[3:])
            if qid_raw is None:
                return None
            where = f"{bid}:{text(qid_raw)}"
        bid, _, qid = where.rpartition(":")
        items = await self.fu.items(bid, [int(qid)])
        if not items or items[0]["q"].get("code") != code:
            return None
        return bid, items[0]

    async def allow_lookup(self, ip_hash: str) -> bool:
        """Count one 查询码 lookup of this address in this minute."""
        minute = int(dt.datetime.now(dt.UTC).timestamp()) // 60
        key = keys.qcode_lookups(ip_hash, minute)
        async with self.hub.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 120)
            count, _ = await pipe.execute()
        return int(count) <= self.hub.settings.qcode_lookups_per_min

    async def mine(self, bid: str, vid: str) -> list[Result]:
        """The follow-up of a viewer's own questions, as their asker sees it."""
        qids = [int(text(q)) for q in await self.hub.redis.zrange(keys.mine(bid, vid), 0, -1)]
        out = []
        for item in await self.fu.items(bid, qids):
            q, fu = item["q"], item["fu"]
            if q.get("asker") != vid:
                continue
            out.append({"qid": int(q["id"]), "code": q.get("code"),
                        "fu": _numbers(owner_fu(fu)) if fu else {"state": "none"}})  # fmt: skip
        return out

    async def office(self, dept: str, *, history: bool = False) -> list[Result]:
        """A department's items across broadcasts (its queue by due date, or its
        history): the question as public text, the record without viewer ids."""
        found = await (self.depts.history(dept) if history else self.depts.queue(dept))
        out = []
        for bid, qid in found:
            items = await self.fu.items(bid, [qid])
            if not items:
                continue
            q, fu = items[0]["q"], items[0]["fu"]
            # The index may lag: show only what the record says is this department's.
            if history:
                if dept not in (fu.get("dept"), fu.get("last_dept")):
                    continue
            elif fu.get("dept") != dept:
                continue
            meta = await self.hub.store.broadcast_meta(bid) or {}
            out.append({"bid": bid, "broadcast": meta.get("title", ""), "qid": qid,
                        "q": _question(q, moderator=False), "fu": _office_fu(fu),
                        "level": self._level(fu)})  # fmt: skip
        return out


_NUMBER_FIELDS = frozenset({
    "assigned_at", "accepted_at", "replied_at", "published_at", "closed_at", "rated_at",
    "updated", "sent_back_at", "merged_into",
})  # fmt: skip
# What a department never sees of a record: nothing here is a viewer's identity,
# but the office's own notes stay the office's.
_OFFICE_HIDDEN = frozenset({"reply_orig"})


def _numbers(fu: Mapping[str, Any]) -> Result:
    return {k: int(v) if k in _NUMBER_FIELDS and str(v).isdigit() else v for k, v in fu.items()}


def _office_fu(fu: Mapping[str, str]) -> Result:
    return _numbers({k: v for k, v in fu.items() if k not in _OFFICE_HIDDEN})


def _question(q: Mapping[str, str], *, moderator: bool) -> Result:
    """A question hash for the console (moderator) or a department: never the
    asker's id, the contact note, the duplicate fingerprint or the word flags."""
    out: Result = {
        "id": int(q["id"]), "text": q.get("text", ""), "tag": q.get("tag") or None,
        "status": q.get("status"), "source": q.get("source") or "phone",
        "created": int(q.get("created") or 0), "votes": int(q.get("votes") or 0),
    }  # fmt: skip
    if moderator:
        out.update({"name": q.get("name", ""), "code": q.get("code"),
                    "answer_note": q.get("answer_note"), "carried_to": q.get("carried_to"),
                    "carried_from": q.get("carried_from"),
                    "merged_into": int(q["merged_into"]) if q.get("merged_into") else None,
                    "has_contact": bool(q.get("contact"))})  # fmt: skip
    return out


def _is_public(item: Result) -> bool:
    return (item["fu"].get("state") in REPLY_PUBLIC
            and item["q"].get("status") in PUBLIC_QUESTION_STATUSES)  # fmt: skip


def _public_item(bid: str, item: Result) -> Result:
    q, fu = item["q"], item["fu"]
    public = public_fu(fu) or {}
    return {
        "bid": bid, "qid": int(q["id"]), "text": q.get("text", ""), "tag": q.get("tag") or None,
        "source": q.get("source") or "phone", "asked": int(q.get("created") or 0),
        **_numbers(public),
    }  # fmt: skip
