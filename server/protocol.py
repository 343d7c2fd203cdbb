"""The wire protocol between the hub and its clients (viewer page, console, overlay).

This module does no I/O, in the manner of websockets' sans-I/O core: a client
frame (``str``) goes in and a typed command or a :class:`ProtocolError` comes out;
a server message (a ``dict``) goes in and ``bytes`` come out. ``docs/protocol.md``
is the reference for client authors and mirrors this module; change both together.

Validation here is deliberately coarse: shapes, JSON types, integer ranges and raw
string caps. Business rules (normalised text length, legal status transitions,
option counts of a given poll) belong to ``server.domain`` and are reported with
domain codes (``invalid``, ``too_long``, ``conflict``...), not protocol codes.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable, Mapping
from enum import IntEnum, StrEnum
from typing import Any, ClassVar, Final, Literal, NoReturn, TypeAlias, TypedDict, get_args

import orjson

PROTOCOL_VERSION: Final = 3

# JSON numbers a JavaScript client can represent exactly (Number.MAX_SAFE_INTEGER + 1).
MAX_SAFE_INT: Final = 2**53
# Longest piece of client input ever echoed back in an error message: enough to
# recognise a typo, too little to turn the error channel into a reflector.
ECHO_MAX: Final = 40


class Close(IntEnum):
    """Websocket close codes of the hub and what a client does after each.

    ==== ==================== ========= ===============================================
    code name                 reconnect meaning
    ==== ==================== ========= ===============================================
    1000 NORMAL               no        the client chose to leave
    1001 GOING_AWAY           yes       the server or page is going away
    1009 TOO_BIG              terminal  a frame over ``ws_max_size``: a client bug
    1011 INTERNAL             yes       unexpected server error
    1012 RESTART              yes       the hub is restarting
    1013 TRY_AGAIN            yes       e.g. Redis unavailable at hello
    4008 SLOW_CONSUMER        yes       the client did not read fast enough
    4400 PROTOCOL_ABUSE       terminal  too many protocol errors, or a bad hello
    4401 UNAUTHORIZED         terminal  no or bad credentials (session, overlay key)
    4403 FORBIDDEN            terminal  banned, or origin refused
    4404 NOT_FOUND            terminal  no such broadcast
    4408 HELLO_TIMEOUT        yes       no valid hello within ``hello_timeout_s``
    4429 TOO_MANY_CONNECTIONS yes       too many sockets from one address (backoff)
    ==== ==================== ========= ===============================================

    Codes 4000-4999 are the application range of RFC 6455 section 7.4.2; the
    4xxx codes echo the HTTP status with the same meaning so they read naturally.
    An abnormal closure (1006, never sent on the wire) is also a reconnect.
    """

    NORMAL = 1000
    GOING_AWAY = 1001
    TOO_BIG = 1009
    INTERNAL = 1011
    RESTART = 1012
    TRY_AGAIN = 1013
    SLOW_CONSUMER = 4008
    PROTOCOL_ABUSE = 4400
    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    NOT_FOUND = 4404
    HELLO_TIMEOUT = 4408
    TOO_MANY_CONNECTIONS = 4429


# 1006 (abnormal closure) is what a client observes when the TCP connection
# drops; it is never sent by the server but must be in the client's policy.
ABNORMAL_CLOSURE: Final = 1006

RECONNECT: frozenset[int] = frozenset(
    {
        Close.GOING_AWAY,
        Close.INTERNAL,
        Close.RESTART,
        Close.TRY_AGAIN,
        Close.SLOW_CONSUMER,
        Close.HELLO_TIMEOUT,
        Close.TOO_MANY_CONNECTIONS,
        ABNORMAL_CLOSURE,
    }
)
# NORMAL is in neither set: the client closed on purpose and simply stays closed.
TERMINAL: frozenset[int] = frozenset(
    {
        Close.TOO_BIG,
        Close.PROTOCOL_ABUSE,
        Close.UNAUTHORIZED,
        Close.FORBIDDEN,
        Close.NOT_FOUND,
    }
)


# --- errors --------------------------------------------------------------------

BAD_JSON: Final = "bad_json"  # not JSON, or not a JSON object
BAD_FRAME: Final = "bad_frame"  # a binary frame
BAD_TYPE: Final = "bad_type"  # missing or unknown "type"
BAD_FIELD: Final = "bad_field"  # missing, unknown, mistyped or out-of-range field
TOO_BIG: Final = "too_big"  # over the size limit given to decode()

PROTOCOL_CODES: Final = (BAD_JSON, BAD_FRAME, BAD_TYPE, BAD_FIELD, TOO_BIG)
# Error codes whose "retryable" is true: sending the same command (same id) again
# later may succeed. Every other code means "do not resend this as it is".
RETRYABLE_CODES: frozenset[str] = frozenset({"rate_limited", "unavailable", "internal"})


class ProtocolError(Exception):
    """A frame the hub cannot turn into a command.

    ``id`` is the command id when one could be read from the frame (so the client
    can match the error to its command), else ``None``. ``message`` never holds
    more than ``ECHO_MAX`` characters of client input.
    """

    def __init__(self, code: str, message: str, *, id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.id = id

    def __repr__(self) -> str:
        return f"ProtocolError({self.code!r}, {self.message!r}, id={self.id!r})"

    def to_message(self) -> dict[str, Any]:
        """The ``error`` message telling the client about this frame."""
        return error(self.code, self.message, id=self.id, retryable=False)


class _Invalid(Exception):
    """Raised by a field validator; ``decode`` turns it into ``bad_field``."""


def _echo(text: str) -> str:
    """A short, quoted, escaped excerpt of client input for an error message."""
    return orjson.dumps(text[:ECHO_MAX]).decode() + ("..." if len(text) > ECHO_MAX else "")


# --- field validators ----------------------------------------------------------
# A validator takes a JSON value and returns the typed value, or raises _Invalid
# with a message completing "<field>: ...". Composed into per-type specs below.

Validator: TypeAlias = Callable[[object], Any]

_ID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_TAB_RE = re.compile(r"[A-Za-z0-9_-]{8,32}")


def _int(lo: int = -MAX_SAFE_INT, hi: int = MAX_SAFE_INT) -> Validator:
    def check(value: object) -> int:
        # bool is a subclass of int in Python but never a number on the wire.
        if type(value) is not int:
            raise _Invalid("expected an integer")
        if not lo <= value <= hi:
            raise _Invalid(expected)
        return value

    if hi < MAX_SAFE_INT:
        expected = f"expected an integer from {lo} to {hi}"
    elif lo > -MAX_SAFE_INT:
        expected = f"expected an integer >= {lo}"
    else:
        expected = "integer out of range (beyond +/- 2**53)"

    return check


def _version(value: object) -> int:
    if value != PROTOCOL_VERSION or type(value) is not int:
        raise _Invalid(f"unsupported protocol version; this hub speaks {PROTOCOL_VERSION}")
    return value


def _bool(value: object) -> bool:
    if type(value) is not bool:
        raise _Invalid("expected true or false")
    return value


def _str(max_len: int, *, min_len: int = 0) -> Validator:
    def check(value: object) -> str:
        if type(value) is not str:
            raise _Invalid("expected a string")
        if len(value) > max_len:
            raise _Invalid(f"longer than {max_len} characters")
        if len(value) < min_len:
            raise _Invalid(f"shorter than {min_len} characters")
        return value

    return check


def _matching(pattern: re.Pattern[str], description: str) -> Validator:
    def check(value: object) -> str:
        if type(value) is not str or not pattern.fullmatch(value):
            raise _Invalid(f"expected {description}")
        return value

    return check


def _one_of(choices: tuple[str, ...]) -> Validator:
    def check(value: object) -> str:
        if type(value) is not str or value not in choices:
            raise _Invalid("expected one of " + ", ".join(choices))
        return value

    return check


def _member(enum: type[StrEnum]) -> Validator:
    """One of the enum's values, decoded as the member."""
    choices = _one_of(tuple(member.value for member in enum))

    def check(value: object) -> StrEnum:
        return enum(choices(value))

    return check


