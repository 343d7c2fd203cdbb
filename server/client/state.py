"""What a client knows about a broadcast, rebuilt from snapshots and events.

Pure and synchronous: ``HubClient`` feeds it every server message, tests feed it
literal dicts. It mirrors static/js/shared/state.js (the viewer's and the overlay's reducer;
tests/golden/ holds the sequences both must agree on) (docs/protocol.md,
"Events"), so a test can assert what a real page would show.

Events carry absolute state, so applying one twice is harmless; still, an event
whose ``pos`` is not after the last applied one is counted in ``duplicates`` and
ignored, so tests and the load generator can assert the hub never repeats one.
(Gaps cannot be detected client-side: projection drops events a role may not see.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from server.domain.resume import StreamId, parse_stream_id
from server.protocol import PUBLIC_STATUSES

Json = dict[str, Any]


@dataclasses.dataclass(slots=True)
class ClientState:
    # Role decides what "questions" holds: a viewer's list is the public one
    # (its own hidden questions live only in "mine"); a moderator's has everything.
    role: str = "viewer"
    epoch: str | None = None
    pos: str | None = None
    questions: dict[int, Json] = dataclasses.field(default_factory=dict)
    mine: dict[int, Json] = dataclasses.field(default_factory=dict)
    myvotes: set[int] = dataclasses.field(default_factory=set)
    polls: dict[int, Json] = dataclasses.field(default_factory=dict)
    likes: int = 0
    presence: Json = dataclasses.field(default_factory=dict)
    on_air: Json | None = None
    broadcast: Json = dataclasses.field(default_factory=dict)
    overlay: Json = dataclasses.field(default_factory=dict)
    # Paging (docs/protocol.md, "Paging"): "<list>.<order>" -> the cursor of the
    # next page (None: all loaded), and each list's question count.
    more: dict[str, str | None] = dataclasses.field(default_factory=dict)
    total: dict[str, int] = dataclasses.field(default_factory=dict)
    # Moderators: banned viewers by pseudonym -> {"asker", "qid"}.
    banned: dict[str, Json] = dataclasses.field(default_factory=dict)
    snapshots: int = 0
    duplicates: int = 0
    # Events of a type this client does not know (newer hub): ignored, counted.
    unknown: int = 0
    # Order key of the last applied pos.
    _last: StreamId | None = dataclasses.field(default=None, init=False, repr=False)

    def apply_message(self, msg: Mapping[str, Any]) -> None:
        """Apply one server message; messages other than snapshot/events are ignored."""
        kind = msg.get("type")
        if kind == "snapshot":
            self.apply_snapshot(msg)
        elif kind == "page":
            self.apply_page(msg)
        elif kind == "events":
            if msg.get("epoch") is not None:
                self.epoch = msg["epoch"]
            for event in msg.get("events", ()):
                self.apply_event(event)
            # A frame's pos is its last event's; an empty frame may still move it on.
            pos = msg.get("pos")
            key = _key(pos)
            if key is not None and (self._last is None or key > self._last):
                self._last, self.pos = key, pos

    def apply_snapshot(self, snap: Mapping[str, Any]) -> None:
        """Replace everything with the snapshot (it is complete as of its ``pos``)."""
        self.snapshots += 1
        self.epoch = snap.get("epoch")
        self._set_pos(snap.get("pos"))
        self.broadcast = dict(snap.get("broadcast") or {})
        self.questions = {q["id"]: q for q in snap.get("questions", ())}
        self.mine = {q["id"]: q for q in snap.get("mine", ())}
        self.myvotes = set(snap.get("myvotes", ()))
        self.polls = {p["id"]: p for p in snap.get("polls", ())}
        self.likes = int(snap.get("likes", 0))
        self.presence = dict(snap.get("presence") or {})
        self.on_air = snap.get("on_air")
        self.overlay = dict(snap.get("overlay") or {})
        if snap.get("rundown") is not None:
            self.overlay["rundown"] = _rundown(snap["rundown"])
        self.banned = {b["asker"]: dict(b) for b in snap.get("banned", ())}
        self.more = dict(snap.get("more") or {})
        self.total = dict(snap.get("total") or {})

    def apply_page(self, page: Mapping[str, Any]) -> None:
        """Add a page of ``questions.page`` (its ack's ``result``; as a message,
        ``{"type": "page", **result}``): the questions not loaded yet are
        inserted, the loaded ones kept (their events keep them current, a page
        may be older than they are), and the list's cursor moves on."""
        for q in page.get("questions", ()):
            if self.role == "viewer" and q.get("status") not in PUBLIC_STATUSES:
                continue
            self.questions.setdefault(q["id"], q)
        self.more[f"{page.get('list')}.{page.get('order')}"] = page.get("next")

    def apply_event(self, event: Mapping[str, Any]) -> bool:
        """Apply one event; False if it was a duplicate (pos not after the last one)."""
        pos = event.get("pos")
        key = _key(pos)
        if key is not None:
            if self._last is not None and key <= self._last:
                self.duplicates += 1
                return False
            self._last, self.pos = key, pos
        handler = _HANDLERS.get(str(event.get("type")))
        if handler is None:
            self.unknown += 1
        else:
            handler(self, event)
        return True

    def _set_pos(self, pos: object) -> None:
        self.pos = pos if isinstance(pos, str) else None
        self._last = _key(pos)

    # --- one method per event type (docs/protocol.md, "Events") ----------------

    def _question(self, event: Mapping[str, Any]) -> None:
        q = event["q"]
        qid = q["id"]
        # A moderator's question events say where they came from (``prev``:
        # None for a new question): the per-status totals follow them, as in
        # static/js/console/model.js.
        prev, status = event.get("prev", q.get("status")), q.get("status")
        if self.role == "moderator" and self.total and prev != status:
            if prev is not None:
                self.total[prev] = max(0, self.total.get(prev, 0) - 1)
            self.total[status] = self.total.get(status, 0) + 1
        if event.get("mine") or qid in self.mine:
            self.mine[qid] = q
        if self.role == "viewer" and q.get("status") not in PUBLIC_STATUSES:
            self.questions.pop(qid, None)
        else:
            self.questions[qid] = q
        if q.get("status") == "on_air":
            self.on_air = q
        elif self.on_air is not None and self.on_air.get("id") == qid:
            self.on_air = None

    def _question_removed(self, event: Mapping[str, Any]) -> None:
        qid = event["qid"]
        self.questions.pop(qid, None)
        if self.on_air is not None and self.on_air.get("id") == qid:
            self.on_air = None

    def _votes(self, event: Mapping[str, Any]) -> None:
        qid, votes = event["qid"], event["votes"]
        # Copies, not in-place updates: the recorded messages must stay as received.
        for table in (self.questions, self.mine):
            if qid in table:
                table[qid] = {**table[qid], "votes": votes}
        if self.on_air is not None and self.on_air.get("id") == qid:
            self.on_air = {**self.on_air, "votes": votes}  # the overlay's only question
        if "mine" in event:
            (self.myvotes.add if event["mine"] else self.myvotes.discard)(qid)

    def _likes(self, event: Mapping[str, Any]) -> None:
        self.likes = event["total"]

    def _presence(self, event: Mapping[str, Any]) -> None:
        self.presence = {k: event.get(k) for k in ("now", "peak", "unique")}

    def _poll(self, event: Mapping[str, Any]) -> None:
        poll = dict(event["poll"])
        old = self.polls.get(poll["id"])
        # A poll event does not repeat the viewer's own ballot; keep the one we know.
        if old is not None and "mine" in old and "mine" not in poll:
            poll["mine"] = old["mine"]
        self.polls[poll["id"]] = poll

    def _poll_deleted(self, event: Mapping[str, Any]) -> None:
        self.polls.pop(event["poll"], None)

    def _tally(self, event: Mapping[str, Any]) -> None:
        pid = event["pid"]
        # hidden, pending: a word cloud's, for moderators (docs/protocol.md).
        changes = {k: event[k] for k in _TALLY_FIELDS if k in event}
        poll = {**self.polls.get(pid, {"id": pid}), **changes}
        answer = event.get("answer")
        if isinstance(answer, Mapping) and isinstance(poll.get("queue"), list):
            poll["queue"] = [a for a in poll["queue"] if a.get("id") != answer.get("id")]
        self.polls[pid] = poll

    def _answer(self, event: Mapping[str, Any]) -> None:
        """A word-cloud answer held for review, or rejected (moderators only)."""
        pid = event["pid"]
        poll = dict(self.polls.get(pid, {"id": pid}))
        answer = event["answer"]
        queue = [a for a in poll.get("queue") or [] if a.get("id") != answer.get("id")]
        if event.get("status") == "pending":
            queue.append(dict(answer))
        poll["queue"], poll["pending"] = queue, event.get("pending", len(queue))
        self.polls[pid] = poll

    def _broadcast(self, event: Mapping[str, Any]) -> None:
        self.broadcast = dict(event["b"])

    def _overlay(self, event: Mapping[str, Any]) -> None:
        overlay = {"show": event.get("show"), "poll": event.get("poll")}
        overlay.update({k: event[k] for k in OVERLAY_FIELDS if k in event})
        # The run-down has events of its own (below); it lives with the overlay state.
        if "rundown" in self.overlay:
            overlay["rundown"] = self.overlay["rundown"]
        self.overlay = overlay

    def _rundown(self, event: Mapping[str, Any]) -> None:
        self.overlay = {**self.overlay, "rundown": _rundown(event)}

    def _ban(self, event: Mapping[str, Any]) -> None:
        if event["on"]:
            self.banned[event["asker"]] = {"asker": event["asker"], "qid": event["qid"]}
        else:
            self.banned.pop(event["asker"], None)


