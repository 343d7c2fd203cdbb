"""What happens to a question after the show: triage, 转办, 答复, 公开, 评价.

The transition table below is the only copy of the rule. Each row is one
action: the follow-up states it may start from, the state it leads to, and the
roles that may take it. The store's scripts receive ``sources`` and ``target``
as arguments and check them atomically against the stored state, as the live
question scripts do (``question.allowed_from``); they add only what needs the
stored record (the official's department, "once" guards).

A question has no follow-up record until it is triaged (state ``none``, never
stored). Rating is three rows, chosen by :func:`rate_action` from the rating
and whether the item was reopened before: satisfied or basically satisfied
close it; dissatisfied leaves it published for a moderator to reopen it once
(back to the same department, with a new due date) or close it; dissatisfied
after a reopening closes it (nothing more can be done: the rating stays).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .errors import Code, Rejection


class FuState(StrEnum):
    NONE = "none"  # not triaged yet (no record)
    TO_ASSIGN = "to_assign"  # 待转办: with the office, no department yet
    ASSIGNED = "assigned"  # 已转办: sent to a department, due date set
    ACCEPTED = "accepted"  # 已签收: the department took it on
    REPLIED = "replied"  # 已答复: the department's reply waits for review
    PUBLISHED = "published"  # 已公开: the reply is public, the asker may rate it
    CLOSED = "closed"  # 已办结
    NOT_ADOPTED = "not_adopted"  # 不予采纳 (with a reason the asker sees)
    ANSWERED_LIVE = "answered_live"  # 现场已答复 (optionally with a note)
    MERGED = "merged"  # 已合并 into another question, which carries the follow-up


class Actor(StrEnum):
    MODERATOR = "moderator"  # the programme's office
    OFFICIAL = "official"  # an account of the department the item is assigned to
    ASKER = "asker"  # the viewer who asked (rating only)
    SYSTEM = "system"  # the hub itself (the rating window's end)


class Action(StrEnum):
    ANSWER_LIVE = "answer_live"
    NOT_ADOPT = "not_adopt"
    MERGE = "merge"
    HOLD = "hold"  # triaged for forwarding later: to assign
    RECONSIDER = "reconsider"  # a settled triage opened again: to assign
    ASSIGN = "assign"
    ACCEPT = "accept"
    SEND_BACK = "send_back"  # the department: not ours (reason) -> to assign
    REPLY = "reply"
    RETURN = "return"  # the office's review sends a reply back (reason)
    PUBLISH = "publish"  # after review, optionally with the text corrected
    RATE_OK = "rate_ok"
    RATE_UNHAPPY = "rate_unhappy"
    RATE_FINAL = "rate_final"
    REOPEN = "reopen"
    CLOSE = "close"
    EXPIRE = "expire"  # no rating within the window: closed, counted as documented


@dataclass(frozen=True)
class Transition:
    sources: frozenset[FuState]
    target: FuState
    actors: frozenset[Actor]


_S, _A = FuState, Actor
_MOD, _OFF = frozenset({_A.MODERATOR}), frozenset({_A.OFFICIAL})
_UNTRIAGED = frozenset({_S.NONE})
_AT_DEPT = frozenset({_S.ASSIGNED, _S.ACCEPTED})

FU_TRANSITIONS: Mapping[Action, Transition] = {
    Action.ANSWER_LIVE: Transition(_UNTRIAGED | {_S.TO_ASSIGN}, _S.ANSWERED_LIVE, _MOD),
    Action.NOT_ADOPT: Transition(_UNTRIAGED | {_S.TO_ASSIGN}, _S.NOT_ADOPTED, _MOD),
    Action.MERGE: Transition(_UNTRIAGED | {_S.TO_ASSIGN}, _S.MERGED, _MOD),
    Action.HOLD: Transition(_UNTRIAGED, _S.TO_ASSIGN, _MOD),
    Action.RECONSIDER: Transition(
        frozenset({_S.ANSWERED_LIVE, _S.NOT_ADOPTED}), _S.TO_ASSIGN, _MOD
    ),
    # A wrong department may be corrected until the department has accepted.
    Action.ASSIGN: Transition(_UNTRIAGED | {_S.TO_ASSIGN, _S.ASSIGNED}, _S.ASSIGNED, _MOD),
    Action.ACCEPT: Transition(frozenset({_S.ASSIGNED}), _S.ACCEPTED, _OFF),
    Action.SEND_BACK: Transition(_AT_DEPT, _S.TO_ASSIGN, _OFF),
    # 签收 first: a reply comes from a department that took the item on.
    Action.REPLY: Transition(frozenset({_S.ACCEPTED}), _S.REPLIED, _OFF),
    Action.RETURN: Transition(frozenset({_S.REPLIED}), _S.ACCEPTED, _MOD),
    Action.PUBLISH: Transition(frozenset({_S.REPLIED}), _S.PUBLISHED, _MOD),
    Action.RATE_OK: Transition(frozenset({_S.PUBLISHED}), _S.CLOSED, frozenset({_A.ASKER})),
    Action.RATE_UNHAPPY: Transition(frozenset({_S.PUBLISHED}), _S.PUBLISHED, frozenset({_A.ASKER})),
    Action.RATE_FINAL: Transition(frozenset({_S.PUBLISHED}), _S.CLOSED, frozenset({_A.ASKER})),
    Action.REOPEN: Transition(frozenset({_S.PUBLISHED}), _S.ASSIGNED, _MOD),
    Action.CLOSE: Transition(frozenset({_S.PUBLISHED}), _S.CLOSED, _MOD),
    Action.EXPIRE: Transition(frozenset({_S.PUBLISHED}), _S.CLOSED, frozenset({_A.SYSTEM})),
}

# Triage is done when every question has one of these (or was never triage-worthy).
SETTLED: frozenset[FuState] = frozenset(_S) - {_S.NONE, _S.TO_ASSIGN}
# States in which the item is with a department (its queue, its due date runs).
WITH_DEPARTMENT: frozenset[FuState] = _AT_DEPT
# States whose reply anyone may read (the public replies page, /q/<code>).
REPLY_PUBLIC: frozenset[FuState] = frozenset({_S.PUBLISHED, _S.CLOSED})
# Question statuses (server/domain/question.py) that still wait for the triage
# when the show ends; answered ones were answered live, rejected and merged are
# settled by moderation.
TRIAGE_STATUSES = frozenset({"pending", "approved", "on_air"})


def needs_triage(question_status: str, state: FuState, *, carried: bool = False) -> bool:
    """A question carried into a later episode is settled here: it is triaged there."""
    return state is FuState.NONE and question_status in TRIAGE_STATUSES and not carried


class Rating(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY = "basically"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意


def rate_action(rating: Rating, reopened: bool) -> Action:
    if rating is not Rating.DISSATISFIED:
        return Action.RATE_OK
    return Action.RATE_FINAL if reopened else Action.RATE_UNHAPPY


def parse_state(raw: str | None) -> FuState:
    """A stored state (absent: ``none``); an unknown value is a store bug."""
    return FuState(raw) if raw else FuState.NONE


def check_fu_transition(qid: int, action: Action, current: FuState, actor: Actor) -> FuState:
    """The target of ``action`` from ``current`` by ``actor``, or a typed refusal:
    ``forbidden`` for a role the row does not list, ``conflict`` for a state it
    does not start from."""
    row = FU_TRANSITIONS[action]
    if actor not in row.actors:
        raise Rejection(Code.FORBIDDEN, f"a {actor} may not {action} a follow-up item")
    if current not in row.sources:
        raise Rejection(Code.CONFLICT, f"question {qid} is {current}; it cannot be {action}")
    return row.target


def sources_of(action: Action) -> str:
    """The row's sources as the comma list the store's scripts take."""
    return ",".join(sorted(FU_TRANSITIONS[action].sources))


class ExtState(StrEnum):
    """An extension of the due date: asked once by the department, before the
    due date passes, while it holds the item; the office grants (new due date)
    or refuses it."""

    NONE = "none"
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"


class ExtAction(StrEnum):
    REQUEST = "request"
    GRANT = "grant"
    REFUSE = "refuse"


@dataclass(frozen=True)
class ExtTransition:
    sources: frozenset[ExtState]
    target: ExtState
    actors: frozenset[Actor]


EXT_TRANSITIONS: Mapping[ExtAction, ExtTransition] = {
    ExtAction.REQUEST: ExtTransition(frozenset({ExtState.NONE}), ExtState.REQUESTED, _OFF),
    ExtAction.GRANT: ExtTransition(frozenset({ExtState.REQUESTED}), ExtState.GRANTED, _MOD),
    ExtAction.REFUSE: ExtTransition(frozenset({ExtState.REQUESTED}), ExtState.REFUSED, _MOD),
}


def check_ext_transition(
    qid: int, action: ExtAction, current: ExtState, state: FuState, actor: Actor
) -> ExtState:
    row = EXT_TRANSITIONS[action]
    if actor not in row.actors:
        raise Rejection(Code.FORBIDDEN, f"a {actor} may not {action} an extension")
    if state not in WITH_DEPARTMENT:
        raise Rejection(Code.CONFLICT, f"question {qid} is {state}: no extension applies")
    if current not in row.sources:
        raise Rejection(Code.CONFLICT, f"question {qid}'s extension is {current}")
    return row.target


def ext_sources_of(action: ExtAction) -> str:
    return ",".join(sorted(EXT_TRANSITIONS[action].sources))
