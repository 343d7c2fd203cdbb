"""What each role may see of an event.

Stream entries hold the full event, private fields included (``asker``,
``voter``: raw viewer ids). The hub sends nothing that did not come out of this
module. Contracts (property-tested):

* no output, for any role, has an ``asker`` or ``voter`` key holding a raw id
  (moderators get a pseudonym as ``q.asker`` and in ``ban``; ``voter`` never
  leaves); ``ban`` events reach moderators only;
* ``flags`` (what the sensitive-word screen found) reach moderators only;
* viewers and the overlay never receive a pending or rejected question's text
  (its asker does, through ``project_for_owner``); the overlay receives public
  questions (its ticker) but draws viewer text only while a moderator has put
  that widget on screen (the ``overlay`` command);
* unknown event types are dropped for every role;
* ``pos`` (added by the hub) is copied through, so every frame is a resume point.

Events are trusted input, well formed as the store's scripts write them: a known
type with a missing field raises ``KeyError`` rather than being guessed at.

What viewers and the overlay get of questions, votes and tallies is built from
allow-lists of fields, not by deleting private ones, so a field the store adds
later stays private until it is listed here. Other events, and everything
moderators get, are copied minus ``PRIVATE_KEYS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from server.protocol import PUBLIC_STATUSES, Role

from .poll import PollState, ResultsVisibility, results_visible
from .poll_shape import shaped_event
from .production import overlay_view, rundown_view
from .question import ANONYMOUS

Event = Mapping[str, Any]


# Question fields anyone allowed to see the question may see. "reason" (why it
# was rejected) is for the asker and moderators only.
PUBLIC_Q_FIELDS = (
    "id",
    "text",
    "name",
    "tag",
    "status",
    "votes",
    "starred",
    "created",
    "updated",
    "edited",
    "merged_into",
)
PRIVATE_KEYS = frozenset({"asker", "voter"})

# What of a follow-up record (server/domain/followup.py) leaves the office.
# Everyone (the replies page, other viewers): a published reply and its dates.
PUBLIC_FU_FIELDS = (
    "state", "dept", "assigned_at", "replied_at", "published_at", "closed_at", "reply",
    "reply_link", "reopened",
)  # fmt: skip
# The asker, about their own question: also where it stands before publication,
# the note of an answer given on air, the rating they gave, and the reason when
# it was not adopted. Never the department's draft, the office's corrections,
# send-back or review reasons, or the extension (internal between office and
# department).
OWNER_FU_FIELDS = (
    *PUBLIC_FU_FIELDS, "due", "note", "rating", "rating_comment", "rating_auto", "first_reply",
    "first_rating", "merged_into",
)  # fmt: skip
_REPLY_FIELDS = frozenset({"reply", "reply_link", "first_reply"})
_REPLY_PUBLIC_STATES = frozenset({"published", "closed"})
# Events every role receives unchanged (minus private keys, should one appear).
_SHARED_TYPES = frozenset({"likes", "presence", "broadcast"})


def _with_pos(out: dict[str, Any], event: Event) -> dict[str, Any]:
    if "pos" in event:
        out["pos"] = event["pos"]
    return out


def _as_is(event: Event) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in PRIVATE_KEYS}


def _pick(source: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: source[k] for k in fields if k in source}


def _public_q(q: Mapping[str, Any]) -> dict[str, Any]:
    return _pick(q, PUBLIC_Q_FIELDS)


def public_fu(fu: Mapping[str, Any]) -> dict[str, Any] | None:
    """A follow-up record as anyone may see it: only once its reply is public."""
    if fu.get("state") not in _REPLY_PUBLIC_STATES:
        return None
    return _pick(fu, PUBLIC_FU_FIELDS)


def owner_fu(fu: Mapping[str, Any]) -> dict[str, Any]:
    """A follow-up record as its asker sees it (the reply only once published)."""
    out = _pick(fu, OWNER_FU_FIELDS)
    state = fu.get("state")
    if state not in _REPLY_PUBLIC_STATES:
        for name in _REPLY_FIELDS - {"first_reply"}:
            out.pop(name, None)
    if state == "not_adopted" and fu.get("reason"):
        out["reason"] = fu["reason"]
    return out


def _followup(event: Event, fu: dict[str, Any] | None) -> dict[str, Any] | None:
    if fu is None:
        return None
    return _with_pos({"type": "followup", "qid": event["qid"], "fu": fu}, event)


def _votes(event: Event) -> dict[str, Any]:
    return _with_pos({"type": "votes", "qid": event["qid"], "votes": event["votes"]}, event)


def _tally(event: Event, *, visible: bool = True) -> dict[str, Any]:
    out = {
        "type": "tally",
        "pid": event["pid"],
        "tallies": _as_list(event["tallies"]) if visible else None,
        "ballots": event["ballots"] if visible else None,
        "state": event["state"],
    }
    return _with_pos(out, event)


def _viewer_poll(event: Event) -> dict[str, Any] | None:
    poll = event["poll"]
    if poll["state"] == PollState.DRAFT:
        return None
    out = _as_is(event)
    if poll["results"] != ResultsVisibility.ALWAYS and poll["state"] != PollState.CLOSED:
        out["poll"] = {**poll, "tallies": None, "ballots": None}
    return out


def _viewer(event: Event, kind: str) -> dict[str, Any] | None:
    if kind == "question":
        q = event["q"]
        if q["status"] in PUBLIC_STATUSES:
            return _with_pos({"type": "question", "q": _public_q(q)}, event)
        if event.get("prev") in PUBLIC_STATUSES:
            # It left public view (rejected, sent back to pending): clients drop it.
            return _with_pos({"type": "question_removed", "qid": q["id"]}, event)
        return None
    if kind == "votes":
        return _votes(event) if event["status"] in PUBLIC_STATUSES else None
    if kind in _SHARED_TYPES:
        return _as_is(event)
    if kind == "followup":
        return _followup(event, public_fu(event["fu"]))
    if kind == "poll":
        return _viewer_poll(event)
    if kind == "tally":
        # Live results of an "always" poll are for everyone (docs/protocol.md:
        # "as the poll's results setting allows"); other tallies reach a viewer
        # only once they voted, through project_for_voter / project_for_owner.
        visible = results_visible(
            ResultsVisibility(event["results"]), PollState(event["state"]), has_voted=False
        )
        return _tally(event) if visible else None
    return None


def _production(event: Event, kind: str) -> dict[str, Any]:
    """The overlay state and the run-down, for the overlay (and the host view,
    which connects as an overlay) and moderators: no viewer in them, only
    widget names, scene names and question ids."""
    if kind == "overlay":
        return overlay_view(_as_is(event))
    return rundown_view(_as_is(event))


def _overlay(event: Event, kind: str) -> dict[str, Any] | None:
    if kind in ("overlay", "rundown"):
        return _production(event, kind)
    if kind == "question":
        # What viewers see, in the viewers' shape: public questions (the on-air
        # one among them, which the overlay draws while a moderator shows it)
        # and ``question_removed`` for one leaving public view.
        return _viewer(event, kind)
    if kind == "votes":
        return _votes(event) if event["status"] in PUBLIC_STATUSES else None
    if kind in _SHARED_TYPES or kind == "overlay":
        return _as_is(event)
    if kind == "poll":
        return None if event["poll"]["state"] == PollState.DRAFT else _as_is(event)
    if kind == "tally":
        return _tally(event)
    return None


def _moderator(event: Event, kind: str, pseudonym: Callable[[str], str]) -> dict[str, Any] | None:
    if kind in ("overlay", "rundown"):
        return _production(event, kind)
    if kind == "question":
        out = _as_is(event)
        q = {k: v for k, v in event["q"].items() if k not in PRIVATE_KEYS}
        asker = event.get("asker")
        if isinstance(asker, str):
            # A stable pseudonym lets moderators spot one viewer's many
            # questions without learning the id that authenticates the viewer.
            # Inside "q", as in snapshots: one shape of a question everywhere.
            q["asker"] = pseudonym(asker)
        out["q"] = q
        return out
    if kind == "ban":
        # The stream names the banned viewer by id (every hub process closes
        # that viewer's sockets); moderators learn the pseudonym only.
        return _with_pos(
            {"type": "ban", "asker": pseudonym(event["asker"]), "qid": event["qid"],
             "on": event["on"]},
            event,
        )  # fmt: skip
    if kind in ("votes", "tally"):
        return {k: v for k, v in event.items() if k not in PRIVATE_KEYS and k != "choices"}
    if kind in _SHARED_TYPES or kind in ("overlay", "poll", "poll_deleted", "followup", "season",
                                         "answer"):  # fmt: skip
        # poll_deleted: only drafts are deleted, which no viewer or overlay saw.
        # answer: a word-cloud answer held for review, or reviewed (moderators only).
        return _as_is(event)
    return None


def project(event: Event, role: Role, *, pseudonym: Callable[[str], str]) -> dict[str, Any] | None:
    """The role-wide projection of ``event``: identical for every client of ``role``.

    ``None`` means the role does not receive the event at all.
    """
    kind = event.get("type")
    if not isinstance(kind, str):
        return None
    if kind in ("poll", "tally"):  # lists as lists; a cloud's review fields for moderators
        event = shaped_event(event, moderator=role == Role.MODERATOR)
    if role == Role.VIEWER:
        return _viewer(event, kind)
    if role == Role.OVERLAY:
        return _overlay(event, kind)
    return _moderator(event, kind, pseudonym)


def private_id(event: Event) -> str | None:
    """The viewer id the event is personal to, if any."""
    kind = event.get("type")
    key = (
        "asker" if kind in ("question", "followup")
        else "voter" if kind in ("votes", "tally") else None
    )  # fmt: skip
    vid = event.get(key) if key else None
    return vid if isinstance(vid, str) else None


def project_for_owner(event: Event, role_wide: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the viewer ``private_id(event)`` receives instead of ``role_wide``.

    The asker follows their own question through every status (with the
    rejection reason); a voter learns their upvote or ballot was counted.
    """
    kind = event.get("type")
    if kind == "question":
        q = _public_q(event["q"])
        q["reason"] = event["q"].get("reason")
        return _with_pos({"type": "question", "q": q, "mine": True}, event)
    if kind == "followup":
        out = _followup(event, owner_fu(event["fu"]))
        assert out is not None
        out["mine"] = True
        return out
    if kind == "votes":
        out = dict(role_wide) if role_wide is not None else _votes(event)
        out["mine"] = bool(event.get("on"))
        return out
    if kind == "tally":
        # A ballot is cast, so "after_vote" results are visible; "after_close"
        # results still are not until the poll closes.
        visible = results_visible(
            ResultsVisibility(event["results"]), PollState(event["state"]), has_voted=True
        )
        out = _tally(event, visible=visible)
        out["mine"] = list(event["choices"])
        return out
    return role_wide