def _nullable(inner: Validator) -> Validator:
    def check(value: object) -> Any:
        return None if value is None else inner(value)

    return check


def _list(item: Validator, *, min_items: int, max_items: int) -> Validator:
    # Returns a tuple: commands are frozen, and a tuple keeps them hashable.
    def check(value: object) -> tuple[Any, ...]:
        if type(value) is not list:
            raise _Invalid("expected a list")
        if not min_items <= len(value) <= max_items:
            raise _Invalid(f"expected {min_items} to {max_items} items")
        out = []
        for index, element in enumerate(value):
            try:
                out.append(item(element))
            except _Invalid as exc:
                raise _Invalid(f"item {index}: {exc}") from None
        return tuple(out)

    return check


def _object(spec: Mapping[str, _Field], build: Callable[..., Any] = dict) -> Validator:
    """A nested JSON object with exactly the fields of ``spec`` (absent optional = omitted)."""

    def check(value: object) -> Any:
        if type(value) is not dict:
            raise _Invalid("expected an object")
        try:
            return build(**_fields(spec, value))
        except ProtocolError as exc:  # a nested field's error: keep its field name
            raise _Invalid(exc.message) from None

    return check


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    check: Validator
    required: bool = True


def _req(check: Validator) -> _Field:
    return _Field(check)


def _opt(check: Validator) -> _Field:
    return _Field(check, required=False)


def _fields(spec: Mapping[str, _Field], raw: Mapping[str, object]) -> dict[str, Any]:
    """Validate ``raw`` (without its "type") against ``spec``; ProtocolError on failure."""
    for name in raw:
        if name not in spec:
            _bad_field(f"unknown field {_echo(str(name))}")
    out: dict[str, Any] = {}
    for name, field in spec.items():
        if name not in raw:
            if field.required:
                _bad_field(f"{name}: missing")
            continue
        try:
            out[name] = field.check(raw[name])
        except _Invalid as exc:
            _bad_field(f"{name}: {exc}")
    return out