# The layered overlay's fields (docs/protocol.md, "overlay"): what is on air,
# the scene it came from, the scenes, the cue.
OVERLAY_FIELDS = ("scene", "layers", "scenes", "cue")


def _rundown(r: Mapping[str, Any]) -> Json:
    items = r.get("items")
    return {"items": list(items) if isinstance(items, list) else [], "ver": int(r.get("ver") or 0)}


_TALLY_FIELDS = ("tallies", "ballots", "state", "mine", "hidden", "pending")


def _key(pos: object) -> StreamId | None:
    """Order key of a ``pos`` (stream ids compare as (ms, seq), not as text)."""
    if not isinstance(pos, str):
        return None
    try:
        return parse_stream_id(pos)
    except ValueError:
        return None


_HANDLERS = {
    "question": ClientState._question,
    "question_removed": ClientState._question_removed,
    "votes": ClientState._votes,
    "likes": ClientState._likes,
    "presence": ClientState._presence,
    "poll": ClientState._poll,
    "poll_deleted": ClientState._poll_deleted,
    "tally": ClientState._tally,
    "answer": ClientState._answer,
    "broadcast": ClientState._broadcast,
    "overlay": ClientState._overlay,
    "rundown": ClientState._rundown,
    "ban": ClientState._ban,
}
