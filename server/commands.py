"""Commands: who may do what, validated by the domain, written by one script.

``execute`` is shared by the websocket handler and the HTTP API, so both
enforce the same rules: role check first (RELIABILITY 18: a viewer or overlay
sending a moderator command gets ``forbidden`` and Redis is unchanged), then
domain validation (nothing is written for invalid input), then exactly one
store call. The result is only returned after Redis answered; Redis being
unreachable becomes a retryable ``unavailable`` error.

Likes are not here: they are buffered per process and acknowledged by the
flush that writes them (``server.likes``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from server import protocol as p
from server.domain import broadcast as bc
from server.domain import poll as pl
from server.domain import question as qn
from server.domain.errors import Rejection
from server.domain.projection import Role
from server.store.redis_client import REDIS_DOWN
from server.store.store import Result, Store, raise_for

VIEWER_COMMANDS = (p.Ask, p.Upvote, p.Vote)
MODERATOR_COMMANDS = (
    p.SetStatus, p.Star, p.Edit, p.CreatePoll, p.SetPollState, p.ShowOverlay,
    p.UpdateBroadcast, p.SetBroadcastState,
)  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True)
class Actor:
    role: Role
    vid: str | None = None  # viewers
    user: str | None = None  # moderators

    @property
    def idem_prefix(self) -> str:
        """Idempotency keys are per actor: one client cannot replay another's ids."""
        return f"v:{self.vid}" if self.role is Role.VIEWER else f"m:{self.user}"


def authorize(actor: Actor, cmd: object) -> None:
    if isinstance(cmd, MODERATOR_COMMANDS):
        if actor.role is not Role.MODERATOR:
            raise Rejection("forbidden", "only moderators may do this")
    elif isinstance(cmd, (*VIEWER_COMMANDS, p.Like)):
        if actor.role is not Role.VIEWER or actor.vid is None:
            raise Rejection("forbidden", "only viewers may do this")
    else:  # pragma: no cover - decode() returns nothing else
        raise Rejection("invalid", "unknown command")


def _allowed(table: Any, target: str) -> list[str]:
    return sorted(str(src) for src, targets in table.items() if target in targets)


def _voter_view(result: Result) -> Result:
    """A ballot's ack as its voter may see it: an ``after_close`` poll's tallies
    stay hidden until it closes (the same rule as the voter's tally events)."""
    results = result.get("results")
    if "ok" in result and isinstance(results, str):
        visible = pl.results_visible(
            pl.ResultsVisibility(results), pl.PollState.OPEN, has_voted=True
        )
        if not visible:
            return {**result, "tallies": None, "ballots": None}
    return result


async def execute(
    store: Store,
    bid: str,
    actor: Actor,
    cmd: Any,
    *,
    settings: bc.BroadcastSettings,
    name_max_len: int,
) -> Result:
    """Run one command; returns the ok result or raises ``Rejection``."""
    authorize(actor, cmd)
    idem = f"{actor.idem_prefix}:{cmd.id}"
    try:
        return raise_for(await _run(store, bid, actor, cmd, idem, settings, name_max_len))
    except REDIS_DOWN:
        raise Rejection(
            "unavailable", "the service is briefly unavailable; retry with the same id",
            retryable=True,
        ) from None  # fmt: skip


async def _run(
    store: Store,
    bid: str,
    actor: Actor,
    cmd: Any,
    idem: str,
    settings: bc.BroadcastSettings,
    name_max_len: int,
) -> Result:
    vid = actor.vid or ""
    match cmd:
        case p.Ask():
            new = qn.validate_new_question(cmd.text, cmd.name, cmd.tag, settings, name_max_len)
            return await store.ask(
                bid, idem, vid=vid, text=new.text, name=new.name, tag=new.tag, fp=new.fingerprint
            )
        case p.Upvote():
            return await store.upvote(bid, idem, vid=vid, qid=cmd.qid, on=cmd.on)
        case p.Vote():
            # Shape here (ints, distinct, sane range); the script checks the
            # poll's real option count and single/multiple choice atomically.
            choices = pl.validate_ballot(cmd.poll, list(cmd.choices), pl.OPTIONS_RANGE[1], True)
            return _voter_view(
                await store.ballot(bid, idem, vid=vid, pid=cmd.poll, choices=choices)
            )
        case p.SetStatus():
            target = qn.QuestionStatus(cmd.status)
            reason = qn.validate_reason(cmd.reason) if cmd.reason is not None else ""
            return await store.set_status(
                bid, idem, actor=actor.idem_prefix, qid=cmd.qid, target=target.value,
                allowed_from=[s.value for s in qn.allowed_from(target)],
                expect=cmd.expect, reason=reason,
            )  # fmt: skip
        case p.Star():
            return await store.star(bid, idem, qid=cmd.qid, on=cmd.on)
        case p.Edit():
            return await store.edit(
                bid, idem, qid=cmd.qid, text=qn.validate_edit(cmd.text, settings)
            )
        case p.CreatePoll():
            poll = pl.validate_new_poll(cmd.question, list(cmd.options), cmd.multi, cmd.results)
            return await store.create_poll(
                bid, idem, question=poll.question, options=poll.options, multi=poll.multi,
                results=poll.results.value,
            )  # fmt: skip
        case p.SetPollState():
            poll_target = pl.PollState(cmd.state)
            return await store.set_poll_state(
                bid, idem, pid=cmd.poll, target=poll_target.value,
                allowed_from=_allowed(pl.POLL_TRANSITIONS, poll_target),
            )  # fmt: skip
        case p.ShowOverlay():
            if cmd.show == "poll" and cmd.poll is None:
                raise Rejection("invalid", "say which poll to show")
            return await store.show_overlay(
                bid, idem, show=cmd.show, pid=cmd.poll if cmd.show == "poll" else None
            )
        case p.UpdateBroadcast():
            title = bc.validate_title(cmd.title) if cmd.title is not None else ""
            topic = bc.validate_topic(cmd.topic) if cmd.topic is not None else None
            patched = (
                bc.apply_settings_patch(settings, dict(cmd.settings)).to_dict()
                if cmd.settings is not None
                else None
            )
            return await store.update_broadcast(
                bid, idem, title=title, topic=topic, settings=patched
            )
        case p.SetBroadcastState():
            state = bc.BroadcastState(cmd.state)
            return await store.update_broadcast(
                bid, idem, state=state.value,
                allowed_from=_allowed(bc.BROADCAST_TRANSITIONS, state),
            )  # fmt: skip
    raise Rejection("invalid", "unknown command")  # pragma: no cover