def _bad_field(message: str) -> NoReturn:
    raise ProtocolError(BAD_FIELD, message)


# --- commands ------------------------------------------------------------------


class Role(StrEnum):
    """Who a connection is: what ``hello`` asks for, what projection and the
    fan-out key on. The only definition (domain and live import it from here)."""

    VIEWER = "viewer"
    MODERATOR = "moderator"
    OVERLAY = "overlay"


Status: TypeAlias = Literal["pending", "approved", "on_air", "answered", "rejected"]
PollResults: TypeAlias = Literal["after_vote", "after_close", "always"]
PollState: TypeAlias = Literal["open", "closed"]
PollKind: TypeAlias = Literal["choice", "rating", "ranking", "words"]
OverlayShow: TypeAlias = Literal["question", "poll", "likes", "qr", "ticker"]
# Every overlay widget, in drawing order; a scene shows any subset (docs/obs.md).
OverlayWidget: TypeAlias = Literal["question", "poll", "likes", "viewers", "qr", "ticker", "title"]
BroadcastState: TypeAlias = Literal["live", "ended"]

ROLES: tuple[str, ...] = tuple(role.value for role in Role)
STATUSES: tuple[Status, ...] = get_args(Status)
# Statuses a viewer (and the public) may see, and upvote; the rest only the
# owner and moderators. The only definition: projection, the store (which hands
# it to snapshot.lua and upvote.lua) and the clients import it from here.
PUBLIC_STATUSES: tuple[Status, ...] = ("approved", "on_air", "answered")
POLL_RESULTS: tuple[PollResults, ...] = get_args(PollResults)
POLL_STATES: tuple[PollState, ...] = get_args(PollState)
POLL_KINDS: tuple[PollKind, ...] = get_args(PollKind)
OVERLAY_SHOWS: tuple[OverlayShow, ...] = get_args(OverlayShow)
OVERLAY_WIDGETS: tuple[OverlayWidget, ...] = get_args(OverlayWidget)
BROADCAST_STATES: tuple[BroadcastState, ...] = get_args(BroadcastState)
# Paging (docs/protocol.md "Paging", server/domain/paging.py): the lists a
# client may page ("public": the public statuses together; one status:
# moderators only), their orders, and the largest page.
PageOrder: TypeAlias = Literal["top", "new", "old"]
PAGE_ORDERS: tuple[PageOrder, ...] = get_args(PageOrder)
PAGE_LISTS: tuple[str, ...] = ("public", *STATUSES, "merged")
PAGE_MAX: Final = 200
_CURSOR_RE = re.compile(r"[0-9]{1,17}:[0-9]{1,16}")


@dataclasses.dataclass(frozen=True, slots=True)
class Since:
    """The resume position a client last saw (``epoch`` and event ``pos``)."""

    epoch: str
    pos: str


class SettingsPatch(TypedDict, total=False):
    """The broadcast settings a ``bc.update`` changes; absent keys stay as they are."""

    moderation: bool
    max_len: int
    tags: tuple[str, ...]
    show_names: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Hello:
    TYPE: ClassVar[str] = "hello"
    role: Role
    v: int = PROTOCOL_VERSION
    since: Since | None = None
    key: str | None = None  # overlay key: sent here, never in the URL, to stay out of logs
    tab: str | None = None  # per page load; makes like batches idempotent across resends


@dataclasses.dataclass(frozen=True, slots=True)
class Ping:
    TYPE: ClassVar[str] = "ping"


@dataclasses.dataclass(frozen=True, slots=True)
class Ask:
    TYPE: ClassVar[str] = "ask"
    id: str
    text: str
    name: str | None = None
    tag: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Upvote:
    TYPE: ClassVar[str] = "upvote"
    id: str
    qid: int
    on: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Like:
    TYPE: ClassVar[str] = "like"
    id: str
    n: int


