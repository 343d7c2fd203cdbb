"""Commands: who may do what, validated by the domain, written by one script.

``execute`` is shared by the websocket handler and the HTTP API (through
``Hub.execute``, which assembles the context once), so both
enforce the same rules: role check first (docs/reliability.md 18: a viewer or overlay
sending a moderator command gets ``forbidden`` and Redis is unchanged), then
domain validation (nothing is written for invalid input), then exactly one
store call. The result is only returned after Redis answered; Redis being
unreachable becomes a retryable ``unavailable`` error.

Likes are not here: they are buffered per process and acknowledged by the
flush that writes them (``server.live.likes``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, assert_never

from server import protocol as p
from server.domain import broadcast as bc
from server.domain import poll as pl
from server.domain import question as qn
from server.domain import sensitive
from server.domain.errors import Code, Rejection
from server.domain.transitions import allowed_from
from server.live import poll_commands, production
from server.live.poll_commands import voter_view as _voter_view
from server.protocol import Role
from server.store.redis_client import REDIS_DOWN
from server.store.store import Result, Store, raise_for


@dataclasses.dataclass(frozen=True, slots=True)
class Actor:
    role: Role
    vid: str | None = None  # viewers
    user: str | None = None  # moderators
    # Viewers: their address as a rate-limit key (auth.hash_ip, never the IP
    # itself); "" = no per-address question limit (e.g. the rehearsal fill).
    ip: str = ""

    @property
    def idem_prefix(self) -> str:
        """Idempotency keys are per actor: one client cannot replay another's ids."""
        return f"v:{self.vid}" if self.role is Role.VIEWER else f"m:{self.user}"


def authorize(actor: Actor, cmd: object) -> None:
    # The command sets are the protocol's (one definition); commands are final
    # dataclasses, so the exact type is the test.
    if type(cmd) in p.MODERATOR_COMMANDS:
        if actor.role is not Role.MODERATOR:
            raise Rejection(Code.FORBIDDEN, "only moderators may do this")
    elif type(cmd) in p.VIEWER_COMMANDS:
        if actor.role is not Role.VIEWER or actor.vid is None:
            raise Rejection(Code.FORBIDDEN, "only viewers may do this")
    else:  # pragma: no cover - decode() returns nothing else
        raise Rejection(Code.INVALID, "unknown command")


async def execute(
    store: Store,
    bid: str,
    actor: Actor,
    cmd: p.LiveCommand,
    *,
    settings: bc.BroadcastSettings,
    name_max_len: int,
    words: Sequence[sensitive.Matcher] = (),
    pseudonym: Callable[[str], str] | None = None,
) -> Result:
    """Run one command; returns the ok result or raises ``Rejection``.

    ``words``: the sensitive-word lists a question is screened against (the
    deployment's and the broadcast's, compiled by the hub). ``pseudonym``: how
    moderators name a viewer (``viewer.ban`` answers with it)."""
    authorize(actor, cmd)
    idem = f"{actor.idem_prefix}:{cmd.id}"
    try:
        return raise_for(
            await _run(store, bid, actor, cmd, idem, settings, name_max_len,
                       words=words, pseudonym=pseudonym)
        )  # fmt: skip
    except REDIS_DOWN as exc:
        # The cause stays attached: the transport counts it by kind (oom, busy...).
        raise Rejection(
            Code.UNAVAILABLE, "the service is briefly unavailable; retry with the same id",
            retryable=True,
        ) from exc  # fmt: skip


async def _viewer_by_pseudonym(
    store: Store, bid: str, wanted: str, pseudonym: Callable[[str], str]
) -> str:
    """The viewer id behind a pseudonym, among the viewers who did anything in
    the activity window (``keys.ACTIVITY_KEEP_S``) or are banned: a pseudonym is
    a keyed hash, so the only way back is to recompute it for the candidates."""
    for vid in await store.recent_viewer_ids(bid):
        if pseudonym(vid) == wanted:
            return vid
    raise Rejection(
        Code.NOT_FOUND, "no viewer with this pseudonym was active in the last 15 minutes"
    )