def project_for_voter(event: Event) -> dict[str, Any] | None:
    """A tally event for a viewer who has voted in that poll, if they may see results."""
    if event.get("type") != "tally":
        return None
    if results_visible(
        ResultsVisibility(event["results"]), PollState(event["state"]), has_voted=True
    ):
        return _tally(event)
    return None


def coalesce(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop events superseded within one batch.

    Likes, presence and tallies carry absolute values, so only the last
    ``likes``, the last ``presence`` and the last ``tally`` of each poll matter;
    each survivor stays at the position of its last occurrence, everything else
    keeps its order. Run it on projected events: a personal event (one that
    carries ``mine``, such as a voter's own tally) is never dropped, so it is
    not replaced by someone else's.
    """

    def key(event: Mapping[str, Any]) -> tuple[str, int] | None:
        if "mine" in event:
            return None
        kind = event.get("type")
        if kind in ("likes", "presence"):
            return (kind, 0)
        pid = event.get("pid")
        if kind == "tally" and isinstance(pid, int):
            return (kind, pid)
        return None

    last: dict[tuple[str, int], int] = {}
    for i, event in enumerate(events):
        k = key(event)
        if k is not None:
            last[k] = i
    return [e for i, e in enumerate(events) if (k := key(e)) is None or last[k] == i]


def hide_names(item: dict[str, Any]) -> dict[str, Any]:
    """For a broadcast that does not show names (``show_names`` off): the
    questions in a projected event read ANONYMOUS to viewers and the overlay.
    An asker's own view (an item with ``mine``) keeps the name they typed."""
    if "mine" in item:
        return item
    out = item
    for key in ("q", "left"):
        q = item.get(key)
        if isinstance(q, dict) and q.get("name", ANONYMOUS) != ANONYMOUS:
            if out is item:
                out = dict(item)
            out[key] = {**q, "name": ANONYMOUS}
    return out


# --- snapshots ---------------------------------------------------------------------
#
# A snapshot is read from Redis once per mode ("viewer": public statuses only;
# "moderator": every question) and shared by every connection of the process;
# what one role or one viewer sees of it is built here, with the same
# allow-lists as the events above.


def _strip(q: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in q.items() if k not in PRIVATE_KEYS}


def _own(q: Mapping[str, Any]) -> dict[str, Any]:
    """A viewer's own question: public fields plus the reason it was refused."""
    return {**_public_q(q), "reason": q.get("reason")}


def _voter_sees(poll: Mapping[str, Any]) -> bool:
    return poll.get("results") in ("after_vote", "always") or poll.get("state") == "closed"


def _as_list(value: Any) -> list[Any]:
    # cjson encodes an empty Lua table as {}: an empty list either way.
    return value if isinstance(value, list) else []


def project_snapshot(
    snap: Mapping[str, Any],
    role: Role,
    *,
    pseudonym: Callable[[str], str],
    names_hidden: bool,
) -> dict[str, Any]:
    """The part of a shared snapshot every client of ``role`` receives.

    ``names_hidden``: the broadcast does not show names (never for moderators)."""
    on_air = snap["on_air"]
    polls = [
        p["poll"]
        for poll in snap["polls"]
        if (p := project({"type": "poll", "poll": poll}, role, pseudonym=pseudonym))
    ]
    view: dict[str, Any] = {
        "broadcast": snap["broadcast"],
        "polls": polls,
        "likes": snap["likes"],
        "presence": snap["presence"],
        "on_air": _public_q(on_air) if on_air else None,
    }
    view["questions"] = project_questions(
        snap["questions"], role, pseudonym=pseudonym, names_hidden=names_hidden
    )
    # The first screen's cursors and each list's count (docs/protocol.md, "Paging").
    view["more"] = snap.get("more") or {}
    view["total"] = snap.get("total") or {}
    if role is Role.MODERATOR:
        view["banned"] = [
            {"asker": pseudonym(b["vid"]), "qid": b["qid"]} for b in _as_list(snap.get("banned"))
        ]
    elif names_hidden and view["on_air"] is not None:
        view["on_air"] = hide_names({"q": view["on_air"]})["q"]
    if role is not Role.VIEWER:
        view["overlay"] = overlay_view(snap["overlay"])
        view["rundown"] = rundown_view(snap.get("rundown"))
    return view


def project_questions(
    items: list[Mapping[str, Any]],
    role: Role,
    *,
    pseudonym: Callable[[str], str],
    names_hidden: bool,
) -> list[dict[str, Any]]:
    """Questions as read by the store (``{"q": ..., "asker": ...}``), as ``role``
    sees them in a snapshot or a page of ``questions.page``."""
    if role is Role.MODERATOR:
        # A question a moderator entered (hotline, letter...) has no asker:
        # no pseudonym either, as in its events.
        return [
            {**_strip(item["q"]), "asker": pseudonym(item["asker"])}
            if isinstance(item.get("asker"), str)
            else _strip(item["q"])
            for item in items
        ]
    # Viewers and the overlay (its ticker): only public statuses are read for
    # them, and a question that left public view meanwhile is not shown.
    out = [_public_q(item["q"]) for item in items if item["q"].get("status") in PUBLIC_STATUSES]
    if names_hidden:
        out = [hide_names({"q": q})["q"] for q in out]
    return out


def add_personal(
    view: Mapping[str, Any],
    personal: Mapping[str, Any],
    tallies: Callable[[int], tuple[list[int], int] | None],
) -> tuple[dict[str, Any], set[int]]:
    """A viewer's snapshot: ``view`` plus their own questions, upvotes and ballots.

    ``tallies(pid)`` gives a poll's full tallies and ballot count, if known: a
    voter sees the results an "after_vote" poll hides from everyone else.
    Returns the view and the polls the viewer has a ballot in."""
    out = dict(view)
    out["mine"] = [{**_own(q), "mine": True} for q in personal["mine"]]
    out["myvotes"] = personal["myvotes"]
    ballots = {int(b["poll"]): _as_list(b["mine"]) for b in personal["ballots"]}
    if ballots:
        polls = []
        for poll in out["polls"]:
            mine = ballots.get(int(poll["id"]))
            if mine is not None:
                poll = dict(poll, mine=mine)
                full = tallies(int(poll["id"]))
                if full is not None and poll.get("tallies") is None and _voter_sees(poll):
                    poll["tallies"], poll["ballots"] = _as_list(full[0]), full[1]
            polls.append(poll)
        out["polls"] = polls
    return out, set(ballots)