@dataclasses.dataclass(frozen=True, slots=True)
class Vote:
    TYPE: ClassVar[str] = "vote"
    id: str
    poll: int
    choices: tuple[int, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class SetStatus:
    TYPE: ClassVar[str] = "q.status"
    id: str
    qid: int
    status: Status
    expect: Status | None = None  # the status the moderator saw; a mismatch is a conflict
    reason: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Star:
    TYPE: ClassVar[str] = "q.star"
    id: str
    qid: int
    on: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Edit:
    TYPE: ClassVar[str] = "q.edit"
    id: str
    qid: int
    text: str
    expect: str | None = None  # the text the moderator started from; a mismatch is a conflict


@dataclasses.dataclass(frozen=True, slots=True)
class SetTag:
    """A moderator files question ``qid`` under one of the broadcast's tags (None: no tag)."""

    TYPE: ClassVar[str] = "q.tag"
    id: str
    qid: int
    tag: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Merge:
    """Merge question ``qid`` into ``into``: supporters united, ``qid`` leaves view."""

    TYPE: ClassVar[str] = "q.merge"
    id: str
    qid: int
    into: int


@dataclasses.dataclass(frozen=True, slots=True)
class Ban:
    """Ban (``on``) or unban a viewer in this broadcast.

    Moderators never see viewer ids; they name a viewer by one of their
    questions (``qid``) or by the pseudonym the list of active viewers shows
    (``viewer``): exactly one of the two."""

    TYPE: ClassVar[str] = "viewer.ban"
    id: str
    on: bool
    qid: int | None = None
    viewer: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class CreatePoll:
    TYPE: ClassVar[str] = "poll.create"
    id: str
    question: str
    options: tuple[str, ...] = ()  # choice and ranking; none for rating (its points) and words
    multi: bool = False
    results: PollResults | None = None  # None: the domain's default
    # The kind and its fields (server/domain/poll_kinds.py; None: the domain's default).
    kind: PollKind | None = None  # None: "choice"
    scale: int | None = None  # rating: 5 or 10 points
    labels: tuple[str, ...] | None = None  # rating: the low and the high end's labels
    max_len: int | None = None  # words: an answer's length limit
    moderated: bool | None = None  # words: answers count once a moderator approves them


@dataclasses.dataclass(frozen=True, slots=True)
class AnswerPoll:
    """A viewer's free-text answer to a word-cloud poll."""

    TYPE: ClassVar[str] = "poll.answer"
    id: str
    poll: int
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class ReviewAnswer:
    """A moderator approves (counts) or rejects a held word-cloud answer."""

    TYPE: ClassVar[str] = "poll.review"
    id: str
    poll: int
    answer: int
    approve: bool


@dataclasses.dataclass(frozen=True, slots=True)
class HideWord:
    """A moderator hides (``hidden``) or shows again a word of a cloud, everywhere."""

    TYPE: ClassVar[str] = "poll.word"
    id: str
    poll: int
    word: str
    hidden: bool


@dataclasses.dataclass(frozen=True, slots=True)
class SetPollState:
    TYPE: ClassVar[str] = "poll.state"
    id: str
    poll: int
    state: PollState


@dataclasses.dataclass(frozen=True, slots=True)
class DeletePoll:
    TYPE: ClassVar[str] = "poll.delete"
    id: str
    poll: int


@dataclasses.dataclass(frozen=True, slots=True)
class ShowOverlay:
    TYPE: ClassVar[str] = "overlay"
    id: str
    show: OverlayShow | None  # None hides the overlay
    poll: int | None = None  # which poll, for show="poll"


# --- production: scenes, cue and take, the run-down (docs/obs.md, docs/console.md) ---


@dataclasses.dataclass(frozen=True, slots=True)
class SwitchScene:
    """Put a scene's widgets on air at once (``poll``: the poll its poll widget shows)."""

    TYPE: ClassVar[str] = "scene"
    id: str
    scene: str
    poll: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class PutScene:
    """Add a scene or change one: its name and the widgets it shows."""

    TYPE: ClassVar[str] = "scene.put"
    id: str
    scene: str
    name: str
    widgets: tuple[OverlayWidget, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class DeleteScene:
    TYPE: ClassVar[str] = "scene.delete"
    id: str
    scene: str


@dataclasses.dataclass(frozen=True, slots=True)
class Cue:
    """Prepare (预备) what goes on air next: a scene, a question, a poll (each
    optional: absent = as on air, no question). Only the preview draws it."""

    TYPE: ClassVar[str] = "cue"
    id: str
    scene: str | None = None
    qid: int | None = None
    poll: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ClearCue:
    TYPE: ClassVar[str] = "cue.clear"
    id: str


@dataclasses.dataclass(frozen=True, slots=True)
class Take:
    """Put the cue on air (上屏)."""

    TYPE: ClassVar[str] = "take"
    id: str


@dataclasses.dataclass(frozen=True, slots=True)
class RundownAdd:
    """Add an approved question to the run-down: after ``after`` (0 = at the
    top), at the end when absent."""

    TYPE: ClassVar[str] = "rundown.add"
    id: str
    qid: int
    after: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class RundownMove:
    """Move a question of the run-down after its new neighbour (0 = to the top).
    ``ver``: the list's version the moderator saw (a mismatch is a conflict)."""

    TYPE: ClassVar[str] = "rundown.move"
    id: str
    qid: int
    after: int
    ver: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class RundownRemove:
    TYPE: ClassVar[str] = "rundown.remove"
    id: str
    qid: int
    ver: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class RundownNext:
    """Put the run-down's first approved question on air."""

    TYPE: ClassVar[str] = "rundown.next"
    id: str
    ver: int | None = None


ProductionCommand: TypeAlias = (
    SwitchScene | PutScene | DeleteScene | Cue | ClearCue | Take
    | RundownAdd | RundownMove | RundownRemove | RundownNext
)  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True)
class UpdateBroadcast:
    TYPE: ClassVar[str] = "bc.update"
    id: str
    title: str | None = None  # None: unchanged
    topic: str | None = None
    settings: SettingsPatch | None = None
    # Unix ms of the announced start; null on the wire clears it, and absent
    # ("keep", never sent by a client: the validator yields int or None) keeps it.
    scheduled: int | Literal["keep"] | None = "keep"


@dataclasses.dataclass(frozen=True, slots=True)
class SetBroadcastState:
    TYPE: ClassVar[str] = "bc.state"
    id: str
    state: BroadcastState


# --- after the show: the follow-up (server/domain/followup.py) ----------------------

TriageAction: TypeAlias = Literal["answer_live", "not_adopt", "merge", "hold", "reconsider"]
ReviewAction: TypeAlias = Literal["publish", "return"]
ExtDecision: TypeAlias = Literal["grant", "refuse"]
FuRating: TypeAlias = Literal["satisfied", "basically", "dissatisfied"]
QSource: TypeAlias = Literal["phone", "hotline", "letter", "onsite", "platform", "member"]
QType: TypeAlias = Literal["consult", "help", "suggest", "complain"]
FU_STATES: tuple[str, ...] = (
    "none", "to_assign", "assigned", "accepted", "replied", "published", "closed",
    "not_adopted", "answered_live", "merged",
)  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True)
class FuTriage:
    """The end-of-show disposition of one question (``text``: the note of an
    answer given on air, or the reason it is not adopted)."""

    TYPE: ClassVar[str] = "fu.triage"
    id: str
    qid: int
    action: TriageAction
    text: str | None = None
    expect: str | None = None  # the follow-up state the moderator saw