async def _run(
    store: Store,
    bid: str,
    actor: Actor,
    cmd: p.LiveCommand,
    idem: str,
    settings: bc.BroadcastSettings,
    name_max_len: int,
    *,
    words: Sequence[sensitive.Matcher] = (),
    pseudonym: Callable[[str], str] | None = None,
) -> Result:
    vid = actor.vid or ""
    user = actor.user or ""  # moderators' writes record it in the audit log
    match cmd:
        case p.Ask():
            new = qn.validate_new_question(cmd.text, cmd.name, cmd.tag, settings, name_max_len)
            # Screened as stored (normalised), so the flags' spans index the text
            # moderators see.
            flags = sensitive.screen(new.text, words) if words else None
            return await store.ask(
                bid, idem, vid=vid, text=new.text, name=new.name, tag=new.tag, fp=new.fingerprint,
                ip=actor.ip, flags=flags.to_dict() if flags else None,
            )  # fmt: skip
        case p.Upvote():
            return await store.upvote(bid, idem, vid=vid, qid=cmd.qid, on=cmd.on)
        case p.Vote():
            # Shape here (ints, distinct, sane range); the script checks the
            # poll's real option count, its kind (a ranking ranks every option,
            # in the order sent) and single/multiple choice atomically.
            pl.validate_ballot(cmd.poll, list(cmd.choices), pl.OPTIONS_RANGE[1], True)
            return _voter_view(
                await store.ballot(bid, idem, vid=vid, pid=cmd.poll, choices=list(cmd.choices))
            )
        case p.AnswerPoll() | p.ReviewAnswer() | p.HideWord():
            return await poll_commands.run(store, bid, idem, cmd, vid=vid, user=user, words=words)
        case p.SetStatus():
            target = qn.QuestionStatus(cmd.status)
            reason = qn.validate_reason(cmd.reason) if cmd.reason is not None else ""
            return await store.set_status(
                bid, idem, user=user, qid=cmd.qid, target=target.value,
                allowed_from=allowed_from(qn.QUESTION_TRANSITIONS, target),
                expect=cmd.expect, reason=reason,
            )  # fmt: skip
        case p.Star():
            return await store.star(bid, idem, user=user, qid=cmd.qid, on=cmd.on)
        case p.Edit():
            return await store.edit(
                bid, idem, user=user, qid=cmd.qid, text=qn.validate_edit(cmd.text, settings),
                expect=cmd.expect,
            )  # fmt: skip
        case p.SetTag():
            tag = qn.validate_tag(cmd.tag, settings)
            return await store.set_tag(bid, idem, user=user, qid=cmd.qid, tag=tag or "")
        case p.Merge():
            qn.check_merge(cmd.qid, cmd.into)
            return await store.merge(
                bid, idem, user=user, qid=cmd.qid, into=cmd.into,
                refused_targets=sorted(s.value for s in qn.MERGE_REFUSED_TARGETS),
            )  # fmt: skip
        case p.Ban():
            if pseudonym is None:  # pragma: no cover - both callers pass it
                raise RuntimeError("viewer.ban needs the hub's pseudonyms")
            if (cmd.qid is None) == (cmd.viewer is None):
                raise Rejection(Code.INVALID, "name the viewer by qid or by viewer, not both")
            if cmd.viewer is not None:
                found = await _viewer_by_pseudonym(store, bid, cmd.viewer, pseudonym)
                return await store.ban(bid, idem, user=user, qid=None, on=cmd.on,
                                       pseudonym=cmd.viewer, vid=found)  # fmt: skip
            # The asker is read first only to name them in the result and the
            # audit log (it never changes); the script re-reads it atomically.
            asker = await store.question_asker(bid, cmd.qid or 0)
            if asker is None:
                raise Rejection(Code.NOT_FOUND, f"question {cmd.qid} does not exist")
            return await store.ban(
                bid, idem, user=user, qid=cmd.qid, on=cmd.on, pseudonym=pseudonym(asker)
            )
        case p.CreatePoll():
            return await poll_commands.create(store, bid, idem, cmd, user=user)
        case p.SetPollState():
            poll_target = pl.PollState(cmd.state)
            return await store.set_poll_state(
                bid, idem, user=user, pid=cmd.poll, target=poll_target.value,
                allowed_from=allowed_from(pl.POLL_TRANSITIONS, poll_target),
            )  # fmt: skip
        case p.DeletePoll():
            return await store.delete_poll(
                bid, idem, user=user, pid=cmd.poll,
                deletable=sorted(s.value for s in pl.DELETABLE_STATES),
            )  # fmt: skip
        case p.ShowOverlay():
            if cmd.show == "poll" and cmd.poll is None:
                raise Rejection(Code.INVALID, "say which poll to show")
            return await store.show_overlay(
                bid, idem, user=user, show=cmd.show, pid=cmd.poll if cmd.show == "poll" else None
            )
        case (
            p.SwitchScene() | p.PutScene() | p.DeleteScene() | p.Cue() | p.ClearCue() | p.Take()
            | p.RundownAdd() | p.RundownMove() | p.RundownRemove() | p.RundownNext()
        ):  # fmt: skip
            return await production.execute(store, bid, idem, user, cmd)
        case p.UpdateBroadcast():
            title = bc.validate_title(cmd.title) if cmd.title is not None else ""
            topic = bc.validate_topic(cmd.topic) if cmd.topic is not None else None
            patched = (
                bc.apply_settings_patch(settings, dict(cmd.settings)).to_dict()
                if cmd.settings is not None
                else None
            )
            scheduled = (
                cmd.scheduled if cmd.scheduled == "keep" else bc.validate_scheduled(cmd.scheduled)
            )
            # The audit record: the fields sent, as validated.
            detail: dict[str, Any] = {"title": title} if title else {}
            if topic is not None:
                detail["topic"] = topic
            if patched is not None and cmd.settings:
                detail["settings"] = {k: patched[k] for k in cmd.settings}
            if scheduled != "keep":
                detail["scheduled"] = scheduled
            return await store.update_broadcast(
                bid, idem, title=title, topic=topic, settings=patched, scheduled=scheduled,
                user=user, detail=detail,
            )  # fmt: skip
        case p.SetBroadcastState():
            state = bc.BroadcastState(cmd.state)
            return await store.update_broadcast(
                bid, idem, state=state.value, user=user,
                allowed_from=allowed_from(bc.BROADCAST_TRANSITIONS, state),
            )  # fmt: skip
        case p.Like():  # pragma: no cover - transports hand likes to the like desk
            raise Rejection(Code.INVALID, "likes are buffered by the like desk")
        case _:  # a new command without its case fails the type check here
            assert_never(cmd)