@dataclasses.dataclass(frozen=True, slots=True)
class FuAssign:
    """转办 to a department; the due date follows from the type in working days
    unless ``due`` (YYYY-MM-DD) is given."""

    TYPE: ClassVar[str] = "fu.assign"
    id: str
    qid: int
    dept: str
    qtype: QType | None = None
    due: str | None = None
    expect: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class FuReview:
    """The office's review of a reply: publish it (``text``: corrected wording)
    or return it to the department (``text``: the reason)."""

    TYPE: ClassVar[str] = "fu.review"
    id: str
    qid: int
    action: ReviewAction
    text: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class FuReopen:
    TYPE: ClassVar[str] = "fu.reopen"
    id: str
    qid: int
    reason: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class FuClose:
    TYPE: ClassVar[str] = "fu.close"
    id: str
    qid: int


@dataclasses.dataclass(frozen=True, slots=True)
class FuExtension:
    """The office's answer to a department's request for a later due date."""

    TYPE: ClassVar[str] = "fu.ext"
    id: str
    qid: int
    action: ExtDecision
    due: str | None = None  # grant: another date than the one asked for
    reason: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class EnterQuestion:
    """A question that did not come through the phone page, typed by a moderator."""

    TYPE: ClassVar[str] = "q.enter"
    id: str
    text: str
    source: QSource
    name: str | None = None
    tag: str | None = None
    contact: str | None = None  # seen by moderators only


@dataclasses.dataclass(frozen=True, slots=True)
class SetContact:
    TYPE: ClassVar[str] = "q.contact"
    id: str
    qid: int
    contact: str  # "" erases it


@dataclasses.dataclass(frozen=True, slots=True)
class Carry:
    """Carry an unanswered question into a later episode (broadcast ``to``) of the season."""

    TYPE: ClassVar[str] = "q.carry"
    id: str
    qid: int
    to: str


@dataclasses.dataclass(frozen=True, slots=True)
class FuRate:
    """The asker rates the published reply to their question (once per reply)."""

    TYPE: ClassVar[str] = "fu.rate"
    id: str
    qid: int
    rating: FuRating
    comment: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class FuAccept:
    """签收, by an official of the department the item is assigned to (HTTP only)."""

    TYPE: ClassVar[str] = "fu.accept"
    id: str
    qid: int


@dataclasses.dataclass(frozen=True, slots=True)
class FuSendBack:
    TYPE: ClassVar[str] = "fu.send_back"
    id: str
    qid: int
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class FuReply:
    TYPE: ClassVar[str] = "fu.reply"
    id: str
    qid: int
    text: str
    link: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class FuRequestExtension:
    TYPE: ClassVar[str] = "fu.ext_request"
    id: str
    qid: int
    due: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class QuestionsPage:
    """A read: the next page of one list of questions (any role; the list
    decides who may read it). Answered over the socket only."""

    TYPE: ClassVar[str] = "questions.page"
    id: str
    list: str
    order: PageOrder
    after: str | None = None  # the cursor of the previous page; None: from the start
    limit: int = 50


LiveCommand: TypeAlias = (
    Ask
    | Upvote
    | Like
    | Vote
    | SetStatus
    | Star
    | Edit
    | SetTag
    | Merge
    | Ban
    | CreatePoll
    | SetPollState
    | DeletePoll
    | AnswerPoll
    | ReviewAnswer
    | HideWord
    | ShowOverlay
    | UpdateBroadcast
    | SetBroadcastState
    | ProductionCommand
)
# After the show: the follow-up desk's commands (server/live/followup.py).
FollowupCommand: TypeAlias = (
    FuTriage
    | FuAssign
    | FuReview
    | FuReopen
    | FuClose
    | FuExtension
    | EnterQuestion
    | SetContact
    | Carry
    | FuRate
    | FuAccept
    | FuSendBack
    | FuReply
    | FuRequestExtension
)
Command: TypeAlias = LiveCommand | FollowupCommand
Message: TypeAlias = Hello | Ping | QuestionsPage | Command

VIEWER_COMMANDS: frozenset[type] = frozenset({Ask, Upvote, Like, Vote, AnswerPoll, FuRate})
MODERATOR_COMMANDS: frozenset[type] = frozenset(
    {
        SetStatus,
        Star,
        Edit,
        SetTag,
        Merge,
        Ban,
        CreatePoll,
        SetPollState,
        DeletePoll,
        ReviewAnswer,
        HideWord,
        ShowOverlay,
        UpdateBroadcast,
        SetBroadcastState,
        FuTriage,
        FuAssign,
        FuReview,
        FuReopen,
        FuClose,
        FuExtension,
        EnterQuestion,
        SetContact,
        Carry,
        *typing.get_args(ProductionCommand),
    }
)
# A department's staff, over HTTP (/api/office/...): nothing a moderator may send.
OFFICIAL_COMMANDS: frozenset[type] = frozenset({FuAccept, FuSendBack, FuReply, FuRequestExtension})
# Commands of the follow-up, executed by server/live/followup.py.
# The follow-up desk's commands: the members of FollowupCommand (one list).
FOLLOWUP_COMMANDS: frozenset[type] = frozenset(typing.get_args(FollowupCommand))

# --- the spec table: wire type -> (class, fields) ---------------------------------
# Every type but hello and ping starts with the command id ("id" in _ID); decode
# also reads it before anything else so that any error can name its command.

_CHECK_ID = _matching(_ID_RE, "1 to 64 characters of A-Z a-z 0-9 _ . : -")
_ID = {"id": _req(_CHECK_ID)}
_QID = _int(1)
# A pseudonym as server.auth.pseudonym writes it: 10 lower-case base32 characters.
_PSEUDONYM = _matching(re.compile(r"[a-z2-7]{10}"), "a viewer's pseudonym")
_TEXT = _str(4000)
_SINCE = _object({"epoch": _req(_str(64)), "pos": _req(_str(45))}, Since)
_SETTINGS: dict[str, _Field] = {
    "moderation": _opt(_bool),
    "max_len": _opt(_int()),
    "tags": _opt(_list(_str(100), min_items=0, max_items=30)),
    "show_names": _opt(_bool),
}

_SPECS: dict[str, tuple[type[Message], dict[str, _Field]]] = {
    "hello": (
        Hello,
        {
            "role": _req(_member(Role)),
            "v": _opt(_version),
            "since": _opt(_nullable(_SINCE)),
            "key": _opt(_str(128)),
            "tab": _opt(_matching(_TAB_RE, "8 to 32 characters of A-Z a-z 0-9 _ -")),
        },
    ),
    "ping": (Ping, {}),
    "questions.page": (
        QuestionsPage,
        {
            **_ID,
            "list": _req(_one_of(PAGE_LISTS)),
            "order": _req(_one_of(PAGE_ORDERS)),
            "after": _opt(_nullable(_matching(_CURSOR_RE, "a cursor from a snapshot or a page"))),
            "limit": _opt(_int(1, PAGE_MAX)),
        },
    ),
    "ask": (
        Ask,
        {
            **_ID,
            "text": _req(_TEXT),
            "name": _opt(_nullable(_str(200))),
            "tag": _opt(_nullable(_str(100))),
        },
    ),
    "upvote": (Upvote, {**_ID, "qid": _req(_QID), "on": _req(_bool)}),
    "like": (Like, {**_ID, "n": _req(_int(1, 100_000))}),
    "vote": (
        Vote,
        {**_ID, "poll": _req(_int(1)), "choices": _req(_list(_int(0), min_items=1, max_items=10))},
    ),
    "q.status": (
        SetStatus,
        {
            **_ID,
            "qid": _req(_QID),
            "status": _req(_one_of(STATUSES)),
            "expect": _opt(_one_of(STATUSES)),
            "reason": _opt(_str(1000)),
        },
    ),
    "q.star": (Star, {**_ID, "qid": _req(_QID), "on": _req(_bool)}),
    "q.edit": (Edit, {**_ID, "qid": _req(_QID), "text": _req(_TEXT), "expect": _opt(_TEXT)}),
    "q.tag": (SetTag, {**_ID, "qid": _req(_QID), "tag": _opt(_nullable(_str(100)))}),
    "q.merge": (Merge, {**_ID, "qid": _req(_QID), "into": _req(_QID)}),
    "viewer.ban": (Ban, {**_ID, "qid": _opt(_QID), "viewer": _opt(_PSEUDONYM), "on": _req(_bool)}),
    "poll.create": (
        CreatePoll,
        {
            **_ID,
            "question": _req(_str(1000)),
            # Required of a choice and a ranking poll (the domain says so, typed).
            "options": _opt(_list(_str(400), min_items=2, max_items=10)),
            "multi": _opt(_bool),
            "results": _opt(_one_of(POLL_RESULTS)),
            "kind": _opt(_one_of(POLL_KINDS)),
            "scale": _opt(_int(1, 100)),
            "labels": _opt(_list(_str(100), min_items=2, max_items=2)),
            "max_len": _opt(_int(1, 1000)),
            "moderated": _opt(_bool),
        },
    ),
    "poll.answer": (AnswerPoll, {**_ID, "poll": _req(_int(1)), "text": _req(_str(400))}),
    "poll.review": (
        ReviewAnswer,
        {**_ID, "poll": _req(_int(1)), "answer": _req(_int(1)), "approve": _req(_bool)},
    ),
    "poll.word": (
        HideWord,
        {**_ID, "poll": _req(_int(1)), "word": _req(_str(100)), "hidden": _req(_bool)},
    ),
    "poll.state": (
        SetPollState,
        {**_ID, "poll": _req(_int(1)), "state": _req(_one_of(POLL_STATES))},
    ),
    "poll.delete": (DeletePoll, {**_ID, "poll": _req(_int(1))}),
    "overlay": (
        ShowOverlay,
        {**_ID, "show": _req(_nullable(_one_of(OVERLAY_SHOWS))), "poll": _opt(_nullable(_int(1)))},
    ),
    "bc.update": (
        UpdateBroadcast,
        {
            **_ID,
            "title": _opt(_str(400)),
            "topic": _opt(_str(1000)),
            "settings": _opt(_object(_SETTINGS)),
            "scheduled": _opt(_nullable(_int(0))),
        },
    ),
    "bc.state": (SetBroadcastState, {**_ID, "state": _req(_one_of(BROADCAST_STATES))}),
    "fu.triage": (
        FuTriage,
        {
            **_ID,
            "qid": _req(_QID),
            "action": _req(_one_of(get_args(TriageAction))),
            "text": _opt(_nullable(_str(1000))),
            "expect": _opt(_one_of(FU_STATES)),
        },
    ),
    "fu.assign": (
        FuAssign,
        {
            **_ID,
            "qid": _req(_QID),
            "dept": _req(_str(40, min_len=1)),
            "qtype": _opt(_nullable(_one_of(get_args(QType)))),
            "due": _opt(_nullable(_str(10))),
            "expect": _opt(_one_of(FU_STATES)),
        },
    ),
    "fu.review": (
        FuReview,
        {
            **_ID,
            "qid": _req(_QID),
            "action": _req(_one_of(get_args(ReviewAction))),
            "text": _opt(_nullable(_TEXT)),
        },
    ),
    "fu.reopen": (FuReopen, {**_ID, "qid": _req(_QID), "reason": _opt(_nullable(_str(1000)))}),
    "fu.close": (FuClose, {**_ID, "qid": _req(_QID)}),
    "fu.ext": (
        FuExtension,
        {
            **_ID,
            "qid": _req(_QID),
            "action": _req(_one_of(get_args(ExtDecision))),
            "due": _opt(_nullable(_str(10))),
            "reason": _opt(_nullable(_str(1000))),
        },
    ),
    "q.enter": (
        EnterQuestion,
        {
            **_ID,
            "text": _req(_TEXT),
            "source": _req(_one_of(get_args(QSource))),
            "name": _opt(_nullable(_str(200))),
            "tag": _opt(_nullable(_str(100))),
            "contact": _opt(_nullable(_str(400))),
        },
    ),
    "q.contact": (SetContact, {**_ID, "qid": _req(_QID), "contact": _req(_str(400))}),
    "q.carry": (Carry, {**_ID, "qid": _req(_QID), "to": _req(_str(40, min_len=1))}),
    "fu.rate": (
        FuRate,
        {
            **_ID,
            "qid": _req(_QID),
            "rating": _req(_one_of(get_args(FuRating))),
            "comment": _opt(_nullable(_str(1000))),
        },
    ),
    "fu.accept": (FuAccept, {**_ID, "qid": _req(_QID)}),
    "fu.send_back": (FuSendBack, {**_ID, "qid": _req(_QID), "reason": _req(_str(1000))}),
    "fu.reply": (
        FuReply,
        {**_ID, "qid": _req(_QID), "text": _req(_TEXT), "link": _opt(_nullable(_str(1000)))},
    ),
    "fu.ext_request": (
        FuRequestExtension,
        {**_ID, "qid": _req(_QID), "due": _req(_str(10)), "reason": _req(_str(1000))},
    ),
}


# A scene's id: short, for URLs and keys (the name is what people read).
_SCENE = _matching(re.compile(r"[a-z0-9][a-z0-9_-]{0,23}"), "1 to 24 characters of a-z 0-9 _ -")
_VER = _opt(_nullable(_int(0)))
_SPECS.update(
    {
        "scene": (SwitchScene, {**_ID, "scene": _req(_SCENE), "poll": _opt(_nullable(_int(1)))}),
        "scene.put": (
            PutScene,
            {
                **_ID,
                "scene": _req(_SCENE),
                "name": _req(_str(20, min_len=1)),
                "widgets": _req(
                    _list(_one_of(OVERLAY_WIDGETS), min_items=0, max_items=len(OVERLAY_WIDGETS))
                ),
            },
        ),
        "scene.delete": (DeleteScene, {**_ID, "scene": _req(_SCENE)}),
        "cue": (
            Cue,
            {
                **_ID,
                "scene": _opt(_nullable(_SCENE)),
                "qid": _opt(_nullable(_QID)),
                "poll": _opt(_nullable(_int(1))),
            },
        ),
        "cue.clear": (ClearCue, dict(_ID)),
        "take": (Take, dict(_ID)),
        "rundown.add": (RundownAdd, {**_ID, "qid": _req(_QID), "after": _opt(_nullable(_int(0)))}),
        "rundown.move": (
            RundownMove,
            {**_ID, "qid": _req(_QID), "after": _req(_int(0)), "ver": _VER},
        ),
        "rundown.remove": (RundownRemove, {**_ID, "qid": _req(_QID), "ver": _VER}),
        "rundown.next": (RundownNext, {**_ID, "ver": _VER}),
    }
)


def decode(frame: str | bytes, *, max_size: int | None = None) -> Message:
    """Turn one client frame into a typed message, or raise :class:`ProtocolError`.

    Only text frames are accepted (``bytes`` are a binary frame). ``max_size``
    caps the frame in characters for callers without a transport limit (uvicorn
    enforces ``ws_max_size`` on websockets itself, with close 1009). This
    function raises nothing but ``ProtocolError``, whatever the input.
    """
    if not isinstance(frame, str):
        raise ProtocolError(BAD_FRAME, "binary frames are not accepted; send JSON text")
    if max_size is not None and len(frame) > max_size:
        raise ProtocolError(TOO_BIG, f"frame longer than {max_size} characters")
    try:
        value = orjson.loads(frame)
    except orjson.JSONDecodeError as exc:
        # orjson's own message names the problem without quoting the input.
        raise ProtocolError(BAD_JSON, f"frame is not valid JSON (at char {exc.pos})") from None
    return decode_value(value)


def decode_value(value: object) -> Message:
    """Validate an already parsed JSON value (e.g. an HTTP request body)."""
    if type(value) is not dict:
        raise ProtocolError(BAD_JSON, "frame must be a JSON object")
    # Read the id before anything else can fail, so every later error carries it.
    raw_id = value.get("id")
    try:
        cid: str | None = _CHECK_ID(raw_id)
    except _Invalid:
        cid = None
    kind = value.get("type")
    if kind is None:
        raise ProtocolError(BAD_TYPE, 'missing "type"', id=cid)
    if type(kind) is not str:
        raise ProtocolError(BAD_TYPE, '"type" must be a string', id=cid)
    spec = _SPECS.get(kind)
    if spec is None:
        raise ProtocolError(BAD_TYPE, f"unknown type {_echo(kind)}", id=cid)
    cls, fields = spec
    try:
        return cls(**_fields(fields, {k: v for k, v in value.items() if k != "type"}))
    except ProtocolError as exc:
        exc.id = cid
        raise


# --- server -> client ------------------------------------------------------------


def encode(msg: Mapping[str, Any]) -> bytes:
    """Serialise a server message (send it as a *text* frame: orjson emits UTF-8)."""
    return orjson.dumps(msg)


def ack(id: str, result: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The success reply to command ``id``, sent only once its write is durable."""
    return {"type": "ack", "id": id, "result": dict(result) if result else {}}


def error(code: str, message: str, *, id: str | None, retryable: bool) -> dict[str, Any]:
    """The failure reply to command ``id`` (``None`` if the frame had no readable id)."""
    return {"type": "error", "id": id, "code": code, "message": message, "retryable": retryable}


def pong() -> dict[str, Any]:
    return {"type": "pong"}


def welcome(role: str, epoch: str, resume: str, *, heartbeat_s: float) -> dict[str, Any]:
    """First server message: the role granted, the broadcast's epoch, the resume outcome."""
    return {
        "type": "welcome",
        "v": PROTOCOL_VERSION,
        "role": role,
        "epoch": epoch,
        "resume": resume,
        "heartbeat": heartbeat_s,
    }


def events_frame(epoch: str, pos: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """One frame of events (each already carries its own ``pos``); ``pos`` is the last one's."""
    return {"type": "events", "epoch": epoch, "pos": pos, "events": events}


def snapshot(epoch: str, pos: str, state: Mapping[str, Any]) -> dict[str, Any]:
    """The whole visible state of a broadcast as of event ``pos``."""
    return {"type": "snapshot", "epoch": epoch, "pos": pos, **state}
